BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

Describe 'Dependency isolation' {
    It 'imports and works in a session that already loaded older MailKit, MimeKit and DnsClient' {
        $packages = Join-Path $env:DANEMTASTS_REPO_ROOT '.tools/packages'
        $old = @(
            (Get-ChildItem (Join-Path $packages 'mimekit/4.18.0/lib/net8.0/MimeKit.dll')).FullName
            (Get-ChildItem (Join-Path $packages 'mailkit/4.0.0/lib/net6.0/MailKit.dll')).FullName
            (Get-ChildItem (Join-Path $packages 'dnsclient/1.6.1/lib/netstandard2.1/DnsClient.dll')).FullName
        )
        $script = Join-Path $TestDrive 'isolation.ps1'
        Set-Content $script @'
param($ModulePath, $StorePath, [string] $OldAssemblies)
$ErrorActionPreference = 'Stop'
Add-Type -Path ($OldAssemblies -split ',')
$env:DANEMTASTS_STORE = $StorePath
Import-Module $ModulePath
New-OutboundConnector 'Isolated' -RecipientDomains contoso.com | Out-Null
$engine = [DaneMtaSts.Module.Infrastructure.EngineDiagnostics]::GetDependencyVersions()
Import-Module $ModulePath -Force
$name = (Get-OutboundConnector 'Isolated').Name
$loaded = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'MailKit', 'MimeKit', 'DnsClient' } |
    ForEach-Object { "$($_.GetName().Name)/$($_.GetName().Version)/$([System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name)" }
[pscustomobject]@{ Name = $name; EngineMailKit = $engine['MailKit']; EngineDnsClient = $engine['DnsClient']; Loaded = @($loaded) } | ConvertTo-Json -Compress
'@
        $p = Start-PwshChild -ScriptPath $script -ArgumentList @($env:DANEMTASTS_TEST_MODULE, (Join-Path $TestDrive 'store.json'), ($old -join ','))
        $stdout = $p.StandardOutput.ReadToEnd()
        $stderr = $p.StandardError.ReadToEnd()
        $p.WaitForExit(120000) | Should -BeTrue
        $p.ExitCode | Should -Be 0 -Because $stderr
        $r = ($stdout -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1) | ConvertFrom-Json
        $r.Name | Should -Be 'Isolated'
        $r.EngineMailKit | Should -BeLike '4.18.*'
        $r.EngineDnsClient | Should -BeNullOrEmpty -Because 'the engine speaks DNS through its own codec, not DnsClient'
        $r.Loaded | Should -Contain 'MailKit/4.0.0.0/Default'
        ($r.Loaded | Where-Object { $_ -like 'MailKit/4.18*/DaneMtaSts' }) | Should -Not -BeNullOrEmpty
        ($r.Loaded | Where-Object { $_ -like 'DnsClient/1.6*/Default' }) | Should -Not -BeNullOrEmpty
        ($r.Loaded | Where-Object { $_ -like 'DnsClient/*/DaneMtaSts' }) | Should -BeNullOrEmpty
    }
}
