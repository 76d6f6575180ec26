using DaneMtaSts.Engine.Dns.Wire;

namespace DaneMtaSts.Engine.Dns.Dnssec;

/// <summary>Why an answer is not Secure (or, for <see cref="None"/>, that it is). Sentences: <see cref="DnssecReasons.Describe"/>.</summary>
public enum DnssecReason
{
    /// <summary>Secure: every link validated from a trust anchor.</summary>
    None = 0,

    // Insecure (RFC 4035 §5.2, §4.3): proven, not assumed.

    /// <summary>A signed parent proves the zone has no DS record: an insecure delegation.</summary>
    NoDs,

    /// <summary>An NSEC3 Opt-Out span covers the delegation (RFC 5155 §6): unsigned delegations may exist there.</summary>
    OptOut,

    /// <summary>The DS set names only algorithms this validator does not support (RFC 4035 §5.2, RFC 9905 for SHA-1).</summary>
    UnsupportedAlgorithm,

    /// <summary>The DS set uses only digest types this validator does not support (SHA-1 and GOST: RFC 9905, RFC 8624).</summary>
    UnsupportedDigest,

    /// <summary>NSEC3 iterations above the RFC 9276 limit: Insecure above the first threshold, Bogus above the second.</summary>
    Nsec3IterationsTooHigh,

    // Bogus: signatures present and wrong, or a proof that does not prove.

    SignatureExpired,
    SignatureNotYetValid,

    /// <summary>No DNSKEY of the signer has the RRSIG's key tag and algorithm, zone-key flag set, protocol 3 and no REVOKE bit.</summary>
    NoMatchingKey,

    /// <summary>Only revoked keys (RFC 5011 §2.1) match the signature.</summary>
    RevokedKey,

    /// <summary>The signature does not verify over the RRset (a changed RRset or a changed signature).</summary>
    BadSignature,

    /// <summary>No DNSKEY of the zone matches a supported DS record, or none that does signs the DNSKEY RRset.</summary>
    DsDigestMismatch,

    /// <summary>The zone is signed (its parent has a DS), yet this RRset has no RRSIG.</summary>
    MissingRrsig,

    /// <summary>The signer name is not the zone, or not an ancestor of the owner.</summary>
    WrongSigner,

    /// <summary>The RRSIG labels field does not fit the owner name.</summary>
    BadLabels,

    /// <summary>A denial of existence that does not prove what it must.</summary>
    BadDenialProof,

    /// <summary>A negative answer from a signed zone without NSEC or NSEC3 records.</summary>
    MissingDenialProof,

    /// <summary>A wildcard expansion without the proof that the query name does not exist.</summary>
    MissingWildcardProof,

    /// <summary>A CNAME that the DNAME of the answer does not synthesise (RFC 6672 §2.2).</summary>
    BadDname,

    /// <summary>The trust anchor matches no key of the root DNSKEY RRset, or no matching key signs it.</summary>
    TrustAnchorMismatch,

    /// <summary>A signed zone answered its DNSKEY query with no keys.</summary>
    NoDnskey,

    // Indeterminate: this run cannot tell.

    /// <summary>The resolver strips RRSIG/DS/DNSKEY or NSEC records: the answer exists, but nothing can be proven.</summary>
    DnssecRecordsMissing,

    /// <summary>A bound of <see cref="DnssecLimits"/> was reached (a hostile or pathological zone).</summary>
    BudgetExceeded,

    /// <summary>A query the validation needed got no answer, or an answer it cannot use (SERVFAIL, REFUSED, malformed).</summary>
    LookupFailed,

    /// <summary>The CNAME/DNAME chain is longer than the limit, or loops.</summary>
    ChainTooLong,
}

/// <summary>One validated zone of the chain of trust, for display (Format-List).</summary>
/// <param name="Zone">The zone whose key signed.</param>
/// <param name="KeyTag">The key tag of the signing DNSKEY (RFC 4034 Appendix B).</param>
/// <param name="Algorithm">The DNSSEC algorithm number.</param>
/// <param name="SignatureValidUntil">The expiration of the signature that validated.</param>
/// <param name="What">What this signature covers ("DNSKEY", "DS", "MX", …).</param>
public sealed record DnssecChainLink(DnsName Zone, ushort KeyTag, byte Algorithm, DateTimeOffset SignatureValidUntil, string What)
{
    public override string ToString() =>
        $"{What} signed by {Zone} key {KeyTag} (algorithm {Algorithm}), valid until {SignatureValidUntil:yyyy-MM-dd HH:mm:ss}Z";
}

/// <summary>
/// The result of one validated lookup. <see cref="Records"/> are the records of the type asked for at
/// the end of <see cref="CnameChain"/>; <see cref="Status"/> is the weakest status of every link used
/// (Bogus beats Indeterminate beats Insecure beats Secure); <see cref="FirstLinkStatus"/> is the status of
/// the first CNAME/DNAME link alone (RFC 7672 §2.2.2), null when the name is not an alias.
/// </summary>
public sealed record ValidatedResponse
{
    public required DnsName Name { get; init; }

