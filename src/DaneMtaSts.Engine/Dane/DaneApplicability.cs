namespace DaneMtaSts.Engine.Dane;

/// <summary>Why DANE applies to a host, or why not (RFC 7672 §2.2.1, §2.2.2; docs/verdicts.md#dane-1, docs/verdicts.md#dane-2).</summary>
public enum DaneApplicabilityKind
{
    /// <summary>No requested mode consults DANE (SmtpDaneMode None).</summary>
    NotConsulted,

    /// <summary>The MX RRset (or, for a smart host, the host itself) is not DNSSEC-secure (RFC 7672 §2.2.1).</summary>
    ParentInsecure,

    /// <summary>The host has no usable address records.</summary>
    NoAddresses,

    /// <summary>The host's address records are not DNSSEC-secure, nor is the first CNAME link (RFC 7672 §2.2.2).</summary>
    HostInsecure,

    /// <summary>DANE applies: the TLSA records decide.</summary>
    Applies,
}

/// <summary>What the DNS lookups of one host said, as the applicability rules read it.</summary>
public sealed record DaneHostLookups
{
    /// <summary>Some requested mode consults DANE.</summary>
    public required bool Consulted { get; init; }

    /// <summary>The MX RRset was DNSSEC-secure (true for a smart host, which has no MX RRset).</summary>
    public required bool ParentSecure { get; init; }

    /// <summary>The host came from MX records (false: a smart host of the connector).</summary>
    public required bool ViaMx { get; init; }

    public required string Host { get; init; }

    /// <summary>The recipient domain whose MX records named the host (for the sentence).</summary>
    public string? RecipientDomain { get; init; }

    /// <summary>The address lookup answered and holds at least one address.</summary>
    public required bool HasAddresses { get; init; }

    /// <summary>The DNSSEC status of the whole address lookup (CNAME chain included).</summary>
    public required DnsSecStatus AddressStatus { get; init; }

    /// <summary>The host name is an alias: the CNAME chain (in order) that led to the addresses.</summary>
    public IReadOnlyList<string> CnameChain { get; init; } = [];

    /// <summary>The status of the first CNAME link alone (null when not an alias).</summary>
    public DnsSecStatus? FirstLinkStatus { get; init; }
}

/// <summary>The decision: whether DANE applies, why, and the TLSA base names to ask, in order.</summary>
public sealed record DaneApplicabilityDecision(DaneApplicabilityKind Kind, string Reason, IReadOnlyList<string> TlsaBaseNames)
{
    public bool Applies => Kind == DaneApplicabilityKind.Applies;

    /// <summary>The CNAME-expanded name is asked first and decides unless its answer sends the lookup back (<see cref="DaneApplicability.UseExpandedAnswer"/>).</summary>
    public bool ExpandedFirst => TlsaBaseNames.Count > 1;
}

/// <summary>What a TLSA answer means for the host (before the records are classified one by one).</summary>
public enum TlsaAnswerMeaning
{
    /// <summary>The lookup failed (not NOERROR/NXDOMAIN, or bogus): DANE cannot be satisfied (RFC 7672 §2.2).</summary>
    LookupFailed,

    /// <summary>No TLSA records (securely or not).</summary>
    NoRecords,

    /// <summary>Records that are not DNSSEC-secure: ignored, as if there were none (RFC 7672 §2.2).</summary>
    IgnoredInsecure,

    /// <summary>Secure records: classify and match them.</summary>
    Records,
}

/// <summary>
/// The DANE applicability rules as pure functions over typed lookups (docs/verdicts.md#dane-1, docs/verdicts.md#dane-2):
/// the gatherer asks DNS, these decide.
/// </summary>
public static class DaneApplicability
{
    /// <summary>RFC 7672 §2.2.1 (secure MX RRset), §2.2.2 (secure host addresses, CNAME expansion).</summary>
    public static DaneApplicabilityDecision Decide(DaneHostLookups lookups)
    {
        ArgumentNullException.ThrowIfNull(lookups);
        string host = lookups.Host;
        if (!lookups.Consulted)
        {
            return new(DaneApplicabilityKind.NotConsulted, "DANE was not consulted (SmtpDaneMode None).", []);
        }

        if (!lookups.ParentSecure)
        {
            return new(DaneApplicabilityKind.ParentInsecure, lookups.ViaMx
                ? $"the MX records of {lookups.RecipientDomain} are not DNSSEC-signed (insecure), so DANE does not apply to {host} (RFC 7672 §2.2.1)."
                : $"{host} is not DNSSEC-secure.", []);
        }

        if (!lookups.HasAddresses)
        {
            return new(DaneApplicabilityKind.NoAddresses, $"{host} has no usable address records.", []);
        }

        bool aliased = lookups.CnameChain.Count > 0;
        bool secure = lookups.AddressStatus == DnsSecStatus.Secure || (aliased && lookups.FirstLinkStatus == DnsSecStatus.Secure);
        if (!secure)
        {
            return new(DaneApplicabilityKind.HostInsecure, $"the address records of {host} are not DNSSEC-signed (insecure), so DANE does not apply to it (RFC 7672 §2.2.2).", []);
        }

        // An alias whose whole chain is secure: the CNAME-expanded name first, then the original
        // name (RFC 7672 §2.2.2); a chain secure only at its first link: the original name alone.
        IReadOnlyList<string> names = aliased && lookups.AddressStatus == DnsSecStatus.Secure
            ? [lookups.CnameChain[^1], host]
            : [host];
        return new(DaneApplicabilityKind.Applies, $"{host} and its MX records are DNSSEC-secure: DANE applies.", names);
    }

    /// <summary>
    /// Whether the answer at the CNAME-expanded name decides: an error there is an error (never a
    /// reason to fall back), and secure records there are used; only a clean absence (or records
    /// that are not secure) sends the lookup back to the original name (RFC 7672 §2.2.2).
    /// </summary>
    public static bool UseExpandedAnswer(bool usable, int recordCount, DnsSecStatus status) =>
        !usable || (recordCount > 0 && status == DnsSecStatus.Secure);

    /// <summary>What the chosen TLSA answer means (RFC 7672 §2.2).</summary>
    public static TlsaAnswerMeaning Interpret(bool usable, int recordCount, DnsSecStatus status) =>
        !usable ? TlsaAnswerMeaning.LookupFailed
        : recordCount == 0 ? TlsaAnswerMeaning.NoRecords
        : status != DnsSecStatus.Secure ? TlsaAnswerMeaning.IgnoredInsecure
        : TlsaAnswerMeaning.Records;
}
