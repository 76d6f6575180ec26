using System.Globalization;
using System.Text;
using DaneMtaSts.Engine.Policy;

namespace DaneMtaSts.Engine.Reporting;

/// <summary>
/// The report as one self-contained HTML page: inline CSS, an inline SVG chart, no script, no
/// external resource (a Content-Security-Policy forbids any). Every value passes through
/// <see cref="H"/>: TXT records, certificate names, banners and server replies are hostile.
/// </summary>
internal static class TlsPolicyReportHtml
{
    private const string Css = """
        :root { color-scheme: light; }
        body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d232b; background: #f6f7f9; margin: 0; }
        main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
        h1 { font-size: 26px; margin: 0 0 4px; }
        h2 { font-size: 20px; margin: 32px 0 10px; border-bottom: 2px solid #d8dde3; padding-bottom: 4px; }
        h3 { font-size: 17px; margin: 0 0 8px; }
        .meta { color: #4b5563; margin: 0 0 16px; }
        .meta dt { font-weight: 600; float: left; clear: left; width: 150px; }
        .meta dd { margin: 0 0 2px 160px; }
        table { border-collapse: collapse; width: 100%; background: #fff; margin: 6px 0 14px; }
        th, td { border: 1px solid #d8dde3; padding: 5px 8px; text-align: left; vertical-align: top; }
        th { background: #eef1f4; font-weight: 600; }
        table.summary { width: auto; min-width: 50%; }
        table.summary tbody th { background: #fff; font-weight: 500; white-space: nowrap; }
        table.summary tr.total th, table.summary tr.total td { font-weight: 700; border-top: 2px solid #b8c0ca; }
        td.count, th.count { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .chart { background: #fff; border: 1px solid #d8dde3; padding: 10px 12px; }
        .chart text { font: 13px system-ui, "DejaVu Sans", sans-serif; fill: #1d232b; }
        .chart text.in { fill: #fff; font-weight: 600; }
        .legend { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 6px 18px; }
        .legend li { display: flex; align-items: center; gap: 6px; }
        .swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; }
        .partner { background: #fff; border: 1px solid #d8dde3; border-left-width: 6px; padding: 12px 16px; margin: 0 0 16px; }
        .partner.queue { border-left-color: #d9622b; }
        .partner.indeterminate { border-left-color: #7d8597; }
        .partner.reject { border-left-color: #8e1b1b; }
        .partner.deliver { border-left-color: #1b7a3e; }
        .outcome { font-weight: 600; white-space: nowrap; }
        .outcome.Queue { color: #b3361a; } .outcome.Reject { color: #8e1b1b; } .outcome.Deliver { color: #1b7a3e; } .outcome.Indeterminate { color: #4b5563; }
        .fix { border: 1px solid #f0c9a8; background: #fff8f1; padding: 8px 12px; margin: 6px 0; }
        .fix .kind { font-weight: 600; }
        .fix .modes, .muted { color: #4b5563; font-size: 13px; }
        pre { background: #f3f4f6; border: 1px solid #e1e4e8; padding: 8px 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; margin: 4px 0 8px; }
        code { font: 12.5px ui-monospace, "DejaVu Sans Mono", monospace; }
        ul.warnings { margin: 4px 0 8px; padding-left: 20px; }
        details > summary { cursor: pointer; color: #374151; margin: 6px 0; }
        .nothing { color: #1b7a3e; }
        @media print { body { background: #fff; } .partner { break-inside: avoid; } details { display: block; } }
        """;

    public static string Render(TlsPolicyReport report)
    {
        var sb = new StringBuilder(64 * 1024);
        Dictionary<string, string> colours = Colours(report.Categories);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<meta name=\"generator\" content=\"DaneMtaSts ").Append(H(report.Options.ModuleVersion)).Append("\">\n")
          .Append("<title>").Append(H(report.Options.Title)).Append("</title>\n<style>\n").Append(Css).Append("\n</style>\n</head>\n<body>\n<main>\n");

