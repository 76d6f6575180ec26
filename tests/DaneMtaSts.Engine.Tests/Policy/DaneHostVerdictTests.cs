using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.TlsRpt;
using static DaneMtaSts.Engine.Tests.Policy.VerdictPki;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>docs/verdicts.md#dane (the per-host DANE rules), with real DANE matching over generated chains.</summary>
public class DaneHostVerdictTests
{
    private const string Mx1 = "mx1.example.test";

    private static TlsPolicyResult JudgeOne(Action<HostBuilder> host, string mode = "Opportunistic", DnsSecStatus mxStatus = DnsSecStatus.Secure, bool port25Reached = false) =>
        VerdictEngine.Judge(EvidenceBuilder.Mx(mxStatus: mxStatus).Host(Mx1, 10, host).Build(), Modes.ByName(mode) with { Port25Reached = port25Reached });

    private static void AssertQueued(TlsPolicyResult result, string code, string text)
    {
        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal(code, result.StatusCode);
        Assert.Equal(text, result.StatusText);
        Assert.Null(result.Security);
        Assert.Equal(Mx1, result.MxHost);
    }

    // docs/verdicts.md#dane-1: the MX RRset must be secure.

    [Fact]
    public void Insecure_mx_rrset_means_no_dane_and_opportunistic_tls()
    {
        // A TLSA record that would NOT match is ignored because DANE does not apply at all.
        var result = JudgeOne(h => h.Tlsa(UnrelatedEe()).Address(Probe.Tls(Chain(Mx1))), mxStatus: DnsSecStatus.Insecure);

        Assert.False(result.Evidence.Hosts[0].DaneApplicable);
        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Tls, result.Security);
        Assert.Equal("no-policy-found", result.PolicyType);
    }

    [Fact]
    public void Insecure_mx_rrset_without_starttls_goes_in_plaintext()
    {
        var result = JudgeOne(h => h.Address(Probe.NoStartTls()), mxStatus: DnsSecStatus.Insecure);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.None, result.Security);
    }

    [Theory]
    [InlineData("Mandatory")]
    [InlineData("MandatoryNoSts")]
    public void Insecure_mx_rrset_under_mandatory_is_dnssec_invalid(string mode)
    {
        var result = JudgeOne(h => h.Address(Probe.Tls(Chain(Mx1))), mode, DnsSecStatus.Insecure);

        AssertQueued(result, "4.7.324", "dnssec-invalid");
        Assert.Equal(TlsRptResultType.DaneRequired, result.Hosts[0].ResultType);
    }

    [Fact]
    public void Insecure_host_addresses_mean_no_dane()
    {
        var result = JudgeOne(h => h.Insecure().Tlsa(UnrelatedEe()).Address(Probe.Tls(Chain(Mx1))));

        Assert.False(result.Evidence.Hosts[0].DaneApplicable);
        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Tls, result.Security);
        Assert.Contains("not DNSSEC-signed", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Insecure_host_under_mandatory_is_dnssec_invalid()
    {
        AssertQueued(JudgeOne(h => h.Insecure().Address(Probe.Tls(Chain(Mx1))), "Mandatory"), "4.7.324", "dnssec-invalid");
    }

    [Fact]
    public void Cname_host_with_a_secure_first_link_gets_dane_at_the_expanded_name()
    {
        // mx1 is a CNAME (signed) to mail.provider.test in an unsigned zone: DANE applies to the
        // original name (RFC 7672 §2.2.2), the leaf names only mx1 — the DANE-TA name check passes
        // with the original MX name as reference.
        var result = JudgeOne(h => h.Cname("mail.provider.test", DnsSecStatus.Secure, DnsSecStatus.Insecure)
            .Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain(Mx1))));

        Assert.True(result.Evidence.Hosts[0].DaneApplicable);
        Assert.Equal(Mx1, result.Evidence.Hosts[0].TlsaBaseName);
        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
    }

    [Fact]
    public void Cname_host_fully_secure_uses_the_expanded_name_as_reference()
    {
        var result = JudgeOne(h => h.Cname("mail.provider.test", DnsSecStatus.Secure, DnsSecStatus.Secure)
            .Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain("mail.provider.test"))));

        Assert.Equal("mail.provider.test", result.Evidence.Hosts[0].TlsaBaseName);
        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Contains("mail.provider.test", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Cname_host_with_an_insecure_first_link_gets_no_dane()
    {
        var result = JudgeOne(h => h.Cname("mail.provider.test", DnsSecStatus.Insecure, DnsSecStatus.Insecure).Address(Probe.Tls(Chain(Mx1))), "Mandatory");

        Assert.False(result.Evidence.Hosts[0].DaneApplicable);
        AssertQueued(result, "4.7.324", "dnssec-invalid");
    }

    // docs/verdicts.md#dane-2: TLSA lookup failures never downgrade.

    [Theory]
    [InlineData(DnsSecStatus.Bogus, "Opportunistic")]
    [InlineData(DnsSecStatus.Failed, "Opportunistic")]
    [InlineData(DnsSecStatus.Bogus, "Mandatory")]
    [InlineData(DnsSecStatus.Failed, "DaneOnly")]
    public void Tlsa_lookup_failure_is_dnssec_invalid(DnsSecStatus status, string mode)
    {
        var result = JudgeOne(h => h.TlsaFails(status).Address(Probe.Tls(Chain(Mx1))), mode);

        AssertQueued(result, "4.7.324", "dnssec-invalid");
        Assert.Equal(TlsRptResultType.DnssecInvalid, result.Hosts[0].ResultType);
    }

    [Fact]
    public void Tlsa_lookup_failure_without_starttls_is_still_dnssec_invalid_never_plaintext()
    {
        AssertQueued(JudgeOne(h => h.TlsaFails().Address(Probe.NoStartTls())), "4.7.324", "dnssec-invalid");
    }

    [Fact]
    public void Tlsa_lookup_failure_is_not_rescued_by_an_mta_sts_enforce_policy_that_would_pass()
    {
        // docs/edge-cases.md#d9 and docs/edge-cases.md#s9: the host's certificate is PKIX-valid for its name and matches the policy, so
        // MTA-STS alone would deliver; DANE's unknown state must win.
        var ev = EvidenceBuilder.Mx().MtaSts(MtaStsPolicyMode.Enforce, Mx1)
            .Host(Mx1, 10, h => h.TlsaFails().Address(Probe.Tls(Chain(Mx1))))
            .Build();

        Assert.True(ev.Hosts[0].Addresses[0].Pkix!.Valid, ev.Hosts[0].Addresses[0].Pkix!.Detail);
        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);
        AssertQueued(result, "4.7.324", "dnssec-invalid");
    }

    [Theory]
    [InlineData("Opportunistic")]
    [InlineData("DaneOnly")]
    public void Tlsa_nxdomain_or_nodata_means_no_dane(string mode)
    {
        var result = JudgeOne(h => h.NoTlsa().Address(Probe.Tls(Chain(Mx1))), mode);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Tls, result.Security);
        Assert.Contains("no TLSA records", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Tlsa_nodata_and_no_starttls_goes_in_plaintext()
    {
        var result = JudgeOne(h => h.NoTlsa().Address(Probe.NoStartTls()));

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.None, result.Security);
    }

    [Fact]
    public void Tlsa_nodata_on_a_secure_host_under_mandatory_is_tlsa_invalid()
    {
        var result = JudgeOne(h => h.NoTlsa().Address(Probe.Tls(Chain(Mx1))), "Mandatory");

        AssertQueued(result, "4.7.323", "tlsa-invalid");
        Assert.Equal(TlsRptResultType.DaneRequired, result.Hosts[0].ResultType);
    }

    // docs/verdicts.md#dane-3: only unusable records → TLS required without authentication.

    public static TheoryData<string> UnusableRecords => new() { "1 1 1", "0 0 1", "3 1 255", "3 1 1 short" };

    private static TlsaRecord Unusable(string kind) => kind switch
    {
        "1 1 1" => Tlsa(1, 1, 1, Leaf(Mx1)),
        "0 0 1" => Tlsa(0, 0, 1, Intermediate),
        "3 1 255" => new TlsaRecord(3, 1, 255, [1, 2, 3]),
        _ => new TlsaRecord(3, 1, 1, [1, 2, 3]),
    };

    [Theory]
    [MemberData(nameof(UnusableRecords))]
    public void Only_unusable_records_require_tls_without_authentication(string kind)
    {
        var result = JudgeOne(h => h.Tlsa(Unusable(kind)).Address(Probe.Tls(Chain("some.other.name"))));

        Assert.Equal(TlsaState.UnusableOnly, result.Evidence.Hosts[0].Tlsa);
        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Tls, result.Security);
        Assert.Contains(result.Warnings, w => w.Contains("unusable", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(UnusableRecords))]
    public void Only_unusable_records_and_no_starttls_is_starttls_not_supported(string kind)
    {
        AssertQueued(JudgeOne(h => h.Tlsa(Unusable(kind)).Address(Probe.NoStartTls())), "4.7.321", "starttls-not-supported");
    }

    [Fact]
    public void Only_unusable_records_and_a_failed_handshake_is_starttls_not_supported()
    {
        AssertQueued(JudgeOne(h => h.Tlsa(Unusable("1 1 1")).Address(Probe.HandshakeFails())), "4.7.321", "starttls-not-supported");
    }

    [Fact]
    public void Only_unusable_records_under_mandatory_is_tlsa_invalid()
    {
        AssertQueued(JudgeOne(h => h.Tlsa(Unusable("1 1 1")).Address(Probe.Tls(Chain(Mx1))), "Mandatory"), "4.7.323", "tlsa-invalid");
    }

    // docs/verdicts.md#dane-5: DANE-EE and DANE-TA matching.

    [Theory]
    [InlineData("Opportunistic")]
    [InlineData("Mandatory")]
    [InlineData("DaneOnly")]
    [InlineData("MandatoryNoSts")]
    public void Dane_ee_match_delivers_with_dane_ignoring_name_expiry_and_issuer(string mode)
    {
        // Self-signed and for another name: DANE-EE(3) checks nothing but the key (RFC 7672 §3.1.1).
        var leaf = SelfSigned("whatever.invalid");
        var result = JudgeOne(h => h.Tlsa(Tlsa(3, 1, 1, leaf)).Address(Probe.Tls(leaf)), mode);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Equal(Mx1, result.MxHost);
        Assert.Equal("tlsa", result.PolicyType);
        Assert.Contains("DANE-authenticated", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Dane_ee_match_of_an_expired_leaf_still_delivers_never_4_7_322()
    {
        var leaf = ExpiredLeaf(Mx1);
        var result = JudgeOne(h => h.Tlsa(Tlsa(3, 0, 1, leaf)).Address(Probe.Tls(leaf, Intermediate)));

        Assert.Equal(TransportSecurity.Dane, result.Security);
    }

    [Fact]
    public void Dane_ta_match_delivers_with_dane()
    {
        var result = JudgeOne(h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain(Mx1))), "Mandatory");

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Contains("depth 1", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Dane_ta_match_on_the_recipient_domain_name_delivers()
    {
        var result = JudgeOne(h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain("example.test"))));

        Assert.Equal(TransportSecurity.Dane, result.Security);
    }

    [Fact]
    public void Ee_mismatch_with_a_ta_match_still_delivers()
    {
        var result = JudgeOne(h => h.Tlsa(UnrelatedEe(), Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain(Mx1))));

        Assert.Equal(TransportSecurity.Dane, result.Security);
    }

    [Theory]
    [InlineData("Opportunistic")]
    [InlineData("Mandatory")]
    public void Dane_ta_with_an_expired_leaf_is_certificate_expired(string mode)
    {
        var result = JudgeOne(h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(ExpiredLeaf(Mx1), Intermediate)), mode);

        AssertQueued(result, "4.7.322", "certificate-expired");
        Assert.Equal(TlsRptResultType.CertificateExpired, result.Hosts[0].ResultType);
    }

    [Fact]
    public void Dane_ta_with_a_leaf_for_another_name_is_certificate_host_mismatch()
    {
        var result = JudgeOne(h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain("mail.elsewhere.test"))));

        AssertQueued(result, "4.7.325", "certificate-host-mismatch");
        Assert.Equal(TlsRptResultType.CertificateHostMismatch, result.Hosts[0].ResultType);
    }

    [Theory]
    [InlineData("Opportunistic")]
    [InlineData("Mandatory")]
    [InlineData("DaneOnly")]
    public void Usable_records_none_matching_is_tlsa_invalid(string mode)
    {
        var result = JudgeOne(h => h.Tlsa(UnrelatedEe(), Tlsa(2, 1, 1, Root)).Address(Probe.Tls(Leaf(Mx1), Intermediate)), mode);

        AssertQueued(result, "4.7.323", "tlsa-invalid");
        Assert.Equal("5.7.323", result.FinalStatusCode);
        Assert.Equal(TlsRptResultType.TlsaInvalid, result.Hosts[0].ResultType);
    }

    [Fact]
    public void A_ta_record_for_the_leaf_itself_does_not_match()
    {
        // DANE-TA(2) never matches at depth 0 (RFC 7671 §5.2.2).
        var result = JudgeOne(h => h.Tlsa(Tlsa(2, 1, 1, Leaf(Mx1))).Address(Probe.Tls(Chain(Mx1))));

        AssertQueued(result, "4.7.323", "tlsa-invalid");
    }

    [Fact]
    public void Digest_agility_ignores_a_matching_sha256_record_when_a_sha512_one_is_published()
    {
        // RFC 7671 §9: for (3,1) only the SHA2-512 record counts; it does not match.
        var leaf = Leaf(Mx1);
        var wrong512 = new TlsaRecord(3, 1, 2, new byte[64]);
        var result = JudgeOne(h => h.Tlsa(Tlsa(3, 1, 1, leaf), wrong512).Address(Probe.Tls(Chain(Mx1))));

        AssertQueued(result, "4.7.323", "tlsa-invalid");
    }

    // Usable TLSA and no TLS.

    [Theory]
    [InlineData("Opportunistic")]
    [InlineData("Mandatory")]
    [InlineData("DaneOnly")]
    public void Usable_tlsa_and_no_starttls_is_starttls_not_supported_never_plaintext(string mode)
    {
        var result = JudgeOne(h => h.Tlsa(Tlsa(3, 1, 1, Leaf(Mx1))).Address(Probe.NoStartTls()), mode);

        AssertQueued(result, "4.7.321", "starttls-not-supported");
        Assert.Equal(TlsRptResultType.StartTlsNotSupported, result.Hosts[0].ResultType);
    }

    [Fact]
    public void Usable_tlsa_and_a_failed_handshake_is_starttls_not_supported()
    {
        AssertQueued(JudgeOne(h => h.Tlsa(Tlsa(3, 1, 1, Leaf(Mx1))).Address(Probe.HandshakeFails())), "4.7.321", "starttls-not-supported");
    }

    [Fact]
    public void Usable_tlsa_and_no_dane_result_is_never_authenticated()
    {
        // A judged state: the address has TLS but no DANE result was computed (fail closed).
        var ev = EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Tlsa(Tlsa(3, 1, 1, Leaf(Mx1))).Address(Probe.Tls(Chain(Mx1)))).Build();
        var host = ev.Hosts[0];
        ev = ev with { Hosts = [host with { Addresses = [host.Addresses[0] with { Dane = null }] }] };

        AssertQueued(VerdictEngine.Judge(ev, Modes.Opportunistic), "4.7.323", "tlsa-invalid");
    }

    // Addresses and connection failures.

    [Fact]
    public void A_host_passes_when_one_of_its_addresses_passes()
    {
        var leaf = Leaf(Mx1);
        var result = JudgeOne(h => h.Tlsa(Tlsa(3, 1, 1, leaf))
            .Address(Probe.ConnectFails(), "192.0.2.10")
            .Address(Probe.Tls(leaf, Intermediate), "2001:db8::25"));

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Equal("2001:db8::25", result.Hosts[0].Address);
        Assert.Contains("192.0.2.10", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void When_every_address_fails_the_most_telling_failure_is_reported()
    {
        var result = JudgeOne(h => h.Tlsa(Tlsa(3, 1, 1, Leaf(Mx1)))
            .Address(Probe.ConnectFails(), "192.0.2.10")
            .Address(Probe.Tls(Chain("other.test")), "192.0.2.11")
            .Address(Probe.EhloFails(), "192.0.2.12"));

        AssertQueued(result, "4.7.323", "tlsa-invalid");
        Assert.Equal("192.0.2.11", result.Hosts[0].Address);
    }

    [Fact]
    public void A_connection_failure_in_a_run_that_reached_port_25_elsewhere_is_queued()
    {
        var result = JudgeOne(h => h.Address(Probe.ConnectFails()), port25Reached: true);

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal(FailureKind.ConnectFailed, result.Kind);
        Assert.Equal("4.4.316", result.StatusCode);
    }

    [Fact]
    public void A_connection_failure_in_a_run_that_reached_no_host_is_indeterminate()
    {
        var result = JudgeOne(h => h.Address(Probe.ConnectFails()).Address(Probe.ConnectFails()));

        Assert.Equal(Outcome.Indeterminate, result.Outcome);
        Assert.Equal(FailureKind.Unreachable, result.Kind);
        Assert.Null(result.StatusCode);
        Assert.Null(result.Security);
        Assert.Equal(FailureKind.Unreachable, Assert.Single(result.Hosts).Kind);
    }

    [Theory]
    [InlineData(DnsSecStatus.Bogus, "Opportunistic", "4.7.324")]
    [InlineData(DnsSecStatus.Bogus, "None", "4.4.312")]
    [InlineData(DnsSecStatus.Failed, "Opportunistic", "4.4.312")]
    [InlineData(DnsSecStatus.Failed, "Mandatory", "4.4.312")]
    public void A_failed_host_address_lookup_is_queued(DnsSecStatus status, string mode, string code)
    {
        var result = JudgeOne(h => h.AddressLookup(status), mode);

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal(code, result.StatusCode);
    }

    [Fact]
    public void A_host_without_address_records_is_queued()
    {
        var result = JudgeOne(h => h.NoAddresses());

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal("4.4.312", result.StatusCode);
    }

    [Theory]
    [InlineData(DnsSecStatus.Insecure)]
    [InlineData(DnsSecStatus.Bogus)]
    [InlineData(null)]
    public void Usable_tlsa_without_a_secure_answer_never_yields_dane(DnsSecStatus? status)
    {
        // A judged state the gatherer never produces (it maps insecure TLSA to NoRecords): the
        // evidence contradicts itself, so it is judged fail-closed, never as a DANE success.
        var leaf = Leaf(Mx1);
        var result = JudgeOne(h => h.Tlsa(Tlsa(3, 1, 1, leaf)).WithTlsaState(TlsaState.Usable, status).Address(Probe.Tls(Chain(Mx1))));

        Assert.True(result.Evidence.Hosts[0].Addresses[0].Dane!.Authenticated);
        AssertQueued(result, "4.7.324", "dnssec-invalid");
    }
}
