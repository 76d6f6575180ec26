// Fuzzes CertificateNames.NameMatches (RFC 6125 §6.4 as RFC 7672 §3.2.3 and RFC 8461 §4.2 use it)
// with random presented/reference pairs, near pairs (case-swapped, one label more or less, a
// letter replaced by a Unicode case-mapping look-alike: dotless i, long s, Kelvin sign, dotted I)
// and wildcard patterns. Properties: never throws; a presented name without '*' matches only a
// reference equal to it under ASCII case folding (RFC 4343), and always matches itself; "*.x.y"
// matches "l.x.y" for every label l but never "x.y" nor "a.b.x.y"; a wildcard match replaces '*'
// by exactly one non-empty label; "*.tld", "*.*.x.y" and partial wildcards ("x*.y.z") match nothing.
// Related pairs (a name and its near spelling, a wildcard and a name below it) make matches common
// enough to count: each property asserts a minimum share of matches and of non-matches.
using CsCheck;
using DaneMtaSts.Engine.Pkix;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class CertificateNamesFuzz(ITestOutputHelper output)
{
    // Characters whose Unicode case mapping lands on an ASCII letter (or the reverse).
    private const string LookAlikes = "\u0131\u0130\u017f\u212a\u212b\u00df\u1e9e";

    private static readonly Gen<(int Op, int Pos, string Label)> NearEdit = Gen.Select(Gen.Int[0, 6], Gen.Int[0, int.MaxValue], FuzzGen.LdhLabel, (op, pos, label) => (op, pos, label));

    private static readonly Gen<string> NearName = Gen.Select(FuzzGen.HostName, NearEdit, (name, edit) => NearOf(name, edit));

    // A pair whose match the property checks on purpose: a name and a near spelling of it, or a
    // wildcard and a name one label below it (in any ASCII case, with or without the final dot).
    private static readonly Gen<(string Presented, string Reference)> RelatedPair = Gen.Select(FuzzGen.HostName, NearEdit, Gen.Int[0, 2], (name, edit, kind) => kind switch
    {
        0 => (name, NearOf(name, edit)),
        1 => ("*." + name, NearOf(edit.Label + "." + name, edit)),
        _ => ("*." + NearOf(name, edit), edit.Label + "." + name),
    });

    private static readonly Gen<string> Presented = Gen.OneOf(
        FuzzGen.AnyString,
        FuzzGen.HostName,
        NearName,
        FuzzGen.HostName.Select(h => "*." + h),
        FuzzGen.LdhLabel.Select(l => "*." + l),
        Gen.Select(FuzzGen.LdhLabel, FuzzGen.HostName, (l, h) => l + "*." + h),
        Gen.Select(FuzzGen.LdhLabel, FuzzGen.HostName, (l, h) => "*" + l + "." + h),
        FuzzGen.HostName.Select(h => "*.*." + h),
        FuzzGen.Mutated(FuzzGen.HostName.Select(h => "*." + h)));

    [Fact]
    public void Never_throws_and_non_wildcard_names_match_only_ascii_equal_names()
    {
        var cases = new Support.CaseCounter(output, "CertificateNames.NameMatches random pairs");
        Gen.OneOf(Gen.Select(Presented, Gen.OneOf(FuzzGen.AnyString, FuzzGen.HostName, NearName)), RelatedPair).Check((presented, reference) =>
        {
            bool match = FuzzRun.Timed(() => CertificateNames.NameMatches(presented, reference));
            bool wildcard = presented.Contains('*', StringComparison.Ordinal);
            cases.Hit((wildcard ? "a wildcard " : "a name ") + (match ? "matched" : "not matched"));
            if (!wildcard)
            {
                string p = presented.TrimEnd('.');
                string r = reference.TrimEnd('.');
                Assert.Equal(p.Length > 0 && AsciiLower(p) == AsciiLower(r), match);
            }
            else if (match)
            {
                AssertWildcardShape(presented, reference);
            }
        }, output, "CertificateNames.NameMatches random pairs", reach: new FuzzReach(cases, 0.03, ["a name matched", "a name not matched", "a wildcard matched", "a wildcard not matched"]));
    }

    [Fact]
    public void A_name_matches_itself_and_its_ascii_case_variants()
    {
        var cases = new Support.CaseCounter(output, "CertificateNames.NameMatches near pairs");
        Gen.Select(FuzzGen.HostName, NearEdit).Check((name, edit) =>
        {
            // The near spelling is made from the same name, so that both "equal" and "one edit away" are checked.
            string near = NearOf(name, edit);
            Assert.True(CertificateNames.NameMatches(name, name));
            Assert.True(CertificateNames.NameMatches(name, SwapAsciiCase(name)));
            Assert.True(CertificateNames.NameMatches(name + ".", name));
            bool equal = AsciiLower(near.TrimEnd('.')) == AsciiLower(name);
            Assert.Equal(equal, CertificateNames.NameMatches(name, near));
            Assert.Equal(equal, CertificateNames.NameMatches(near, name));
            cases.Hit(equal ? "the near spelling matches" : "the near spelling differs");
        }, output, "CertificateNames.NameMatches near pairs", reach: new FuzzReach(cases, 0.2, ["the near spelling matches", "the near spelling differs"]));
    }

    [Fact]
    public void A_wildcard_covers_exactly_one_label()
    {
        var cases = new Support.CaseCounter(output, "CertificateNames wildcard depth");
        Gen.Select(FuzzGen.HostName, FuzzGen.LdhLabel, FuzzGen.LdhLabel, Gen.Bool).Check((suffix, label, extra, upper) =>
        {
            string wildcard = "*." + (upper ? SwapAsciiCase(suffix) : suffix);
            Assert.True(CertificateNames.NameMatches(wildcard, label + "." + suffix));
            Assert.True(CertificateNames.NameMatches(wildcard, SwapAsciiCase(label + "." + suffix) + "."));
            Assert.False(CertificateNames.NameMatches(wildcard, suffix));
            Assert.False(CertificateNames.NameMatches(wildcard, extra + "." + label + "." + suffix));
            Assert.False(CertificateNames.NameMatches(wildcard, "." + suffix));
            Assert.False(CertificateNames.NameMatches("*.*." + suffix, extra + "." + label + "." + suffix));
            Assert.False(CertificateNames.NameMatches(label + "*." + suffix, label + "x." + suffix));
            Assert.False(CertificateNames.NameMatches("*" + label + "." + suffix, "x" + label + "." + suffix));

            // "*.tld" is refused outright (the suffix must have at least two labels).
            string tld = suffix[(suffix.LastIndexOf('.') + 1)..];
            Assert.False(CertificateNames.NameMatches("*." + tld, label + "." + tld));
            cases.Hit("a wildcard matched one label and no other depth");
        }, output, "CertificateNames wildcard depth", reach: new FuzzReach(cases, 0.5, ["a wildcard matched one label and no other depth"]));
    }

    private static void AssertWildcardShape(string presented, string reference)
    {
        string p = presented.TrimEnd('.');
        string r = reference.TrimEnd('.');
        Assert.StartsWith("*.", p, StringComparison.Ordinal);
        Assert.DoesNotContain('*', p[1..]);
        int firstDot = r.IndexOf('.', StringComparison.Ordinal);
        Assert.True(firstDot > 0, $"'{r}' has no left-most label to replace '*'");
        Assert.Equal(AsciiLower(p[1..]), AsciiLower(r[firstDot..]));
    }

    private static string NearOf(string name, (int Op, int Pos, string Label) edit)
    {
        (int op, int pos, string label) = edit;
        int i = pos % name.Length;
        return op switch
        {
            0 => name,
            1 => SwapAsciiCase(name),
            2 => label + "." + name,
            3 => name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..],
            4 => name[..i] + LookAlikes[pos % LookAlikes.Length] + name[(i + 1)..],
            5 => name + ".",
            _ => name.Replace('i', '\u0131').Replace('s', '\u017f').Replace('k', '\u212a'),
        };
    }

    internal static string AsciiLower(string s) => new(s.Select(c => c is >= 'A' and <= 'Z' ? (char)(c + 32) : c).ToArray());

    internal static string SwapAsciiCase(string s) => new(s.Select(c => c switch
    {
        >= 'a' and <= 'z' => (char)(c - 32),
        >= 'A' and <= 'Z' => (char)(c + 32),
        _ => c,
    }).ToArray());
}
