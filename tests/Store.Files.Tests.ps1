# The store file under faults, at the cmdlet level: a corrupt, empty, newer-schema or unwritable store
# gives every connector cmdlet a clear ErrorRecord with a stable id and leaves the file byte for byte as
# it was; on Unix the store is private to its owner whatever the umask.
# (The engine's own checks are in xunit: ConnectorStoreTests, StoreReliabilityTests.)

BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Ns = 'DaneMtaSts.Module.Commands'
    $script:Private = [System.IO.UnixFileMode]'UserRead, UserWrite'

    # Runs Get, New, Set and Remove once each and returns, per cmdlet, the error id and category (or 'ok').
    # Kept as text: the read-only test runs the same function in a child pwsh.
    $script:InvokeEveryText = @'
function Invoke-EveryConnectorCmdlet {
    $calls = [ordered]@{
        Get    = { Get-OutboundConnector -ErrorAction Stop }
        New    = { New-OutboundConnector 'Fabrikam' -RecipientDomains fabrikam.com -ErrorAction Stop }
        Set    = { Set-OutboundConnector 'Contoso' -Comment 'changed' -ErrorAction Stop }
        Remove = { Remove-OutboundConnector 'Contoso' -Confirm:$false -ErrorAction Stop }
    }
    foreach ($name in $calls.Keys) {
        $r = [pscustomobject]@{ Cmdlet = $name; ErrorId = 'ok'; Category = ''; Message = ''; Output = @() }
        try { $r.Output = @(& $calls[$name] | ForEach-Object Name) }
        catch { $r.ErrorId = $_.FullyQualifiedErrorId; $r.Category = "$($_.CategoryInfo.Category)"; $r.Message = $_.Exception.Message }
        $r
    }
}
'@
    . ([scriptblock]::Create($script:InvokeEveryText))
}

