# The round trip with Exchange Online (docs/exchange-online.md#round-trip): multi-valued edits as Exchange takes them,
# a tenant export piped into New-OutboundConnector, the exact Exchange Online command back, and the
# module beside ExchangeOnlineManagement's same-named commands.

BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
    $script:Fixture = Join-Path $PSScriptRoot 'fixtures/exo-outbound-connectors.clixml'
}

Describe 'Multi-valued properties as Exchange Online takes them' {
    BeforeEach {
        Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
        $null = New-OutboundConnector A -RecipientDomains a.example, b.example
    }

    It 'adds one value with @{Add=...}, normalised and validated like any value' {
        Set-OutboundConnector A -RecipientDomains @{ Add = 'C.Example' }
        (Get-OutboundConnector A).RecipientDomains | Should -Be @('a.example', 'b.example', 'c.example')
    }

    It 'removes and adds many values in one edit, either key alone or both' {
        Set-OutboundConnector A -RecipientDomains @{ Remove = 'A.EXAMPLE' }
        (Get-OutboundConnector A).RecipientDomains | Should -Be @('b.example')
        Set-OutboundConnector A -RecipientDomains @{ Add = 'd.example', '*.e.example', 'b.example'; Remove = 'b.example' }
        (Get-OutboundConnector A).RecipientDomains | Should -Be @('d.example', '*.e.example', 'b.example')
        Set-OutboundConnector A -RecipientDomains ([ordered]@{ add = @('bücher.example') })
        (Get-OutboundConnector A).RecipientDomains | Should -Contain 'xn--bcher-kva.example'
    }

    It 'still replaces the list with a list' {
        Set-OutboundConnector A -RecipientDomains z.example
        (Get-OutboundConnector A).RecipientDomains | Should -Be @('z.example')
    }

    It 'edits SmartHosts and ValidationRecipients the same way' {
        Set-OutboundConnector A -UseMXRecord $false -SmartHosts @{ Add = '192.0.2.1', 'smtp.a.example' }
        (Get-OutboundConnector A).SmartHosts | Should -Be @('192.0.2.1', 'smtp.a.example')
        Set-OutboundConnector A -SmartHosts @{ Remove = '192.0.2.1' }
        (Get-OutboundConnector A).SmartHosts | Should -Be @('smtp.a.example')
        Set-OutboundConnector A -ValidationRecipients @{ Add = 'postmaster@a.example' }
        Set-OutboundConnector A -ValidationRecipients @{ Add = 'abuse@a.example'; Remove = 'postmaster@a.example' }
        (Get-OutboundConnector A).ValidationRecipients | Should -Be @('abuse@a.example')
    }

    It 'refuses other keys, an empty edit, an invalid value, and an edit that breaks a rule, writing nothing' -ForEach @(
        @{ Value = @{ Append = 'c.example' }; Expect = 'ParameterArgumentTransformationError' }
        @{ Value = @{ Add = @() }; Expect = 'ParameterArgumentTransformationError' }
        @{ Value = @{ Add = 'not a domain!' }; Expect = 'InvalidRecipientDomain' }
        @{ Value = @{ Remove = 'a.example', 'b.example' }; Expect = 'RecipientDomainsRequired' }
    ) {
        $before = Get-Content -Raw $env:DANEMTASTS_STORE
        Get-ThrownErrorId { Set-OutboundConnector A -RecipientDomains $Value } | Should -BeLike "$Expect*"
        Get-Content -Raw $env:DANEMTASTS_STORE | Should -Be $before
    }

    It 'never stores a hashtable as text' {
        Set-OutboundConnector A -RecipientDomains @{ Add = 'c.example' }
        Get-Content -Raw $env:DANEMTASTS_STORE | Should -Not -Match 'hashtable'
    }
}

