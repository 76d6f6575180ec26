using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using DaneMtaSts.Engine.Dns.Wire;

namespace DaneMtaSts.Engine.Dns;

/// <summary>
/// The one query DnsClient 1.8.0 cannot send: a repeat of a query with the CD (checking disabled)
/// bit set (RFC 4035 §3.2.2). DnsClient builds its request header internally (DnsRequestHeader is
/// internal and clears CD), so this class writes the query itself and reads back only the header's
/// RCODE. The distinction it serves is RFC 4035 §5.5: a validating resolver answers SERVFAIL for
/// bogus data, and the same question with CD=1 then resolves; a plain outage fails either way.
/// </summary>
internal static class CheckingDisabledQuery
{
    private const int HeaderLength = 12;
    private const ushort FlagTruncated = 0x0200;

    /// <summary>
    /// Sends <paramref name="name"/>/<paramref name="type"/> with RD=1, CD=1 and EDNS DO=1 over UDP
    /// (TCP when the answer is truncated) and returns the RCODE, or <see cref="DnsRcode.None"/> when no
    /// matching answer arrives within the attempts. Never throws for network faults; cancellation throws.
    /// </summary>
    public static async Task<DnsRcode> QueryRcodeAsync(
        IPEndPoint server,
        string name,
        ushort type,
        TimeSpan timeout,
        int retries,
        int ednsBufferSize,
        DnsCounters counters,
        CancellationToken cancellationToken)
    {
        byte[] question;
        try
        {
            question = EncodeQuestion(name, type);
        }
        catch (ArgumentException)
        {
            return DnsRcode.None;
        }

        // The same transport as every other query: short growing re-sends, TCP on TC=1, one budget.
        ushort id = (ushort)RandomNumberGenerator.GetInt32(0, ushort.MaxValue + 1);
        byte[] query = BuildQuery(id, question, ednsBufferSize);
        var transport = new Wire.UdpTcpTransport(server, timeout * (Math.Max(0, retries) + 1), counters);
        try
        {
            counters.CountQuery();
            byte[] response = await transport.ExchangeAsync(query, cancellationToken).ConfigureAwait(false);
            return TryReadResponse(response, id, question, out DnsRcode rcode, out _) ? rcode : DnsRcode.None;
        }
        catch (Wire.DnsTransportException)
        {
            return DnsRcode.None;
        }
    }

    /// <summary>RFC 1035 §4.1.2: QNAME as length-prefixed labels, then QTYPE and QCLASS (IN), written by the wire codec.</summary>
    internal static byte[] EncodeQuestion(string name, ushort type) => DnsMessageWriter.EncodeQuestion(WireName(name), type);

    /// <summary>
    /// A name as the engine keeps it (dot-separated labels, no escapes) as the codec holds names:
    /// the labels as their ASCII octets. Throws <see cref="ArgumentException"/> for an empty label,
    /// one longer than 63 octets, or a name longer than 255.
    /// </summary>
    internal static DnsName WireName(string name)
    {
        string trimmed = name.TrimEnd('.');
        var labels = new List<byte[]>();
        if (trimmed.Length > 0)
        {
            foreach (string label in trimmed.Split('.'))
            {
                labels.Add(Encoding.ASCII.GetBytes(label));
            }
        }

        try
        {
            return DnsName.FromLabels(labels);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The name '{name}' has an empty label, one longer than 63 octets, or is longer than 255 octets.", nameof(name), ex);
        }
    }

    /// <summary>
    /// RFC 1035 §4.1.1 header (RD, CD; QDCOUNT 1, ARCOUNT 1), the question, and an EDNS OPT
    /// pseudo-record (RFC 6891 §6.1.2) with the DO bit (RFC 3225 §3), written by the wire codec.
    /// </summary>
    internal static byte[] BuildQuery(ushort id, byte[] question, int ednsBufferSize) =>
        DnsMessageWriter.BuildQuery(id, question, (ushort)ednsBufferSize);

    /// <summary>
    /// Accepts a message only if it is a response to our ID and repeats our question (case-insensitively),
    /// so a stray or spoofed datagram cannot decide the outcome.
    /// </summary>
    internal static bool TryReadResponse(ReadOnlySpan<byte> message, ushort id, byte[] question, out DnsRcode rcode, out bool truncated)
    {
        rcode = DnsRcode.None;
        truncated = false;
        if (message.Length < HeaderLength + question.Length)
        {
            return false;
        }

        if (!Wire.WireQuestion.Answers(message, id, question))
        {
            return false;
        }

        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        truncated = (flags & FlagTruncated) != 0;
        rcode = MapRcode(flags & 0x000F);
        return true;
    }

    internal static DnsRcode MapRcode(int rcode) => rcode switch
    {
        0 => DnsRcode.NoError,
        1 => DnsRcode.FormErr,
        2 => DnsRcode.ServFail,
        3 => DnsRcode.NxDomain,
        4 => DnsRcode.NotImp,
        5 => DnsRcode.Refused,
        _ => DnsRcode.Other,
    };
}
