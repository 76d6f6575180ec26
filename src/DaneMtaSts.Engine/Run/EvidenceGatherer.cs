using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Common;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.Smtp;
using DaneMtaSts.Engine.TlsRpt;

namespace DaneMtaSts.Engine.Run;

/// <summary>What to gather, and how (one set per cmdlet call).</summary>
public sealed record GatherOptions
{
    /// <summary>Look up TLSA records (some requested mode has SmtpDaneMode other than None).</summary>
    public bool Dane { get; init; } = true;

    /// <summary>Look up MTA-STS (some requested mode has MtaStsMode Opportunistic).</summary>
    public bool MtaSts { get; init; } = true;

    public int SmtpPort { get; init; } = 25;

    /// <summary>Certificate dates are judged at this instant (default: now).</summary>
    public DateTimeOffset? AsOf { get; init; }

    public PkixTrust Trust { get; init; } = new();

    /// <summary>The connector's TlsDomain, checked when TlsSettings is DomainValidation.</summary>
    public string? TlsDomain { get; init; }

    /// <summary>How this run's STARTTLS probes reach port 25 (recorded in the evidence, for reports).</summary>
    public string ProbeRoute { get; init; } = "direct";

    /// <summary><see cref="ProbeRoute"/> as a kind.</summary>
    public ProbeRouteKind ProbeRouteKind { get; init; } = ProbeRouteKind.Direct;
}

/// <summary>Where STARTTLS probes come from: fresh probes (dry run) or kept-open sessions (Validate-OutboundConnector).</summary>
public interface ISmtpProbeSource
{
    Task<SmtpProbeResult> ProbeAsync(IPAddress address, string hostName, string? sni, CancellationToken cancellationToken);
}

/// <summary>
/// Gathers the evidence for domains: MX, addresses, TLSA, STARTTLS probes, MTA-STS and TLS-RPT,
/// concurrently, with every lookup and probe shared by the domains of one call (a host shared by
/// 200 domains is looked up once and each of its addresses probed once).
/// </summary>
public sealed class EvidenceGatherer
{
    private readonly IDnsResolver _dns;
    private readonly ISmtpProbeSource _probes;
    private readonly MtaStsPolicyFetcher? _fetcher;
    private readonly IMtaStsPolicyCache? _policyCache;
    private readonly GatherOptions _options;
    private readonly Func<DateTimeOffset> _clock;
    // Every cache of the call is SharedWork (docs/architecture.md#shared-work), bounded by host count.
    private readonly SharedWork<string, DnsAnswer<IPAddress>> _addresses = new(StringComparer.Ordinal, MaxCachedHosts);
    private readonly SharedWork<string, DnsAnswer<TlsaRecord>> _tlsa = new(StringComparer.Ordinal, MaxCachedHosts);
    private readonly SharedWork<string, MtaStsEvidence> _mtaSts = new(StringComparer.Ordinal, MaxCachedHosts);
    private readonly SharedWork<string, ResolverInfo> _resolverCheck = new(StringComparer.Ordinal);

    // However many domains share a probe, its served chain's PKIX path is built once (whichever
    // host served it) and checked once per reference name, and DANE judges it once per TLSA RRset
    // (docs/architecture.md#chain-judgement).
    private readonly SharedWork<string, PkixResult> _pkix = new(StringComparer.Ordinal, 2 * MaxCachedHosts);
    private readonly SharedWork<string, PkixChainStatus> _pkixChains = new(StringComparer.Ordinal, 2 * MaxCachedHosts);
    private readonly SharedWork<string, DaneResult> _dane = new(StringComparer.Ordinal, 2 * MaxCachedHosts);

    // What every judgement of a served chain reads of it (its certificates' hashes, the summaries on
    // the evidence), computed once per served chain, i.e. per probe, not once per domain that uses
    // the probe; it lives as long as the probe's result (docs/architecture.md#chain-judgement).
    private readonly ConditionalWeakTable<IReadOnlyList<X509Certificate2>, ServedChainFacts> _servedChains = new();
    private long _pkixValidations;
    private long _pkixChainBuilds;
    private long _daneEvaluations;

