using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Smtp;
using DaneMtaSts.Engine.Tests.Support;
using Org.BouncyCastle.Tls;

namespace DaneMtaSts.Engine.Tests.Smtp;

public sealed partial class SmtpProberScriptedTests
{
    private static readonly (X509Certificate2 Leaf, X509Certificate2 Intermediate, X509Certificate2 Root) Pki = TestPki.CreateChain("mx.scripted.test");

    private static SmtpProbeOptions Fast(SmtpCounters? counters = null, int port = 0) => new()
    {
        Port = port,
        EhloName = "probe.danemtasts.test",
        ConnectTimeout = TestTimeouts.Success,
        CommandTimeout = TestTimeouts.Success,
        HandshakeTimeout = TestTimeouts.Success,
        Counters = counters,
    };

    private static Task<SmtpProbeResult> ProbeAsync(ScriptedSmtpServer server, string? sni = "mx.scripted.test", SmtpProbeOptions? options = null) =>
        SmtpProber.ProbeAsync(server.Address, "mx.scripted.test", sni, (options ?? Fast()) with { Port = server.Port }, CancellationToken.None);

    private static ScriptedSmtpConnection Only(ScriptedSmtpServer server) => Assert.Single(server.Connections);

    [Fact]
    public async Task Starttls_probe_captures_banner_keywords_protocol_cipher_chain_and_sni()
    {
        var counters = new SmtpCounters();
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(ServedChain.Of(Pki.Leaf, Pki.Intermediate)));

        SmtpProbeResult result = await ProbeAsync(server, options: Fast(counters));

        Assert.Equal(SmtpProbeStage.Completed, result.Stage);
        Assert.Null(result.Failure);
        Assert.True(result.Connected);
        Assert.Equal(220, result.BannerCode);
        Assert.Equal("220 mx.scripted.test ESMTP ready", result.Banner);
        Assert.True(result.StartTlsOffered);
        Assert.Contains("PIPELINING", result.EhloKeywords);
        Assert.DoesNotContain("STARTTLS", result.EhloKeywordsAfterTls);
        Assert.Equal("220 2.0.0 Ready to start TLS", result.StartTlsReply);
        Assert.True(result.TlsEstablished);
        Assert.Equal("TLSv1.3", result.TlsProtocol);
        Assert.StartsWith("TLS_AES_", result.CipherSuite, StringComparison.Ordinal);
        Assert.Equal([Pki.Leaf.Thumbprint, Pki.Intermediate.Thumbprint], result.ServedChain.Select(c => c.Thumbprint));
        Assert.Equal("mx.scripted.test", result.Sni);

