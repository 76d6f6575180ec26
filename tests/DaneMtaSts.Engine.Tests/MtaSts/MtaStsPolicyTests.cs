using CsCheck;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Tests.Support;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.MtaSts;

public class MtaStsPolicyTests(ITestOutputHelper output)
{
    private static MtaStsPolicy Parse(string text)
    {
        Assert.True(MtaStsPolicy.TryParse(text, out MtaStsPolicy? policy, out string? error), error);
        return policy;
    }

    private static string Error(string text)
    {
        Assert.False(MtaStsPolicy.TryParse(text, out MtaStsPolicy? policy, out string? error));
        Assert.Null(policy);
        return error;
    }

    [Fact]
    public void Typical_policy_with_LF()
    {
        var p = Parse("version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n");
        Assert.Equal(MtaStsPolicyMode.Enforce, p.Mode);
        Assert.Equal(604800, p.MaxAgeSeconds);
        Assert.Equal(["mail.example.com", "*.example.net"], p.Mx);
        Assert.Empty(p.Warnings);
    }

    [Fact]
    public void CRLF_whitespace_and_no_final_newline()
    {
        var p = Parse("version:STSv1\r\nmode:   testing  \r\nmx:\tMX1.Example.COM.\r\nmax_age: 86400");
        Assert.Equal(MtaStsPolicyMode.Testing, p.Mode);
        Assert.Equal(["mx1.example.com"], p.Mx);
        Assert.Equal(86400, p.MaxAgeSeconds);
    }

    [Fact]
    public void Mode_none_needs_no_mx()
    {
        var p = Parse("version: STSv1\nmode: none\nmax_age: 0\n");
        Assert.Equal(MtaStsPolicyMode.None, p.Mode);
        Assert.Empty(p.Mx);
        Assert.Equal(0, p.MaxAgeSeconds);
    }

    [Fact]
    public void Max_age_above_the_limit_is_capped_with_a_warning()
    {
        var p = Parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 9999999999\n");
        Assert.Equal(MtaStsPolicy.MaxAgeLimit, p.MaxAgeSeconds);
        Assert.Contains(p.Warnings, w => w.Contains("capped", StringComparison.Ordinal));
    }

