using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
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
    private const ushort FlagResponse = 0x8000;

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

        for (int attempt = 0; attempt <= Math.Max(0, retries); attempt++)
        {
            ushort id = (ushort)RandomNumberGenerator.GetInt32(1, ushort.MaxValue);
            byte[] query = BuildQuery(id, question, ednsBufferSize);
            using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptTimeout.CancelAfter(timeout);
            try
            {
                counters.CountQuery();
                (DnsRcode rcode, bool truncated) = await ExchangeUdpAsync(server, query, id, question, attemptTimeout.Token).ConfigureAwait(false);
                if (!truncated)
                {
                    return rcode;
                }

                // RFC 7766 §5: a truncated UDP answer is retried over TCP.
                counters.CountTcpFallback();
                counters.CountQuery();
                return await ExchangeTcpAsync(server, query, id, question, attemptTimeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // This attempt timed out; try again while attempts remain.
            }
            catch (SocketException)
            {
                return DnsRcode.None;
            }
            catch (IOException)
            {
                return DnsRcode.None;
            }
        }

        return DnsRcode.None;
    }

    /// <summary>RFC 1035 §4.1.2: QNAME as length-prefixed labels, then QTYPE and QCLASS (IN), written by the wire codec.</summary>
    internal static byte[] EncodeQuestion(string name, ushort type)
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
            return DnsMessageWriter.EncodeQuestion(DnsName.FromLabels(labels), type);
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

        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        if (BinaryPrimitives.ReadUInt16BigEndian(message) != id || (flags & FlagResponse) == 0 ||
            BinaryPrimitives.ReadUInt16BigEndian(message[4..]) != 1)
        {
            return false;
        }

        // Only the QNAME's ASCII letters compare case-insensitively (RFC 4343 §3); QTYPE and QCLASS,
        // the last four octets, are numbers and must be echoed exactly (0xD8 is not 0xF8).
        ReadOnlySpan<byte> echoed = message.Slice(HeaderLength, question.Length);
        int nameLength = question.Length - 4;
        for (int i = 0; i < question.Length; i++)
        {
            bool same = i < nameLength ? AsciiLower(echoed[i]) == AsciiLower(question[i]) : echoed[i] == question[i];
            if (!same)
            {
                return false;
            }
        }

        truncated = (flags & FlagTruncated) != 0;
        rcode = MapRcode(flags & 0x000F);
        return true;
    }

    private static byte AsciiLower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

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

    private static async Task<(DnsRcode Rcode, bool Truncated)> ExchangeUdpAsync(IPEndPoint server, byte[] query, ushort id, byte[] question, CancellationToken cancellationToken)
    {
        using var udp = new UdpClient(server.AddressFamily);
        udp.Connect(server);
        await udp.SendAsync(query, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            UdpReceiveResult received = await udp.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (TryReadResponse(received.Buffer, id, question, out DnsRcode rcode, out bool truncated))
            {
                return (rcode, truncated);
            }

            // Not our answer (wrong ID or question): keep waiting until the attempt times out.
        }
    }

    private static async Task<DnsRcode> ExchangeTcpAsync(IPEndPoint server, byte[] query, ushort id, byte[] question, CancellationToken cancellationToken)
    {
        using var tcp = new TcpClient(server.AddressFamily);
        await tcp.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
        NetworkStream stream = tcp.GetStream();

        // RFC 1035 §4.2.2: over TCP every message is prefixed by its two-octet length.
        byte[] framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await stream.WriteAsync(framed, cancellationToken).ConfigureAwait(false);

        byte[] lengthPrefix = new byte[2];
        await stream.ReadExactlyAsync(lengthPrefix, cancellationToken).ConfigureAwait(false);
        byte[] response = new byte[BinaryPrimitives.ReadUInt16BigEndian(lengthPrefix)];
        await stream.ReadExactlyAsync(response, cancellationToken).ConfigureAwait(false);
        return TryReadResponse(response, id, question, out DnsRcode rcode, out _) ? rcode : DnsRcode.None;
    }
}
