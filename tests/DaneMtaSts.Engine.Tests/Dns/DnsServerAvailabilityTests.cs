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

        Assert.True(dns.QueryCount(".", DnsType.Dnskey) > 0);
    }

    // docs/smtp.md#no-resolver: the call's first question serves the availability check and the
    // DNSSEC check (does the resolver validate?) at once: one round trip before the first MX lookup.
    [Fact]
    public async Task The_availability_check_and_the_dnssec_check_share_one_query()
    {
        using var dns = TestDnsServer.Start();
        dns.Answer(".", DnsType.Dnskey, secure: true, TestDnsRecord.Dnskey("."));
        using DryRunSession session = DryRunSession.Create(new DryRunOptions { DnsServers = [dns.EndPoint.ToString()], Timeout = TimeSpan.FromSeconds(5) }, null);

        await session.EnsureDnsServerAvailableAsync(CancellationToken.None);
        ResolverInfo info = await session.Dns.CheckValidationAsync(CancellationToken.None);

        // One query, as the engine counts them (a slow answer may bring an overlapping UDP attempt
        // of the same query to the server on a loaded machine), and no TXT question at all.
        Assert.True(info.Validates);
        Assert.True(dns.QueryCount(".", DnsType.Dnskey) >= 1);
        Assert.Equal(0, dns.QueryCount(".", DnsType.Txt));
        Assert.Equal(1, session.Snapshot().DnsQueriesSent);
    }

    [Fact]
    public async Task A_truncated_dnskey_answer_whose_tcp_retry_fails_is_not_taken_for_no_resolver()
    {
        // The root's DNSKEY set is larger than most: truncated over UDP, and TCP/53 blocked on the
        // way. The resolver answers, though: the root's TXT set (small) shows it.
        using var dns = TestDnsServer.Start();
        dns.Fault(".", DnsType.Dnskey, TestDnsFault.TruncateUdpCloseTcp);
        dns.Answer(".", DnsType.Txt, secure: false);
        using DryRunSession session = DryRunSession.Create(new DryRunOptions { DnsServers = [dns.EndPoint.ToString()], Timeout = TimeSpan.FromSeconds(5) }, null);

        await session.EnsureDnsServerAvailableAsync(CancellationToken.None);

        Assert.True(dns.QueryCount(".", DnsType.Dnskey) >= 2); // UDP, then TCP
        // Asked (how often depends on timing: with the DNSSEC check unanswered, Auto validates the
        // TXT answer in-process, and a slow answer brings a second overlapping UDP attempt).
        Assert.True(dns.QueryCount(".", DnsType.Txt) >= 1);
        Assert.True(session.Snapshot().DnsTcpFallbacks >= 1);
    }

    [Fact]
    public async Task Without_a_dnssec_check_on_the_wire_the_root_txt_set_is_asked()
    {
        // -DnssecValidation Local never asks whether the resolver validates: the question is the
        // root's TXT set (validated in-process, which a SERVFAIL-only server cannot pass, but any
        // answer proves a resolver answers).
        using var dns = TestDnsServer.Start();
        dns.DefaultEntry = new TestDnsEntry { Rcode = 2 };
        using DryRunSession session = DryRunSession.Create(new DryRunOptions { DnsServers = [dns.EndPoint.ToString()], DnssecValidation = DnssecValidationMode.Local, Timeout = TimeSpan.FromSeconds(5) }, null);

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