        ScriptedSmtpConnection seen = Only(server);
        Assert.Equal("mx.scripted.test", seen.ReceivedSni);
        Assert.Equal("probe.danemtasts.test", seen.EhloName);
        Assert.True(seen.TlsEstablished);
        Assert.Equal("QUIT", seen.Received.Last());
        Assert.Equal(1, counters.ConnectionsOpened);
        Assert.Equal(1, counters.HandshakesStarted);
        Assert.Equal(1, counters.HandshakesCompleted);
        Assert.Empty(server.ScriptErrors);
    }

    [Fact]
    public async Task Tls12_server_is_reported_as_tls12_with_its_ecdhe_suite()
    {
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteLineAsync("220 old.scripted.test ESMTP", ct);
            await c.ReadLineAsync(ct);
            await c.WriteAsync("250-old.scripted.test\r\n250 STARTTLS\r\n", ct);
            await c.ReadLineAsync(ct);
            await c.WriteLineAsync("220 go ahead", ct);
            await c.StartTlsAsync(ServedChain.Of(Pki.Leaf, Pki.Intermediate), ct, ProtocolVersion.TLSv12);
            await c.ServeCommandsAsync(null, null, ct);
        });

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Completed, result.Stage);
        Assert.Equal("TLSv1.2", result.TlsProtocol);
        Assert.StartsWith("TLS_ECDHE_ECDSA_WITH_AES_", result.CipherSuite, StringComparison.Ordinal);
        Assert.Equal(2, result.ServedChain.Count);
    }

    [Fact]
    public async Task Without_a_reference_name_no_sni_is_sent()
    {
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(ServedChain.Of(Pki.Leaf)));

        SmtpProbeResult result = await ProbeAsync(server, sni: null);

        Assert.True(result.TlsEstablished);
        Assert.Null(result.Sni);
        ScriptedSmtpConnection seen = Only(server);
        Assert.True(seen.ClientHelloSeen);
        Assert.Null(seen.ReceivedSni);
    }

    [Fact]
    public async Task Sni_is_the_name_given_not_the_host_name()
    {
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(ServedChain.Of(Pki.Leaf)));

        SmtpProbeResult result = await SmtpProber.ProbeAsync(server.Address, "mx.alias.test", "tlsa-base.scripted.test", Fast(port: server.Port), CancellationToken.None);

        Assert.True(result.TlsEstablished);
        Assert.Equal("mx.alias.test", result.HostName);
        Assert.Equal("tlsa-base.scripted.test", Only(server).ReceivedSni);
    }

    [Fact]
    public async Task Unordered_padded_chain_is_captured_exactly_as_served()
    {
        X509Certificate2 unrelatedRoot = TestPki.CreateRoot("Unrelated Padding CA");
        X509Certificate2 selfSigned = TestPki.CreateLeaf(null, "padding.invalid", ["padding.invalid"]);
        // Root before intermediate, an unrelated CA, a stray self-signed certificate and a duplicate.
        ServedChain served = ServedChain.Of(Pki.Leaf, Pki.Root, unrelatedRoot, Pki.Intermediate, selfSigned, Pki.Root);
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(served));

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.True(result.TlsEstablished);
        Assert.Equal(served.Served.Select(c => c.Thumbprint), result.ServedChain.Select(c => c.Thumbprint));
    }

    [Fact]
    public async Task Unordered_chain_over_tls12_is_captured_exactly_as_served()
    {
        X509Certificate2 unrelatedRoot = TestPki.CreateRoot("Unrelated Padding CA 12");
        ServedChain served = ServedChain.Of(Pki.Leaf, unrelatedRoot, Pki.Root, Pki.Intermediate);
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteLineAsync("220 scripted", ct);
            await c.ReadLineAsync(ct);
            await c.WriteAsync("250-scripted\r\n250 STARTTLS\r\n", ct);
            await c.ReadLineAsync(ct);
            await c.WriteLineAsync("220 go ahead", ct);
            await c.StartTlsAsync(served, ct, ProtocolVersion.TLSv12);
            await c.ServeCommandsAsync(null, null, ct);
        });

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal("TLSv1.2", result.TlsProtocol);
        Assert.Equal(served.Served.Select(c => c.Thumbprint), result.ServedChain.Select(c => c.Thumbprint));
    }

    [Fact]
    public async Task Chain_of_twenty_certificates_is_captured_whole()
    {
        var issuers = new List<X509Certificate2> { TestPki.CreateRoot("Deep Root") };
        for (int i = 1; i < 19; i++)
        {
            issuers.Add(TestPki.CreateIntermediate(issuers[^1], $"Deep Intermediate {i}"));
        }

        X509Certificate2 leaf = TestPki.CreateLeaf(issuers[^1], "mx.scripted.test", ["mx.scripted.test"]);
        issuers.Reverse();
        ServedChain served = ServedChain.Of(leaf, [.. issuers]);
        Assert.Equal(20, served.Served.Count);
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(served));

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.True(result.TlsEstablished);
        Assert.Equal(served.Served.Select(c => c.Thumbprint), result.ServedChain.Select(c => c.Thumbprint));
    }

    [Fact]
    public async Task Self_signed_leaf_alone_is_accepted_and_captured()
    {
        // DANE-EE (RFC 7672 §3.1.1) servers often present a self-signed leaf: the probe must not refuse it.
        X509Certificate2 selfSigned = TestPki.CreateLeaf(null, "mx.scripted.test", ["mx.scripted.test"], TestKeyType.Rsa2048);
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(ServedChain.Of(selfSigned)));

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.True(result.TlsEstablished);
        Assert.Equal(selfSigned.Thumbprint, Assert.Single(result.ServedChain).Thumbprint);
    }

    [Fact]
    public async Task No_starttls_offered_completes_in_plaintext_and_quits()
    {
        var counters = new SmtpCounters();
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(tls: null));

        SmtpProbeResult result = await ProbeAsync(server, options: Fast(counters));

        Assert.Equal(SmtpProbeStage.Completed, result.Stage);
        Assert.False(result.StartTlsOffered);
        Assert.False(result.TlsEstablished);
        Assert.Null(result.StartTlsReply);
        Assert.Empty(result.ServedChain);
        Assert.Null(result.TlsProtocol);
        Assert.Equal(["EHLO probe.danemtasts.test", "QUIT"], Only(server).Received);
        Assert.Equal(0, counters.HandshakesStarted);
    }

    [Fact]
    public async Task Connection_refused_is_a_connect_failure()
    {
        int port = ScriptedSmtpServer.ClosedPort();
        var counters = new SmtpCounters();

        SmtpProbeResult result = await SmtpProber.ProbeAsync(IPAddress.Loopback, "mx.closed.test", "mx.closed.test", Fast(counters, port), CancellationToken.None);

        Assert.Equal(SmtpProbeStage.Connect, result.Stage);
        Assert.False(result.Connected);
        Assert.Contains("connection refused", result.Failure, StringComparison.Ordinal);
        Assert.Equal(1, counters.ConnectAttempts);
        Assert.Equal(0, counters.ConnectionsOpened);
    }

    [Fact]
    public async Task Reset_during_banner_is_a_banner_failure()
    {
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteAsync("220 mx.scripted", ct); // half a banner, then RST
            await Task.Delay(50, ct);
            c.Reset();
        });

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Banner, result.Stage);
        Assert.True(result.Connected);
        Assert.Null(result.BannerCode);
        Assert.NotNull(result.Failure);
        Assert.Contains("banner", result.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Banner_that_never_comes_times_out_at_the_command_timeout()
    {
        await using var server = ScriptedSmtpServer.Start((c, ct) => Task.Delay(Timeout.Infinite, ct));
        var options = Fast() with { CommandTimeout = TimeSpan.FromMilliseconds(400) };

        var stopwatch = Stopwatch.StartNew();
        SmtpProbeResult result = await ProbeAsync(server, options: options);
        stopwatch.Stop();

        Assert.Equal(SmtpProbeStage.Banner, result.Stage);
        Assert.Equal("no banner within 0.4 s", result.Failure);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(350), $"gave up after {stopwatch.Elapsed}");
        HangGuard.Check(stopwatch.Elapsed, "the missing banner");
    }

    [Theory]
    [InlineData("421 4.3.2 Service not available, closing channel", false)]
    [InlineData("554 5.7.1 No SMTP service here", true)]
    public async Task Refusing_banner_is_recorded_and_quit_is_sent(string banner, bool permanent)
    {
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteLineAsync(banner, ct);
            // RFC 5321 §3.1: after a 554 greeting the server waits for QUIT.
            if (await c.ReadLineAsync(ct) == "QUIT")
            {
                await c.WriteLineAsync("221 Bye", ct);
            }
        });

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Banner, result.Stage);
        Assert.Equal(int.Parse(banner[..3], System.Globalization.CultureInfo.InvariantCulture), result.BannerCode);
        Assert.Equal(banner, result.Banner);
        Assert.Equal($"the server greeted with {banner} instead of 220", result.Failure);
        Assert.Equal(permanent, result.PermanentSmtpFailure);
        Assert.Equal(["QUIT"], Only(server).Received);
    }

    [Fact]
    public async Task Permanent_ehlo_and_helo_refusal_is_an_ehlo_failure()
    {
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteLineAsync("220 picky.scripted.test ESMTP", ct);
            while (await c.ReadLineAsync(ct) is { } line)
            {
                if (line == "QUIT")
                {
                    await c.WriteLineAsync("221 Bye", ct);
                    return;
                }

                await c.WriteLineAsync("550 5.7.1 Go away", ct);
            }
        });

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Ehlo, result.Stage);
        Assert.True(result.PermanentSmtpFailure);
        Assert.Equal(550, result.LastReplyCode);
        Assert.Equal("EHLO answered 550 5.7.1 Go away, HELO answered 550 5.7.1 Go away", result.Failure);
        Assert.Equal(["EHLO probe.danemtasts.test", "HELO probe.danemtasts.test", "QUIT"], Only(server).Received);
    }

    [Fact]
    public async Task Starttls_answered_454_is_a_starttls_failure_with_the_reply()
    {
        var counters = new SmtpCounters();
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.OfferStartTlsAsync(ct);
            await c.WriteLineAsync("454 4.7.0 TLS not available", ct);
            await c.ServeCommandsAsync(null, null, ct);
        });

        SmtpProbeResult result = await ProbeAsync(server, options: Fast(counters));

        Assert.Equal(SmtpProbeStage.StartTls, result.Stage);
        Assert.True(result.StartTlsOffered);
        Assert.False(result.TlsEstablished);
        Assert.Equal("STARTTLS answered 454 4.7.0 TLS not available", result.Failure);
        Assert.Equal("454 4.7.0 TLS not available", result.StartTlsReply);
        Assert.False(result.PermanentSmtpFailure);
        Assert.Equal("QUIT", Only(server).Received.Last());
        Assert.Equal(0, counters.HandshakesStarted);
    }

    [Fact]
    public async Task Server_closing_after_starttls_220_is_a_handshake_failure()
    {
        var counters = new SmtpCounters();
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.OfferStartTlsAsync(ct);
            await c.WriteLineAsync("220 2.0.0 Ready", ct);
            await c.ReadRawAsync(16, ct); // the start of the ClientHello, then hang up
            c.Close();
        });

        SmtpProbeResult result = await ProbeAsync(server, options: Fast(counters));

        Assert.Equal(SmtpProbeStage.Handshake, result.Stage);
        Assert.False(result.TlsEstablished);
        Assert.StartsWith("TLS handshake failed: ", result.Failure, StringComparison.Ordinal);
        Assert.Empty(result.ServedChain);
        Assert.Equal(1, counters.HandshakesStarted);
        Assert.Equal(0, counters.HandshakesCompleted);
    }

    [Fact]
    public async Task Handshake_that_stalls_times_out_at_the_handshake_timeout()
    {
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.OfferStartTlsAsync(ct);
            await c.WriteLineAsync("220 2.0.0 Ready", ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        var options = Fast() with { HandshakeTimeout = TimeSpan.FromMilliseconds(300) };

        SmtpProbeResult result = await ProbeAsync(server, options: options);

        Assert.Equal(SmtpProbeStage.Handshake, result.Stage);
        Assert.Equal("TLS handshake did not complete within 0.3 s", result.Failure);
    }

    [Fact]
    public async Task Garbage_instead_of_smtp_is_reported_with_what_was_sent()
    {
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteLineAsync("HTTP/1.1 400 Bad Request", ct);
            await c.WriteLineAsync("", ct);
            await Task.Delay(200, ct);
        });

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Banner, result.Stage);
        Assert.Equal("the server does not speak SMTP: it sent \"HTTP/1.1 400 Bad Request\"", result.Failure);
    }

    [Fact]
    public async Task Cancelling_the_callers_token_mid_banner_throws_promptly()
    {
        await using var server = ScriptedSmtpServer.Start((c, ct) => Task.Delay(Timeout.Infinite, ct));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var options = Fast() with { Port = server.Port, CommandTimeout = TimeSpan.FromSeconds(30) };

        var stopwatch = Stopwatch.StartNew();
        // The exception is the proof: the 30 s command timeout would have returned a result instead.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SmtpProber.ProbeAsync(server.Address, "mx.scripted.test", null, options, cts.Token));
        HangGuard.Check(stopwatch.Elapsed, "cancelling the probe");
    }

    [Fact]
    public async Task Ipv6_loopback_is_probed_when_the_machine_has_it()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return;
        }

        ScriptedSmtpServer server;
        try
        {
            server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(ServedChain.Of(Pki.Leaf, Pki.Intermediate)), IPAddress.IPv6Loopback);
        }
        catch (SocketException)
        {
            return; // no ::1 on this machine (e.g. IPv6 disabled in the container)
        }

        await using (server)
        {
            SmtpProbeResult result = await ProbeAsync(server);

            Assert.Equal(IPAddress.IPv6Loopback, result.Address);
            Assert.Equal(SmtpProbeStage.Completed, result.Stage);
            Assert.True(result.TlsEstablished);
            Assert.Equal("mx.scripted.test", Only(server).ReceivedSni);
        }
    }
}
