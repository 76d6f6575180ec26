using System.Security.Cryptography;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Policy;
using static DaneMtaSts.Engine.Tests.Policy.VerdictPki;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>RemediationAdvisor over real verdicts: the fix derived from what the evidence shows.</summary>
public class RemediationTests
{
    private const string Mx1 = "mx1.example.test";

    private static TlsPolicyResult JudgeOne(Action<HostBuilder> host, JudgeOptions? mode = null, DnsSecStatus mxStatus = DnsSecStatus.Secure) =>
        VerdictEngine.Judge(EvidenceBuilder.Mx(mxStatus: mxStatus).Host(Mx1, 10, host).Build(), mode ?? Modes.Opportunistic);

    private static string SpkiSha256(System.Security.Cryptography.X509Certificates.X509Certificate2 cert) =>
        Convert.ToHexString(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo())).ToLowerInvariant();

    [Fact]
    public void A_delivered_result_with_nothing_failing_has_no_remediation()
    {
        var leaf = SelfSigned(Mx1);
        var result = JudgeOne(h => h.Tlsa(Tlsa(3, 1, 1, leaf)).Address(Probe.Tls(leaf)));

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Empty(result.Remediation);
    }

    [Fact]
    public void Tlsa_mismatch_gets_the_records_of_the_served_leaf_and_its_issuing_ca_at_the_owner_name()
    {
        var chain = Chain(Mx1);
        var result = JudgeOne(h => h.Tlsa(UnrelatedEe()).Address(Probe.Tls(chain)));

        Assert.Equal("4.7.323", result.StatusCode);
        Remediation fix = Assert.Single(result.Remediation);
        Assert.Equal(RemediationKind.PublishTlsa, fix.Kind);
        Assert.Equal(RemediationAudience.Partner, fix.Audience);
        Assert.Equal(Mx1, fix.Host);
        Assert.Equal(
            [$"_25._tcp.{Mx1}. IN TLSA 3 1 1 {SpkiSha256(chain[0])}", $"_25._tcp.{Mx1}. IN TLSA 2 1 1 {SpkiSha256(Intermediate)}"],
            fix.Publish);
        Assert.Equal(2, fix.TlsaRecords.Count);

        // The suggested records really authenticate the chain that was served.
        var check = DaneAuthenticator.Evaluate(new DaneCheck { ServedChain = chain, Records = [fix.TlsaRecords[0]], ReferenceNames = [Mx1], AsOf = DateTimeOffset.UtcNow });
        Assert.True(check.Authenticated, check.Detail);
        check = DaneAuthenticator.Evaluate(new DaneCheck { ServedChain = chain, Records = [fix.TlsaRecords[1]], ReferenceNames = [Mx1], AsOf = DateTimeOffset.UtcNow });
        Assert.True(check.Authenticated, check.Detail);
        Assert.Contains("RFC 7671 §8.1", fix.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_self_signed_leaf_gets_only_a_dane_ee_record()
    {
        var leaf = SelfSigned(Mx1);
        var result = JudgeOne(h => h.Tlsa(UnrelatedEe()).Address(Probe.Tls(leaf)));

        Remediation fix = Assert.Single(result.Remediation);
        Assert.Equal([$"_25._tcp.{Mx1}. IN TLSA 3 1 1 {SpkiSha256(leaf)}"], fix.Publish);
    }

    [Fact]
    public void Mandatory_on_a_signed_host_without_tlsa_gets_records_to_publish()
    {
        var result = JudgeOne(h => h.NoTlsa().Address(Probe.Tls(Chain(Mx1))), Modes.Mandatory);

        Assert.Equal("4.7.323", result.StatusCode);
        Remediation fix = Assert.Single(result.Remediation);
        Assert.Equal(RemediationKind.PublishTlsa, fix.Kind);
        Assert.Equal(2, fix.Publish.Count);
    }

    [Fact]
    public void Mandatory_with_an_insecure_mx_rrset_asks_to_sign_the_domain_zone()
    {
        var result = JudgeOne(h => h.Address(Probe.Tls(Chain(Mx1))), Modes.Mandatory, DnsSecStatus.Insecure);

        Remediation fix = Assert.Single(result.Remediation);
        Assert.Equal(RemediationKind.SignZone, fix.Kind);
        Assert.Equal("example.test. IN MX", fix.Subject);
    }

    [Fact]
    public void Dane_ta_name_mismatch_names_the_certificate_and_the_names_it_must_carry()
    {
        var result = JudgeOne(h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain("www.other.test"))));

        Assert.Equal("4.7.325", result.StatusCode);
        Remediation fix = Assert.Single(result.Remediation);
        Assert.Equal(RemediationKind.FixCertificateNames, fix.Kind);
        Assert.Equal(Mx1, fix.CertificateNames[0]);
        Assert.Contains("www.other.test", fix.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Dane_ta_expired_leaf_is_named_for_renewal_with_its_names()
    {
        var result = JudgeOne(h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(ExpiredLeaf(Mx1), Intermediate)));

        Assert.Equal("4.7.322", result.StatusCode);
        Remediation fix = Assert.Single(result.Remediation);
        Assert.Equal(RemediationKind.RenewCertificate, fix.Kind);
        Assert.Contains(Mx1, fix.CertificateNames);
        Assert.Contains("expired on", fix.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Tlsa_lookup_bogus_names_the_rrset()
    {
        var result = JudgeOne(h => h.TlsaFails(DnsSecStatus.Bogus).Address(Probe.Tls(Chain(Mx1))));

        Remediation fix = Assert.Single(result.Remediation);
        Assert.Equal(RemediationKind.FixDnssec, fix.Kind);
        Assert.Equal($"_25._tcp.{Mx1}. IN TLSA", fix.Subject);
    }

    [Fact]
    public void No_starttls_where_tlsa_requires_it_asks_to_enable_starttls()
    {
        var result = JudgeOne(h => h.Tlsa(UnrelatedEe()).Address(Probe.NoStartTls()));

        Assert.Equal("4.7.321", result.StatusCode);
        Assert.Equal(RemediationKind.EnableStartTls, Assert.Single(result.Remediation).Kind);
    }

    [Fact]
    public void An_unreachable_host_is_for_the_administrator_to_find_out_first()
    {
        var result = JudgeOne(h => h.Address(Probe.ConnectFails()), mxStatus: DnsSecStatus.Insecure);

        Assert.Equal(Outcome.Indeterminate, result.Outcome);
        Remediation fix = Assert.Single(result.Remediation);
        Assert.Equal(RemediationKind.Investigate, fix.Kind);
        Assert.Equal(RemediationAudience.Administrator, fix.Audience);
        Assert.Contains("port 25", fix.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_that_refuses_connections_while_another_answers_is_checked_before_blaming_the_partner()
    {
        var evidence = EvidenceBuilder.Mx(mxStatus: DnsSecStatus.Insecure)
            .Host("mx1.example.test", 10, h => h.Address(Probe.ConnectFails()))
            .Host("mx2.example.test", 20, h => h.Address(Probe.Tls(Chain("mx2.example.test"))))
            .Build();
        var result = VerdictEngine.Judge(evidence, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Remediation fix = Assert.Single(result.Remediation);
        Assert.Equal(RemediationKind.CheckSmtpService, fix.Kind);
        Assert.Equal("mx1.example.test", fix.Host);
        Assert.Equal(RemediationAudience.Administrator, fix.Audience);
    }

    [Fact]
    public void Mta_sts_mx_mismatch_gets_mx_lines_covering_every_mx_host_seen()
    {
        var evidence = EvidenceBuilder.Mx(mxStatus: DnsSecStatus.Insecure)
            .Host("mx1.example.test", 10, h => h.Address(Probe.Tls(Chain("mx1.example.test"))))
            .Host("mx2.example.test", 20, h => h.Address(Probe.Tls(Chain("mx2.example.test"))))
            .MtaSts(MtaStsPolicyMode.Enforce, "mail.elsewhere.test")
            .Build();
        var result = VerdictEngine.Judge(evidence, Modes.Opportunistic);

        Assert.Equal("4.4.8", result.StatusCode);
        Remediation fix = Assert.Single(result.Remediation);
        Assert.Equal(RemediationKind.FixMtaStsMx, fix.Kind);
        Assert.Equal(["mx: mx1.example.test", "mx: mx2.example.test"], fix.Publish);

        // The lines, put into the policy, cover every MX host.
        string text = "version: STSv1\nmode: enforce\n" + string.Concat(fix.Publish.Select(l => l + "\n")) + "max_age: 86400\n";
        Assert.True(MtaStsPolicy.TryParse(text, out MtaStsPolicy? fixedPolicy, out string? error), error);
        Assert.All(evidence.Hosts, h => Assert.True(fixedPolicy!.MatchesMx(h.Name)));
    }

    [Fact]
    public void Mta_sts_patterns_that_cover_a_host_are_kept()
    {
        var evidence = EvidenceBuilder.Mx(mxStatus: DnsSecStatus.Insecure)
            .Host("mx1.example.test", 10, h => h.Address(Probe.Tls(Chain("mx1.example.test"))))
            .Host("backup.other.test", 20, h => h.Address(Probe.Tls(Chain("backup.other.test"))))
            .MtaSts(MtaStsPolicyMode.Enforce, "*.example.test")
            .Build();
        var result = VerdictEngine.Judge(evidence, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Remediation fix = Assert.Single(result.Remediation);
        Assert.Equal(["mx: *.example.test", "mx: backup.other.test"], fix.Publish);
    }

    [Theory]
    [InlineData(MxOutcome.NxDomain, RemediationKind.CheckRecipientDomain)]
    [InlineData(MxOutcome.NullMx, RemediationKind.CheckRecipientDomain)]
    [InlineData(MxOutcome.NoMailHost, RemediationKind.PublishMx)]
    [InlineData(MxOutcome.Bogus, RemediationKind.FixDnssec)]
    [InlineData(MxOutcome.Failed, RemediationKind.FixDnsServers)]
    public void Every_domain_level_failure_has_its_fix(MxOutcome outcome, RemediationKind kind)
    {
        var result = VerdictEngine.Judge(EvidenceBuilder.MxLookup(outcome, DnsSecStatus.Secure).Build(), Modes.Opportunistic);

        Assert.NotEqual(Outcome.Deliver, result.Outcome);
        Assert.Equal(kind, Assert.Single(result.Remediation).Kind);
    }
}
