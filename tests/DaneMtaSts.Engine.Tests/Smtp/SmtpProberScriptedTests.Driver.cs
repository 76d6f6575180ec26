using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DaneMtaSts.Engine.Smtp;
using DaneMtaSts.Engine.Tests.Support;
using Org.BouncyCastle.Tls;

namespace DaneMtaSts.Engine.Tests.Smtp;

/// <summary>
/// The probe driver against the scripted BouncyCastle server (docs/smtp.md#probe-facts): the served
/// chain as sent over TLS 1.2 and TLS 1.3 (docs/smtp.md#served-chain), and the bounded reply reader
/// and per-phase deadlines (docs/smtp.md#reply-bounds).
/// </summary>
public sealed partial class SmtpProberScriptedTests
{
    private static readonly X509Certificate2 UnrelatedRoot = TestPki.CreateRoot("Unrelated Padding CA (driver)");
    private static readonly X509Certificate2 StraySelfSigned = TestPki.CreateLeaf(null, "padding.invalid", ["padding.invalid"]);

    private static Task<SmtpProbeResult> ProbeAsync(ScriptedSmtpServer server, TimeSpan command) =>
        ProbeAsync(server, options: Fast() with { CommandTimeout = command });

    /// <summary>Banner, EHLO offering STARTTLS, 220, then TLS at <paramref name="version"/> presenting <paramref name="served"/>.</summary>
    private static ScriptedSmtpServer TlsServer(ServedChain served, ProtocolVersion version) =>
        ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.OfferStartTlsAsync(ct, "mx.scripted.test");
            await c.WriteLineAsync("220 2.0.0 go ahead", ct);
            await c.StartTlsAsync(served, ct, version);
            await c.ServeCommandsAsync(null, null, ct);
        });

    public static TheoryData<string> Chains => new() { "unordered", "padded", "leaf only", "missing intermediate" };

    private static ServedChain Chain(string name) => name switch
    {
        // Root before intermediate.
        "unordered" => ServedChain.Of(Pki.Leaf, Pki.Root, Pki.Intermediate),
        // An unrelated CA, a stray self-signed certificate and a duplicate of the intermediate.
        "padded" => ServedChain.Of(Pki.Leaf, Pki.Intermediate, UnrelatedRoot, Pki.Intermediate, StraySelfSigned, Pki.Root),
        "leaf only" => ServedChain.Of(Pki.Leaf),
        "missing intermediate" => ServedChain.Of(Pki.Leaf, Pki.Root),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Chains))]
    public async Task Tls12_chain_is_read_from_the_certificate_message_exactly_as_sent(string chain)
    {
        ServedChain served = Chain(chain);
        await using var server = TlsServer(served, ProtocolVersion.TLSv12);

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Completed, result.Stage);
        Assert.Equal("TLSv1.2", result.TlsProtocol);
        Assert.Equal(ServedChainSource.HandshakeRecord, result.ServedChainSource);
        Assert.Equal(served.Served.Select(c => c.Thumbprint), result.ServedChain.Select(c => c.Thumbprint));
        Assert.Empty(server.ScriptErrors);
    }

    [Theory]
    [MemberData(nameof(Chains))]
    public async Task Tls13_chain_comes_from_the_platform_callback_with_the_same_certificates(string chain)
    {
        ServedChain served = Chain(chain);
        await using var server = TlsServer(served, ProtocolVersion.TLSv13);

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Completed, result.Stage);
        Assert.Equal("TLSv1.3", result.TlsProtocol);
        Assert.Equal(ServedChainSource.PlatformCallback, result.ServedChainSource);
        Assert.Equal(Pki.Leaf.Thumbprint, result.ServedChain[0].Thumbprint);
        Assert.Equal(served.Served.Select(c => c.Thumbprint).ToHashSet(), result.ServedChain.Select(c => c.Thumbprint).ToHashSet());
    }

    [Fact]
    public async Task No_tls_means_no_chain_and_no_source()
    {
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(tls: null));

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Completed, result.Stage);
        Assert.Empty(result.ServedChain);
        Assert.Equal(ServedChainSource.None, result.ServedChainSource);
    }

    [Fact]
    public async Task Ehlo_reply_that_never_comes_times_out_at_the_command_timeout()
    {
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteLineAsync("220 mx ESMTP", ct);
            await c.ReadLineAsync(ct);
            await Task.Delay(Timeout.Infinite, ct);
        });

        SmtpProbeResult result = await ProbeAsync(server, TimeSpan.FromMilliseconds(400));

        Assert.Equal(SmtpProbeStage.Ehlo, result.Stage);
        Assert.Equal("no reply to EHLO within 0.4 s", result.Failure);
        Assert.False(result.PermanentSmtpFailure);
        Assert.Equal("220 mx ESMTP", result.Banner);
    }

    [Fact]
    public async Task Banner_dribbled_one_byte_a_second_fails_at_the_banner_deadline()
    {
        // 40 bytes at one a second would take 40 s: a deadline that restarted with every byte would
        // see the banner complete, and then EHLO; one deadline per phase stops at 2 s.
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            foreach (char ch in "220 mx.dribble.test ESMTP very slowly\r\n")
            {
                await c.WriteAsync(ch.ToString(), ct);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }

            await c.ServeCommandsAsync(null, null, ct);
        });

        var stopwatch = Stopwatch.StartNew();
        SmtpProbeResult result = await ProbeAsync(server, TimeSpan.FromSeconds(2));

        Assert.Equal(SmtpProbeStage.Banner, result.Stage);
        Assert.Equal("no banner within 2 s", result.Failure);
        Assert.Null(result.BannerCode);
        Assert.DoesNotContain(Only(server).Received, l => l.StartsWith("EHLO", StringComparison.Ordinal));
        HangGuard.Check(stopwatch.Elapsed, "the dribbled banner");
    }

    [Fact]
    public async Task Ehlo_reply_dribbled_one_byte_a_second_fails_at_the_ehlo_deadline()
    {
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteLineAsync("220 mx ESMTP", ct);
            await c.ReadLineAsync(ct);
            foreach (char ch in "250-mx.dribble.test\r\n250 STARTTLS\r\n")
            {
                await c.WriteAsync(ch.ToString(), ct);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        });

        SmtpProbeResult result = await ProbeAsync(server, TimeSpan.FromSeconds(2));

        Assert.Equal(SmtpProbeStage.Ehlo, result.Stage);
        Assert.Equal("no reply to EHLO within 2 s", result.Failure);
        Assert.False(result.StartTlsOffered);
    }

    [Fact]
    public async Task Multi_line_banner_and_long_ehlo_reply_are_read_whole()
    {
        string[] keywords = [.. Enumerable.Range(0, 100).Select(i => $"X-KEYWORD{i} some parameters"), "STARTTLS"];
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteAsync("220-mx.scripted.test ESMTP\r\n220-second line\r\n220 third line\r\n", ct);
            await c.ReadLineAsync(ct);
            var ehlo = new StringBuilder("250-mx.scripted.test greets you\r\n");
            for (int i = 0; i < keywords.Length; i++)
            {
                ehlo.Append(i == keywords.Length - 1 ? "250 " : "250-").Append(keywords[i]).Append("\r\n");
            }

            await c.WriteAsync(ehlo.ToString(), ct);
            await c.ReadLineAsync(ct);
            await c.WriteLineAsync("220 go ahead", ct);
            await c.StartTlsAsync(ServedChain.Of(Pki.Leaf, Pki.Intermediate), ct);
            await c.ServeCommandsAsync(null, null, ct);
        });

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Completed, result.Stage);
        Assert.Equal("220 mx.scripted.test ESMTP / second line / third line", result.Banner);
        Assert.Equal(keywords.Select(k => k.Split(' ')[0]), result.EhloKeywords);
        Assert.True(result.TlsEstablished);
    }

    [Theory]
    [InlineData("line", "the server's reply to EHLO has a line longer than 2048 bytes")]
    [InlineData("lines", "the server's reply to EHLO has more than 128 lines")]
    [InlineData("bytes", "the server's reply to EHLO is longer than 32768 bytes")]
    [InlineData("codes", "the server's reply to EHLO changes its reply code within one reply: \"550 no\"")]
    public async Task Oversized_or_inconsistent_ehlo_reply_is_a_bounded_ehlo_failure(string fault, string expected)
    {
        string reply = fault switch
        {
            // A line that never ends: 64 KiB without a line feed.
            "line" => "250-" + new string('x', 65536),
            "lines" => string.Concat(Enumerable.Repeat("250-x\r\n", 5000)),
            "bytes" => string.Concat(Enumerable.Repeat("250-" + new string('y', 1000) + "\r\n", 100)),
            _ => "250-mx\r\n550 no\r\n",
        };
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteLineAsync("220 mx ESMTP", ct);
            await c.ReadLineAsync(ct);
            await c.WriteAsync(reply, ct);
            await Task.Delay(Timeout.Infinite, ct);
        });

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Ehlo, result.Stage);
        Assert.Equal(expected, result.Failure);
        Assert.False(result.PermanentSmtpFailure);
        Assert.Empty(result.EhloKeywords);
    }

    [Fact]
    public async Task Plaintext_after_the_starttls_220_is_refused_before_any_handshake()
    {
        var counters = new SmtpCounters();
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.OfferStartTlsAsync(ct);
            // A reply injected behind the 220 (a man in the middle, or a broken server).
            await c.WriteAsync("220 2.0.0 go ahead\r\n250 injected\r\n", ct);
            await Task.Delay(Timeout.Infinite, ct);
        });

        SmtpProbeResult result = await ProbeAsync(server, options: Fast(counters));

        Assert.Equal(SmtpProbeStage.StartTls, result.Stage);
        Assert.True(result.StartTlsOffered);
        Assert.False(result.TlsEstablished);
        Assert.Equal("the server sent 14 more bytes after its 220 reply to STARTTLS, before the TLS handshake", result.Failure);
        Assert.Equal(0, counters.HandshakesStarted);
        Assert.False(Only(server).ClientHelloSeen);
    }

    [Fact]
    public async Task Refused_ehlo_accepted_helo_completes_in_plaintext_without_starttls()
    {
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteLineAsync("220 old ESMTP", ct);
            await c.ReadLineAsync(ct);
            await c.WriteLineAsync("502 5.5.2 EHLO not implemented", ct);
            await c.ServeCommandsAsync(null, null, ct);
        });

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Completed, result.Stage);
        Assert.False(result.StartTlsOffered);
        Assert.Empty(result.EhloKeywords);
        Assert.Equal(["EHLO probe.danemtasts.test", "HELO probe.danemtasts.test", "QUIT"], Only(server).Received);
    }

    [Fact]
    public async Task Permanent_ehlo_refusal_after_tls_is_an_ehlo_failure_with_tls_established()
    {
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.OfferStartTlsAsync(ct);
            await c.WriteLineAsync("220 go ahead", ct);
            await c.StartTlsAsync(ServedChain.Of(Pki.Leaf, Pki.Intermediate), ct, ProtocolVersion.TLSv12);
            while (await c.ReadLineAsync(ct) is { } line && line != "QUIT")
            {
                await c.WriteLineAsync("554 5.7.1 not you", ct);
            }

            await c.WriteLineAsync("221 bye", ct);
        });

        SmtpProbeResult result = await ProbeAsync(server);

        Assert.Equal(SmtpProbeStage.Ehlo, result.Stage);
        Assert.True(result.TlsEstablished);
        Assert.True(result.PermanentSmtpFailure);
        Assert.Equal("EHLO after STARTTLS answered 554 5.7.1 not you, HELO answered 554 5.7.1 not you", result.Failure);
        Assert.Equal(ServedChainSource.HandshakeRecord, result.ServedChainSource);
        Assert.Equal("QUIT", Only(server).Received.Last());
    }

    [Fact]
    public async Task Probe_with_background_quits_returns_before_the_quit_and_the_owner_waits_for_it()
    {
        var quits = new BackgroundQuits();
        var quitSeen = new TaskCompletionSource();
        var answerQuit = new TaskCompletionSource();
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteLineAsync("220 mx ESMTP", ct);
            await c.ReadLineAsync(ct);
            await c.WriteLineAsync("250 mx", ct);
            if (await c.ReadLineAsync(ct) == "QUIT")
            {
                quitSeen.TrySetResult();
                await answerQuit.Task.WaitAsync(ct);
                await c.WriteLineAsync("221 bye", ct);
            }
        });

        SmtpProbeResult result = await SmtpProber.ProbeAsync(server.Address, "mx.scripted.test", null, Fast(port: server.Port) with { BackgroundQuits = quits }, CancellationToken.None);

        // The result is back while the server still holds its answer to QUIT.
        Assert.Equal(SmtpProbeStage.Completed, result.Stage);
        await quitSeen.Task.WaitAsync(HangGuard.Limit);
        answerQuit.SetResult();
        Assert.True(quits.WaitAll(HangGuard.Limit));
    }
}
