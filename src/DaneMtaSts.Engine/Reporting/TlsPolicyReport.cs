using System.Globalization;
using System.Text;
using DaneMtaSts.Engine.Policy;

namespace DaneMtaSts.Engine.Reporting;

/// <summary>What the report says about itself: when, from where, by which version.</summary>
public sealed record TlsPolicyReportOptions
{
    public required string ModuleVersion { get; init; }

    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>The machine the dry runs ran on (its vantage point), if known.</summary>
    public string? ComputerName { get; init; }

    public string Title { get; init; } = "Outbound TLS policy impact report";
}

/// <summary>One column of the summary: an outcome, with its security (Deliver) or status code (Queue, Reject).</summary>
public sealed record ReportCategory(string Key, string Label, Outcome Outcome, TransportSecurity? Security, string? StatusCode)
{
    /// <summary>Display order: Deliver (Dane, MtaSts, Tls, None), Queue, Reject, Indeterminate; then by code.</summary>
    internal int Rank => Outcome switch
    {
        Outcome.Deliver => 0,
        Outcome.Queue => 1,
        Outcome.Reject => 2,
        _ => 3,
    } * 10 + (Security is TransportSecurity s ? 3 - (int)s : 0);

    public static ReportCategory Of(TlsPolicyResult result) => result.Outcome switch
    {
        Outcome.Deliver => new($"deliver-{(result.Security ?? TransportSecurity.None).ToString().ToLowerInvariant()}", $"Deliver ({result.Security ?? TransportSecurity.None})", Outcome.Deliver, result.Security ?? TransportSecurity.None, null),
        Outcome.Queue => new($"queue-{result.StatusCode}", $"Queue {result.StatusCode}", Outcome.Queue, null, result.StatusCode),
        Outcome.Reject => new($"reject-{result.StatusCode}", $"Reject {result.StatusCode}", Outcome.Reject, null, result.StatusCode),
        _ => new("indeterminate", "Indeterminate", Outcome.Indeterminate, null, null),
    };
}

/// <summary>The counts for one connector under one mode.</summary>
public sealed record ModeSummary
{
    public required string Connector { get; init; }

    /// <summary>The mode as a reader names it: the shorthand, or "SmtpDaneMode X, MtaStsMode Y" for Custom.</summary>
    public required string Mode { get; init; }

    public required int Total { get; init; }

    public required IReadOnlyList<(ReportCategory Category, int Count)> Counts { get; init; }

    /// <summary>The results of this connector and mode that would queue, by domain.</summary>
    public required IReadOnlyList<TlsPolicyResult> Queued { get; init; }
}

/// <summary>All results of one partner domain.</summary>
public sealed record PartnerSection
{
    public required string Domain { get; init; }

    public required IReadOnlyList<TlsPolicyResult> Results { get; init; }

    /// <summary>Each distinct remediation of the domain, with the modes it applies to.</summary>
    public required IReadOnlyList<(Remediation Fix, IReadOnlyList<string> Modes)> Remediations { get; init; }

    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>The evidence texts, each with the modes it was judged under (identical texts once).</summary>
    public required IReadOnlyList<(string Text, IReadOnlyList<string> Modes)> Evidence { get; init; }
}

/// <summary>
/// The impact report over a set of dry-run results: a summary per connector and mode, the partners
/// that would queue, and per partner the verdicts, evidence and remediation. Rendered as one
/// self-contained HTML page or as Markdown; every value is escaped where it is written.
/// </summary>
public sealed class TlsPolicyReport
{
    private TlsPolicyReport(TlsPolicyReportOptions options, IReadOnlyList<TlsPolicyResult> results)
    {
        Options = options;
        Results = results;
        Summaries = BuildSummaries(results);
        Partners = BuildPartners(results);
        Categories = [.. Summaries.SelectMany(s => s.Counts.Select(c => c.Category)).Distinct().OrderBy(c => c.Rank).ThenBy(c => c.StatusCode, StringComparer.Ordinal)];
        Resolvers = [.. results.Select(r => DescribeResolver(r.Evidence.Resolver)).Distinct(StringComparer.Ordinal)];
        ProbeRoutes = [.. results.Select(r => r.Evidence.ProbeRoute).Distinct(StringComparer.Ordinal)];
        if (results.Count > 0)
        {
            GatheredFrom = results.Min(r => r.Evidence.GatheredAt);
            GatheredTo = results.Max(r => r.Evidence.GatheredAt);
            AsOf = [.. results.Select(r => r.Evidence.AsOf).Distinct().Order()];
        }
    }

