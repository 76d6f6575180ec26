// Shared plumbing of the fuzz classes: the iteration count (env DANEMTASTS_FUZZ_ITERATIONS), the
// per-call time budget that turns a hang or a quadratic blow-up into a failure, a printer that
// shows a failing input as a C# literal (ready to paste into Regressions.cs), and the character
// sets and mutation operators the generators share.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsCheck;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

/// <summary>The cases a fuzz property must reach (counted by <see cref="Counter"/>), each in at least <see cref="Share"/> of the iterations.</summary>
internal sealed record FuzzReach(Support.CaseCounter Counter, double Share, string[] Cases);

internal static class FuzzRun
{
    /// <summary>Iterations per property; small by default so the fuzz set fits in the normal test run.</summary>
    public const string IterationsVariable = "DANEMTASTS_FUZZ_ITERATIONS";

    private const long DefaultIterations = 2000;

    /// <summary>
    /// A single parse of at most a few KiB must finish within this. A hang guard, not a speed test:
    /// linear code needs microseconds, so only runaway (exponential or unbounded) work reaches it,
    /// and a loaded machine never does.
    /// </summary>
    public static readonly TimeSpan SmallCallBudget = TimeSpan.FromSeconds(15);

    /// <summary>A single parse of a 64 KiB (or 1 MiB for TLSA) input must finish within this; linear code needs milliseconds.</summary>
    public static readonly TimeSpan LargeCallBudget = Support.HangGuard.Limit;

    public static long Iterations { get; } = ReadIterations();

    /// <summary>Properties on 64 KiB (TLSA: up to 1 MiB) inputs run fewer times: each iteration costs about a thousand small ones.</summary>
    public static long LargeIterations => Math.Max(20, Iterations / 1000);

    /// <summary>
    /// Runs the property on <paramref name="iterations"/> generated inputs and logs the rate. With
    /// <paramref name="reach"/>, every sample is counted and the run fails unless each named case was
    /// reached by the given share of the iterations (at least once): a fuzz property whose generator
    /// never reaches its case fails instead of passing.
    /// </summary>
    public static void Check<T>(this Gen<T> gen, Action<T> property, ITestOutputHelper output, string target, long? iterations = null, FuzzReach? reach = null)
    {
        long iter = iterations ?? Iterations;
        var watch = Stopwatch.StartNew();
        gen.Sample(reach is null ? property : t =>
        {
            reach.Counter.Sample();
            property(t);
        }, iter: iter, print: Print);
        watch.Stop();
        double seconds = Math.Max(watch.Elapsed.TotalSeconds, 0.001);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FUZZ {target}: {iter} iterations in {seconds:F2} s ({iter / seconds:F0}/s)"));
        reach?.Counter.AssertReached((int)Math.Max(1, Math.Floor(iter * reach.Share)), reach.Cases);
    }

    public static void Check<T1, T2>(this Gen<(T1, T2)> gen, Action<T1, T2> property, ITestOutputHelper output, string target, long? iterations = null, FuzzReach? reach = null) =>
        gen.Check(t => property(t.Item1, t.Item2), output, target, iterations, reach);

    public static void Check<T1, T2, T3>(this Gen<(T1, T2, T3)> gen, Action<T1, T2, T3> property, ITestOutputHelper output, string target, long? iterations = null, FuzzReach? reach = null) =>
        gen.Check(t => property(t.Item1, t.Item2, t.Item3), output, target, iterations, reach);

    public static void Check<T1, T2, T3, T4>(this Gen<(T1, T2, T3, T4)> gen, Action<T1, T2, T3, T4> property, ITestOutputHelper output, string target, long? iterations = null, FuzzReach? reach = null) =>
        gen.Check(t => property(t.Item1, t.Item2, t.Item3, t.Item4), output, target, iterations, reach);

    public static void Check<T1, T2, T3, T4, T5>(this Gen<(T1, T2, T3, T4, T5)> gen, Action<T1, T2, T3, T4, T5> property, ITestOutputHelper output, string target, long? iterations = null, FuzzReach? reach = null) =>
        gen.Check(t => property(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5), output, target, iterations, reach);

    /// <summary>Calls a parser and fails when that one call took longer than the budget.</summary>
    public static TResult Timed<TResult>(Func<TResult> call, TimeSpan? budget = null)
    {
        TimeSpan limit = budget ?? SmallCallBudget;
        long start = Stopwatch.GetTimestamp();
        TResult result = call();
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        if (elapsed > limit)
        {
            Assert.Fail($"One call took {elapsed.TotalMilliseconds:F0} ms, over the budget of {limit.TotalMilliseconds:F0} ms: not linear-ish.");
        }

        return result;
    }

