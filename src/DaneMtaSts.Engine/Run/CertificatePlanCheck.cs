using System.Net;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Smtp;

namespace DaneMtaSts.Engine.Run;

/// <summary>What to judge offline: a certificate chain against TLSA records and/or an MTA-STS policy.</summary>
public sealed record CertificatePlanInput
{
    /// <summary>The chain the MX host will serve, leaf first.</summary>
    public required IReadOnlyList<X509Certificate2> Chain { get; init; }

    /// <summary>The MX host name (the TLSA base name; the name MTA-STS checks the certificate for).</summary>
    public required string HostName { get; init; }

    /// <summary>The recipient domain, an extra reference name for DANE-TA (optional).</summary>
    public string? RecipientDomain { get; init; }

    /// <summary>The TLSA records of the host, taken as a DNSSEC-secure RRset (docs/verdicts.md#offline-check).</summary>
    public IReadOnlyList<TlsaRecord> TlsaRecords { get; init; } = [];

    public MtaStsPolicy? MtaStsPolicy { get; init; }

    public PkixTrust Trust { get; init; } = new();

    public required DateTimeOffset AsOf { get; init; }

    /// <summary>Where the chain came from, for messages.</summary>
    public string? Source { get; init; }
}

/// <summary>
/// The offline verdict on a planned certificate (docs/verdicts.md#offline-check): every property
/// is read from the verdicts <see cref="VerdictEngine"/> gave over one-host evidence, or from that
/// evidence itself (the DANE match, the WebPKI result).
/// </summary>
public sealed record CertificatePlanResult
{
    public required string HostName { get; init; }

    public required DateTimeOffset AsOf { get; init; }

    /// <summary>True when every verdict asked for is Deliver.</summary>
    public required bool Passed { get; init; }

    /// <summary>Null when the DANE check was not asked for (no TLSA records given).</summary>
    public bool? DanePassed { get; init; }

    /// <summary>The Exchange Online code SmtpDaneMode Mandatory would queue with (4.7.322, 4.7.323, 4.7.325).</summary>
    public string? DaneStatusCode { get; init; }

    public string? DaneStatusText { get; init; }

    public string? DaneDetail { get; init; }

    public TlsaRecord? MatchedRecord { get; init; }

    public int? MatchedDepth { get; init; }

    /// <summary>When the DANE-TA match stops (the earliest expiry below the anchor); null for DANE-EE or no match.</summary>
    public DateTimeOffset? StopsMatchingOn { get; init; }

    public IReadOnlyList<TlsaRecordResult> Records { get; init; } = [];

    /// <summary>Null when no MTA-STS policy was given; for a testing policy, whether enforce would deliver.</summary>
    public bool? MtaStsPassed { get; init; }

    /// <summary>The code MTA-STS enforce would queue with (4.4.8, 4.7.5), also for a testing policy.</summary>
    public string? MtaStsStatusCode { get; init; }

    public string? MtaStsPattern { get; init; }

    /// <summary>The MTA-STS policy as parsed (mode, max_age, mx, the parser's warnings); null when none was given.</summary>
    public MtaStsPolicy? MtaStsPolicy { get; init; }

    public PkixResult? Pkix { get; init; }

    public IReadOnlyList<CertificateSummary> Chain { get; init; } = [];

    public required string Reason { get; init; }

    /// <summary>The verdict under TlsValidationMode Mandatory (SmtpDaneMode Mandatory; MTA-STS never changes it) (null without TLSA records).</summary>
    public TlsPolicyResult? DaneVerdict { get; init; }

    /// <summary>The verdict under SmtpDaneMode None, MtaStsMode Opportunistic, with the policy as given (null without a policy).</summary>
    public TlsPolicyResult? MtaStsVerdict { get; init; }

    /// <summary>For a testing policy: the verdict the same policy in enforce mode gives (what MtaStsPassed reports); else null.</summary>
    public TlsPolicyResult? MtaStsEnforceVerdict { get; init; }

    /// <summary>Every verdict above that was given, and the warnings they carry (an expiry within 30 days, unusable records).</summary>
    public IReadOnlyList<TlsPolicyResult> Verdicts { get; init; } = [];

