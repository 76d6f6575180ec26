// Fuzzes MtaStsPolicy.TryParse (RFC 8461 §3.2) and MatchesMx / FindMatchingPattern (§4.1).
// Inputs: valid policies built from the grammar (fields in any order, LF or CRLF, WSP after ':' and
// at line ends, optional final terminator, max_age of 1..10 digits, mx hosts in any case with
// trailing dots, IDN U-labels, "*." patterns, duplicates, extensions whose values hold ':'), the
// same policies with one to three mutations, random text and 64 KiB bodies; for matching, random
// and near hosts against valid and random patterns.
// Properties: never throws; success and error are consistent; a valid policy round-trips its
// mode, max_age (capped at 31557600), normalised de-duplicated mx list and first-wins extensions;
// every accepted policy is well-formed (STSv1, mx patterns canonical, mx present unless mode none);
// each mx host matches itself in any ASCII case, with a trailing dot and in U-label form; "*.s"
// matches "l.s" but never "s" nor "a.l.s"; any match is explained by one pattern; 64 KiB bodies
// finish within the time budget.
using CsCheck;
using DaneMtaSts.Engine.MtaSts;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class MtaStsPolicyFuzz(ITestOutputHelper output)
{
    private sealed record MxInput(string Written, string Normalized, bool Wildcard);

    private sealed record ValidPolicy(string Text, MtaStsPolicyMode Mode, long MaxAge, MxInput[] Mx, Dictionary<string, string> Extensions);

    private static readonly Gen<MxInput> MxPattern = Gen.Select(Gen.OneOf(FuzzGen.HostName, FuzzGen.IdnHostName), Gen.Bool, Gen.Bool, Gen.Bool, (host, wildcard, upper, dot) =>
    {
        if (!DomainName.TryNormalize(host, out string? normalized, out _))
        {
            return null;
        }

        string written = (upper ? CertificateNamesFuzz.SwapAsciiCase(host) : host) + (dot ? "." : "");
        return wildcard ? new MxInput("*." + written, "*." + normalized, true) : new MxInput(written, normalized, false);
    }).Where(m => m is not null).Select(m => m!);

    private static readonly Gen<string> PolicyExtensionName = MtaStsTxtRecordFuzz.ExtensionName.Where(n => n is not "version" and not "mode" and not "max_age" and not "mx");

    private static readonly Gen<(string Name, string Value)> PolicyExtension = Gen.Select(PolicyExtensionName, MtaStsTxtRecordFuzz.ExtensionValue, MtaStsTxtRecordFuzz.ExtensionValue, Gen.Bool,
        (name, a, b, twoWords) => (name, twoWords ? a + " : " + b : a));

    private static readonly Gen<string> MaxAgeText = Gen.Char['0', '9'].Array[1, 10].Select(a => new string(a));

    private static readonly Gen<ValidPolicy> Valid = Gen.SelectMany(
        Gen.OneOf(MtaStsPolicyMode.Enforce, MtaStsPolicyMode.Testing, MtaStsPolicyMode.None), MaxAgeText, MxPattern.Array[1, 5], PolicyExtension.Array[0, 3],
        (mode, maxAge, mx, extensions) =>
        {
            string modeText = mode switch { MtaStsPolicyMode.Enforce => "enforce", MtaStsPolicyMode.Testing => "testing", _ => "none" };
            var lines = new List<string> { "version: STSv1", "mode: " + modeText, "max_age: " + maxAge };
            lines.AddRange(mx.Select(m => "mx: " + m.Written));
            lines.AddRange(extensions.Select(e => e.Name + ": " + e.Value));
            return Gen.Select(Gen.Shuffle(lines.ToArray()), Gen.OneOf("\n", "\r\n").Array[lines.Count], MtaStsTxtRecordFuzz.Wsp.Array[lines.Count * 2], Gen.Bool, (shuffled, ends, spaces, final) =>
            {
                var text = new System.Text.StringBuilder();
                for (int i = 0; i < shuffled.Length; i++)
                {
                    int colon = shuffled[i].IndexOf(": ", StringComparison.Ordinal);
                    text.Append(shuffled[i], 0, colon + 1).Append(spaces[2 * i]).Append(shuffled[i], colon + 2, shuffled[i].Length - colon - 2).Append(spaces[(2 * i) + 1]);
                    if (i < shuffled.Length - 1 || final)
                    {
                        text.Append(ends[i]);
                    }
                }

                // The parser keeps mx patterns in text order and the first of repeated extensions.
                var normalizedMx = new Dictionary<string, MxInput>(StringComparer.Ordinal);
                foreach (MxInput m in mx)
                {
                    normalizedMx.TryAdd("mx: " + m.Written, m);
                }

                var orderedMx = shuffled.Where(normalizedMx.ContainsKey).Select(l => normalizedMx[l]).ToArray();
                var expectedExtensions = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (string line in shuffled)
                {
                    int colon = line.IndexOf(": ", StringComparison.Ordinal);
                    string name = line[..colon];
                    if (extensions.Any(e => e.Name == name))
                    {
                        expectedExtensions.TryAdd(name, line[(colon + 2)..]);
                    }
                }

                return new ValidPolicy(text.ToString(), mode, long.Parse(maxAge, System.Globalization.CultureInfo.InvariantCulture), orderedMx, expectedExtensions);
            });
        });

    [Fact]
    public void Valid_policies_round_trip_mode_max_age_mx_and_extensions()
    {
        var cases = new Support.CaseCounter(output, "MtaStsPolicy valid round trip");
        Valid.Check(valid =>
        {
            Assert.True(MtaStsPolicy.TryParse(valid.Text, out MtaStsPolicy? policy, out string? error), error);
            cases.Hit("accepted");
            cases.Hit(valid.MaxAge > MtaStsPolicy.MaxAgeLimit ? "max_age capped" : "max_age kept");
            if (valid.Extensions.Count > 0)
            {
                cases.Hit("with extensions");
            }

            Assert.Equal("STSv1", policy.Version);
            Assert.Equal(valid.Mode, policy.Mode);
            Assert.Equal(Math.Min(valid.MaxAge, MtaStsPolicy.MaxAgeLimit), policy.MaxAgeSeconds);
            Assert.Equal(valid.Mx.Select(m => m.Normalized).Distinct(StringComparer.Ordinal), policy.Mx);
            Assert.Equal(valid.Extensions, policy.Extensions);
            Assert.Equal(valid.Text, policy.Text);
        }, output, "MtaStsPolicy valid round trip", reach: new FuzzReach(cases, 0.1, ["accepted", "max_age capped", "max_age kept", "with extensions"]));
    }

    [Fact]
    public void Random_and_mutated_policies_never_throw_and_accepted_ones_are_well_formed()
    {
        var cases = new Support.CaseCounter(output, "MtaStsPolicy mutated");
        Gen.OneOf(FuzzGen.AnyString, FuzzGen.Mutated(Valid.Select(v => v.Text)), FuzzGen.Mutated(FuzzGen.Mutated(Valid.Select(v => v.Text)))).Check(text =>
        {
            MtaStsPolicy? policy = null;
            string? error = null;
            bool ok = FuzzRun.Timed(() => MtaStsPolicy.TryParse(text, out policy, out error));
            AssertConsistent(ok, policy, error, text, cases);
        }, output, "MtaStsPolicy mutated", reach: new FuzzReach(cases, 0.02, ["accepted", "rejected"]));
    }

    [Fact]
    public void Every_mx_host_matches_itself_in_every_spelling()
    {
        var cases = new Support.CaseCounter(output, "MtaStsPolicy.MatchesMx valid");
        Gen.Select(Valid, FuzzGen.LdhLabel, FuzzGen.LdhLabel).Check((valid, label, extra) =>
        {
            Assert.True(MtaStsPolicy.TryParse(valid.Text, out MtaStsPolicy? policy, out string? error), error);
            Assert.NotNull(policy);
            bool wildcardMatched = false;
            bool exactMatched = false;
            foreach (MxInput mx in valid.Mx)
            {
                if (mx.Wildcard)
                {
                    string suffix = mx.Normalized[2..];
                    string host = label + "." + suffix;
                    if (host.Length > 253)
                    {
                        continue;
                    }

                    Assert.True(policy.MatchesMx(host), host);
                    Assert.True(policy.MatchesMx(CertificateNamesFuzz.SwapAsciiCase(host) + "."), host);
                    Assert.True(policy.MatchesMx(DomainName.ToUnicode(host)), host);
                    AssertExplained(policy, suffix);
                    AssertExplained(policy, extra + "." + host);
                    wildcardMatched = true;
                }
                else
                {
                    Assert.True(policy.MatchesMx(mx.Written), mx.Written);
                    Assert.True(policy.MatchesMx(mx.Normalized), mx.Normalized);
                    Assert.True(policy.MatchesMx(CertificateNamesFuzz.SwapAsciiCase(mx.Normalized) + "."), mx.Normalized);
                    Assert.True(policy.MatchesMx(DomainName.ToUnicode(mx.Normalized)), mx.Normalized);
                    exactMatched = true;
                }
            }

            if (wildcardMatched)
            {
                cases.Hit("a wildcard pattern matched");
            }

            if (exactMatched)
            {
                cases.Hit("an exact pattern matched");
            }
        }, output, "MtaStsPolicy.MatchesMx valid", reach: new FuzzReach(cases, 0.3, ["a wildcard pattern matched", "an exact pattern matched"]));
    }

    [Fact]
    public void Random_hosts_against_random_patterns_never_throw_and_every_match_is_explained()
    {
        var pattern = Gen.OneOf(MxPattern.Select(m => m.Written), FuzzGen.AnyString, FuzzGen.Mutated(MxPattern.Select(m => m.Written)));
        var host = Gen.OneOf(FuzzGen.AnyString, FuzzGen.HostName, FuzzGen.IdnHostName, FuzzGen.Mutated(FuzzGen.HostName));
        var cases = new Support.CaseCounter(output, "MtaStsPolicy.MatchesMx random");
        // The host is random, the pattern itself, or a label below the pattern's suffix: a random host alone almost never matches.
        Gen.Select(pattern, host, FuzzGen.LdhLabel, Gen.Int[0, 2], (p, h, label, kind) => (p, kind switch
        {
            0 => h,
            1 => p,
            _ => label + "." + (p.StartsWith("*.", StringComparison.Ordinal) ? p[2..] : p),
        }, label)).Check((p, h, label) =>
        {
            string text = $"version: STSv1\nmode: enforce\nmx: {p}\nmax_age: 86400\n";
            MtaStsPolicy? policy = null;
            string? error = null;
            if (!FuzzRun.Timed(() => MtaStsPolicy.TryParse(text, out policy, out error)))
            {
                AssertConsistent(false, policy, error, text);
                cases.Hit("the pattern refused");
                return;
            }

            AssertConsistent(true, policy, error, text);
            AssertExplained(policy!, h);
            cases.Hit(policy!.MatchesMx(h) ? "the host matched" : "the host not matched");
            if (policy!.Mx[0].StartsWith("*.", StringComparison.Ordinal))
            {
                string suffix = policy.Mx[0][2..];
                Assert.False(policy.MatchesMx(suffix), suffix);
                Assert.Equal(label.Length + 1 + suffix.Length <= 253, policy.MatchesMx(label + "." + suffix));
                Assert.False(policy.MatchesMx(label + "." + label + "." + suffix));
            }
            else
            {
                Assert.True(policy.MatchesMx(policy.Mx[0]));
                Assert.False(policy.MatchesMx(label + "." + policy.Mx[0]));
            }
        }, output, "MtaStsPolicy.MatchesMx random", reach: new FuzzReach(cases, 0.05, ["the pattern refused", "the host matched", "the host not matched"]));
    }

    [Fact]
    public void Policies_of_64_KiB_finish_within_the_budget()
    {
        var cases = new Support.CaseCounter(output, "MtaStsPolicy 64 KiB");
        var unit = Gen.OneOf(
            MxPattern.Select(m => "mx: " + m.Written + "\n"),
            MxPattern.Select(m => "mx: " + m.Written + "\r\n"),
            Gen.Const("\n"),
            Gen.Const("x: " + new string('y', 1000) + "\n"),
            FuzzGen.TrickyString);
        var huge = Gen.Select(unit.Array[1, 4], Gen.Int[32 * 1024, 64 * 1024], (units, size) =>
        {
            var sb = new System.Text.StringBuilder("version: STSv1\nmode: testing\nmax_age: 86400\n", size + 2000);
            FuzzGen.FillTo(sb, units, size);

            return sb.ToString();
        });
        huge.Check(text =>
        {
            (bool ok, MtaStsPolicy? policy, string? error) = FuzzRun.WithinBudget(() => (MtaStsPolicy.TryParse(text, out MtaStsPolicy? p, out string? e), p, e));
            AssertConsistent(ok, policy, error, text, cases);
            if (ok)
            {
                _ = FuzzRun.WithinBudget(() => policy!.MatchesMx("no-such-host.example"));
            }
        }, output, "MtaStsPolicy 64 KiB", FuzzRun.LargeIterations, reach: new FuzzReach(cases, 0.05, ["accepted", "rejected"]));
    }

    private static void AssertExplained(MtaStsPolicy policy, string host)
    {
        string? pattern = FuzzRun.Timed(() => policy.FindMatchingPattern(host));
        Assert.Equal(pattern is not null, policy.MatchesMx(host));
        if (pattern is null)
        {
            return;
        }

        Assert.Contains(pattern, policy.Mx);
        Assert.True(DomainName.TryNormalize(host, out string? name, out _));
        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            int dot = name!.IndexOf('.', StringComparison.Ordinal);
            Assert.True(dot > 0);
            Assert.Equal(pattern[2..], name[(dot + 1)..]);
        }
        else
        {
            Assert.Equal(pattern, name);
        }
    }

    private static void AssertConsistent(bool ok, MtaStsPolicy? policy, string? error, string text, Support.CaseCounter? cases = null)
    {
        if (!ok)
        {
            Assert.Null(policy);
            Assert.False(string.IsNullOrWhiteSpace(error));
            cases?.Hit("rejected");
            return;
        }

        cases?.Hit("accepted");

        Assert.NotNull(policy);
        Assert.Null(error);
        Assert.Equal("STSv1", policy.Version);
        Assert.Equal(text, policy.Text);
        Assert.InRange(policy.MaxAgeSeconds, 0, MtaStsPolicy.MaxAgeLimit);
        Assert.True(policy.Mode == MtaStsPolicyMode.None || policy.Mx.Count > 0);
        Assert.Equal(policy.Mx.Count, policy.Mx.Distinct(StringComparer.Ordinal).Count());
        Assert.All(policy.Mx, p => DomainNameFuzz.AssertCanonical(p.StartsWith("*.", StringComparison.Ordinal) ? p[2..] : p));
        Assert.All(policy.Extensions.Values, v => Assert.DoesNotContain(v, char.IsControl));
    }
}
