using System.Globalization;

namespace DaneMtaSts.Engine.Policy;

/// <summary>Why TLS was required when a host failed to provide it.</summary>
public enum TlsRequirement
{
    /// <summary>Usable TLSA records (RFC 7672 §2.2).</summary>
    UsableTlsa,

    /// <summary>Only unusable TLSA records (RFC 7672 §2.2: TLS without authentication).</summary>
    UnusableTlsa,

    /// <summary>The connector's TlsSettings.</summary>
    TlsSettings,
}

/// <summary>
/// The facts a failure sentence is made of, each taken from the evidence. Which ones a kind uses is
/// up to <see cref="VerdictText.Render"/>; the others stay null.
/// </summary>
public sealed record FailureFacts
{
    /// <summary>The recipient domain.</summary>
    public required string Domain { get; init; }

    /// <summary>The MX or smart host the failure belongs to (null: a domain-level failure).</summary>
    public string? Host { get; init; }

    /// <summary>The address of the host the failure was seen at.</summary>
    public string? Address { get; init; }

    /// <summary>What the evidence says happened (a probe failure, a lookup failure, a check's detail), verbatim.</summary>
    public string? Detail { get; init; }

    /// <summary>Names the sentence lists: MTA-STS mx patterns, TLSA records, MX hosts.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>Further names: the MX hosts that a policy's patterns did not cover.</summary>
    public IReadOnlyList<string> OtherNames { get; init; } = [];

    /// <summary>The MTA-STS policy id, the TLSA owner name or the connector's TlsDomain.</summary>
    public string? Subject { get; init; }

    /// <summary>The probes went through the -SmtpProxy SOCKS5 proxy: port 25 was the proxy's, not this machine's.</summary>
    public bool ThroughProxy { get; init; }

    /// <summary>For StartTlsNotOffered / HandshakeFailed: why TLS was required.</summary>
    public TlsRequirement Requirement { get; init; }

    /// <summary>For TlsSettings failures: the connector's level.</summary>
    public TlsAuthLevel? TlsSettings { get; init; }

    /// <summary>For DomainNotFound: the denial was DNSSEC-authenticated.</summary>
    public bool Authenticated { get; init; }

    /// <summary>For a host-level MTA-STS mx mismatch (the host is not tried) rather than the domain's.</summary>
    public bool HostLevel { get; init; }

    /// <summary>For StsStartTlsNotOffered: STARTTLS was offered (and the TLS session failed).</summary>
    public bool StartTlsOffered { get; init; }
}

/// <summary>
/// Renders the Reason sentence of every failure from its <see cref="FailureKind"/> and its facts:
/// the one place failure wording lives (StatusCode, StatusText and the TLS-RPT type come from
/// <see cref="FailureKinds"/>).
/// </summary>
public static class VerdictText
{
    /// <summary>The advice every unreachable-from-here sentence ends with.</summary>
    /// <summary>What to do when nothing answered on port 25 through the proxy.</summary>
    public const string ProxyPortAdvice = "check that the proxy's host reaches port 25 (e.g. nc -vz <mx> 25 there), use a proxy on a host that does, or use -SkipSmtpProbe";

    public const string PortAdvice = "if this machine cannot reach port 25, use -SmtpProxy socks5://host:port (e.g. ssh -D 1080 to a host that can) or -SkipSmtpProbe";

    /// <summary>
    /// A verdict the MTA-STS policy decided says when that policy came from the cache rather than
    /// from this run's fetch (docs/verdicts.md#mta-sts-cache): the same dry run can differ from an
    /// earlier one only because of what the cache held.
    /// </summary>
    public static string WithPolicySource(string reason, string policyType, MtaStsStepEvidence sts)
    {
        ArgumentNullException.ThrowIfNull(sts);
        if (policyType != "sts" || sts.PolicySource != MtaSts.MtaStsPolicySource.Cached)
        {
            return reason;
        }

        string fetched = sts.PolicyFetchedUtc is DateTime at ? $", fetched {at.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)}" : "";
        return $"{reason} The MTA-STS policy that decided this came from the policy cache (id {sts.PolicyId}{fetched}), not from a fetch in this run; Get-MtaStsPolicyCache shows it.";
    }

