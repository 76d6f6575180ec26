using System.Collections.Concurrent;
using System.Net;

namespace DaneMtaSts.Engine.Dns;

// Contract between the DNS layer and its callers (evidence gathering, MTA-STS, TLS-RPT).
// The implementation (DnsResolver over DnsClient) lives beside this file.

/// <summary>How the engine talks to DNS.</summary>
public sealed record DnsResolverOptions
{
    /// <summary>Resolvers to ask, in order; empty means the system's resolvers (/etc/resolv.conf).</summary>
    public IReadOnlyList<IPEndPoint> Servers { get; init; } = [];

    /// <summary>Timeout of one query attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries after a timed-out attempt (bounded).</summary>
    public int Retries { get; init; } = 1;

    /// <summary>At most this many queries on the wire at once (docs/dns.md#query-budget).</summary>
    public int MaxQueriesInFlight { get; init; } = DnsQueryBudget.DefaultMaxInFlight;

    /// <summary>Cache answers inside this resolver instance (one call of a cmdlet); never shared between instances.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>
    /// A name known to be DNSSEC-signed, asked (DNSKEY) by <see cref="IDnsResolver.CheckValidationAsync"/>
    /// to learn whether the resolver validates. The root "." by default; a lab with its own signed root
    /// can keep it, another test bed can name its own signed zone.
    /// </summary>
    public string KnownSignedName { get; init; } = ".";

    /// <summary>
    /// Who decides the DNSSEC status of answers. The engine's default is the resolver's AD bit (the
    /// behaviour before local validation, which scripted tests rely on); the cmdlets default to Auto.
    /// </summary>
    public DnssecValidationMode DnssecValidation { get; init; } = DnssecValidationMode.Resolver;

    /// <summary>The root trust anchors of local validation; null: the built-in KSK-2017 and KSK-2024.</summary>
    public Dnssec.TrustAnchorSet? TrustAnchors { get; init; }

    /// <summary>DNS over HTTPS endpoints (RFC 8484), asked after <see cref="Servers"/>; answers from them are always validated locally.</summary>
    public IReadOnlyList<Uri> DohServers { get; init; } = [];

    /// <summary>Roots that DoH server certificates may chain to (system roots plus -TrustedRootCertificate).</summary>
    public Pkix.PkixTrust DohTrust { get; init; } = new();
}

/// <summary>The response code of an answer, reduced to what the rules need.</summary>
public enum DnsRcode
{
    NoError,
    NxDomain,
    ServFail,
    Refused,
    FormErr,
    NotImp,
    Other,

    /// <summary>No response at all (timeout, network error).</summary>
    None,
}

/// <summary>One MX record.</summary>
public sealed record MxRecordData(int Preference, string Exchange);

/// <summary>
/// A typed DNS answer with its DNSSEC status. <see cref="Records"/> holds the records of the
/// requested type found at the end of <see cref="CnameChain"/> (or at the name itself).
/// </summary>
public sealed record DnsAnswer<T>
{
    public required string Name { get; init; }

    public required string Type { get; init; }

    public required DnsSecStatus Status { get; init; }

    public required DnsRcode Rcode { get; init; }

    public IReadOnlyList<T> Records { get; init; } = [];

    /// <summary>The CNAME targets followed, in order (empty when the name was not an alias).</summary>
    public IReadOnlyList<string> CnameChain { get; init; } = [];

    /// <summary>The final name the records were found at (the last CNAME target, else <see cref="Name"/>).</summary>
    public string CanonicalName => CnameChain.Count > 0 ? CnameChain[^1] : Name;

    /// <summary>For an alias: the DNSSEC status of the first CNAME link alone (RFC 7672 §2.2.2); else null.</summary>
    public DnsSecStatus? FirstLinkStatus { get; init; }

    /// <summary>The resolver that answered (address:port).</summary>
    public string? Server { get; init; }

    /// <summary>Why the lookup failed, in one sentence, when <see cref="Status"/> is Bogus, Failed or Indeterminate.</summary>
    public string? Failure { get; init; }

    /// <summary>Which path decided <see cref="Status"/>: the resolver's AD bit, or this module's validator.</summary>
    public DnssecValidator ValidatedBy { get; init; } = DnssecValidator.Resolver;

    /// <summary>Local validation only: why the status is not Secure (None when it is, or when the resolver decided).</summary>
    public Dnssec.DnssecReason DnssecReason { get; init; }

    /// <summary>Local validation only: the zone whose proof broke or ended the chain (where <see cref="DnssecReason"/> applies).</summary>
    public string? DnssecReasonZone { get; init; }