    /// <summary>
    /// Runs the call on its own thread and stops waiting after the budget, so that a real infinite
    /// loop fails the test instead of hanging the test run (the stuck thread is a background thread).
    /// </summary>
    public static TResult WithinBudget<TResult>(Func<TResult> call, TimeSpan? budget = null)
    {
        TimeSpan limit = budget ?? LargeCallBudget;
        TResult result = default!;
        Exception? failure = null;
        var worker = new Thread(() =>
        {
            try
            {
                result = call();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }, maxStackSize: 16 * 1024 * 1024) { IsBackground = true };
        long start = Stopwatch.GetTimestamp();
        worker.Start();
        if (!worker.Join(limit))
        {
            Assert.Fail($"The call did not finish within {limit.TotalSeconds:F0} s: a hang or super-linear work.");
        }

        if (failure is not null)
        {
            throw new InvalidOperationException("The call threw: " + failure.GetType().Name, failure);
        }

        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        Assert.True(elapsed <= limit, $"The call took {elapsed.TotalMilliseconds:F0} ms.");
        return result;
    }

    /// <summary>Shows a failing input as a C# literal: what Regressions.cs needs.</summary>
    public static string Print<T>(T value) => value switch
    {
        string s => Literal(s),
        string[] array => "[" + string.Join(", ", array.Select(Literal)) + "]",
        IEnumerable<string> list => "[" + string.Join(", ", list.Select(Literal)) + "]",
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        System.Runtime.CompilerServices.ITuple tuple => "(" + string.Join(", ", Enumerable.Range(0, tuple.Length).Select(i => Print(tuple[i]))) + ")",
        null => "null",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    public static string Literal(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s.Length > 2000 ? s[..2000] : s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c is >= ' ' and < '\x7F')
                    {
                        sb.Append(c);
                    }
                    else
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    }

                    break;
            }
        }

        sb.Append('"');
        if (s.Length > 2000)
        {
            sb.Append(CultureInfo.InvariantCulture, $" /* {s.Length} chars, shown 2000 */");
        }

        return sb.ToString();
    }

    private static long ReadIterations()
    {
        string? text = Environment.GetEnvironmentVariable(IterationsVariable);
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0 ? n : DefaultIterations;
    }
}

/// <summary>Generators shared by the fuzz classes.</summary>
internal static class FuzzGen
{
    /// <summary>
    /// Appends the units in turn until the text reaches <paramref name="size"/>. Empty units (a
    /// tricky string may be "") are skipped, so the loop always ends.
    /// </summary>
    public static string FillTo(System.Text.StringBuilder sb, IEnumerable<string> units, int size)
    {
        string[] parts = units.Where(u => u.Length > 0).DefaultIfEmpty("x").ToArray();
        for (int i = 0; sb.Length < size; i++)
        {
            sb.Append(parts[i % parts.Length]);
        }

        return sb.ToString();
    }

    /// <summary>
    /// Characters that parsers trip over: separators of every grammar here, white space of every
    /// kind, line terminators .NET knows (NEL, LS, PS), case-mapping oddities (dotless i, long s,
    /// Kelvin sign, dotted capital I), IDN dots (U+3002, U+FF0E, U+FF61), joiners, combining marks,
    /// BOM, replacement char and lone surrogates.
    /// </summary>
    public const string TrickyChars =
        ";:=,. \t\r\n*-_/\\@%?#()[]\"'0129aAzZxX" +
        "\0\u0001\u001f\u007f\u0085\u00a0\u00e9\u00df\u0131\u0130\u017f\u212a\u0301\u0308\u200b\u200c\u200d" +
        "\u2028\u2029\u3002\uff0e\uff61\ufeff\ufffd\ud800\udc00\u0660\u06f0\u0966\uff10\u0430\u03b1\u05d0\u4e2d";

    public static readonly Gen<char> TrickyChar = Gen.OneOf(Gen.Char[TrickyChars], Gen.Char, Gen.Char['\0', '\x7f']);

    public static readonly Gen<string> TrickyString = TrickyChar.Array[0, 40].Select(a => new string(a));

