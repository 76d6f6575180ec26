using System.Text.RegularExpressions;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.Tests.Policy;
using static DaneMtaSts.Engine.Tests.Policy.VerdictPki;

namespace DaneMtaSts.Engine.Tests.Reporting;

/// <summary>The impact report's renderers: counts, order, self-containment and escaping of hostile values.</summary>
public partial class TlsPolicyReportTests
{
    private const string Hostile = "<img src=x onerror=alert(1)> & <script>alert('x')</script> *bold* [link](javascript:x) | `code` \u202Eevil\u0007";

    private static readonly TlsPolicyReportOptions Options = new() { ModuleVersion = "9.9.9", GeneratedAt = new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero), ComputerName = "<b>host</b>" };

    private static TlsPolicyResult[] Results()
    {
        var good = SelfSigned("mx.good.test");
        var goodEvidence = EvidenceBuilder.Mx("good.test").Host("mx.good.test", 10, h => h.Tlsa(Tlsa(3, 1, 1, good)).Address(Probe.Tls(good))).Build();
        var badEvidence = EvidenceBuilder.Mx("bad.test").Host("mx.bad.test", 10, h => h.Tlsa(UnrelatedEe()).Address(Probe.Tls(Chain("mx.bad.test")))).Build();
        var gone = EvidenceBuilder.MxLookup(MxOutcome.NxDomain, DnsSecStatus.Secure, "gone.test").Build();
        var results = new List<TlsPolicyResult>();
        foreach (JudgeOptions mode in new[] { Modes.None, Modes.Opportunistic, Modes.Mandatory })
        {
            results.Add(VerdictEngine.Judge(goodEvidence, mode));
            results.Add(VerdictEngine.Judge(badEvidence, mode));
            results.Add(VerdictEngine.Judge(gone, mode));
        }

        // A hostile value where any network text lands: the reason and a warning.
        results[1] = results[1] with { Reason = Hostile, Warnings = [Hostile] };
        return [.. results];
    }

    [GeneratedRegex("<td class=\"count\" data-connector=\"[^\"]*\" data-mode=\"([^\"]+)\" data-category=\"([^\"]+)\">(\\d+)</td>")]
    private static partial Regex CountCell();

    [Fact]
    public void The_summary_counts_each_mode_by_outcome_security_and_code()
    {
        var report = TlsPolicyReport.Build(Results(), Options);
        string html = report.ToHtml();
        var cells = CountCell().Matches(html).ToDictionary(m => (m.Groups[1].Value, m.Groups[2].Value), m => int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(2, cells[("None", "deliver-tls")]);
        Assert.Equal(1, cells[("None", "reject-5.4.310")]);
        Assert.Equal(1, cells[("Opportunistic", "deliver-dane")]);
        Assert.Equal(1, cells[("Opportunistic", "queue-4.7.323")]);
        Assert.Equal(1, cells[("Mandatory", "queue-4.7.323")]);
        Assert.Equal(0, cells[("None", "queue-4.7.323")]);
        Assert.All(new[] { "None", "Opportunistic", "Mandatory" }, m => Assert.Equal(3, cells[(m, "total")]));

        // The partner that would queue comes first among the partners.
        Assert.Equal("bad.test", report.Partners[0].Domain);
        Assert.Equal("good.test", report.Partners[^1].Domain);
    }

    [Fact]
    public void The_html_page_is_self_contained_and_shows_hostile_values_as_text()
    {
        string html = TlsPolicyReport.Build(Results(), Options).ToHtml();

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>host", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("<[^>]*\\s(src|href)=", html);
        Assert.DoesNotContain("url(", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt; &amp; &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("\\u{202E}evil\\u{0007}", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\u202E", html, StringComparison.Ordinal);
        Assert.Contains("<svg role=\"img\"", html, StringComparison.Ordinal);
        Assert.Contains("DaneMtaSts 9.9.9", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_html_report_carries_the_remediation_records()
    {
        var results = Results();
        string html = TlsPolicyReport.Build(results, Options).ToHtml();
        Remediation fix = results.First(r => r.Domain == "bad.test" && r.Outcome == Outcome.Queue).Remediation[0];

        Assert.Equal(RemediationKind.PublishTlsa, fix.Kind);
        Assert.All(fix.Publish, line => Assert.Contains(line, html, StringComparison.Ordinal));
    }

    [Fact]
    public void The_report_says_from_where_who_decided_dnssec_and_how_probes_reached_port_25()
    {
        TlsPolicyResult[] results = Results();
        results[0] = results[0] with
        {
            Evidence = results[0].Evidence with
            {
                ProbeRoute = "through SOCKS5 proxy 192.0.2.8:1080",
                Resolver = results[0].Evidence.Resolver with { Mode = DnssecValidationMode.Auto, DnssecValidatedBy = DnssecValidator.Local },
            },
        };
        var report = TlsPolicyReport.Build(results, Options);
        string html = report.ToHtml();
        string md = report.ToMarkdown();

        Assert.Equal(["through SOCKS5 proxy 192.0.2.8:1080", "direct"], report.ProbeRoutes);
        Assert.Contains(report.Resolvers, r => r.Contains("-DnssecValidation Auto, DNSSEC validated in-process from the trust anchors", StringComparison.Ordinal));
        Assert.Contains("SMTP probes", html, StringComparison.Ordinal);
        Assert.Contains("through SOCKS5 proxy 192.0.2.8:1080", html, StringComparison.Ordinal);
        Assert.Contains(@"- SMTP probes: through SOCKS5 proxy 192\.0\.2\.8\:1080", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_escapes_every_markup_character_of_hostile_values()
    {
        string md = TlsPolicyReport.Build(Results(), Options).ToMarkdown();

        // Outside code fences every '<' is backslash-escaped: CommonMark shows it as a character.
        Assert.DoesNotMatch("(?<!\\\\)<(img|script)", md);
        Assert.Contains("\\<img src\\=x onerror\\=alert\\(1\\)\\> \\& \\<script\\>", md, StringComparison.Ordinal);
        Assert.Contains("\\*bold\\* \\[link\\]\\(javascript\\:x\\) \\| \\`code\\`", md, StringComparison.Ordinal);
        Assert.DoesNotContain("\u202E", md, StringComparison.Ordinal);
        Assert.Contains("| **Total** | **3** | **3** | **3** |", md, StringComparison.Ordinal);
    }

    [Fact]
    public void A_code_fence_is_longer_than_any_backtick_run_in_its_text()
    {
        var results = Results();
        results[1] = results[1] with { Remediation = [new Remediation { Kind = RemediationKind.FixMtaStsMx, Audience = RemediationAudience.Partner, Publish = ["mx: a````b"], Text = "x" }] };
        string md = TlsPolicyReport.Build(results, Options).ToMarkdown();

        Assert.Contains("`````text\nmx: a````b\n`````", md, StringComparison.Ordinal);
    }

    [Fact]
    public void No_results_give_a_report_that_says_so()
    {
        var report = TlsPolicyReport.Build([], Options);

        Assert.Contains("No results were given.", report.ToHtml(), StringComparison.Ordinal);
        Assert.Contains("No results were given.", report.ToMarkdown(), StringComparison.Ordinal);
    }
}
