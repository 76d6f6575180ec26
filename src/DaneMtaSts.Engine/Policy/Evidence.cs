using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.Smtp;
using DaneMtaSts.Engine.TlsRpt;

namespace DaneMtaSts.Engine.Policy;

// The evidence gathered once per domain (or smart-host set) and judged for any number of modes
// without new network traffic. Everything here is plain data: it is what Test-OutboundTlsPolicy
// shows under Evidence, so every property must read well in Format-List and ConvertTo-Json.

/// <summary>How the next hop is chosen.</summary>
/// <summary>How a run's STARTTLS probes reach port 25 (docs/smtp.md#proxy-first-byte).</summary>
public enum ProbeRouteKind
{
    /// <summary>Straight from this machine.</summary>
    Direct,

    /// <summary>Through the SOCKS5 proxy given with -SmtpProxy: port 25 is the proxy's, not this machine's.</summary>
    Socks5Proxy,

    /// <summary>No probe at all (-SkipSmtpProbe, or an offline check).</summary>
    None,
}

public enum RoutingKind
{
    /// <summary>MX records of the recipient domain (UseMXRecord $true).</summary>
    Mx,

    /// <summary>The connector's smart hosts (UseMXRecord $false).</summary>
    SmartHost,
}

/// <summary>What the MX lookup of the recipient domain found.</summary>
public enum MxOutcome
{
    Mx,
    ImplicitMx,
    NullMx,
    NxDomain,
    NoMailHost,
    Bogus,
    Failed,

    /// <summary>Smart-host routing: no MX lookup was made.</summary>
    NotLookedUp,
}

/// <summary>
/// How the DNSSEC status of one answer was decided: by whom, and, for local validation, the chain of
/// signatures that proved it (zone, key tag, algorithm, valid until) or where and why it broke.
/// </summary>
public sealed record DnssecEvidence
{
    public required DnssecValidator ValidatedBy { get; init; }

    public required DnsSecStatus Status { get; init; }

    /// <summary>Local validation: why the status is not Secure (None when Secure or when the resolver decided).</summary>
    public Dns.Dnssec.DnssecReason Reason { get; init; }

    /// <summary>The zone or name the reason is about.</summary>
    public string? ReasonZone { get; init; }

    /// <summary>The reason as the validator words it (DnssecReasons.Describe).</summary>
    public string? ReasonText { get; init; }

    public IReadOnlyList<Dns.Dnssec.DnssecChainLink> Chain { get; init; } = [];

    public static DnssecEvidence From<T>(Dns.DnsAnswer<T> answer) => new()
    {
        ValidatedBy = answer.ValidatedBy,
        Status = answer.Status,
        Reason = answer.DnssecReason,
        ReasonZone = answer.DnssecReasonZone,
        ReasonText = answer.DnssecReasonText,
        Chain = answer.DnssecChain,
    };

    public override string ToString()
    {
        string by = ValidatedBy == DnssecValidator.Local ? "validated in-process" : "resolver's AD bit";
        string why = ReasonText is null ? "" : ": " + ReasonText;
        return $"{Status} ({by}){why}";
    }
}

/// <summary>The MX step of the evidence.</summary>
public sealed record MxEvidence
{
    public required MxOutcome Outcome { get; init; }

    /// <summary>DNSSEC status of the MX RRset (or of the denial / of the domain's address for an implicit MX).</summary>
    public required DnsSecStatus Status { get; init; }

    /// <summary>The CNAME chain of the recipient domain, if it is an alias.</summary>
    public IReadOnlyList<string> CnameChain { get; init; } = [];

    /// <summary>Flags worth a warning (IP-literal targets, TLD targets, a Null MX mixed with others).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public string? Failure { get; init; }

    /// <summary>How the MX answer's DNSSEC status was decided; null when no MX lookup was made.</summary>
    public DnssecEvidence? Dnssec { get; init; }
}

/// <summary>The state of the TLSA lookup for one host.</summary>
public enum TlsaState
{
    /// <summary>No lookup: DANE does not apply to the host (insecure MX or host) or the mode is None.</summary>
    NotApplicable,

    /// <summary>NXDOMAIN or NODATA (or present but not secure): no DANE for this host.</summary>
    NoRecords,

    /// <summary>Secure TLSA with at least one usable record: DANE authentication required.</summary>
    Usable,

