using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Dns.Wire;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Tests.Support;
using Xunit;

namespace DaneMtaSts.Engine.Tests.Dns;

/// <summary>
/// The two wire transports against real sockets: UDP/TCP against <see cref="TestDnsServer"/> and
/// against a raw datagram socket the test drives by hand (strays, drops, late answers), DoH against
/// <see cref="TestHttpsServer"/> with certificates from <see cref="TestPki"/>.
/// </summary>
public sealed class WireTransportTests
{
    // Generous budgets: a hang guard, never a speed assertion.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Udp_answer_carries_the_callers_id_and_question()
    {
        using var server = TestDnsServer.Start();
        server.Answer("mx.example", DnsType.A, secure: true, TestDnsRecord.A("mx.example", "192.0.2.1"));
        var transport = new UdpTcpTransport(server.EndPoint, Budget);
        byte[] query = Query(0xBEEF, "MX.Example", DnsType.A);

        byte[] response = await transport.ExchangeAsync(query, CancellationToken.None);

        Assert.Equal(0xBEEF, BinaryPrimitives.ReadUInt16BigEndian(response));
        Assert.True(WireQuestion.Answers(response, 0xBEEF, WireQuestion.Of(query).Span));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(6))); // one answer record
        TestDnsQuery seen = Assert.Single(server.Queries);
        Assert.False(seen.OverTcp);
    }

    [Fact]
    public async Task Truncated_udp_answer_is_asked_again_over_tcp_and_counted()
    {
        using var server = TestDnsServer.Start();
        server.Fault("big.example", DnsType.Txt, TestDnsFault.TruncateUdp, secure: false, TestDnsRecord.Txt("big.example", "v=STSv1; id=1"));
        var counters = new DnsCounters();
        var transport = new UdpTcpTransport(server.EndPoint, Budget, counters);

        byte[] response = await transport.ExchangeAsync(Query(7, "big.example", DnsType.Txt), CancellationToken.None);

        Assert.False(WireQuestion.IsTruncated(response));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(6)));
        Assert.Equal(1, counters.TcpFallbacks);
        Assert.Equal([false, true], server.Queries.Select(q => q.OverTcp));
    }

    [Theory]
    [InlineData(UdpTcpTransport.MaxDatagramBytes, false)]     // the largest datagram read as it is
    [InlineData(UdpTcpTransport.MaxDatagramBytes + 1, true)]  // one byte more: truncated, asked over TCP
    [InlineData(20000, true)]
    public async Task An_answering_datagram_larger_than_the_transport_reads_is_asked_again_over_tcp(int size, bool overTcp)
    {
        using var fake = new RawUdpServer();
        var tcp = new TcpListener(IPAddress.Loopback, fake.EndPoint.Port);
        tcp.Start();
        try
        {
            var counters = new DnsCounters();
            byte[] query = Query(1, "big.example", DnsType.Txt);
            Task<byte[]> exchange = new UdpTcpTransport(fake.EndPoint, Budget, counters).ExchangeAsync(query, CancellationToken.None);

            // Over UDP an NXDOMAIN padded to the size under test (trailing octets after the message).
            (byte[] sent, IPEndPoint client) = await fake.ReceiveAsync();
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(sent);
            byte[] padded = new byte[size];
            Response(sent, id, rcode: 3).CopyTo(padded, 0);
            await fake.SendAsync(padded, client);

            // Over TCP (if asked) a NOERROR, so the test sees which answer the transport returned.
            Task<int> tcpQueries = Task.Run(async () =>
            {
                if (!overTcp)
                {
                    return 0;
                }

                using TcpClient accepted = await tcp.AcceptTcpClientAsync().WaitAsync(Budget);
                NetworkStream stream = accepted.GetStream();
                byte[] prefix = new byte[2];
                await stream.ReadExactlyAsync(prefix).AsTask().WaitAsync(Budget);
                byte[] framed = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                await stream.ReadExactlyAsync(framed).AsTask().WaitAsync(Budget);
                byte[] answer = Response(framed, BinaryPrimitives.ReadUInt16BigEndian(framed), rcode: 0);
                byte[] length = new byte[2];
                BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)answer.Length);
                await stream.WriteAsync(length);
                await stream.WriteAsync(answer);
                return 1;
            });

            byte[] response = await exchange.WaitAsync(Budget);

            Assert.Equal(overTcp ? 1 : 0, await tcpQueries.WaitAsync(Budget));
            Assert.Equal(overTcp ? 1 : 0, counters.TcpFallbacks);
            Assert.Equal(overTcp ? 0 : 3, response[3] & 0x0F);
            Assert.Equal(overTcp ? query.Length : size, response.Length);
            Assert.False(WireQuestion.IsTruncated(response));
        }
        finally
        {
            tcp.Stop();
        }
    }

    [Fact]
    public async Task Stray_and_mismatched_datagrams_are_ignored_until_the_real_answer()
    {
        using var fake = new RawUdpServer();
        byte[] query = Query(1, "mx.example", DnsType.A);
        Task<byte[]> exchange = new UdpTcpTransport(fake.EndPoint, Budget).ExchangeAsync(query, CancellationToken.None);

        (byte[] sent, IPEndPoint client) = await fake.ReceiveAsync();
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(sent);
        await fake.SendAsync(Response(sent, (ushort)(id ^ 0x5555), rcode: 3), client);          // another ID
        await fake.SendAsync(Response(Query(id, "other.example", DnsType.A), id, rcode: 3), client); // another name
        await fake.SendAsync(Response(Query(id, "mx.example", DnsType.Aaaa), id, rcode: 3), client); // another type
        byte[] notAResponse = (byte[])sent.Clone();
        await fake.SendAsync(notAResponse, client);                                                // QR=0: a query, not an answer
        await fake.SendAsync(Response(sent, id, rcode: 0), client);                                // the answer

        byte[] response = await exchange.WaitAsync(Budget);

        Assert.Equal(0, response[3] & 0x0F); // NOERROR, not the NXDOMAIN of the strays
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(response));
    }

    [Fact]
    public async Task A_lost_datagram_is_sent_again_with_a_new_id_and_the_late_answer_to_the_first_counts()
    {
        using var fake = new RawUdpServer();
        byte[] query = Query(9, "mx.example", DnsType.Mx);
        Task<byte[]> exchange = new UdpTcpTransport(fake.EndPoint, Budget).ExchangeAsync(query, CancellationToken.None);

        (byte[] first, IPEndPoint client) = await fake.ReceiveAsync();
        (byte[] second, _) = await fake.ReceiveAsync(); // sent again because the first went unanswered
        ushort firstId = BinaryPrimitives.ReadUInt16BigEndian(first);
        Assert.NotEqual(firstId, BinaryPrimitives.ReadUInt16BigEndian(second));
        Assert.Equal(first.AsSpan(2).ToArray(), second.AsSpan(2).ToArray());

        await fake.SendAsync(Response(first, firstId, rcode: 0), client);
        byte[] response = await exchange.WaitAsync(Budget);

        Assert.Equal(9, BinaryPrimitives.ReadUInt16BigEndian(response));
    }

    [Fact]
    public async Task A_silent_resolver_costs_one_budget_with_a_few_bounded_resends()
    {
        using var fake = new RawUdpServer();
        var transport = new UdpTcpTransport(fake.EndPoint, TimeSpan.FromSeconds(2));

        var ex = await Assert.ThrowsAsync<DnsTransportException>(() => transport.ExchangeAsync(Query(3, "mx.example", DnsType.A), CancellationToken.None).WaitAsync(Budget));

        Assert.Contains("No answer from", ex.Message, StringComparison.Ordinal);
        int sends = fake.Drain();
        Assert.InRange(sends, 2, UdpTcpTransport.MaxSends);
    }

    [Fact]
    public async Task Cancellation_is_not_a_transport_fault()
    {
        using var fake = new RawUdpServer();
        using var cts = new CancellationTokenSource();
        Task<byte[]> exchange = new UdpTcpTransport(fake.EndPoint, Budget).ExchangeAsync(Query(3, "mx.example", DnsType.A), cts.Token);
        await fake.ReceiveAsync();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => exchange.WaitAsync(Budget));
    }

    [Theory]
    [InlineData(new byte[] { 0, 1, 0, 0 })]
    [InlineData(new byte[] { 0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 })] // two questions
    [InlineData(new byte[] { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1 })] // compressed name
    [InlineData(new byte[] { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, (byte)'c', (byte)'o' })] // name runs past the end
    public async Task A_malformed_query_is_refused_before_sending(byte[] query)
    {
        using var fake = new RawUdpServer();
        await Assert.ThrowsAsync<ArgumentException>(() => new UdpTcpTransport(fake.EndPoint, Budget).ExchangeAsync(query, CancellationToken.None));
        Assert.Equal(0, fake.Drain());
    }

    [Fact]
    public async Task Doh_posts_the_query_with_id_zero_and_returns_the_answer_with_the_callers_id()
    {
        (X509Certificate2 leaf, X509Certificate2 intermediate, X509Certificate2 root) = TestPki.CreateChain("localhost");
        var seen = new List<(string Head, byte[] Body)>();
        await using var server = new TestHttpsServer(leaf, [intermediate], DohAnswer(seen, rcode: 0));
        using var transport = new DohTransport(new Uri($"https://localhost:{server.Port}/dns-query"), Trust(root), Budget);
        byte[] query = Query(0x1234, "mx.example", DnsType.Tlsa);

        byte[] response = await transport.ExchangeAsync(query, CancellationToken.None);

        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16BigEndian(response));
        Assert.True(WireQuestion.Answers(response, 0x1234, WireQuestion.Of(query).Span));
        (string head, byte[] body) = Assert.Single(seen);
        Assert.StartsWith("POST /dns-query HTTP/1.1", head, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/dns-message", head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(body));
        Assert.Equal(query.AsSpan(2).ToArray(), body.AsSpan(2).ToArray());
        Assert.Equal("localhost", Assert.Single(server.ServerNames));
    }

    [Fact]
    public async Task Doh_by_ip_literal_needs_a_matching_ip_san()
    {
        X509Certificate2 root = TestPki.CreateRoot();
        X509Certificate2 withIp = TestPki.CreateCertificate(root, "doh", new TestCertificateOptions { IpAddresses = [IPAddress.Loopback] });
        X509Certificate2 withName = TestPki.CreateCertificate(root, "doh", new TestCertificateOptions { DnsNames = ["127.0.0.1"], IpAddresses = [IPAddress.Parse("192.0.2.9")] });
        await using var good = new TestHttpsServer(withIp, null, DohAnswer([], rcode: 0));
        await using var bad = new TestHttpsServer(withName, null, DohAnswer([], rcode: 0));
        using var toGood = new DohTransport(new Uri($"https://127.0.0.1:{good.Port}/dns-query"), Trust(root), Budget);
        using var toBad = new DohTransport(new Uri($"https://127.0.0.1:{bad.Port}/dns-query"), Trust(root), Budget);

        byte[] response = await toGood.ExchangeAsync(Query(5, "mx.example", DnsType.A), CancellationToken.None);
        var ex = await Assert.ThrowsAsync<DnsTransportException>(() => toBad.ExchangeAsync(Query(5, "mx.example", DnsType.A), CancellationToken.None));

        Assert.Equal(5, BinaryPrimitives.ReadUInt16BigEndian(response));
        Assert.Contains("no IP address SAN 127.0.0.1", ex.Message, StringComparison.Ordinal);
        Assert.Empty(bad.Requests);
    }

    [Fact]
    public async Task Doh_refuses_a_server_whose_root_is_not_trusted()
    {
        (X509Certificate2 leaf, X509Certificate2 intermediate, _) = TestPki.CreateChain("localhost");
        X509Certificate2 otherRoot = TestPki.CreateRoot("Other Root");
        await using var server = new TestHttpsServer(leaf, [intermediate], DohAnswer([], rcode: 0));
        using var transport = new DohTransport(new Uri($"https://localhost:{server.Port}/dns-query"), Trust(otherRoot), Budget);

        var ex = await Assert.ThrowsAsync<DnsTransportException>(() => transport.ExchangeAsync(Query(5, "mx.example", DnsType.A), CancellationToken.None));

        Assert.Contains("is not accepted", ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not lead to a root", ex.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData(302, "application/dns-message", "redirects are not followed")]
    [InlineData(500, "application/dns-message", "HTTP 500")]
    [InlineData(200, "text/html", "Content-Type \"text/html\"")]
    public async Task Doh_http_faults_are_clear_transport_errors(int status, string contentType, string expected)
    {
        (X509Certificate2 leaf, X509Certificate2 intermediate, X509Certificate2 root) = TestPki.CreateChain("localhost");
        await using var server = new TestHttpsServer(leaf, [intermediate], async exchange =>
        {
            await ReadBodyAsync(exchange);
            await TestHttpsServer.Respond(status, contentType, "<html></html>", "X", "Location: https://elsewhere.example/dns-query")(exchange);
        });
        using var transport = new DohTransport(new Uri($"https://localhost:{server.Port}/dns-query"), Trust(root), Budget);

        var ex = await Assert.ThrowsAsync<DnsTransportException>(() => transport.ExchangeAsync(Query(5, "mx.example", DnsType.A), CancellationToken.None));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests); // no second request to the redirect target
    }

    [Fact]
    public async Task Doh_answer_to_another_question_or_too_large_is_refused()
    {
        (X509Certificate2 leaf, X509Certificate2 intermediate, X509Certificate2 root) = TestPki.CreateChain("localhost");
        await using var server = new TestHttpsServer(leaf, [intermediate], async exchange =>
        {
            byte[] body = await ReadBodyAsync(exchange);
            byte[] other = Response(Query(0, "other.example", DnsType.A), 0, rcode: 0);
            await WriteDnsAsync(exchange, other);
        });
        await using var huge = new TestHttpsServer(leaf, [intermediate], async exchange =>
        {
            await ReadBodyAsync(exchange);
            await exchange.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\nConnection: close\r\n\r\n"));
            await exchange.WriteAsync(new byte[UdpTcpTransport.MaxMessageBytes + 100]);
        });
        using var transport = new DohTransport(new Uri($"https://localhost:{server.Port}/dns-query"), Trust(root), Budget);
        using var toHuge = new DohTransport(new Uri($"https://localhost:{huge.Port}/dns-query"), Trust(root), Budget);

        var wrong = await Assert.ThrowsAsync<DnsTransportException>(() => transport.ExchangeAsync(Query(5, "mx.example", DnsType.A), CancellationToken.None));
        var large = await Assert.ThrowsAsync<DnsTransportException>(() => toHuge.ExchangeAsync(Query(5, "mx.example", DnsType.A), CancellationToken.None));

        Assert.Contains("does not answer the query", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("more than 65535 bytes", large.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://dns.example/dns-query")]
    [InlineData("https://user@dns.example/dns-query")]
    [InlineData("https://dns.example/dns-query#x")]
    public void Doh_endpoint_must_be_a_plain_https_url(string url)
    {
        Assert.False(DohTransport.TryValidateEndpoint(new Uri(url), out string? error));
        Assert.NotNull(error);
        Assert.Throws<ArgumentException>(() => new DohTransport(new Uri(url), new PkixTrust(), Budget));
    }

    private static PkixTrust Trust(X509Certificate2 root) => new() { ExtraRoots = [root], UseSystemRoots = false };

    /// <summary>A query with RD=1 and one question (RFC 1035 §4.1.1, §4.1.2).</summary>
    internal static byte[] Query(ushort id, string name, ushort type)
    {
        byte[] qname = TestDnsServer.EncodeName(name);
        byte[] message = new byte[12 + qname.Length + 4];
        BinaryPrimitives.WriteUInt16BigEndian(message, id);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), 0x0100);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), 1);
        qname.CopyTo(message, 12);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(12 + qname.Length), type);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(14 + qname.Length), 1);
        return message;
    }

    /// <summary>The query turned into an empty response (QR=1, RA=1) with ID and RCODE given.</summary>
    private static byte[] Response(byte[] query, ushort id, int rcode)
    {
        byte[] response = (byte[])query.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(response, id);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(2), (ushort)(0x8180 | rcode));
        return response;
    }

    private static Func<HttpExchange, Task> DohAnswer(List<(string Head, byte[] Body)> seen, int rcode) => async exchange =>
    {
        byte[] body = await ReadBodyAsync(exchange);
        lock (seen)
        {
            seen.Add((exchange.RequestHead, body));
        }

        await WriteDnsAsync(exchange, Response(body, BinaryPrimitives.ReadUInt16BigEndian(body), rcode));
    };

    private static async Task WriteDnsAsync(HttpExchange exchange, byte[] message)
    {
        await exchange.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\nContent-Length: {message.Length}\r\nConnection: close\r\n\r\n"));
        await exchange.WriteAsync(message);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpExchange exchange)
    {
        string? lengthLine = exchange.RequestHead.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        int length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        byte[] body = new byte[length];
        await exchange.Stream.ReadExactlyAsync(body, exchange.CancellationToken);
        return body;
    }

    /// <summary>A bare UDP socket on loopback that the test reads from and writes to by hand.</summary>
    private sealed class RawUdpServer : IDisposable
    {
        private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));

        public IPEndPoint EndPoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

        public async Task<(byte[] Datagram, IPEndPoint From)> ReceiveAsync()
        {
            UdpReceiveResult received = await _udp.ReceiveAsync().WaitAsync(Budget);
            return (received.Buffer, received.RemoteEndPoint);
        }

        public Task SendAsync(byte[] datagram, IPEndPoint to) => _udp.SendAsync(datagram, to).AsTask();

        /// <summary>How many datagrams are waiting, read and discarded.</summary>
        public int Drain()
        {
            int count = 0;
            while (_udp.Available > 0)
            {
                IPEndPoint? from = null;
                _udp.Receive(ref from);
                count++;
            }

            return count;
        }

        public void Dispose() => _udp.Dispose();
    }
}
