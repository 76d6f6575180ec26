using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Smtp;
using DaneMtaSts.Engine.Tests.Support;
using DaneMtaSts.Engine.TlsRpt;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>
/// One private PKI for the verdict tests: a root (the only trusted one), an intermediate, and
/// leaves made on demand. Leaves are cached by their names so a test class does not pay for key
/// generation on every row.
/// </summary>
internal static class VerdictPki
{
    public static readonly X509Certificate2 Root = TestPki.CreateRoot("Verdict Test Root");

    public static readonly X509Certificate2 Intermediate = TestPki.CreateIntermediate(Root, "Verdict Test Intermediate");

    /// <summary>Only <see cref="Root"/> is trusted: a chain to anything else is untrusted under PKIX.</summary>
    public static readonly PkixTrust Trust = new() { ExtraRoots = [Root], UseSystemRoots = false };

    private static readonly ConcurrentDictionary<string, X509Certificate2> Leaves = new(StringComparer.Ordinal);

    /// <summary>A valid leaf for <paramref name="names"/> (the first is the CN) issued by <see cref="Intermediate"/>.</summary>
    public static X509Certificate2 Leaf(params string[] names) =>
        Leaves.GetOrAdd("ok|" + string.Join(",", names), _ => TestPki.CreateLeaf(Intermediate, names[0], names));

    /// <summary>leaf, intermediate: what a well-configured server sends.</summary>
    public static X509Certificate2[] Chain(params string[] names) => [Leaf(names), Intermediate];

    /// <summary>A leaf issued by <see cref="Intermediate"/> that expired yesterday.</summary>
    public static X509Certificate2 ExpiredLeaf(string name) =>
        Leaves.GetOrAdd("expired|" + name, _ => TestPki.CreateLeaf(Intermediate, name, [name], notBefore: DateTimeOffset.UtcNow.AddDays(-90), notAfter: DateTimeOffset.UtcNow.AddDays(-1)));

    /// <summary>A leaf issued by <see cref="Intermediate"/> that expires in <paramref name="days"/> days.</summary>
    public static X509Certificate2 LeafExpiringIn(int days, string name) =>
        Leaves.GetOrAdd($"in{days}|{name}", _ => TestPki.CreateLeaf(Intermediate, name, [name], notBefore: DateTimeOffset.UtcNow.AddDays(-30), notAfter: DateTimeOffset.UtcNow.AddDays(days)));

    /// <summary>A self-signed leaf: untrusted under PKIX, fine for DANE-EE.</summary>
    public static X509Certificate2 SelfSigned(string name) =>
        Leaves.GetOrAdd("self|" + name, _ => TestPki.CreateLeaf(null, name, [name]));

    /// <summary>A TLSA record for <paramref name="cert"/> (RFC 6698 §2.1: selector 0 full cert / 1 SPKI; matching 0 full / 1 SHA2-256 / 2 SHA2-512).</summary>
    public static TlsaRecord Tlsa(byte usage, byte selector, byte matchingType, X509Certificate2 cert)
    {
        byte[] selected = selector == 0 ? cert.RawData : cert.PublicKey.ExportSubjectPublicKeyInfo();
        byte[] data = matchingType switch
        {
            0 => selected,
            2 => SHA512.HashData(selected),
            _ => SHA256.HashData(selected),
        };
        return new TlsaRecord(usage, selector, matchingType, data);
    }

    /// <summary>A well-formed "3 1 1" record that matches nothing.</summary>
    public static TlsaRecord UnrelatedEe() => new(3, 1, 1, RandomNumberGenerator.GetBytes(32));
}

/// <summary>What the STARTTLS probe of one address saw.</summary>
internal sealed record Probe
{
    public required SmtpProbeStage Stage { get; init; }

    public bool Connected { get; init; } = true;

    public bool StartTlsOffered { get; init; }

    public bool TlsEstablished { get; init; }

    public IReadOnlyList<X509Certificate2> Chain { get; init; } = [];

    public string? Failure { get; init; }