    /// <summary>How many hosts' lookups (and domains' MTA-STS evidence) one call keeps (docs/architecture.md#bounded-memory).</summary>
    public const int MaxCachedHosts = 4096;

    public EvidenceGatherer(IDnsResolver dns, ISmtpProbeSource probes, GatherOptions options, MtaStsPolicyFetcher? fetcher = null, IMtaStsPolicyCache? policyCache = null, Func<DateTimeOffset>? clock = null)
    {
        _dns = dns;
        _probes = probes;
        _options = options;
        _fetcher = fetcher;
        _policyCache = policyCache;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
    }

    public IDnsResolver Dns => _dns;

    /// <summary>PKIX validations computed so far (each served chain once per reference name and purpose).</summary>
    public long PkixValidations => Interlocked.Read(ref _pkixValidations);

    /// <summary>PKIX path builds made (one per served chain and instant, whatever the names checked against it): for tests and the benchmark.</summary>
    public long PkixChainBuilds => Interlocked.Read(ref _pkixChainBuilds);

    /// <summary>DANE evaluations computed so far (each served chain once per TLSA RRset, and per reference-name set where DANE-TA needs names).</summary>
    public long DaneEvaluations => Interlocked.Read(ref _daneEvaluations);

    /// <summary>Evidence for a recipient domain routed by its MX records.</summary>
    public async Task<DomainEvidence> GatherMxAsync(string domain, CancellationToken cancellationToken)
    {
        DateTimeOffset started = _clock();
        DateTimeOffset asOf = _options.AsOf ?? started;
        Task<ResolverInfo> resolverTask = CheckResolverAsync(cancellationToken);

        // Independent lookups go out together: MX, MTA-STS (TXT then HTTPS, overlapping the SMTP
        // probes) and TLS-RPT. Under the query budget the TXT lookups wait behind the critical path
        // (MX, then host addresses and TLSA), never ahead of it (docs/dns.md#query-budget).
        Task<MxResolution> mxTask = InLane(DnsLane.Mx, () => MxResolver.ResolveAsync(_dns, domain, cancellationToken, resolveHosts: false));
        Task<MtaStsEvidence>? stsTask = _options.MtaSts && _fetcher is not null ? InLane(DnsLane.Policy, () => GetMtaStsAsync(domain, cancellationToken)) : null;
        Task<DnsAnswer<string>>? rptTask = _options.Dane || _options.MtaSts ? InLane(DnsLane.Policy, () => _dns.QueryTxtAsync("_smtp._tls." + domain, cancellationToken)) : null;

        MxResolution mx = await mxTask;
        MxEvidence mxEvidence = MapMx(mx);
        var hosts = new List<HostEvidence>();
        if (mxEvidence.Outcome is MxOutcome.Mx or MxOutcome.ImplicitMx)
        {
            bool mxSecure = mxEvidence.Status == DnsSecStatus.Secure;
            var tasks = mx.CandidateHosts.Select(h => GatherHostAsync(h.Name, h.Preference, mxSecure, domain, RoutingKind.Mx, asOf, cancellationToken)).ToList();
            hosts.AddRange(await Task.WhenAll(tasks));
        }

        MtaStsStepEvidence sts = stsTask is null ? new MtaStsStepEvidence { Consulted = false } : MapMtaSts(await stsTask);
        (TlsRptRecord? rpt, string? rptDiagnosis) = rptTask is null ? (null, null) : ParseTlsRpt(await rptTask);
        return new DomainEvidence
        {
            Domain = domain,
            Routing = RoutingKind.Mx,
            GatheredAt = started,
            AsOf = asOf,
            Mx = mxEvidence,
            Hosts = hosts,
            MtaSts = sts,
            TlsRpt = rpt,
            TlsRptDiagnosis = rptDiagnosis,
            Resolver = await resolverTask,
            DaneConsulted = _options.Dane,
            ProbeRoute = _options.ProbeRoute,
            ProbeRouteKind = _options.ProbeRouteKind,
        };
    }