    /// <summary>Secure TLSA with only unusable records: TLS required, without authentication (RFC 7672 §2.2).</summary>
    UnusableOnly,

    /// <summary>SERVFAIL, timeout or bogus: the host cannot be used (never a downgrade).</summary>
    LookupFailed,
}

/// <summary>One endpoint (address) of a host and what its STARTTLS probe saw.</summary>
public sealed record AddressEvidence
{
    public required IPAddress Address { get; init; }

    public required SmtpProbeStage Stage { get; init; }

    /// <summary>
    /// Set when no probe served the chain: where it came from (Test-DaneCertificate: the file). The
    /// address is then unspecified, and the verdict's sentences name the host alone.
    /// </summary>
    public string? OfflineSource { get; init; }

    public bool Connected { get; init; }

    public string? Banner { get; init; }

    public bool StartTlsOffered { get; init; }

    public bool TlsEstablished { get; init; }

    public string? TlsProtocol { get; init; }

    public string? CipherSuite { get; init; }

    public string? Sni { get; init; }

    public string? ProbeFailure { get; init; }

    public bool PermanentSmtpFailure { get; init; }

    /// <summary>The SOCKS5 proxy itself failed: nothing is known of this address.</summary>
    public bool ProxyFailed { get; init; }

    /// <summary>The served chain, summarised (leaf first, as served).</summary>
    public IReadOnlyList<CertificateSummary> Chain { get; init; } = [];

    /// <summary>Where the served chain was read: the recorded Certificate message or the platform's callback (docs/smtp.md#served-chain).</summary>
    public ServedChainSource ChainSource { get; init; }

    /// <summary>DANE authentication of the served chain (null when the host has no usable TLSA or no TLS).</summary>
    public DaneResult? Dane { get; init; }

    /// <summary>WebPKI check of the served chain for the host name (MTA-STS, TlsSettings).</summary>
    public PkixResult? Pkix { get; init; }

    /// <summary>WebPKI check against the connector's TlsDomain (TlsSettings DomainValidation only).</summary>
    public PkixResult? TlsDomainPkix { get; init; }

    /// <summary>The certificates as served; kept for offline re-judging, never serialised.</summary>
    [JsonIgnore]
    public IReadOnlyList<X509Certificate2> ServedChain { get; init; } = [];

    public override string ToString() => $"{Address} {Stage}{(TlsEstablished ? " " + TlsProtocol : "")}";
}

/// <summary>One MX host (or smart host) and everything learnt about it.</summary>
public sealed record HostEvidence
{
    public required string Name { get; init; }

    public int Preference { get; init; }

    /// <summary>True when the host was given as an IP address (smart host): no DNS, no DANE.</summary>
    public bool IsAddressLiteral { get; init; }

    /// <summary>DNSSEC status of the host's A/AAAA answer.</summary>
    public DnsSecStatus AddressStatus { get; init; }

    public DnsRcodeSummary AddressRcode { get; init; }

    public IReadOnlyList<string> CnameChain { get; init; } = [];

    public DnsSecStatus? FirstCnameLinkStatus { get; init; }

    public string? AddressFailure { get; init; }

    /// <summary>How the address answer's DNSSEC status was decided (null for an address literal).</summary>
    public DnssecEvidence? AddressDnssec { get; init; }

    /// <summary>How the TLSA answer's DNSSEC status was decided (null when no TLSA lookup was made).</summary>
    public DnssecEvidence? TlsaDnssec { get; init; }

    /// <summary>True when DANE applies: the MX RRset (for MX routing) and the host's addresses are secure (RFC 7672 §2.2).</summary>
    public bool DaneApplicable { get; init; }

    /// <summary>Why DANE does or does not apply, in one sentence.</summary>
    public string DaneApplicability { get; init; } = "";

    public TlsaState Tlsa { get; init; }

    /// <summary>The name the TLSA records were found at (the CNAME-expanded name first, RFC 7672 §2.2.2).</summary>
    public string? TlsaBaseName { get; init; }

    /// <summary>The SMTP port, which names the TLSA RRset (_port._tcp.base).</summary>
    public int Port { get; init; } = 25;

    /// <summary>The owner name of the TLSA RRset looked up, e.g. _25._tcp.mx.example.com.</summary>
    public string TlsaOwnerName => $"_{Port}._tcp.{TlsaBaseName ?? Name}";

