@{
    Synopsis     = 'Checks a certificate chain file against TLSA records and/or an MTA-STS policy, offline: a certificate or TLSA rollover checked before it happens.'
    Description  = @'
Test-DaneCertificate applies the rules Test-OutboundTlsPolicy uses to a certificate chain you have in a file (PEM with one or more certificates, leaf first, or DER) instead of one served by a live server, with no network at all. The chain, the records and the policy become the evidence of one MX host that served that chain, and the dry run's own verdict engine judges it: the result carries those verdicts (DaneVerdict, MtaStsVerdict, and for a testing policy MtaStsEnforceVerdict), and every other property is read from them.

With -TlsaRecord it checks the chain as SMTP DANE (RFC 7672) would under TlsValidationMode Mandatory, taking the records as a DNSSEC-secure TLSA RRset of -HostName: which records are usable, digest agility, DANE-EE and DANE-TA matching, the DANE-TA name check against -HostName (and -RecipientDomain), and dates for DANE-TA at -AsOf. A failure gives the Exchange Online code a Mandatory connector would queue with (4.7.322, 4.7.323 or 4.7.325); StopsMatchingOn says when a DANE-TA match ends.

With -MtaStsPolicy it checks the chain as the policy would under MtaStsMode Opportunistic with DANE off: -HostName must match one of the policy's mx patterns (else 4.4.8) and the chain must be WebPKI-valid for -HostName itself (else 4.7.5). A testing policy is also judged as if it were enforce: MtaStsPassed and MtaStsStatusCode say what enforce would do, while Passed follows the policy as given (testing never queues).

Typical uses: publish the TLSA record for a new key before deploying its certificate, and check both the old and the new certificate against the planned TLSA set; check that a renewed certificate still matches a 2 1 1 record of the issuing CA; see what breaks on the day a certificate expires with -AsOf.
'@
    Parameters   = @{
        CertificatePath        = 'The certificate chain to judge: a PEM file (certificates in server order, leaf first; other PEM blocks such as keys are ignored) or a DER file.'
        HostName               = 'The MX host name that will serve the chain: the TLSA base name for DANE, and the name the certificate must be valid for under MTA-STS.'
        TlsaRecord             = 'TLSA records in presentation form, one per string or several lines in one string: "3 1 1 <hex>", or as dig prints them ("_25._tcp.mx.example.com. 300 IN TLSA 2 1 1 <hex>").'
        MtaStsPolicy           = 'The text of an MTA-STS policy (the body of mta-sts.txt), for example (Get-Content mta-sts.txt -Raw).'
        RecipientDomain        = 'The recipient domain, accepted as an extra name in the DANE-TA name check (RFC 7672 section 3.2.2).'
        TrustedRootCertificate = 'PEM or DER files of roots added to the system roots for the MTA-STS WebPKI check.'
        AsOf                   = @{ Description = 'Judge every date at this time.'; Default = 'now' }
        Quiet                  = 'Return $true or $false (every requested check passes) instead of the result object.'
    }
    Examples     = @(
        @{
            Code    = 'Test-DaneCertificate ./new-mx.pem -HostName mx.contoso.com -TlsaRecord (Resolve-DnsName _25._tcp.mx.contoso.com -Type TLSA | ForEach-Object { "$($_.CertificateUsage) $($_.Selector) $($_.MatchingType) $($_.CertificateAssociationData)" })'
            Remarks = 'Before deploying a new certificate, checks that the TLSA records published today already match it.'
        }
        @{
            Code    = 'Test-DaneCertificate ./mx.pem -HostName mx.contoso.com -TlsaRecord ''2 1 1 8F…'' -AsOf (Get-Date).AddDays(30) | Format-List Passed, DaneStatusCode, StopsMatchingOn, Reason'
            Remarks = 'Shows whether a DANE-TA match still holds in 30 days, and the day it stops.'
        }
        @{
            Code    = 'Test-DaneCertificate ./mx.pem -HostName mx1.contoso.com -MtaStsPolicy (Get-Content ./mta-sts.txt -Raw) -Quiet'
            Remarks = 'Checks that the certificate satisfies the MTA-STS policy you are about to publish.'
        }
    )
    Inputs       = @(
        @{ Type = 'System.String'; Description = 'A certificate file path, bound by the property names CertificatePath, Path or FullName (for example from Get-ChildItem).' }
    )
    Outputs      = @(
        @{ Type = 'DaneMtaSts.Engine.Run.CertificatePlanResult'; Description = 'Passed, DanePassed, DaneStatusCode, MatchedRecord, MatchedDepth, StopsMatchingOn, per-record results, MtaStsPassed, MtaStsStatusCode, the WebPKI result, the chain and a Reason, all read from the verdicts it carries: DaneVerdict, MtaStsVerdict, MtaStsEnforceVerdict, Verdicts (the verdict objects Test-OutboundTlsPolicy returns) and their Warnings.' }
        @{ Type = 'System.Boolean'; Description = 'With -Quiet.' }
    )
    Notes        = 'Errors (FullyQualifiedErrorId prefix): CertificateFileNotFound, InvalidCertificateFile, InvalidTlsaRecord, InvalidMtaStsPolicy, InvalidDomainName, NothingToCheck (all non-terminating, per input).'
    RelatedLinks = @('Test-OutboundTlsPolicy')
}