    public static Probe Tls(params X509Certificate2[] chain) =>
        new() { Stage = SmtpProbeStage.Completed, StartTlsOffered = true, TlsEstablished = true, Chain = chain };

    public static Probe NoStartTls() => new() { Stage = SmtpProbeStage.Completed };

    public static Probe HandshakeFails() =>
        new() { Stage = SmtpProbeStage.Handshake, StartTlsOffered = true, Failure = "the TLS handshake failed: unexpected EOF" };

    public static Probe ConnectFails() =>
        new() { Stage = SmtpProbeStage.Connect, Connected = false, Failure = "connection refused" };

    public static Probe EhloFails() =>
        new() { Stage = SmtpProbeStage.Ehlo, Failure = "EHLO rejected: 554" };
}

/// <summary>One MX host or smart host, built fluently.</summary>
internal sealed class HostBuilder(string name, int preference)
{
    private readonly List<(IPAddress Address, Probe Probe)> _probes = [];
    private DnsSecStatus _addressStatus = DnsSecStatus.Secure;
    private IReadOnlyList<string> _cname = [];
    private DnsSecStatus? _firstLink;
    private TlsaState? _tlsa;
    private DnsSecStatus? _tlsaStatus;
    private IReadOnlyList<TlsaRecord> _records = [];
    private string? _tlsaBase;
    private bool? _daneApplicable;
    private bool _literal;
    private bool _noAddresses;
    private bool _tlsaStatusGiven;

    public string Name => name;

    public HostBuilder Insecure()
    {
        _addressStatus = DnsSecStatus.Insecure;
        return this;
    }

    public HostBuilder AddressLookup(DnsSecStatus status)
    {
        _addressStatus = status;
        if (status is DnsSecStatus.Bogus or DnsSecStatus.Failed)
        {
            _noAddresses = true;
        }

        return this;
    }

    /// <summary>The host is an alias: <paramref name="target"/> is the end of the chain; <paramref name="addressStatus"/> is the status of the whole answer.</summary>
    public HostBuilder Cname(string target, DnsSecStatus firstLink, DnsSecStatus addressStatus)
    {
        _cname = [target];
        _firstLink = firstLink;
        _addressStatus = addressStatus;
        return this;
    }

    public HostBuilder Literal()
    {
        _literal = true;
        _addressStatus = DnsSecStatus.Insecure;
        return this;
    }

    /// <summary>Secure TLSA records (usable or not: the state follows from the real classification).</summary>
    public HostBuilder Tlsa(params TlsaRecord[] records)
    {
        _records = records;
        _tlsaStatus = DnsSecStatus.Secure;
        _tlsa = DaneAuthenticator.HasUsableRecords(records) ? TlsaState.Usable : TlsaState.UnusableOnly;
        return this;
    }

    /// <summary>Secure NXDOMAIN/NODATA at _25._tcp.</summary>
    public HostBuilder NoTlsa()
    {
        _tlsa = TlsaState.NoRecords;
        _tlsaStatus = DnsSecStatus.Secure;
        return this;
    }

    /// <summary>SERVFAIL, timeout or bogus TLSA answer.</summary>
    public HostBuilder TlsaFails(DnsSecStatus status = DnsSecStatus.Bogus)
    {
        _tlsa = TlsaState.LookupFailed;
        _tlsaStatus = status;
        return this;
    }

    /// <summary>Sets the TLSA state and status directly: only for tests about a judged state.</summary>
    public HostBuilder WithTlsaState(TlsaState state, DnsSecStatus? status)
    {
        _tlsa = state;
        _tlsaStatus = status;
        _tlsaStatusGiven = true;
        return this;
    }

    public HostBuilder TlsaBase(string baseName)
    {
        _tlsaBase = baseName;
        return this;
    }

    /// <summary>Forces DaneApplicable (otherwise computed as the gatherer does).</summary>
    public HostBuilder DaneApplicable(bool applicable)
    {
        _daneApplicable = applicable;
        return this;
    }

    public HostBuilder NoAddresses()
    {
        _noAddresses = true;
        return this;
    }