    /// <summary>Any string: CsCheck's own, random ASCII and the tricky set.</summary>
    public static readonly Gen<string> AnyString = Gen.OneOf(Gen.String, Gen.Char['\0', '\x7f'].Array[0, 80].Select(a => new string(a)), TrickyString);

    public static readonly Gen<char> Alnum = Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"];

    /// <summary>An LDH label of 1 to 63 characters (letters, digits, inner hyphens), mixed case.</summary>
    public static readonly Gen<string> LdhLabel = Gen.OneOf(
        Alnum.Array[1, 12].Select(a => new string(a)),
        Gen.Select(Alnum, Gen.Char["abcXYZ019-"].Array[0, 61], Alnum, (a, mid, z) => a + new string(mid) + z));

    /// <summary>A host name of 2 to 5 LDH labels, at most 253 characters.</summary>
    public static readonly Gen<string> HostName = LdhLabel.Array[2, 5]
        .Select(labels => string.Join('.', labels))
        .Where(name => name.Length <= 253);

    /// <summary>Unicode labels from several scripts (Latin with diacritics, Greek, Cyrillic, CJK, Arabic, Devanagari), for IDN.</summary>
    public static readonly Gen<string> UnicodeLabel = Gen.OneOf(
        Gen.Char["abcdeéèüößçñåøæ"].Array[1, 10].Select(a => new string(a)),
        Gen.Char['\u03b1', '\u03c9'].Array[1, 8].Select(a => new string(a)),
        Gen.Char['\u0430', '\u044f'].Array[1, 8].Select(a => new string(a)),
        Gen.Char['\u4e00', '\u4fff'].Array[1, 5].Select(a => new string(a)),
        Gen.Char['\u0627', '\u064a'].Array[1, 6].Select(a => new string(a)),
        Gen.Char['\u0915', '\u0939'].Array[1, 6].Select(a => new string(a)));

    /// <summary>A host name some of whose labels are Unicode: must normalise to A-labels.</summary>
    public static readonly Gen<string> IdnHostName = Gen.OneOf(LdhLabel, UnicodeLabel).Array[2, 4].Select(labels => string.Join('.', labels));

    /// <summary>Applies one to three random edits (flip, delete, insert, duplicate, separator swap, case swap, huge run) to a valid input.</summary>
    public static Gen<string> Mutated(Gen<string> valid) =>
        Gen.Select(valid, Mutation.Array[1, 3], (s, edits) => edits.Aggregate(s, (text, edit) => edit(text)));

    private static readonly Gen<Func<string, string>> Mutation = Gen.Select(Gen.Int[0, 11], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue], TrickyChar, (op, a, b, c) =>
        new Func<string, string>(s => Apply(s, op, a, b, c)));

    private static string Apply(string s, int op, int a, int b, char c)
    {
        int i = s.Length == 0 ? 0 : a % s.Length;
        int j = s.Length == 0 ? 0 : b % s.Length;
        (int from, int to) = i <= j ? (i, j) : (j, i);
        return op switch
        {
            0 when s.Length > 0 => s[..i] + c + s[(i + 1)..],                    // flip one char
            1 when s.Length > 0 => s.Remove(i, 1),                              // delete one char
            2 => s.Insert(i, c.ToString()),                                     // insert one char
            3 => s.Insert(to, s[from..to]),                                     // duplicate a range (a field, a line)
            4 => s.Remove(from, to - from),                                     // drop a range
            5 => Swap(s, b % 6),                                                // separator changes
            6 => (b & 1) == 0 ? s.ToUpperInvariant() : s.ToLowerInvariant(),   // case
            7 => s.Insert(i, new string((b & 1) == 0 ? '9' : 'a', 1 + (b % 5000))), // a huge run
            8 => s.Insert(i, (b % 4) switch { 0 => "\r\n", 1 => "\n", 2 => "\r", _ => "\u2028" }),
            9 => s.Insert(i, (b % 3) switch { 0 => " ", 1 => "\t", _ => "   \t " }),
            10 => s + s,                                                        // the whole record twice
            _ => s.Length > 0 ? s[..i] + char.ToUpperInvariant(s[i]) + s[(i + 1)..] : s,
        };
    }

    private static string Swap(string s, int which) => which switch
    {
        0 => s.Replace(';', ','),
        1 => s.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\n', '\r'),
        2 => s.Replace("\n", "\r\n", StringComparison.Ordinal),
        3 => s.Replace(':', '='),
        4 => s.Replace(' ', '\t'),
        _ => s.Replace('.', '\u3002'),
    };
}
