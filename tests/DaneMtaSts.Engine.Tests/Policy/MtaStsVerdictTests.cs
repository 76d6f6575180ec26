using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.TlsRpt;
using static DaneMtaSts.Engine.Tests.Policy.VerdictPki;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>docs/verdicts.md#mta-sts (RFC 8461 §5) as the verdict applies it, and its precedence below DANE.</summary>
public class MtaStsVerdictTests
{
    private const string Mx1 = "mx1.example.test";
    private const string Mx2 = "mx2.example.test";

    // Hosts without DANE (secure MX, secure NODATA for TLSA): MTA-STS decides.
    private static EvidenceBuilder Domain(MtaStsPolicyMode mode, params string[] patterns) =>
        EvidenceBuilder.Mx().MtaSts(mode, patterns);

    [Theory]
    [InlineData("Opportunistic")]
    [InlineData("StsOnly")]
    public void Enforce_with_a_matching_host_and_a_valid_certificate_delivers_with_mta_sts(string mode)
    {
        var ev = Domain(MtaStsPolicyMode.Enforce, Mx1).Host(Mx1, 10, h => h.NoTlsa().Address(Probe.Tls(Chain(Mx1)))).Build();

        var result = VerdictEngine.Judge(ev, Modes.ByName(mode));

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.MtaSts, result.Security);
        Assert.Equal("sts", result.PolicyType);
    }

    // docs/verdicts.md#mta-sts-cache: a verdict the cached policy decided says so, typed and in its Reason.
    [Fact]
    public void A_verdict_decided_by_a_cached_policy_says_so()
    {
        var fetched = new DateTime(2026, 11, 30, 8, 15, 0, DateTimeKind.Utc);
        var ev = Domain(MtaStsPolicyMode.Enforce, "*.other.test").FromPolicyCache(fetched)
            .Host(Mx1, 10, h => h.NoTlsa().Address(Probe.Tls(Chain(Mx1))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(FailureKind.StsMxMismatch, result.Kind);
        Assert.Equal(MtaStsPolicySource.Cached, result.MtaStsPolicySource);
        Assert.EndsWith("came from the policy cache (id 20240101T000000, fetched 2026-11-30 08:15:00Z), not from a fetch in this run; Get-MtaStsPolicyCache shows it.", result.Reason, StringComparison.Ordinal);
        Assert.Contains("source Cached, id 20240101T000000, fetched 2026-11-30 08:15:00Z", result.FormatEvidence(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_verdict_decided_by_a_fetched_policy_or_by_dane_says_nothing_of_the_cache()
    {
        var fetchedNow = Domain(MtaStsPolicyMode.Enforce, "*.other.test").Host(Mx1, 10, h => h.NoTlsa().Address(Probe.Tls(Chain(Mx1)))).Build();
        var result = VerdictEngine.Judge(fetchedNow, Modes.Opportunistic);
        Assert.Equal(MtaStsPolicySource.Fetched, result.MtaStsPolicySource);
        Assert.DoesNotContain("policy cache", result.Reason, StringComparison.Ordinal);

        // Smart-host routing consults no MTA-STS: no source at all.
        var smartHost = EvidenceBuilder.SmartHosts().Host("relay.example.test", 0, h => h.Insecure().Address(Probe.Tls(Chain("relay.example.test")))).Build();
        Assert.Null(VerdictEngine.Judge(smartHost, Modes.Opportunistic).MtaStsPolicySource);
    }

    [Fact]
    public void Enforce_skips_hosts_that_match_no_pattern()
    {
        var ev = Domain(MtaStsPolicyMode.Enforce, Mx2)
            .Host(Mx1, 10, h => h.Address(Probe.Tls(Chain(Mx1))))
            .Host(Mx2, 20, h => h.Address(Probe.Tls(Chain(Mx2))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(Mx2, result.MxHost);
        Assert.Equal(TransportSecurity.MtaSts, result.Security);
        HostVerdict skipped = Assert.Single(result.Hosts, h => h.Host == Mx1);
        Assert.False(skipped.Candidate);
        Assert.Contains(result.Warnings, w => w.Contains(Mx1, StringComparison.Ordinal) && w.Contains("do not cover", StringComparison.Ordinal));
    }

    [Fact]
    public void Enforce_with_no_matching_host_is_4_4_8()
    {
        var ev = Domain(MtaStsPolicyMode.Enforce, "*.other.test")
            .Host(Mx1, 10, h => h.Address(Probe.Tls(Chain(Mx1))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal("4.4.8", result.StatusCode);
        Assert.Equal("MX hosts of example.test failed MTA-STS validation", result.StatusText);
        Assert.Equal("5.4.8", result.FinalStatusCode);
        Assert.Equal(Mx1, result.MxHost);
    }

    public static TheoryData<string> BrokenTls => new() { "no-starttls", "handshake", "untrusted", "expired", "wrong-name" };

    private static Probe Broken(string kind) => kind switch
    {
        "no-starttls" => Probe.NoStartTls(),
        "handshake" => Probe.HandshakeFails(),
        "untrusted" => Probe.Tls(SelfSigned(Mx1)),
        "expired" => Probe.Tls(ExpiredLeaf(Mx1), Intermediate),
        _ => Probe.Tls(Chain("mail.other.test")),
    };

    // docs/verdicts.md#mta-sts-no-starttls: enforce with a matching host that offers no STARTTLS is
    // 4.7.5 (docs/verdicts.md#mta-sts-5), not 4.7.321; RFC 8461 §5 treats it and a bad certificate
    // as one policy failure. The TLS-RPT result type still says starttls-not-supported (RFC 8460 §4.3.1).
    [Theory]
    [MemberData(nameof(BrokenTls))]
    public void Enforce_with_a_matching_host_without_tls_or_a_valid_certificate_is_4_7_5(string kind)
    {
        var ev = Domain(MtaStsPolicyMode.Enforce, Mx1).Host(Mx1, 10, h => h.Address(Broken(kind))).Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal("4.7.5", result.StatusCode);
        Assert.Equal("Remote certificate failed MTA-STS validation", result.StatusText);
    }

    [Fact]
    public void Enforce_checks_the_certificate_for_the_mx_host_name_not_for_the_pattern()
    {
        // docs/edge-cases.md#s6 (the CERT-Bund report against pattern-only checks): mx1 matches "*.example.test"
        // and serves a valid certificate for mx2.example.test, which also matches the pattern.
        var ev = Domain(MtaStsPolicyMode.Enforce, "*.example.test").Host(Mx1, 10, h => h.Address(Probe.Tls(Chain(Mx2)))).Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal("4.7.5", result.StatusCode);
        Assert.Equal(TlsRptResultType.CertificateHostMismatch, result.Hosts[0].ResultType);
    }

    [Fact]
    public void Enforce_accepts_a_wildcard_certificate_covering_the_mx_host()
    {
        var ev = Domain(MtaStsPolicyMode.Enforce, "*.example.test").Host(Mx1, 10, h => h.Address(Probe.Tls(Chain("*.example.test")))).Build();

        Assert.Equal(TransportSecurity.MtaSts, VerdictEngine.Judge(ev, Modes.Opportunistic).Security);
    }

    [Fact]
    public void Testing_delivers_and_says_what_enforce_would_have_done()
    {
        var ev = Domain(MtaStsPolicyMode.Testing, Mx1).Host(Mx1, 10, h => h.Address(Probe.Tls(SelfSigned(Mx1)))).Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Tls, result.Security);
        Assert.Equal("sts", result.PolicyType);
        Assert.Contains("testing mode", result.Reason, StringComparison.Ordinal);
        Assert.Contains("Under enforce it would be queued: 4.7.5", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Testing_with_no_matching_host_delivers_and_names_4_4_8()
    {
        var ev = Domain(MtaStsPolicyMode.Testing, "mx9.example.test").Host(Mx1, 10, h => h.Address(Probe.NoStartTls())).Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.None, result.Security);
        Assert.Contains("4.4.8", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Testing_that_enforce_would_pass_says_so()
    {
        var ev = Domain(MtaStsPolicyMode.Testing, Mx1).Host(Mx1, 10, h => h.Address(Probe.Tls(Chain(Mx1)))).Build();

        Assert.Contains("Under enforce it would still be delivered.", VerdictEngine.Judge(ev, Modes.Opportunistic).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Policy_mode_none_is_no_policy()
    {
        var ev = Domain(MtaStsPolicyMode.None).Host(Mx1, 10, h => h.Address(Probe.Tls(SelfSigned(Mx1)))).Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(TransportSecurity.Tls, result.Security);
        Assert.Equal("no-policy-found", result.PolicyType);
    }

    [Theory]
    [InlineData("DaneOnly")]
    [InlineData("None")]
    public void MtaStsMode_none_ignores_an_enforce_policy(string mode)
    {
        var ev = Domain(MtaStsPolicyMode.Enforce, "mx9.example.test").Host(Mx1, 10, h => h.Address(Probe.Tls(SelfSigned(Mx1)))).Build();

        var result = VerdictEngine.Judge(ev, Modes.ByName(mode));

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Tls, result.Security);
        Assert.Equal("no-policy-found", result.PolicyType);
        Assert.DoesNotContain(result.Warnings, w => w.Contains("MTA-STS", StringComparison.Ordinal));
    }

    [Fact]
    public void Dane_wins_an_enforce_policy_that_matches_no_host_does_not_matter()
    {
        // RFC 8461 §2: with secure usable TLSA, MTA-STS is not applied (no 4.4.8).
        var ev = Domain(MtaStsPolicyMode.Enforce, "mx9.example.test")
            .Host(Mx1, 10, h => h.Tlsa(Tlsa(3, 1, 1, SelfSigned(Mx1))).Address(Probe.Tls(SelfSigned(Mx1))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Equal("tlsa", result.PolicyType);
    }

    [Fact]
    public void A_failing_dane_host_is_not_rescued_by_an_enforce_policy_it_satisfies()
    {
        var ev = Domain(MtaStsPolicyMode.Enforce, Mx1)
            .Host(Mx1, 10, h => h.Tlsa(UnrelatedEe()).Address(Probe.Tls(Chain(Mx1))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal("4.7.323", result.StatusCode);
    }

    [Fact]
    public void Usable_tlsa_on_any_mx_host_turns_mta_sts_off_for_the_whole_domain()
    {
        // docs/verdicts.md#mta-sts: MTA-STS only "when no MX host of the domain has secure, usable TLSA".
        // mx1 has no TLSA and an untrusted certificate; under enforce it would fail 4.7.5.
        var ev = Domain(MtaStsPolicyMode.Enforce, Mx1, Mx2)
            .Host(Mx1, 10, h => h.NoTlsa().Address(Probe.Tls(SelfSigned(Mx1))))
            .Host(Mx2, 20, h => h.Tlsa(Tlsa(3, 1, 1, Leaf(Mx2))).Address(Probe.Tls(Chain(Mx2))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(Mx1, result.MxHost);
        Assert.Equal(TransportSecurity.Tls, result.Security);
    }

    [Fact]
    public void A_host_with_a_failed_tlsa_lookup_is_not_used_while_mta_sts_applies_to_the_others()
    {
        var ev = Domain(MtaStsPolicyMode.Enforce, Mx1, Mx2)
            .Host(Mx1, 10, h => h.TlsaFails().Address(Probe.Tls(Chain(Mx1))))
            .Host(Mx2, 20, h => h.NoTlsa().Address(Probe.Tls(Chain(Mx2))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(Mx2, result.MxHost);
        Assert.Equal(TransportSecurity.MtaSts, result.Security);
        Assert.Equal("4.7.324", result.Hosts[0].StatusCode);
        Assert.Contains(result.Warnings, w => w.Contains("TLSA lookup failed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(MtaStsPolicyMode.Enforce, Mx1)]
    [InlineData(MtaStsPolicyMode.Testing, Mx1)]
    [InlineData(MtaStsPolicyMode.Enforce, "mx9.example.test")]
    public void Under_mandatory_mta_sts_does_not_change_the_outcome(MtaStsPolicyMode policyMode, string pattern)
    {
        // A host that MTA-STS enforce alone would accept is still refused without DANE; and a
        // policy matching no host does not turn the DANE failure into 4.4.8.
        var ev = Domain(policyMode, pattern).Host(Mx1, 10, h => h.NoTlsa().Address(Probe.Tls(Chain(Mx1)))).Build();

        var mandatory = VerdictEngine.Judge(ev, Modes.Mandatory);
        var mandatoryNoSts = VerdictEngine.Judge(ev, Modes.ByName("MandatoryNoSts"));

        Assert.Equal(Outcome.Queue, mandatory.Outcome);
        Assert.Equal("4.7.323", mandatory.StatusCode);
        Assert.Equal((mandatoryNoSts.Outcome, mandatoryNoSts.StatusCode, mandatoryNoSts.MxHost), (mandatory.Outcome, mandatory.StatusCode, mandatory.MxHost));
    }

    [Fact]
    public void Under_mandatory_an_enforce_policy_matching_no_host_does_not_queue_a_dane_host()
    {
        var ev = Domain(MtaStsPolicyMode.Enforce, "mx9.example.test")
            .Host(Mx1, 10, h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain(Mx1))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Mandatory);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
    }

    [Fact]
    public void Mta_sts_applies_only_to_mx_routing()
    {
        var ev = EvidenceBuilder.SmartHosts().MtaSts(MtaStsPolicyMode.Enforce, "mx9.example.test")
            .Host("relay.partner.test", 0, h => h.Insecure().Address(Probe.Tls(SelfSigned("relay.partner.test"))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Tls, result.Security);
        Assert.Equal("no-policy-found", result.PolicyType);
    }

    [Fact]
    public void Unusable_only_tlsa_with_enforce_needs_both_tls_and_pkix()
    {
        // Unusable TLSA is not "usable TLSA", so MTA-STS still applies (RFC 8461 §2 / RFC 7672 §2.2).
        var ev = Domain(MtaStsPolicyMode.Enforce, Mx1).Host(Mx1, 10, h => h.Tlsa(Tlsa(1, 1, 1, Leaf(Mx1))).Address(Probe.Tls(SelfSigned(Mx1)))).Build();

        Assert.Equal("4.7.5", VerdictEngine.Judge(ev, Modes.Opportunistic).StatusCode);
    }
}
