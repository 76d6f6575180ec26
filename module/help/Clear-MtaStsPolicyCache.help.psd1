@{
    Synopsis     = 'Forgets cached MTA-STS policies (all, or those of the given domains).'
    Description  = @'
Clear-MtaStsPolicyCache removes entries from the MTA-STS policy cache file beside the connector store (see Get-MtaStsPolicyCache). Use it when a partner withdrew or replaced its policy and you want the next dry run to judge only what the partner publishes now; a sending server such as Exchange Online keeps its own cache until the policy expires, so a cleared cache can make a dry run more optimistic than Exchange Online for up to max_age.

The connector store is not touched. Nothing matched is nothing to do; -WhatIf shows what would be removed.
'@
    Parameters   = @{
        Domain   = 'The policy domains to forget: names in any form (IDN or A-label) or wildcards. Default: every cached policy.'
        PassThru = 'Writes the removed entries to the pipeline.'
    }
    Examples     = @(
        @{
            Code    = 'Clear-MtaStsPolicyCache contoso.com'
            Remarks = 'Forgets the cached policy of contoso.com.'
        }
        @{
            Code    = 'Clear-MtaStsPolicyCache -WhatIf'
            Remarks = 'Shows how many cached policies would be removed, and of which domains, without removing them.'
        }
    )
    Inputs       = @(
        @{ Type = 'System.String'; Description = 'Domain names or wildcards, bound to -Domain.' }
    )
    Outputs      = @(
        @{ Type = 'None'; Description = 'By default nothing.' }
        @{ Type = 'DaneMtaSts.Engine.MtaSts.MtaStsCachedPolicy'; Description = 'With -PassThru, the removed entries.' }
    )
    Notes        = 'A cache file that cannot be written is reported as a warning.'
    RelatedLinks = @('Get-MtaStsPolicyCache')
}
