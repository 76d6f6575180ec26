# The default views at the default 80 columns: what matters must be on screen.
BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'StallingServers.psm1') -Force
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

    It 'shows Domain, the mode, Outcome, StatusCode, Security and MxHost of results' {
        # A resolver that knows the MX host, so that results name it; no probe is made. MxHost gets
        # the 13 columns left of 80 (a longer name wraps within its column).
        $dns = New-StaticDns
        try {
            $dns.AddMx('contoso.example', 'mx1.conto.so'); $dns.AddA('mx1.conto.so', '127.0.0.1')
            $r = Test-OutboundTlsPolicy contoso.example -TlsValidationMode Opportunistic, Mandatory -DnsServer $dns.EndPoint -DnssecValidation Resolver -SkipSmtpProbe -WarningAction SilentlyContinue
        }
        finally { $dns.Dispose() }
        $r | Should -HaveCount 2
        $text = $r | Out-String -Width 80
        $header = ($text -split "`n" | Where-Object { $_ -match '\S' } | Select-Object -First 1)
        foreach ($column in 'Domain', 'Mode', 'Outcome', 'StatusCode', 'Security', 'MxHost') {
            $header | Should -Match "\b$column\b"
        }
        $text | Should -Match "contoso\.example\s+Opportunistic\s+$($r[0].Outcome)\s+mx1\.conto\.so"
        $text | Should -Match "contoso\.example\s+Mandatory\s+$($r[1].Outcome)\s+$([regex]::Escape($r[1].StatusCode))\s+mx1\.conto\.so"
        ($text -split "`n" | Where-Object { $_.TrimEnd().Length -gt 80 }) | Should -BeNullOrEmpty
        # Format-List says where the MTA-STS policy came from (docs/verdicts.md#mta-sts-cache): none published here.
        ($r[0] | Format-List | Out-String -Width 120) | Should -Match '(?m)^MtaStsPolicySource\s*:\s*None'
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