Describe 'A store that cannot be used' {
    BeforeEach {
        $env:DANEMTASTS_STORE = Join-Path $TestDrive 'faults/store.json'
        Remove-Item (Split-Path $env:DANEMTASTS_STORE) -Recurse -Force -ErrorAction SilentlyContinue
        New-Item -ItemType Directory -Path (Split-Path $env:DANEMTASTS_STORE) | Out-Null
    }

    It '<Case>: every cmdlet fails with <Id> (<Category>) and the file is byte-for-byte unchanged' -ForEach @(
        @{ Case = 'corrupt JSON'; Id = 'StoreCorrupt'; Category = 'ReadError'; Bytes = [Text.Encoding]::UTF8.GetBytes('{ "SchemaVersion": 1, "Connectors": [ { "Name": "Contoso", ') }
        @{ Case = 'empty file'; Id = 'StoreCorrupt'; Category = 'ReadError'; Bytes = [byte[]]@() }
        @{ Case = 'binary garbage'; Id = 'StoreCorrupt'; Category = 'ReadError'; Bytes = [byte[]](0..255) }
        @{ Case = 'JSON of another program'; Id = 'StoreCorrupt'; Category = 'ReadError'; Bytes = [Text.Encoding]::UTF8.GetBytes('{"connectors":"none"}') }
        @{ Case = 'newer schema'; Id = 'StoreSchemaTooNew'; Category = 'InvalidData'; Bytes = [Text.Encoding]::UTF8.GetBytes('{"SchemaVersion": 2, "Connectors": [], "Unknown": {"from": "the future"}}') }
    ) {
        [IO.File]::WriteAllBytes($env:DANEMTASTS_STORE, $Bytes)
        $before = (Get-FileHash -Algorithm SHA256 -LiteralPath $env:DANEMTASTS_STORE).Hash
        $results = @(Invoke-EveryConnectorCmdlet)
        foreach ($r in $results) {
            $command = "$($r.Cmdlet)OutboundConnectorCommand"
            $r.ErrorId | Should -Be "$Id,$Ns.$command" -Because "$($r.Cmdlet) on a store with $Case"
            $r.Category | Should -Be $Category
            $r.Message | Should -BeLike "*$env:DANEMTASTS_STORE*" -Because 'the error names the file'
        }
        (Get-FileHash -Algorithm SHA256 -LiteralPath $env:DANEMTASTS_STORE).Hash | Should -Be $before
        @(Get-ChildItem (Split-Path $env:DANEMTASTS_STORE) -Filter '*.tmp' -Force) | Should -BeNullOrEmpty
    }

    It 'a read-only folder: Get works, New/Set/Remove fail with StoreNotWritable, the file is unchanged' {
        if ($IsWindows) { Set-ItResult -Skipped -Because 'the read-only folder is made with Unix means'; return }
        $folder = Split-Path $env:DANEMTASTS_STORE
        New-OutboundConnector 'Contoso' -RecipientDomains contoso.com | Out-Null
        $before = (Get-FileHash -Algorithm SHA256 -LiteralPath $env:DANEMTASTS_STORE).Hash

        if ((& id -u) -ne '0') {
            # An ordinary user: the mode bits stop writes.
            [IO.File]::SetUnixFileMode($folder, [IO.UnixFileMode]'UserRead, UserExecute')
            try { $results = @(Invoke-EveryConnectorCmdlet) }
            finally { [IO.File]::SetUnixFileMode($folder, [IO.UnixFileMode]'UserRead, UserWrite, UserExecute') }
            $how = 'chmod 0500'
        }
        else {
            # root writes through mode bits, so the folder is bind-mounted read-only onto itself in a private
            # mount namespace that only the child pwsh sees (nothing changes for the rest of the machine).
            if (-not (Get-Command unshare -ErrorAction SilentlyContinue)) { Set-ItResult -Skipped -Because 'root without unshare(1)'; return }
            $script = Join-Path $TestDrive 'readonly-child.ps1'
            Set-Content -LiteralPath $script -Value ("param([string] `$ModulePath, [string] `$StorePath, [string] `$Probe)`n" + $InvokeEveryText + @'

$env:DANEMTASTS_STORE = $StorePath
Import-Module $ModulePath
# Proof that the folder really is read-only for this process.
$readOnly = try { [IO.File]::WriteAllText($Probe, 'x'); $false } catch { $true }
[pscustomobject]@{ ReadOnly = $readOnly; Results = @(Invoke-EveryConnectorCmdlet) } | ConvertTo-Json -Depth 4 -Compress
'@)
            $pwsh = @(Get-PwshCommand)
            $mount = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && echo mounted-read-only && shift && exec "$@"'
            $out = & unshare --mount --propagation private sh -c $mount sh $folder @pwsh -NoProfile -NonInteractive -File $script `
                $env:DANEMTASTS_TEST_MODULE $env:DANEMTASTS_STORE (Join-Path $folder 'probe') 2>&1
            if ($out -notcontains 'mounted-read-only') { Set-ItResult -Skipped -Because "no private read-only mount here: $out"; return }
            $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
            $report = ($out | Where-Object { "$_" -like '{*' } | Select-Object -Last 1) | ConvertFrom-Json
            $report.ReadOnly | Should -BeTrue -Because 'the child must not be able to write into the folder'
            $results = @($report.Results)
            $how = 'read-only bind mount in a private mount namespace'
        }

        Write-Host "store: read-only folder made with $how"
        $get = $results | Where-Object Cmdlet -EQ 'Get'
        $get.ErrorId | Should -Be 'ok'
        @($get.Output) | Should -Be @('Contoso')
        foreach ($r in $results | Where-Object Cmdlet -NE 'Get') {
            $r.ErrorId | Should -Be "StoreNotWritable,$Ns.$($r.Cmdlet)OutboundConnectorCommand" -Because "$($r.Cmdlet) in a read-only folder"
            $r.Category | Should -Be 'WriteError'
            $r.Message | Should -BeLike "*$env:DANEMTASTS_STORE*"
        }
        (Get-FileHash -Algorithm SHA256 -LiteralPath $env:DANEMTASTS_STORE).Hash | Should -Be $before
        @(Get-ChildItem $folder -Filter '*.tmp' -Force) | Should -BeNullOrEmpty
    }

    It 'a store path under a regular file: reads as empty, New fails with StoreNotWritable, the file is unchanged' {
        $blocker = Join-Path $TestDrive 'faults/blocker'
        Set-Content -LiteralPath $blocker -Value 'a file where the store folder should be'
        $before = (Get-FileHash -Algorithm SHA256 -LiteralPath $blocker).Hash
        $env:DANEMTASTS_STORE = Join-Path $blocker 'store.json'

        @(Get-OutboundConnector -ErrorAction Stop) | Should -BeNullOrEmpty
        $err = $null
        try { New-OutboundConnector 'Contoso' -RecipientDomains contoso.com } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "StoreNotWritable,$Ns.NewOutboundConnectorCommand"
        $err.CategoryInfo.Category | Should -Be 'WriteError'
        Set-OutboundConnector 'Contoso' -Comment x -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -Be "ConnectorNotFound,$Ns.SetOutboundConnectorCommand"
        (Get-FileHash -Algorithm SHA256 -LiteralPath $blocker).Hash | Should -Be $before
    }
}

Describe 'Store file permissions on Unix' {
    BeforeEach {
        if ($IsWindows) { return }
        $env:DANEMTASTS_STORE = Join-Path $TestDrive 'perm/new/store.json'
        Remove-Item (Join-Path $TestDrive 'perm') -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'New-OutboundConnector creates the store, its lock file and its folder for the owner only' {
        if ($IsWindows) { Set-ItResult -Skipped -Because 'Unix file modes'; return }
        New-OutboundConnector 'Contoso' -RecipientDomains contoso.com | Out-Null
        [IO.File]::GetUnixFileMode($env:DANEMTASTS_STORE) | Should -Be $Private
        [IO.File]::GetUnixFileMode("$env:DANEMTASTS_STORE.lock") | Should -Be $Private
        [IO.File]::GetUnixFileMode((Split-Path $env:DANEMTASTS_STORE)) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    }

    It 'under umask 000 a new store is 0600 and a rewrite turns a 0666 store back into 0600' {
        if ($IsWindows) { Set-ItResult -Skipped -Because 'Unix file modes'; return }
        $existing = Join-Path $TestDrive 'perm/existing/store.json'
        $env:DANEMTASTS_STORE = $existing
        New-OutboundConnector 'Contoso' -RecipientDomains contoso.com | Out-Null
        [IO.File]::SetUnixFileMode($existing, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, GroupWrite, OtherRead, OtherWrite')

        $fresh = Join-Path $TestDrive 'perm/fresh/store.json'
        $script = Join-Path $TestDrive 'umask-child.ps1'
        Set-Content -LiteralPath $script -Value @'
param([string] $ModulePath, [string] $Existing, [string] $Fresh)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$env:DANEMTASTS_STORE = $Existing
Set-OutboundConnector 'Contoso' -Comment 'rewritten under umask 000'
$env:DANEMTASTS_STORE = $Fresh
New-OutboundConnector 'Fresh' -RecipientDomains fabrikam.com | Out-Null
# What an ordinary file gets under this umask, to prove the umask really was 000.
$plain = Join-Path (Split-Path $Fresh) 'plain.txt'
[IO.File]::WriteAllText($plain, 'x')
'{0}' -f [Convert]::ToString([int][IO.File]::GetUnixFileMode($plain), 8)
'@
        $pwsh = (@(Get-PwshCommand) | ForEach-Object { "'$_'" }) -join ' '
        $out = & sh -c "umask 000 && exec $pwsh -NoProfile -NonInteractive -File '$script' '$env:DANEMTASTS_TEST_MODULE' '$existing' '$fresh'" 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        ($out | Select-Object -Last 1) | Should -Be '666' -Because 'the child ran under umask 000 (an ordinary file gets 0666)'

        (Get-OutboundConnector 'Contoso').Comment | Should -Be 'rewritten under umask 000'
        [IO.File]::GetUnixFileMode($existing) | Should -Be $Private
        [IO.File]::GetUnixFileMode($fresh) | Should -Be $Private
        [IO.File]::GetUnixFileMode("$fresh.lock") | Should -Be $Private
        [IO.File]::GetUnixFileMode((Split-Path $fresh)) | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    }
}
