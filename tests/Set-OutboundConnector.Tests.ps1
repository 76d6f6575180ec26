BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
    $script:Cmd = 'DaneMtaSts.Module.Commands.SetOutboundConnectorCommand'
}

Describe 'Set-OutboundConnector' {
    BeforeEach {
        Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
        $script:Contoso = New-OutboundConnector 'Contoso Partner' -RecipientDomains contoso.com -Comment 'keep me'
        $script:Fabrikam = New-OutboundConnector 'Fabrikam' -RecipientDomains fabrikam.com
    }

    It 'switches to Mandatory by name (case-insensitive, position 0) and changes nothing else' {
        Set-OutboundConnector 'contoso partner' -TlsValidationMode Mandatory | Should -BeNullOrEmpty
        $c = Get-OutboundConnector 'Contoso Partner'
        $c.SmtpDaneMode | Should -Be 'Mandatory'
        $c.MtaStsMode | Should -Be 'Opportunistic'
        $c.TlsValidationMode | Should -Be 'Mandatory'
        $c.Comment | Should -Be 'keep me'
        $c.RecipientDomains | Should -Be @('contoso.com')
        $c.WhenCreatedUTC | Should -Be $Contoso.WhenCreatedUTC
        $c.WhenChangedUTC | Should -BeGreaterOrEqual $Contoso.WhenChangedUTC
        (Get-OutboundConnector 'Contoso Partner' | Format-List | Out-String) | Should -Match 'SmtpDaneMode\s+: Mandatory'
    }

    It 'reports Custom when the modes match no shorthand' {
        Set-OutboundConnector 'Contoso Partner' -SmtpDaneMode Mandatory -MtaStsMode None -PassThru |
            ForEach-Object TlsValidationMode | Should -Be 'Custom'
    }

    It 'binds -Identity from a GUID, a GUID string and a piped connector' {
        Set-OutboundConnector -Identity $Contoso.Guid -Enabled $false
        (Get-OutboundConnector $Contoso.Guid).Enabled | Should -BeFalse
        Set-OutboundConnector -Identity $Contoso.Guid.ToString() -Enabled $true
        (Get-OutboundConnector $Contoso.Guid.ToString()).Enabled | Should -BeTrue
        Get-OutboundConnector | Set-OutboundConnector -Enabled $false
        @(Get-OutboundConnector | Where-Object Enabled).Count | Should -Be 0
    }

    It 'renames with -Name and refuses a name in use' {
        Set-OutboundConnector Fabrikam -Name 'Fabrikam 2' -PassThru | ForEach-Object Name | Should -Be 'Fabrikam 2'
        $err = $null
        try { Set-OutboundConnector 'Fabrikam 2' -Name 'CONTOSO PARTNER' } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "ConnectorAlreadyExists,$Cmd"
    }

    It 'validates the whole connector after the change and writes nothing on failure (<Id>)' -ForEach @(
        @{ Id = 'SmartHostsWithMXRecord'; Params = @{ SmartHosts = 'relay.contoso.com' } }
        @{ Id = 'SmartHostsRequired'; Params = @{ UseMXRecord = $false } }
        @{ Id = 'RecipientDomainsRequired'; Params = @{ RecipientDomains = $null } }
        @{ Id = 'TransportRuleScopedWithRecipientDomains'; Params = @{ IsTransportRuleScoped = $true } }
        @{ Id = 'DomainValidationRequiresTlsDomain'; Params = @{ TlsSettings = 'DomainValidation' } }
        @{ Id = 'TlsDomainRequiresDomainValidation'; Params = @{ TlsDomain = 'mx.contoso.com' } }
        @{ Id = 'OnPremisesConnectorRequired'; Params = @{ SenderRewritingEnabled = $true } }
        @{ Id = 'TlsValidationModeConflict'; Params = @{ TlsValidationMode = 'Mandatory'; MtaStsMode = 'None' } }
        @{ Id = 'InvalidValidationRecipient'; Params = @{ ValidationRecipients = 'not-an-address' } }
    ) {
        $before = Get-FileHash $env:DANEMTASTS_STORE
        $err = $null
        try { Set-OutboundConnector 'Contoso Partner' @Params } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "$Id,$Cmd"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be 'Contoso Partner'
        (Get-FileHash $env:DANEMTASTS_STORE).Hash | Should -Be $before.Hash
    }

    It 'accepts a change that is only valid as a whole (UseMXRecord off together with smart hosts)' {
        $c = Set-OutboundConnector 'Contoso Partner' -UseMXRecord $false -SmartHosts relay.contoso.com -PassThru
        $c.SmartHosts | Should -Be @('relay.contoso.com')
    }

    It 'writes a non-terminating ConnectorNotFound and carries on' {
        $out = Set-OutboundConnector 'Nobody' -Enabled $false -ErrorVariable errs -ErrorAction SilentlyContinue; 'after'
        $errs[0].FullyQualifiedErrorId | Should -Be "ConnectorNotFound,$Cmd"
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0].TargetObject | Should -Be 'Nobody'
    }

    It 'writes nothing with -WhatIf' {
        $before = Get-FileHash $env:DANEMTASTS_STORE
        Set-OutboundConnector 'Contoso Partner' -TlsValidationMode None -WhatIf
        (Get-FileHash $env:DANEMTASTS_STORE).Hash | Should -Be $before.Hash
    }

    It 'sets validation bookkeeping in UTC' {
        $when = [datetime]::new(2026, 3, 10, 9, 30, 0, [DateTimeKind]::Utc)
        $c = Set-OutboundConnector 'Contoso Partner' -ValidationRecipients 'postmaster@Contoso.com' -IsValidated $true -LastValidationTimestamp $when -PassThru
        $c.IsValidated | Should -BeTrue
        $c.LastValidationTimestamp | Should -Be $when
        $c.ValidationRecipients | Should -Be @('postmaster@contoso.com')
    }

    It 'completes -Identity with connector names, quoted when needed' {
        $r = TabExpansion2 -inputScript 'Set-OutboundConnector Con' -cursorColumn 25
        $r.CompletionMatches.CompletionText | Should -Be @("'Contoso Partner'")
        $r = TabExpansion2 -inputScript 'Set-OutboundConnector -Identity f' -cursorColumn 33
        $r.CompletionMatches.CompletionText | Should -Be @('Fabrikam')
    }
}
