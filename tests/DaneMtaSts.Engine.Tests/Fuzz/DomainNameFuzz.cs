// Fuzzes DomainName.TryNormalize / Normalize / ToUnicode with random Unicode, mixed scripts,
// combining marks, joiners, IDN dots, control characters, very long labels and names, bogus
// "xn--" labels and mutated valid names. Properties: TryNormalize never throws and reports
// success and error consistently; Normalize throws only EngineException(InvalidDomainName); a
// normalised name is lower-case LDH ASCII, at most 253 characters, labels 1..63, no trailing dot,
// and normalising it again gives the same string; ASCII case and one trailing dot do not change
// the result; the U-label form of a result (ToUnicode) normalises back to it.
using CsCheck;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class DomainNameFuzz(ITestOutputHelper output)
{
    private static readonly Gen<string> LongLabels = Gen.Select(FuzzGen.LdhLabel, Gen.Int[50, 80], Gen.Int[1, 6], (l, n, k) =>
        string.Join('.', Enumerable.Repeat(new string('a', n) + l, k)));

    private static readonly Gen<string> BogusALabels = Gen.Select(Gen.Char["abc-09xn"].Array[0, 20], FuzzGen.LdhLabel, (tail, rest) =>
        "xn--" + new string(tail) + "." + rest);

    private static readonly Gen<string> Names = Gen.OneOf(
        FuzzGen.AnyString,
        FuzzGen.HostName,
        FuzzGen.IdnHostName,
        LongLabels,
        BogusALabels,
        FuzzGen.Mutated(FuzzGen.HostName),
        FuzzGen.Mutated(FuzzGen.IdnHostName),
        // Combining marks and joiners appended to labels; mixed-script labels.
        Gen.Select(FuzzGen.UnicodeLabel, Gen.Char["\u0300\u0301\u0308\u0327\u200c\u200d\u034f"].Array[1, 4], FuzzGen.UnicodeLabel, (a, marks, b) => a + new string(marks) + b + ".example"),
        Gen.Select(FuzzGen.UnicodeLabel, FuzzGen.UnicodeLabel, FuzzGen.LdhLabel, (a, b, c) => a + b + c + ".test"));

    [Fact]
    public void TryNormalize_never_throws_and_its_result_is_a_canonical_name()
    {
        var cases = new Support.CaseCounter(output, "DomainName.TryNormalize");
        Names.Check(input =>
        {
            string? normalized = null;
            string? error = null;
            bool ok = FuzzRun.Timed(() => DomainName.TryNormalize(input, out normalized, out error));
            cases.Hit(ok ? "accepted" : "rejected");
            if (!ok)
            {
                Assert.False(string.IsNullOrEmpty(error));
                Assert.Null(normalized);
                return;
            }

            Assert.Null(error);
            AssertCanonical(normalized!);

            // Idempotent: the output is its own normal form.
            Assert.True(DomainName.TryNormalize(normalized, out string? twice, out string? error2), error2);
            Assert.Equal(normalized, twice);
        }, output, "DomainName.TryNormalize", reach: new FuzzReach(cases, 0.02, ["accepted", "rejected"]));
    }

    [Fact]
    public void Normalize_throws_only_the_typed_engine_exception()
    {
        var cases = new Support.CaseCounter(output, "DomainName.Normalize");
        Names.Check(input =>
        {
            try
            {
                string normalized = DomainName.Normalize(input);
                AssertCanonical(normalized);
                cases.Hit("accepted");
            }
            catch (EngineException ex)
            {
                cases.Hit("the typed exception");
                Assert.Equal("InvalidDomainName", ex.ErrorId);
                Assert.Equal(EngineErrorKind.InvalidArgument, ex.Kind);
                Assert.False(string.IsNullOrEmpty(ex.Message));
            }
        }, output, "DomainName.Normalize", reach: new FuzzReach(cases, 0.02, ["accepted", "the typed exception"]));
    }

    [Fact]
    public void Ascii_case_and_one_trailing_dot_do_not_change_the_result()
    {
        var cases = new Support.CaseCounter(output, "DomainName case/dot invariance");
        Gen.OneOf(FuzzGen.HostName, FuzzGen.IdnHostName, FuzzGen.Mutated(FuzzGen.HostName)).Check(input =>
        {
            bool ok = DomainName.TryNormalize(input, out string? normalized, out _);
            cases.Hit(ok ? "accepted" : "rejected");
            _ = input.Any(c => c is >= 'a' and <= 'z') && cases.Hit("has lower-case ASCII to raise");
            if (!input.EndsWith('.'))
            {
                Assert.Equal(ok, DomainName.TryNormalize(input + ".", out string? dotted, out _));
                Assert.Equal(normalized, dotted);
            }

            string asciiUpper = new(input.Select(c => c is >= 'a' and <= 'z' ? (char)(c - 32) : c).ToArray());
            Assert.Equal(ok, DomainName.TryNormalize(asciiUpper, out string? upper, out _));
            Assert.Equal(normalized, upper);
        }, output, "DomainName case/dot invariance", reach: new FuzzReach(cases, 0.02, ["accepted", "rejected", "has lower-case ASCII to raise"]));
    }

    [Fact]
    public void Valid_names_are_accepted_and_the_unicode_form_round_trips()
    {
        var cases = new Support.CaseCounter(output, "DomainName U-label round trip");
        Gen.OneOf(FuzzGen.HostName, FuzzGen.IdnHostName).Check(input =>
        {
            // Every generated LDH name is valid; IDN names may be refused by UTS #46, but must not throw.
            bool ok = DomainName.TryNormalize(input, out string? normalized, out string? error);
            _ = ok && !input.All(char.IsAscii) && cases.Hit("an IDN name accepted and round-tripped");
            _ = ok && input.All(char.IsAscii) && cases.Hit("an LDH name accepted");
            if (input.All(char.IsAscii))
            {
                Assert.True(ok, error);
                Assert.Equal(input.ToLowerInvariant(), normalized);
            }

            if (ok)
            {
                string unicode = DomainName.ToUnicode(normalized!);
                Assert.True(DomainName.TryNormalize(unicode, out string? back, out string? backError), backError);
                Assert.Equal(normalized, back);
            }
        }, output, "DomainName U-label round trip", reach: new FuzzReach(cases, 0.02, ["an IDN name accepted and round-tripped", "an LDH name accepted"]));
    }

    [Fact]
    public void Huge_inputs_are_refused_in_linear_time()
    {
        var huge = Gen.Select(Gen.OneOf(FuzzGen.HostName, FuzzGen.IdnHostName, FuzzGen.TrickyString), Gen.Int[16 * 1024, 64 * 1024], (unit, size) =>
        {
            var sb = new System.Text.StringBuilder(size + 300);
            while (sb.Length < size)
            {
                sb.Append(unit).Append('.');
            }

            return sb.ToString();
        });
        var cases = new Support.CaseCounter(output, "DomainName 64 KiB");
        huge.Check(input =>
        {
            bool ok = FuzzRun.WithinBudget(() => DomainName.TryNormalize(input, out _, out _));
            Assert.False(ok); // longer than 253 characters in every form
            cases.Hit("refused");
        }, output, "DomainName 64 KiB", FuzzRun.LargeIterations, reach: new FuzzReach(cases, 0.5, ["refused"]));
    }

    internal static void AssertCanonical(string name)
    {
        Assert.InRange(name.Length, 1, 253);
        Assert.False(name.EndsWith('.'), name);
        Assert.All(name, c => Assert.True(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.', $"'{name}' has '{c}'"));
        Assert.All(name.Split('.'), label => Assert.InRange(label.Length, 1, 63));
    }
}
