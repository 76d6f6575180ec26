using System.Runtime.InteropServices;
using DaneMtaSts.Engine.Dns.Wire;

namespace DaneMtaSts.Engine.Tests.Dns;

// The reader's two savings (docs/dns.md#layers): a compression pointer to a name already read gives
// that name again, and RDATA whose three forms are the same octets shares one array. Both must
// leave what the records say unchanged.
public sealed class WireReaderSharingTests
{
    // example.test as labels, then the root.
    private static readonly byte[] QuestionName = [7, .. "example"u8, 4, .. "test"u8, 0];

    [Fact]
    public void Owners_that_point_at_the_question_name_are_that_name_and_are_read_once()
    {
        var message = new List<byte>(Header(answers: 3));
        message.AddRange(QuestionName);
        message.AddRange([0, 15, 0, 1]); // MX IN
        for (int i = 0; i < 3; i++)
        {
            // Owner: pointer to offset 12 (the question name); MX 10, exchange mx<i>.example.test written out.
            message.AddRange([0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 60]);
            byte[] exchange = [3, (byte)'m', (byte)'x', (byte)('0' + i), .. QuestionName];
            message.AddRange([0, (byte)(2 + exchange.Length), 0, 10, .. exchange]);
        }

        DnsMessage parsed = DnsMessage.Parse(message.ToArray());

        Assert.Equal(3, parsed.Answers.Count);
        DnsName question = parsed.Question!.Name;
        Assert.Equal("example.test", question.ToString());
        Assert.All(parsed.Answers, r => Assert.Same(question, r.Owner)); // the case was reached: one instance
        Assert.Equal(["mx0.example.test", "mx1.example.test", "mx2.example.test"], parsed.Answers.Select(r => ((MxData)r.Data!).Exchange.ToString()));
    }

    [Fact]
    public void Rdata_without_pointers_or_upper_case_shares_one_array_and_other_rdata_does_not()
    {
        var message = new List<byte>(Header(answers: 3));
        message.AddRange(QuestionName);
        message.AddRange([0, 15, 0, 1]);

        // 1: exchange written out in lower case; 2: exchange "mx." then a pointer to the question
        // name; 3: exchange written out with upper case.
        message.AddRange([0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 60]);
        byte[] plain = [2, (byte)'m', (byte)'x', .. QuestionName];
        message.AddRange([0, (byte)(2 + plain.Length), 0, 10, .. plain]);
        message.AddRange([0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 60]);
        message.AddRange([0, 7, 0, 20, 2, (byte)'m', (byte)'x', 0xC0, 12]);
        message.AddRange([0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 60]);
        byte[] upper = [2, (byte)'M', (byte)'X', .. QuestionName];
        message.AddRange([0, (byte)(2 + upper.Length), 0, 30, .. upper]);

        DnsRecord[] records = [.. DnsMessage.Parse(message.ToArray()).Answers];

        Assert.True(SameArray(records[0].RData, records[0].UncompressedRData));
        Assert.True(SameArray(records[0].UncompressedRData, records[0].CanonicalRData));

        Assert.False(SameArray(records[1].RData, records[1].UncompressedRData));
        Assert.True(SameArray(records[1].UncompressedRData, records[1].CanonicalRData));
        Assert.Equal([0, 20, .. plain], records[1].UncompressedRData.ToArray());

        Assert.True(SameArray(records[2].RData, records[2].UncompressedRData));
        Assert.False(SameArray(records[2].UncompressedRData, records[2].CanonicalRData));
        Assert.Equal([0, 30, .. plain], records[2].CanonicalRData.ToArray());
        Assert.Equal("MX.example.test", ((MxData)records[2].Data!).Exchange.ToString());
    }

    private static byte[] Header(int answers) =>
        [0x12, 0x34, 0x81, 0x80, 0, 1, 0, (byte)answers, 0, 0, 0, 0];

    private static bool SameArray(ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b) =>
        MemoryMarshal.TryGetArray(a, out ArraySegment<byte> x) && MemoryMarshal.TryGetArray(b, out ArraySegment<byte> y) && ReferenceEquals(x.Array, y.Array);
}