    public DnsSecStatus? TlsaStatus { get; init; }

    public string? TlsaFailure { get; init; }

    public IReadOnlyList<TlsaRecord> TlsaRecords { get; init; } = [];

    /// <summary>Per-record usability (before any handshake); the per-chain match results are under each address.</summary>
    public IReadOnlyList<TlsaRecordResult> TlsaUsability { get; init; } = [];

    public IReadOnlyList<AddressEvidence> Addresses { get; init; } = [];

    public IReadOnlyList<string> Notes { get; init; } = [];

    public override string ToString() => $"{Name} (pref {Preference}, {Addresses.Count} address(es), TLSA {Tlsa})";
}

/// <summary>A DNS response code as the evidence shows it.</summary>
public enum DnsRcodeSummary
{
    NoError,
    NxDomain,
    ServFail,
    Refused,
    Other,
    NoResponse,
    NotQueried,
}

/// <summary>The MTA-STS step of the evidence.</summary>
public sealed record MtaStsStepEvidence
{
    /// <summary>False when MTA-STS was not looked at (mode None, smart-host routing).</summary>
    public required bool Consulted { get; init; }

    public MtaSts.MtaStsPolicy? Policy { get; init; }

    public string? PolicyId { get; init; }

    /// <summary>Where the policy in effect came from: fetched in this run, the policy cache, given as text (Test-DaneCertificate), or none.</summary>
    public MtaSts.MtaStsPolicySource PolicySource { get; init; }

    /// <summary>Fetched, Cached, Given or None (<see cref="PolicySource"/> as text).</summary>
    public string Source => PolicySource.ToString();

    /// <summary>When the policy in effect was fetched (UTC): in this run, or when the cached copy was fetched.</summary>
    public DateTime? PolicyFetchedUtc { get; init; }

    public string? TxtRecord { get; init; }

    public IReadOnlyList<string> Failures { get; init; } = [];

    public TlsRptResultType? FailureResultType { get; init; }

    /// <summary>The full resolver evidence (TXT, fetch, cache action).</summary>
    [JsonIgnore]
    public MtaSts.MtaStsEvidence? Detail { get; init; }
}

/// <summary>All the evidence for one recipient domain (or smart-host set).</summary>
public sealed record DomainEvidence
{
    public required string Domain { get; init; }

    public required RoutingKind Routing { get; init; }

    public required DateTimeOffset GatheredAt { get; init; }

    /// <summary>Certificate dates were judged at this instant.</summary>
    public required DateTimeOffset AsOf { get; init; }

    public required MxEvidence Mx { get; init; }

    public IReadOnlyList<HostEvidence> Hosts { get; init; } = [];

    public MtaStsStepEvidence MtaSts { get; init; } = new() { Consulted = false };

    /// <summary>The TLS-RPT record of the domain (rua URIs), if any.</summary>
    public TlsRptRecord? TlsRpt { get; init; }

    public string? TlsRptDiagnosis { get; init; }

    public required Dns.ResolverInfo Resolver { get; init; }

    /// <summary>True when TLSA lookups were made (a DANE mode was asked for).</summary>
    public bool DaneConsulted { get; init; }

    /// <summary>How the STARTTLS probes reached port 25: "direct", "through SOCKS5 proxy host:port", or "none (-SkipSmtpProbe)".</summary>
    public string ProbeRoute { get; init; } = "direct";

    /// <summary><see cref="ProbeRoute"/> as a kind: what the verdict's sentences and advice rest on.</summary>
    public ProbeRouteKind ProbeRouteKind { get; init; } = ProbeRouteKind.Direct;

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>A one-line summary (what a CSV cell shows); Format-List shows the full evidence.</summary>
    public override string ToString()
    {
        string route = Routing == RoutingKind.Mx ? $"MX {Mx.Outcome} ({Mx.Status})" : "smart hosts";
        string hosts = string.Join(", ", Hosts.Select(h => $"{h.Name} TLSA {h.Tlsa}"));
        string sts = MtaSts.Policy is { } p ? $"MTA-STS {p.Mode} ({MtaSts.Source})" : MtaSts.Consulted ? "MTA-STS none" : "MTA-STS not consulted";
        return $"{route}; {(hosts.Length > 0 ? hosts : "no host")}; {sts}";
    }
}