Describe 'From the tenant: a tenant export piped into New-OutboundConnector' {
    BeforeEach {
        Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
    }

    It 'recreates the connectors of a deserialised Exchange Online export' {
        $created = Import-Clixml $Fixture | New-OutboundConnector
        @($created).Count | Should -Be 2
        $c = Get-OutboundConnector 'Contoso partners'
        $c.Comment | Should -Be "Partner mail, 'quoted' and `"double-quoted`""
        $c.ConnectorSource | Should -Be 'AdminUI'
        $c.RecipientDomains | Should -Be @('contoso.example', '*.contoso.example', 'xn--bcher-kva.example')
        $c.SmartHosts | Should -BeNullOrEmpty
        $c.TlsSettings | Should -BeNullOrEmpty
        $c.SmtpDaneMode | Should -Be 'Mandatory'
        $c.MtaStsMode | Should -Be 'Opportunistic'
        $c.Enabled | Should -BeTrue
        $f = Get-OutboundConnector 'Fabrikam via smart host'
        $f.Enabled | Should -BeFalse
        $f.UseMXRecord | Should -BeFalse
        $f.SmartHosts | Should -Be @('smtp.fabrikam.example', '192.0.2.25')
        $f.TlsSettings | Should -Be 'DomainValidation'
        $f.TlsDomain | Should -Be '*.fabrikam.example'
        # An enum written by Export-Clixml as its number binds by its name, not by the number.
        $f.ConnectorSource | Should -Be 'Migrated'
        $f.MtaStsMode | Should -Be 'None'
        $f.TestMode | Should -BeTrue
    }

    It 'lets the command line win over the piped modes (-TlsValidationMode)' {
        Import-Clixml $Fixture | Select-Object -First 1 | New-OutboundConnector -TlsValidationMode None | Out-Null
        (Get-OutboundConnector 'Contoso partners').TlsValidationMode | Should -Be 'None'
    }

    It 'round-trips this module''s own Export-Clixml and ConvertTo-Json output' {
        $null = New-OutboundConnector 'Own' -RecipientDomains own.example, '*.own.example' -SmtpDaneMode Mandatory -Comment 'x'
        $null = New-OutboundConnector 'Hosts' -UseMXRecord $false -SmartHosts 192.0.2.7 -RecipientDomains h.example -TlsSettings CertificateValidation -MtaStsMode None
        $xml = Join-Path $TestDrive 'own.xml'
        $json = Get-OutboundConnector | ConvertTo-Json -Depth 4
        Get-OutboundConnector | Export-Clixml $xml
        $expected = Get-OutboundConnector | Select-Object Name, Enabled, Comment, RecipientDomains, SmartHosts, UseMXRecord, TlsSettings, SmtpDaneMode, MtaStsMode | ConvertTo-Json

        Remove-Item $env:DANEMTASTS_STORE
        Import-Clixml $xml | New-OutboundConnector | Out-Null
        Get-OutboundConnector | Select-Object Name, Enabled, Comment, RecipientDomains, SmartHosts, UseMXRecord, TlsSettings, SmtpDaneMode, MtaStsMode | ConvertTo-Json | Should -Be $expected

        Remove-Item $env:DANEMTASTS_STORE
        $json | ConvertFrom-Json | New-OutboundConnector | Out-Null
        Get-OutboundConnector | Select-Object Name, Enabled, Comment, RecipientDomains, SmartHosts, UseMXRecord, TlsSettings, SmtpDaneMode, MtaStsMode | ConvertTo-Json | Should -Be $expected
    }

    # docs/exchange-online.md#exports
    It 'round-trips Export-Csv: lists joined with ";", booleans and modes read back by name' {
        $null = New-OutboundConnector 'Csv' -RecipientDomains a.example, '*.b.example' -SmtpDaneMode Mandatory -MtaStsMode None -Comment 'c'
        $null = New-OutboundConnector 'CsvHosts' -UseMXRecord $false -SmartHosts 192.0.2.7, relay.example.net -RecipientDomains h.example -TlsSettings CertificateValidation -Enabled $false
        $csv = Join-Path $TestDrive 'own.csv'
        Get-OutboundConnector | Export-Csv $csv
        $rows = Import-Csv $csv
        ($rows | Where-Object Name -eq 'Csv').RecipientDomains | Should -Be 'a.example;*.b.example'
        ($rows | Where-Object Name -eq 'CsvHosts').SmartHosts | Should -Be '192.0.2.7;relay.example.net'
        Get-Content $csv -Raw | Should -Not -Match 'System\.String\[\]'
        $expected = Get-OutboundConnector | Select-Object Name, Enabled, Comment, RecipientDomains, SmartHosts, UseMXRecord, TlsSettings, SmtpDaneMode, MtaStsMode | ConvertTo-Json

        Remove-Item $env:DANEMTASTS_STORE
        Import-Csv $csv | New-OutboundConnector | Out-Null
        Get-OutboundConnector | Select-Object Name, Enabled, Comment, RecipientDomains, SmartHosts, UseMXRecord, TlsSettings, SmtpDaneMode, MtaStsMode | ConvertTo-Json | Should -Be $expected
        (Get-OutboundConnector CsvHosts).UseMXRecord | Should -BeFalse
        (Get-OutboundConnector CsvHosts).Enabled | Should -BeFalse
    }

    It 'keeps the lists typed for scripts: count, -contains, -join' {
        $null = New-OutboundConnector 'Lists' -RecipientDomains a.example, b.example
        $c = Get-OutboundConnector Lists
        $c.RecipientDomains.Count | Should -Be 2
        $c.RecipientDomains -contains 'b.example' | Should -BeTrue
        $c.RecipientDomains -join ',' | Should -Be 'a.example,b.example'
        "$($c.RecipientDomains)" | Should -Be 'a.example b.example'
        $base = $c.PSObject.BaseObject
        $base.GetType().GetProperty('RecipientDomains').GetValue($base).GetType() | Should -Be ([string[]])
    }

    It 'writes mode names with plain ConvertTo-Json (as Exchange Online''s exports do), and takes names or numbers back' {
        $null = New-OutboundConnector 'Json' -RecipientDomains j.example -SmtpDaneMode Mandatory -MtaStsMode None
        $plain = Get-OutboundConnector Json | ConvertTo-Json
        $plain | Should -Match '"SmtpDaneMode":\s*"Mandatory"'
        $plain | Should -Match '"MtaStsMode":\s*"None"'
        $plain | Should -Match '"ConnectorType":\s*"Partner"'
        $names = $plain | ConvertFrom-Json
        $names.SmtpDaneMode | Should -Be 'Mandatory'
        $names.MtaStsMode | Should -Be 'None'
        (Get-OutboundConnector Json | ConvertTo-Json -EnumsAsStrings | ConvertFrom-Json).SmtpDaneMode | Should -Be 'Mandatory'
        # A script (or an older export) that wrote numbers still binds.
        $numbers = [pscustomobject]@{ Name = 'Json'; RecipientDomains = @('j.example'); SmtpDaneMode = [int][DaneMtaSts.SmtpDaneMode]::Mandatory; MtaStsMode = [int][DaneMtaSts.MtaStsMode]::None }
        foreach ($row in $names, $numbers) {
            Remove-Item $env:DANEMTASTS_STORE
            $row | New-OutboundConnector | Out-Null
            (Get-OutboundConnector Json).SmtpDaneMode | Should -Be 'Mandatory'
            (Get-OutboundConnector Json).MtaStsMode | Should -Be 'None'
        }
    }

    It 'updates existing connectors from a tenant export piped into Set-OutboundConnector' {
        Import-Clixml $Fixture | New-OutboundConnector | Out-Null
        Set-OutboundConnector 'Contoso partners' -SmtpDaneMode None -RecipientDomains other.example
        Import-Clixml $Fixture | Select-Object -First 1 | Set-OutboundConnector
        $c = Get-OutboundConnector 'Contoso partners'
        $c.SmtpDaneMode | Should -Be 'Mandatory'
        $c.RecipientDomains | Should -Contain 'contoso.example'
        $c.IsValidated | Should -BeTrue
        $c.ValidationRecipients | Should -Be @('postmaster@contoso.example')
    }

    It 'takes only the command line from a piped connector of the store (its properties change nothing)' {
        $null = New-OutboundConnector 'Live' -RecipientDomains live.example
        $stale = Get-OutboundConnector 'Live'
        Set-OutboundConnector 'Live' -RecipientDomains @{ Add = 'new.example' } -SmtpDaneMode Mandatory
        $stale | Set-OutboundConnector -Enabled $false
        $c = Get-OutboundConnector 'Live'
        $c.Enabled | Should -BeFalse
        $c.RecipientDomains | Should -Be @('live.example', 'new.example')
        $c.SmtpDaneMode | Should -Be 'Mandatory'
        Get-OutboundConnector 'Live' | Set-OutboundConnector -TlsValidationMode Opportunistic
        (Get-OutboundConnector 'Live').TlsValidationMode | Should -Be 'Opportunistic'
    }
}

Describe 'Back to the tenant: ConvertTo-ExchangeOnlineCommand' {
    BeforeAll {
        Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
        $null = New-OutboundConnector 'X' -RecipientDomains x.example -TlsValidationMode Mandatory
        $script:Odd = "O'Brien ‘Ltd’ `$(Get-Date) `"q`""
        $null = New-OutboundConnector $Odd -RecipientDomains o.example -SmtpDaneMode None -MtaStsMode None -TlsSettings DomainValidation -TlsDomain mx.o.example
    }

    It 'writes the exact Set-OutboundConnector command, never -TlsValidationMode' {
        Get-OutboundConnector X | ConvertTo-ExchangeOnlineCommand |
            Should -BeExactly "Set-OutboundConnector -Identity 'X' -SmtpDaneMode Mandatory -MtaStsMode Opportunistic"
        Get-OutboundConnector | ConvertTo-ExchangeOnlineCommand | Should -Not -Match 'TlsValidationMode'
    }

    It 'quotes any name so that the command passes it unchanged (run against a stand-in)' {
        $line = ConvertTo-ExchangeOnlineCommand $Odd -IncludeTlsSettings -Prefix Exo
        $line | Should -BeLike 'Set-ExoOutboundConnector *'
        $script:Got = $null
        function Set-ExoOutboundConnector { param($Identity, $SmtpDaneMode, $MtaStsMode, $TlsSettings, $TlsDomain) $script:Got = $PSBoundParameters }
        Invoke-Expression $line
        $Got.Identity | Should -BeExactly $Odd
        $Got.SmtpDaneMode | Should -Be 'None'
        $Got.MtaStsMode | Should -Be 'None'
        $Got.TlsSettings | Should -Be 'DomainValidation'
        $Got.TlsDomain | Should -Be 'mx.o.example'
    }

    It 'reports a missing connector and goes on' {
        $out = 'Nobody', 'X' | ConvertTo-ExchangeOnlineCommand -ErrorVariable errs -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'ConnectorNotFound*'
    }
}