    public TlsPolicyReportOptions Options { get; }

    public IReadOnlyList<TlsPolicyResult> Results { get; }

    public IReadOnlyList<ModeSummary> Summaries { get; }

    /// <summary>Every category that occurs, in display order (the chart's legend).</summary>
    public IReadOnlyList<ReportCategory> Categories { get; }

    /// <summary>Partners that would queue under any mode first, then indeterminate, rejected, delivered.</summary>
    public IReadOnlyList<PartnerSection> Partners { get; }

    /// <summary>The resolvers asked, each with who decided the DNSSEC status (its AD bit or local validation).</summary>
    public IReadOnlyList<string> Resolvers { get; }

    /// <summary>How the probes reached port 25 (direct, a SOCKS5 proxy, or none with -SkipSmtpProbe).</summary>
    public IReadOnlyList<string> ProbeRoutes { get; }

    public DateTimeOffset? GatheredFrom { get; }

    public DateTimeOffset? GatheredTo { get; }

    public IReadOnlyList<DateTimeOffset> AsOf { get; } = [];

    public static TlsPolicyReport Build(IEnumerable<TlsPolicyResult> results, TlsPolicyReportOptions options)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(options);
        return new TlsPolicyReport(options, [.. results.Where(r => r is not null)]);
    }

    public string ToHtml() => TlsPolicyReportHtml.Render(this);

    public string ToMarkdown() => TlsPolicyReportMarkdown.Render(this);

    /// <summary>The connector a result belongs to, as the report names it.</summary>
    public static string ConnectorOf(TlsPolicyResult result) => result.Connector ?? "(no connector)";

    public static string ModeOf(TlsPolicyResult result) => result.TlsValidationMode == TlsValidationMode.Custom
        ? $"SmtpDaneMode {result.SmtpDaneMode}, MtaStsMode {result.MtaStsMode}"
        : result.TlsValidationMode.ToString();

    /// <summary>
    /// Makes hostile text visible as text: control characters (except line breaks and tabs) and the
    /// bidirectional overrides that could reorder what a reader sees become \u{XXXX}. Escaping for
    /// the output format is done after this, by the renderer.
    /// </summary>
    public static string Visible(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool hide = (c < 0x20 && c is not '\n' and not '\t') || c == 0x7F || (c >= 0x80 && c < 0xA0) ||
                        c is >= '\u202A' and <= '\u202E' || c is >= '\u2066' and <= '\u2069' || c is '\u200E' or '\u200F' or '\u061C' or '\uFEFF';
            if (hide)
            {
                sb ??= new StringBuilder(text, 0, i, text.Length + 16);
                sb.Append(CultureInfo.InvariantCulture, $"\\u{{{(int)c:X4}}}");
            }
            else
            {
                sb?.Append(c);
            }
        }

        return sb?.ToString() ?? text;
    }

    private static string DescribeResolver(Dns.ResolverInfo resolver)
    {
        string validates = resolver.Validates switch
        {
            true => "validates DNSSEC (AD bit on a signed name)",
            false => "does not validate DNSSEC",
            null => "DNSSEC validation not established",
        };
        string where = resolver.IsLoopback ? "loopback" : "remote";
        string decidedBy = resolver.DnssecValidatedBy switch
        {
            DnssecValidator.Resolver => "DNSSEC decided by the resolver's AD bit",
            DnssecValidator.Local => "DNSSEC validated in-process from the trust anchors",
            DnssecValidator.None => "DNSSEC could not be established",
            _ => "DNSSEC not consulted",
        };
        return $"{string.Join(", ", resolver.Servers)} ({where}; {validates}; -DnssecValidation {resolver.Mode}, {decidedBy}){(string.IsNullOrWhiteSpace(resolver.Note) ? "" : " - " + resolver.Note)}";
    }

    private static IReadOnlyList<ModeSummary> BuildSummaries(IReadOnlyList<TlsPolicyResult> results) =>
        [.. results
            .GroupBy(r => (Connector: ConnectorOf(r), Mode: ModeOf(r), r.SmtpDaneMode, r.MtaStsMode))
            .OrderBy(g => g.Key.Connector, StringComparer.OrdinalIgnoreCase)
            .ThenBy(g => ModeRank(g.Key.SmtpDaneMode, g.Key.MtaStsMode))
            .Select(g => new ModeSummary
            {
                Connector = g.Key.Connector,
                Mode = g.Key.Mode,
                Total = g.Count(),
                Counts = [.. g.GroupBy(ReportCategory.Of).OrderBy(c => c.Key.Rank).ThenBy(c => c.Key.StatusCode, StringComparer.Ordinal).Select(c => (c.Key, c.Count()))],
                Queued = [.. g.Where(r => r.Outcome == Outcome.Queue).OrderBy(r => r.Domain, StringComparer.OrdinalIgnoreCase)],
            })];

    // None, Opportunistic, Mandatory, then the custom pairs: from least to most strict.
    private static int ModeRank(SmtpDaneMode dane, MtaStsMode sts) =>
        Connectors.OutboundConnector.DeriveTlsValidationMode(dane, sts) switch
        {
            TlsValidationMode.None => 0,
            TlsValidationMode.Opportunistic => 1,
            TlsValidationMode.Mandatory => 2,
            _ => 3 + (int)dane * 2 + (int)sts,
        };

    private static IReadOnlyList<PartnerSection> BuildPartners(IReadOnlyList<TlsPolicyResult> results) =>
        [.. results
            .GroupBy(r => r.Domain, StringComparer.OrdinalIgnoreCase)
            .OrderBy(g => PartnerRank(g))
            .ThenBy(g => g.Key, StringComparer.OrdinalIgnoreCase)
            .Select(g =>
            {
                var ordered = g.OrderBy(ConnectorOf, StringComparer.OrdinalIgnoreCase).ThenBy(r => ModeRank(r.SmtpDaneMode, r.MtaStsMode)).ToList();
                var fixes = new List<(Remediation Fix, List<string> Modes)>();
                foreach (TlsPolicyResult r in ordered)
                {
                    foreach (Remediation fix in r.Remediation)
                    {
                        int at = fixes.FindIndex(f => f.Fix == fix || (f.Fix.Kind == fix.Kind && string.Equals(f.Fix.Text, fix.Text, StringComparison.Ordinal)));
                        if (at < 0)
                        {
                            fixes.Add((fix, [ModeOf(r)]));
                        }
                        else if (!fixes[at].Modes.Contains(ModeOf(r)))
                        {
                            fixes[at].Modes.Add(ModeOf(r));
                        }
                    }
                }

                var evidence = new List<(string Text, List<string> Modes)>();
                foreach (TlsPolicyResult r in ordered)
                {
                    string text = EvidenceText.Format(r);
                    int at = evidence.FindIndex(e => string.Equals(e.Text, text, StringComparison.Ordinal));
                    if (at < 0)
                    {
                        evidence.Add((text, [ModeOf(r)]));
                    }
                    else if (!evidence[at].Modes.Contains(ModeOf(r)))
                    {
                        evidence[at].Modes.Add(ModeOf(r));
                    }
                }

                return new PartnerSection
                {
                    Domain = g.Key,
                    Results = ordered,
                    Remediations = [.. fixes.Select(f => (f.Fix, (IReadOnlyList<string>)f.Modes))],
                    Warnings = [.. ordered.SelectMany(r => r.Warnings).Distinct(StringComparer.Ordinal)],
                    Evidence = [.. evidence.Select(e => (e.Text, (IReadOnlyList<string>)e.Modes))],
                };
            })];

    private static int PartnerRank(IEnumerable<TlsPolicyResult> results)
    {
        var outcomes = results.Select(r => r.Outcome).ToHashSet();
        return outcomes.Contains(Outcome.Queue) ? 0 : outcomes.Contains(Outcome.Indeterminate) ? 1 : outcomes.Contains(Outcome.Reject) ? 2 : 3;
    }
}
