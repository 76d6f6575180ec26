using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Engine.Tests.Support;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>
/// The offline check (docs/verdicts.md#offline-check) over every combination of a served chain, a
/// TLSA set and a policy: its codes are Exchange Online's literals for each case, and they are the
/// codes the verdict engine gives over the evidence a dry run would have gathered for the same host
/// (built independently, by EvidenceBuilder, from the same certificates).
/// </summary>
public sealed class CertificatePlanCheckTests(ITestOutputHelper output)
{
    private const string Host = "mx.example.test";
    private const string Domain = "example.test";

    public enum ChainKind { Trusted, SelfSigned, Expired, OtherName }

    public enum TlsaKind { None, EeMatch, EeMismatch, TaIntermediate, UnusableOnly, EeMatchAndUnusable }

    public enum PolicyKind { None, EnforceCovers, EnforceMisses, TestingCovers, TestingMisses, ModeNone }

    private static X509Certificate2[] Chain(ChainKind kind) => kind switch
    {
        ChainKind.Trusted => VerdictPki.Chain(Host),
        ChainKind.SelfSigned => [VerdictPki.SelfSigned(Host)],
        ChainKind.Expired => [VerdictPki.ExpiredLeaf(Host), VerdictPki.Intermediate],
        _ => VerdictPki.Chain("other.test"),
    };

    private static TlsaRecord[] Records(TlsaKind kind, X509Certificate2 leaf) => kind switch
    {
        TlsaKind.None => [],
        TlsaKind.EeMatch => [VerdictPki.Tlsa(3, 1, 1, leaf)],
        TlsaKind.EeMismatch => [VerdictPki.UnrelatedEe()],
        TlsaKind.TaIntermediate => [VerdictPki.Tlsa(2, 1, 1, VerdictPki.Intermediate)],
        TlsaKind.UnusableOnly => [VerdictPki.Tlsa(1, 1, 1, leaf)],
        _ => [VerdictPki.Tlsa(1, 1, 1, leaf), VerdictPki.Tlsa(3, 1, 1, leaf)],
    };

    private static (MtaStsPolicyMode Mode, string Mx)? Policy(PolicyKind kind) => kind switch
    {
        PolicyKind.None => null,
        PolicyKind.EnforceCovers => (MtaStsPolicyMode.Enforce, "*.example.test"),
        PolicyKind.EnforceMisses => (MtaStsPolicyMode.Enforce, "mx.elsewhere.test"),
        PolicyKind.TestingCovers => (MtaStsPolicyMode.Testing, Host),
        PolicyKind.TestingMisses => (MtaStsPolicyMode.Testing, "mx.elsewhere.test"),
        _ => (MtaStsPolicyMode.None, Host),
    };

    // Exchange Online's codes (docs/verdicts.md#status-codes), as literals: SmtpDaneMode Mandatory
    // over a secure host with these records and this chain.
    private static string? ExpectedDaneCode(TlsaKind tlsa, ChainKind chain) => tlsa switch
    {
        TlsaKind.EeMatch or TlsaKind.EeMatchAndUnusable => null, // DANE-EE: no names, dates or issuer (docs/verdicts.md#dane-5)
        TlsaKind.EeMismatch or TlsaKind.UnusableOnly => "4.7.323",
        _ => chain switch
        {
            ChainKind.Trusted => null,
            ChainKind.SelfSigned => "4.7.323", // not issued by the anchor
            ChainKind.Expired => "4.7.322",
            _ => "4.7.325",
        },
    };

    // The policy applied as enforce (what MtaStsPassed and MtaStsStatusCode report, also for testing).
    private static string? ExpectedStsCode(PolicyKind policy, ChainKind chain) => policy switch
    {
        PolicyKind.ModeNone => null,
        PolicyKind.EnforceMisses or PolicyKind.TestingMisses => "4.4.8",
        _ => chain == ChainKind.Trusted ? null : "4.7.5",
    };

