using System.Net;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Engine.Smtp;
using DaneMtaSts.Engine.Tests.Policy;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Smtp;

/// <summary>The SOCKS5 client (RFC 1928, RFC 1929) against a real SOCKS5 server written for the tests.</summary>
public sealed class Socks5ProxyTests
{
    private static readonly (X509Certificate2 Leaf, X509Certificate2 Intermediate, X509Certificate2 Root) Pki = TestPki.CreateChain("mx.scripted.test");

    private static SmtpProbeOptions Options(TestSocks5Server proxy, int port, SmtpCounters counters, NetworkCredential? credential = null) => new()
    {
        Port = port,
        EhloName = "probe.danemtasts.test",
        ConnectTimeout = TestTimeouts.Success,
        CommandTimeout = TestTimeouts.Success,
        HandshakeTimeout = TestTimeouts.Success,
        Counters = counters,
        Proxy = Socks5Proxy.Parse(proxy.Uri, credential),
    };

    private static Task<SmtpProbeResult> ProbeAsync(ScriptedSmtpServer server, SmtpProbeOptions options) =>
        SmtpProber.ProbeAsync(server.Address, "mx.scripted.test", "mx.scripted.test", options, CancellationToken.None);

    [Fact]
    public async Task A_probe_through_the_proxy_sees_what_a_direct_probe_sees_and_the_proxy_is_asked_for_the_address()
    {
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(ServedChain.Of(Pki.Leaf, Pki.Intermediate)));
        await using var proxy = TestSocks5Server.Start();
        var counters = new SmtpCounters();

        SmtpProbeResult direct = await SmtpProber.ProbeAsync(server.Address, "mx.scripted.test", "mx.scripted.test", Options(proxy, server.Port, new SmtpCounters()) with { Proxy = null }, CancellationToken.None);
        SmtpProbeResult proxied = await ProbeAsync(server, Options(proxy, server.Port, counters));

        Assert.Equal(SmtpProbeStage.Completed, proxied.Stage);
        Assert.False(proxied.ProxyFailed);
        Assert.Equal(direct.Banner, proxied.Banner);
        Assert.Equal(direct.TlsEstablished, proxied.TlsEstablished);
        Assert.Equal(direct.TlsProtocol, proxied.TlsProtocol);
        Assert.Equal(direct.ServedChain.Select(c => c.Thumbprint), proxied.ServedChain.Select(c => c.Thumbprint));
        Assert.Equal("mx.scripted.test", server.Connections.Last().ReceivedSni);

