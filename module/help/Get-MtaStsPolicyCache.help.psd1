@{
    Synopsis     = 'Shows the MTA-STS policies cached beside the connector store.'
    Description  = @'
Test-OutboundTlsPolicy and Validate-OutboundConnector keep the MTA-STS policies they fetch (RFC 8461 §5.1) in a cache file of their own beside the connector store: "<store name>.mta-sts-cache.json" in the store's folder ($env:DANEMTASTS_STORE, else the per-user data folder). A cached, unexpired policy is used when a later run cannot fetch the policy (the DNS record vanished, the HTTPS fetch failed), exactly as a sending server would; a result whose MTA-STS policy came from this cache says so (MtaStsPolicySource Cached).

Get-MtaStsPolicyCache reads the file as it is now and writes one object per cached policy: Domain, Id (the TXT record id it was fetched under), FetchedUtc, ExpiresUtc and the PolicyText as fetched. Test-DaneCertificate -MtaStsPolicy $entry.PolicyText shows what the policy decides for a certificate. A cache file that cannot be read is a warning, not an error.
'@
    Parameters   = @{
        Domain = 'The policy domains to show: names in any form (IDN or A-label) or wildcards. Default: every cached policy.'
    }
    Examples     = @(
        @{
            Code    = 'Get-MtaStsPolicyCache'
            Remarks = 'Lists every cached policy with its id and expiry.'
        }
        @{
            Code    = 'Get-MtaStsPolicyCache contoso.com | Select-Object -ExpandProperty PolicyText'
            Remarks = 'Shows the cached policy text of contoso.com.'
        }
    )
    Inputs       = @(
        @{ Type = 'System.String'; Description = 'Domain names or wildcards, bound to -Domain.' }
    )
    Outputs      = @(
        @{ Type = 'DaneMtaSts.Engine.MtaSts.MtaStsCachedPolicy'; Description = 'One cached policy: Domain, Id, PolicyText, FetchedUtc, ExpiresUtc.' }
    )
    Notes        = 'The cache never makes a dry run fail: unreadable or unwritable, it is reported as a warning and the run goes on without it.'
    RelatedLinks = @('Clear-MtaStsPolicyCache', 'Test-OutboundTlsPolicy')
}
