<#
    A Pester suite an admin drops into CI: every partner in the list must be delivered with
    SMTP DANE under Mandatory. Failures name Exchange Online's status code and the reason.

    Run:  Invoke-Pester ./PartnerTls.Tests.ps1
    Configure with environment variables (handy in CI):
      PARTNER_DOMAINS             comma-separated domains (default: the list below)
      PARTNER_DNS_SERVER          a validating resolver, IP or IP:port (default: the system's)
      PARTNER_TRUSTED_ROOT        a PEM file of extra trusted roots (private PKI)
      PARTNER_SMTP_PROXY          socks5://host:port when the CI runner cannot reach port 25
    An Indeterminate verdict (the runner could not find out, e.g. port 25 blocked) fails the test:
    a CI gate must not pass on what it did not see.
#>
BeforeDiscovery {
    $domains = if ($env:PARTNER_DOMAINS) { $env:PARTNER_DOMAINS -split '\s*,\s*' } else { @('contoso.com', 'fabrikam.com') }
    $script:Partners = @($domains | Where-Object { $_ } | ForEach-Object { @{ Domain = $_ } })
}

BeforeAll {
    Import-Module DaneMtaSts -ErrorAction Stop
    $script:Network = @{ TimeoutSec = 15; WarningAction = 'SilentlyContinue' }
    if ($env:PARTNER_DNS_SERVER) { $Network.DnsServer = $env:PARTNER_DNS_SERVER }
    if ($env:PARTNER_TRUSTED_ROOT) { $Network.TrustedRootCertificate = $env:PARTNER_TRUSTED_ROOT }
    if ($env:PARTNER_SMTP_PROXY) { $Network.SmtpProxy = $env:PARTNER_SMTP_PROXY }
}

Describe 'Partner <Domain>' -ForEach $Partners {
    BeforeAll {
        $script:Result = Test-OutboundTlsPolicy -Domain $Domain -TlsValidationMode Mandatory @Network
    }

    It 'could be judged from here (not Indeterminate)' {
        $Result.Outcome | Should -Not -Be 'Indeterminate' -Because "$($Result.Kind): $($Result.Reason)"
    }

    It 'is delivered under Mandatory' {
        $because = "$($Result.Kind) $($Result.StatusCode) $($Result.StatusText): $($Result.Reason)"
        $Result.Outcome | Should -Be 'Deliver' -Because $because
    }

    It 'is protected by SMTP DANE' {
        $Result.Security | Should -Be 'Dane' -Because $Result.Reason
    }
}