    [Fact]
    public void Every_combination_gives_the_literal_codes_and_agrees_with_the_verdict_engine_over_gathered_evidence()
    {
        var counter = new CaseCounter(output, "offline check combinations");
        var wrong = new List<string>();
        foreach (ChainKind chainKind in Enum.GetValues<ChainKind>())
        {
            foreach (TlsaKind tlsaKind in Enum.GetValues<TlsaKind>())
            {
                foreach (PolicyKind policyKind in Enum.GetValues<PolicyKind>())
                {
                    if (tlsaKind == TlsaKind.None && policyKind == PolicyKind.None)
                    {
                        continue;
                    }

                    counter.Sample();
                    string name = $"{chainKind}/{tlsaKind}/{policyKind}";
                    X509Certificate2[] chain = Chain(chainKind);
                    TlsaRecord[] records = Records(tlsaKind, chain[0]);
                    var policy = Policy(policyKind);
                    CertificatePlanResult r = CertificatePlanCheck.Check(new CertificatePlanInput
                    {
                        Chain = chain,
                        HostName = Host,
                        RecipientDomain = Domain,
                        TlsaRecords = records,
                        MtaStsPolicy = policy is { } p ? ParsePolicy(p.Mode, p.Mx) : null,
                        Trust = VerdictPki.Trust,
                        AsOf = DateTimeOffset.UtcNow,
                    });

                    string? daneCode = tlsaKind == TlsaKind.None ? null : ExpectedDaneCode(tlsaKind, chainKind);
                    string? stsCode = policy is null ? null : ExpectedStsCode(policyKind, chainKind);
                    bool? danePassed = tlsaKind == TlsaKind.None ? null : daneCode is null;
                    bool? stsPassed = policy is null ? null : stsCode is null;
                    bool enforce = policy is { Mode: MtaStsPolicyMode.Enforce };
                    bool passed = danePassed != false && !(enforce && stsPassed == false);
                    Check(wrong, name, "DaneStatusCode", daneCode, r.DaneStatusCode);
                    Check(wrong, name, "DanePassed", danePassed, r.DanePassed);
                    Check(wrong, name, "MtaStsStatusCode", stsCode, r.MtaStsStatusCode);
                    Check(wrong, name, "MtaStsPassed", stsPassed, r.MtaStsPassed);
                    Check(wrong, name, "Passed", passed, r.Passed);
                    Check(wrong, name, "DaneStatusText", daneCode switch { "4.7.322" => "certificate-expired", "4.7.323" => "tlsa-invalid", "4.7.325" => "certificate-host-mismatch", _ => null }, r.DaneStatusText);
                    counter.Hit(daneCode ?? (danePassed is null ? "no DANE" : "DANE pass"));
                    counter.Hit(stsCode ?? (stsPassed is null ? "no MTA-STS" : "MTA-STS pass"));
                    if (policyKind is PolicyKind.TestingMisses && chainKind == ChainKind.Trusted && passed)
                    {
                        counter.Hit("testing policy fails under enforce but passes");
                    }

                    // The same host as a dry run would have gathered it, judged by the verdict engine.
                    if (tlsaKind != TlsaKind.None)
                    {
                        var gathered = EvidenceBuilder.Mx(Domain).Host(Host, 10, h => h.Tlsa(records).Address(Probe.Tls(chain))).Build();
                        Check(wrong, name, "gathered DANE verdict", daneCode, VerdictEngine.Judge(gathered, Modes.Mandatory).StatusCode);
                    }

                    if (policy is { } given)
                    {
                        var gathered = EvidenceBuilder.Mx(Domain, DnsSecStatus.Insecure)
                            .Host(Host, 10, h => h.Insecure().Address(Probe.Tls(chain)))
                            .MtaSts(given.Mode == MtaStsPolicyMode.Testing ? MtaStsPolicyMode.Enforce : given.Mode, given.Mx)
                            .Build();
                        Check(wrong, name, "gathered MTA-STS verdict", stsCode, VerdictEngine.Judge(gathered, Modes.StsOnly).StatusCode);
                    }
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
        counter.AssertReached(4, "DANE pass", "4.7.322", "4.7.323", "4.7.325", "no DANE", "MTA-STS pass", "4.4.8", "4.7.5", "no MTA-STS");
        counter.AssertReached(1, "testing policy fails under enforce but passes");
    }

    [Fact]
    public void The_verdicts_are_the_verdict_engines_and_their_sentences_name_the_host_not_an_address()
    {
        X509Certificate2[] chain = VerdictPki.Chain(Host);
        CertificatePlanResult r = CertificatePlanCheck.Check(new CertificatePlanInput
        {
            Chain = chain,
            HostName = Host,
            TlsaRecords = [VerdictPki.Tlsa(2, 1, 1, VerdictPki.Intermediate)],
            MtaStsPolicy = ParsePolicy(MtaStsPolicyMode.Enforce, Host),
            Trust = VerdictPki.Trust,
            AsOf = DateTimeOffset.UtcNow,
            Source = "planned.pem",
        });

        Assert.True(r.Passed);
        Assert.Equal("Mandatory", r.DaneVerdict!.TlsValidationMode.ToString());
        Assert.Equal("Dane", r.DaneVerdict.Security.ToString());
        Assert.Equal("MtaSts", r.MtaStsVerdict!.Security.ToString());
        Assert.Null(r.MtaStsEnforceVerdict);
        Assert.Equal(2, r.Verdicts.Count);
        Assert.Equal(1, r.MatchedDepth);
        Assert.Equal(chain[0].NotAfter.ToUniversalTime(), r.StopsMatchingOn!.Value.UtcDateTime, TimeSpan.FromSeconds(1));
        Assert.DoesNotContain("[", r.Reason, StringComparison.Ordinal);
        Assert.Contains($"{Host} is DANE-authenticated", r.Reason, StringComparison.Ordinal);
        Assert.Contains("(given)", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_offline_verdict_s_remediation_names_the_host_not_a_placeholder_address()
    {
        X509Certificate2[] chain = VerdictPki.Chain(Host);
        X509Certificate2 other = VerdictPki.Chain("other." + Host)[0];
        CertificatePlanResult r = CertificatePlanCheck.Check(new CertificatePlanInput
        {
            Chain = chain,
            HostName = Host,
            TlsaRecords = [VerdictPki.Tlsa(3, 1, 1, other)],
            Trust = VerdictPki.Trust,
            AsOf = DateTimeOffset.UtcNow,
            Source = "planned.pem",
        });

        Assert.False(r.Passed);
        Assert.Equal("4.7.323", r.DaneVerdict!.StatusCode); // tlsa-invalid: no usable record matches
        Assert.NotEmpty(r.DaneVerdict.Remediation);
        Assert.All(r.DaneVerdict.Remediation, m => Assert.DoesNotContain("[", m.Text, StringComparison.Ordinal));
        Assert.Contains(r.DaneVerdict.Remediation, m => m.Text.Contains(Host, StringComparison.Ordinal));
    }

    [Fact]
    public void Nothing_to_check_is_an_argument_error()
    {
        var ex = Assert.Throws<EngineException>(() => CertificatePlanCheck.Check(new CertificatePlanInput
        {
            Chain = VerdictPki.Chain(Host),
            HostName = Host,
            AsOf = DateTimeOffset.UtcNow,
        }));
        Assert.Equal("NothingToCheck", ex.ErrorId);
    }

    private static MtaStsPolicy ParsePolicy(MtaStsPolicyMode mode, string mx)
    {
        string text = $"version: STSv1\nmode: {mode.ToString().ToLowerInvariant()}\nmx: {mx}\nmax_age: 86400\n";
        Assert.True(MtaStsPolicy.TryParse(text, out MtaStsPolicy? policy, out string? error), error);
        return policy!;
    }

    private static void Check<T>(List<string> wrong, string name, string what, T expected, T actual)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            wrong.Add($"{name}: {what} is {actual?.ToString() ?? "null"}, expected {expected?.ToString() ?? "null"}");
        }
    }
}
