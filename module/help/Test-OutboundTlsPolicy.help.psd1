@{
    Synopsis     = 'Dry-runs what Exchange Online would do with a message to each domain under SMTP DANE and MTA-STS modes: deliver, queue or reject, and why.'
    Description  = @'
Test-OutboundTlsPolicy gathers the evidence for each recipient domain once - MX records and their DNSSEC status, the address and TLSA records of every MX host, a STARTTLS probe of every address with the served certificate chain, the MTA-STS policy (from DNS, HTTPS or the local policy cache) and the TLS-RPT record - and judges it under each requested mode exactly as Exchange Online's SmtpDaneMode and MtaStsMode do. Nothing is sent: the SMTP session ends with QUIT after the TLS handshake.

Each result says Outcome (Deliver, Queue, Reject, or Indeterminate when this run could not establish what the verdict depends on), a machine-readable Kind (FailureKind: None for a plain Deliver, else for example TlsaMismatch, DnssecBogus, StartTlsNotOffered, Unreachable, ProbeSkipped), the Exchange Online status code and text for Queue and Reject (for example 4.7.323 tlsa-invalid), how a delivered message would be protected (Security: Dane, MtaSts, Tls or None), the MX host that would take the message or whose failure decided, and a Reason a person can act on. The evidence is under the Evidence property; Format-List shows it as readable text (TLSA records and which matched at which chain depth, chain subjects and SPKI hashes, the MTA-STS policy and its source).

With -Connector the connector's modes, routing (MX or smart hosts) and TlsSettings are used; without -Domain the connector's RecipientDomains are tested. "Test-OutboundTlsPolicy -Connector X -TlsValidationMode Mandatory" answers "what breaks if I switch X to Mandatory?".

Port 25 blocked here: most workstations, office networks and cloud VMs cannot open outbound connections to port 25. A host whose every address fails to connect is then not blamed on the partner: unless the same call reached port 25 on some other host (then it is Queue 4.4.316), the verdict is Indeterminate (Kind Unreachable) and one warning per call says so. Use -SmtpProxy socks5://host:port to probe through a machine that can reach port 25, or -SkipSmtpProbe for a DNS-only audit. A domain whose hosts all failed to connect is held back until some probe of the call has connected or every gathering in flight has ended, so a streamed verdict never changes after it was written.

No DNS server configured (no nameserver in /etc/resolv.conf or on any interface), or none answering at all, stops the call with one terminating error, DnsServerUnavailable, instead of a DNS failure for every partner.

Many domains run concurrently (-ThrottleLimit); results come out in input order as soon as they are ready, and an MX host or address shared by several domains is looked up and probed once per call. Ctrl+C stops at once. Warnings report a resolver that does not validate DNSSEC, unusable TLSA records, DANE-TA chains that expire within 30 days of -AsOf, and MTA-STS policies whose mx patterns miss an actual MX host.
'@
    Parameters   = @{
        Domain            = 'The recipient domains to test. E-mail addresses are accepted (the domain part is used), also several in one value separated by ";" or ",". Each domain is tested once per call, however often it is given. Piped rows bind by the property names Domain, RecipientDomain, RecipientAddress (a message trace export) and Recipients. An invalid name, an IP literal or a wildcard is a non-terminating error; the other domains still run.'
        Connector         = 'A connector from the local store (name or GUID) whose modes, routing (MX or smart hosts) and TlsSettings are used. Without -Domain, each of its RecipientDomains is tested (wildcards are reported as not testable). A connector piped in (Get-OutboundConnector X | Test-OutboundTlsPolicy) is judged the same way, each piped connector with its own modes.'
        InputObject       = 'What the pipeline delivers: a domain or address string, a connector of the store (judged as -Connector judges it), or a row whose Domain, RecipientDomain, RecipientAddress or Recipients property binds -Domain. A row with none of them is a non-terminating NoDomainInInput error. Not meant to be typed.'
        TlsValidationMode = 'One or more of None, Opportunistic and Mandatory: one result per domain per mode, all judged from one gathering of evidence. Default: the connector''s modes, else Opportunistic (Exchange Online''s default).'
        SmtpDaneMode      = 'Judge under this SmtpDaneMode (Opportunistic, Mandatory or None) instead of the shorthand; the missing one of SmtpDaneMode/MtaStsMode comes from the connector, else Opportunistic.'
        MtaStsMode        = 'Judge under this MtaStsMode (Opportunistic or None) instead of the shorthand.'
        ThrottleLimit     = @{ Description = 'How many domains are gathered at once (results still leave in input order). The network work is bounded apart from it: at most 96 DNS queries in flight per call, the critical path (host addresses and TLSA, then MX) ahead of the MTA-STS and TLS-RPT lookups, and at most 32 STARTTLS probes; a domain waiting on a lookup or probe that another domain started holds neither.'; Default = '256' }
        Quiet             = 'Return $true or $false per result (Outcome -eq ''Deliver'') instead of result objects: for Pester and CI scripts. Indeterminate is $false.'
        SkipSmtpProbe     = 'Make no SMTP connection at all: a DNS-only audit, for machines that cannot reach port 25 or for thousands of partners in seconds. What DNS (and the MTA-STS policy) decides stays decided: NXDOMAIN and Null MX (Reject), bogus DNSSEC or, under Mandatory, insecure DNSSEC (Queue 4.7.324), under Mandatory a secure host without usable TLSA (Queue 4.7.323), MTA-STS enforce with no MX matching the policy (Queue 4.4.8). What needs the STARTTLS offer or the served certificate is Indeterminate (Kind ProbeSkipped). Not with -SmtpProxy.'
    }
    SharedParameters = 'Network.parameters.psd1'
    Examples     = @(
        @{
            Code    = 'Test-OutboundTlsPolicy contoso.com -TlsValidationMode None, Opportunistic, Mandatory'
            Remarks = 'Shows, for each of the three modes, whether mail to contoso.com would be delivered (and how protected), queued (with its status code) or rejected.'
        }
        @{
            Code    = 'Test-OutboundTlsPolicy -Connector "Contoso" -TlsValidationMode Mandatory | Where-Object Outcome -ne Deliver'
            Remarks = 'Answers "what breaks if I switch the Contoso connector to Mandatory?": every recipient domain that would be queued, with the code and the reason.'
        }
        @{
            Code    = 'Import-Csv partners.csv | Test-OutboundTlsPolicy -TlsValidationMode Mandatory | Export-Csv results.csv'
            Remarks = 'Audits a list of partner domains (a Domain column) and saves the flat results.'
        }
        @{
            Code    = 'Test-OutboundTlsPolicy fabrikam.com -AsOf (Get-Date).AddDays(30) | Format-List'
            Remarks = 'Judges every certificate date 30 days from now and shows the full evidence: what a certificate expiry would break.'
        }
        @{
            Code    = '(Test-OutboundTlsPolicy fabrikam.com -TlsValidationMode Mandatory -Quiet) | Should -BeTrue'
            Remarks = 'A Pester assertion for CI: the partner must be deliverable under Mandatory (Indeterminate fails it too).'
        }
        @{
            Code    = 'ssh -f -N -D 1080 admin@jumphost; Test-OutboundTlsPolicy fabrikam.com -SmtpProxy socks5://127.0.0.1:1080'
            Remarks = 'On a workstation whose port 25 is blocked: the probes go through an SSH SOCKS tunnel to a host that can reach port 25; DNS and every judgement stay on this machine.'
        }
        @{
            Code    = 'Get-Content partners.txt | Test-OutboundTlsPolicy -TlsValidationMode Mandatory -SkipSmtpProbe | Where-Object Outcome -ne Indeterminate'
            Remarks = 'A DNS-only audit: the partners whose Mandatory verdict DNS alone decides (for example 4.7.324 for an unsigned zone).'
        }
    )
    Inputs       = @(
        @{ Type = 'System.String'; Description = 'Domains or e-mail addresses, tested as -Domain.' }
        @{ Type = 'DaneMtaSts.Engine.Connectors.OutboundConnector'; Description = 'A connector from Get-OutboundConnector: its recipient domains, judged with its modes, routing and TlsSettings.' }
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'Rows (Import-Csv, a message trace) whose Domain, RecipientDomain, RecipientAddress or Recipients property binds -Domain.' }
    )
    Outputs      = @(
        @{ Type = 'DaneMtaSts.TlsPolicyResult'; Description = 'One result per domain per mode: Domain, Connector, TlsValidationMode, SmtpDaneMode, MtaStsMode, Outcome, StatusCode, StatusText, Security, MxHost, Reason, Evidence.' }
        @{ Type = 'System.Boolean'; Description = 'With -Quiet: $true when the outcome is Deliver ($false for Queue, Reject and Indeterminate).' }
    )
    Notes        = 'Errors (FullyQualifiedErrorId prefix): InvalidDomainName, IpLiteralNotTestable, WildcardDomainNotTestable (non-terminating); ConnectorNotFound, InvalidDnsServer, InvalidCertificateFile, DomainRequired, DnsServerUnavailable, InvalidSmtpProxy, SmtpProxyCredentialWithoutProxy, SkipSmtpProbeWithProxy (terminating). Indeterminate has no status code; its Kind is DnssecIndeterminate, Unreachable, ProbeSkipped or ProxyFailed. Status codes are Exchange Online''s: 4.7.321 starttls-not-supported, 4.7.322 certificate-expired, 4.7.323 tlsa-invalid, 4.7.324 dnssec-invalid, 4.7.325 certificate-host-mismatch, 4.7.320 certificate validation failed (TlsSettings), 4.4.8 and 4.7.5 (MTA-STS), 4.4.312 DNS query failed, 4.4.316 connection refused or timed out (only when the call reached port 25 elsewhere), 4.4.0 session refused, 5.4.310 DNS domain does not exist, 5.1.10 Null MX. A queued message is retried for 24 hours and then returned with the same code as 5.x.x (FinalStatusCode). What the call cost on the wire (DNS queries by type, SMTP connections, TLS handshakes) is written to the information stream with the tag DaneMtaSts.DryRunStatistics: -InformationVariable info, then ($info | Where-Object Tags -contains ''DaneMtaSts.DryRunStatistics'').MessageData.'
    RelatedLinks = @('Validate-OutboundConnector', 'Export-TlsRptReport', 'Set-OutboundConnector')
}
