using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Dns;

public sealed class MxResolverTests : IDisposable
{
    private readonly TestDnsServer _server = TestDnsServer.Start();
    private readonly DnsResolver _dns;

    public MxResolverTests()
    {
        _dns = new DnsResolver(new DnsResolverOptions { Servers = [_server.EndPoint], Timeout = TestTimeouts.Success });
    }

    public void Dispose()
    {
        _dns.Dispose();
        _server.Dispose();
    }

    private void Host(string name, string address, bool secure = true)
    {
        _server.Answer(name, DnsType.A, secure, TestDnsRecord.A(name, address));
        _server.Answer(name, DnsType.Aaaa, secure);
    }

    [Fact]
    public async Task Hosts_are_ordered_by_preference_stably_and_deduplicated()
    {
        _server.Answer(
            "example.test",
            DnsType.Mx,
            true,
            TestDnsRecord.Mx("example.test", 20, "b.example.test"),
            TestDnsRecord.Mx("example.test", 10, "c.example.test"),
            TestDnsRecord.Mx("example.test", 20, "a.example.test"),
            TestDnsRecord.Mx("example.test", 30, "C.example.test."));
        Host("a.example.test", "192.0.2.1");
        Host("b.example.test", "192.0.2.2");
        Host("c.example.test", "192.0.2.3");

        MxResolution result = await MxResolver.ResolveAsync(_dns, "Example.Test.", CancellationToken.None);

        Assert.Equal(MxResolutionKind.Mx, result.Kind);
        Assert.Equal(DnsSecStatus.Secure, result.Status);
        Assert.Equal("example.test", result.Domain);
        Assert.Equal(["c.example.test", "b.example.test", "a.example.test"], result.Hosts.Select(h => h.Name));
        Assert.Equal([10, 20, 20], result.Hosts.Select(h => h.Preference));
        Assert.All(result.Hosts, h => Assert.Equal(MxHostFlags.None, h.Flags));
        Assert.All(result.Hosts, h => Assert.Equal(DnsSecStatus.Secure, h.Addresses!.Status));
        Assert.Contains("c.example.test", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Insecure_MX_set_has_insecure_status()
    {
        _server.Answer("example.test", DnsType.Mx, false, TestDnsRecord.Mx("example.test", 10, "mx.example.test"));
        Host("mx.example.test", "192.0.2.1", secure: false);

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.Mx, result.Kind);
        Assert.Equal(DnsSecStatus.Insecure, result.Status);
    }

    [Fact]
    public async Task NODATA_with_addresses_is_implicit_MX()
    {
        _server.Answer("example.test", DnsType.Mx, true);
        Host("example.test", "192.0.2.9");

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.ImplicitMx, result.Kind);
        Assert.Equal(DnsSecStatus.Secure, result.Status);
        MxHost host = Assert.Single(result.Hosts);
        Assert.Equal("example.test", host.Name);
        Assert.Equal(0, host.Preference);
        Assert.Single(host.Addresses!.Records);
        Assert.Contains("implicit MX", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NODATA_without_addresses_is_no_mail_host()
    {
        _server.Answer("example.test", DnsType.Mx, true);
        _server.Answer("example.test", DnsType.A, true);
        _server.Answer("example.test", DnsType.Aaaa, true);

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.NoMailHost, result.Kind);
        Assert.Empty(result.Hosts);
    }

    [Fact]
    public async Task NODATA_with_failing_address_lookup_is_implicit_MX_whose_host_failed()
    {
        _server.Answer("example.test", DnsType.Mx, true);
        _server.Fault("example.test", DnsType.A, TestDnsFault.Bogus, false, TestDnsRecord.A("example.test", "192.0.2.66"));
        _server.Answer("example.test", DnsType.Aaaa, true);

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.ImplicitMx, result.Kind);
        Assert.Equal(DnsSecStatus.Bogus, Assert.Single(result.Hosts).Addresses!.Status);
        Assert.Contains("bogus", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NXDOMAIN_domain()
    {
        _server.NxDomain("nowhere.test", DnsType.Mx, true);

        MxResolution result = await MxResolver.ResolveAsync(_dns, "nowhere.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.NxDomain, result.Kind);
        Assert.Equal(DnsSecStatus.Secure, result.Status);
        Assert.Contains("does not exist", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Null_MX_is_recognised()
    {
        _server.Answer("example.test", DnsType.Mx, true, TestDnsRecord.Mx("example.test", 0, "."));

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.NullMx, result.Kind);
        Assert.Empty(result.Hosts);
        Assert.Equal(".", Assert.Single(result.MxAnswer.Records).Exchange);
        Assert.Contains("RFC 7505", result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, _server.QueryCount("example.test", DnsType.A)); // never implicit MX
    }

    [Fact]
    public async Task Null_MX_mixed_with_other_records_is_ignored_and_flagged()
    {
        _server.Answer(
            "example.test",
            DnsType.Mx,
            true,
            TestDnsRecord.Mx("example.test", 0, "."),
            TestDnsRecord.Mx("example.test", 10, "mx.example.test"));
        Host("mx.example.test", "192.0.2.1");

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.Mx, result.Kind);
        MxHost root = result.Hosts.Single(h => h.Name == ".");
        Assert.True(root.Flags.HasFlag(MxHostFlags.NullMxInMixedSet));
        Assert.False(root.IsCandidate);
        Assert.Null(root.Addresses);
        Assert.Equal(["mx.example.test"], result.CandidateHosts.Select(h => h.Name));
        Assert.Contains("RFC 7505", Assert.Single(root.Notes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Root_target_with_nonzero_preference_alone_is_no_mail_host()
    {
        _server.Answer("example.test", DnsType.Mx, true, TestDnsRecord.Mx("example.test", 10, "."));

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.NoMailHost, result.Kind);
        MxHost root = Assert.Single(result.Hosts);
        Assert.Equal(MxHostFlags.RootTarget, root.Flags);
    }

    [Fact]
    public async Task IP_literal_and_single_label_targets_are_flagged()
    {
        _server.Answer(
            "example.test",
            DnsType.Mx,
            true,
            TestDnsRecord.Mx("example.test", 5, "192.0.2.25"),
            TestDnsRecord.Mx("example.test", 10, "mailhost"),
            TestDnsRecord.Mx("example.test", 20, "mx.example.test"));
        Host("mailhost", "192.0.2.2");
        Host("mx.example.test", "192.0.2.1");

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        MxHost literal = result.Hosts[0];
        Assert.Equal("192.0.2.25", literal.Name);
        Assert.Equal(MxHostFlags.IpLiteral, literal.Flags);
        Assert.False(literal.IsCandidate);
        Assert.Equal(0, _server.QueryCount("192.0.2.25", DnsType.A));
        MxHost single = result.Hosts[1];
        Assert.Equal(MxHostFlags.SingleLabel, single.Flags);
        Assert.True(single.IsCandidate);
        Assert.Equal(MxResolutionKind.Mx, result.Kind);
        Assert.Equal("mailhost", result.CandidateHosts[0].Name);
    }

    [Fact]
    public async Task MX_target_that_is_an_alias_is_flagged_but_kept()
    {
        _server.Answer("example.test", DnsType.Mx, true, TestDnsRecord.Mx("example.test", 10, "mx.example.test"));
        _server.Answer("mx.example.test", DnsType.A, true, TestDnsRecord.Cname("mx.example.test", "real.example.net"), TestDnsRecord.A("real.example.net", "192.0.2.7"));
        _server.Answer("mx.example.test", DnsType.Aaaa, true, TestDnsRecord.Cname("mx.example.test", "real.example.net"));
        _server.Answer("real.example.net", DnsType.Aaaa, true);

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        MxHost host = Assert.Single(result.Hosts);
        Assert.Equal(MxHostFlags.CnameTarget, host.Flags);
        Assert.True(host.IsCandidate);
        Assert.Contains("RFC 2181", Assert.Single(host.Notes), StringComparison.Ordinal);
        Assert.Equal(["real.example.net"], host.Addresses!.CnameChain);
    }

    [Fact]
    public async Task Aliased_domain_records_its_chain()
    {
        _server.Answer(
            "example.test",
            DnsType.Mx,
            true,
            TestDnsRecord.Cname("example.test", "hosted.example.net"),
            TestDnsRecord.Mx("hosted.example.net", 10, "mx.example.net"));
        Host("mx.example.net", "192.0.2.1");

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.Mx, result.Kind);
        Assert.Equal(["hosted.example.net"], result.CnameChain);
        Assert.Equal("mx.example.net", Assert.Single(result.Hosts).Name);
    }

    [Fact]
    public async Task CNAME_loop_on_the_domain_is_failed()
    {
        _server.Answer("example.test", DnsType.Mx, true, TestDnsRecord.Cname("example.test", "loop.example.test"), TestDnsRecord.Cname("loop.example.test", "example.test"));

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.Failed, result.Kind);
        Assert.Contains("CNAME loop", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bogus_MX_lookup()
    {
        _server.Fault("example.test", DnsType.Mx, TestDnsFault.Bogus, false, TestDnsRecord.Mx("example.test", 10, "evil.example.test"));

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.Bogus, result.Kind);
        Assert.Equal(DnsSecStatus.Bogus, result.Status);
        Assert.Empty(result.Hosts);
        Assert.Contains("bogus", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_MX_lookup()
    {
        _server.Fault("example.test", DnsType.Mx, TestDnsFault.ServFail);

        MxResolution result = await MxResolver.ResolveAsync(_dns, "example.test", CancellationToken.None);

        Assert.Equal(MxResolutionKind.Failed, result.Kind);
        Assert.Equal(DnsSecStatus.Failed, result.Status);
    }

    [Fact]
    public async Task Hundred_host_MX_set_arrives_over_TCP_and_is_kept_whole()
    {
        TestDnsRecord[] records = [.. Enumerable.Range(0, 100).Select(i => TestDnsRecord.Mx("big.example.test", (ushort)(100 - i), $"mx{i:D3}.big.example.test"))];
        _server.Answer("big.example.test", DnsType.Mx, true, records);

        MxResolution result = await MxResolver.ResolveAsync(_dns, "big.example.test", CancellationToken.None, resolveHosts: false);

        Assert.Equal(MxResolutionKind.Mx, result.Kind);
        Assert.Equal(100, result.Hosts.Count);
        Assert.Equal("mx099.big.example.test", result.Hosts[0].Name);
        Assert.Equal(1, result.Hosts[0].Preference);
        Assert.True(result.Hosts.Zip(result.Hosts.Skip(1)).All(p => p.First.Preference <= p.Second.Preference));
        Assert.Equal(1, _dns.Counters.TcpFallbacks);
        Assert.All(result.Hosts, h => Assert.Null(h.Addresses));
    }

    [Fact]
    public async Task Invalid_domain_throws_an_engine_exception()
    {
        EngineException ex = await Assert.ThrowsAsync<EngineException>(() => MxResolver.ResolveAsync(_dns, "not a domain", CancellationToken.None));
        Assert.Equal("InvalidDomainName", ex.ErrorId);
    }

    [Theory]
    [InlineData("192.0.2.1", true)]
    [InlineData("[192.0.2.1]", true)]
    [InlineData("2001:db8::25", true)]
    [InlineData("1.2", false)]
    [InlineData("12345", false)]
    [InlineData("mx.example.test", false)]
    public void IP_literal_detection(string exchange, bool expected) =>
        Assert.Equal(expected, MxResolver.IsIpLiteral(exchange));
}