        sb.Append("<h1>").Append(H(report.Options.Title)).Append("</h1>\n");
        AppendMeta(sb, report);
        AppendSummary(sb, report, colours);
        AppendQueued(sb, report);
        AppendPartners(sb, report);
        sb.Append("<p class=\"muted\">Remediations are suggestions derived from what this run observed; nothing was changed anywhere. A dry run predicts Exchange Online's decision; it is not Exchange Online.</p>\n");
        sb.Append("</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>HTML-escapes text for element content and quoted attribute values.</summary>
    internal static string H(string? text)
    {
        string visible = TlsPolicyReport.Visible(text);
        var sb = new StringBuilder(visible.Length + 16);
        foreach (char c in visible)
        {
            _ = c switch
            {
                '&' => sb.Append("&amp;"),
                '<' => sb.Append("&lt;"),
                '>' => sb.Append("&gt;"),
                '"' => sb.Append("&quot;"),
                '\'' => sb.Append("&#39;"),
                _ => sb.Append(c),
            };
        }

        return sb.ToString();
    }

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static void AppendMeta(StringBuilder sb, TlsPolicyReport report)
    {
        sb.Append("<dl class=\"meta\">\n");
        void Item(string term, string value) => sb.Append("<dt>").Append(H(term)).Append("</dt><dd>").Append(H(value)).Append("</dd>\n");
        Item("Generated", Stamp(report.Options.GeneratedAt));
        if (report.GatheredFrom is DateTimeOffset from && report.GatheredTo is DateTimeOffset to)
        {
            Item("Observed", from == to ? Stamp(from) : $"{Stamp(from)} to {Stamp(to)}");
        }

        var laterAsOf = report.AsOf.Where(a => report.GatheredTo is DateTimeOffset t && a > t.AddMinutes(1)).ToList();
        if (laterAsOf.Count > 0)
        {
            Item("Certificates judged at", string.Join(", ", laterAsOf.Select(Stamp)));
        }

        if (!string.IsNullOrWhiteSpace(report.Options.ComputerName))
        {
            Item("From", report.Options.ComputerName!);
        }

        foreach (string resolver in report.Resolvers)
        {
            Item("Resolver", resolver);
        }

        foreach (string route in report.ProbeRoutes)
        {
            Item("SMTP probes", route);
        }

        Item("Results", string.Create(CultureInfo.InvariantCulture, $"{report.Results.Count} ({report.Partners.Count} partner domains)"));
        Item("Module", $"DaneMtaSts {report.Options.ModuleVersion}");
        sb.Append("</dl>\n");
    }

    private static void AppendSummary(StringBuilder sb, TlsPolicyReport report, Dictionary<string, string> colours)
    {
        sb.Append("<h2 id=\"summary\">Summary per connector and mode</h2>\n");
        if (report.Summaries.Count == 0)
        {
            sb.Append("<p>No results were given.</p>\n");
            return;
        }

        AppendChart(sb, report, colours);

        // One column per connector and mode, one row per outcome: the table stays narrow however
        // many status codes occur. The data attributes name each cell for tools (and the tests).
        sb.Append("<table class=\"summary\">\n<thead><tr><th>Outcome</th>");
        foreach (ModeSummary s in report.Summaries)
        {
            sb.Append("<th class=\"count\">").Append(H(s.Connector)).Append("<br>").Append(H(s.Mode)).Append("</th>");
        }

        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (ReportCategory c in report.Categories)
        {
            sb.Append("<tr><th><span class=\"swatch\" style=\"background:").Append(colours[c.Key]).Append("\"></span> ").Append(H(c.Label)).Append("</th>");
            foreach (ModeSummary s in report.Summaries)
            {
                int n = s.Counts.Where(x => x.Category == c).Sum(x => x.Count);
                sb.Append(CultureInfo.InvariantCulture, $"<td class=\"count\" data-connector=\"{H(s.Connector)}\" data-mode=\"{H(s.Mode)}\" data-category=\"{H(c.Key)}\">{n}</td>");
            }

            sb.Append("</tr>\n");
        }

        sb.Append("<tr class=\"total\"><th>Total</th>");
        foreach (ModeSummary s in report.Summaries)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<td class=\"count\" data-connector=\"{H(s.Connector)}\" data-mode=\"{H(s.Mode)}\" data-category=\"total\">{s.Total}</td>");
        }

