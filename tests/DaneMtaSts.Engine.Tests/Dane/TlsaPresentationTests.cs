using CsCheck;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Tests.Support;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Dane;

public class TlsaPresentationTests(ITestOutputHelper output)
{
    private const string Hex32 = "8CB0FC6C527506A053F4F14C8464BEBBD6DEDE2738D11468DD953D7D6A3021F1";

    [Fact]
    public void Parses_a_bare_record()
    {
        var record = Assert.Single(TlsaRecords.ParsePresentation("3 1 1 " + Hex32));
        Assert.Equal((3, 1, 1), (record.Usage, record.Selector, record.MatchingType));
        Assert.Equal(Convert.FromHexString(Hex32), record.Data);
    }

    [Fact]
    public void Parses_lower_case_hex_split_by_spaces()
    {
        var record = Assert.Single(TlsaRecords.ParsePresentation("  2 0 1 " + Hex32[..20].ToLowerInvariant() + " " + Hex32[20..] + "  "));
        Assert.Equal(Convert.FromHexString(Hex32), record.Data);
        Assert.Equal(2, record.Usage);
    }

    [Fact]
    public void Parses_a_dig_answer_line_with_owner_ttl_and_class()
    {
        string line = $"_25._tcp.mx.example.test. 3600 IN TLSA 3 1 1 {Hex32[..56]} {Hex32[56..]}";
        var record = Assert.Single(TlsaRecords.ParsePresentation(line));
        Assert.Equal(Convert.FromHexString(Hex32), record.Data);
    }

    [Fact]
    public void Parses_a_zone_file_record_spanning_lines_in_parentheses()
    {
        string text = $"_25._tcp.mx.example.test. IN TLSA ( 3 1 1 ; DANE-EE SPKI SHA-256\n    {Hex32[..32]}\n    {Hex32[32..]} )\n";
        var record = Assert.Single(TlsaRecords.ParsePresentation(text));
        Assert.Equal(Convert.FromHexString(Hex32), record.Data);
    }

    [Fact]
    public void A_hex_only_line_continues_the_previous_record()
    {
        var record = Assert.Single(TlsaRecords.ParsePresentation($"3 1 1 {Hex32[..32]}\r\n{Hex32[32..]}"));
        Assert.Equal(Convert.FromHexString(Hex32), record.Data);

        // The data on its own line after the three fields.
        var split = Assert.Single(TlsaRecords.ParsePresentation($"3 1 1\n{Hex32}"));
        Assert.Equal(Convert.FromHexString(Hex32), split.Data);
    }

    [Fact]
    public void A_hex_dump_continuation_line_is_data_not_a_new_record()
    {
        // "30 82 01 0A" starts with numbers, but "01" is not a canonical field, so it is data.
        var record = Assert.Single(TlsaRecords.ParsePresentation("3 1 0 30 82 01 22\n30 82 01 0A 02 82 01 01\n00 C4"));
        Assert.Equal(Convert.FromHexString("308201223082010A0282010100C4"), record.Data);
    }

    [Fact]
    public void Parses_several_records_one_per_line_ignoring_comments_and_blank_lines()
    {
        string text = $"; TLSA set for mx.example.test\n3 1 1 {Hex32}\n\n2 0 1 {Hex32} ; issuer\n_25._tcp.mx.example.test. 300 IN TLSA 3 1 2 {Hex32}{Hex32}\n";
        var records = TlsaRecords.ParsePresentation(text);
        Assert.Equal(3, records.Count);
        Assert.Equal([3, 2, 3], records.Select(r => (int)r.Usage));
        Assert.Equal(64, records[2].Data.Length);
    }

    [Fact]
    public void Parses_the_generic_rfc3597_form()
    {
        var record = Assert.Single(TlsaRecords.ParsePresentation($"_25._tcp.mx.example.test. 300 IN TYPE52 \\# 35 030101 {Hex32}"));
        Assert.Equal((3, 1, 1), (record.Usage, record.Selector, record.MatchingType));
        Assert.Equal(Convert.FromHexString(Hex32), record.Data);
    }

    [Fact]
    public void Keeps_undefined_field_values_for_the_usability_rules_to_judge()
    {
        var record = Assert.Single(TlsaRecords.ParsePresentation("1 1 255 ABCD"));
        Assert.Equal((1, 1, 255), (record.Usage, record.Selector, record.MatchingType));
    }