    public required ushort Type { get; init; }

    /// <summary>The response code, or <see cref="DnsRcode.None"/> when no response arrived.</summary>
    public required DnsRcode Rcode { get; init; }

    public required DnsSecStatus Status { get; init; }

    /// <summary>Why <see cref="Status"/> is not Secure (<see cref="DnssecReason.None"/> when Secure).</summary>
    public required DnssecReason Reason { get; init; }

    /// <summary>The zone or name the reason is about (where the chain broke), when known.</summary>
    public DnsName? ReasonName { get; init; }

    public IReadOnlyList<DnsRecord> Records { get; init; } = [];

    /// <summary>The alias targets followed, in order (empty when <see cref="Name"/> is not an alias).</summary>
    public IReadOnlyList<DnsName> CnameChain { get; init; } = [];

    public DnsSecStatus? FirstLinkStatus { get; init; }

    /// <summary>The signatures that validated, zone by zone, root first.</summary>
    public IReadOnlyList<DnssecChainLink> Chain { get; init; } = [];

    /// <summary>True when the records were synthesised from a wildcard (RFC 4035 §5.3.4), with the proof checked.</summary>
    public bool IsWildcardExpansion { get; init; }

    /// <summary>The TTL of the records, capped by the RRSIG original TTL and expiration (RFC 4035 §5.3.3); null without records.</summary>
    public uint? Ttl { get; init; }

    /// <summary>The final name the records were found at.</summary>
    public DnsName CanonicalName => CnameChain.Count > 0 ? CnameChain[^1] : Name;

    /// <summary>The reason as one sentence (rendered in <see cref="DnssecReasons.Describe"/>).</summary>
    public string? ReasonText => Reason == DnssecReason.None ? null : DnssecReasons.Describe(Reason, ReasonName);
}

/// <summary>The single place reasons become sentences.</summary>
public static class DnssecReasons
{
    public static string Describe(DnssecReason reason, DnsName? name)
    {
        string at = name is null ? "" : $" ({name})";
        return reason switch
        {
            DnssecReason.None => $"DNSSEC-secure{at}.",
            DnssecReason.NoDs => $"The zone{at} is unsigned: its signed parent proves it has no DS record.",
            DnssecReason.OptOut => $"The zone{at} lies in an NSEC3 opt-out span of its parent, which allows unsigned delegations.",
            DnssecReason.UnsupportedAlgorithm => $"The zone{at} is signed only with DNSSEC algorithms this validator does not support (or treats as deprecated), so it counts as unsigned.",
            DnssecReason.UnsupportedDigest => $"The DS records of the zone{at} use only digest types this validator does not support (or treats as deprecated), so it counts as unsigned.",
            DnssecReason.Nsec3IterationsTooHigh => $"The NSEC3 records of{at} use more hash iterations than RFC 9276 allows.",
            DnssecReason.SignatureExpired => $"The DNSSEC signature{at} has expired.",
            DnssecReason.SignatureNotYetValid => $"The DNSSEC signature{at} is not valid yet (its inception is in the future).",
            DnssecReason.NoMatchingKey => $"No usable DNSKEY of the signing zone matches the signature{at} (key tag, algorithm, zone-key flag, protocol 3).",
            DnssecReason.RevokedKey => $"The only key that matches the signature{at} is revoked.",
            DnssecReason.BadSignature => $"The DNSSEC signature{at} does not verify: the records or the signature were changed.",
            DnssecReason.DsDigestMismatch => $"No DNSKEY of the zone{at} matches its parent's DS records, or none that does signs the key set.",
            DnssecReason.MissingRrsig => $"The zone{at} is signed, but the answer carries no signature.",
            DnssecReason.WrongSigner => $"The signer{at} is not the zone of the records.",
            DnssecReason.BadLabels => $"The signature's labels field does not fit the owner name{at}.",
            DnssecReason.BadDenialProof => $"The NSEC/NSEC3 records{at} do not prove the denial of existence.",
            DnssecReason.MissingDenialProof => $"The negative answer{at} comes from a signed zone but carries no NSEC/NSEC3 proof.",
            DnssecReason.MissingWildcardProof => $"The wildcard answer{at} lacks the proof that no closer name exists.",
            DnssecReason.BadDname => $"The CNAME{at} is not the one its DNAME synthesises.",
            DnssecReason.TrustAnchorMismatch => $"The root DNSKEY set{at} matches no trust anchor, or no matching key signs it.",
            DnssecReason.NoDnskey => $"The signed zone{at} has no DNSKEY records.",
            DnssecReason.DnssecRecordsMissing => $"The resolver returned no DNSSEC records (RRSIG, DS, DNSKEY, NSEC){at}: it strips them, so nothing can be proven. Use a resolver that passes DNSSEC records, DNS over HTTPS, or a validating resolver.",
            DnssecReason.BudgetExceeded => $"Validation{at} stopped at a safety bound (too many keys, signatures, NSEC3 hashes or queries).",
            DnssecReason.LookupFailed => $"A DNS lookup needed for validation{at} failed.",
            DnssecReason.ChainTooLong => $"The CNAME/DNAME chain{at} is too long or loops.",
            _ => $"DNSSEC validation{at} failed ({reason}).",
        };
    }

