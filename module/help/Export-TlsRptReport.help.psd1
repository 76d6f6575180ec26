@{
    Synopsis     = 'Writes RFC 8460 TLS-RPT JSON reports, one per policy domain, from Test-OutboundTlsPolicy results.'
    Description  = @'
Export-TlsRptReport takes Test-OutboundTlsPolicy results from the pipeline and writes one aggregate report per policy domain in the JSON format of RFC 8460 section 4: the organisation, the date range, the policies applied (tlsa with the TLSA records, sts with the MTA-STS policy lines and mx patterns, or no-policy-found), the successful and failed session counts, and failure details with their RFC 8460 result types (for example tlsa-invalid, dnssec-invalid, certificate-host-mismatch, starttls-not-supported).

Each result counts as one session: Deliver is a successful session, Queue a failed one. Reject results (no such domain, Null MX) are not TLS sessions and are left out, and so are Indeterminate results: this run could not tell (for example port 25 blocked here), which is not the partner's failure. The result type of a failure comes from its Kind (FailureKind). Pipe the results of one mode; results of several modes for one domain would be counted as several sessions.

The files are named as RFC 8460 section 5.3 suggests (sender!policy-domain!begin!end.json) and written atomically. The domain's TLS-RPT addresses (rua) are on the returned report objects'' evidence; sending the reports is left to you.
'@
    Parameters   = @{
        InputObject      = 'The Test-OutboundTlsPolicy results to report on, from the pipeline.'
        Path             = 'The folder the reports are written to; it is created if missing.'
        OrganizationName = 'The organisation-name field: who is reporting.'
        ContactInfo      = 'The contact-info field: an e-mail address or URI where the reporting organisation can be reached.'
        StartDate        = @{ Description = 'Start of the reporting period (UTC).'; Default = 'the start of today (UTC)' }
        EndDate          = @{ Description = 'End of the reporting period (UTC).'; Default = 'the end of the start date''s day' }
        SendingMtaIp     = 'The sending MTA''s address, written into each failure detail.'
        SenderDomain     = @{ Description = 'The sending domain, used in the file names.'; Default = 'danemtasts.invalid' }
    }
    Examples     = @(
        @{
            Code    = 'Test-OutboundTlsPolicy -Connector Contoso -TlsValidationMode Mandatory | Export-TlsRptReport -Path ./tlsrpt -OrganizationName "Fabrikam" -ContactInfo tls-reports@fabrikam.com'
            Remarks = 'Writes one report per recipient domain of the Contoso connector, as Mandatory would have seen them.'
        }
        @{
            Code    = 'Get-Content domains.txt | Test-OutboundTlsPolicy | Export-TlsRptReport ./reports -OrganizationName Fabrikam -ContactInfo mailto:tls@fabrikam.com -WhatIf'
            Remarks = 'Shows which report files would be written without writing them.'
        }
    )
    Inputs       = @(
        @{ Type = 'DaneMtaSts.TlsPolicyResult'; Description = 'Results of Test-OutboundTlsPolicy.' }
    )
    Outputs      = @(
        @{ Type = 'System.IO.FileInfo'; Description = 'The report files written.' }
    )
    Notes        = 'Errors (FullyQualifiedErrorId prefix): InvalidDateRange (terminating), TlsRptReportWriteFailed (non-terminating).'
    RelatedLinks = @('Test-OutboundTlsPolicy')
}
