using System.Diagnostics;
using System.Net;
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Dns;

public sealed class DnsResolverTests : IDisposable
{
    private readonly TestDnsServer _server = TestDnsServer.Start();

    public void Dispose() => _server.Dispose();

    private DnsResolver NewResolver(TimeSpan? timeout = null, int retries = 1, bool useCache = true, string knownSigned = ".") =>
        new(new DnsResolverOptions
        {
            Servers = [_server.EndPoint],
            Timeout = timeout ?? TimeSpan.FromSeconds(3),
            Retries = retries,
            UseCache = useCache,
            KnownSignedName = knownSigned,
        });

    [Fact]
    public async Task Secure_answer_has_AD_and_the_query_sets_RD_DO_and_EDNS_1232()
    {
        _server.Answer("example.test", DnsType.Mx, secure: true, TestDnsRecord.Mx("example.test", 10, "MX1.Example.Test."));
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Secure, answer.Status);
        Assert.Equal(DnsRcode.NoError, answer.Rcode);
        Assert.True(answer.IsUsable);
        Assert.Equal([new MxRecordData(10, "mx1.example.test")], answer.Records);
        Assert.Equal(_server.EndPoint.ToString(), answer.Server);
        Assert.Null(answer.Failure);
        TestDnsQuery query = Assert.Single(_server.Queries);
        Assert.True(query.RecursionDesired);
        Assert.True(query.DnssecOk);
        Assert.False(query.CheckingDisabled);
        Assert.Equal(1232, query.EdnsUdpSize);
        Assert.False(query.OverTcp);
    }

    [Fact]
    public async Task Answer_without_AD_is_insecure()
    {
        _server.Answer("example.test", DnsType.Mx, secure: false, TestDnsRecord.Mx("example.test", 10, "mx.example.test"));
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Insecure, answer.Status);
        Assert.True(answer.IsUsable);
        Assert.Single(answer.Records);
    }

    [Fact]
    public async Task Secure_NXDOMAIN_is_a_secure_usable_answer()
    {
        _server.NxDomain("gone.example.test", DnsType.Mx, secure: true);
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("gone.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Secure, answer.Status);
        Assert.True(answer.IsNxDomain);
        Assert.True(answer.IsUsable);
        Assert.False(answer.IsNoData);
        Assert.Empty(answer.Records);
    }

    [Fact]
    public async Task NOERROR_without_records_is_NODATA()
    {
        _server.Answer("_25._tcp.mx.example.test", DnsType.Tlsa, secure: true);
        using DnsResolver dns = NewResolver();

        DnsAnswer<global::DaneMtaSts.Engine.Dane.TlsaRecord> answer = await dns.QueryTlsaAsync("_25._tcp.mx.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Secure, answer.Status);
        Assert.True(answer.IsNoData);
        Assert.False(answer.IsNxDomain);
    }

    [Fact]
    public async Task SERVFAIL_that_resolves_with_CD_is_bogus()
    {
        _server.Fault("_25._tcp.mx.example.test", DnsType.Tlsa, TestDnsFault.Bogus, false, TestDnsRecord.Tlsa("_25._tcp.mx.example.test", 3, 1, 1, new byte[32]));
        using DnsResolver dns = NewResolver();

        DnsAnswer<global::DaneMtaSts.Engine.Dane.TlsaRecord> answer = await dns.QueryTlsaAsync("_25._tcp.mx.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Bogus, answer.Status);
        Assert.Equal(DnsRcode.ServFail, answer.Rcode);
        Assert.False(answer.IsUsable);
        Assert.Empty(answer.Records); // the CD=1 data must never be used
        Assert.Contains($"SERVFAIL from {_server.EndPoint}", answer.Failure, StringComparison.Ordinal);
        Assert.Contains("CD=1", answer.Failure, StringComparison.Ordinal);
        Assert.Contains("bogus", answer.Failure, StringComparison.Ordinal);
        Assert.Contains(_server.Queries, q => q.CheckingDisabled && q.DnssecOk && q.Type == DnsType.Tlsa);
    }

    [Fact]
    public async Task SERVFAIL_also_with_CD_is_failed_not_bogus()
    {
        _server.Fault("mx.example.test", DnsType.A, TestDnsFault.ServFail);
        using DnsResolver dns = NewResolver();

        DnsAnswer<IPAddress> answer = await dns.QueryAddressesAsync("mx.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Failed, answer.Status);
        Assert.Contains("CD=1", answer.Failure, StringComparison.Ordinal);
        Assert.Contains("other than DNSSEC", answer.Failure, StringComparison.Ordinal);
        Assert.Equal(1, _server.Queries.Count(q => q.CheckingDisabled && q.Type == DnsType.A));
    }

    [Fact]
    public async Task REFUSED_is_failed_and_named()
    {
        _server.Fault("example.test", DnsType.Mx, TestDnsFault.Refused);
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Failed, answer.Status);
        Assert.Equal(DnsRcode.Refused, answer.Rcode);
        Assert.Contains($"REFUSED from {_server.EndPoint}", answer.Failure, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.Queries, q => q.CheckingDisabled); // only SERVFAIL is probed with CD
    }

    [Fact]
    public async Task Timeout_is_failed_within_the_bounded_attempts()
    {
        _server.Fault("slow.example.test", DnsType.Mx, TestDnsFault.Timeout);
        using DnsResolver dns = NewResolver(timeout: TimeSpan.FromMilliseconds(300), retries: 1);

        var clock = Stopwatch.StartNew();
        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("slow.example.test", CancellationToken.None);
        clock.Stop();

        Assert.Equal(DnsSecStatus.Failed, answer.Status);
        Assert.Equal(DnsRcode.None, answer.Rcode);
        Assert.Contains("No answer from", answer.Failure, StringComparison.Ordinal);
        Assert.Equal(2, _server.QueryCount("slow.example.test", DnsType.Mx)); // one try + one retry
        HangGuard.Check(clock.Elapsed, "two bounded attempts"); // the query count above is the proof
    }

    [Fact]
    public async Task Answer_for_another_name_is_not_accepted()
    {
        _server.Fault("example.test", DnsType.Mx, TestDnsFault.WrongName, true, TestDnsRecord.Mx("example.test", 10, "evil.example.test"));
        using DnsResolver dns = NewResolver(timeout: TimeSpan.FromMilliseconds(500));

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("example.test", CancellationToken.None);

        // Ignored, not taken as the outcome (RFC 5452 §9.1: one forged datagram must not decide a
        // lookup), and the failure says what came instead of an answer.
        Assert.Equal(DnsSecStatus.Failed, answer.Status);
        Assert.Empty(answer.Records);
        Assert.Contains("No answer from", answer.Failure, StringComparison.Ordinal);
        Assert.Contains("did not answer the question", answer.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answer_with_a_wrong_message_id_is_not_accepted()
    {
        _server.Fault("example.test", DnsType.Mx, TestDnsFault.WrongId, true, TestDnsRecord.Mx("example.test", 10, "evil.example.test"));
        using DnsResolver dns = NewResolver(timeout: TimeSpan.FromMilliseconds(500));

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Failed, answer.Status);
        Assert.Empty(answer.Records);
        Assert.Contains("did not answer the question (another message ID or question) were ignored", answer.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truncated_UDP_answer_is_retried_over_TCP_and_counted()
    {
        _server.Fault("example.test", DnsType.Mx, TestDnsFault.TruncateUdp, true, TestDnsRecord.Mx("example.test", 10, "mx.example.test"));
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Secure, answer.Status);
        Assert.Equal("mx.example.test", Assert.Single(answer.Records).Exchange);
        Assert.Equal(1, dns.Counters.TcpFallbacks);
        Assert.Contains(_server.Queries, q => q.OverTcp && q.Type == DnsType.Mx);
        Assert.Contains(_server.Queries, q => !q.OverTcp && q.Type == DnsType.Mx);
    }

    [Fact]
    public async Task Bogus_answer_over_TCP_is_probed_with_CD_over_TCP_too()
    {
        // An answer too large for UDP both without and with CD: the CD probe needs its own TCP fallback.
        TestDnsRecord[] many = [.. Enumerable.Range(0, 100).Select(i => TestDnsRecord.Mx("big.example.test", 10, $"mx{i}.a-rather-long-mail-host-name.example.test"))];
        _server.Fault("big.example.test", DnsType.Mx, TestDnsFault.Bogus, false, many);
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("big.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Bogus, answer.Status);
        Assert.Contains(_server.Queries, q => q.OverTcp && q.CheckingDisabled);
    }

    [Fact]
    public async Task CNAME_chain_in_one_answer_is_followed_and_recorded()
    {
        _server.Answer(
            "mail.example.test",
            DnsType.A,
            secure: true,
            TestDnsRecord.Cname("mail.example.test", "a.example.net"),
            TestDnsRecord.Cname("a.example.net", "b.example.org"),
            TestDnsRecord.A("b.example.org", "192.0.2.10"),
            TestDnsRecord.A("unrelated.example.test", "192.0.2.66"));
        _server.Answer("mail.example.test", DnsType.Aaaa, secure: true, TestDnsRecord.Cname("mail.example.test", "a.example.net"), TestDnsRecord.Cname("a.example.net", "b.example.org"));
        _server.Answer("b.example.org", DnsType.Aaaa, secure: true);
        using DnsResolver dns = NewResolver();

        DnsAnswer<IPAddress> answer = await dns.QueryAddressesAsync("mail.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Secure, answer.Status);
        Assert.Equal([IPAddress.Parse("192.0.2.10")], answer.Records);
        Assert.Equal(["a.example.net", "b.example.org"], answer.CnameChain);
        Assert.Equal("b.example.org", answer.CanonicalName);
        Assert.Equal(DnsSecStatus.Secure, answer.FirstLinkStatus);
        Assert.Equal(0, _server.QueryCount("mail.example.test", DnsType.Cname)); // secure chain: no first-link query
    }

    [Fact]
    public async Task Answer_ending_in_a_CNAME_is_completed_by_asking_the_target()
    {
        _server.Answer("_25._tcp.mx.example.test", DnsType.Tlsa, secure: true, TestDnsRecord.Cname("_25._tcp.mx.example.test", "tlsa.example.net"));
        _server.Answer("tlsa.example.net", DnsType.Tlsa, secure: true, TestDnsRecord.Tlsa("tlsa.example.net", 3, 1, 1, [0xAB, 0xCD]));
        using DnsResolver dns = NewResolver();

        DnsAnswer<global::DaneMtaSts.Engine.Dane.TlsaRecord> answer = await dns.QueryTlsaAsync("_25._tcp.mx.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Secure, answer.Status);
        Assert.Equal(["tlsa.example.net"], answer.CnameChain);
        Assert.Equal(new global::DaneMtaSts.Engine.Dane.TlsaRecord(3, 1, 1, [0xAB, 0xCD]), Assert.Single(answer.Records));
        Assert.Equal(1, _server.QueryCount("tlsa.example.net", DnsType.Tlsa));
    }

    [Fact]
    public async Task Insecure_chain_asks_for_the_first_link_alone()
    {
        _server.Answer("mx.example.test", DnsType.A, secure: false, TestDnsRecord.Cname("mx.example.test", "mx.provider.test"), TestDnsRecord.A("mx.provider.test", "192.0.2.20"));
        _server.Answer("mx.example.test", DnsType.Aaaa, secure: false, TestDnsRecord.Cname("mx.example.test", "mx.provider.test"));
        _server.Answer("mx.provider.test", DnsType.Aaaa, secure: false);
        _server.Answer("mx.example.test", DnsType.Cname, secure: true, TestDnsRecord.Cname("mx.example.test", "mx.provider.test"));
        using DnsResolver dns = NewResolver();

        DnsAnswer<IPAddress> answer = await dns.QueryAddressesAsync("mx.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Insecure, answer.Status);
        Assert.Equal(DnsSecStatus.Secure, answer.FirstLinkStatus);
        Assert.Equal(1, _server.QueryCount("mx.example.test", DnsType.Cname)); // cached for both families
    }

    [Fact]
    public async Task First_link_secure_answer_without_the_link_is_not_secure()
    {
        _server.Answer("mx.example.test", DnsType.Mx, secure: false, TestDnsRecord.Cname("mx.example.test", "other.example.net"), TestDnsRecord.Mx("other.example.net", 5, "x.example.net"));
        _server.Answer("mx.example.test", DnsType.Cname, secure: true);
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("mx.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Insecure, answer.FirstLinkStatus);
    }

    [Fact]
    public async Task CNAME_loop_is_failed_with_a_clear_reason()
    {
        _server.Answer("a.example.test", DnsType.Mx, secure: true, TestDnsRecord.Cname("a.example.test", "b.example.test"), TestDnsRecord.Cname("b.example.test", "a.example.test"));
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("a.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Failed, answer.Status);
        Assert.False(answer.IsUsable);
        Assert.Contains("CNAME loop", answer.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CNAME_loop_across_queries_is_detected()
    {
        _server.Answer("a.example.test", DnsType.Mx, secure: true, TestDnsRecord.Cname("a.example.test", "b.example.test"));
        _server.Answer("b.example.test", DnsType.Mx, secure: true, TestDnsRecord.Cname("b.example.test", "a.example.test"));
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("a.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Failed, answer.Status);
        Assert.Contains("CNAME loop", answer.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CNAME_chain_longer_than_eight_links_is_failed()
    {
        TestDnsRecord[] chain = [.. Enumerable.Range(0, 10).Select(i => TestDnsRecord.Cname($"c{i}.example.test", $"c{i + 1}.example.test"))];
        _server.Answer("c0.example.test", DnsType.Mx, true, [.. chain, TestDnsRecord.Mx("c10.example.test", 1, "mx.example.test")]);
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("c0.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Failed, answer.Status);
        Assert.Contains("longer than 8", answer.Failure, StringComparison.Ordinal);
        Assert.Empty(answer.Records);
    }

    [Fact]
    public async Task Chain_of_exactly_eight_links_is_followed()
    {
        TestDnsRecord[] chain = [.. Enumerable.Range(0, 8).Select(i => TestDnsRecord.Cname($"c{i}.example.test", $"c{i + 1}.example.test"))];
        _server.Answer("c0.example.test", DnsType.Mx, true, [.. chain, TestDnsRecord.Mx("c8.example.test", 1, "mx.example.test")]);
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("c0.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Secure, answer.Status);
        Assert.Equal(8, answer.CnameChain.Count);
        Assert.Single(answer.Records);
    }

    [Fact]
    public async Task Concurrent_identical_queries_share_one_query_on_the_wire()
    {
        _server.Set("example.test", DnsType.Mx, new TestDnsEntry
        {
            Authenticated = true,
            Answers = [TestDnsRecord.Mx("example.test", 10, "mx.example.test")],
            Delay = TimeSpan.FromMilliseconds(300),
        });
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData>[] answers = await Task.WhenAll(
            dns.QueryMxAsync("example.test", CancellationToken.None),
            dns.QueryMxAsync("EXAMPLE.test.", CancellationToken.None));

        Assert.All(answers, a => Assert.Equal(DnsSecStatus.Secure, a.Status));
        Assert.Equal(1, dns.Counters.CacheHits);
        Assert.Equal(1, dns.Counters.QueriesSent);

        // One query; the server may see it re-sent (the first attempt waits 200 ms, the answer 300 ms:
        // docs/dns.md#query-budget), and a second query would have doubled the datagrams.
        Assert.InRange(_server.QueryCount("example.test", DnsType.Mx), 1, DaneMtaSts.Engine.Dns.Wire.UdpTcpTransport.MaxSends);
    }

    [Fact]
    public async Task Without_cache_every_query_goes_on_the_wire()
    {
        _server.Answer("example.test", DnsType.Mx, true, TestDnsRecord.Mx("example.test", 10, "mx.example.test"));
        using DnsResolver dns = NewResolver(useCache: false);

        await dns.QueryMxAsync("example.test", CancellationToken.None);
        await dns.QueryMxAsync("example.test", CancellationToken.None);

        Assert.Equal(2, _server.QueryCount("example.test", DnsType.Mx));
        Assert.Equal(0, dns.Counters.CacheHits);
    }

    [Fact]
    public async Task Cancellation_throws_OperationCanceledException()
    {
        _server.Fault("slow.example.test", DnsType.Mx, TestDnsFault.Timeout);
        using DnsResolver dns = NewResolver(timeout: TimeSpan.FromSeconds(5));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dns.QueryMxAsync("slow.example.test", cts.Token));
    }

    [Fact]
    public async Task Cancellation_without_cache_throws_OperationCanceledException()
    {
        _server.Fault("slow.example.test", DnsType.Mx, TestDnsFault.Timeout);
        using DnsResolver dns = NewResolver(timeout: TimeSpan.FromSeconds(5), useCache: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dns.QueryMxAsync("slow.example.test", cts.Token));
    }

    [Fact]
    public async Task Validating_resolver_is_detected_once()
    {
        _server.Answer(".", DnsType.Dnskey, secure: true, TestDnsRecord.Dnskey("."));
        using DnsResolver dns = NewResolver();

        ResolverInfo first = await dns.CheckValidationAsync(CancellationToken.None);
        ResolverInfo second = await dns.CheckValidationAsync(CancellationToken.None);

        Assert.True(first.Validates);
        Assert.True(first.IsLoopback);
        Assert.Null(first.Note);
        Assert.Same(first, second);
        Assert.Same(first, dns.Resolver);
        Assert.Equal(1, _server.QueryCount(".", DnsType.Dnskey));
        Assert.Equal([_server.EndPoint.ToString()], first.Servers);
    }

    [Fact]
    public async Task Non_validating_resolver_is_reported()
    {
        _server.Answer(".", DnsType.Dnskey, secure: false, TestDnsRecord.Dnskey("."));
        using DnsResolver dns = NewResolver();

        ResolverInfo info = await dns.CheckValidationAsync(CancellationToken.None);

        Assert.False(info.Validates);
        Assert.Contains("does not validate DNSSEC", info.Note, StringComparison.Ordinal);
        Assert.Contains("DANE cannot be verified", info.Note, StringComparison.Ordinal);
        Assert.Contains(_server.EndPoint.ToString(), info.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_validation_check_is_unknown_with_a_note()
    {
        _server.Fault(".", DnsType.Dnskey, TestDnsFault.Refused);
        using DnsResolver dns = NewResolver();

        ResolverInfo info = await dns.CheckValidationAsync(CancellationToken.None);

        Assert.Null(info.Validates);
        Assert.Contains("REFUSED", info.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_check_uses_the_configured_signed_name()
    {
        _server.Answer("lab.test", DnsType.Dnskey, secure: true, TestDnsRecord.Dnskey("lab.test"));
        using DnsResolver dns = NewResolver(knownSigned: "lab.test.");

        ResolverInfo info = await dns.CheckValidationAsync(CancellationToken.None);

        Assert.True(info.Validates);
    }

    [Fact]
    public async Task Addresses_combine_both_families_and_take_the_weaker_status()
    {
        _server.Answer("mx.example.test", DnsType.A, true, TestDnsRecord.A("mx.example.test", "192.0.2.1"));
        _server.Answer("mx.example.test", DnsType.Aaaa, false, TestDnsRecord.Aaaa("mx.example.test", "2001:db8::1"));
        using DnsResolver dns = NewResolver();

        DnsAnswer<IPAddress> answer = await dns.QueryAddressesAsync("mx.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Insecure, answer.Status);
        Assert.Equal([IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")], answer.Records);
    }

    [Fact]
    public async Task Failed_AAAA_with_good_A_keeps_the_A_records_and_says_so()
    {
        _server.Answer("mx.example.test", DnsType.A, true, TestDnsRecord.A("mx.example.test", "192.0.2.1"));
        _server.Fault("mx.example.test", DnsType.Aaaa, TestDnsFault.Refused);
        using DnsResolver dns = NewResolver();

        DnsAnswer<IPAddress> answer = await dns.QueryAddressesAsync("mx.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Secure, answer.Status);
        Assert.True(answer.IsUsable);
        Assert.Equal([IPAddress.Parse("192.0.2.1")], answer.Records);
        Assert.Contains("AAAA lookup failed", answer.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_AAAA_with_NODATA_A_is_failed()
    {
        _server.Answer("mx.example.test", DnsType.A, true);
        _server.Fault("mx.example.test", DnsType.Aaaa, TestDnsFault.Refused);
        using DnsResolver dns = NewResolver();

        DnsAnswer<IPAddress> answer = await dns.QueryAddressesAsync("mx.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Failed, answer.Status);
        Assert.False(answer.IsUsable);
    }

    [Fact]
    public async Task Bogus_AAAA_makes_the_host_bogus_even_with_a_secure_A()
    {
        _server.Answer("mx.example.test", DnsType.A, true, TestDnsRecord.A("mx.example.test", "192.0.2.1"));
        _server.Fault("mx.example.test", DnsType.Aaaa, TestDnsFault.Bogus, false, TestDnsRecord.Aaaa("mx.example.test", "2001:db8::66"));
        using DnsResolver dns = NewResolver();

        DnsAnswer<IPAddress> answer = await dns.QueryAddressesAsync("mx.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Bogus, answer.Status);
        Assert.Empty(answer.Records);
    }

    [Fact]
    public async Task TLSA_records_are_typed_including_ones_the_DANE_layer_must_reject()
    {
        _server.Answer(
            "_25._tcp.mx.example.test",
            DnsType.Tlsa,
            true,
            TestDnsRecord.Tlsa("_25._tcp.mx.example.test", 3, 1, 1, [.. Enumerable.Range(0, 32).Select(i => (byte)i)]),
            TestDnsRecord.Tlsa("_25._tcp.mx.example.test", 2, 0, 255, []),
            TestDnsRecord.Tlsa("_25._tcp.mx.example.test", 3, 1, 2, [0x01])); // digest too short for SHA-512
        using DnsResolver dns = NewResolver();

        DnsAnswer<global::DaneMtaSts.Engine.Dane.TlsaRecord> answer = await dns.QueryTlsaAsync("_25._tcp.mx.example.test", CancellationToken.None);

        Assert.Equal(3, answer.Records.Count);
        Assert.Equal("3 1 1 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", answer.Records[0].ToString());
        Assert.Equal(new global::DaneMtaSts.Engine.Dane.TlsaRecord(2, 0, 255, []), answer.Records[1]);
        Assert.Equal(new global::DaneMtaSts.Engine.Dane.TlsaRecord(3, 1, 2, [0x01]), answer.Records[2]);
    }

    [Fact]
    public async Task TLSA_record_shorter_than_its_fixed_fields_is_reported_not_thrown()
    {
        _server.Answer("_25._tcp.mx.example.test", DnsType.Tlsa, true, new TestDnsRecord("_25._tcp.mx.example.test", DnsType.Tlsa, [3, 1]));
        using DnsResolver dns = NewResolver();

        DnsAnswer<global::DaneMtaSts.Engine.Dane.TlsaRecord> answer = await dns.QueryTlsaAsync("_25._tcp.mx.example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Failed, answer.Status);
        Assert.Empty(answer.Records);
        Assert.False(string.IsNullOrEmpty(answer.Failure));
    }

    [Fact]
    public async Task TXT_character_strings_are_joined_without_separators()
    {
        _server.Answer(
            "_mta-sts.example.test",
            DnsType.Txt,
            true,
            TestDnsRecord.Txt("_mta-sts.example.test", "v=STSv1; ", "id=2024"),
            TestDnsRecord.Txt("_mta-sts.example.test", "other"));
        using DnsResolver dns = NewResolver();

        DnsAnswer<string> answer = await dns.QueryTxtAsync("_mta-sts.example.test", CancellationToken.None);

        Assert.Equal(["v=STSv1; id=2024", "other"], answer.Records);
    }

    [Fact]
    public async Task Next_resolver_is_asked_when_the_first_fails()
    {
        using var second = TestDnsServer.Start();
        _server.Fault("example.test", DnsType.Mx, TestDnsFault.Refused);
        second.Answer("example.test", DnsType.Mx, true, TestDnsRecord.Mx("example.test", 10, "mx.example.test"));
        using var dns = new DnsResolver(new DnsResolverOptions { Servers = [_server.EndPoint, second.EndPoint], Timeout = TestTimeouts.Success });

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Secure, answer.Status);
        Assert.Equal(second.EndPoint.ToString(), answer.Server);
    }

    [Fact]
    public async Task NXDOMAIN_from_the_first_resolver_is_final()
    {
        using var second = TestDnsServer.Start();
        _server.NxDomain("example.test", DnsType.Mx, true);
        second.Answer("example.test", DnsType.Mx, true, TestDnsRecord.Mx("example.test", 10, "mx.example.test"));
        using var dns = new DnsResolver(new DnsResolverOptions { Servers = [_server.EndPoint, second.EndPoint], Timeout = TestTimeouts.Success });

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("example.test", CancellationToken.None);

        Assert.True(answer.IsNxDomain);
        Assert.Equal(0, second.TotalQueries);
    }

    [Fact]
    public async Task Invalid_name_is_failed_without_a_query()
    {
        using DnsResolver dns = NewResolver();

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("bad name.example", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Failed, answer.Status);
        Assert.Equal(0, _server.TotalQueries);
    }

    [Fact]
    public void Resolver_is_not_loopback_when_any_server_is_remote()
    {
        using var dns = new DnsResolver(new DnsResolverOptions { Servers = [_server.EndPoint, new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53)] });

        Assert.False(dns.Resolver.IsLoopback);
        Assert.Null(dns.Resolver.Validates);
    }

    [Fact]
    public void Null_MX_exchange_is_kept_as_the_root_dot()
    {
        Assert.Equal(".", DnsResolver.NormalizeExchange("."));
        Assert.Equal(".", DnsResolver.NormalizeExchange(string.Empty));
        Assert.Equal("mx.example.test", DnsResolver.NormalizeExchange("MX.Example.TEST."));
    }
}