Describe 'Beside ExchangeOnlineManagement' {
    BeforeAll {
        # A stand-in for the module Connect-ExchangeOnline imports: functions with the same names.
        $standIn = Join-Path $TestDrive 'ExoStandIn.psm1'
        Set-Content $standIn @'
function Get-OutboundConnector { [pscustomobject]@{ Side = 'tenant'; Command = 'Get' } }
function Set-OutboundConnector { param([Parameter(ValueFromRemainingArguments)] $Rest) [pscustomobject]@{ Side = 'tenant'; Command = 'Set' } }
function New-OutboundConnector { param([Parameter(ValueFromRemainingArguments)] $Rest) [pscustomobject]@{ Side = 'tenant'; Command = 'New' } }
function Remove-OutboundConnector { param([Parameter(ValueFromRemainingArguments)] $Rest) [pscustomobject]@{ Side = 'tenant'; Command = 'Remove' } }
function Validate-OutboundConnector { param([Parameter(ValueFromRemainingArguments)] $Rest) [pscustomobject]@{ Side = 'tenant'; Command = 'Validate' } }
'@
        $script:StandIn = $standIn
    }

    It 'with -Prefix Local prefixes every command, Validate-OutboundConnector included, and both sides are reached' {
        $script = Join-Path $TestDrive 'prefix.ps1'
        Set-Content $script @'
param($ModulePath, $StandIn, $Store)
$ErrorActionPreference = 'Stop'
$env:DANEMTASTS_STORE = $Store
$warnings = Import-Module $ModulePath -Prefix Local 3>&1
Import-Module $StandIn -DisableNameChecking
$local = New-LocalOutboundConnector 'P' -RecipientDomains p.example
$r = [ordered]@{
    Warnings        = @($warnings).Count
    Exported        = @(Get-Command -Module DaneMtaSts | ForEach-Object Name | Sort-Object)
    TenantGet       = (Get-OutboundConnector).Side
    TenantValidate  = (Validate-OutboundConnector P -Recipients a@p.example).Side
    LocalGet        = (Get-LocalOutboundConnector P).Name
    LocalValidate   = @(Validate-LocalOutboundConnector P -Recipients a@p.example -WhatIf).Count
    QualifiedGet    = (DaneMtaSts\Get-OutboundConnector P).Name
    QualifiedPrefixed = (DaneMtaSts\Get-LocalOutboundConnector P).Name
    ValidateAlias   = (Get-Command Validate-LocalOutboundConnector).Definition
}
[pscustomobject]$r | ConvertTo-Json -Compress
'@
        $p = Start-PwshChild -ScriptPath $script -ArgumentList @($env:DANEMTASTS_TEST_MODULE, $StandIn, (Join-Path $TestDrive 'prefix.json'))
        $stdout = $p.StandardOutput.ReadToEnd(); $stderr = $p.StandardError.ReadToEnd()
        $p.WaitForExit(120000) | Should -BeTrue
        $p.ExitCode | Should -Be 0 -Because $stderr
        $r = ($stdout -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1) | ConvertFrom-Json
        $r.Warnings | Should -Be 0
        $r.Exported | Should -Contain 'Validate-LocalOutboundConnector'
        $r.Exported | Should -Contain 'Get-LocalOutboundConnector'
        @($r.Exported | Where-Object { $_ -notlike '*-Local*' }) | Should -BeNullOrEmpty
        $r.TenantGet | Should -Be 'tenant'
        $r.TenantValidate | Should -Be 'tenant'
        $r.LocalGet | Should -Be 'P'
        $r.LocalValidate | Should -Be 0
        $r.QualifiedGet | Should -Be 'P'
        $r.QualifiedPrefixed | Should -Be 'P'
        $r.ValidateAlias | Should -Be 'Test-LocalOutboundConnector'
    }

    It 'without prefixes: the tenant''s functions shadow the cmdlets, and module-qualified names reach this module' {
        $script = Join-Path $TestDrive 'plain.ps1'
        Set-Content $script @'
param($ModulePath, $StandIn, $Store)
$ErrorActionPreference = 'Stop'
$env:DANEMTASTS_STORE = $Store
$warnings = Import-Module $ModulePath 3>&1
Import-Module $StandIn -DisableNameChecking
$null = DaneMtaSts\New-OutboundConnector 'Q' -RecipientDomains q.example
[pscustomobject]@{
    Warnings       = @($warnings).Count
    TenantGet      = (Get-OutboundConnector).Side
    TenantSet      = (Set-OutboundConnector Q -Enabled $false).Side
    QualifiedGet   = (DaneMtaSts\Get-OutboundConnector Q).Name
    QualifiedValidate = @(DaneMtaSts\Validate-OutboundConnector Q -Recipients a@q.example -WhatIf).Count
    QualifiedTest  = @(DaneMtaSts\Test-OutboundConnector Q -Recipients a@q.example -WhatIf).Count
    Enabled        = (DaneMtaSts\Get-OutboundConnector Q).Enabled
} | ConvertTo-Json -Compress
'@
        $p = Start-PwshChild -ScriptPath $script -ArgumentList @($env:DANEMTASTS_TEST_MODULE, $StandIn, (Join-Path $TestDrive 'plain.json'))
        $stdout = $p.StandardOutput.ReadToEnd(); $stderr = $p.StandardError.ReadToEnd()
        $p.WaitForExit(120000) | Should -BeTrue
        $p.ExitCode | Should -Be 0 -Because $stderr
        $r = ($stdout -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1) | ConvertFrom-Json
        $r.Warnings | Should -Be 0
        $r.TenantGet | Should -Be 'tenant'
        $r.TenantSet | Should -Be 'tenant'
        $r.QualifiedGet | Should -Be 'Q'
        $r.QualifiedValidate | Should -Be 0
        $r.QualifiedTest | Should -Be 0
        # The unqualified Set- went to the tenant: the local connector is unchanged.
        $r.Enabled | Should -BeTrue
    }
}
