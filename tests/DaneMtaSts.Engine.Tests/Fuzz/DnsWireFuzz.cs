// Fuzzes the hand-written DNS wire code of Dns/CheckingDisabledQuery: EncodeQuestion on random
// and valid names, and TryReadResponse on random datagrams, on well-formed responses (any RCODE,
// TC bit, name echoed in random letter case as DNS 0x20 resolvers do, answer bytes after the
// question) and on responses with one bit flipped. Properties: EncodeQuestion fails only with
// ArgumentException and encodes valid names as RFC 1035 §4.1.2 labels; TryReadResponse never
// throws, accepts every well-formed response with its RCODE and TC bit, and accepts nothing that
// is not an answer to our question (RFC 5452 §4.3 style): same ID, QR set, QDCOUNT 1, the name
// equal up to ASCII letter case (RFC 4343), QTYPE and QCLASS octets exactly equal. Each property
// counts the cases it is about (accepted and refused, TC, unlisted RCODEs, a re-cased name) and
// asserts a minimum share of each.
using System.Buffers.Binary;
using CsCheck;
using DaneMtaSts.Engine.Dns;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class DnsWireFuzz(ITestOutputHelper output)
{
    private static readonly Gen<(ushort Id, byte[] Question)> Query = Gen.Select(Gen.UShort, FuzzGen.HostName, Gen.UShort,
        (id, name, type) => (id, CheckingDisabledQuery.EncodeQuestion(name, type)));

    [Fact]
    public void EncodeQuestion_fails_only_with_ArgumentException_and_encodes_labels()
    {
        var cases = new Support.CaseCounter(output, "CheckingDisabledQuery.EncodeQuestion");
        Gen.Select(Gen.OneOf(FuzzGen.AnyString, FuzzGen.HostName, FuzzGen.Mutated(FuzzGen.HostName)), Gen.UShort).Check((name, type) =>
        {
            byte[] question;
            try
            {
                question = CheckingDisabledQuery.EncodeQuestion(name, type);
            }
            catch (ArgumentException)
            {
                cases.Hit("ArgumentException");
                return;
            }

            cases.Hit("encoded");

            Assert.InRange(question.Length, 5, 259);
            Assert.Equal(type, BinaryPrimitives.ReadUInt16BigEndian(question.AsSpan(question.Length - 4)));
            Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(question.AsSpan(question.Length - 2)));

            // Walk the labels: each length octet is 1..63, the name ends with the zero octet.
            int at = 0;
            var labels = new List<string>();
            while (question[at] != 0)
            {
                Assert.InRange(question[at], 1, 63);
                labels.Add(System.Text.Encoding.ASCII.GetString(question, at + 1, question[at]));
                at += question[at] + 1;
            }

            Assert.Equal(question.Length - 5, at);
            if (DomainName.TryNormalize(name, out string? normalized, out _) && name.All(char.IsAscii))
            {
                Assert.Equal(normalized, string.Join('.', labels).ToLowerInvariant());
                cases.Hit("encoded and compared with the normalized name");
            }
        }, output, "CheckingDisabledQuery.EncodeQuestion", reach: new FuzzReach(cases, 0.05, ["ArgumentException", "encoded", "encoded and compared with the normalized name"]));
    }

    [Fact]
    public void Well_formed_responses_are_accepted_with_their_rcode_and_tc_bit()
    {
        var cases = new Support.CaseCounter(output, "CheckingDisabledQuery well-formed responses");
        Gen.Select(Query, Gen.Int[0, 15], Gen.Bool, Gen.UInt, Gen.Byte.Array[0, 64]).Check((query, rcode, truncated, caseBits, tail) =>
        {
            byte[] response = Response(query.Id, query.Question, rcode, truncated, caseBits, tail);
            Assert.True(CheckingDisabledQuery.TryReadResponse(response, query.Id, query.Question, out DnsRcode read, out bool tc));
            Assert.Equal(CheckingDisabledQuery.MapRcode(rcode), read);
            Assert.Equal(truncated, tc);
            cases.Hit("accepted");
            cases.Hit(truncated ? "accepted with TC" : "accepted without TC");
            cases.Hit(read == DnsRcode.Other ? "accepted with an unlisted RCODE" : "accepted with a listed RCODE");
            if (!response.AsSpan(12, query.Question.Length).SequenceEqual(query.Question))
            {
                cases.Hit("accepted with the name in another letter case");
            }
        }, output, "CheckingDisabledQuery well-formed responses", reach: new FuzzReach(cases, 0.15, ["accepted", "accepted with TC", "accepted without TC", "accepted with an unlisted RCODE", "accepted with a listed RCODE", "accepted with the name in another letter case"]));
    }

    [Fact]
    public void Random_and_bit_flipped_responses_are_accepted_only_when_they_answer_our_question()
    {
        var flipped = Gen.Select(Query, Gen.Int[0, 15], Gen.Bool, Gen.UInt, Gen.Int[0, int.MaxValue], Gen.Int[0, 7], (query, rcode, truncated, caseBits, at, bit) =>
        {
            byte[] response = Response(query.Id, query.Question, rcode, truncated, caseBits, []);
            response[at % response.Length] ^= (byte)(1 << bit);
            return (query, response);
        });
        var random = Gen.Select(Query, Gen.Byte.Array[0, 300], (query, bytes) => (query, bytes));
        var spoofed = Gen.Select(Query, Query, Gen.Int[0, 15], (ours, theirs, rcode) =>
            (ours, Response(ours.Id, theirs.Question, rcode, false, 0, [])));
        var cases = new Support.CaseCounter(output, "CheckingDisabledQuery flipped/random/spoofed");
        Gen.OneOf(flipped, random, spoofed).Check(sample =>
        {
            ((ushort id, byte[] question), byte[] message) = sample;
            bool accepted = FuzzRun.Timed(() => CheckingDisabledQuery.TryReadResponse(message, id, question, out _, out _));
            if (!accepted)
            {
                cases.Hit("refused");
                return;
            }

            cases.Hit("accepted");

            Assert.Equal(id, BinaryPrimitives.ReadUInt16BigEndian(message));
            Assert.True((message[2] & 0x80) != 0, "QR must be set");
            Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(4)));
            byte[] echoed = message.AsSpan(12, question.Length).ToArray();
            int nameLength = question.Length - 4;
            Assert.Equal(AsciiLower(question[..nameLength]), AsciiLower(echoed[..nameLength]));
            Assert.Equal(question[nameLength..], echoed[nameLength..]);
        }, output, "CheckingDisabledQuery flipped/random/spoofed", reach: new FuzzReach(cases, 0.02, ["accepted", "refused"]));
    }

    [Fact]
    public void MapRcode_is_total()
    {
        var cases = new Support.CaseCounter(output, "CheckingDisabledQuery.MapRcode");
        // Any int, and the 4-bit RCODE field's values with their neighbours (a uniform int almost never lands on 0..5).
        Gen.OneOf(Gen.Int, Gen.Int[-2, 17]).Check(rcode =>
        {
            DnsRcode mapped = CheckingDisabledQuery.MapRcode(rcode);
            Assert.True(Enum.IsDefined(mapped));
            Assert.Equal(rcode is >= 0 and <= 5, mapped != DnsRcode.Other);
            cases.Hit(mapped == DnsRcode.Other ? "Other" : "a listed RCODE");
        }, output, "CheckingDisabledQuery.MapRcode", reach: new FuzzReach(cases, 0.05, ["Other", "a listed RCODE"]));
    }

    // The query as built for the wire, turned into a response: QR set, TC as asked, RCODE, the
    // name's letters in random case, arbitrary answer octets after the question.
    private static byte[] Response(ushort id, byte[] question, int rcode, bool truncated, uint caseBits, byte[] tail)
    {
        byte[] query = CheckingDisabledQuery.BuildQuery(id, question, 1232);
        byte[] response = [.. query.AsSpan(0, 12 + question.Length), .. tail];
        ushort flags = (ushort)(0x8000 | 0x0100 | 0x0080 | (truncated ? 0x0200 : 0) | rcode);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(10), 0);
        for (int i = 12; i < 12 + question.Length - 4; i++)
        {
            if (char.IsAsciiLetter((char)response[i]) && ((caseBits >> (i % 32)) & 1) == 1)
            {
                response[i] ^= 0x20;
            }
        }

        return response;
    }

    private static byte[] AsciiLower(byte[] bytes) => [.. bytes.Select(b => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b)];
}