    public HostBuilder Address(Probe probe, string? address = null)
    {
        _probes.Add((IPAddress.Parse(address ?? NextAddress()), probe));
        return this;
    }

    private static int s_next;

    private static string NextAddress()
    {
        int n = Interlocked.Increment(ref s_next);
        return $"192.0.2.{(n % 250) + 1}";
    }

    public HostEvidence Build(EvidenceBuilder domain)
    {
        var probes = _noAddresses ? [] : _probes.ToList();
        if (_literal && probes.Count == 0)
        {
            probes.Add((IPAddress.Parse(name), Probe.Tls(VerdictPki.SelfSigned(name))));
        }

        bool hostSecure = _addressStatus == DnsSecStatus.Secure || (_cname.Count > 0 && _firstLink == DnsSecStatus.Secure);
        bool parentSecure = domain.Routing == RoutingKind.SmartHost || domain.MxStatus == DnsSecStatus.Secure;
        bool applicable = _daneApplicable ?? (domain.DaneConsulted && !_literal && parentSecure && probes.Count > 0 && hostSecure);

        TlsaState state = _tlsa ?? (applicable ? TlsaState.NoRecords : TlsaState.NotApplicable);
        DnsSecStatus? tlsaStatus = _tlsaStatusGiven ? _tlsaStatus : _tlsaStatus ?? (applicable ? DnsSecStatus.Secure : null);
        if (!applicable && _daneApplicable is null)
        {
            // As the gatherer: no lookup when DANE does not apply.
            state = TlsaState.NotApplicable;
            tlsaStatus = null;
        }

        string baseName = _tlsaBase ?? (_cname.Count > 0 && _addressStatus == DnsSecStatus.Secure ? _cname[^1] : name);
        var referenceNames = new List<string> { baseName, name };
        if (domain.Routing == RoutingKind.Mx)
        {
            referenceNames.Add(domain.Domain);
        }

        IReadOnlyList<TlsaRecord> records = state is TlsaState.Usable or TlsaState.UnusableOnly ? _records : [];
        var addresses = probes.Select(p => Judge(p.Address, p.Probe, name, state, records, referenceNames.Distinct(StringComparer.OrdinalIgnoreCase).ToList(), domain)).ToList();
        return new HostEvidence
        {
            Name = name,
            Preference = preference,
            IsAddressLiteral = _literal,
            AddressStatus = _addressStatus,
            AddressRcode = _addressStatus is DnsSecStatus.Bogus or DnsSecStatus.Failed ? DnsRcodeSummary.ServFail : DnsRcodeSummary.NoError,
            CnameChain = _cname,
            FirstCnameLinkStatus = _firstLink,
            AddressFailure = _addressStatus is DnsSecStatus.Bogus or DnsSecStatus.Failed ? $"SERVFAIL ({_addressStatus})" : null,
            DaneApplicable = applicable,
            DaneApplicability = applicable
                ? $"{name} and its MX records are DNSSEC-secure: DANE applies."
                : $"the address records of {name} are not DNSSEC-signed (insecure), so DANE does not apply to it.",
            Tlsa = state,
            TlsaBaseName = applicable ? baseName : null,
            TlsaStatus = tlsaStatus,
            TlsaFailure = state == TlsaState.LookupFailed ? $"SERVFAIL ({tlsaStatus})" : null,
            TlsaRecords = records,
            TlsaUsability = records.Count > 0 ? DaneAuthenticator.ClassifyRecords(records) : [],
            Addresses = addresses,
        };
    }