    [Fact]
    public void Max_age_at_the_limit_is_kept()
    {
        Assert.Equal(31557600, Parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n").MaxAgeSeconds);
    }

    [Theory]
    [InlineData("mode: enforce\nmx: a.example\nmax_age: 1\n", "'version' is missing")]
    [InlineData("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", "only \"STSv1\"")]
    [InlineData("version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", "only \"STSv1\"")]
    [InlineData("version: STSv1\nmx: a.example\nmax_age: 1\n", "'mode' is missing")]
    [InlineData("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", "not one of")]
    [InlineData("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n", "not one of")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\n", "'max_age' is missing")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n", "1 to 10 digits")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", "1 to 10 digits")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1e5\n", "1 to 10 digits")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age:\n", "1 to 10 digits")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 1\n", "at least one 'mx'")]
    [InlineData("version: STSv1\nmode: testing\nmx: -bad-.example\nmx: a*.example\nmax_age: 1\n", "None of the 2")]
    [InlineData("version: STSv1\nmode: enforce\nthis line has no colon\nmx: a.example\nmax_age: 1\n", "Line 3")]
    [InlineData("version: STSv1\nmode: enforce\n: value\nmx: a.example\nmax_age: 1\n", "Line 3")]
    public void Invalid_policies(string text, string why)
    {
        Assert.Contains(why, Error(text), StringComparison.Ordinal);
    }

    [Fact]
    public void First_of_a_repeated_key_wins_with_a_warning()
    {
        var p = Parse("version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\nmax_age: 10\nmax_age: 20\n");
        Assert.Equal(MtaStsPolicyMode.Testing, p.Mode);
        Assert.Equal(10, p.MaxAgeSeconds);
        Assert.Equal(2, p.Warnings.Count(w => w.Contains("more than once", StringComparison.Ordinal)));
    }

    [Fact]
    public void Unknown_keys_are_ignored_and_their_values_may_contain_colons()
    {
        var p = Parse("version: STSv1\nmode: enforce\nreport: https://example.com:8443/x?a=b\nmx: a.example\nmax_age: 10\n");
        Assert.Equal("https://example.com:8443/x?a=b", p.Extensions["report"]);
        Assert.Empty(p.Warnings);
    }

    [Fact]
    public void Mx_value_with_a_colon_is_an_invalid_pattern_not_a_split_key()
    {
        var p = Parse("version: STSv1\nmode: enforce\nmx: a.example:25\nmx: b.example\nmax_age: 10\n");
        Assert.Equal(["b.example"], p.Mx);
        Assert.Contains(p.Warnings, w => w.Contains("a.example:25", StringComparison.Ordinal));
    }

    [Fact]
    public void Empty_lines_are_tolerated_with_a_warning()
    {
        var p = Parse("version: STSv1\n\nmode: enforce\r\n\r\nmx: a.example\nmax_age: 10\n\n");
        Assert.Equal(MtaStsPolicyMode.Enforce, p.Mode);
        Assert.Contains(p.Warnings, w => w.Contains("empty line", StringComparison.Ordinal));
    }

    [Fact]
    public void Final_newline_alone_is_not_an_empty_line()
    {
        Assert.Empty(Parse("version: STSv1\r\nmode: enforce\r\nmx: a.example\r\nmax_age: 10\r\n").Warnings);
    }

    [Fact]
    public void Byte_order_mark_is_ignored_with_a_warning()
    {
        var p = Parse("\uFEFFversion: STSv1\nmode: enforce\nmx: a.example\nmax_age: 10\n");
        Assert.Contains(p.Warnings, w => w.Contains("byte order mark", StringComparison.Ordinal));
    }

    [Fact]
    public void Idn_mx_is_stored_as_A_label_and_duplicates_collapse()
    {
        var p = Parse("version: STSv1\nmode: enforce\nmx: mail.bücher.example\nmx: MAIL.xn--bcher-kva.example\nmx: *.bücher.example\nmax_age: 10\n");
        Assert.Equal(["mail.xn--bcher-kva.example", "*.xn--bcher-kva.example"], p.Mx);
    }

    [Fact]
    public void Invalid_mx_names_are_reported_and_skipped()
    {
        var p = Parse("version: STSv1\nmode: enforce\nmx: 192.0.2.1\nmx: *.*.example\nmx: mx.example\nmx: localhost\nmax_age: 10\n");
        Assert.Equal(["mx.example"], p.Mx);
        Assert.Equal(3, p.Warnings.Count(w => w.Contains("mx pattern", StringComparison.Ordinal)));
    }

    [Fact]
    public void Arbitrary_text_never_throws()
    {
        var counter = new CaseCounter(output, "arbitrary policy text");
        Gen.String.Sample(text =>
        {
            counter.Sample();
            bool ok = MtaStsPolicy.TryParse(text, out var policy, out var error);
            Assert.True(ok ? policy is not null && error is null : policy is null && !string.IsNullOrEmpty(error));
            _ = !ok && text.Length > 0 && counter.Hit("non-empty text rejected with an error");
        });
        counter.AssertReached(20, "non-empty text rejected with an error");
    }

    [Fact]
    public void Policy_like_text_never_throws_and_valid_policies_are_consistent()
    {
        var line = Gen.OneOf<string>(
            "version: STSv1", "version: STSv2", "mode: enforce", "mode: testing", "mode: none", "mode: x",
            "max_age: 86400", "max_age: 99999999999", "max_age: 0", "mx: a.example", "mx: *.example", "mx: *.", "mx:", "mx: ü.example",
            "foo: bar:baz", "", " ", ":", "no colon", "\r");
        var sep = Gen.OneOf<string>("\n", "\r\n");
        // Half the samples start with the lines a valid policy needs (a random mode, max_age, an
        // mx for the modes that need one) followed by random lines, so that valid policies of every
        // mode are reached often; the other half are random lines.
        var lines = Gen.Select(line, sep, (l, s) => l + s).Array[0, 10].Select(string.Concat);
        var head = Gen.Select(Gen.OneOf<string>("enforce", "testing", "none"), Gen.Bool, (mode, mx) =>
            $"version: STSv1\nmode: {mode}\nmax_age: 86400\n{(mx ? "mx: mx.example\n" : "")}");
        var text = Gen.OneOf(lines, Gen.Select(head, lines, (h, l) => h + l));
        var counter = new CaseCounter(output, "policy-like text");
        text.Sample(text =>
        {
            counter.Sample();
            if (!MtaStsPolicy.TryParse(text, out var policy, out _))
            {
                counter.Hit("rejected");
            }
            else
            {
                counter.Hit(policy.Mode == MtaStsPolicyMode.None ? "valid, mode none" : "valid, with mx");
                Assert.Equal("STSv1", policy.Version);
                Assert.InRange(policy.MaxAgeSeconds, 0, MtaStsPolicy.MaxAgeLimit);
                Assert.True(policy.Mode == MtaStsPolicyMode.None || policy.Mx.Count > 0);
            }
        }, iter: 1000);
        counter.AssertReached(50, "rejected", "valid, mode none", "valid, with mx");
    }

    // RFC 8461 §3.2, case by case: the text, whether it is a policy, its mode, max_age and mx count,
    // and how many warnings the parser gives (where the RFC is silent it stays lenient and says so).
    [Theory]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 0\n", true, "Enforce", 0L, 1, 0)]                // max_age 0 is in range
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n", true, "Enforce", 31557600L, 1, 0)]  // the maximum
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 9999999999\n", true, "Enforce", 31557600L, 1, 1)] // capped, warned
    [InlineData("version: STSv1\r\nmode: testing\r\nmx: a.example\r\nmax_age: 60\r\n", true, "Testing", 60L, 1, 0)]   // CRLF
    [InlineData("version: STSv1\nmode: testing\r\nmx: a.example\nmax_age: 60", true, "Testing", 60L, 1, 0)]              // mixed, no final newline
    [InlineData("version:\tSTSv1\nmode:enforce\nmx:  a.example \t\nmax_age: 60\n", true, "Enforce", 60L, 1, 0)]         // WSP after ':' and at the end
    [InlineData("version: STSv1\nmode: none\nmax_age: 60\n", true, "None", 60L, 0, 0)]                                    // mode none needs no mx
    [InlineData("version: STSv1\nmode: none\nmx: a.example\nmax_age: 60\n", true, "None", 60L, 1, 0)]                    // ... and may have one
    [InlineData("version: STSv1\nmode: enforce\nmx: *.a.example\nmax_age: 60\n", true, "Enforce", 60L, 1, 0)]            // wildcard, left-most label
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmx: A.Example.\nmax_age: 60\n", true, "Enforce", 60L, 1, 0)] // same name twice: one pattern
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nfuture_key: x\nmax_age: 60\n", true, "Enforce", 60L, 1, 0)] // unknown keys ignored silently
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 60\nmax_age: 1\n", true, "Enforce", 60L, 1, 1)]  // repeated key: the first, warned
    [InlineData("version: STSv1\nmode: enforce\nmx: *.a.example\nmx: a*.b.example\nmax_age: 60\n", true, "Enforce", 60L, 1, 1)] // '*' inside a label: dropped, warned
    [InlineData("version: STSv1\nmode: enforce\nmx: *.*.a.example\nmx: c.example\nmax_age: 60\n", true, "Enforce", 60L, 1, 1)]  // two wildcards: dropped, warned
    [InlineData("version : STSv1\nmode: enforce\nmx: a.example\nmax_age: 60\n", false, null, 0L, 0, 1)]   // "version " is no field name: version missing
    [InlineData("VERSION: STSv1\nmode: enforce\nmx: a.example\nmax_age: 60\n", false, null, 0L, 0, 0)]    // keys are case-sensitive (%s)
    [InlineData("version: STSv1\nmode: testing\nmx: *\nmax_age: 60\n", false, null, 0L, 0, 1)]             // "*" alone is no pattern
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: +60\n", false, null, 0L, 0, 0)]    // digits only
    [InlineData("version: STSv1\rmode: enforce\rmx: a.example\rmax_age: 60\r", false, null, 0L, 0, 0)]      // a lone CR ends no line
    public void Rfc8461_section_3_2_cases(string text, bool valid, string? mode, long maxAge, int mxCount, int warnings)
    {
        bool parsed = MtaStsPolicy.TryParse(text, out MtaStsPolicy? policy, out string? error, out IReadOnlyList<string> found);
        Assert.Equal(valid, parsed);
        Assert.Equal(warnings, found.Count);
        if (!valid)
        {
            Assert.Null(policy);
            Assert.False(string.IsNullOrEmpty(error));
            return;
        }

        Assert.Null(error);
        Assert.Equal(Enum.Parse<MtaStsPolicyMode>(mode!), policy!.Mode);
        Assert.Equal(maxAge, policy.MaxAgeSeconds);
        Assert.Equal(mxCount, policy.Mx.Count);
        Assert.Equal(found, policy.Warnings);
    }
}