        sb.Append("</tr>\n");
        sb.Append("</tbody>\n</table>\n");
    }

    private static void AppendChart(StringBuilder sb, TlsPolicyReport report, Dictionary<string, string> colours)
    {
        const int labelWidth = 300;
        const int barWidth = 760;
        const int rowHeight = 34;
        const int barHeight = 24;
        int height = report.Summaries.Count * rowHeight + 8;
        int width = labelWidth + barWidth + 60;
        sb.Append("<div class=\"chart\">\n")
          .Append(CultureInfo.InvariantCulture, $"<svg role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 {width} {height}\" width=\"100%\">\n")
          .Append("<title id=\"chart-title\">Outcomes per connector and mode</title>\n");
        int y = 4;
        foreach (ModeSummary s in report.Summaries)
        {
            string label = $"{s.Connector} · {s.Mode}";
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth - 10}\" y=\"{y + barHeight / 2 + 5}\" text-anchor=\"end\">{H(Shorten(label, 44))}</text>\n");
            double x = labelWidth;
            foreach ((ReportCategory c, int n) in s.Counts)
            {
                double w = s.Total == 0 ? 0 : barWidth * (double)n / s.Total;
                sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.##}\" y=\"{y}\" width=\"{w:0.##}\" height=\"{barHeight}\" fill=\"{colours[c.Key]}\"><title>{H(label)}: {H(c.Label)} {n} of {s.Total}</title></rect>\n");
                if (w >= 26)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"<text class=\"in\" x=\"{x + w / 2:0.##}\" y=\"{y + barHeight / 2 + 5}\" text-anchor=\"middle\">{n}</text>\n");
                }

                x += w;
            }

            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth + barWidth + 8}\" y=\"{y + barHeight / 2 + 5}\">{s.Total}</text>\n");
            y += rowHeight;
        }

        sb.Append("</svg>\n<ul class=\"legend\">\n");
        foreach (ReportCategory c in report.Categories)
        {
            sb.Append("<li><span class=\"swatch\" style=\"background:").Append(colours[c.Key]).Append("\"></span>").Append(H(c.Label)).Append("</li>\n");
        }

        sb.Append("</ul>\n</div>\n");
    }

    private static void AppendQueued(StringBuilder sb, TlsPolicyReport report)
    {
        sb.Append("<h2 id=\"queued\">Partners that would queue</h2>\n");
        var withQueue = report.Summaries.Where(s => s.Queued.Count > 0).ToList();
        if (withQueue.Count == 0)
        {
            sb.Append("<p class=\"nothing\">No partner would queue under any mode tested.</p>\n");
            return;
        }

        foreach (ModeSummary s in withQueue)
        {
            sb.Append("<h3>").Append(H(s.Connector)).Append(" · ").Append(H(s.Mode))
              .Append(CultureInfo.InvariantCulture, $": {s.Queued.Count} of {s.Total} would queue</h3>\n");
            sb.Append("<table class=\"queued\">\n<thead><tr><th>Domain</th><th>Status</th><th>MX host</th><th>Reason</th></tr></thead>\n<tbody>\n");
            foreach (TlsPolicyResult r in s.Queued)
            {
                sb.Append("<tr><td>").Append(H(r.Domain)).Append("</td><td>").Append(H(r.StatusCode)).Append(' ').Append(H(r.StatusText))
                  .Append("</td><td>").Append(H(r.MxHost)).Append("</td><td>").Append(H(r.Reason)).Append("</td></tr>\n");
            }

            sb.Append("</tbody>\n</table>\n");
        }
    }

    private static void AppendPartners(StringBuilder sb, TlsPolicyReport report)
    {
        sb.Append("<h2 id=\"partners\">Per partner</h2>\n");
        foreach (PartnerSection p in report.Partners)
        {
            string css = p.Results.Any(r => r.Outcome == Outcome.Queue) ? "queue"
                : p.Results.Any(r => r.Outcome == Outcome.Indeterminate) ? "indeterminate"
                : p.Results.Any(r => r.Outcome == Outcome.Reject) ? "reject" : "deliver";
            sb.Append("<section class=\"partner ").Append(css).Append("\">\n<h3>").Append(H(p.Domain)).Append("</h3>\n");
            sb.Append("<table class=\"verdicts\">\n<thead><tr><th>Connector</th><th>Mode</th><th>Outcome</th><th>MX host</th><th>Reason</th></tr></thead>\n<tbody>\n");
            foreach (TlsPolicyResult r in p.Results)
            {
                string outcome = r.Outcome switch
                {
                    Outcome.Deliver => $"Deliver ({r.Security})",
                    _ when r.StatusCode is not null => $"{r.Outcome} {r.StatusCode} {r.StatusText}",
                    _ => r.Outcome.ToString(),
                };
                sb.Append("<tr><td>").Append(H(TlsPolicyReport.ConnectorOf(r))).Append("</td><td>").Append(H(TlsPolicyReport.ModeOf(r)))
                  .Append("</td><td class=\"outcome ").Append(r.Outcome.ToString()).Append("\">").Append(H(outcome))
                  .Append("</td><td>").Append(H(r.MxHost)).Append("</td><td>").Append(H(r.Reason)).Append("</td></tr>\n");
            }

            sb.Append("</tbody>\n</table>\n");
            if (p.Remediations.Count > 0)
            {
                sb.Append("<div class=\"remediation\">\n");
                foreach ((Remediation fix, IReadOnlyList<string> modes) in p.Remediations)
                {
                    sb.Append("<div class=\"fix\"><span class=\"kind\">").Append(H(KindLabel(fix.Kind)))
                      .Append(fix.Audience == RemediationAudience.Partner ? " (for the partner)" : " (for you)")
                      .Append("</span>").Append(fix.Host is null ? "" : " — " + H(fix.Host))
                      .Append(" <span class=\"modes\">under ").Append(H(string.Join(", ", modes))).Append("</span>\n<p>").Append(H(fix.Text)).Append("</p>\n");
                    if (fix.Publish.Count > 0)
                    {
                        sb.Append("<pre class=\"publish\">").Append(H(string.Join("\n", fix.Publish))).Append("</pre>\n");
                    }

                    sb.Append("</div>\n");
                }

                sb.Append("</div>\n");
            }
            else
            {
                sb.Append("<p class=\"nothing\">Nothing to fix.</p>\n");
            }

            if (p.Warnings.Count > 0)
            {
                sb.Append("<details><summary>").Append(p.Warnings.Count.ToString(CultureInfo.InvariantCulture)).Append(" warning(s)</summary>\n<ul class=\"warnings\">\n");
                foreach (string w in p.Warnings)
                {
                    sb.Append("<li>").Append(H(w)).Append("</li>\n");
                }

                sb.Append("</ul>\n</details>\n");
            }

            foreach ((string text, IReadOnlyList<string> modes) in p.Evidence)
            {
                sb.Append("<details><summary>Evidence (").Append(H(string.Join(", ", modes))).Append(")</summary>\n<pre class=\"evidence\">")
                  .Append(H(text.TrimEnd('\n'))).Append("</pre>\n</details>\n");
            }

            sb.Append("</section>\n");
        }
    }

    internal static string KindLabel(RemediationKind kind) => kind switch
    {
        RemediationKind.PublishTlsa => "Publish TLSA records",
        RemediationKind.RenewCertificate => "Renew the certificate",
        RemediationKind.FixCertificateNames => "Fix the certificate's names",
        RemediationKind.UseTrustedCertificate => "Use a trusted certificate",
        RemediationKind.EnableStartTls => "Enable STARTTLS",
        RemediationKind.FixMtaStsMx => "Fix the MTA-STS mx lines",
        RemediationKind.FixMtaStsPolicyFetch => "Fix the MTA-STS policy host",
        RemediationKind.FixMtaStsTxt => "Fix the MTA-STS TXT record",
        RemediationKind.FixDnssec => "Fix DNSSEC",
        RemediationKind.SignZone => "Sign the zone",
        RemediationKind.FixDnsServers => "Fix the name servers",
        RemediationKind.PublishMx => "Publish mail hosts",
        RemediationKind.CheckSmtpService => "Check the SMTP service",
        RemediationKind.CheckRecipientDomain => "Check the recipient domain",
        _ => "Find out first",
    };

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    // Deliver in greens (darker = stronger protection), Queue in warm hues from orange to red, one
    // distinct hue per status code with alternating lightness, Reject dark red, Indeterminate grey.
    private static Dictionary<string, string> Colours(IReadOnlyList<ReportCategory> categories)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var queued = categories.Where(c => c.Outcome == Outcome.Queue).ToList();
        var rejected = categories.Where(c => c.Outcome == Outcome.Reject).ToList();
        foreach (ReportCategory c in categories)
        {
            map[c.Key] = c.Outcome switch
            {
                Outcome.Deliver => c.Security switch
                {
                    TransportSecurity.Dane => "#1b7a3e",
                    TransportSecurity.MtaSts => "#3f9f5a",
                    TransportSecurity.Tls => "#8bbf5a",
                    _ => "#d4b93c",
                },
                Outcome.Queue => Hsl(queued.IndexOf(c), queued.Count, 4, 44),
                Outcome.Reject => string.Create(CultureInfo.InvariantCulture, $"hsl(355, 60%, {30 + 10 * (rejected.IndexOf(c) % 3)}%)"),
                _ => "#7d8597",
            };
        }

        return map;
    }

    private static string Hsl(int index, int count, int fromHue, int toHue)
    {
        double hue = count <= 1 ? toHue : toHue - (toHue - fromHue) * (double)index / (count - 1);
        int lightness = index % 2 == 0 ? 50 : 64;
        return string.Create(CultureInfo.InvariantCulture, $"hsl({hue:0}, 78%, {lightness}%)");
    }
}
