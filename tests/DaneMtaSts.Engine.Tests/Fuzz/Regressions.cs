// Plain regression tests: each input below is one the fuzzers found (or a minimal form of it),
// fixed in the parser; the comment names the fix.
using System.Buffers.Binary;
using System.Diagnostics;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Dns;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

public class Regressions(ITestOutputHelper output)
{
    // DomainNameFuzz seed 4Kha1z-_KSR1: a Unicode label with hyphens in positions 3-4 was turned
    // into the A-label xn----xa-zb-wmo9j by IdnMapping.GetAscii, which does not decode again, so the
    // "normalised" name was refused when normalised a second time. Fix: every A-label produced is
    // checked to decode, and such a name is refused at once (DomainName.TryNormalize).
    [Fact]
    public void Unicode_label_whose_a_label_does_not_decode_is_refused_at_once()
    {
        const string input = "\u0444\u0433\u0448.RYabbc9b9Z00Xa0YZabX-0c9bXc9bbcbZX-1ac--Xa-Zb.\u092a\u0917--Xa-Zb.\u092a\u0917\u091a\u092a.6a-cc9ZD";
        bool ok = DomainName.TryNormalize(input, out string? normalized, out string? error);
        output.WriteLine(error ?? normalized);
        Assert.False(ok);
        Assert.Contains("does not decode", error, StringComparison.Ordinal);
    }

    // DnsWireFuzz seed bo4V7gZTIsE4: a response whose QTYPE octet 0xD8 came back as 0xF8 was
    // accepted, because every octet of the question was compared with char.ToLowerInvariant
    // (Latin-1 'Ø' lower-cases to 'ø'). Fix: only the QNAME's ASCII letters fold; QTYPE/QCLASS must
    // be equal (CheckingDisabledQuery.TryReadResponse).
    [Fact]
    public void Dns_response_with_a_case_folded_qtype_octet_is_not_our_answer()
    {
        byte[] question = CheckingDisabledQuery.EncodeQuestion("mx.example", 0x00D8);
        byte[] response = AnswerTo(0x1234, question);
        Assert.True(CheckingDisabledQuery.TryReadResponse(response, 0x1234, question, out DnsRcode rcode, out _));
        Assert.Equal(DnsRcode.NoError, rcode);

        response[12 + question.Length - 3] = 0xF8; // QTYPE low octet 0xD8 → 0xF8
        Assert.False(CheckingDisabledQuery.TryReadResponse(response, 0x1234, question, out _, out _));
    }

    [Fact]
    public void Dns_response_with_qtype_A_echoed_as_a_is_not_our_answer()
    {
        byte[] question = CheckingDisabledQuery.EncodeQuestion("mx.example", 0x0041);
        byte[] response = AnswerTo(7, question);
        response[12 + question.Length - 3] = 0x61; // type 65 answered as type 97
        Assert.False(CheckingDisabledQuery.TryReadResponse(response, 7, question, out _, out _));
    }

    [Fact]
    public void Dns_response_echoing_the_name_in_another_letter_case_is_still_our_answer()
    {
        byte[] question = CheckingDisabledQuery.EncodeQuestion("mx.example", 52);
        byte[] response = AnswerTo(7, question);
        response[13] = (byte)'M'; // DNS 0x20: "Mx.example"
        Assert.True(CheckingDisabledQuery.TryReadResponse(response, 7, question, out _, out _));
    }

    // TlsaPresentationFuzz (1 MiB inputs): a record followed by a hex dump of one short line after
    // another ran for minutes, because each continuation line re-scanned all tokens gathered so far
    // for "TLSA"/"TYPE52" (quadratic). Fix: the statement remembers where its type token is
    // (TlsaRecords.Statement.TypeIndex). Linear now: well under a second; the budget is generous.
    [Fact]
    public void Tlsa_hex_dump_of_1_MiB_in_short_lines_parses_in_linear_time()
    {
        var text = new System.Text.StringBuilder("3 1 1 AB\n");
        int lines = 0;
        while (text.Length < 1_000_000)
        {
            text.Append("AB\n");
            lines++;
        }

        var watch = Stopwatch.StartNew();
        (bool ok, IReadOnlyList<TlsaRecord> records, string? error) = FuzzRun.WithinBudget(() => (TlsaRecords.TryParsePresentation(text.ToString(), out var r, out string? e), r, e));
        output.WriteLine($"{lines} continuation lines in {watch.ElapsedMilliseconds} ms");
        // 333,332 octets exceed the 65,535 a TLSA record can hold: refused, quickly and with the typed reason.
        Assert.False(ok);
        Assert.Empty(records);
        Assert.Contains("longer than 65535 octets", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Tlsa_record_with_owner_and_type_then_a_long_hex_dump_keeps_its_fields()
    {
        var text = new System.Text.StringBuilder("_25._tcp.mx.example. 3600 IN TLSA 2 0 1 0A\n");
        for (int i = 0; i < 16_000; i++)
        {
            text.Append("30 82 01 0a\n");
        }

        (bool ok, IReadOnlyList<TlsaRecord> records, string? error) = FuzzRun.WithinBudget(() => (TlsaRecords.TryParsePresentation(text.ToString(), out var r, out string? e), r, e));
        Assert.True(ok, error);
        TlsaRecord record = Assert.Single(records);
        Assert.Equal((2, 0, 1), (record.Usage, record.Selector, record.MatchingType));
        Assert.Equal(1 + (16_000 * 4), record.Data.Length);
    }

    // TlsaPresentationFuzz seed fZfOQL953HD4: a generic-form record ("TYPE52 \# 8 <hex>", its hex in
    // one word) followed by a plain record on the next line was read as one record, because the
    // generic record counted as "no data yet" (it has only three words after the type) so the
    // all-hex next line "2 4 216 d6c7…" was taken for its continuation; the parse then failed on an
    // odd number of hex digits. Fix: after "\#" the data starts after the length (TlsaRecords.HasData).
    [Fact]
    public void Tlsa_generic_form_record_followed_by_a_plain_record_gives_two_records()
    {
        string text = "_25._tcp.mx.example. 1294708186 TYPE52 \\# 8 194D033311701C45\r\n2 4 216 d6c7f7630e4a3ef37065e9158b74d778ab341fdd207a5973\n";
        Assert.True(TlsaRecords.TryParsePresentation(text, out var records, out string? error), error);
        Assert.Equal(2, records.Count);
        Assert.Equal(new TlsaRecord(0x19, 0x4D, 0x03, Convert.FromHexString("3311701C45")), records[0]);
        Assert.Equal(new TlsaRecord(2, 4, 216, Convert.FromHexString("d6c7f7630e4a3ef37065e9158b74d778ab341fdd207a5973")), records[1]);
    }

    private static byte[] AnswerTo(ushort id, byte[] question)
    {
        byte[] response = new byte[12 + question.Length];
        BinaryPrimitives.WriteUInt16BigEndian(response, id);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(2), 0x8180); // QR, RD, RA, NOERROR
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(4), 1);
        question.CopyTo(response, 12);
        return response;
    }
}