    /// <summary>Local validation only: <see cref="DnssecReason"/> as one sentence (rendered by the validator's DnssecReasons).</summary>
    public string? DnssecReasonText { get; init; }

    /// <summary>Local validation only: the signatures that validated, root first (zone, key tag, algorithm, valid until).</summary>
    public IReadOnlyList<Dnssec.DnssecChainLink> DnssecChain { get; init; } = [];

    public bool IsNxDomain => Rcode == DnsRcode.NxDomain;

    /// <summary>NOERROR with no records of the type asked for.</summary>
    public bool IsNoData => Rcode == DnsRcode.NoError && Records.Count == 0;

    /// <summary>
    /// An answer the rules can use: NOERROR or NXDOMAIN, secure, insecure or indeterminate (an answer
    /// arrived but its DNSSEC status is unknown: usable where DNSSEC does not matter; the verdict
    /// engine makes every DNSSEC-dependent verdict on it Indeterminate).
    /// </summary>
    public bool IsUsable => Status is DnsSecStatus.Secure or DnsSecStatus.Insecure or DnsSecStatus.Indeterminate && Rcode is DnsRcode.NoError or DnsRcode.NxDomain;
}

/// <summary>What the engine knows of the resolver it trusts for the AD bit.</summary>
public sealed record ResolverInfo
{
    public required IReadOnlyList<string> Servers { get; init; }

    /// <summary>True when the resolver set AD on a known-signed name (the root's DNSKEY/SOA); null when not checked yet or the check failed.</summary>
    public bool? Validates { get; init; }

    /// <summary>True when every server is a loopback address (the trust model of RFC 7672 §2.1: a local validating resolver).</summary>
    public bool IsLoopback { get; init; }

    public string? Note { get; init; }

    /// <summary>-DnssecValidation as given (Auto, Local or Resolver).</summary>
    public DnssecValidationMode Mode { get; init; } = DnssecValidationMode.Resolver;

    /// <summary>Which path decides the DNSSEC status of this run's answers; null until the check ran (Auto).</summary>
    public DnssecValidator? DnssecValidatedBy { get; init; }
}

/// <summary>Counters of one resolver instance, for the benchmark and tests.</summary>
public sealed class DnsCounters
{
    private long _queriesSent;
    private long _cacheHits;
    private long _tcpFallbacks;
    private readonly ConcurrentDictionary<string, long> _byType = new(StringComparer.Ordinal);

    public long QueriesSent => Interlocked.Read(ref _queriesSent);

    public long CacheHits => Interlocked.Read(ref _cacheHits);

    public long TcpFallbacks => Interlocked.Read(ref _tcpFallbacks);

    /// <summary>Queries sent per question type ("MX", "TLSA", ...), a snapshot; queries counted without a type are absent.</summary>
    public IReadOnlyDictionary<string, long> QueriesByType => new SortedDictionary<string, long>(_byType, StringComparer.Ordinal);

    public void CountQuery() => Interlocked.Increment(ref _queriesSent);

    /// <summary>Counts one query sent, also under its question type.</summary>
    public void CountQuery(string type)
    {
        CountQuery();
        _byType.AddOrUpdate(type, 1, (_, n) => n + 1);
    }

    public void CountCacheHit() => Interlocked.Increment(ref _cacheHits);

    public void CountTcpFallback() => Interlocked.Increment(ref _tcpFallbacks);
}

/// <summary>The DNS operations the engine needs; every call honours the token and never throws for a DNS fault (the status says it).</summary>
public interface IDnsResolver
{
    ResolverInfo Resolver { get; }

    DnsCounters Counters { get; }

    Task<DnsAnswer<MxRecordData>> QueryMxAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// A and AAAA of a host, sent together; Status is the weaker of the two, Records both families.
    /// One exception (like Postfix's dns_lookup_v): when one family failed outright (timeout, SERVFAIL
    /// also with CD=1, REFUSED) and the other has records, the answer carries the good family's records
    /// and status, and <see cref="DnsAnswer{T}.Failure"/> names the failed family. A bogus family always
    /// makes the whole answer Bogus.
    /// </summary>
    Task<DnsAnswer<IPAddress>> QueryAddressesAsync(string host, CancellationToken cancellationToken);

    Task<DnsAnswer<Dane.TlsaRecord>> QueryTlsaAsync(string name, CancellationToken cancellationToken);

    /// <summary>TXT records, each record's character-strings concatenated.</summary>
    Task<DnsAnswer<string>> QueryTxtAsync(string name, CancellationToken cancellationToken);

    /// <summary>Checks once per instance whether the resolver validates (AD on the root's DNSKEY) and updates <see cref="Resolver"/>.</summary>
    Task<ResolverInfo> CheckValidationAsync(CancellationToken cancellationToken);
}
