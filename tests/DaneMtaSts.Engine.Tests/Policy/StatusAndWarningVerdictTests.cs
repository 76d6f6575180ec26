using DaneMtaSts.Engine.Policy;
using static DaneMtaSts.Engine.Tests.Policy.VerdictPki;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>docs/verdicts.md#status-codes (Exchange Online's words), FinalStatusCode, warnings and PolicyType.</summary>
public class StatusAndWarningVerdictTests
{
    private const string Mx1 = "mx1.example.test";

    [Theory]
    [InlineData("4.7.321", "starttls-not-supported", "5.7.321")]
    [InlineData("4.7.322", "certificate-expired", "5.7.322")]
    [InlineData("4.7.323", "tlsa-invalid", "5.7.323")]
    [InlineData("4.7.324", "dnssec-invalid", "5.7.324")]
    [InlineData("4.7.325", "certificate-host-mismatch", "5.7.325")]
    [InlineData("4.7.320", "certificate validation failed", "5.7.320")]
    [InlineData("4.7.5", "Remote certificate failed MTA-STS validation", "5.7.5")]
    [InlineData("4.4.312", "DNS query failed", "5.4.312")]
    [InlineData("5.4.310", "DNS domain does not exist", "5.4.310")]
    [InlineData("5.1.10", "Null MX", "5.1.10")]
    public void Status_codes_carry_exchange_onlines_words(string code, string text, string final)
    {
        Assert.Equal(text, StatusCodes.TextFor(code));
        Assert.Equal(final, StatusCodes.FinalCode(code));
    }

    // Exchange Online's list (docs/verdicts.md#status-codes), written out here so that a wrong
    // constant in StatusCodes fails instead of being compared with itself.
    private static readonly (string Code, string Text)[] Published =
    [
        ("4.7.321", "starttls-not-supported"), ("4.7.322", "certificate-expired"), ("4.7.323", "tlsa-invalid"),
        ("4.7.324", "dnssec-invalid"), ("4.7.325", "certificate-host-mismatch"), ("4.7.320", "certificate validation failed"),
        ("4.4.8", "MX hosts of {0} failed MTA-STS validation"), ("4.7.5", "Remote certificate failed MTA-STS validation"),
        ("4.4.312", "DNS query failed"), ("4.4.316", "Connection refused or timed out"), ("4.4.0", "Remote server did not accept the session"),
        ("5.4.310", "DNS domain does not exist"), ("5.1.10", "Null MX"), ("5.4.4", "No mail host for the domain"),
    ];