    // The same judging of a served chain the gatherer does, with the real DANE and PKIX code.
    private static AddressEvidence Judge(IPAddress address, Probe probe, string hostName, TlsaState state, IReadOnlyList<TlsaRecord> records, IReadOnlyList<string> referenceNames, EvidenceBuilder domain)
    {
        DaneResult? dane = null;
        PkixResult? pkix = null;
        PkixResult? tlsDomainPkix = null;
        if (probe.TlsEstablished)
        {
            if (state == TlsaState.Usable)
            {
                dane = DaneAuthenticator.Evaluate(new DaneCheck { ServedChain = probe.Chain, Records = records, ReferenceNames = referenceNames, AsOf = domain.AsOf });
            }

            pkix = PkixValidator.Validate(probe.Chain, hostName, VerdictPki.Trust, domain.AsOf);
            if (domain.TlsDomainName is { } tlsDomain)
            {
                tlsDomainPkix = PkixValidator.Validate(probe.Chain, tlsDomain, VerdictPki.Trust, domain.AsOf);
            }
        }

        return new AddressEvidence
        {
            Address = address,
            Stage = probe.Stage,
            Connected = probe.Connected,
            Banner = probe.Connected ? "220 mx ESMTP" : null,
            StartTlsOffered = probe.StartTlsOffered,
            TlsEstablished = probe.TlsEstablished,
            TlsProtocol = probe.TlsEstablished ? "Tls13" : null,
            Sni = probe.TlsEstablished ? referenceNames[0] : null,
            ProbeFailure = probe.Failure,
            Chain = CertificateSummaries.Create(probe.Chain),
            Dane = dane,
            Pkix = pkix,
            TlsDomainPkix = tlsDomainPkix,
            ServedChain = probe.Chain,
        };
    }
}

/// <summary>
/// Builds <see cref="DomainEvidence"/> the way the gatherer would have, but from constructed DNS
/// facts and probes; DANE and PKIX results come from the real <see cref="DaneAuthenticator"/> and
/// <see cref="PkixValidator"/> over generated certificates.
/// </summary>
internal sealed class EvidenceBuilder
{
    private readonly List<HostBuilder> _hosts = [];
    private MxOutcome _mxOutcome = MxOutcome.Mx;
    private MtaStsPolicy? _policy;
    private MtaStsPolicySource _policySource = MtaStsPolicySource.Fetched;
    private DateTime? _policyFetchedUtc;
    private ResolverInfo _resolver = new() { Servers = ["127.0.0.1"], Validates = true, IsLoopback = true };
    private Engine.TlsRpt.TlsRptRecord? _tlsRpt;

    private EvidenceBuilder(string domain, RoutingKind routing, DnsSecStatus mxStatus)
    {
        Domain = domain;
        Routing = routing;
        MxStatus = mxStatus;
    }

    public string Domain { get; }

    public RoutingKind Routing { get; }

    public DnsSecStatus MxStatus { get; private set; }

    public DateTimeOffset AsOf { get; private set; } = DateTimeOffset.UtcNow;

    public string? TlsDomainName { get; private set; }

    public bool DaneConsulted { get; private set; } = true;

    /// <summary>MX routing; the MX RRset has <paramref name="mxStatus"/> (Secure: the AD bit was set).</summary>
    public static EvidenceBuilder Mx(string domain = "example.test", DnsSecStatus mxStatus = DnsSecStatus.Secure) =>
        new(domain, RoutingKind.Mx, mxStatus);

    public static EvidenceBuilder SmartHosts(string domain = "example.test") =>
        new(domain, RoutingKind.SmartHost, DnsSecStatus.Insecure) { _mxOutcome = MxOutcome.NotLookedUp };

    /// <summary>A domain whose MX step ended before any host (NXDOMAIN, Null MX, bogus, …).</summary>
    public static EvidenceBuilder MxLookup(MxOutcome outcome, DnsSecStatus status, string domain = "example.test") =>
        new(domain, RoutingKind.Mx, status) { _mxOutcome = outcome };

    /// <summary>No MX records, secure NODATA: the domain itself is the host (RFC 5321 §5.1).</summary>
    public EvidenceBuilder ImplicitMx(Action<HostBuilder> configure)
    {
        _mxOutcome = MxOutcome.ImplicitMx;
        return Host(Domain, 0, configure);
    }

    public EvidenceBuilder Host(string name, int preference, Action<HostBuilder> configure)
    {
        var host = new HostBuilder(name, preference);
        configure(host);
        _hosts.Add(host);
        return this;
    }

