# What can be piped into Test-OutboundTlsPolicy (docs/exchange-online.md#round-trip): connectors bind to -Connector, rows
# with RecipientAddress/Recipients/Domain/RecipientDomain bind -Domain, addresses are reduced to
# their domain and each domain is tested once. Offline: DNS fails at once, so every result is a
# fail-closed verdict, which is enough to see what was tested and how.
BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    # A resolver that answers SERVFAIL to everything: every lookup fails at once (a resolver that
    # does not answer at all stops the call as DnsServerUnavailable).
    $script:ServfailDns = Start-ServfailDns
    $script:Offline = @{ DnsServer = $ServfailDns.EndPoint; TimeoutSec = 1; WarningAction = 'SilentlyContinue' }
}

AfterAll {
    $ServfailDns.Dispose()
}

Describe 'Pipelines into Test-OutboundTlsPolicy' {
    BeforeAll {
        $null = New-OutboundConnector 'Strict' -RecipientDomains strict-a.example, strict-b.example -TlsValidationMode Mandatory
        $null = New-OutboundConnector 'Loose' -RecipientDomains loose.example -TlsValidationMode None
    }

    It 'binds a piped connector to -Connector: its recipient domains, with its modes, never its name as a domain' {
        $r = Get-OutboundConnector Strict | Test-OutboundTlsPolicy @Offline
        @($r.Domain) | Should -Be @('strict-a.example', 'strict-b.example')
        @($r | Where-Object SmtpDaneMode -ne 'Mandatory') | Should -BeNullOrEmpty
        @($r.Connector | Select-Object -Unique) | Should -Be @('Strict')
    }

    It 'judges each piped connector with its own modes' {
        $r = Get-OutboundConnector | Test-OutboundTlsPolicy @Offline
        ($r | Where-Object Domain -eq 'loose.example').TlsValidationMode | Should -Be 'None'
        ($r | Where-Object Domain -eq 'strict-a.example').TlsValidationMode | Should -Be 'Mandatory'
        @($r).Count | Should -Be 3
    }

    It 'reads message-trace rows (RecipientAddress), reduces addresses to domains and tests each domain once' {
        $csv = Join-Path $TestDrive 'trace.csv'
        @(
            [pscustomobject]@{ Received = '2026-12-01'; SenderAddress = 'me@fabrikam.example'; RecipientAddress = 'a@Contoso.example'; Status = 'Delivered' }
            [pscustomobject]@{ Received = '2026-12-01'; SenderAddress = 'me@fabrikam.example'; RecipientAddress = 'b@contoso.example'; Status = 'Delivered' }
            [pscustomobject]@{ Received = '2026-12-01'; SenderAddress = 'me@fabrikam.example'; RecipientAddress = 'c@woodgrove.example'; Status = 'Delivered' }
        ) | Export-Csv $csv
        $r = Import-Csv $csv | Test-OutboundTlsPolicy @Offline
        @($r.Domain) | Should -Be @('contoso.example', 'woodgrove.example')
    }

    It 'reads Recipients (a list in one cell), Domain and RecipientDomain columns' -ForEach @(
        @{ Row = [pscustomobject]@{ Recipients = 'x@one.example; y@two.example;x2@one.example' }; Expect = @('one.example', 'two.example') }
        @{ Row = [pscustomobject]@{ Recipients = @('x@one.example', 'y@two.example') }; Expect = @('one.example', 'two.example') }
        @{ Row = [pscustomobject]@{ Domain = 'three.example' }; Expect = @('three.example') }
        @{ Row = [pscustomobject]@{ RecipientDomain = 'Four.Example' }; Expect = @('four.example') }
    ) {
        @(($Row | Test-OutboundTlsPolicy @Offline).Domain) | Should -Be $Expect
    }

    It 'tests duplicates once across piped strings and addresses' {
        $r = 'five.example', 'postmaster@five.example', 'FIVE.example', 'six.example' | Test-OutboundTlsPolicy @Offline
        @($r.Domain) | Should -Be @('five.example', 'six.example')
    }

    It 'reports a row without a domain column as an error and goes on' {
        $r = [pscustomobject]@{ Name = 'nothing here' }, 'seven.example' | Test-OutboundTlsPolicy @Offline -ErrorVariable errs -ErrorAction SilentlyContinue
        @($r.Domain) | Should -Be @('seven.example')
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'NoDomainInInput*'
    }
}
