using System.Globalization;
using System.Text;
using DaneMtaSts.Engine.Policy;

namespace DaneMtaSts.Engine.Reporting;

/// <summary>
/// The report as Markdown (CommonMark with tables): the same sections as the HTML page, the chart as
/// proportional bars of text. Every value passes through <see cref="M"/> (or goes into a code fence
/// longer than any backtick run it contains), so hostile text never becomes markup or HTML.
/// </summary>
internal static class TlsPolicyReportMarkdown
{
    private const int BarWidth = 40;

    public static string Render(TlsPolicyReport report)
    {
        var sb = new StringBuilder(32 * 1024);
        sb.Append("# ").Append(M(report.Options.Title)).Append("\n\n");
        sb.Append("- Generated: ").Append(Stamp(report.Options.GeneratedAt)).Append('\n');
        if (report.GatheredFrom is DateTimeOffset from && report.GatheredTo is DateTimeOffset to)
        {
            sb.Append("- Observed: ").Append(from == to ? Stamp(from) : $"{Stamp(from)} to {Stamp(to)}").Append('\n');
        }

        if (!string.IsNullOrWhiteSpace(report.Options.ComputerName))
        {
            sb.Append("- From: ").Append(M(report.Options.ComputerName)).Append('\n');
        }

        foreach (string resolver in report.Resolvers)
        {
            sb.Append("- Resolver: ").Append(M(resolver)).Append('\n');
        }

        foreach (string route in report.ProbeRoutes)
        {
            sb.Append("- SMTP probes: ").Append(M(route)).Append('\n');
        }

        sb.Append(CultureInfo.InvariantCulture, $"- Results: {report.Results.Count} ({report.Partners.Count} partner domains)\n");
        sb.Append("- Module: DaneMtaSts ").Append(M(report.Options.ModuleVersion)).Append("\n\n");

        sb.Append("## Summary per connector and mode\n\n");
        if (report.Summaries.Count > 0)
        {
            // One column per connector and mode, one row per outcome (as the HTML table).
            sb.Append("| Outcome |");
            foreach (ModeSummary s in report.Summaries)
            {
                sb.Append(' ').Append(M($"{s.Connector} · {s.Mode}")).Append(" |");
            }

            sb.Append("\n|---|").Append(string.Concat(Enumerable.Repeat("---:|", report.Summaries.Count))).Append('\n');
            foreach (ReportCategory c in report.Categories)
            {
                sb.Append("| ").Append(M(c.Label)).Append(" |");
                foreach (ModeSummary s in report.Summaries)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" {s.Counts.Where(x => x.Category == c).Sum(x => x.Count)} |");
                }

                sb.Append('\n');
            }

            sb.Append("| **Total** |");
            foreach (ModeSummary s in report.Summaries)
            {
                sb.Append(CultureInfo.InvariantCulture, $" **{s.Total}** |");
            }

            sb.Append('\n');
            sb.Append("\n```text\n");
            foreach (ModeSummary s in report.Summaries)
            {
                sb.Append(Plain($"{s.Connector} · {s.Mode}")).Append('\n');
                foreach ((ReportCategory c, int n) in s.Counts)
                {
                    int w = Math.Max(1, (int)Math.Round(BarWidth * (double)n / Math.Max(1, s.Total)));
                    sb.Append(CultureInfo.InvariantCulture, $"  {c.Label,-20} {new string('█', w),-40} {n}\n");
                }
            }

