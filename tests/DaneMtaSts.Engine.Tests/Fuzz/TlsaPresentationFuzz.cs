// Fuzzes TlsaRecords.TryParsePresentation / ParsePresentation (RFC 6698 §2.2, RFC 1035 §5.1,
// RFC 3597) with valid records written in every supported form (bare "u s m hex", lower/upper hex
// split by blanks, owner/TTL/class prefixes, parentheses across lines with comments, the generic
// "\# len hex" form, several records separated by LF, CRLF, CR or U+2028, blank and comment lines),
// the same texts with one to three mutations, random text, and 64 KiB to 1 MiB inputs (hex dumps,
// thousands of records, unbalanced parentheses). Properties: TryParsePresentation never throws and
// is consistent; ParsePresentation throws nothing but EngineException(InvalidTlsaRecord); a valid
// text parses to exactly the records written; every accepted record formats and re-parses to
// itself; large inputs finish within the time budget (no quadratic work).
using CsCheck;
using DaneMtaSts.Engine.Dane;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class TlsaPresentationFuzz(ITestOutputHelper output)
{
    private static readonly Gen<byte> Field = Gen.OneOf(Gen.Byte[0, 3], Gen.Byte);

    private static readonly Gen<TlsaRecord> Record = Gen.Select(Field, Field, Field, Gen.OneOf(Gen.Byte.Array[1, 64], Gen.Byte.Array[32], Gen.Byte.Array[64], Gen.Byte.Array[1, 600]),
        (u, s, m, d) => new TlsaRecord(u, s, m, d));

    private static readonly Gen<string> Blank = Gen.Char[" \t"].Array[1, 3].Select(a => new string(a));

    private static readonly Gen<string> Comment = Gen.OneOf(Gen.Const(""), Gen.Const(" ; a comment"), Gen.Const(";(x) 3 1 1 FF"), FuzzGen.TrickyString.Select(t => " ;" + new string(t.Where(c => !IsLineBreak(c)).ToArray())));

    private static readonly Gen<string> Prefix = Gen.Select(FuzzGen.HostName, Gen.Int[0, 5], Gen.UInt[0, 2147483647], (host, kind, ttl) => kind switch
    {
        0 => "",
        1 => "TLSA ",
        2 => "IN TLSA ",
        3 => $"_25._tcp.{host}. IN TLSA ",
        4 => $"_25._tcp.{host}. {ttl} IN TLSA ",
        _ => $"_25._tcp.{host} {ttl} tlsa ",
    });

    private sealed record Style(string Prefix, int Form, int Chunk, bool Lower, string Blank, string Comment);

    private static readonly Gen<Style> Styles = Gen.Select(Prefix, Gen.Int[0, 4], Gen.Int[1, 40], Gen.Bool, Blank, Comment, (p, f, c, l, b, co) => new Style(p, f, c, l, b, co));

    private static readonly Gen<string> Written = Gen.Select(Record, Styles, Write);

    private static readonly Gen<(string Text, TlsaRecord[] Records)> ValidText =
        Gen.Select(Record, Styles, Gen.OneOf("\n", "\r\n", "\r", "\u2028"), Gen.OneOf("", "\n", "; only a comment\n", "   \n")).Array[1, 4].Select(items =>
        {
            var sb = new System.Text.StringBuilder();
            foreach (var (record, style, end, filler) in items)
            {
                sb.Append(filler).Append(Write(record, style)).Append(end);
            }

            return (sb.ToString(), items.Select(i => i.Item1).ToArray());
        });

    // One record in one of the supported forms; never a bare hex line outside parentheses (which
    // the parser may legitimately read as a new record).
    private static string Write(TlsaRecord r, Style style)
    {
        string hex = Convert.ToHexString(r.Data);
        if (style.Lower)
        {
            hex = hex.ToLowerInvariant();
        }

        string prefix = style.Prefix;
        string blank = style.Blank;
        string comment = style.Comment;
        string fields = $"{r.Usage}{blank}{r.Selector} {r.MatchingType}";
        switch (style.Form)
        {
            case 0:
                return prefix + fields + " " + hex + comment;
            case 1:
                return prefix + fields + blank + string.Join(blank, Chunks(hex, style.Chunk)) + comment;
            case 2:
                return prefix + fields + " (" + comment + "\n" + string.Join("\n", Chunks(hex, style.Chunk).Select(c => blank + c)) + " )" + comment;
            case 3:
                return prefix + "( " + fields + "\n" + hex + comment + "\n)";
            default:
                // RFC 3597 generic form: needs the type (TYPE52 or TLSA) in front of "\#".
                string all = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{r.Usage:X2}{r.Selector:X2}{r.MatchingType:X2}") + Convert.ToHexString(r.Data);
                string typed = prefix.Length == 0 ? "TYPE52 " : prefix.Replace("TLSA", "TYPE52", StringComparison.OrdinalIgnoreCase);
                return typed + "\\# " + (r.Data.Length + 3).ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + string.Join(' ', Chunks(all, style.Chunk)) + comment;
        }
    }

    [Fact]
    public void Valid_texts_parse_to_exactly_the_records_written()
    {
        var cases = new Support.CaseCounter(output, "TlsaRecords valid forms");
        ValidText.Check(valid =>
        {
            Assert.True(TlsaRecords.TryParsePresentation(valid.Text, out var records, out string? error), error);
            Assert.Equal(valid.Records, records);
            cases.Hit("accepted");
            if (valid.Records.Length > 1)
            {
                cases.Hit("accepted with several records");
            }
        }, output, "TlsaRecords valid forms", reach: new FuzzReach(cases, 0.3, ["accepted", "accepted with several records"]));
    }

    [Fact]
    public void Random_and_mutated_texts_fail_only_with_the_typed_error()
    {
        var cases = new Support.CaseCounter(output, "TlsaRecords mutated");
        var tlsaLike = Gen.Char["0123 9ABCDEFabcdef TLSA IN;()\\#\n\r\t.-_x"].Array[0, 120].Select(a => new string(a));
        Gen.OneOf(FuzzGen.AnyString, tlsaLike, FuzzGen.Mutated(ValidText.Select(v => v.Text)), FuzzGen.Mutated(Written)).Check(text =>
        {
            IReadOnlyList<TlsaRecord> records = [];
            string? error = null;
            bool ok = FuzzRun.Timed(() => TlsaRecords.TryParsePresentation(text, out records, out error));
            AssertConsistent(ok, records, error, text, cases);
        }, output, "TlsaRecords mutated", reach: new FuzzReach(cases, 0.02, ["accepted", "rejected"]));
    }

    [Fact]
    public void Inputs_up_to_the_1_MiB_limit_finish_within_the_budget()
    {
        var cases = new Support.CaseCounter(output, "TlsaRecords 64 KiB..1 MiB");
        // Hex-dump lines dominate: each one continues the record before it, the case that once cost quadratic time.
        var unit = Gen.Frequency(
            (4, Gen.OneOf("AB\n", "30 82 01 0a\n", "AB CD EF 01 23 45 67 89 ", "ab\r\n")),
            (1, Gen.OneOf("3 1 1 AB\n", "(\n", ")\n", "; comment\n", "\n", "x ", "TLSA ")),
            (1, Written.Select(w => w + "\n")),
            (1, FuzzGen.TrickyString));
        var huge = Gen.Select(Gen.OneOf("3 1 1 AB\n", "3 1 1 (\n", "_25._tcp.mx.example. IN TLSA 3 1 1 AB\n", ""), unit.Array[1, 3], Gen.OneOf(Gen.Int[32 * 1024, 64 * 1024], Gen.Int[512 * 1024, 1024 * 1024]), (head, units, size) =>
        {
            return FuzzGen.FillTo(new System.Text.StringBuilder(head, size + 1000), units, size);
        });
        huge.Check(text =>
        {
            (bool ok, IReadOnlyList<TlsaRecord> records, string? error) = FuzzRun.WithinBudget(() => (TlsaRecords.TryParsePresentation(text, out var r, out string? e), r, e));
            AssertConsistent(ok, records, error, text, cases);
        }, output, "TlsaRecords 64 KiB..1 MiB", FuzzRun.LargeIterations, reach: new FuzzReach(cases, 0.05, ["rejected"]));
    }

    private static void AssertConsistent(bool ok, IReadOnlyList<TlsaRecord> records, string? error, string text, Support.CaseCounter cases)
    {
        if (!ok)
        {
            Assert.Empty(records);
            Assert.False(string.IsNullOrWhiteSpace(error));
            var ex = Assert.Throws<EngineException>(() => TlsaRecords.ParsePresentation(text));
            Assert.Equal(TlsaRecords.InvalidTlsaRecordErrorId, ex.ErrorId);
            cases.Hit("rejected");
            return;
        }

        cases.Hit("accepted");

        Assert.Null(error);
        Assert.NotEmpty(records);
        Assert.Equal(records, TlsaRecords.ParsePresentation(text));
        foreach (TlsaRecord record in records)
        {
            Assert.InRange(record.Data.Length, 1, 65535);
            Assert.True(TlsaRecords.TryParsePresentation(TlsaRecords.Format(record, "_25._tcp.mx.example"), out var again, out string? againError), againError);
            Assert.Equal([record], again);
            Assert.False(string.IsNullOrEmpty(TlsaRecords.Describe(record)));
        }
    }

    private static bool IsLineBreak(char c) => c is '\n' or '\r' or '\f' or '\u0085' or '\u2028' or '\u2029';

    private static IEnumerable<string> Chunks(string hex, int size)
    {
        for (int i = 0; i < hex.Length; i += size)
        {
            yield return hex.Substring(i, Math.Min(size, hex.Length - i));
        }
    }
}