    public IReadOnlyList<string> Warnings { get; init; } = [];

    public override string ToString() => $"{HostName}: {(Passed ? "pass" : "fail")} - {Reason}";
}

/// <summary>
/// Offline judging (Test-DaneCertificate): a certificate file and TLSA records or a policy given
/// as text become the evidence of one MX host that served that chain, and <see cref="VerdictEngine"/>
/// judges it: the DANE check under SmtpDaneMode Mandatory (a host that is not DANE-authenticated
/// queues), the MTA-STS check under MtaStsMode Opportunistic with DANE off. This class holds no
/// rule of its own: it builds evidence and reads verdicts. No network, and every date at AsOf.
/// </summary>
public static class CertificatePlanCheck
{
    /// <summary>How an offline chain's source reads in the evidence (where a probe's route would be).</summary>
    private const string OfflineRoute = "none (an offline check of a certificate file)";

    public static CertificatePlanResult Check(CertificatePlanInput input)
    {
        string host = DomainName.Normalize(input.HostName);
        string? domain = input.RecipientDomain is { } d ? DomainName.Normalize(d) : null;
        bool daneAsked = input.TlsaRecords.Count > 0;
        MtaStsPolicy? policy = input.MtaStsPolicy;
        if (!daneAsked && policy is null)
        {
            throw new EngineException("NothingToCheck", EngineErrorKind.InvalidArgument,
                "Give TLSA records, an MTA-STS policy, or both, to check the certificate against.", input.Source);
        }

        var references = new List<string> { host };
        if (domain is not null && domain != host)
        {
            references.Add(domain);
        }

        DaneResult? dane = daneAsked
            ? DaneAuthenticator.Evaluate(new DaneCheck { ServedChain = input.Chain, Records = input.TlsaRecords, ReferenceNames = references, AsOf = input.AsOf })
            : null;
        PkixResult? pkix = policy is null ? null : PkixValidator.Validate(input.Chain, host, input.Trust, input.AsOf);
        DomainEvidence evidence = OneHost(input, host, domain, dane, pkix, policy);

        TlsPolicyResult? daneVerdict = daneAsked
            ? VerdictEngine.Judge(evidence, new JudgeOptions { SmtpDaneMode = SmtpDaneMode.Mandatory, MtaStsMode = MtaStsMode.Opportunistic })
            : null;
        var stsOptions = new JudgeOptions { SmtpDaneMode = SmtpDaneMode.None, MtaStsMode = MtaStsMode.Opportunistic };
        TlsPolicyResult? stsVerdict = policy is null ? null : VerdictEngine.Judge(evidence, stsOptions);
        TlsPolicyResult? enforceVerdict = policy is { Mode: MtaStsPolicyMode.Testing }
            ? VerdictEngine.Judge(evidence with { MtaSts = evidence.MtaSts with { Policy = policy with { Mode = MtaStsPolicyMode.Enforce } } }, stsOptions)
            : null;
        TlsPolicyResult? stsJudged = enforceVerdict ?? stsVerdict;

        TlsPolicyResult[] verdicts = [.. new[] { daneVerdict, stsVerdict }.OfType<TlsPolicyResult>()];
        var reasons = new List<string>();
        if (daneVerdict is not null)
        {
            reasons.Add($"DANE (SmtpDaneMode Mandatory): {Summary(daneVerdict)}");
        }

        if (stsVerdict is not null)
        {
            reasons.Add($"MTA-STS (policy mode {policy!.Mode.ToString().ToLowerInvariant()}): {Summary(stsVerdict)}");
        }

        return new CertificatePlanResult
        {
            HostName = host,
            AsOf = input.AsOf,
            Passed = verdicts.All(v => v.Outcome == Outcome.Deliver),
            DanePassed = daneVerdict is null ? null : daneVerdict.Outcome == Outcome.Deliver,
            DaneStatusCode = daneVerdict?.StatusCode,
            DaneStatusText = daneVerdict?.StatusText,
            DaneDetail = dane?.Detail,
            MatchedRecord = dane?.MatchedRecord,
            MatchedDepth = dane?.MatchedDepth,
            StopsMatchingOn = dane?.ValidUntil,
            Records = dane?.Records ?? [],
            MtaStsPassed = stsJudged is null ? null : stsJudged.Outcome == Outcome.Deliver,
            MtaStsStatusCode = stsJudged?.StatusCode,
            MtaStsPattern = policy?.FindMatchingPattern(host),
            MtaStsPolicy = policy,
            Pkix = pkix,
            Chain = CertificateSummaries.Create(input.Chain),
            Reason = string.Join(" ", reasons),
            DaneVerdict = daneVerdict,
            MtaStsVerdict = stsVerdict,
            MtaStsEnforceVerdict = enforceVerdict,
            Verdicts = verdicts,
            Warnings = [.. verdicts.SelectMany(v => v.Warnings).Distinct(StringComparer.Ordinal)],
        };
    }