            sb.Append("```\n\n");
        }
        else
        {
            sb.Append("No results were given.\n\n");
        }

        sb.Append("## Partners that would queue\n\n");
        var withQueue = report.Summaries.Where(s => s.Queued.Count > 0).ToList();
        if (withQueue.Count == 0)
        {
            sb.Append("No partner would queue under any mode tested.\n\n");
        }

        foreach (ModeSummary s in withQueue)
        {
            sb.Append("### ").Append(M(s.Connector)).Append(" · ").Append(M(s.Mode)).Append(CultureInfo.InvariantCulture, $": {s.Queued.Count} of {s.Total} would queue\n\n");
            sb.Append("| Domain | Status | MX host | Reason |\n|---|---|---|---|\n");
            foreach (TlsPolicyResult r in s.Queued)
            {
                sb.Append("| ").Append(M(r.Domain)).Append(" | ").Append(M($"{r.StatusCode} {r.StatusText}")).Append(" | ").Append(M(r.MxHost)).Append(" | ").Append(M(r.Reason)).Append(" |\n");
            }

            sb.Append('\n');
        }

        sb.Append("## Per partner\n\n");
        foreach (PartnerSection p in report.Partners)
        {
            sb.Append("### ").Append(M(p.Domain)).Append("\n\n");
            sb.Append("| Connector | Mode | Outcome | MX host | Reason |\n|---|---|---|---|---|\n");
            foreach (TlsPolicyResult r in p.Results)
            {
                string outcome = r.Outcome == Outcome.Deliver ? $"Deliver ({r.Security})" : $"{r.Outcome} {r.StatusCode} {r.StatusText}".TrimEnd();
                sb.Append("| ").Append(M(TlsPolicyReport.ConnectorOf(r))).Append(" | ").Append(M(TlsPolicyReport.ModeOf(r))).Append(" | ").Append(M(outcome))
                  .Append(" | ").Append(M(r.MxHost)).Append(" | ").Append(M(r.Reason)).Append(" |\n");
            }

            sb.Append('\n');
            if (p.Remediations.Count == 0)
            {
                sb.Append("Nothing to fix.\n\n");
            }

            foreach ((Remediation fix, IReadOnlyList<string> modes) in p.Remediations)
            {
                sb.Append("**").Append(M(TlsPolicyReportHtml.KindLabel(fix.Kind))).Append(fix.Audience == RemediationAudience.Partner ? " (for the partner)" : " (for you)").Append("**")
                  .Append(fix.Host is null ? "" : " — " + M(fix.Host)).Append(", under ").Append(M(string.Join(", ", modes))).Append(": ")
                  .Append(M(fix.Text)).Append("\n\n");
                if (fix.Publish.Count > 0)
                {
                    Fence(sb, string.Join("\n", fix.Publish));
                }
            }

            if (p.Warnings.Count > 0)
            {
                sb.Append("Warnings:\n\n");
                foreach (string w in p.Warnings)
                {
                    sb.Append("- ").Append(M(w)).Append('\n');
                }

                sb.Append('\n');
            }

            foreach ((string text, IReadOnlyList<string> modes) in p.Evidence)
            {
                sb.Append("Evidence (").Append(M(string.Join(", ", modes))).Append("):\n\n");
                Fence(sb, text.TrimEnd('\n'));
            }
        }

        sb.Append("Remediations are suggestions derived from what this run observed; nothing was changed anywhere.\n");
        return sb.ToString();
    }

    /// <summary>
    /// Escapes inline Markdown text: every ASCII punctuation character that CommonMark lets a
    /// backslash escape is escaped (so no emphasis, link, HTML tag, entity or table cell break can
    /// start), and line breaks become spaces (a table row is one line).
    /// </summary>
    internal static string M(string? text)
    {
        string visible = TlsPolicyReport.Visible(text);
        var sb = new StringBuilder(visible.Length + 16);
        foreach (char c in visible)
        {
            if (c is '\n' or '\r' or '\t')
            {
                sb.Append(' ');
            }
            else if (c < 0x80 && char.IsAsciiLetterOrDigit(c) is false && c != ' ' && !char.IsControl(c))
            {
                sb.Append('\\').Append(c);
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    // Text inside a fence is literal; only the fence itself must not occur in it.
    private static void Fence(StringBuilder sb, string text)
    {
        string visible = Plain(text);
        int longest = 0;
        int run = 0;
        foreach (char c in visible)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        string fence = new('`', Math.Max(3, longest + 1));
        sb.Append(fence).Append("text\n").Append(visible).Append('\n').Append(fence).Append("\n\n");
    }

    private static string Plain(string text) => TlsPolicyReport.Visible(text);

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
