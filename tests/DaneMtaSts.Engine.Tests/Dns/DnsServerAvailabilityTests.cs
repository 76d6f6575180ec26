using System.Net;
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Dns;

/// <summary>No resolver answering is one error for the call, not a DNS failure per partner.</summary>
public sealed class DnsServerAvailabilityTests
{
    [Fact]
    public async Task A_resolver_that_never_answers_is_DnsServerUnavailable()
    {
        int closed = ScriptedSmtpServer.ClosedPort();
        using DryRunSession session = DryRunSession.Create(new DryRunOptions { DnsServers = [$"127.0.0.1:{closed}"], Timeout = TimeSpan.FromSeconds(1) }, null);

        var ex = await Assert.ThrowsAsync<EngineException>(() => session.EnsureDnsServerAvailableAsync(CancellationToken.None));

        Assert.Equal("DnsServerUnavailable", ex.ErrorId);
        Assert.Equal(EngineErrorKind.ResourceUnavailable, ex.Kind);
        Assert.Contains($"127.0.0.1:{closed}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-DnsServer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resolver_that_answers_even_servfail_is_available()
    {
        using var dns = TestDnsServer.Start();
        dns.DefaultEntry = new TestDnsEntry { Rcode = 2 };
        using DryRunSession session = DryRunSession.Create(new DryRunOptions { DnsServers = [dns.EndPoint.ToString()], Timeout = TimeSpan.FromSeconds(2) }, null);

        await session.EnsureDnsServerAvailableAsync(CancellationToken.None);

        Assert.True(dns.QueryCount(".", DnsType.Txt) > 0);
    }

    [Fact]
    public async Task A_resolver_that_refuses_everything_is_DnsServerUnavailable()
    {
        using var dns = TestDnsServer.Start();
        dns.DefaultEntry = new TestDnsEntry { Rcode = 5 };
        using DryRunSession session = DryRunSession.Create(new DryRunOptions { DnsServers = [dns.EndPoint.ToString()], Timeout = TimeSpan.FromSeconds(2) }, null);

        var ex = await Assert.ThrowsAsync<EngineException>(() => session.EnsureDnsServerAvailableAsync(CancellationToken.None));

        Assert.Equal("DnsServerUnavailable", ex.ErrorId);
        Assert.Contains("refused", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolv_conf_nameserver_lines_are_read_as_written()
    {
        // resolv.conf(5): "nameserver" lines, at most three, comments with # or ;.
        const string Text = "# generated\nsearch lab.test\nnameserver 127.0.0.53\n; nameserver 10.9.9.9\nnameserver\t::1\noptions edns0\nnameserver not-an-address\nnameserver 127.0.0.53\nnameserver 192.0.2.1\nnameserver 192.0.2.2\n";

        IReadOnlyList<IPEndPoint> servers = ResolvConf.Parse(Text);

        Assert.Equal(["127.0.0.53:53", "[::1]:53", "192.0.2.1:53"], servers.Select(s => s.ToString()));
    }

    [Fact]
    public void A_missing_resolv_conf_gives_no_servers()
    {
        Assert.Empty(ResolvConf.Read(Path.Combine(Path.GetTempPath(), $"no-resolv-{Guid.NewGuid():N}.conf")));
    }
}
