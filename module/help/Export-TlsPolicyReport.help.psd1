@{
    Synopsis     = 'Writes the impact report of Test-OutboundTlsPolicy results: one self-contained HTML page (or Markdown) with a per-mode summary chart, the partners that would queue, and the fix for each failing partner.'
    Description  = @'
Export-TlsPolicyReport takes Test-OutboundTlsPolicy results from the pipeline and writes one file that people read: the mail administrator's manager, the security officer, and each partner whose setup is broken.

The report holds: when the dry runs were made and from where (the machine, the resolver and whether it validates DNSSEC), the module version; a summary per connector and mode (Deliver with Dane, MtaSts, Tls or None security, Queue by status code, Reject, Indeterminate) drawn as a bar chart and given as a table; the partners that would queue under each mode, first; and per partner the verdict of every mode with its reason, the warnings, the evidence (MX, DNSSEC, TLSA records and their match results, the served chain, MTA-STS) and the remediation: the concrete fix derived from what was observed (for example the TLSA records that would match the chain the host serves now, the certificate to renew and the names it must carry, the mx lines that would cover the MX hosts seen, what is wrong with the MTA-STS policy host).

The HTML page is self-contained: inline CSS and an inline SVG chart, no script, no fonts, no network access (a Content-Security-Policy forbids any). Every value is escaped, since everything from the network (TXT records, certificate names, server replies) is hostile; control and bidirectional-override characters are shown as \u{XXXX}. The Markdown form escapes the same values for CommonMark.

Remediations are suggestions computed from the chain and records this run was served; nothing is changed anywhere. The file is written atomically and replaced if it exists.
'@
    Parameters   = @{
        InputObject = 'The Test-OutboundTlsPolicy results to report on, from the pipeline (any number of domains, connectors and modes).'
        Path        = 'The report file to write; its folder is created if missing, an existing file is replaced.'
        Format      = @{ Description = 'Html (one self-contained page) or Markdown.'; Default = 'Html' }
        Title       = @{ Description = 'The report''s title.'; Default = 'Outbound TLS policy impact report' }
    }
    Examples     = @(
        @{
            Code    = 'Test-OutboundTlsPolicy -Connector Contoso -TlsValidationMode Opportunistic, Mandatory | Export-TlsPolicyReport -Path ./contoso.html'
            Remarks = 'What switching the Contoso connector to Mandatory would change, as a page to share, with the fix for each partner that would queue.'
        }
        @{
            Code    = 'Import-Csv partners.csv | Test-OutboundTlsPolicy -TlsValidationMode None, Opportunistic, Mandatory | Export-TlsPolicyReport ./audit.md -Format Markdown'
            Remarks = 'The same report as Markdown, for a wiki or a ticket.'
        }
    )
    Inputs       = @(
        @{ Type = 'DaneMtaSts.TlsPolicyResult'; Description = 'Results of Test-OutboundTlsPolicy.' }
    )
    Outputs      = @(
        @{ Type = 'System.IO.FileInfo'; Description = 'The report file written.' }
    )
    Notes        = 'Errors (FullyQualifiedErrorId prefix): TlsPolicyReportWriteFailed (non-terminating).'
    RelatedLinks = @('Test-OutboundTlsPolicy', 'Export-TlsRptReport')
}