    /// <summary>The status a reason implies (the validator's single mapping).</summary>
    public static DnsSecStatus StatusOf(DnssecReason reason) => reason switch
    {
        DnssecReason.None => DnsSecStatus.Secure,
        DnssecReason.NoDs or DnssecReason.OptOut or DnssecReason.UnsupportedAlgorithm or DnssecReason.UnsupportedDigest => DnsSecStatus.Insecure,
        DnssecReason.DnssecRecordsMissing or DnssecReason.BudgetExceeded or DnssecReason.LookupFailed => DnsSecStatus.Indeterminate,
        _ => DnsSecStatus.Bogus,
    };
}

/// <summary>
/// The bounds that keep a hostile zone cheap (KeyTrap CVE-2023-50387, NSEC3 CVE-2023-50868). The
/// defaults follow what Unbound and BIND settled on after those advisories; exceeding one gives
/// <see cref="DnssecReason.BudgetExceeded"/> (Indeterminate), never a hang.
/// </summary>
public sealed record DnssecLimits
{
    /// <summary>Signature verifications for one RRset: enough for a key rollover with two algorithms, far below a KeyTrap set.</summary>
    public const int DefaultMaxVerificationsPerRrset = 8;

    /// <summary>DNSKEYs tried for one RRSIG (key tag collisions): RFC 4034 App. B tags collide rarely by chance, never 4 times.</summary>
    public const int DefaultMaxKeysPerSignature = 4;

    /// <summary>Verifications of one lookup's own RRsets and denial proofs (a chain of 8 links × a few RRsets).</summary>
    public const int DefaultMaxVerificationsPerLookup = 64;

    /// <summary>Verifications spent establishing one zone's keys (its DS and DNSKEY RRsets and the DS denial).</summary>
    public const int DefaultMaxVerificationsPerZone = 24;

    /// <summary>Queries one lookup sends itself (the answer, alias targets); each zone's DS/DNSKEY queries are counted once per run.</summary>
    public const int DefaultMaxQueriesPerLookup = 16;

    /// <summary>Distinct NSEC3 owner-name hashes per response (Unbound limits NSEC3 work per answer the same way).</summary>
    public const int DefaultMaxNsec3HashesPerResponse = 32;

    /// <summary>RFC 9276 §3.2: NSEC3 iterations above this make the answer Insecure (BIND 9.18+ and Unbound use 150).</summary>
    public const int DefaultNsec3InsecureIterations = 150;

    /// <summary>RFC 9276 §3.2 also allows SERVFAIL: above this the answer is Bogus (RFC 5155 §10.3 capped 4096-bit keys at 2500).</summary>
    public const int DefaultNsec3BogusIterations = 500;

    /// <summary>CNAME/DNAME links followed (Unbound follows 11 restarts; mail needs far fewer).</summary>
    public const int DefaultMaxChainLinks = 8;

    /// <summary>NSEC3 records looked at in one response.</summary>
    public const int DefaultMaxNsec3RecordsPerResponse = 16;

    public int MaxVerificationsPerRrset { get; init; } = DefaultMaxVerificationsPerRrset;

    public int MaxKeysPerSignature { get; init; } = DefaultMaxKeysPerSignature;

    public int MaxVerificationsPerLookup { get; init; } = DefaultMaxVerificationsPerLookup;

    public int MaxVerificationsPerZone { get; init; } = DefaultMaxVerificationsPerZone;

    public int MaxQueriesPerLookup { get; init; } = DefaultMaxQueriesPerLookup;

    public int MaxNsec3HashesPerResponse { get; init; } = DefaultMaxNsec3HashesPerResponse;

    public int MaxNsec3RecordsPerResponse { get; init; } = DefaultMaxNsec3RecordsPerResponse;

    public int Nsec3InsecureIterations { get; init; } = DefaultNsec3InsecureIterations;

    public int Nsec3BogusIterations { get; init; } = DefaultNsec3BogusIterations;

    public int MaxChainLinks { get; init; } = DefaultMaxChainLinks;

    /// <summary>
    /// Allowance for a wrong workstation clock on RRSIG inception and expiration (RFC 4035 §5.3.1
    /// leaves it to the validator): small, since a larger one would accept signatures Exchange Online rejects.
    /// </summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>RSA moduli above this are refused as unsupported (RFC 3110 allows 4096; bigger costs CPU).</summary>
    public int MaxRsaModulusBits { get; init; } = 4096;
}
