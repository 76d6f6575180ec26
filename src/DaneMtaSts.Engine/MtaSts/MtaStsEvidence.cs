using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.TlsRpt;

namespace DaneMtaSts.Engine.MtaSts;

/// <summary>Where the policy in effect came from.</summary>
public enum MtaStsPolicySource
{
    /// <summary>No policy applies.</summary>
    None,

    /// <summary>Fetched over HTTPS during this resolution.</summary>
    Fetched,

    /// <summary>Taken from the policy cache (unexpired).</summary>
    Cached,

    /// <summary>Given as text to an offline check (Test-DaneCertificate -MtaStsPolicy); never fetched.</summary>
    Given,
}

/// <summary>What the resolution did to the policy cache.</summary>
public enum MtaStsCacheAction
{
    None,

    /// <summary>A freshly fetched policy was stored (replacing any older one).</summary>
    Stored,

    /// <summary>The TXT id equals the cached id: the cached policy's expiry was pushed to now + max_age.</summary>
    Extended,

    /// <summary>The cached policy was used unchanged (DNS failure, TXT gone, refetch failed).</summary>
    Kept,

    /// <summary>A fetched mode none policy removed the cached entry.</summary>
    Cleared,
}

/// <summary>Everything MTA-STS discovery found for one domain (RFC 8461 §3, §5), for verdicts and reports.</summary>
public sealed record MtaStsEvidence
{
    public required string Domain { get; init; }

    /// <summary>The TXT name asked: _mta-sts.&lt;domain&gt;.</summary>
    public required string TxtName { get; init; }

    public required DnsSecStatus TxtStatus { get; init; }

    public required Dns.DnsRcode TxtRcode { get; init; }

    /// <summary>The CNAME targets the TXT lookup followed (docs/edge-cases.md#s2: delegated _mta-sts records); empty when none.</summary>
    public IReadOnlyList<string> TxtCnameChain { get; init; } = [];

    /// <summary>The STSv1 record text, if one was found.</summary>
    public string? TxtRecord { get; init; }

    /// <summary>One sentence about the TXT lookup and record.</summary>
    public required string TxtDiagnosis { get; init; }

    /// <summary>The policy in effect (a fetched mode none policy included: it means "no policy"); null when none.</summary>
    public MtaStsPolicy? Policy { get; init; }

    public required MtaStsPolicySource Source { get; init; }

    /// <summary>The id of the policy in effect (the TXT id when fetched or extended, the cached id otherwise).</summary>
    public string? PolicyId { get; init; }

    /// <summary>When the policy in effect was fetched over HTTPS (UTC): during this run, or when the cached copy was.</summary>
    public DateTime? PolicyFetchedUtc { get; init; }

    /// <summary>When the policy in effect expires from the cache (UTC), if it is cached.</summary>
    public DateTime? ExpiresUtc { get; init; }

    /// <summary>What went wrong, one sentence each (empty when discovery was clean).</summary>
    public IReadOnlyList<string> Failures { get; init; } = [];

    /// <summary>Notes that are not failures (CNAME'd TXT, cache decisions, policy warnings).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The HTTPS fetch made during this resolution, if any.</summary>
    public MtaStsFetchResult? Fetch { get; init; }

    public required MtaStsCacheAction CacheAction { get; init; }

    /// <summary>The RFC 8460 result type of the discovery failure (sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid), else null.</summary>
    public TlsRptResultType? FailureType { get; init; }

    /// <summary>True when a policy in mode enforce or testing applies.</summary>
    public bool HasActivePolicy => Policy is { Mode: MtaStsPolicyMode.Enforce or MtaStsPolicyMode.Testing };
}
