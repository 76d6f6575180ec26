using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace DaneMtaSts.Engine.Dns.Wire;

/// <summary>
/// Classic DNS to one resolver: UDP (RFC 1035 §4.2.1) with a fallback to TCP (RFC 7766 §5) when the
/// answer is truncated (TC=1, which is also how a resolver says the answer exceeds our EDNS buffer;
/// an answering datagram over <see cref="MaxDatagramBytes"/> counts as truncated too).
/// <para>
/// One query costs at most <see cref="Timeout"/> in all. Within it the datagram is re-sent on a short,
/// growing schedule (200 ms, then 400, 800, … ms after the previous send, while at least half of the
/// next wait is left in the budget), each time with a fresh random ID (RFC 5452 §4.3); any of those IDs with our question is accepted, so a late answer to an earlier
/// send still counts. Datagrams that do not answer our question (stray, spoofed, duplicates of another
/// query) are ignored and the wait goes on. A TCP fallback uses what is left of the same budget.
/// </para>
/// </summary>
public sealed class UdpTcpTransport : IDnsWireTransport
{
    /// <summary>The first re-send comes this soon (a lost datagram must not cost a whole timeout).</summary>
    public static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);

    /// <summary>At most this many datagrams per query (the schedule doubles, so this covers about 12 s).</summary>
    public const int MaxSends = 7;

    /// <summary>The largest DNS message (a TCP length prefix is 16 bits).</summary>
    public const int MaxMessageBytes = ushort.MaxValue;

    /// <summary>
    /// The largest datagram read as an answer. The engine's queries offer an EDNS buffer of 1232
    /// bytes (<see cref="DnsMessageWriter.DefaultEdnsBufferSize"/>), and a responder must not send more
    /// than it was offered (RFC 6891 §6.2.5): a larger datagram that answers the question is handled
    /// as truncated (TC=1) and asked again over TCP, never read in part.
    /// </summary>
    public const int MaxDatagramBytes = 8191;

    private readonly IPEndPoint _server;
    private readonly DnsCounters? _counters;

    public UdpTcpTransport(IPEndPoint server, TimeSpan timeout, DnsCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
        }

        _server = server;
        Timeout = timeout;
        _counters = counters;
    }

    public string Server => _server.ToString();

    /// <summary>The whole budget of one query: every datagram and a TCP fallback together.</summary>
    public TimeSpan Timeout { get; }

    public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> question = WireQuestion.Of(query);
        ushort callerId = WireQuestion.Id(query.Span);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Timeout);
        var tally = new UdpTally();
        try
        {
            byte[] response = await ExchangeUdpAsync(query, question, tally, budget.Token).ConfigureAwait(false);
            if (WireQuestion.IsTruncated(response))
            {
                // The retry over TCP is a second query to the server (it sees and counts it as one).
                tally.Truncated = true;
                _counters?.CountTcpFallback();
                _counters?.CountQuery(DnsRecordType.Name(BinaryPrimitives.ReadUInt16BigEndian(question.Span[^4..])));
                response = await ExchangeTcpAsync(query, question, budget.Token).ConfigureAwait(false);
            }

            BinaryPrimitives.WriteUInt16BigEndian(response, callerId);
            return response;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (tally.Truncated)
            {
                throw new DnsTransportException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"The answer from {Server} did not fit a datagram (TC=1), and no answer came over TCP within {Timeout.TotalSeconds:0.#} s."))
                {
                    NoAnswer = true,
                    TruncatedOverUdp = true,
                    DatagramsSent = tally.Sent,
                };
            }

            string ignored = tally.Ignored > 0
                ? string.Create(CultureInfo.InvariantCulture, $"; {tally.Ignored} datagram(s) that did not answer the query (another ID or question) were ignored")
                : string.Empty;
            throw new DnsTransportException(string.Create(
                CultureInfo.InvariantCulture,
                $"No answer from {Server} within {Timeout.TotalSeconds:0.#} s ({tally.Sent} datagram(s) sent{ignored})."))
            {
                NoAnswer = true,
                DatagramsSent = tally.Sent,
                DatagramsIgnored = tally.Ignored,
            };
        }
        catch (SocketException ex)
        {
            throw new DnsTransportException($"The query to {Server} failed: {ex.SocketErrorCode} ({ex.Message}).", ex);
        }
        catch (IOException ex)
        {
            throw new DnsTransportException($"The TCP connection to {Server} broke: {ex.Message}", ex);
        }
    }

    private async Task<byte[]> ExchangeUdpAsync(ReadOnlyMemory<byte> query, ReadOnlyMemory<byte> question, UdpTally tally, CancellationToken cancellationToken)
    {
        var socket = new Socket(_server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var sentIds = new List<ushort>(MaxSends);

        // One byte more than the largest datagram read, so that a larger one shows (on Linux a
        // datagram is cut to the buffer without an error). The buffer is pooled and goes back only
        // once no receive can write into it any more.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxDatagramBytes + 1);
        Task<int>? receive = null;
        try
        {
            await socket.ConnectAsync(_server, cancellationToken).ConfigureAwait(false);
            TimeSpan wait = FirstRetry;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            bool sending = true;
            for (int send = 0; ; send++)
            {
                // A re-send is worth it only while at least half of the wait that would follow it is
                // left in the budget; otherwise the last datagram just listens longer.
                sending = sending && send < MaxSends && (send == 0 || Timeout - clock.Elapsed >= wait / 2);
                if (sending)
                {
                    ushort id = NewId(sentIds);
                    sentIds.Add(id);
                    await socket.SendAsync(WireQuestion.WithId(query.Span, id), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    tally.Sent++;
                }

                // Wait for an answer until the next send is due (or the budget ends, after the last send).
                using var untilNextSend = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (sending && send + 1 < MaxSends)
                {
                    untilNextSend.CancelAfter(wait);
                }

                wait *= 2;
                while (true)
                {
                    receive ??= socket.ReceiveAsync(buffer.AsMemory(0, MaxDatagramBytes + 1), SocketFlags.None, cancellationToken).AsTask();
                    Task finished = await Task.WhenAny(receive, Task.Delay(System.Threading.Timeout.Infinite, untilNextSend.Token)).ConfigureAwait(false);
                    if (finished != receive)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        break; // time for the next send; the pending receive carries on
                    }

                    int length;
                    try
                    {
                        length = await receive.ConfigureAwait(false);
                    }
                    catch (SocketException ex) when (ex.SocketErrorCode == SocketError.MessageSize)
                    {
                        length = MaxDatagramBytes + 1; // Windows: the buffer is full and the rest was cut off
                    }

                    receive = null;
                    ReadOnlySpan<byte> datagram = buffer.AsSpan(0, Math.Min(length, MaxDatagramBytes));
                    foreach (ushort id in sentIds)
                    {
                        if (WireQuestion.Answers(datagram, id, question.Span))
                        {
                            byte[] answer = datagram.ToArray();
                            if (length > MaxDatagramBytes)
                            {
                                answer[2] |= 0x02; // more than was offered: truncated, ask over TCP
                            }

                            return answer;
                        }
                    }

                    // Not an answer to this question: ignore it and keep listening (RFC 5452 §9.1).
                    tally.Ignored++;
                }
            }
        }
        finally
        {
            socket.Dispose();
            if (receive is not null)
            {
                try
                {
                    await receive.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // The socket was closed under it: nothing more will be written to the buffer.
                }
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<byte[]> ExchangeTcpAsync(ReadOnlyMemory<byte> query, ReadOnlyMemory<byte> question, CancellationToken cancellationToken)
    {
        using var socket = new Socket(_server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(_server, cancellationToken).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        ushort id = NewId([]);

        // RFC 1035 §4.2.2: over TCP every message is prefixed by its two-octet length.
        byte[] framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        WireQuestion.WithId(query.Span, id).CopyTo(framed, 2);
        await stream.WriteAsync(framed, cancellationToken).ConfigureAwait(false);

        byte[] prefix = new byte[2];
        await stream.ReadExactlyAsync(prefix, cancellationToken).ConfigureAwait(false);
        byte[] response = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(response, cancellationToken).ConfigureAwait(false);
        if (!WireQuestion.Answers(response, id, question.Span))
        {
            throw new DnsTransportException($"{Server} answered over TCP with a message that does not answer the query (another ID or question); it was discarded.");
        }

        return response;
    }

    /// <summary>What one query's UDP exchange did, for the message when no answer came.</summary>
    private sealed class UdpTally
    {
        public int Sent { get; set; }

        public int Ignored { get; set; }

        public bool Truncated { get; set; }
    }

    /// <summary>A random ID (RFC 5452 §4.3), distinct from the ones already in flight for this query.</summary>
    private static ushort NewId(List<ushort> taken)
    {
        while (true)
        {
            ushort id = (ushort)RandomNumberGenerator.GetInt32(0, ushort.MaxValue + 1);
            if (!taken.Contains(id))
            {
                return id;
            }
        }
    }
}
