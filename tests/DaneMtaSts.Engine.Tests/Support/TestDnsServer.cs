using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DaneMtaSts.Engine.Tests.Support;

/// <summary>RR type numbers used by the tests (RFC 1035 §3.2.2, RFC 3596, RFC 4034, RFC 6698).</summary>
public static class DnsType
{
    public const ushort A = 1;
    public const ushort Cname = 5;
    public const ushort Soa = 6;
    public const ushort Mx = 15;
    public const ushort Txt = 16;
    public const ushort Aaaa = 28;
    public const ushort Opt = 41;
    public const ushort Dnskey = 48;
    public const ushort Tlsa = 52;
}

/// <summary>Faults the test server can inject for one name and type.</summary>
public enum TestDnsFault
{
    None,

    /// <summary>SERVFAIL without CD; with CD=1 the scripted answer (no AD): what a validator does with bad signatures.</summary>
    Bogus,

    /// <summary>SERVFAIL with or without CD: an outage.</summary>
    ServFail,

    Refused,

    /// <summary>Never answers (UDP dropped, TCP held open).</summary>
    Timeout,

    /// <summary>Answers a different question (another name) with the scripted records renamed.</summary>
    WrongName,

    /// <summary>Answers with a message ID that does not match the query.</summary>
    WrongId,

    /// <summary>Over UDP answers TC=1 without records; over TCP the full answer.</summary>
    TruncateUdp,

    /// <summary>Over UDP answers TC=1 without records; over TCP closes the connection unanswered (TCP/53 blocked on the way).</summary>
    TruncateUdpCloseTcp,
}

/// <summary>One resource record as the server sends it; <see cref="Data"/> is the RDATA on the wire.</summary>
public sealed record TestDnsRecord(string Name, ushort Type, byte[] Data, uint Ttl = 300)
{
    public static TestDnsRecord A(string name, string address) => new(name, DnsType.A, IPAddress.Parse(address).GetAddressBytes());

    public static TestDnsRecord Aaaa(string name, string address) => new(name, DnsType.Aaaa, IPAddress.Parse(address).GetAddressBytes());

    public static TestDnsRecord Cname(string name, string target) => new(name, DnsType.Cname, TestDnsServer.EncodeName(target));

    /// <summary>RFC 1035 §3.3.9: PREFERENCE then EXCHANGE; "." is the root (Null MX).</summary>
    public static TestDnsRecord Mx(string name, ushort preference, string exchange)
    {
        byte[] target = TestDnsServer.EncodeName(exchange);
        byte[] data = new byte[2 + target.Length];
        BinaryPrimitives.WriteUInt16BigEndian(data, preference);
        target.CopyTo(data, 2);
        return new(name, DnsType.Mx, data);
    }

    /// <summary>RFC 1035 §3.3.14: one or more length-prefixed character-strings.</summary>
    public static TestDnsRecord Txt(string name, params string[] strings)
    {
        var data = new List<byte>();
        foreach (string s in strings)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(s);
            data.Add((byte)bytes.Length);
            data.AddRange(bytes);
        }

        return new(name, DnsType.Txt, [.. data]);
    }

    /// <summary>RFC 6698 §2.1: usage, selector, matching type, association data.</summary>
    public static TestDnsRecord Tlsa(string name, byte usage, byte selector, byte matchingType, byte[] association) =>
        new(name, DnsType.Tlsa, [usage, selector, matchingType, .. association]);

    /// <summary>A syntactically plausible DNSKEY (flags 257, protocol 3, algorithm 13, dummy key).</summary>
    public static TestDnsRecord Dnskey(string name) => new(name, DnsType.Dnskey, [0x01, 0x01, 3, 13, .. new byte[64]]);
}

/// <summary>What the server answers for one name and type.</summary>
public sealed record TestDnsEntry
{
    /// <summary>RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED).</summary>
    public int Rcode { get; init; }

    /// <summary>AD bit, set only when the query has DO or AD (RFC 6840 §5.7).</summary>
    public bool Authenticated { get; init; }

    public IReadOnlyList<TestDnsRecord> Answers { get; init; } = [];

    public TestDnsFault Fault { get; init; }

    /// <summary>Wait before answering (for in-flight sharing tests).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Answer only the first datagram of this question; re-sends are dropped (so only a client still listening for the first answer gets one).</summary>
    public bool AnswerFirstOnly { get; init; }
}

/// <summary>One query as the server received it.</summary>
public sealed record TestDnsQuery(string Name, ushort Type, bool OverTcp, bool RecursionDesired, bool CheckingDisabled, bool DnssecOk, int? EdnsUdpSize);