    /// <summary>Evidence for a recipient domain routed through smart hosts (UseMXRecord $false): no MX, no MTA-STS.</summary>
    public async Task<DomainEvidence> GatherSmartHostsAsync(string domain, IReadOnlyList<string> smartHosts, CancellationToken cancellationToken)
    {
        DateTimeOffset started = _clock();
        DateTimeOffset asOf = _options.AsOf ?? started;
        Task<ResolverInfo> resolverTask = CheckResolverAsync(cancellationToken);
        var notes = new List<string>();
        var tasks = new List<Task<HostEvidence>>();
        int preference = 0;
        foreach (string smartHost in smartHosts)
        {
            if (smartHost.Contains('/', StringComparison.Ordinal))
            {
                notes.Add($"Smart host {smartHost} is an address range (CIDR): it names no host to probe and is skipped.");
                continue;
            }

            // DANE applies to a smart host name as to an MX host; there is no MX RRset, so only the
            // host's own address records decide (docs/verdicts.md#smart-hosts).
            tasks.Add(GatherHostAsync(smartHost, preference++, parentSecure: true, domain, RoutingKind.SmartHost, asOf, cancellationToken));
        }

        HostEvidence[] hosts = await Task.WhenAll(tasks);
        return new DomainEvidence
        {
            Domain = domain,
            Routing = RoutingKind.SmartHost,
            GatheredAt = started,
            AsOf = asOf,
            Mx = new MxEvidence { Outcome = MxOutcome.NotLookedUp, Status = DnsSecStatus.Insecure, Notes = notes },
            Hosts = hosts,
            Resolver = await resolverTask,
            DaneConsulted = _options.Dane,
            ProbeRoute = _options.ProbeRoute,
            ProbeRouteKind = _options.ProbeRouteKind,
        };
    }

    // Work started here (and what it starts in turn) queues in this lane when the budget is spent.
    private static Task<T> InLane<T>(DnsLane lane, Func<Task<T>> start)
    {
        using (DnsQueryLane.Enter(lane))
        {
            return start();
        }
    }

    private async Task<ResolverInfo> CheckResolverAsync(CancellationToken cancellationToken)
    {
        if (!_options.Dane)
        {
            return _dns.Resolver;
        }

        // One check per call, shared by every domain; a caller's cancellation still ends the wait.
        return await _resolverCheck.GetAsync(string.Empty, (_, ct) => _dns.CheckValidationAsync(ct), cancellationToken);
    }

    private Task<MtaStsEvidence> GetMtaStsAsync(string domain, CancellationToken cancellationToken) =>
        _mtaSts.GetAsync(domain, (d, ct) => MtaStsResolver.ResolveAsync(d, _dns, _fetcher!, _policyCache, _clock(), ct), cancellationToken);

