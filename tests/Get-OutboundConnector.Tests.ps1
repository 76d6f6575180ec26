BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
    $script:Cmd = 'DaneMtaSts.Module.Commands.GetOutboundConnectorCommand'
}

Describe 'Get-OutboundConnector' {
    BeforeAll {
        Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
        New-OutboundConnector 'Alpha' -RecipientDomains alpha.example | Out-Null
        New-OutboundConnector 'Beta' -RecipientDomains beta.example -TestMode $true | Out-Null
        New-OutboundConnector 'Scoped' -IsTransportRuleScoped $true | Out-Null
    }

    It 'returns an empty result from a missing store' {
        $env:DANEMTASTS_STORE = Join-Path $TestDrive 'missing/store.json'
        try { Get-OutboundConnector | Should -BeNullOrEmpty } finally { $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json' }
    }

    It 'returns every connector in creation order' {
        (Get-OutboundConnector).Name | Should -Be @('Alpha', 'Beta', 'Scoped')
    }

    It 'finds by name, GUID and wildcard' {
        (Get-OutboundConnector 'ALPHA').Name | Should -Be 'Alpha'
        $beta = Get-OutboundConnector -Identity Beta
        (Get-OutboundConnector $beta.Guid).Name | Should -Be 'Beta'
        (Get-OutboundConnector '*a').Name | Should -Be @('Alpha', 'Beta')
        Get-OutboundConnector 'Z*' | Should -BeNullOrEmpty
    }

    It 'takes identities from the pipeline' {
        ('Alpha', 'Scoped' | Get-OutboundConnector).Name | Should -Be @('Alpha', 'Scoped')
        (Get-OutboundConnector Beta | Get-OutboundConnector).Name | Should -Be 'Beta'
    }

    It 'writes a non-terminating ConnectorNotFound for a missing identity' {
        $out = 'Nobody', 'Alpha' | Get-OutboundConnector -ErrorVariable errs -ErrorAction SilentlyContinue
        $out.Name | Should -Be 'Alpha'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be "ConnectorNotFound,$Cmd"
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0].TargetObject | Should -Be 'Nobody'
    }

    It 'filters on test mode and transport-rule scope' {
        (Get-OutboundConnector -IncludeTestModeConnectors $true).Name | Should -Be 'Beta'
        (Get-OutboundConnector -IncludeTestModeConnectors $false).Name | Should -Be @('Alpha', 'Scoped')
        (Get-OutboundConnector -IsTransportRuleScoped $true).Name | Should -Be 'Scoped'
        (Get-OutboundConnector -IsTransportRuleScoped $false).Name | Should -Be @('Alpha', 'Beta')
    }

    It 'limits with -ResultSize and warns when truncated' {
        $r = Get-OutboundConnector -ResultSize 2 -WarningVariable warn -WarningAction SilentlyContinue
        $r.Count | Should -Be 2
        $warn.Count | Should -Be 1
        $warn[0].Message | Should -BeLike '*ResultSize*'
        (Get-OutboundConnector -ResultSize Unlimited -WarningVariable w2).Count | Should -Be 3
        $w2.Count | Should -Be 0
        { Get-OutboundConnector -ResultSize 0 } | Should -Throw -ErrorId "CannotConvertArgumentNoMessage,$Cmd"
        { Get-OutboundConnector -ResultSize lots } | Should -Throw -ErrorId "CannotConvertArgumentNoMessage,$Cmd"
    }

    It 'warns at the default of 1000' {
        $env:DANEMTASTS_STORE = Join-Path $TestDrive 'big.json'
        try {
            $connectors = 1..1001 | ForEach-Object { [ordered]@{ Name = "C$_"; Guid = [guid]::NewGuid(); RecipientDomains = @("c$_.example") } }
            @{ SchemaVersion = 1; Connectors = @($connectors); MtaStsPolicies = @() } | ConvertTo-Json -Depth 5 | Set-Content $env:DANEMTASTS_STORE
            $r = Get-OutboundConnector -WarningVariable warn -WarningAction SilentlyContinue
            $r.Count | Should -Be 1000
            $warn[0].Message | Should -BeLike '*first 1000*'
        }
        finally { $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json' }
    }

    It 'shows the table view columns and the list view order' {
        $table = Get-OutboundConnector Alpha | Format-Table | Out-String -Width 200
        $table | Should -Match 'Name\s+Enabled\s+RecipientDomains\s+SmtpDaneMode\s+MtaStsMode'
        $list = (Get-OutboundConnector Alpha | Format-List | Out-String -Width 200) -split "`n" | Where-Object { $_ -match ':' } | ForEach-Object { ($_ -split ':')[0].Trim() }
        $list[0] | Should -Be 'Enabled'
        $list[-1] | Should -Be 'TlsValidationMode'
        $list.Count | Should -Be 27
    }

    It 'reports a newer schema with StoreSchemaTooNew and leaves the file alone' {
        $env:DANEMTASTS_STORE = Join-Path $TestDrive 'future.json'
        try {
            Set-Content $env:DANEMTASTS_STORE '{"SchemaVersion": 99, "Connectors": []}' -NoNewline
            $err = $null
            try { Get-OutboundConnector } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be "StoreSchemaTooNew,$Cmd"
            Get-Content $env:DANEMTASTS_STORE -Raw | Should -Be '{"SchemaVersion": 99, "Connectors": []}'
        }
        finally { $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json' }
    }
}
