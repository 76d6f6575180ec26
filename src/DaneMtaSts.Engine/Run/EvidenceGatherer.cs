using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
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
    private readonly ConcurrentDictionary<string, Lazy<Task<DnsAnswer<IPAddress>>>> _addresses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<DnsAnswer<TlsaRecord>>>> _tlsa = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<MtaStsEvidence>>> _mtaSts = new(StringComparer.Ordinal);
    private readonly Lazy<Task<ResolverInfo>> _resolverCheck;

    public EvidenceGatherer(IDnsResolver dns, ISmtpProbeSource probes, GatherOptions options, MtaStsPolicyFetcher? fetcher = null, IMtaStsPolicyCache? policyCache = null, Func<DateTimeOffset>? clock = null)
    {
        _dns = dns;
        _probes = probes;
        _options = options;
        _fetcher = fetcher;
        _policyCache = policyCache;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
        _resolverCheck = new Lazy<Task<ResolverInfo>>(() => _dns.CheckValidationAsync(CancellationToken.None));
    }

    public IDnsResolver Dns => _dns;

    /// <summary>Evidence for a recipient domain routed by its MX records.</summary>
    public async Task<DomainEvidence> GatherMxAsync(string domain, CancellationToken cancellationToken)
    {
        DateTimeOffset started = _clock();
        DateTimeOffset asOf = _options.AsOf ?? started;
        Task<ResolverInfo> resolverTask = CheckResolverAsync(cancellationToken);

        // Independent lookups go out together: MX, MTA-STS (TXT then HTTPS, overlapping the SMTP
        // probes) and TLS-RPT.
        Task<MxResolution> mxTask = MxResolver.ResolveAsync(_dns, domain, cancellationToken, resolveHosts: false);
        Task<MtaStsEvidence>? stsTask = _options.MtaSts && _fetcher is not null ? GetMtaStsAsync(domain, cancellationToken) : null;
        Task<DnsAnswer<string>>? rptTask = _options.Dane || _options.MtaSts ? _dns.QueryTxtAsync("_smtp._tls." + domain, cancellationToken) : null;

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
        };
    }

    private async Task<ResolverInfo> CheckResolverAsync(CancellationToken cancellationToken)
    {
        if (!_options.Dane)
        {
            return _dns.Resolver;
        }

        // One check per call, shared by every domain; a caller's cancellation still ends the wait.
        return await _resolverCheck.Value.WaitAsync(cancellationToken);
    }

    private Task<MtaStsEvidence> GetMtaStsAsync(string domain, CancellationToken cancellationToken) =>
        _mtaSts.GetOrAdd(domain, d => new Lazy<Task<MtaStsEvidence>>(() =>
            MtaStsResolver.ResolveAsync(d, _dns, _fetcher!, _policyCache, _clock(), cancellationToken))).Value;

    private Task<DnsAnswer<IPAddress>> GetAddressesAsync(string host, CancellationToken cancellationToken) =>
        _addresses.GetOrAdd(host, h => new Lazy<Task<DnsAnswer<IPAddress>>>(() => _dns.QueryAddressesAsync(h, cancellationToken))).Value;

    private Task<DnsAnswer<TlsaRecord>> GetTlsaAsync(string name, CancellationToken cancellationToken) =>
        _tlsa.GetOrAdd(name, n => new Lazy<Task<DnsAnswer<TlsaRecord>>>(() => _dns.QueryTlsaAsync(n, cancellationToken))).Value;

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

        bool aliased = addresses.CnameChain.Count > 0;
        bool hostSecure = addresses.Status == DnsSecStatus.Secure || (aliased && addresses.FirstLinkStatus == DnsSecStatus.Secure);
        bool haveAddresses = addresses.IsUsable && addresses.Records.Count > 0;
        string applicability;
        bool daneApplicable = false;
        if (!_options.Dane)
        {
            applicability = "DANE was not consulted (SmtpDaneMode None).";
        }
        else if (!parentSecure)
        {
            applicability = routing == RoutingKind.Mx
                ? $"the MX records of {recipientDomain} are not DNSSEC-signed (insecure), so DANE does not apply to {host} (RFC 7672 §2.2.1)."
                : $"{host} is not DNSSEC-secure.";
        }
        else if (!haveAddresses)
        {
            applicability = $"{host} has no usable address records.";
        }
        else if (!hostSecure)
        {
            applicability = $"the address records of {host} are not DNSSEC-signed (insecure), so DANE does not apply to it (RFC 7672 §2.2.2).";
        }
        else
        {
            daneApplicable = true;
            applicability = $"{host} and its MX records are DNSSEC-secure: DANE applies.";
        }

        TlsaState tlsaState = TlsaState.NotApplicable;
        string? baseName = null;
        DnsSecStatus? tlsaStatus = null;
        string? tlsaFailure = null;
        DnssecEvidence? tlsaDnssec = null;
        IReadOnlyList<TlsaRecord> records = [];
        IReadOnlyList<TlsaRecordResult> usability = [];
        var notes = new List<string>();
        if (daneApplicable)
        {
            DnsAnswer<TlsaRecord>? chosen = null;
            baseName = host;
            if (aliased && addresses.Status == DnsSecStatus.Secure)
            {
                // CNAME-expanded name first (RFC 7672 §2.2.2); an error there is an error, never a
                // reason to fall back to the original name.
                string expanded = addresses.CanonicalName;
                DnsAnswer<TlsaRecord> expandedAnswer = await GetTlsaAsync(TlsaName(expanded), cancellationToken);
                if (!expandedAnswer.IsUsable || (expandedAnswer.Records.Count > 0 && expandedAnswer.Status == DnsSecStatus.Secure))
                {
                    chosen = expandedAnswer;
                    baseName = expanded;
                }
            }

            chosen ??= await (originalTlsaTask ?? GetTlsaAsync(TlsaName(host), cancellationToken));
            tlsaStatus = chosen.Status;
            tlsaDnssec = DnssecEvidence.From(chosen);
            if (!chosen.IsUsable)
            {
                tlsaState = TlsaState.LookupFailed;
                tlsaFailure = chosen.Failure ?? $"{chosen.Rcode}, {chosen.Status}";
            }
            else if (chosen.Records.Count == 0)
            {
                tlsaState = TlsaState.NoRecords;
            }
            else if (chosen.Status != DnsSecStatus.Secure)
            {
                // RFC 7672 §2.2: TLSA records that are not DNSSEC-validated are ignored.
                tlsaState = TlsaState.NoRecords;
                notes.Add($"TLSA records at {TlsaName(baseName)} are not DNSSEC-secure and are ignored.");
            }
            else
            {
                records = chosen.Records;
                usability = DaneAuthenticator.ClassifyRecords(records);
                tlsaState = usability.Any(r => r.Usable) ? TlsaState.Usable : TlsaState.UnusableOnly;
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
            DaneApplicable = daneApplicable,
            DaneApplicability = applicability,
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
        return probes.Select(p => Judge(p, host, tlsa, records, referenceNames, asOf)).ToList();
    }

    private AddressEvidence Judge(SmtpProbeResult probe, string host, TlsaState tlsa, IReadOnlyList<TlsaRecord> records, IReadOnlyList<string> referenceNames, DateTimeOffset asOf)
    {
        IReadOnlyList<X509Certificate2> chain = probe.ServedChain;
        DaneResult? dane = null;
        PkixResult? pkix = null;
        PkixResult? tlsDomainPkix = null;
        if (probe.TlsEstablished)
        {
            if (tlsa == TlsaState.Usable)
            {
                dane = DaneAuthenticator.Evaluate(new DaneCheck { ServedChain = chain, Records = records, ReferenceNames = referenceNames, AsOf = asOf });
            }

            pkix = PkixValidator.Validate(chain, host, _options.Trust, asOf);
            if (_options.TlsDomain is { } tlsDomain)
            {
                tlsDomainPkix = ValidateTlsDomain(chain, tlsDomain, asOf);
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
            Chain = CertificateSummaries.Create(chain),
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
    private PkixResult ValidateTlsDomain(IReadOnlyList<X509Certificate2> chain, string tlsDomain, DateTimeOffset asOf)
    {
        PkixResult result = PkixValidator.Validate(chain, tlsDomain, _options.Trust, asOf);
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
        Source = sts.Source.ToString(),
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
}