    [Theory]
    [InlineData("", "No TLSA record")]
    [InlineData("; only a comment", "only comments")]
    [InlineData("3 1", "three numbers")]
    [InlineData("3 1 1", "missing")]
    [InlineData("3 1 1 XYZ0", "hexadecimal")]
    [InlineData("3 1 1 ABC", "odd number")]
    [InlineData("256 1 1 AB", "certificate usage")]
    [InlineData("3 -1 1 AB", "selector")]
    [InlineData("3 1 x AB", "matching type")]
    [InlineData("3 1 1 (AB", "never closed")]
    [InlineData("3 1 1 AB)", "without '('")]
    [InlineData("mx.example.test. 300 IN MX 10 mx", "expected 'usage selector")]
    [InlineData("a b c d TLSA 3 1 1 AB", "too many words")]
    [InlineData("TYPE52 \\# 5 0301", "announces 5")]
    public void Malformed_input_is_a_typed_error(string text, string expected)
    {
        var ex = Assert.Throws<EngineException>(() => TlsaRecords.ParsePresentation(text));
        Assert.Equal("InvalidTlsaRecord", ex.ErrorId);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.False(TlsaRecords.TryParsePresentation(text, out _, out string? error));
        Assert.Equal(ex.Message, error);
    }

    [Fact]
    public void The_error_names_the_offending_line()
    {
        var ex = Assert.Throws<EngineException>(() => TlsaRecords.ParsePresentation($"3 1 1 {Hex32}\n\n3 1 1 {Hex32[..10]}QQ"));
        Assert.StartsWith("Line 3 ('3 1 1 ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_round_trips_with_and_without_owner()
    {
        var record = new TlsaRecord(2, 0, 1, Convert.FromHexString(Hex32));
        Assert.Equal($"2 0 1 {Hex32}", TlsaRecords.Format(record));
        string zone = TlsaRecords.Format(record, "_25._tcp.mx.example.test");
        Assert.Equal($"_25._tcp.mx.example.test. IN TLSA 2 0 1 {Hex32}", zone);
        Assert.Equal(record, Assert.Single(TlsaRecords.ParsePresentation(zone)));
    }

    [Fact]
    public void Random_records_round_trip_through_the_presentation_form()
    {
        var counter = new CaseCounter(output, "TLSA round trip");
        Gen.Select(Gen.Byte, Gen.Byte, Gen.Byte, Gen.Byte.Array[1, 300])
            .Sample((usage, selector, matching, data) =>
            {
                counter.Sample();
                var record = new TlsaRecord(usage, selector, matching, data);
                Assert.Equal(record, Assert.Single(TlsaRecords.ParsePresentation(TlsaRecords.Format(record, "_25._tcp.mx.example.test"))));
                counter.Hit(usage > 3 || selector > 1 || matching > 2 ? "unassigned fields round-trip" : "assigned fields round-trip");
                _ = data.Length > 64 && counter.Hit("data over 64 bytes");
            }, iter: 500);
        counter.AssertReached(20, "unassigned fields round-trip", "data over 64 bytes");
    }

    [Fact]
    public void Arbitrary_text_never_throws_anything_but_the_typed_error()
    {
        var tlsaLike = Gen.Char["0123 9ABCDEFabcdefTLSA;()\\#\n\r\t.-_x"].Array[0, 80].Select(a => new string(a));
        // A third of the samples are a record (fields, hex data) with a random ending, so that parsed records are reached.
        var ending = Gen.OneOf<string>("", " ; a comment", "\n", " )", "(", " x", "\n3 1 1 AB");
        var recordLike = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 1], Gen.Int[0, 2], Gen.Byte.Array[1, 40], ending,
            (u, s, m, data, end) => $"{u} {s} {m} {Convert.ToHexString(data)}{end}");
        var counter = new CaseCounter(output, "TLSA text");
        Gen.OneOf(Gen.String, tlsaLike, recordLike).Sample(text =>
        {
            counter.Sample();
            _ = TlsaRecords.TryParsePresentation(text, out var records, out string? error);
            Assert.True(error is not null || records.Count > 0);
            counter.Hit(error is null ? "parsed records" : "typed error");
            try
            {
                _ = TlsaRecords.ParsePresentation(text);
            }
            catch (EngineException ex)
            {
                Assert.Equal("InvalidTlsaRecord", ex.ErrorId);
            }
        }, iter: 3000);
        counter.AssertReached(20, "parsed records", "typed error");
    }
}
