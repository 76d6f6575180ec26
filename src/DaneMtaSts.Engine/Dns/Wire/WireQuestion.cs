using System.Buffers.Binary;

namespace DaneMtaSts.Engine.Dns.Wire;

/// <summary>
/// The header and question of a DNS message as the transports need them (RFC 1035 §4.1.1, §4.1.2):
/// enough to tell whether a response answers a query, nothing more. The transports know nothing else
/// of the message; parsing answers is the codec's work.
/// </summary>
internal static class WireQuestion
{
    public const int HeaderLength = 12;

    private const ushort FlagResponse = 0x8000;
    private const ushort FlagTruncated = 0x0200;

    /// <summary>
    /// The question section of a query (QNAME, QTYPE, QCLASS as sent), which must hold exactly one
    /// question with an uncompressed name; throws <see cref="ArgumentException"/> otherwise.
    /// </summary>
    public static ReadOnlyMemory<byte> Of(ReadOnlyMemory<byte> query)
    {
        ReadOnlySpan<byte> span = query.Span;
        if (span.Length < HeaderLength + 5 || BinaryPrimitives.ReadUInt16BigEndian(span[4..]) != 1)
        {
            throw new ArgumentException("The query is not a DNS message with exactly one question.", nameof(query));
        }

        int offset = HeaderLength;
        while (true)
        {
            if (offset >= span.Length)
            {
                throw new ArgumentException("The query's question name runs past the message.", nameof(query));
            }

            byte length = span[offset];
            if (length == 0)
            {
                offset++;
                break;
            }

            if (length > 63)
            {
                throw new ArgumentException("The query's question name is compressed or has a label longer than 63 octets.", nameof(query));
            }

            offset += 1 + length;
        }

        if (offset - HeaderLength > 255 || offset + 4 > span.Length)
        {
            throw new ArgumentException("The query's question is longer than 255 octets or has no type and class.", nameof(query));
        }

        return query[HeaderLength..(offset + 4)];
    }

    public static ushort Id(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message);

    /// <summary>A copy of <paramref name="message"/> with its ID replaced.</summary>
    public static byte[] WithId(ReadOnlySpan<byte> message, ushort id)
    {
        byte[] copy = message.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(copy, id);
        return copy;
    }

    /// <summary>True when the message has the TC bit (RFC 1035 §4.1.1): the answer did not fit.</summary>
    public static bool IsTruncated(ReadOnlySpan<byte> message) =>
        message.Length >= HeaderLength && (BinaryPrimitives.ReadUInt16BigEndian(message[2..]) & FlagTruncated) != 0;

    /// <summary>
    /// True when <paramref name="response"/> is a response (QR=1) with ID <paramref name="id"/> that repeats
    /// <paramref name="question"/>: the name compared case-insensitively in its ASCII letters (RFC 4343 §3),
    /// type and class exactly (RFC 5452 §4.2 checks the question as well as the ID).
    /// </summary>
    public static bool Answers(ReadOnlySpan<byte> response, ushort id, ReadOnlySpan<byte> question)
    {
        if (response.Length < HeaderLength + question.Length ||
            Id(response) != id ||
            (BinaryPrimitives.ReadUInt16BigEndian(response[2..]) & FlagResponse) == 0 ||
            BinaryPrimitives.ReadUInt16BigEndian(response[4..]) != 1)
        {
            return false;
        }

        ReadOnlySpan<byte> echoed = response.Slice(HeaderLength, question.Length);
        int nameLength = question.Length - 4;
        for (int i = 0; i < question.Length; i++)
        {
            bool same = i < nameLength ? AsciiLower(echoed[i]) == AsciiLower(question[i]) : echoed[i] == question[i];
            if (!same)
            {
                return false;
            }
        }

        return true;
    }

    private static byte AsciiLower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
}
