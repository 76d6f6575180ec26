using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.TlsRpt;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>
/// The one mapping from a failure kind to outcome, code and TLS-RPT type, against Exchange Online's
/// published codes (docs/verdicts.md#status-codes) and RFC 8460 §4.3 result types, written out as
/// literals; and the one renderer of failure sentences.
/// </summary>
public sealed class FailureKindTests
{
    [Theory]
    [InlineData(FailureKind.DomainNotFound, "Reject", "5.4.310", null)]
    [InlineData(FailureKind.NullMx, "Reject", "5.1.10", null)]
    [InlineData(FailureKind.NoMailHost, "Reject", "5.4.4", null)]
    [InlineData(FailureKind.DnsLookupFailed, "Queue", "4.4.312", "validation-failure")]
    [InlineData(FailureKind.NoHostFound, "Queue", "4.4.312", "validation-failure")]
    [InlineData(FailureKind.DnssecBogus, "Queue", "4.7.324", "dnssec-invalid")]
    [InlineData(FailureKind.DnssecInsecure, "Queue", "4.7.324", "dane-required")]
    [InlineData(FailureKind.TlsaLookupFailed, "Queue", "4.7.324", "dnssec-invalid")]
    [InlineData(FailureKind.TlsaMismatch, "Queue", "4.7.323", "tlsa-invalid")]
    [InlineData(FailureKind.NoUsableTlsa, "Queue", "4.7.323", "dane-required")]
    [InlineData(FailureKind.StartTlsNotOffered, "Queue", "4.7.321", "starttls-not-supported")]
    [InlineData(FailureKind.HandshakeFailed, "Queue", "4.7.321", "starttls-not-supported")]
    [InlineData(FailureKind.CertificateExpired, "Queue", "4.7.322", "certificate-expired")]
    [InlineData(FailureKind.NameMismatch, "Queue", "4.7.325", "certificate-host-mismatch")]
    [InlineData(FailureKind.StsMxMismatch, "Queue", "4.4.8", "validation-failure")]
    [InlineData(FailureKind.StsCertificateInvalid, "Queue", "4.7.5", "certificate-not-trusted")]
    [InlineData(FailureKind.StsCertificateExpired, "Queue", "4.7.5", "certificate-expired")]
    [InlineData(FailureKind.StsNameMismatch, "Queue", "4.7.5", "certificate-host-mismatch")]
    [InlineData(FailureKind.StsStartTlsNotOffered, "Queue", "4.7.5", "starttls-not-supported")]
    [InlineData(FailureKind.CertificateValidationFailed, "Queue", "4.7.320", "certificate-not-trusted")]
    [InlineData(FailureKind.TlsDomainMismatch, "Queue", "4.7.320", "certificate-host-mismatch")]
    [InlineData(FailureKind.ConnectFailed, "Queue", "4.4.316", "validation-failure")]
    [InlineData(FailureKind.SmtpRefused, "Queue", "4.4.0", "validation-failure")]
    [InlineData(FailureKind.SmtpTemporaryFailure, "Queue", "4.4.0", "validation-failure")]
    [InlineData(FailureKind.Unreachable, "Indeterminate", null, null)]
    [InlineData(FailureKind.ProbeSkipped, "Indeterminate", null, null)]
    [InlineData(FailureKind.ProxyFailed, "Indeterminate", null, null)]
    [InlineData(FailureKind.DnssecIndeterminate, "Indeterminate", null, null)]
    [InlineData(FailureKind.None, "Deliver", null, null)]
    public void Each_kind_has_one_outcome_code_and_tls_rpt_type(FailureKind kind, string outcome, string? code, string? resultType)
    {
        Assert.Equal(outcome, FailureKinds.OutcomeOf(kind).ToString());
        Assert.Equal(code, FailureKinds.CodeOf(kind));
        Assert.Equal(resultType, FailureKinds.ResultTypeOf(kind)?.ToRfcString());
        Assert.Equal(outcome == "Indeterminate", FailureKinds.IsIndeterminate(kind));
    }

    [Fact]
    public void Every_kind_is_in_the_table_above_and_renders_a_sentence()
    {
        // A new kind must get a row above; the renderer must say something for each.
        var facts = new FailureFacts { Domain = "fabrikam.example", Host = "mx1.fabrikam.example", Address = "192.0.2.25", Detail = "connection refused", Subject = "_25._tcp.mx1.fabrikam.example" };
        int rendered = 0;
        foreach (FailureKind kind in Enum.GetValues<FailureKind>().Where(k => k != FailureKind.None))
        {
            string text = VerdictText.Render(kind, facts);
            Assert.False(string.IsNullOrWhiteSpace(text), $"{kind} renders nothing");
            Assert.DoesNotContain($": {kind}.", text, StringComparison.Ordinal);
            Assert.True(FailureKinds.OutcomeOf(kind) != Outcome.Deliver, $"{kind} must never be Deliver");
            rendered++;
        }

        Assert.Equal(Enum.GetValues<FailureKind>().Length - 1, rendered);
        Assert.True(rendered >= 28);
    }

    [Fact]
    public void An_unreachable_host_says_it_may_be_this_machine_and_what_to_do()
    {
        string text = VerdictText.Render(FailureKind.Unreachable, new FailureFacts { Domain = "fabrikam.example", Host = "mx1.fabrikam.example", Detail = "192.0.2.25: timed out" });

        Assert.Contains("on port 25 from this machine", text, StringComparison.Ordinal);
        Assert.Contains("not fabrikam.example", text, StringComparison.Ordinal);
        Assert.Contains("-SmtpProxy socks5://", text, StringComparison.Ordinal);
        Assert.Contains("-SkipSmtpProbe", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Through_a_proxy_an_unreachable_host_points_at_the_proxy_s_network_not_this_machine()
    {
        string text = VerdictText.Render(FailureKind.Unreachable, new FailureFacts { Domain = "fabrikam.example", Host = "mx1.fabrikam.example", Detail = "192.0.2.25: timed out", ThroughProxy = true });

        Assert.Contains("on port 25 through the SOCKS5 proxy", text, StringComparison.Ordinal);
        Assert.Contains("the proxy's network (its own port 25 may be blocked), not fabrikam.example", text, StringComparison.Ordinal);
        Assert.DoesNotContain("from this machine", text, StringComparison.Ordinal);
        Assert.DoesNotContain("use -SmtpProxy", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_connect_failure_in_a_run_that_reached_port_25_is_worded_as_the_partner_s()
    {
        string text = VerdictText.Render(FailureKind.ConnectFailed, new FailureFacts { Domain = "fabrikam.example", Host = "mx1.fabrikam.example", Address = "192.0.2.25", Detail = "TCP connection to 192.0.2.25:25 failed: connection refused" });

        Assert.StartsWith("mx1.fabrikam.example [192.0.2.25]: TCP connection", text, StringComparison.Ordinal);
        Assert.Contains("Other hosts answered on port 25", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Mta_sts_without_starttls_names_whether_it_was_offered()
    {
        var facts = new FailureFacts { Domain = "fabrikam.example", Host = "mx1.fabrikam.example", Address = "192.0.2.25", Detail = "TLS handshake failed" };

        Assert.Contains("does not offer STARTTLS", VerdictText.Render(FailureKind.StsStartTlsNotOffered, facts), StringComparison.Ordinal);
        Assert.Contains("offers STARTTLS but the TLS session failed (TLS handshake failed)", VerdictText.Render(FailureKind.StsStartTlsNotOffered, facts with { StartTlsOffered = true }), StringComparison.Ordinal);
    }
}