/// <summary>
/// An in-process DNS responder on loopback for tests: UDP and TCP on the same ephemeral port,
/// answering from a scripted table keyed by name and type, written from RFC 1035 §4.1 (messages),
/// §4.2.2 (TCP framing) and RFC 6891 (EDNS OPT, DO echoed). It behaves like a recursive, validating
/// resolver as far as the flags go (RA, AD, CD) and can inject the faults of <see cref="TestDnsFault"/>.
/// UDP answers larger than the client's EDNS size (512 without EDNS) are truncated (TC=1).
/// </summary>
public sealed class TestDnsServer : IDisposable
{
    private readonly UdpClient _udp;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<(string Name, ushort Type), TestDnsEntry> _table = new();
    private readonly ConcurrentQueue<TestDnsQuery> _log = new();
    private readonly List<Task> _loops = [];

    private TestDnsServer(UdpClient udp, TcpListener tcp)
    {
        _udp = udp;
        _tcp = tcp;
        EndPoint = (IPEndPoint)udp.Client.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The answer for names and types not in the table; REFUSED by default so unscripted queries show.</summary>
    public TestDnsEntry DefaultEntry { get; set; } = new() { Rcode = 5 };

    public IReadOnlyList<TestDnsQuery> Queries => [.. _log];

    public int TotalQueries => _log.Count;

    /// <summary>The most distinct questions this server was working on at once (first datagram received, not yet answered or dropped); a question asked again later counts no more.</summary>
    public int PeakInFlight
    {
        get
        {
            lock (_inFlight)
            {
                return _peakInFlight;
            }
        }
    }

    private readonly HashSet<(string Name, ushort Type, bool Cd)> _inFlight = [];
    private readonly HashSet<(string Name, ushort Type, bool Cd)> _seen = [];
    private int _peakInFlight;

    /// <summary>Starts a server on 127.0.0.1 with UDP and TCP on one free port.</summary>
    public static TestDnsServer Start()
    {
        for (int attempt = 0; ; attempt++)
        {
            var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
            var tcp = new TcpListener(IPAddress.Loopback, port);
            try
            {
                tcp.Start();
            }
            catch (SocketException) when (attempt < 20)
            {
                udp.Dispose();
                continue;
            }

            var server = new TestDnsServer(udp, tcp);
            server._loops.Add(Task.Run(server.UdpLoopAsync));
            server._loops.Add(Task.Run(server.TcpLoopAsync));
            return server;
        }
    }

    /// <summary>RFC 1035 §3.1 name on the wire, uncompressed; "." or "" is the root.</summary>
    public static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (string label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            byte[] labelBytes = Encoding.ASCII.GetBytes(label);
            bytes.Add((byte)labelBytes.Length);
            bytes.AddRange(labelBytes);
        }

        bytes.Add(0);
        return [.. bytes];
    }

    public void Set(string name, ushort type, TestDnsEntry entry) => _table[(Key(name), type)] = entry;

    /// <summary>NOERROR with the records (none = NODATA), AD when <paramref name="secure"/>.</summary>
    public void Answer(string name, ushort type, bool secure, params TestDnsRecord[] records) =>
        Set(name, type, new TestDnsEntry { Authenticated = secure, Answers = records });

    public void NxDomain(string name, ushort type, bool secure, params TestDnsRecord[] records) =>
        Set(name, type, new TestDnsEntry { Rcode = 3, Authenticated = secure, Answers = records });

    /// <summary>A fault; <paramref name="secure"/> and <paramref name="records"/> are what the server says when the fault lets it answer (CD=1 for Bogus, TCP for TruncateUdp, the wrong name for WrongName, WrongId).</summary>
    public void Fault(string name, ushort type, TestDnsFault fault, bool secure = false, params TestDnsRecord[] records) =>
        Set(name, type, new TestDnsEntry { Fault = fault, Answers = records, Authenticated = secure });

    /// <summary>Queries received for a name and type, over either transport, with or without CD.</summary>
    public int QueryCount(string name, ushort type) => _log.Count(q => q.Name == Key(name) && q.Type == type);

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _tcp.Stop();
        try
        {
            Task.WaitAll([.. _loops], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loops end with the sockets; their exceptions do not matter after a test.
        }

        _stop.Dispose();
    }

    private static string Key(string name) => name.TrimEnd('.').ToLowerInvariant();