        // RFC 1928 §4 ATYP 1: the proxy was given the IPv4 address, never a name.
        var request = Assert.Single(proxy.Requests);
        Assert.Equal(1, request.AddressType);
        Assert.Equal($"{server.Address}:{server.Port}", request.Target);
        Assert.Equal(1, counters.ConnectionsOpened);
    }

    [Fact]
    public async Task Username_and_password_are_sent_per_rfc_1929()
    {
        var credential = new NetworkCredential("probe", "s3cret");
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(ServedChain.Of(Pki.Leaf, Pki.Intermediate)));
        await using var proxy = TestSocks5Server.Start(requireCredential: credential);

        SmtpProbeResult good = await ProbeAsync(server, Options(proxy, server.Port, new SmtpCounters(), credential));
        SmtpProbeResult wrong = await ProbeAsync(server, Options(proxy, server.Port, new SmtpCounters(), new NetworkCredential("probe", "wrong")));
        SmtpProbeResult none = await ProbeAsync(server, Options(proxy, server.Port, new SmtpCounters()));

        Assert.Equal(SmtpProbeStage.Completed, good.Stage);
        Assert.True(good.TlsEstablished);
        Assert.True(wrong.ProxyFailed);
        Assert.Equal(SmtpProbeStage.Connect, wrong.Stage);
        Assert.Contains("refused the username and password", wrong.Failure, StringComparison.Ordinal);
        Assert.Equal(1, proxy.AuthenticationFailures);
        Assert.True(none.ProxyFailed);
        Assert.Contains("-SmtpProxyCredential", none.Failure, StringComparison.Ordinal);
        Assert.Single(server.Connections);
    }

    [Fact]
    public async Task A_target_the_proxy_cannot_reach_is_a_connect_failure_of_the_target()
    {
        await using var proxy = TestSocks5Server.Start(Socks5Behaviour.RefuseTargets);
        var counters = new SmtpCounters();

        SmtpProbeResult result = await SmtpProber.ProbeAsync(IPAddress.Parse("192.0.2.25"), "mx.example.test", "mx.example.test", Options(proxy, 25, counters), CancellationToken.None);

        Assert.Equal(SmtpProbeStage.Connect, result.Stage);
        Assert.False(result.Connected);
        Assert.False(result.ProxyFailed);
        Assert.Contains("connection refused (REP 5)", result.Failure, StringComparison.Ordinal);
        Assert.Equal(0, counters.ConnectionsOpened);
        Assert.Equal("192.0.2.25:25", Assert.Single(proxy.Requests).Target);
    }

    [Theory]
    [InlineData(Socks5Behaviour.DenyByRuleset, "not allowed by ruleset", true)]
    [InlineData(Socks5Behaviour.WrongVersion, "does not speak SOCKS5", true)]
    [InlineData(Socks5Behaviour.BadAddressType, "address type 9", true)]
    [InlineData(Socks5Behaviour.CloseAfterGreeting, "closed the connection", true)]
    [InlineData(Socks5Behaviour.StallGreeting, "did not answer within 3 s", true)]
    // docs/smtp.md#proxy-first-byte: ssh -D answers CONNECT with success before its far side has
    // connected; nothing shows port 25 was reached until the target's first byte, so this is a
    // connect failure (whose fault the verdict decides), not the proxy's and not a banner failure.
    [InlineData(Socks5Behaviour.SucceedThenClose, "then closed it before the server sent a byte", false)]
    [InlineData(Socks5Behaviour.SucceedThenStall, "but no byte came from the server within 3 s", false)]
    public async Task A_proxy_that_refuses_stalls_or_lies_fails_at_the_connect_stage_and_reaches_no_port_25(Socks5Behaviour behaviour, string expected, bool proxyFault)
    {
        await using var proxy = TestSocks5Server.Start(behaviour);
        var counters = new SmtpCounters();

        // A stalled proxy is a fault that waits for the timeout: a short one (TestTimeouts.Fault).
        SmtpProbeOptions options = Options(proxy, 25, counters) with { ConnectTimeout = TestTimeouts.Fault, CommandTimeout = TestTimeouts.Fault };
        SmtpProbeResult result = await SmtpProber.ProbeAsync(IPAddress.Parse("192.0.2.25"), "mx.example.test", "mx.example.test", options, CancellationToken.None);

        Assert.Equal(SmtpProbeStage.Connect, result.Stage);
        Assert.Equal(proxyFault, result.ProxyFailed);
        Assert.False(result.Connected);
        Assert.Null(result.Banner);
        Assert.False(result.TlsEstablished);
        Assert.Contains(expected, result.Failure, StringComparison.Ordinal);
        Assert.Equal(0, counters.ConnectionsOpened);
    }

    [Fact]
    public async Task A_proxy_that_stalls_after_the_connect_request_is_a_connect_timeout_of_the_target()
    {
        await using var proxy = TestSocks5Server.Start(Socks5Behaviour.StallConnect);

        // The stall waits for the connect timeout: the short fault one.
        SmtpProbeOptions options = Options(proxy, 25, new SmtpCounters()) with { ConnectTimeout = TestTimeouts.Fault };
        SmtpProbeResult result = await SmtpProber.ProbeAsync(IPAddress.Parse("192.0.2.25"), "mx.example.test", "mx.example.test", options, CancellationToken.None);

        Assert.Equal(SmtpProbeStage.Connect, result.Stage);
        Assert.False(result.ProxyFailed);
        Assert.Contains("through the SOCKS5 proxy", result.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Through_a_proxy_that_only_claims_success_no_partner_is_blamed()
    {
        await using GathererLab lab = ProxiedDomain();
        await using var liar = TestSocks5Server.Start(Socks5Behaviour.SucceedThenClose);

        TlsPolicyResult result = await JudgeAsync(lab, Socks5Proxy.Parse(liar.Uri));

        Assert.Equal(Outcome.Indeterminate, result.Outcome);
        Assert.Equal(FailureKind.Unreachable, result.Kind);
        Assert.Null(result.StatusCode);
        Assert.Equal(ProbeRouteKind.Socks5Proxy, result.Evidence.ProbeRouteKind);
        Assert.Contains("through the SOCKS5 proxy", result.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("from this machine", result.Reason, StringComparison.Ordinal);
        Assert.Contains(result.Remediation, r => r.Text.Contains("the proxy's host probably cannot reach port 25", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_proxy_that_is_not_listening_is_the_proxy_failure()
    {
        int closed = ScriptedSmtpServer.ClosedPort();
        var options = new SmtpProbeOptions { Port = 25, ConnectTimeout = TimeSpan.FromSeconds(2), Proxy = Socks5Proxy.Parse($"socks5://127.0.0.1:{closed}") };

        SmtpProbeResult result = await SmtpProber.ProbeAsync(IPAddress.Parse("192.0.2.25"), "mx.example.test", null, options, CancellationToken.None);

        Assert.True(result.ProxyFailed);
        Assert.Contains("cannot be reached", result.Failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("socks5://127.0.0.1:1080", "127.0.0.1", 1080)]
    [InlineData("socks5://jump.example.test", "jump.example.test", 1080)]
    [InlineData("SOCKS5://[::1]:9050", "::1", 9050)]
    public void Proxy_uris_parse(string text, string host, int port)
    {
        Socks5Proxy proxy = Socks5Proxy.Parse(text);

        Assert.Equal(host, proxy.Host);
        Assert.Equal(port, proxy.Port);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("socks4://127.0.0.1:1080")]
    [InlineData("socks5://user:pw@127.0.0.1:1080")]
    [InlineData("socks5://127.0.0.1:1080/path")]
    [InlineData("127.0.0.1:1080")]
    [InlineData("")]
    public void Other_proxy_uris_are_refused_with_a_reason(string text)
    {
        var ex = Assert.Throws<EngineException>(() => Socks5Proxy.Parse(text));

        Assert.Equal("InvalidSmtpProxy", ex.ErrorId);
    }

    [Fact]
    public async Task Verdicts_through_a_working_proxy_equal_the_direct_ones_and_a_failing_proxy_is_indeterminate()
    {
        // One of the proxies stalls: the lab's timeout is the short fault timeout.
        await using GathererLab lab = ProxiedDomain(TestTimeouts.Fault);
        await using var proxy = TestSocks5Server.Start();
        await using var stalled = TestSocks5Server.Start(Socks5Behaviour.StallGreeting);

        TlsPolicyResult direct = await JudgeAsync(lab, null);
        TlsPolicyResult proxied = await JudgeAsync(lab, Socks5Proxy.Parse(proxy.Uri));
        TlsPolicyResult broken = await JudgeAsync(lab, Socks5Proxy.Parse(stalled.Uri));

        Assert.Equal(Outcome.Deliver, direct.Outcome);
        Assert.Equal(TransportSecurity.Dane, direct.Security);
        Assert.Equal((direct.Outcome, direct.Security, direct.Kind), (proxied.Outcome, proxied.Security, proxied.Kind));
        Assert.Equal(Outcome.Indeterminate, broken.Outcome);
        Assert.Equal(FailureKind.ProxyFailed, broken.Kind);
        Assert.Null(broken.StatusCode);
        Assert.Contains("-SmtpProxy", broken.Reason, StringComparison.Ordinal);
    }

    // proxied.test: one DNSSEC-signed MX host with a DANE-EE record matching what it serves.
    private static GathererLab ProxiedDomain(TimeSpan? timeout = null)
    {
        var lab = timeout is { } t ? new GathererLab { Timeout = t } : new GathererLab();
        const string Host = "mx.proxied.test";
        var leaf = GathererLab.Leaf(Host);
        lab.Host(Host, GathererLab.GoodSmtp(leaf));
        lab.Mx("proxied.test", true, (10, Host));
        lab.TlsaEe(Host, leaf);
        return lab;
    }

    private static async Task<TlsPolicyResult> JudgeAsync(GathererLab lab, Socks5Proxy? proxy)
    {
        using DryRunSession session = lab.Session(options: lab.Options with { SmtpProxy = proxy });
        DomainEvidence evidence = await session.Gatherer.GatherMxAsync("proxied.test", CancellationToken.None);
        return VerdictEngine.Judge(evidence, new JudgeOptions { Port25Reached = session.Port25Reached });
    }
}
