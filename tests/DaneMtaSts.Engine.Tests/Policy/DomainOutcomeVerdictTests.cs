using DaneMtaSts.Engine.Policy;
using static DaneMtaSts.Engine.Tests.Policy.VerdictPki;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>docs/verdicts.md#domain-outcomes, for every mode pair.</summary>
public class DomainOutcomeVerdictTests
{
    public static TheoryData<string> AllModes => new() { "Opportunistic", "Mandatory", "None", "DaneOnly", "StsOnly" };

    [Theory]
    [MemberData(nameof(AllModes))]
    public void Nxdomain_is_rejected_with_5_4_310(string mode)
    {
        var result = VerdictEngine.Judge(EvidenceBuilder.MxLookup(MxOutcome.NxDomain, DnsSecStatus.Secure).Build(), Modes.ByName(mode));

        Assert.Equal(Outcome.Reject, result.Outcome);
        Assert.Equal("5.4.310", result.StatusCode);
        Assert.Equal("5.4.310", result.StatusCode);
        Assert.Equal("DNS domain does not exist", result.StatusText);
        Assert.Equal("5.4.310", result.FinalStatusCode);
        Assert.Null(result.Security);
        Assert.Null(result.MxHost);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public void Null_mx_is_rejected_with_5_1_10(string mode)
    {
        var result = VerdictEngine.Judge(EvidenceBuilder.MxLookup(MxOutcome.NullMx, DnsSecStatus.Secure).Build(), Modes.ByName(mode));

        Assert.Equal(Outcome.Reject, result.Outcome);
        Assert.Equal("5.1.10", result.StatusCode);
        Assert.Equal("Null MX", result.StatusText);
        Assert.Contains("RFC 7505", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public void A_domain_without_any_mail_host_is_rejected(string mode)
    {
        var result = VerdictEngine.Judge(EvidenceBuilder.MxLookup(MxOutcome.NoMailHost, DnsSecStatus.Secure).Build(), Modes.ByName(mode));

        Assert.Equal(Outcome.Reject, result.Outcome);
        Assert.Equal("5.4.4", result.StatusCode);
    }

    [Theory]
    [InlineData("Opportunistic")]
    [InlineData("Mandatory")]
    [InlineData("DaneOnly")]
    public void Bogus_mx_with_dane_on_is_queued_dnssec_invalid(string mode)
    {
        var result = VerdictEngine.Judge(EvidenceBuilder.MxLookup(MxOutcome.Bogus, DnsSecStatus.Bogus).Build(), Modes.ByName(mode));

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal("4.7.324", result.StatusCode);
        Assert.Equal("dnssec-invalid", result.StatusText);
        Assert.Equal("5.7.324", result.FinalStatusCode);
    }

    [Theory]
    [InlineData("None")]
    [InlineData("StsOnly")]
    public void Bogus_mx_with_dane_off_is_a_plain_dns_failure(string mode)
    {
        var result = VerdictEngine.Judge(EvidenceBuilder.MxLookup(MxOutcome.Bogus, DnsSecStatus.Bogus).Build(), Modes.ByName(mode));

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal("4.4.312", result.StatusCode);
        Assert.Equal("DNS query failed", result.StatusText);
        Assert.Equal("5.4.312", result.FinalStatusCode);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public void A_failed_mx_lookup_that_also_fails_with_cd_is_4_4_312_in_every_mode(string mode)
    {
        var result = VerdictEngine.Judge(EvidenceBuilder.MxLookup(MxOutcome.Failed, DnsSecStatus.Failed).Build(), Modes.ByName(mode));

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal("4.4.312", result.StatusCode);
    }

    [Fact]
    public void Implicit_mx_makes_the_domain_itself_the_host_and_dane_applies_to_it()
    {
        var ev = EvidenceBuilder.Mx("example.test")
            .ImplicitMx(h => h.Tlsa(Tlsa(3, 1, 1, Leaf("example.test"))).Address(Probe.Tls(Chain("example.test"))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Equal("example.test", result.MxHost);
        Assert.Null(result.StatusCode);
        Assert.Null(result.StatusText);
        Assert.Null(result.FinalStatusCode);
    }

    [Fact]
    public void Mx_outcome_with_no_host_is_queued_not_delivered()
    {
        var result = VerdictEngine.Judge(EvidenceBuilder.Mx().Build(), Modes.Opportunistic);

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal("4.4.312", result.StatusCode);
    }

    [Theory]
    [InlineData(SmtpDaneMode.None, MtaStsMode.None, TlsValidationMode.None)]
    [InlineData(SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic, TlsValidationMode.Opportunistic)]
    [InlineData(SmtpDaneMode.Mandatory, MtaStsMode.Opportunistic, TlsValidationMode.Mandatory)]
    [InlineData(SmtpDaneMode.None, MtaStsMode.Opportunistic, TlsValidationMode.Custom)]
    [InlineData(SmtpDaneMode.Opportunistic, MtaStsMode.None, TlsValidationMode.Custom)]
    [InlineData(SmtpDaneMode.Mandatory, MtaStsMode.None, TlsValidationMode.Custom)]
    public void The_result_names_the_modes_and_their_shorthand(SmtpDaneMode dane, MtaStsMode sts, TlsValidationMode shorthand)
    {
        var ev = EvidenceBuilder.Mx().Host("mx1.example.test", 10, h => h.Address(Probe.Tls(Chain("mx1.example.test")))).Build();
        var result = VerdictEngine.Judge(ev, Modes.Of(dane, sts) with { ConnectorName = "Partner" });

        Assert.Equal(dane, result.SmtpDaneMode);
        Assert.Equal(sts, result.MtaStsMode);
        Assert.Equal(shorthand, result.TlsValidationMode);
        Assert.Equal("Partner", result.Connector);
        Assert.Same(ev, result.Evidence);
    }
}
