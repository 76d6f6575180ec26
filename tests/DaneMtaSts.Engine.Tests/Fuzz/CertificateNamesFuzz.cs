// Fuzzes CertificateNames.NameMatches (RFC 6125 §6.4 as RFC 7672 §3.2.3 and RFC 8461 §4.2 use it)
// with random presented/reference pairs, near pairs (case-swapped, one label more or less, a
// letter replaced by a Unicode case-mapping look-alike: dotless i, long s, Kelvin sign, dotted I)
// and wildcard patterns. Properties: never throws; a presented name without '*' matches only a
// reference equal to it under ASCII case folding (RFC 4343), and always matches itself; "*.x.y"
// matches "l.x.y" for every label l but never "x.y" nor "a.b.x.y"; a wildcard match replaces '*'
// by exactly one non-empty label; "*.tld", "*.*.x.y" and partial wildcards ("x*.y.z") match nothing.
using CsCheck;
using DaneMtaSts.Engine.Pkix;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class CertificateNamesFuzz(ITestOutputHelper output)
{
    // Characters whose Unicode case mapping lands on an ASCII letter (or the reverse).
    private const string LookAlikes = "\u0131\u0130\u017f\u212a\u212b\u00df\u1e9e";

    private static readonly Gen<string> NearName = Gen.Select(FuzzGen.HostName, Gen.Int[0, 6], Gen.Int[0, int.MaxValue], FuzzGen.LdhLabel, (name, op, pos, label) =>
    {
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
        Gen.Select(Presented, Gen.OneOf(FuzzGen.AnyString, FuzzGen.HostName, NearName)).Check((presented, reference) =>
        {
            bool match = FuzzRun.Timed(() => CertificateNames.NameMatches(presented, reference));
            if (!presented.Contains('*', StringComparison.Ordinal))
            {
                string p = presented.TrimEnd('.');
                string r = reference.TrimEnd('.');
                Assert.Equal(p.Length > 0 && AsciiLower(p) == AsciiLower(r), match);
            }
            else if (match)
            {
                AssertWildcardShape(presented, reference);
            }
        }, output, "CertificateNames.NameMatches random pairs");
    }

    [Fact]
    public void A_name_matches_itself_and_its_ascii_case_variants()
    {
        Gen.Select(FuzzGen.HostName, NearName).Check((name, near) =>
        {
            Assert.True(CertificateNames.NameMatches(name, name));
            Assert.True(CertificateNames.NameMatches(name, SwapAsciiCase(name)));
            Assert.True(CertificateNames.NameMatches(name + ".", name));
            Assert.Equal(AsciiLower(near.TrimEnd('.')) == AsciiLower(name), CertificateNames.NameMatches(name, near));
            Assert.Equal(AsciiLower(near.TrimEnd('.')) == AsciiLower(name), CertificateNames.NameMatches(near, name));
        }, output, "CertificateNames.NameMatches near pairs");
    }

    [Fact]
    public void A_wildcard_covers_exactly_one_label()
    {
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
        }, output, "CertificateNames wildcard depth");
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

    internal static string AsciiLower(string s) => new(s.Select(c => c is >= 'A' and <= 'Z' ? (char)(c + 32) : c).ToArray());

    internal static string SwapAsciiCase(string s) => new(s.Select(c => c switch
    {
        >= 'a' and <= 'z' => (char)(c - 32),
        >= 'A' and <= 'Z' => (char)(c + 32),
        _ => c,
    }).ToArray());
}
