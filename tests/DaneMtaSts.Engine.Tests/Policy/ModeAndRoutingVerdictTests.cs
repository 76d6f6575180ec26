using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Policy;
using static DaneMtaSts.Engine.Tests.Policy.VerdictPki;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>docs/verdicts.md#mode-none, docs/verdicts.md#smart-hosts and docs/verdicts.md#tls-settings.</summary>
public class ModeAndRoutingVerdictTests
{
    private const string Mx1 = "mx1.example.test";
    private const string Relay = "relay.partner.test";

    // Mode None: no TLSA or MTA-STS effect at all.

    public static TheoryData<string> DaneStates => new() { "usable-mismatch", "lookup-failed", "unusable-only", "bogus-mx-host-insecure" };

    private static EvidenceBuilder WithDaneState(string state, Probe probe) => state switch
    {
        "usable-mismatch" => EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Tlsa(UnrelatedEe()).Address(probe)),
        "lookup-failed" => EvidenceBuilder.Mx().Host(Mx1, 10, h => h.TlsaFails().Address(probe)),
        "unusable-only" => EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Tlsa(Tlsa(1, 1, 1, Leaf(Mx1))).Address(probe)),
        _ => EvidenceBuilder.Mx(mxStatus: DnsSecStatus.Insecure).Host(Mx1, 10, h => h.Address(probe)),
    };

    [Theory]
    [MemberData(nameof(DaneStates))]
    public void Mode_none_delivers_over_starttls_whatever_the_tlsa_state(string state)
    {
        var ev = WithDaneState(state, Probe.Tls(SelfSigned("whatever.invalid"))).MtaSts(MtaStsPolicyMode.Enforce, "mx9.example.test").Build();

        var result = VerdictEngine.Judge(ev, Modes.None);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Tls, result.Security);
        Assert.Equal("no-policy-found", result.PolicyType);
        Assert.Equal(TlsValidationMode.None, result.TlsValidationMode);
    }

    [Theory]
    [MemberData(nameof(DaneStates))]
    public void Mode_none_without_starttls_is_plaintext(string state)
    {
        var result = VerdictEngine.Judge(WithDaneState(state, Probe.NoStartTls()).Build(), Modes.None);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.None, result.Security);
    }

    // docs/verdicts.md#mode-none-handshake: with nothing requiring TLS, a handshake that fails is
    // read as opportunistic TLS reads it (RFC 7672 §2.2, RFC 3207, Postfix "may"): deliver in the
    // clear, reported as Security None.
    [Fact]
    public void Mode_none_after_a_failed_handshake_is_plaintext()
    {
        var result = VerdictEngine.Judge(WithDaneState("usable-mismatch", Probe.HandshakeFails()).Build(), Modes.None);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.None, result.Security);
        Assert.Contains("plaintext", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Mode_none_gives_no_dnssec_or_dane_warnings()
    {
        var leaf = LeafExpiringIn(10, Mx1);
        var ev = EvidenceBuilder.Mx().Resolver(validates: false)
            .Host(Mx1, 10, h => h.Tlsa(Tlsa(2, 1, 1, Intermediate), Tlsa(1, 1, 1, leaf)).Address(Probe.Tls(leaf, Intermediate)))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.None);

        Assert.Equal(TransportSecurity.Tls, result.Security);
        Assert.Empty(result.Warnings);
    }

    // Smart hosts.

    [Fact]
    public void Dane_applies_to_a_smart_host_name()
    {
        var leaf = SelfSigned(Relay);
        var ev = EvidenceBuilder.SmartHosts().Host(Relay, 0, h => h.Tlsa(Tlsa(3, 1, 1, leaf)).Address(Probe.Tls(leaf))).Build();

        var result = VerdictEngine.Judge(ev, Modes.Mandatory);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Equal(Relay, result.MxHost);
    }

    [Fact]
    public void A_smart_host_with_non_matching_tlsa_is_tlsa_invalid()
    {
        var ev = EvidenceBuilder.SmartHosts().Host(Relay, 0, h => h.Tlsa(UnrelatedEe()).Address(Probe.Tls(Chain(Relay)))).Build();

        Assert.Equal("4.7.323", VerdictEngine.Judge(ev, Modes.Opportunistic).StatusCode);
    }

    [Fact]
    public void A_smart_host_that_is_not_signed_gets_no_dane_and_mandatory_refuses_it()
    {
        var ev = EvidenceBuilder.SmartHosts().Host(Relay, 0, h => h.Insecure().Address(Probe.Tls(Chain(Relay)))).Build();

        Assert.Equal(TransportSecurity.Tls, VerdictEngine.Judge(ev, Modes.Opportunistic).Security);
        Assert.Equal("4.7.324", VerdictEngine.Judge(ev, Modes.Mandatory).StatusCode);
    }

    [Fact]
    public void An_ip_literal_smart_host_has_no_dane()
    {
        var ev = EvidenceBuilder.SmartHosts().Host("198.51.100.7", 0, h => h.Literal()).Build();

        var opportunistic = VerdictEngine.Judge(ev, Modes.Opportunistic);
        var mandatory = VerdictEngine.Judge(ev, Modes.Mandatory);

        Assert.Equal(Outcome.Deliver, opportunistic.Outcome);
        Assert.Equal(TransportSecurity.Tls, opportunistic.Security);
        Assert.Equal(Outcome.Queue, mandatory.Outcome);
        Assert.Equal("4.7.324", mandatory.StatusCode);
    }

    [Fact]
    public void The_next_smart_host_is_tried_when_the_first_fails()
    {
        var ev = EvidenceBuilder.SmartHosts()
            .Host(Relay, 0, h => h.Tlsa(UnrelatedEe()).Address(Probe.Tls(Chain(Relay))))
            .Host("relay2.partner.test", 1, h => h.Insecure().Address(Probe.Tls(Chain("relay2.partner.test"))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal("relay2.partner.test", result.MxHost);
    }

    // TlsSettings.

    [Theory]
    [InlineData(TlsAuthLevel.EncryptionOnly)]
    [InlineData(TlsAuthLevel.CertificateValidation)]
    [InlineData(TlsAuthLevel.DomainValidation)]
    public void Every_tls_setting_requires_tls(TlsAuthLevel level)
    {
        var ev = EvidenceBuilder.SmartHosts().TlsDomain(Relay).Host(Relay, 0, h => h.Insecure().Address(Probe.NoStartTls())).Build();

        var result = VerdictEngine.Judge(ev, Modes.Of(SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic, level, Relay));

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal("4.7.321", result.StatusCode);
    }

    [Fact]
    public void Encryption_only_accepts_any_certificate()
    {
        var ev = EvidenceBuilder.SmartHosts().Host(Relay, 0, h => h.Insecure().Address(Probe.Tls(SelfSigned("x.invalid")))).Build();

        var result = VerdictEngine.Judge(ev, Modes.Of(SmtpDaneMode.None, MtaStsMode.None, TlsAuthLevel.EncryptionOnly));

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Tls, result.Security);
    }

    [Theory]
    [InlineData("self-signed", "4.7.320")]
    [InlineData("expired", "4.7.320")]
    [InlineData("trusted-other-name", null)]
    [InlineData("trusted", null)]
    public void Certificate_validation_needs_a_trusted_chain(string kind, string? code)
    {
        Probe probe = kind switch
        {
            "self-signed" => Probe.Tls(SelfSigned(Relay)),
            "expired" => Probe.Tls(ExpiredLeaf(Relay), Intermediate),
            "trusted-other-name" => Probe.Tls(Chain("other.partner.test")),
            _ => Probe.Tls(Chain(Relay)),
        };
        var ev = EvidenceBuilder.SmartHosts().Host(Relay, 0, h => h.Insecure().Address(probe)).Build();

        var result = VerdictEngine.Judge(ev, Modes.Of(SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic, TlsAuthLevel.CertificateValidation));

        Assert.Equal(code, result.StatusCode);
        if (code is not null)
        {
            Assert.Equal("certificate validation failed", result.StatusText);
            Assert.Equal("5.7.320", result.FinalStatusCode);
        }
    }

    [Theory]
    [InlineData("relay.partner.test", "relay.partner.test", null)]
    [InlineData("partner.test", "relay.partner.test", "4.7.320")]
    [InlineData("mail.partner.test", "*.partner.test", null)]
    [InlineData("a.b.partner.test", "*.partner.test", "4.7.320")]
    public void Domain_validation_needs_a_trusted_certificate_for_tls_domain(string tlsDomain, string certName, string? code)
    {
        // The certificate's wildcard covers exactly one label (RFC 6125 §6.4.3).
        var ev = EvidenceBuilder.SmartHosts().TlsDomain(tlsDomain)
            .Host(Relay, 0, h => h.Insecure().Address(Probe.Tls(Chain(certName))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Of(SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic, TlsAuthLevel.DomainValidation, tlsDomain));

        Assert.Equal(code, result.StatusCode);
    }

    [Fact]
    public void Domain_validation_without_a_tls_domain_check_fails_closed()
    {
        var ev = EvidenceBuilder.SmartHosts().Host(Relay, 0, h => h.Insecure().Address(Probe.Tls(Chain(Relay)))).Build();

        Assert.Equal("4.7.320", VerdictEngine.Judge(ev, Modes.Of(SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic, TlsAuthLevel.DomainValidation)).StatusCode);
    }

    [Fact]
    public void Tls_settings_apply_on_top_of_dane()
    {
        // DANE authenticates the relay, but the connector also demands a certificate for TlsDomain.
        var leaf = SelfSigned(Relay);
        var ev = EvidenceBuilder.SmartHosts().TlsDomain("partner.test")
            .Host(Relay, 0, h => h.Tlsa(Tlsa(3, 1, 1, leaf)).Address(Probe.Tls(leaf)))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Of(SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic, TlsAuthLevel.DomainValidation, "partner.test"));

        Assert.Equal("4.7.320", result.StatusCode);
    }
}
