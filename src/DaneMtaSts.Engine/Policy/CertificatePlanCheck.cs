using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Pkix;

namespace DaneMtaSts.Engine.Policy;

/// <summary>What to judge offline: a certificate chain against TLSA records and/or an MTA-STS policy.</summary>
public sealed record CertificatePlanInput
{
    /// <summary>The chain the MX host will serve, leaf first.</summary>
    public required IReadOnlyList<X509Certificate2> Chain { get; init; }

    /// <summary>The MX host name (the TLSA base name; the name MTA-STS checks the certificate for).</summary>
    public required string HostName { get; init; }

    /// <summary>The recipient domain, an extra reference name for DANE-TA (optional).</summary>
    public string? RecipientDomain { get; init; }

    public IReadOnlyList<TlsaRecord> TlsaRecords { get; init; } = [];

    public MtaStsPolicy? MtaStsPolicy { get; init; }

    public PkixTrust Trust { get; init; } = new();

    public required DateTimeOffset AsOf { get; init; }

    /// <summary>Where the chain came from, for messages.</summary>
    public string? Source { get; init; }
}

/// <summary>The offline verdict on a planned certificate (docs/verdicts.md#offline-check).</summary>
public sealed record CertificatePlanResult
{
    public required string HostName { get; init; }

    public required DateTimeOffset AsOf { get; init; }

    /// <summary>True when every check that was asked for passes.</summary>
    public required bool Passed { get; init; }

    /// <summary>Null when the DANE check was not asked for (no TLSA records given).</summary>
    public bool? DanePassed { get; init; }

    /// <summary>The Exchange Online code a DANE failure would queue with (4.7.322, 4.7.323, 4.7.325).</summary>
    public string? DaneStatusCode { get; init; }

    public string? DaneStatusText { get; init; }

    public string? DaneDetail { get; init; }

    public TlsaRecord? MatchedRecord { get; init; }

    public int? MatchedDepth { get; init; }

    /// <summary>When the DANE-TA match stops (the earliest expiry below the anchor); null for DANE-EE or no match.</summary>
    public DateTimeOffset? StopsMatchingOn { get; init; }

    public IReadOnlyList<TlsaRecordResult> Records { get; init; } = [];

    /// <summary>Null when no MTA-STS policy was given.</summary>
    public bool? MtaStsPassed { get; init; }

    public string? MtaStsStatusCode { get; init; }

    public string? MtaStsPattern { get; init; }

    /// <summary>The MTA-STS policy as parsed (mode, max_age, mx, the parser's warnings); null when none was given.</summary>
    public MtaStsPolicy? MtaStsPolicy { get; init; }

    public PkixResult? Pkix { get; init; }

    public IReadOnlyList<CertificateSummary> Chain { get; init; } = [];

    public required string Reason { get; init; }

    public override string ToString() => $"{HostName}: {(Passed ? "pass" : "fail")} - {Reason}";
}

/// <summary>
/// Offline judging: the same DANE and MTA-STS rules the dry run applies, to a certificate file and
/// TLSA records or a policy given as text, with no network — so a planned certificate or TLSA
/// rollover can be checked before it happens, at any AsOf date.
/// </summary>
public static class CertificatePlanCheck
{
    public static CertificatePlanResult Check(CertificatePlanInput input)
    {
        string host = DomainName.Normalize(input.HostName);
        var reasons = new List<string>();
        bool passed = true;

        bool? danePassed = null;
        string? daneCode = null;
        DaneResult? dane = null;
        if (input.TlsaRecords.Count > 0)
        {
            var references = new List<string> { host };
            if (input.RecipientDomain is { } domain)
            {
                references.Add(DomainName.Normalize(domain));
            }

            dane = DaneAuthenticator.Evaluate(new DaneCheck { ServedChain = input.Chain, Records = input.TlsaRecords, ReferenceNames = references, AsOf = input.AsOf });
            danePassed = dane.Authenticated;
            if (dane.Authenticated)
            {
                reasons.Add($"DANE: TLSA {dane.MatchedRecord} matches at depth {dane.MatchedDepth}" +
                            (dane.ValidUntil is { } until ? $"; the match holds until {until.UtcDateTime:yyyy-MM-dd HH:mm} UTC." : "; a DANE-EE match does not expire by date."));
            }
            else
            {
                daneCode = StatusCodes.ForDaneFailure(dane.Failure);
                passed = false;
                reasons.Add(dane.Failure == DaneFailure.NoUsableRecords
                    ? $"DANE: no usable TLSA record; TLS would be required but not authenticated, and SmtpDaneMode Mandatory would queue with {StatusCodes.TlsaInvalid}. {dane.Detail}"
                    : $"DANE: {daneCode} {StatusCodes.TextFor(daneCode)} - {dane.Detail}");
            }
        }

        bool? stsPassed = null;
        string? stsCode = null;
        string? pattern = null;
        PkixResult? pkix = null;
        if (input.MtaStsPolicy is { } policy)
        {
            pkix = PkixValidator.Validate(input.Chain, host, input.Trust, input.AsOf);
            pattern = policy.FindMatchingPattern(host);
            if (policy.Mode == MtaStsPolicyMode.None)
            {
                stsPassed = true;
                reasons.Add("MTA-STS: the policy's mode is none: nothing is enforced.");
            }
            else if (pattern is null)
            {
                stsPassed = false;
                stsCode = StatusCodes.MtaStsMxMismatch;
                reasons.Add($"MTA-STS: {host} matches none of the policy's mx patterns ({string.Join(", ", policy.Mx)}): {stsCode} under enforce.");
            }
            else if (!pkix.Valid)
            {
                stsPassed = false;
                stsCode = StatusCodes.MtaStsCertificateInvalid;
                reasons.Add($"MTA-STS: {host} matches {pattern}, but the certificate is not valid for it: {pkix.Detail} ({stsCode} under enforce).");
            }
            else
            {
                stsPassed = true;
                reasons.Add($"MTA-STS: {host} matches {pattern} and the certificate is valid for it.");
            }

            // testing mode reports but never queues.
            if (stsPassed == false && policy.Mode == MtaStsPolicyMode.Enforce)
            {
                passed = false;
            }
        }

        if (danePassed is null && stsPassed is null)
        {
            throw new EngineException("NothingToCheck", EngineErrorKind.InvalidArgument,
                "Give TLSA records, an MTA-STS policy, or both, to check the certificate against.", input.Source);
        }

        return new CertificatePlanResult
        {
            HostName = host,
            AsOf = input.AsOf,
            Passed = passed,
            DanePassed = danePassed,
            DaneStatusCode = daneCode,
            DaneStatusText = daneCode is null ? null : StatusCodes.TextFor(daneCode),
            DaneDetail = dane?.Detail,
            MatchedRecord = dane?.MatchedRecord,
            MatchedDepth = dane?.MatchedDepth,
            StopsMatchingOn = dane?.ValidUntil,
            Records = dane?.Records ?? [],
            MtaStsPassed = stsPassed,
            MtaStsStatusCode = stsCode,
            MtaStsPattern = pattern,
            MtaStsPolicy = input.MtaStsPolicy,
            Pkix = pkix,
            Chain = CertificateSummaries.Create(input.Chain),
            Reason = string.Join(" ", reasons),
        };
    }
}
