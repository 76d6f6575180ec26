using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.TlsRpt;

namespace DaneMtaSts;

/// <summary>The decision for one host under one mode.</summary>
public sealed record HostVerdict
{
    public required string Host { get; init; }

    public required bool Passed { get; init; }

    /// <summary>False when the host was not tried (not matching an MTA-STS enforce policy).</summary>
    public bool Candidate { get; init; } = true;

    public TransportSecurity? Security { get; init; }

    /// <summary>Why the host did not pass (None when it passed); code, text and TLS-RPT type derive from it.</summary>
    public FailureKind Kind { get; init; }

    public string? StatusCode => Passed ? null : FailureKinds.CodeOf(Kind);

    public string? StatusText => Passed ? null : FailureKinds.TextOf(Kind);

    /// <summary>True when this run could not decide the host (unreachable from here, probe skipped, DNSSEC unknown).</summary>
    public bool Indeterminate => !Passed && FailureKinds.IsIndeterminate(Kind);

    /// <summary>The address that passed, or whose failure decided.</summary>
    public string? Address { get; init; }

    public required string Reason { get; init; }

    /// <summary>The evidence's own words for the failure (a probe failure, a lookup failure), for host-level sentences.</summary>
    internal string? ProbeDetail { get; init; }

    /// <summary>The RFC 8460 result type of the failure, for TLS-RPT.</summary>
    public TlsRptResultType? ResultType => Passed ? null : FailureKinds.ResultTypeOf(Kind);

    public override string ToString() => Passed ? $"{Host}: pass ({Security})" : $"{Host}: {Kind} {StatusCode} {Reason}".Replace("  ", " ", StringComparison.Ordinal);
}

/// <summary>
/// What Exchange Online would do with a message to one domain under one pair of modes, and why
/// (docs/verdicts.md#result). The first eleven properties are the contract scripts rely on.
/// </summary>
public sealed record TlsPolicyResult
{
    public required string Domain { get; init; }

    public string? Connector { get; init; }

    public required TlsValidationMode TlsValidationMode { get; init; }

    public required SmtpDaneMode SmtpDaneMode { get; init; }

    public required MtaStsMode MtaStsMode { get; init; }

    /// <summary>What Exchange Online would do; derived from <see cref="Kind"/> (None: Deliver).</summary>
    public Outcome Outcome => FailureKinds.OutcomeOf(Kind);

    /// <summary>Enhanced status code for Queue/Reject; null for Deliver and Indeterminate.</summary>
    public string? StatusCode => FailureKinds.CodeOf(Kind);

    public string? StatusText => FailureKinds.TextOf(Kind, Domain);

    /// <summary>For Deliver: how the message would be protected; null otherwise.</summary>
    public TransportSecurity? Security { get; init; }

    public string? MxHost { get; init; }

    public required string Reason { get; init; }

    /// <summary>
    /// The machine-readable kind of the verdict (None for a plain Deliver). Outcome, StatusCode,
    /// StatusText and the TLS-RPT result type are derived from it.
    /// </summary>
    public required FailureKind Kind { get; init; }

    public required DomainEvidence Evidence { get; init; }

    public IReadOnlyList<HostVerdict> Hosts { get; init; } = [];

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Where the MTA-STS policy of this result came from (Fetched in this run, Cached, None); null when MTA-STS was not consulted.</summary>
    public Engine.MtaSts.MtaStsPolicySource? MtaStsPolicySource => Evidence.MtaSts.Consulted ? Evidence.MtaSts.PolicySource : null;

    /// <summary>The policy that was applied, in RFC 8460 terms: tlsa, sts or no-policy-found.</summary>
    public string PolicyType { get; init; } = "no-policy-found";

    /// <summary>Which path decided the DNSSEC status of this result's answers: the resolver's AD bit or the in-process validator.</summary>
    public DnssecValidator DnssecValidatedBy { get; init; } = DnssecValidator.Resolver;

    /// <summary>
    /// The concrete fixes for what failed, derived from the evidence (RemediationAdvisor); empty when
    /// there is nothing to fix. Suggestions for the partner or the administrator, never applied.
    /// </summary>
    public IReadOnlyList<Remediation> Remediation { get; init; } = [];

    /// <summary>The code of the NDR a queued message finally gets (4.x.x becomes 5.x.x).</summary>
    public string? FinalStatusCode => Outcome == Outcome.Queue ? StatusCodes.FinalCode(StatusCode) : StatusCode;

    /// <summary>The evidence as indented text (what Format-List shows).</summary>
    public string FormatEvidence() => EvidenceText.Format(this);

    public override string ToString() => Outcome == Outcome.Deliver
        ? $"{Domain} [{TlsValidationMode}]: Deliver ({Security}) via {MxHost}"
        : Outcome == Outcome.Indeterminate
            ? $"{Domain} [{TlsValidationMode}]: Indeterminate ({Kind})"
            : $"{Domain} [{TlsValidationMode}]: {Outcome} {StatusCode} {StatusText}";
}