    [Fact]
    public void Every_code_the_engine_can_give_is_on_the_published_list_with_its_words()
    {
        string[] constants = [.. typeof(StatusCodes).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!)];
        Assert.Equal(Published.Select(p => p.Code).Order(StringComparer.Ordinal), constants.Order(StringComparer.Ordinal));
        foreach (var (code, text) in Published)
        {
            Assert.Equal(text.Replace("{0}", "d.test", StringComparison.Ordinal), StatusCodes.TextFor(code, "d.test"));
        }
    }

    [Fact]
    public void The_spec_lists_every_published_code_with_its_words()
    {
        string? root = Support.RepositoryFiles.Root;
        Assert.NotNull(root);
        string[] rows = File.ReadAllLines(Path.Combine(root, "docs/verdicts.md"));
        foreach (var (code, text) in Published)
        {
            string words = text.Replace("{0}", "*domain*", StringComparison.Ordinal);
            Assert.Contains(rows, r => r.Contains($"</a>{code} | {words} |", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_4_4_8_text_names_the_domain()
    {
        Assert.Equal("MX hosts of contoso.test failed MTA-STS validation", StatusCodes.TextFor("4.4.8", "contoso.test"));
        Assert.Equal("5.4.8", StatusCodes.FinalCode("4.4.8"));
        Assert.Equal("", StatusCodes.TextFor("9.9.9"));
        Assert.Null(StatusCodes.FinalCode(null));
    }

    [Fact]
    public void A_non_validating_resolver_is_warned_about_when_dane_is_on()
    {
        var ev = EvidenceBuilder.Mx(mxStatus: DnsSecStatus.Insecure).Resolver(validates: false)
            .Host(Mx1, 10, h => h.Insecure().Address(Probe.Tls(Chain(Mx1))))
            .Build();

        Assert.Contains(VerdictEngine.Judge(ev, Modes.Opportunistic).Warnings, w => w.Contains("does not validate DNSSEC", StringComparison.Ordinal));
        Assert.Contains(VerdictEngine.Judge(ev, Modes.Mandatory).Warnings, w => w.Contains("does not validate DNSSEC", StringComparison.Ordinal));
        Assert.DoesNotContain(VerdictEngine.Judge(ev, Modes.StsOnly).Warnings, w => w.Contains("DNSSEC", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unchecked_or_remote_resolver_is_warned_about()
    {
        var unchecked_ = EvidenceBuilder.Mx().Resolver(validates: null).Host(Mx1, 10, h => h.Address(Probe.Tls(Chain(Mx1)))).Build();
        var remote = EvidenceBuilder.Mx().Resolver(validates: true, loopback: false).Host(Mx1, 10, h => h.Address(Probe.Tls(Chain(Mx1)))).Build();
        var local = EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Address(Probe.Tls(Chain(Mx1)))).Build();

        Assert.Contains(VerdictEngine.Judge(unchecked_, Modes.Opportunistic).Warnings, w => w.Contains("could not be checked", StringComparison.Ordinal));
        Assert.Contains(VerdictEngine.Judge(remote, Modes.Opportunistic).Warnings, w => w.Contains("remote resolver", StringComparison.Ordinal));
        Assert.Empty(VerdictEngine.Judge(local, Modes.Opportunistic).Warnings);
    }

    [Fact]
    public void Unusable_records_beside_usable_ones_are_warned_about()
    {
        var leaf = Leaf(Mx1);
        var ev = EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Tlsa(Tlsa(3, 1, 1, leaf), Tlsa(1, 1, 1, leaf)).Address(Probe.Tls(Chain(Mx1)))).Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(TransportSecurity.Dane, result.Security);
        string warning = Assert.Single(result.Warnings);
        Assert.StartsWith($"{Mx1}: TLSA record 1 1 1 ", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dane_ta_match_that_stops_within_30_days_is_warned_about()
    {
        var leaf = LeafExpiringIn(10, Mx1);
        var ev = EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(leaf, Intermediate))).Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(TransportSecurity.Dane, result.Security);
        string warning = Assert.Single(result.Warnings);
        Assert.Contains("the DANE-TA match stops on", warning, StringComparison.Ordinal);
        Assert.Contains(leaf.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dane_ta_match_lasting_beyond_30_days_is_not_warned_about()
    {
        var leaf = LeafExpiringIn(60, Mx1);
        var ev = EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(leaf, Intermediate))).Build();

        Assert.Empty(VerdictEngine.Judge(ev, Modes.Opportunistic).Warnings);
    }

    [Fact]
    public void A_dane_ee_match_never_expires_so_no_warning()
    {
        var leaf = LeafExpiringIn(10, Mx1);
        var ev = EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Tlsa(Tlsa(3, 1, 1, leaf), Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(leaf, Intermediate))).Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void A_padding_certificate_outside_the_matching_path_does_not_trigger_the_expiry_warning()
    {
        // RFC 7671 §5.2.1 tolerates padded chains: the served chain carries an unrelated
        // certificate that expires soon, but the DANE-TA path (leaf → intermediate) lasts a year.
        var padding = TestSupport.ExpiringSelfSigned("padding.invalid", days: 5);
        var ev = EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Leaf(Mx1), padding, Intermediate))).Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Policy_type_is_tlsa_sts_or_no_policy_found()
    {
        var dane = EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain(Mx1)))).Build();
        var sts = EvidenceBuilder.Mx().MtaSts(Engine.MtaSts.MtaStsPolicyMode.Enforce, Mx1).Host(Mx1, 10, h => h.Address(Probe.Tls(Chain(Mx1)))).Build();
        var none = EvidenceBuilder.Mx().Host(Mx1, 10, h => h.Address(Probe.Tls(Chain(Mx1)))).Build();

        Assert.Equal("tlsa", VerdictEngine.Judge(dane, Modes.Opportunistic).PolicyType);
        Assert.Equal("no-policy-found", VerdictEngine.Judge(dane, Modes.None).PolicyType);
        Assert.Equal("sts", VerdictEngine.Judge(sts, Modes.Opportunistic).PolicyType);
        Assert.Equal("no-policy-found", VerdictEngine.Judge(sts, Modes.DaneOnly).PolicyType);
        Assert.Equal("no-policy-found", VerdictEngine.Judge(none, Modes.Opportunistic).PolicyType);
    }
}

internal static class TestSupport
{
    public static System.Security.Cryptography.X509Certificates.X509Certificate2 ExpiringSelfSigned(string name, int days) =>
        Support.TestPki.CreateLeaf(null, name, [name], notBefore: DateTimeOffset.UtcNow.AddDays(-10), notAfter: DateTimeOffset.UtcNow.AddDays(days));
}
