using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.Tests.Support;
using DaneMtaSts.Engine.TlsRpt;

namespace DaneMtaSts.Engine.Tests.MtaSts;

public sealed class MtaStsPolicyFetcherTests : IAsyncDisposable
{
    internal const string GoodPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: *.mail.example.test\r\nmax_age: 86400\r\n";

    private const string Domain = "example.test";
    private const string PolicyHost = "mta-sts.example.test";

    private readonly X509Certificate2 _root;
    private readonly X509Certificate2 _intermediate;
    private readonly X509Certificate2 _leaf;
    private readonly RecordedDnsResolver _dns = new();
    private TestHttpsServer? _server;

    public MtaStsPolicyFetcherTests()
    {
        (_leaf, _intermediate, _root) = TestPki.CreateChain(PolicyHost);
        _dns.AddAddresses(PolicyHost, IPAddress.Loopback);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private TestHttpsServer Serve(Func<HttpExchange, Task> handler, X509Certificate2? leaf = null, X509Certificate2[]? intermediates = null)
    {
        _server = new TestHttpsServer(leaf ?? _leaf, intermediates ?? [_intermediate], handler);
        return _server;
    }

    private MtaStsPolicyFetcher Fetcher(TimeSpan? timeout = null, PkixTrust? trust = null, DateTimeOffset? asOf = null) =>
        new(_dns, new MtaStsFetchOptions
        {
            Port = _server!.Port,
            Timeout = timeout ?? TimeSpan.FromSeconds(10),
            Trust = trust ?? new PkixTrust { ExtraRoots = [_root], UseSystemRoots = false },
            AsOf = asOf,
        });

    private async Task<MtaStsFetchResult> FetchAsync(TimeSpan? timeout = null, PkixTrust? trust = null, DateTimeOffset? asOf = null)
    {
        using var fetcher = Fetcher(timeout, trust, asOf);
        return await fetcher.FetchAsync(Domain, CancellationToken.None);
    }

    [Fact]
    public async Task Valid_policy_is_fetched_through_the_engine_resolver_with_SNI()
    {
        var server = Serve(TestHttpsServer.Policy(GoodPolicy));
        MtaStsFetchResult result = await FetchAsync();

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(MtaStsFetchFailure.None, result.Failure);
        Assert.Null(result.ResultType);
        Assert.Equal(["mx1.example.test", "*.mail.example.test"], result.Policy!.Mx);
        Assert.Equal(GoodPolicy, result.RawText);
        Assert.Equal(200, result.StatusCode);
        Assert.True(result.Pkix!.Valid);
        Assert.Equal($"127.0.0.1:{server.Port}", result.RemoteAddress);
        Assert.Contains($"A/AAAA {PolicyHost}", _dns.Questions);
        Assert.Equal([PolicyHost], server.ServerNames);
        Assert.StartsWith("GET /.well-known/mta-sts.txt HTTP/1.1\r\n", server.Requests[0], StringComparison.Ordinal);
        Assert.Contains($"Host: {PolicyHost}:{server.Port}", server.Requests[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Media_type_parameters_are_allowed()
    {
        Serve(TestHttpsServer.Respond(200, "Text/Plain; charset=utf-8", GoodPolicy, "OK"));
        Assert.True((await FetchAsync()).Succeeded);
    }

    [Fact]
    public async Task Body_of_exactly_64_KiB_is_accepted()
    {
        var body = new StringBuilder(GoodPolicy);
        string padLine = "x-pad: " + new string('a', 100) + "\n";
        while (body.Length + padLine.Length <= MtaStsPolicyFetcher.MaxBodyBytes)
        {
            body.Append(padLine);
        }

        body.Append(new string(' ', MtaStsPolicyFetcher.MaxBodyBytes - body.Length));
        Assert.Equal(MtaStsPolicyFetcher.MaxBodyBytes, Encoding.UTF8.GetByteCount(body.ToString()));
        Serve(TestHttpsServer.Policy(body.ToString()));
        MtaStsFetchResult result = await FetchAsync();
        Assert.True(result.Succeeded, result.Detail);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    public async Task Redirects_are_refused(int status)
    {
        var server = Serve(TestHttpsServer.Respond(status, "text/plain", "", "Moved", "Location: https://other.example.test/.well-known/mta-sts.txt"));
        MtaStsFetchResult result = await FetchAsync();
        Assert.Equal(MtaStsFetchFailure.Redirect, result.Failure);
        Assert.Contains("redirects are not allowed (RFC 8461 §3.3)", result.Detail, StringComparison.Ordinal);
        Assert.Contains("other.example.test", result.Detail, StringComparison.Ordinal);
        Assert.Equal(TlsRptResultType.StsPolicyFetchError, result.ResultType);
        Assert.Equal(1, server.ConnectionCount);
        Assert.Null(result.Policy);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(500)]
    [InlineData(204)]
    public async Task Statuses_other_than_200_fail(int status)
    {
        Serve(TestHttpsServer.Respond(status, "text/plain", GoodPolicy, "Nope"));
        MtaStsFetchResult result = await FetchAsync();
        Assert.Equal(MtaStsFetchFailure.HttpStatus, result.Failure);
        Assert.Equal(status, result.StatusCode);
        Assert.Equal(TlsRptResultType.StsPolicyFetchError, result.ResultType);
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("application/octet-stream")]
    [InlineData(null)]
    public async Task Media_types_other_than_text_plain_fail(string? contentType)
    {
        Serve(TestHttpsServer.Respond(200, contentType, GoodPolicy, "OK"));
        MtaStsFetchResult result = await FetchAsync();
        Assert.Equal(MtaStsFetchFailure.MediaType, result.Failure);
        Assert.Contains("text/plain", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversize_by_content_length_fails_without_reading_the_body()
    {
        Serve(async exchange =>
        {
            await exchange.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 70000\r\n\r\n");
            await Task.Delay(Timeout.Infinite, exchange.CancellationToken);
        });
        var stopwatch = Stopwatch.StartNew();
        MtaStsFetchResult result = await FetchAsync();
        Assert.Equal(MtaStsFetchFailure.TooLarge, result.Failure);
        Assert.Contains("70000", result.Detail, StringComparison.Ordinal);
        // TooLarge rather than Timeout proves the body was never awaited.
        HangGuard.Check(stopwatch.Elapsed, "refusing the oversize policy");
    }

    [Fact]
    public async Task Oversize_while_streaming_without_content_length_fails()
    {
        Serve(async exchange =>
        {
            await exchange.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" + GoodPolicy);
            byte[] chunk = Encoding.ASCII.GetBytes("x-pad: " + new string('b', 1000) + "\n");
            for (int i = 0; i < 200; i++)
            {
                await exchange.WriteAsync(chunk);
            }
        });
        MtaStsFetchResult result = await FetchAsync();
        Assert.Equal(MtaStsFetchFailure.TooLarge, result.Failure);
        Assert.Contains("more than 65536", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_dripping_slowly_stops_at_the_timeout()
    {
        Serve(async exchange =>
        {
            await exchange.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n");
            for (int i = 0; i < 1000; i++)
            {
                await exchange.WriteAsync("v");
                await Task.Delay(200, exchange.CancellationToken);
            }
        });
        var stopwatch = Stopwatch.StartNew();
        MtaStsFetchResult result = await FetchAsync(TimeSpan.FromSeconds(1.5));
        Assert.Equal(MtaStsFetchFailure.Timeout, result.Failure);
        Assert.Contains("while the body was being read", result.Detail, StringComparison.Ordinal);
        // Not before the deadline; and far below the 200 s the trickle lasts, so the deadline covers
        // the whole body, not each read (the upper bound is only the hang guard).
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromSeconds(1.4), $"gave up after {stopwatch.Elapsed}");
        HangGuard.Check(stopwatch.Elapsed, "the trickled body");
        Assert.Equal(TlsRptResultType.StsPolicyFetchError, result.ResultType);
    }

    [Fact]
    public async Task Server_that_never_answers_times_out()
    {
        Serve(exchange => Task.Delay(Timeout.Infinite, exchange.CancellationToken));
        var stopwatch = Stopwatch.StartNew();
        MtaStsFetchResult result = await FetchAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(MtaStsFetchFailure.Timeout, result.Failure);
        Assert.Contains("before the response headers arrived", result.Detail, StringComparison.Ordinal);
        HangGuard.Check(stopwatch.Elapsed, "the silent server");
    }

    [Fact]
    public async Task Certificate_for_another_name_is_a_webpki_failure()
    {
        var wrong = TestPki.CreateLeaf(_intermediate, "www.example.test", ["www.example.test"]);
        var server = Serve(TestHttpsServer.Policy(GoodPolicy), leaf: wrong);
        MtaStsFetchResult result = await FetchAsync();
        Assert.Equal(MtaStsFetchFailure.Tls, result.Failure);
        Assert.Equal(PkixFailure.NameMismatch, result.Pkix!.Failure);
        Assert.Equal(TlsRptResultType.StsWebPkiInvalid, result.ResultType);
        Assert.Contains("www.example.test", result.Detail, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Certificate_from_an_untrusted_root_is_a_webpki_failure()
    {
        Serve(TestHttpsServer.Policy(GoodPolicy));
        var otherRoot = TestPki.CreateRoot("Some Other Root");
        MtaStsFetchResult result = await FetchAsync(trust: new PkixTrust { ExtraRoots = [otherRoot], UseSystemRoots = false });
        Assert.Equal(MtaStsFetchFailure.Tls, result.Failure);
        Assert.Equal(PkixFailure.Untrusted, result.Pkix!.Failure);
        Assert.Equal(TlsRptResultType.StsWebPkiInvalid, result.ResultType);
    }

    [Fact]
    public async Task Server_that_omits_its_intermediate_is_untrusted()
    {
        Serve(TestHttpsServer.Policy(GoodPolicy), intermediates: []);
        MtaStsFetchResult result = await FetchAsync();
        Assert.Equal(PkixFailure.Untrusted, result.Pkix!.Failure);
    }

    [Fact]
    public async Task Certificate_expired_at_asOf_is_a_webpki_failure()
    {
        Serve(TestHttpsServer.Policy(GoodPolicy));
        MtaStsFetchResult result = await FetchAsync(asOf: _leaf.NotAfter.ToUniversalTime().AddDays(1));
        Assert.Equal(MtaStsFetchFailure.Tls, result.Failure);
        Assert.Equal(PkixFailure.Expired, result.Pkix!.Failure);
    }

    [Fact]
    public async Task Invalid_policy_body_is_a_parse_failure_with_the_raw_text()
    {
        const string body = "version: STSv1\nmode: enforce\nmax_age: 86400\n";
        Serve(TestHttpsServer.Policy(body));
        MtaStsFetchResult result = await FetchAsync();
        Assert.Equal(MtaStsFetchFailure.Parse, result.Failure);
        Assert.Equal(TlsRptResultType.StsPolicyInvalid, result.ResultType);
        Assert.Equal(body, result.RawText);
        Assert.Contains("'mx'", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_that_is_not_utf8_is_a_parse_failure()
    {
        Serve(async exchange =>
        {
            byte[] body = [.. Encoding.ASCII.GetBytes("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\nx: "), 0xC3, 0x28, (byte)'\n'];
            await exchange.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n");
            await exchange.WriteAsync(body);
        });
        MtaStsFetchResult result = await FetchAsync();
        Assert.Equal(MtaStsFetchFailure.Parse, result.Failure);
        Assert.Contains("UTF-8", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Policy_host_without_address_is_a_dns_failure_and_the_system_resolver_is_not_used()
    {
        var server = Serve(TestHttpsServer.Policy(GoodPolicy));

        // "localhost"-like names would resolve through the system; the recorded resolver says NXDOMAIN.
        using var fetcher = Fetcher();
        MtaStsFetchResult result = await fetcher.FetchAsync("localhost.test", CancellationToken.None);
        Assert.Equal(MtaStsFetchFailure.Dns, result.Failure);
        Assert.Contains("NXDOMAIN", result.Detail, StringComparison.Ordinal);
        Assert.Equal(TlsRptResultType.StsPolicyFetchError, result.ResultType);
        Assert.Equal(0, server.ConnectionCount);
    }

    [Fact]
    public async Task Address_lookup_failure_is_a_dns_failure()
    {
        Serve(TestHttpsServer.Policy(GoodPolicy));
        _dns.SetAddresses(new global::DaneMtaSts.Engine.Dns.DnsAnswer<IPAddress> { Name = PolicyHost, Type = "A/AAAA", Status = DnsSecStatus.Failed, Rcode = DaneMtaSts.Engine.Dns.DnsRcode.ServFail, Failure = "timed out" });
        MtaStsFetchResult result = await FetchAsync();
        Assert.Equal(MtaStsFetchFailure.Dns, result.Failure);
        Assert.Contains("timed out", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_address_is_tried_until_one_connects()
    {
        var server = Serve(TestHttpsServer.Policy(GoodPolicy));

        // 127.0.0.2 is loopback too, but nothing listens there on the server's port (bound to 127.0.0.1).
        _dns.AddAddresses(PolicyHost, IPAddress.Parse("127.0.0.2"), IPAddress.Loopback);
        MtaStsFetchResult result = await FetchAsync();
        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal($"127.0.0.1:{server.Port}", result.RemoteAddress);
    }

    // docs/architecture.md#bounded-memory: what a fetch recorded about its host (the certificate
    // check, the address it connected to) is in its result and is not kept after it.
    [Fact]
    public async Task A_fetch_keeps_no_records_of_its_host_once_it_ends()
    {
        Serve(TestHttpsServer.Policy(GoodPolicy));
        var wrong = TestPki.CreateLeaf(_intermediate, "www.example.test", ["www.example.test"]);
        using var fetcher = Fetcher();
        MtaStsFetchResult ok = await fetcher.FetchAsync(Domain, CancellationToken.None);
        Assert.True(ok.Succeeded, ok.Detail);
        Assert.True(ok.Pkix!.Valid);
        Assert.NotNull(ok.RemoteAddress);
        Assert.Equal(0, fetcher.RecordsHeld);

        await _server!.DisposeAsync();
        _server = new TestHttpsServer(wrong, [_intermediate], TestHttpsServer.Policy(GoodPolicy));
        using var second = Fetcher();
        MtaStsFetchResult failed = await second.FetchAsync(Domain, CancellationToken.None);
        Assert.Equal(MtaStsFetchFailure.Tls, failed.Failure);
        Assert.Equal(PkixFailure.NameMismatch, failed.Pkix!.Failure);
        Assert.Equal(0, second.RecordsHeld);
    }

    [Fact]
    public async Task Closed_port_is_a_connect_failure()
    {
        Serve(TestHttpsServer.Policy(GoodPolicy));
        int port = _server!.Port;
        await _server.DisposeAsync();
        _server = null;
        using var fetcher = new MtaStsPolicyFetcher(_dns, new MtaStsFetchOptions { Port = port, Trust = new PkixTrust { ExtraRoots = [_root], UseSystemRoots = false } });
        MtaStsFetchResult result = await fetcher.FetchAsync(Domain, CancellationToken.None);
        Assert.Equal(MtaStsFetchFailure.Connect, result.Failure);
        Assert.Contains("accepted a connection", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Caller_cancellation_throws()
    {
        Serve(exchange => Task.Delay(Timeout.Infinite, exchange.CancellationToken));
        using var fetcher = Fetcher();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetcher.FetchAsync(Domain, cts.Token));
    }

    [Fact]
    public void Bad_port_is_refused()
    {
        var ex = Assert.Throws<EngineException>(() => new MtaStsPolicyFetcher(_dns, new MtaStsFetchOptions { Port = 0 }));
        Assert.Equal("InvalidPort", ex.ErrorId);
    }

    [Fact]
    public void Policy_url_uses_the_well_known_path()
    {
        using var fetcher = new MtaStsPolicyFetcher(_dns);
        Assert.Equal("https://mta-sts.example.test/.well-known/mta-sts.txt", fetcher.PolicyUrl("example.test").ToString());
    }
}
