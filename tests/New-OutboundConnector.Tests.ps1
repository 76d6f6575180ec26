BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
    $script:Cmd = 'DaneMtaSts.Module.Commands.NewOutboundConnectorCommand'
}

Describe 'New-OutboundConnector' {
    BeforeEach {
        Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
    }

    It 'creates a connector with Exchange Online defaults, the name at position 0, and outputs it' {
        $c = New-OutboundConnector 'Contoso' -RecipientDomains 'Contoso.COM.', 'bücher.example'
        $c.Name | Should -Be 'Contoso'
        $c.PSObject.TypeNames[0] | Should -Be 'DaneMtaSts.OutboundConnector'
        $c.RecipientDomains | Should -Be @('contoso.com', 'xn--bcher-kva.example')
        $c.Enabled | Should -BeTrue
        $c.UseMXRecord | Should -BeTrue
        $c.ConnectorType | Should -Be ([DaneMtaSts.ConnectorType]::Partner)
        $c.SmtpDaneMode | Should -Be ([DaneMtaSts.SmtpDaneMode]::Opportunistic)
        $c.MtaStsMode | Should -Be ([DaneMtaSts.MtaStsMode]::Opportunistic)
        $c.TlsValidationMode | Should -Be ([DaneMtaSts.TlsValidationMode]::Opportunistic)
        $c.WhenCreatedUTC.Kind | Should -Be 'Utc'
        @(Get-OutboundConnector).Count | Should -Be 1
    }

    # The three lists lead (instance properties, docs/exchange-online.md#exports); the rest keep
    # Exchange Online's order, and Format-List shows every one in that order.
    It 'lists properties in Exchange Online order followed by TlsValidationMode' {
        $c = New-OutboundConnector 'Order' -RecipientDomains contoso.com
        $names = @($c.PSObject.Properties.Name)
        $names[0..2] | Should -Be 'RecipientDomains', 'SmartHosts', 'ValidationRecipients'
        $names | Should -HaveCount (@($names | Select-Object -Unique).Count)
        $names[3] | Should -Be 'Enabled'
        $listed = ($c | Format-List | Out-String -Width 200) -split "`n" | Where-Object { $_ -match '^\s*(\w+)\s*:' } | ForEach-Object { $Matches[1] }
        $listed[0] | Should -Be 'Enabled'
        [array]::IndexOf($listed, 'RecipientDomains') | Should -BeLessThan ([array]::IndexOf($listed, 'SmartHosts'))
        [array]::IndexOf($listed, 'SmartHosts') | Should -BeLessThan ([array]::IndexOf($listed, 'TlsDomain'))
        $names[-1] | Should -Be 'TlsValidationMode'
        [array]::IndexOf($names, 'MtaStsMode') | Should -BeLessThan ([array]::IndexOf($names, 'SmtpDaneMode'))
        [array]::IndexOf($names, 'Name') | Should -BeLessThan ([array]::IndexOf($names, 'Guid'))
    }

    It 'sets both modes with -TlsValidationMode Mandatory' {
        $c = New-OutboundConnector 'Mandatory' -RecipientDomains contoso.com -TlsValidationMode Mandatory
        $c.SmtpDaneMode | Should -Be 'Mandatory'
        $c.MtaStsMode | Should -Be 'Opportunistic'
    }

    It 'fails with <Id> and writes nothing' -ForEach @(
        @{ Id = 'TlsValidationModeConflict'; Params = @{ RecipientDomains = 'contoso.com'; TlsValidationMode = 'None'; SmtpDaneMode = 'None' } }
        @{ Id = 'RecipientDomainsRequired'; Params = @{} }
        @{ Id = 'TransportRuleScopedWithRecipientDomains'; Params = @{ RecipientDomains = 'contoso.com'; IsTransportRuleScoped = $true } }
        @{ Id = 'TlsDomainRequiresDomainValidation'; Params = @{ RecipientDomains = 'contoso.com'; TlsDomain = 'mx.contoso.com' } }
        @{ Id = 'DomainValidationRequiresTlsDomain'; Params = @{ RecipientDomains = 'contoso.com'; TlsSettings = 'DomainValidation' } }
        @{ Id = 'SmartHostsWithMXRecord'; Params = @{ RecipientDomains = 'contoso.com'; SmartHosts = 'relay.contoso.com' } }
        @{ Id = 'SmartHostsRequired'; Params = @{ RecipientDomains = 'contoso.com'; UseMXRecord = $false } }
        @{ Id = 'OnPremisesConnectorRequired'; Params = @{ RecipientDomains = 'contoso.com'; RouteAllMessagesViaOnPremises = $true } }
        @{ Id = 'InvalidRecipientDomain'; Params = @{ RecipientDomains = 'mail.*.contoso.com' } }
        @{ Id = 'InvalidSmartHost'; Params = @{ RecipientDomains = 'contoso.com'; UseMXRecord = $false; SmartHosts = 'relay.contoso.com:2525' } }
        @{ Id = 'InvalidTlsDomain'; Params = @{ RecipientDomains = 'contoso.com'; TlsSettings = 'DomainValidation'; TlsDomain = '*' } }
        @{ Id = 'CommentTooLong'; Params = @{ RecipientDomains = 'contoso.com'; Comment = ('x' * 1025) } }
        @{ Id = 'InvalidConnectorName'; Params = @{ RecipientDomains = 'contoso.com'; Name = ('n' * 65) } }
    ) {
        $p = @{ Name = 'Broken' }
        foreach ($k in $Params.Keys) { $p[$k] = $Params[$k] }
        $err = $null
        try { New-OutboundConnector @p } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "$Id,$Cmd"
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.TargetObject | Should -Be $p.Name
        Test-Path $env:DANEMTASTS_STORE | Should -BeFalse
    }

    It 'rejects -TlsValidationMode Custom at binding' {
        { New-OutboundConnector 'Custom' -RecipientDomains contoso.com -TlsValidationMode Custom } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,DaneMtaSts.Module.Commands.NewOutboundConnectorCommand'
    }

    It 'rejects MtaStsMode Mandatory, which does not exist' {
        { New-OutboundConnector 'Sts' -RecipientDomains contoso.com -MtaStsMode Mandatory } |
            Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,DaneMtaSts.Module.Commands.NewOutboundConnectorCommand'
    }

    It 'refuses a duplicate name regardless of case with ConnectorAlreadyExists' {
        New-OutboundConnector 'Contoso' -RecipientDomains contoso.com | Out-Null
        $err = $null
        try { New-OutboundConnector 'CONTOSO' -RecipientDomains fabrikam.com } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "ConnectorAlreadyExists,$Cmd"
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        @(Get-OutboundConnector).Count | Should -Be 1
    }

    It 'writes nothing with -WhatIf' {
        New-OutboundConnector 'WhatIf' -RecipientDomains contoso.com -WhatIf | Should -BeNullOrEmpty
        Test-Path $env:DANEMTASTS_STORE | Should -BeFalse
    }

    It 'reports a broken rule even with -WhatIf' {
        Get-ThrownErrorId { New-OutboundConnector 'WhatIf' -UseMXRecord $false -RecipientDomains contoso.com -WhatIf } |
            Should -Be "SmartHostsRequired,$Cmd"
    }

    It 'accepts OnPremises hybrid settings, smart hosts and CIDR ranges' {
        $c = New-OutboundConnector 'Hybrid' -ConnectorType OnPremises -AllAcceptedDomains $true -RouteAllMessagesViaOnPremises $true `
            -UseMXRecord $false -SmartHosts 'Mail.Contoso.com.', '192.0.2.10', '2001:db8::/32' -TlsSettings DomainValidation -TlsDomain '*.contoso.com'
        $c.SmartHosts | Should -Be @('mail.contoso.com', '192.0.2.10', '2001:db8::/32')
        $c.TlsDomain | Should -Be '*.contoso.com'
    }

    It 'reports a corrupt store with StoreCorrupt and leaves the file as it is' {
        Set-Content -LiteralPath $env:DANEMTASTS_STORE -Value '{ not json' -NoNewline
        $before = Get-FileHash $env:DANEMTASTS_STORE
        $err = $null
        try { New-OutboundConnector 'Contoso' -RecipientDomains contoso.com } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be "StoreCorrupt,$Cmd"
        $err.CategoryInfo.Category | Should -Be 'ReadError'
        $err.Exception.Message | Should -BeLike "*$env:DANEMTASTS_STORE*"
        (Get-FileHash $env:DANEMTASTS_STORE).Hash | Should -Be $before.Hash
    }

    It 'creates the store readable by its owner only' -Skip:$IsWindows {
        New-OutboundConnector 'Private' -RecipientDomains contoso.com | Out-Null
        (Get-Item $env:DANEMTASTS_STORE).UnixFileMode | Should -Be ([System.IO.UnixFileMode] 'UserRead, UserWrite')
    }

    It 'declares its output type' {
        (Get-Command New-OutboundConnector).OutputType.Name | Should -Be 'DaneMtaSts.Engine.Connectors.OutboundConnector'
    }
}