    private Task<DnsAnswer<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken) =>
        _addresses.GetAsync(host, _dns.QueryAddressesAsync, cancellationToken);

    private Task<DnsAnswer<TlsaRecord>> GetTlsaAsync(string name, CancellationToken cancellationToken) =>
        _tlsa.GetAsync(name, _dns.QueryTlsaAsync, cancellationToken);

    private string TlsaName(string baseName) => $"_{_options.SmtpPort}._tcp.{baseName}";

    private async Task<HostEvidence> GatherHostAsync(string host, int preference, bool parentSecure, string recipientDomain, RoutingKind routing, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            var literalAddresses = await ProbeAllAsync(host, [literal], sni: null, TlsaState.NotApplicable, [], [], asOf, cancellationToken);
            return new HostEvidence
            {
                Name = host,
                Preference = preference,
                Port = _options.SmtpPort,
                IsAddressLiteral = true,
                AddressStatus = DnsSecStatus.Insecure,
                AddressRcode = DnsRcodeSummary.NotQueried,
                DaneApplicable = false,
                DaneApplicability = $"{host} is an IP address, not a name: DANE cannot apply to it.",
                Tlsa = TlsaState.NotApplicable,
                Addresses = literalAddresses,
            };
        }

        // The TLSA lookup at the host's own name goes out with the address lookup when the MX
        // RRset is secure; its answer is used only if DANE turns out to apply (RFC 7672 §2.2).
        Task<DnsAnswer<IPAddress>> addressTask = GetAddressesAsync(host, cancellationToken);
        Task<DnsAnswer<TlsaRecord>>? originalTlsaTask = _options.Dane && parentSecure ? GetTlsaAsync(TlsaName(host), cancellationToken) : null;
        DnsAnswer<IPAddress> addresses = await addressTask;

        bool haveAddresses = addresses.IsUsable && addresses.Records.Count > 0;
        DaneApplicabilityDecision decision = DaneApplicability.Decide(new DaneHostLookups
        {
            Consulted = _options.Dane,
            ParentSecure = parentSecure,
            ViaMx = routing == RoutingKind.Mx,
            Host = host,
            RecipientDomain = recipientDomain,
            HasAddresses = haveAddresses,
            AddressStatus = addresses.Status,
            CnameChain = addresses.CnameChain,
            FirstLinkStatus = addresses.FirstLinkStatus,
        });

        TlsaState tlsaState = TlsaState.NotApplicable;
        string? baseName = null;
        DnsSecStatus? tlsaStatus = null;
        string? tlsaFailure = null;
        DnssecEvidence? tlsaDnssec = null;
        IReadOnlyList<TlsaRecord> records = [];
        IReadOnlyList<TlsaRecordResult> usability = [];
        var notes = new List<string>();
        if (decision.Applies)
        {
            DnsAnswer<TlsaRecord>? chosen = null;
            baseName = host;
            if (decision.ExpandedFirst)
            {
                string expanded = decision.TlsaBaseNames[0];
                DnsAnswer<TlsaRecord> expandedAnswer = await GetTlsaAsync(TlsaName(expanded), cancellationToken);
                if (DaneApplicability.UseExpandedAnswer(expandedAnswer.IsUsable, expandedAnswer.Records.Count, expandedAnswer.Status))
                {
                    chosen = expandedAnswer;
                    baseName = expanded;
                }
            }

            chosen ??= await (originalTlsaTask ?? GetTlsaAsync(TlsaName(host), cancellationToken));
            tlsaStatus = chosen.Status;
            tlsaDnssec = DnssecEvidence.From(chosen);
            switch (DaneApplicability.Interpret(chosen.IsUsable, chosen.Records.Count, chosen.Status))
            {
                case TlsaAnswerMeaning.LookupFailed:
                    tlsaState = TlsaState.LookupFailed;
                    tlsaFailure = chosen.Failure ?? $"{chosen.Rcode}, {chosen.Status}";
                    break;
                case TlsaAnswerMeaning.NoRecords:
                    tlsaState = TlsaState.NoRecords;
                    break;
                case TlsaAnswerMeaning.IgnoredInsecure:
                    tlsaState = TlsaState.NoRecords;
                    notes.Add($"TLSA records at {TlsaName(baseName)} are not DNSSEC-secure and are ignored.");
                    break;
                default:
                    records = chosen.Records;
                    usability = DaneAuthenticator.ClassifyRecords(records);
                    tlsaState = usability.Any(r => r.Usable) ? TlsaState.Usable : TlsaState.UnusableOnly;
                    break;
            }
        }

        // SNI is the TLSA base name when usable TLSA exist (RFC 7672 §8.1), else the host name
        // (what MTA-STS requires, RFC 8461 §4.2).
        string sni = tlsaState == TlsaState.Usable ? baseName! : host;
        var referenceNames = new List<string> { sni, host };
        if (routing == RoutingKind.Mx)
        {
            referenceNames.Add(recipientDomain);
        }

        IReadOnlyList<AddressEvidence> endpoints = haveAddresses
            ? await ProbeAllAsync(host, addresses.Records, sni, tlsaState, records, referenceNames.Distinct(StringComparer.OrdinalIgnoreCase).ToList(), asOf, cancellationToken)
            : [];

        return new HostEvidence
        {
            Name = host,
            Preference = preference,
            Port = _options.SmtpPort,
            AddressStatus = addresses.Status,
            AddressRcode = Summarise(addresses.Rcode),
            CnameChain = addresses.CnameChain,
            FirstCnameLinkStatus = addresses.FirstLinkStatus,
            AddressFailure = addresses.Failure,
            AddressDnssec = DnssecEvidence.From(addresses),
            TlsaDnssec = tlsaDnssec,
            DaneApplicable = decision.Applies,
            DaneApplicability = decision.Reason,
            Tlsa = tlsaState,
            TlsaBaseName = baseName,
            TlsaStatus = tlsaStatus,
            TlsaFailure = tlsaFailure,
            TlsaRecords = records,
            TlsaUsability = usability,
            Addresses = endpoints,
            Notes = notes,
        };
    }

    private async Task<IReadOnlyList<AddressEvidence>> ProbeAllAsync(string host, IReadOnlyList<IPAddress> addresses, string? sni, TlsaState tlsa, IReadOnlyList<TlsaRecord> records, IReadOnlyList<string> referenceNames, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        var probes = await Task.WhenAll(addresses.Select(a => _probes.ProbeAsync(a, host, sni, cancellationToken)));
        return await Task.WhenAll(probes.Select(p => JudgeAsync(p, host, tlsa, records, referenceNames, asOf, cancellationToken)));
    }

    private async Task<AddressEvidence> JudgeAsync(SmtpProbeResult probe, string host, TlsaState tlsa, IReadOnlyList<TlsaRecord> records, IReadOnlyList<string> referenceNames, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        IReadOnlyList<X509Certificate2> chain = probe.ServedChain;
        ServedChainFacts facts = _servedChains.GetValue(chain, static c => new ServedChainFacts(ChainJudgement.ChainHash(c), CertificateSummaries.Create(c)));
        DaneResult? dane = null;
        PkixResult? pkix = null;
        PkixResult? tlsDomainPkix = null;
        if (probe.TlsEstablished)
        {
            // Certificate times have a resolution of one second: judged at the whole second, the
            // domains of that second share the judgement (docs/architecture.md#chain-judgement).
            asOf = ChainJudgement.WholeSecond(asOf);
            string served = ChainJudgement.ChainKey(facts.Hash, asOf);
            if (tlsa == TlsaState.Usable)
            {
                dane = await _dane.GetAsync(ChainJudgement.DaneKey(served, records, referenceNames), (_, _) =>
                {
                    Interlocked.Increment(ref _daneEvaluations);
                    return Task.FromResult(DaneAuthenticator.Evaluate(new DaneCheck { ServedChain = chain, Records = records, ReferenceNames = referenceNames, AsOf = asOf }));
                }, cancellationToken);
            }

            // The path is built once per served chain; each reference name is then only a name check.
            PkixChainStatus chainStatus = await _pkixChains.GetAsync(served, (_, _) =>
            {
                Interlocked.Increment(ref _pkixChainBuilds);
                return Task.FromResult(PkixValidator.BuildChainStatus(chain, _options.Trust, asOf));
            }, cancellationToken);
            pkix = await _pkix.GetAsync(ChainJudgement.PkixKey(served, "host", host), (_, _) => Task.FromResult(ValidatePkix(chain, host, asOf, chainStatus)), cancellationToken);
            if (_options.TlsDomain is { } tlsDomain)
            {
                tlsDomainPkix = await _pkix.GetAsync(ChainJudgement.PkixKey(served, "tlsdomain", tlsDomain), (_, _) => Task.FromResult(ValidateTlsDomain(chain, tlsDomain, asOf, chainStatus)), cancellationToken);
            }
        }

        return new AddressEvidence
        {
            Address = probe.Address,
            Stage = probe.Stage,
            Connected = probe.Connected,
            Banner = probe.Banner,
            StartTlsOffered = probe.StartTlsOffered,
            TlsEstablished = probe.TlsEstablished,
            TlsProtocol = probe.TlsProtocol,
            CipherSuite = probe.CipherSuite,
            Sni = probe.Sni,
            ProbeFailure = probe.Failure,
            PermanentSmtpFailure = probe.PermanentSmtpFailure,
            ProxyFailed = probe.ProxyFailed,
            Chain = facts.Summaries,
            ChainSource = probe.ServedChainSource,
            Dane = dane,
            Pkix = pkix,
            TlsDomainPkix = tlsDomainPkix,
            ServedChain = chain,
        };
    }

    /// <summary>
    /// TlsSettings DomainValidation: a trusted chain whose leaf names match TlsDomain. A TlsDomain of
    /// "*.contoso.com" accepts a certificate for any one host directly under contoso.com (or the
    /// same wildcard), as Exchange Online does.
    /// </summary>
    private PkixResult ValidateTlsDomain(IReadOnlyList<X509Certificate2> chain, string tlsDomain, DateTimeOffset asOf, PkixChainStatus chainStatus)
    {
        PkixResult result = ValidatePkix(chain, tlsDomain, asOf, chainStatus);
        if (result.Valid || result.Failure != PkixFailure.NameMismatch || !tlsDomain.StartsWith("*.", StringComparison.Ordinal) || chain.Count == 0)
        {
            return result;
        }

        var names = CertificateNames.GetPresentedNames(chain[0], out _);
        string? hit = names.FirstOrDefault(n => CertificateNames.NameMatches(tlsDomain, n) || string.Equals(n, tlsDomain, StringComparison.OrdinalIgnoreCase));
        return hit is null
            ? result
            : result with { Valid = true, Failure = PkixFailure.None, NameMatches = true, Detail = $"The chain is trusted and the certificate name {hit} is covered by TlsDomain {tlsDomain}." };
    }

    private PkixResult ValidatePkix(IReadOnlyList<X509Certificate2> chain, string referenceName, DateTimeOffset asOf, PkixChainStatus chainStatus)
    {
        Interlocked.Increment(ref _pkixValidations);
        return PkixValidator.Validate(chain, referenceName, _options.Trust, asOf, chainStatus);
    }

    private static MxEvidence MapMx(MxResolution mx) => new()
    {
        Outcome = mx.Kind switch
        {
            MxResolutionKind.Mx => MxOutcome.Mx,
            MxResolutionKind.ImplicitMx => MxOutcome.ImplicitMx,
            MxResolutionKind.NullMx => MxOutcome.NullMx,
            MxResolutionKind.NoMailHost => MxOutcome.NoMailHost,
            MxResolutionKind.NxDomain => MxOutcome.NxDomain,
            MxResolutionKind.Bogus => MxOutcome.Bogus,
            _ => MxOutcome.Failed,
        },
        Status = mx.Status,
        CnameChain = mx.CnameChain,
        Notes = mx.Hosts.SelectMany(h => h.Notes.Select(n => $"MX {h.Name}: {n}")).ToList(),
        Failure = mx.Kind is MxResolutionKind.Bogus or MxResolutionKind.Failed or MxResolutionKind.NoMailHost ? mx.Reason : null,
        Dnssec = DnssecEvidence.From(mx.MxAnswer),
    };

    private static MtaStsStepEvidence MapMtaSts(MtaStsEvidence sts) => new()
    {
        Consulted = true,
        Policy = sts.Policy,
        PolicyId = sts.PolicyId,
        PolicySource = sts.Source,
        PolicyFetchedUtc = sts.PolicyFetchedUtc,
        TxtRecord = sts.TxtRecord,
        Failures = sts.Failures,
        FailureResultType = sts.FailureType,
        Detail = sts,
    };

    private static (TlsRptRecord? Record, string? Diagnosis) ParseTlsRpt(DnsAnswer<string> answer)
    {
        if (!answer.IsUsable)
        {
            return (null, $"The TLS-RPT lookup of {answer.Name} failed: {(answer.Failure ?? answer.Rcode.ToString()).TrimEnd('.')}.");
        }

        if (answer.Records.Count == 0)
        {
            return (null, $"No TLS-RPT record at {answer.Name}.");
        }

        TlsRptRecord record = TlsRptRecord.Parse(answer.Records);
        return (record.IsValid ? record : null, record.Diagnosis);
    }

    private static DnsRcodeSummary Summarise(DnsRcode rcode) => rcode switch
    {
        DnsRcode.NoError => DnsRcodeSummary.NoError,
        DnsRcode.NxDomain => DnsRcodeSummary.NxDomain,
        DnsRcode.ServFail => DnsRcodeSummary.ServFail,
        DnsRcode.Refused => DnsRcodeSummary.Refused,
        DnsRcode.None => DnsRcodeSummary.NoResponse,
        _ => DnsRcodeSummary.Other,
    };

    private sealed record ServedChainFacts(string Hash, IReadOnlyList<CertificateSummary> Summaries);
}