    private static string Summary(TlsPolicyResult verdict) => verdict.Outcome == Outcome.Deliver
        ? $"Deliver ({verdict.Security}). {verdict.Reason}"
        : $"{verdict.Outcome} {verdict.StatusCode} {verdict.StatusText}. {verdict.Reason}";

    /// <summary>
    /// The evidence a dry run would have gathered for one MX host that served the chain: TLS
    /// established, the TLSA records (if any) in a DNSSEC-secure RRset at the host name under a
    /// secure MX RRset, the policy (if any) as the recipient domain's.
    /// </summary>
    private static DomainEvidence OneHost(CertificatePlanInput input, string host, string? domain, DaneResult? dane, PkixResult? pkix, MtaStsPolicy? policy)
    {
        IReadOnlyList<TlsaRecord> records = input.TlsaRecords;
        bool daneAsked = records.Count > 0;
        bool usable = daneAsked && DaneAuthenticator.HasUsableRecords(records);
        var address = new AddressEvidence
        {
            Address = IPAddress.IPv6None,
            OfflineSource = input.Source ?? "the certificate file",
            Stage = SmtpProbeStage.Completed,
            Connected = true,
            StartTlsOffered = true,
            TlsEstablished = true,
            Sni = host,
            Chain = CertificateSummaries.Create(input.Chain),
            Dane = usable ? dane : null,
            Pkix = pkix,
            ServedChain = input.Chain,
        };
        var hostEvidence = new HostEvidence
        {
            Name = host,
            AddressStatus = daneAsked ? DnsSecStatus.Secure : DnsSecStatus.Insecure,
            AddressRcode = DnsRcodeSummary.NoError,
            DaneApplicable = daneAsked,
            DaneApplicability = daneAsked
                ? $"the TLSA records given for {host} are taken as a DNSSEC-secure answer under a secure MX RRset: DANE applies."
                : $"no TLSA records were given for {host}, so DANE is not judged.",
            Tlsa = !daneAsked ? TlsaState.NotApplicable : usable ? TlsaState.Usable : TlsaState.UnusableOnly,
            TlsaBaseName = daneAsked ? host : null,
            TlsaStatus = daneAsked ? DnsSecStatus.Secure : null,
            TlsaRecords = records,
            TlsaUsability = daneAsked ? DaneAuthenticator.ClassifyRecords(records) : [],
            Addresses = [address],
        };
        return new DomainEvidence
        {
            Domain = domain ?? host,
            Routing = RoutingKind.Mx,
            GatheredAt = input.AsOf,
            AsOf = input.AsOf,
            Mx = new MxEvidence { Outcome = MxOutcome.Mx, Status = daneAsked ? DnsSecStatus.Secure : DnsSecStatus.Insecure },
            Hosts = [hostEvidence],
            MtaSts = policy is null
                ? new MtaStsStepEvidence { Consulted = false }
                : new MtaStsStepEvidence { Consulted = true, Policy = policy, PolicySource = MtaStsPolicySource.Given },
            Resolver = new ResolverInfo { Servers = [], Validates = true, IsLoopback = true, Note = "no DNS: an offline check" },
            DaneConsulted = daneAsked,
            ProbeRoute = OfflineRoute,
            ProbeRouteKind = ProbeRouteKind.None,
        };
    }
}