    public static string Render(FailureKind kind, FailureFacts f)
    {
        ArgumentNullException.ThrowIfNull(f);
        string host = f.Host ?? f.Domain;
        string at = f.Address is null ? host : $"{host} [{f.Address}]";
        string detail = Trim(f.Detail);
        return kind switch
        {
            FailureKind.None => "",
            FailureKind.DomainNotFound =>
                $"{f.Domain} does not exist (NXDOMAIN{(f.Authenticated ? ", DNSSEC-authenticated" : "")}); the message is returned at once.",
            FailureKind.NullMx =>
                $"{f.Domain} publishes a Null MX (MX 0 \".\", RFC 7505): it accepts no mail; the message is returned at once.",
            FailureKind.NoMailHost =>
                $"{f.Domain} exists but has neither MX nor address records: there is no host to deliver to (RFC 5321 §5.1).",
            FailureKind.NoHostFound => "No host to deliver to was found.",
            FailureKind.DnsLookupFailed when f.Host is null =>
                f.Detail ?? $"The MX lookup of {f.Domain} failed.",
            FailureKind.DnsLookupFailed =>
                $"The address lookup of {host} failed: {f.Detail ?? $"{host} has no A or AAAA records."}",
            FailureKind.DnssecBogus when f.Host is null =>
                (f.Detail ?? $"The MX lookup of {f.Domain} is DNSSEC-bogus: the resolver answers SERVFAIL, and only with checking disabled does it answer.") +
                " The zone's signatures do not validate; with DANE on, mail waits until they do.",
            FailureKind.DnssecBogus =>
                $"The address lookup of {host} is DNSSEC-bogus. {f.Detail}".TrimEnd(),
            FailureKind.DnssecInsecure =>
                $"SmtpDaneMode Mandatory needs DNSSEC, but {f.Detail}",
            FailureKind.DnssecIndeterminate =>
                $"The DNSSEC status {(f.Host is null ? $"of {f.Domain}" : $"of {host}")} could not be established from this machine{(detail.Length > 0 ? $" ({detail})" : "")}. Exchange Online validates DNSSEC itself, so with DANE on its verdict depends on it: use a resolver that passes DNSSEC records (RRSIG, DS, DNSKEY, NSEC), DNS over HTTPS (-DnsServer https://…/dns-query), or -DnssecValidation Local to decide it.",
            FailureKind.TlsaLookupFailed =>
                $"The TLSA lookup for {f.Subject ?? host} failed ({detail}); a host whose DANE status is unknown is never used without it.",
            FailureKind.NoUsableTlsa when f.Names.Count > 0 =>
                $"{host} publishes only unusable TLSA records ({string.Join("; ", f.Names)}), so it cannot be DANE-authenticated as SmtpDaneMode Mandatory requires.",
            FailureKind.NoUsableTlsa =>
                $"{host} is DNSSEC-signed but publishes no TLSA record at {f.Subject}, so it cannot be DANE-authenticated as SmtpDaneMode Mandatory requires.",
            FailureKind.StartTlsNotOffered or FailureKind.HandshakeFailed when f.Requirement == TlsRequirement.TlsSettings =>
                $"{at} {TlsFailure(kind, detail)}, but the connector's TlsSettings {f.TlsSettings} requires TLS.",
            FailureKind.StartTlsNotOffered or FailureKind.HandshakeFailed =>
                $"{at} {TlsFailure(kind, detail)}, but {(f.Requirement == TlsRequirement.UsableTlsa ? "it publishes usable TLSA records" : "it publishes TLSA records")}, so TLS is required (RFC 7672 §2.2); plaintext is never used.",
            FailureKind.TlsaMismatch or FailureKind.CertificateExpired or FailureKind.NameMismatch =>
                $"{at}: {f.Detail ?? "the served chain was not checked against the TLSA records."}",
            FailureKind.StsMxMismatch when f.HostLevel =>
                $"{host} does not match the MTA-STS policy's mx patterns ({string.Join(", ", f.Names)}), so it is not tried.",
            FailureKind.StsMxMismatch =>
                $"The MTA-STS policy of {f.Domain} (mode enforce, id {f.Subject}) allows only MX hosts matching {string.Join(", ", f.Names)}, and none of {string.Join(", ", f.OtherNames)} matches: fix the policy's mx lines or the MX records.",
            FailureKind.StsStartTlsNotOffered =>
                $"{at} {TlsFailure(f.StartTlsOffered ? FailureKind.HandshakeFailed : FailureKind.StartTlsNotOffered, detail)}, but the MTA-STS policy of {f.Domain} is in enforce mode (RFC 8461 §5).",
            FailureKind.StsCertificateInvalid or FailureKind.StsCertificateExpired or FailureKind.StsNameMismatch =>
                $"{at}: the certificate is not valid for {host} as the MTA-STS enforce policy of {f.Domain} requires: {f.Detail ?? "no certificate was checked."}",
            FailureKind.CertificateValidationFailed when f.TlsSettings == TlsAuthLevel.DomainValidation =>
                $"{at}: the connector's TlsSettings DomainValidation needs a trusted certificate for {f.Subject}: {f.Detail ?? "none was checked."}",
            FailureKind.TlsDomainMismatch =>
                $"{at}: the connector's TlsSettings DomainValidation needs a trusted certificate for {f.Subject}: {f.Detail ?? "none was checked."}",
            FailureKind.CertificateValidationFailed =>
                $"{at}: the connector's TlsSettings CertificateValidation needs a trusted certificate chain: {f.Detail ?? "none was checked."}",
            FailureKind.ConnectFailed =>
                $"{at}: {f.Detail ?? "the connection failed."} Other hosts answered on port 25 in this run, so the failure is {host}'s.",
            FailureKind.Unreachable when f.ThroughProxy =>
                $"Could not connect to {(f.Address is null ? $"any address of {host}" : at)} on port 25 through the SOCKS5 proxy{(detail.Length > 0 ? $" ({detail})" : "")}, and no other host answered through it in this run: the cause may be the proxy's network (its own port 25 may be blocked), not {f.Domain}; {ProxyPortAdvice}.",
            FailureKind.Unreachable =>
                $"Could not connect to {(f.Address is null ? $"any address of {host}" : at)} on port 25 from this machine{(detail.Length > 0 ? $" ({detail})" : "")}, and no other host answered on port 25 in this run: the cause may be this machine's network, not {f.Domain}; {PortAdvice}.",
            FailureKind.ProxyFailed =>
                $"{at}: {f.Detail ?? "the SOCKS5 proxy failed"}; this says nothing about {host}: fix the proxy given with -SmtpProxy, or run without it.",
            FailureKind.SmtpRefused or FailureKind.SmtpTemporaryFailure =>
                $"{at}: {f.Detail ?? "the SMTP session failed before STARTTLS."}",
            FailureKind.ProbeSkipped =>
                $"The verdict for {host} needs what it serves on port 25 ({f.Detail ?? "the STARTTLS offer and the certificate"}), and -SkipSmtpProbe made no SMTP connection; run without -SkipSmtpProbe (through -SmtpProxy if port 25 is blocked here) to decide it.",
            _ => string.Create(CultureInfo.InvariantCulture, $"{at}: {kind}. {f.Detail}").TrimEnd(),
        };
    }

    /// <summary>"does not offer STARTTLS" / "offers STARTTLS but the TLS session failed (…)".</summary>
    private static string TlsFailure(FailureKind kind, string detail) =>
        kind == FailureKind.StartTlsNotOffered
            ? "does not offer STARTTLS"
            : $"offers STARTTLS but the TLS session failed ({detail})";

    private static string Trim(string? text) => (text ?? "").Trim().TrimEnd('.');
}
