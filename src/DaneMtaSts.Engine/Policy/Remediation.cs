using DaneMtaSts.Engine.Dane;

namespace DaneMtaSts.Engine.Policy;

/// <summary>What kind of fix a <see cref="Remediation"/> suggests.</summary>
public enum RemediationKind
{
    /// <summary>Publish TLSA records that match the chain the host serves now (no match, or no usable record).</summary>
    PublishTlsa,

    /// <summary>Renew a certificate that is expired, not yet valid, or expires before -AsOf.</summary>
    RenewCertificate,

    /// <summary>Reissue the certificate with the names it must carry.</summary>
    FixCertificateNames,

    /// <summary>Serve a certificate that chains to a publicly trusted root (WebPKI).</summary>
    UseTrustedCertificate,

    /// <summary>Offer STARTTLS (and complete the TLS handshake) on port 25.</summary>
    EnableStartTls,

    /// <summary>Change the MTA-STS policy's mx lines so that they cover the MX hosts seen.</summary>
    FixMtaStsMx,

    /// <summary>Serve the MTA-STS policy file as RFC 8461 §3.3 requires.</summary>
    FixMtaStsPolicyFetch,

    /// <summary>Publish exactly one valid STSv1 TXT record.</summary>
    FixMtaStsTxt,

    /// <summary>Repair DNSSEC signatures or the chain of trust of an RRset that validates as bogus.</summary>
    FixDnssec,

    /// <summary>Sign a zone (and publish its DS) so that DANE can apply, as SmtpDaneMode Mandatory requires.</summary>
    SignZone,

    /// <summary>Make the name servers answer (SERVFAIL, timeout, REFUSED, lame delegation).</summary>
    FixDnsServers,

    /// <summary>Publish MX (or address) records for the domain.</summary>
    PublishMx,

    /// <summary>The host did not accept an SMTP session; check reachability, then ask the partner.</summary>
    CheckSmtpService,

    /// <summary>Nothing for the partner: the recipient domain does not exist or accepts no mail; fix the address or the connector.</summary>
    CheckRecipientDomain,

    /// <summary>This run could not establish the facts; find them out before sending anything to the partner.</summary>
    Investigate,
}

/// <summary>Who has to act on a <see cref="Remediation"/>.</summary>
public enum RemediationAudience
{
    /// <summary>The partner domain's owner (send them the text).</summary>
    Partner,

    /// <summary>The administrator running the dry run (their address list, network or connector).</summary>
    Administrator,
}

/// <summary>
/// One concrete fix suggested for a failing result, derived only from the evidence this run
/// observed. It is a suggestion for the partner (or the administrator), never a change anywhere.
/// </summary>
public sealed record Remediation
{
    public required RemediationKind Kind { get; init; }

    public required RemediationAudience Audience { get; init; }

    /// <summary>The MX host it concerns; null when it concerns the whole domain.</summary>
    public string? Host { get; init; }

    /// <summary>What is to be fixed: an RRset ("_25._tcp.mx.example.com. IN TLSA"), a URL, a certificate subject.</summary>
    public string? Subject { get; init; }

    /// <summary>The records or lines to publish, in presentation form (zone-file lines, policy lines); empty when none.</summary>
    public IReadOnlyList<string> Publish { get; init; } = [];

    /// <summary>The TLSA records among <see cref="Publish"/>, as data.</summary>
    public IReadOnlyList<TlsaRecord> TlsaRecords { get; init; } = [];

    /// <summary>The DNS names a renewed or reissued certificate must carry; empty when not a certificate fix.</summary>
    public IReadOnlyList<string> CertificateNames { get; init; } = [];

    /// <summary>The fix in sentences a person can send on.</summary>
    public required string Text { get; init; }

    public override string ToString() => Host is null ? $"{Kind}: {Text}" : $"{Kind} ({Host}): {Text}";
}