    /// <summary>A parsed MTA-STS policy (the real parser) with these mx patterns.</summary>
    public EvidenceBuilder MtaSts(MtaStsPolicyMode mode, params string[] mx)
    {
        string text = $"version: STSv1\nmode: {mode.ToString().ToLowerInvariant()}\n{string.Concat(mx.Select(m => $"mx: {m}\n"))}max_age: 86400\n";
        Assert.True(MtaStsPolicy.TryParse(text, out MtaStsPolicy? policy, out string? error), error);
        _policy = policy;
        return this;
    }

    /// <summary>The MTA-STS policy came from the policy cache, fetched at <paramref name="fetchedUtc"/>.</summary>
    public EvidenceBuilder FromPolicyCache(DateTime fetchedUtc)
    {
        _policySource = MtaStsPolicySource.Cached;
        _policyFetchedUtc = fetchedUtc;
        return this;
    }

    public EvidenceBuilder Resolver(bool? validates, bool loopback = true, params string[] servers)
    {
        _resolver = new ResolverInfo { Servers = servers.Length > 0 ? servers : [loopback ? "127.0.0.1" : "192.0.2.53"], Validates = validates, IsLoopback = loopback };
        return this;
    }

    public EvidenceBuilder TlsDomain(string tlsDomain)
    {
        TlsDomainName = tlsDomain;
        return this;
    }

    public EvidenceBuilder NotDaneConsulted()
    {
        DaneConsulted = false;
        return this;
    }

    public EvidenceBuilder TlsRpt(string txt)
    {
        _tlsRpt = Engine.TlsRpt.TlsRptRecord.Parse([txt]);
        return this;
    }

    public DomainEvidence Build() => new()
    {
        Domain = Domain,
        Routing = Routing,
        GatheredAt = AsOf,
        AsOf = AsOf,
        Mx = new MxEvidence { Outcome = _mxOutcome, Status = MxStatus, Failure = _mxOutcome is MxOutcome.Bogus or MxOutcome.Failed ? "SERVFAIL" : null },
        Hosts = _hosts.Select(h => h.Build(this)).ToList(),
        MtaSts = _policy is null
            ? new MtaStsStepEvidence { Consulted = Routing == RoutingKind.Mx }
            : new MtaStsStepEvidence { Consulted = true, Policy = _policy, PolicyId = "20240101T000000", PolicySource = _policySource, PolicyFetchedUtc = _policyFetchedUtc },
        TlsRpt = _tlsRpt,
        Resolver = _resolver,
        DaneConsulted = DaneConsulted,
    };
}

/// <summary>The mode pairs of docs/verdicts.md#modes, plus the Custom pairs.</summary>
internal static class Modes
{
    public static JudgeOptions Of(SmtpDaneMode dane, MtaStsMode sts, TlsAuthLevel? tlsSettings = null, string? tlsDomain = null) =>
        new() { SmtpDaneMode = dane, MtaStsMode = sts, TlsSettings = tlsSettings, TlsDomain = tlsDomain };

    public static readonly JudgeOptions Opportunistic = Of(SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic);

    public static readonly JudgeOptions Mandatory = Of(SmtpDaneMode.Mandatory, MtaStsMode.Opportunistic);

    public static readonly JudgeOptions None = Of(SmtpDaneMode.None, MtaStsMode.None);

    /// <summary>Custom: DANE only.</summary>
    public static readonly JudgeOptions DaneOnly = Of(SmtpDaneMode.Opportunistic, MtaStsMode.None);

    /// <summary>Custom: MTA-STS only.</summary>
    public static readonly JudgeOptions StsOnly = Of(SmtpDaneMode.None, MtaStsMode.Opportunistic);

    public static JudgeOptions ByName(string name) => name switch
    {
        "Opportunistic" => Opportunistic,
        "Mandatory" => Mandatory,
        "None" => None,
        "DaneOnly" => DaneOnly,
        "StsOnly" => StsOnly,
        "MandatoryNoSts" => Of(SmtpDaneMode.Mandatory, MtaStsMode.None),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
