using System.Text.Json;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Reporting;
using static DaneMtaSts.Engine.Tests.Policy.VerdictPki;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>RFC 8460 §4.4 aggregate reports built from verdicts, parsed back with System.Text.Json.</summary>
public class TlsRptReportBuilderTests
{
    private const string Mx1 = "mx1.example.test";
    private static readonly DateTimeOffset Start = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset End = new(2025, 3, 2, 0, 0, 0, TimeSpan.Zero);

    private static readonly TlsRptReportOptions Options = new()
    {
        OrganizationName = "Contoso Ltd",
        ContactInfo = "tlsrpt@contoso.test",
        Start = Start,
        End = End,
        SenderDomain = "contoso.test",
        SendingMtaIp = "203.0.113.9",
    };

    private static TlsPolicyResult DaneDelivered() => VerdictEngine.Judge(
        EvidenceBuilder.Mx().TlsRpt("v=TLSRPTv1; rua=mailto:reports@example.test")
            .Host(Mx1, 10, h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain(Mx1)), "192.0.2.25")).Build(),
        Modes.Opportunistic);

    private static TlsPolicyResult DaneFailed() => VerdictEngine.Judge(
        EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain("wrong.test")), "192.0.2.25")).Build(),
        Modes.Opportunistic);

    private static TlsPolicyResult StsFailed() => VerdictEngine.Judge(
        EvidenceBuilder.Mx().MtaSts(MtaStsPolicyMode.Enforce, Mx1, "*.backup.example.test").Host(Mx1, 10, h => h.Address(Probe.NoStartTls(), "192.0.2.26")).Build(),
        Modes.Opportunistic);

    private static TlsPolicyResult Rejected() => VerdictEngine.Judge(EvidenceBuilder.MxLookup(MxOutcome.NullMx, DnsSecStatus.Secure).Build(), Modes.Opportunistic);

    [Fact]
    public void The_report_has_the_rfc_8460_top_level_shape()
    {
        TlsRptReport report = Assert.Single(TlsRptReportBuilder.Build([DaneDelivered(), DaneFailed(), DaneFailed()], Options));
        using var doc = JsonDocument.Parse(report.Json);
        JsonElement root = doc.RootElement;

        Assert.Equal("Contoso Ltd", root.GetProperty("organization-name").GetString());
        Assert.Equal("2025-03-01T00:00:00Z", root.GetProperty("date-range").GetProperty("start-datetime").GetString());
        Assert.Equal("2025-03-02T00:00:00Z", root.GetProperty("date-range").GetProperty("end-datetime").GetString());
        Assert.Equal("tlsrpt@contoso.test", root.GetProperty("contact-info").GetString());
        Assert.Equal(report.ReportId, root.GetProperty("report-id").GetString());
        Assert.False(string.IsNullOrWhiteSpace(report.ReportId));
        Assert.Equal(JsonValueKind.Array, root.GetProperty("policies").ValueKind);
        Assert.Equal(["reports@example.test"], report.ReportUris.Select(u => u.Replace("mailto:", "", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_tlsa_policy_carries_its_records_and_counts_and_failure_details()
    {
        TlsRptReport report = Assert.Single(TlsRptReportBuilder.Build([DaneDelivered(), DaneFailed(), DaneFailed()], Options));
        using var doc = JsonDocument.Parse(report.Json);
        JsonElement entry = Assert.Single(doc.RootElement.GetProperty("policies").EnumerateArray());

        JsonElement policy = entry.GetProperty("policy");
        Assert.Equal("tlsa", policy.GetProperty("policy-type").GetString());
        Assert.Equal("example.test", policy.GetProperty("policy-domain").GetString());
        string record = Assert.Single(policy.GetProperty("policy-string").EnumerateArray()).GetString()!;
        Assert.StartsWith("2 1 1 ", record, StringComparison.Ordinal);
        Assert.False(policy.TryGetProperty("mx-host", out _));

        JsonElement summary = entry.GetProperty("summary");
        Assert.Equal(1, summary.GetProperty("total-successful-session-count").GetInt32());
        Assert.Equal(2, summary.GetProperty("total-failure-session-count").GetInt32());
        Assert.Equal((1, 2), (report.SuccessfulSessions, report.FailedSessions));

        JsonElement detail = Assert.Single(entry.GetProperty("failure-details").EnumerateArray());
        Assert.Equal("certificate-host-mismatch", detail.GetProperty("result-type").GetString());
        Assert.Equal(Mx1, detail.GetProperty("receiving-mx-hostname").GetString());
        Assert.Equal("192.0.2.25", detail.GetProperty("receiving-ip").GetString());
        Assert.Equal("203.0.113.9", detail.GetProperty("sending-mta-ip").GetString());
        Assert.Equal(2, detail.GetProperty("failed-session-count").GetInt32());
    }

    [Fact]
    public void An_sts_policy_carries_its_lines_and_mx_patterns()
    {
        TlsRptReport report = Assert.Single(TlsRptReportBuilder.Build([StsFailed()], Options));
        using var doc = JsonDocument.Parse(report.Json);
        JsonElement entry = Assert.Single(doc.RootElement.GetProperty("policies").EnumerateArray());
        JsonElement policy = entry.GetProperty("policy");

        Assert.Equal("sts", policy.GetProperty("policy-type").GetString());
        var lines = policy.GetProperty("policy-string").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("version: STSv1", lines);
        Assert.Contains("mode: enforce", lines);
        Assert.Equal([Mx1, "*.backup.example.test"], policy.GetProperty("mx-host").EnumerateArray().Select(e => e.GetString()));

        JsonElement detail = Assert.Single(entry.GetProperty("failure-details").EnumerateArray());
        Assert.Equal("starttls-not-supported", detail.GetProperty("result-type").GetString());
        Assert.Equal(1, detail.GetProperty("failed-session-count").GetInt32());
    }

    [Fact]
    public void Different_policies_of_one_domain_are_separate_entries()
    {
        var results = new[] { DaneDelivered(), VerdictEngine.Judge(DaneDelivered().Evidence, Modes.None) };
        TlsRptReport report = Assert.Single(TlsRptReportBuilder.Build(results, Options));
        using var doc = JsonDocument.Parse(report.Json);

        var types = doc.RootElement.GetProperty("policies").EnumerateArray().Select(p => p.GetProperty("policy").GetProperty("policy-type").GetString()).ToList();
        Assert.Equal(["tlsa", "no-policy-found"], types);
    }

    [Fact]
    public void Rejected_results_are_not_tls_sessions_and_are_left_out()
    {
        Assert.Empty(TlsRptReportBuilder.Build([Rejected()], Options));

        TlsRptReport report = Assert.Single(TlsRptReportBuilder.Build([Rejected(), DaneDelivered()], Options));
        Assert.Equal((1, 0), (report.SuccessfulSessions, report.FailedSessions));
    }

    [Fact]
    public void One_report_per_policy_domain()
    {
        var other = VerdictEngine.Judge(EvidenceBuilder.Mx("other.test").Host("mx.other.test", 10, h => h.Address(Probe.Tls(Chain("mx.other.test")))).Build(), Modes.Opportunistic);

        var reports = TlsRptReportBuilder.Build([DaneDelivered(), other, DaneFailed()], Options);

        Assert.Equal(["example.test", "other.test"], reports.Select(r => r.PolicyDomain));
        Assert.NotEqual(reports[0].ReportId, reports[1].ReportId);
    }

    [Fact]
    public void The_file_name_follows_rfc_8460_section_5_3()
    {
        // sender "!" policy-domain "!" begin-timestamp "!" end-timestamp [ "!" unique-id ] "." extension
        TlsRptReport report = Assert.Single(TlsRptReportBuilder.Build([DaneDelivered()], Options));

        Assert.Equal($"contoso.test!example.test!{Start.ToUnixTimeSeconds()}!{End.ToUnixTimeSeconds()}.json", report.FileName);
        Assert.Equal("contoso.test!example.test!1740787200!1740873600.json", report.FileName);
    }
}