    private async Task UdpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // e.g. ICMP port unreachable reported on Windows; keep serving.
                continue;
            }

            _ = Task.Run(async () =>
            {
                byte[]? reply = await HandleAsync(received.Buffer, overTcp: false);
                if (reply is not null)
                {
                    try
                    {
                        await _udp.SendAsync(reply, received.RemoteEndPoint, _stop.Token);
                    }
                    catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
                    {
                    }
                }
            });
        }
    }

    private async Task TcpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcp.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => ServeTcpAsync(client));
        }
    }

    /// <summary>RFC 1035 §4.2.2 / RFC 7766 §6.2.1: several length-prefixed queries per connection, until the client closes.</summary>
    private async Task ServeTcpAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                byte[] prefix = new byte[2];
                while (!_stop.IsCancellationRequested)
                {
                    await stream.ReadExactlyAsync(prefix, _stop.Token);
                    byte[] query = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                    await stream.ReadExactlyAsync(query, _stop.Token);
                    byte[]? reply = await HandleAsync(query, overTcp: true);
                    if (reply is null)
                    {
                        continue;
                    }

                    if (reply.Length == 0)
                    {
                        break; // TruncateUdpCloseTcp: close without an answer
                    }

                    byte[] framed = new byte[reply.Length + 2];
                    BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)reply.Length);
                    reply.CopyTo(framed, 2);
                    await stream.WriteAsync(framed, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException or SocketException)
            {
                // Client closed the connection or the server stopped.
            }
        }
    }

    private async Task<byte[]?> HandleAsync(byte[] message, bool overTcp)
    {
        if (!TryParseQuery(message, out ParsedQuery query))
        {
            return null;
        }

        _log.Enqueue(new TestDnsQuery(query.Name, query.Type, overTcp, query.RecursionDesired, query.CheckingDisabled, query.DnssecOk, query.EdnsUdpSize));
        // Questions in flight, not datagrams: a question counts from its first datagram until that
        // datagram is answered (or dropped). Re-sends are the same query; under load they can reach
        // the server after the client already has its answer, so they are not counted at all.
        var question = (query.Name, query.Type, query.CheckingDisabled);
        bool counted;
        lock (_inFlight)
        {
            counted = _seen.Add(question);
            if (counted)
            {
                _inFlight.Add(question);
                _peakInFlight = Math.Max(_peakInFlight, _inFlight.Count);
            }
        }

        try
        {
            return await AnswerAsync(query, overTcp);
        }
        finally
        {
            if (counted)
            {
                lock (_inFlight)
                {
                    _inFlight.Remove(question);
                }
            }
        }
    }

    private async Task<byte[]?> AnswerAsync(ParsedQuery query, bool overTcp)
    {
        TestDnsEntry entry = _table.TryGetValue((query.Name, query.Type), out TestDnsEntry? scripted) ? scripted : DefaultEntry;
        if (entry.AnswerFirstOnly && _log.Count(q => q.Name == query.Name && q.Type == query.Type) > 1)
        {
            return null;
        }

        if (entry.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(entry.Delay, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        ushort id = query.Id;
        byte[] questionName = query.RawName;
        int rcode = entry.Rcode;
        bool ad = entry.Authenticated && (query.DnssecOk || query.AuthenticatedData);
        bool truncated = false;
        IReadOnlyList<TestDnsRecord> answers = entry.Answers;
        switch (entry.Fault)
        {
            case TestDnsFault.Timeout:
                return null;
            case TestDnsFault.Refused:
                rcode = 5;
                answers = [];
                ad = false;
                break;
            case TestDnsFault.ServFail:
                rcode = 2;
                answers = [];
                ad = false;
                break;
            case TestDnsFault.Bogus:
                ad = false;
                if (!query.CheckingDisabled)
                {
                    rcode = 2;
                    answers = [];
                }

                break;
            case TestDnsFault.WrongName:
                questionName = EncodeName("wrong." + query.Name);
                answers = [.. answers.Select(r => r with { Name = "wrong." + r.Name })];
                break;
            case TestDnsFault.WrongId:
                id ^= 0x5A5A;
                break;
            case TestDnsFault.TruncateUdp or TestDnsFault.TruncateUdpCloseTcp when !overTcp:
                truncated = true;
                answers = [];
                break;
            case TestDnsFault.TruncateUdpCloseTcp:
                return [];
        }

        byte[] reply = BuildResponse(id, query, questionName, rcode, ad, truncated, answers);
        int limit = Math.Max(512, query.EdnsUdpSize ?? 512);
        if (!overTcp && reply.Length > limit)
        {
            // RFC 1035 §4.2.1 / RFC 6891 §7: too large for the client's UDP buffer → TC=1, no records.
            reply = BuildResponse(id, query, questionName, rcode, ad, truncated: true, []);
        }

        return reply;
    }

    private static byte[] BuildResponse(ushort id, ParsedQuery query, byte[] questionName, int rcode, bool ad, bool truncated, IReadOnlyList<TestDnsRecord> answers)
    {
        var message = new List<byte>(512);
        ushort flags = 0x8000 | 0x0080; // QR, RA
        if (query.RecursionDesired)
        {
            flags |= 0x0100;
        }

        if (truncated)
        {
            flags |= 0x0200;
        }

        if (ad)
        {
            flags |= 0x0020;
        }

        if (query.CheckingDisabled)
        {
            flags |= 0x0010;
        }

        flags |= (ushort)(rcode & 0x0F);
        WriteUInt16(message, id);
        WriteUInt16(message, flags);
        WriteUInt16(message, 1);
        WriteUInt16(message, (ushort)answers.Count);
        WriteUInt16(message, 0);
        WriteUInt16(message, (ushort)(query.EdnsUdpSize is null ? 0 : 1));
        message.AddRange(questionName);
        WriteUInt16(message, query.Type);
        WriteUInt16(message, 1);
        foreach (TestDnsRecord record in answers)
        {
            message.AddRange(EncodeName(record.Name));
            WriteUInt16(message, record.Type);
            WriteUInt16(message, 1);
            WriteUInt16(message, (ushort)(record.Ttl >> 16));
            WriteUInt16(message, (ushort)record.Ttl);
            WriteUInt16(message, (ushort)record.Data.Length);
            message.AddRange(record.Data);
        }

        if (query.EdnsUdpSize is not null)
        {
            // RFC 6891 §6.1.2 OPT: root owner, CLASS = our UDP size, TTL = ext-rcode, version, DO echoed (RFC 3225 §3).
            message.Add(0);
            WriteUInt16(message, DnsType.Opt);
            WriteUInt16(message, 1232);
            WriteUInt16(message, 0);
            WriteUInt16(message, (ushort)(query.DnssecOk ? 0x8000 : 0));
            WriteUInt16(message, 0);
        }

        return [.. message];
    }

    private static void WriteUInt16(List<byte> message, ushort value)
    {
        message.Add((byte)(value >> 8));
        message.Add((byte)value);
    }

    private static bool TryParseQuery(byte[] message, out ParsedQuery query)
    {
        query = default;
        if (message.Length < 12)
        {
            return false;
        }

        ReadOnlySpan<byte> span = message;
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(span);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        int qdCount = BinaryPrimitives.ReadUInt16BigEndian(span[4..]);
        int anCount = BinaryPrimitives.ReadUInt16BigEndian(span[6..]);
        int nsCount = BinaryPrimitives.ReadUInt16BigEndian(span[8..]);
        int arCount = BinaryPrimitives.ReadUInt16BigEndian(span[10..]);
        if ((flags & 0x8000) != 0 || qdCount != 1)
        {
            return false;
        }

        int offset = 12;
        if (!TrySkipName(span, ref offset, out string name) || offset + 4 > span.Length)
        {
            return false;
        }

        byte[] rawName = span[12..offset].ToArray();
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(span[offset..]);
        offset += 4;
        int? ednsSize = null;
        bool dnssecOk = false;
        for (int i = 0; i < anCount + nsCount + arCount; i++)
        {
            if (!TrySkipName(span, ref offset, out _) || offset + 10 > span.Length)
            {
                return false;
            }

            ushort rrType = BinaryPrimitives.ReadUInt16BigEndian(span[offset..]);
            ushort rrClass = BinaryPrimitives.ReadUInt16BigEndian(span[(offset + 2)..]);
            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(span[(offset + 4)..]);
            int rdLength = BinaryPrimitives.ReadUInt16BigEndian(span[(offset + 8)..]);
            offset += 10 + rdLength;
            if (rrType == DnsType.Opt)
            {
                ednsSize = rrClass;
                dnssecOk = (ttl & 0x8000) != 0;
            }
        }

        query = new ParsedQuery(
            id,
            Key(name),
            rawName,
            type,
            RecursionDesired: (flags & 0x0100) != 0,
            CheckingDisabled: (flags & 0x0010) != 0,
            AuthenticatedData: (flags & 0x0020) != 0,
            dnssecOk,
            ednsSize);
        return true;
    }

    private static bool TrySkipName(ReadOnlySpan<byte> span, ref int offset, out string name)
    {
        var labels = new List<string>();
        name = string.Empty;
        while (offset < span.Length)
        {
            int length = span[offset];
            if (length == 0)
            {
                offset++;
                name = string.Join('.', labels);
                return true;
            }

            if ((length & 0xC0) != 0 || offset + 1 + length > span.Length)
            {
                return false; // queries carry no compression pointers
            }

            labels.Add(Encoding.ASCII.GetString(span.Slice(offset + 1, length)));
            offset += 1 + length;
        }

        return false;
    }

    private readonly record struct ParsedQuery(
        ushort Id,
        string Name,
        byte[] RawName,
        ushort Type,
        bool RecursionDesired,
        bool CheckingDisabled,
        bool AuthenticatedData,
        bool DnssecOk,
        int? EdnsUdpSize);
}
