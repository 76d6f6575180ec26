using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Smtp;
using DaneMtaSts.Engine.Tests.Support;
using MimeKit;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using InProcessSmtpServer = SmtpServer.SmtpServer;

namespace DaneMtaSts.Engine.Tests.Smtp;

/// <summary>Probe and session against the SmtpServer package (a real ESMTP implementation over .NET's SslStream).</summary>
public sealed class SmtpSessionTests
{
    private static readonly (X509Certificate2 Leaf, X509Certificate2 Intermediate, X509Certificate2 Root) Pki = TestPki.CreateChain("mx.inprocess.test");

    private static SmtpProbeOptions Fast(int port, SmtpCounters? counters = null) => new()
    {
        Port = port,
        EhloName = "sender.danemtasts.test",
        ConnectTimeout = TestTimeouts.Success,
        CommandTimeout = TestTimeouts.Success,
        HandshakeTimeout = TestTimeouts.Success,
        Counters = counters,
    };

    [Fact]
    public async Task Probe_of_a_real_esmtp_server_sees_tls_leaf_and_the_server_sees_our_ehlo_name()
    {
        await using var server = await InProcess.StartAsync(Pki.Leaf);

        SmtpProbeResult result = await SmtpProber.ProbeAsync(IPAddress.Loopback, "mx.inprocess.test", "mx.inprocess.test", Fast(server.Port), CancellationToken.None);

        Assert.Equal(SmtpProbeStage.Completed, result.Stage);
        Assert.True(result.StartTlsOffered);
        Assert.True(result.TlsEstablished);
        Assert.NotNull(result.TlsProtocol);
        Assert.NotNull(result.CipherSuite);
        Assert.Equal(Pki.Leaf.Thumbprint, result.ServedChain[0].Thumbprint);
        Assert.Contains("sender.danemtasts.test", server.EhloNames);
        Assert.True(await server.WaitForSessionsAsync(1));
        Assert.Equal(1, server.Sessions);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task Session_sends_the_test_message_over_the_same_tls_connection()
    {
        var counters = new SmtpCounters();
        await using var server = await InProcess.StartAsync(Pki.Leaf);
        MimeMessage message = TestMessage.Create("admin@sender.test", ["alice@inprocess.test", "bob@inprocess.test"], "To Partner", "run-42");

        SmtpSendResult sent;
        await using (SmtpSession session = await SmtpSession.OpenAsync(IPAddress.Loopback, "mx.inprocess.test", "mx.inprocess.test", Fast(server.Port, counters), requireTls: true, CancellationToken.None))
        {
            Assert.True(session.IsOpen);
            Assert.True(session.Probe.TlsEstablished);
            Assert.Equal(Pki.Leaf.Thumbprint, session.Probe.ServedChain[0].Thumbprint);

            sent = await session.SendAsync(message, CancellationToken.None);
        }

        Assert.True(sent.Accepted, sent.Failure);
        Assert.Equal(250, sent.ReplyCode);
        Assert.Equal(message.MessageId, sent.MessageId);
        Assert.Equal(["alice@inprocess.test", "bob@inprocess.test"], sent.AcceptedRecipients);
        Assert.Empty(sent.RejectedRecipients);
        Assert.Contains("C: MAIL FROM:<admin@sender.test>", sent.Transcript[0], StringComparison.Ordinal);

        Assert.True(await server.WaitForSessionsAsync(1));
        Assert.Equal(1, server.Sessions);
        var stored = Assert.Single(server.Messages);
        Assert.True(stored.Secure);
        Assert.Equal(["alice@inprocess.test", "bob@inprocess.test"], stored.Recipients);
        Assert.Equal("admin@sender.test", stored.From);
        Assert.Equal("DaneMtaSts test message via connector To Partner [run-42]", stored.Message.Subject);
        Assert.Equal(message.MessageId, stored.Message.MessageId);
        Assert.Equal(1, counters.ConnectionsOpened);
        Assert.Equal(1, counters.HandshakesCompleted);
        Assert.Equal(1, counters.MessagesSent);
    }

    [Fact]
    public async Task Rejected_recipient_is_reported_per_recipient_and_the_others_still_get_the_message()
    {
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(ServedChain.Of(Pki.Leaf), rejectRecipients: new HashSet<string> { "nobody@inprocess.test" }));
        MimeMessage message = TestMessage.Create("admin@sender.test", ["alice@inprocess.test", "nobody@inprocess.test"], "To Partner", "run-43");

        await using SmtpSession session = await SmtpSession.OpenAsync(server.Address, "mx.inprocess.test", null, Fast(server.Port), requireTls: true, CancellationToken.None);
        SmtpSendResult sent = await session.SendAsync(message, CancellationToken.None);

        Assert.True(sent.Accepted);
        Assert.Equal(["alice@inprocess.test"], sent.AcceptedRecipients);
        SmtpRecipientResult rejected = Assert.Single(sent.RejectedRecipients);
        Assert.Equal("nobody@inprocess.test", rejected.Address);
        Assert.Equal(550, rejected.ReplyCode);
        Assert.Contains("No such user", rejected.ReplyText, StringComparison.Ordinal);
        ScriptedSmtpConnection connection = Assert.Single(server.Connections);
        Assert.Contains("Subject: DaneMtaSts test message via connector To Partner [run-43]", Assert.Single(connection.Messages), StringComparison.Ordinal);
    }

    [Fact]
    public async Task All_recipients_rejected_is_a_permanent_failure_not_an_exception()
    {
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(ServedChain.Of(Pki.Leaf), rejectRecipients: new HashSet<string> { "nobody@inprocess.test" }));
        MimeMessage message = TestMessage.Create("admin@sender.test", ["nobody@inprocess.test"], "To Partner", "run-44");

        await using SmtpSession session = await SmtpSession.OpenAsync(server.Address, "mx.inprocess.test", null, Fast(server.Port), requireTls: true, CancellationToken.None);
        SmtpSendResult sent = await session.SendAsync(message, CancellationToken.None);

        Assert.False(sent.Accepted);
        Assert.True(sent.PermanentFailure);
        Assert.Equal("no recipient was accepted", sent.Failure);
        Assert.Equal(550, Assert.Single(sent.RejectedRecipients).ReplyCode);
        Assert.Empty(Assert.Single(server.Connections).Messages);
    }

    [Fact]
    public async Task Tls_required_and_not_offered_leaves_the_session_closed_without_sending()
    {
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(tls: null));

        await using SmtpSession session = await SmtpSession.OpenAsync(server.Address, "mx.plain.test", "mx.plain.test", Fast(server.Port), requireTls: true, CancellationToken.None);

        Assert.False(session.IsOpen);
        Assert.False(session.Probe.StartTlsOffered);
        MimeMessage message = TestMessage.Create("admin@sender.test", ["alice@plain.test"], "C", "t");
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.SendAsync(message, CancellationToken.None));
        Assert.Equal(["EHLO sender.danemtasts.test", "QUIT"], Assert.Single(server.Connections).Received);
    }

    [Fact]
    public async Task Plaintext_session_is_allowed_when_tls_is_not_required()
    {
        await using var server = ScriptedSmtpServer.Start(ScriptedSmtpServer.Esmtp(tls: null));
        MimeMessage message = TestMessage.Create("admin@sender.test", ["alice@plain.test"], "Plain", "t");

        await using SmtpSession session = await SmtpSession.OpenAsync(server.Address, "mx.plain.test", null, Fast(server.Port), requireTls: false, CancellationToken.None);
        Assert.True(session.IsOpen);
        SmtpSendResult sent = await session.SendAsync(message, CancellationToken.None);

        Assert.True(sent.Accepted);
        Assert.Equal(250, sent.ReplyCode);
        Assert.Equal("2.0.0 Ok: queued as SCRIPTED1", sent.ReplyText);
    }

    [Fact]
    public async Task MailKit_takes_over_the_probed_tls12_connection_after_a_multi_line_banner()
    {
        // docs/smtp.md#sending: the message goes over the connection whose chain was read from the
        // Certificate message; MailKit starts from a replay of the banner, not a second greeting.
        ServedChain served = ServedChain.Of(Pki.Leaf, Pki.Root, Pki.Intermediate);
        await using var server = ScriptedSmtpServer.Start(async (c, ct) =>
        {
            await c.WriteAsync("220-mx.inprocess.test ESMTP\r\n220 second banner line\r\n", ct);
            await c.ReadLineAsync(ct);
            await c.WriteAsync("250-mx.inprocess.test\r\n250 STARTTLS\r\n", ct);
            await c.ReadLineAsync(ct);
            await c.WriteLineAsync("220 go ahead", ct);
            await c.StartTlsAsync(served, ct, Org.BouncyCastle.Tls.ProtocolVersion.TLSv12);
            await c.ServeCommandsAsync(null, null, ct);
        });
        MimeMessage message = TestMessage.Create("admin@sender.test", ["alice@inprocess.test"], "Over TLS 1.2", "t12");

        SmtpSendResult sent;
        await using (SmtpSession session = await SmtpSession.OpenAsync(server.Address, "mx.inprocess.test", "mx.inprocess.test", Fast(server.Port), requireTls: true, CancellationToken.None))
        {
            Assert.True(session.IsOpen);
            Assert.Equal(ServedChainSource.HandshakeRecord, session.Probe.ServedChainSource);
            Assert.Equal(served.Served.Select(c => c.Thumbprint), session.Probe.ServedChain.Select(c => c.Thumbprint));
            sent = await session.SendAsync(message, CancellationToken.None);
        }

        Assert.True(sent.Accepted, sent.Failure);
        Assert.Equal(250, sent.ReplyCode);
        ScriptedSmtpConnection seen = Assert.Single(server.Connections);
        Assert.True(seen.TlsEstablished);
        Assert.Single(seen.Messages);
        // EHLO before STARTTLS and after it (the probe), then MailKit's own EHLO over the same TLS session.
        Assert.Equal(3, seen.Received.Count(l => l.StartsWith("EHLO ", StringComparison.Ordinal)));
        Assert.Single(seen.Received, "STARTTLS");
        Assert.Equal("QUIT", seen.Received.Last());
    }

    [Fact]
    public async Task Session_to_a_closed_port_is_not_open_and_says_why()
    {
        int port = ScriptedSmtpServer.ClosedPort();

        await using SmtpSession session = await SmtpSession.OpenAsync(IPAddress.Loopback, "mx.closed.test", null, Fast(port), requireTls: true, CancellationToken.None);

        Assert.False(session.IsOpen);
        Assert.Equal(SmtpProbeStage.Connect, session.Probe.Stage);
    }

    [Fact]
    public void Test_message_is_short_plain_text_says_it_is_a_test_and_has_a_unique_id()
    {
        MimeMessage a = TestMessage.Create("admin@sender.test", ["x@partner.test"], "Partner", "tag1");
        MimeMessage b = TestMessage.Create("admin@sender.test", ["x@partner.test"], "Partner", "tag1");

        Assert.NotEqual(a.MessageId, b.MessageId);
        Assert.EndsWith("@sender.test", a.MessageId, StringComparison.Ordinal);
        Assert.Equal("DaneMtaSts test message via connector Partner [tag1]", a.Subject);
        Assert.Equal("connector validation", a.Headers["X-DaneMtaSts-Test"]);
        Assert.Equal("Partner", a.Headers["X-DaneMtaSts-Connector"]);
        Assert.Equal("auto-generated", a.Headers[HeaderId.AutoSubmitted]);
        var body = Assert.IsType<TextPart>(a.Body);
        Assert.True(body.IsPlain);
        Assert.Contains("\"Partner\"", body.Text, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TestMessage.Create("admin@sender.test", [], "Partner", "t"));
    }

    /// <summary>The SmtpServer package on a loopback port, recording sessions, EHLO names and stored messages.</summary>
    private sealed class InProcess : IAsyncDisposable
    {
        private readonly InProcessSmtpServer server;
        private readonly CancellationTokenSource stop = new();
        private readonly Task running;
        private readonly ConcurrentDictionary<Guid, bool> ehloSessions = new();
        private int sessions;
        private int completed;

        private InProcess(InProcessSmtpServer server, int port, Store store)
        {
            this.server = server;
            Port = port;
            Messages = store.Messages;
            // Sessions are counted once they say EHLO, so the readiness probe (connect, close) is not one.
            server.SessionCreated += (_, e) =>
            {
                e.Context.CommandExecuting += (_, c) =>
                {
                    if (c.Command is EhloCommand ehlo)
                    {
                        EhloNames.Enqueue(ehlo.DomainOrAddress);
                        if (ehloSessions.TryAdd(e.Context.SessionId, true))
                        {
                            Interlocked.Increment(ref sessions);
                        }
                    }
                };
            };
            server.SessionCompleted += (_, e) =>
            {
                if (ehloSessions.ContainsKey(e.Context.SessionId))
                {
                    Interlocked.Increment(ref completed);
                }
            };
            running = server.StartAsync(stop.Token);
        }

        public int Port { get; }

        public int Sessions => Volatile.Read(ref sessions);

        public ConcurrentQueue<string> EhloNames { get; } = new();

        public ConcurrentQueue<StoredMessage> Messages { get; }

        public static async Task<InProcess> StartAsync(X509Certificate2 certificate)
        {
            int port = ScriptedSmtpServer.ClosedPort();
            var store = new Store();
            ISmtpServerOptions options = new SmtpServerOptionsBuilder()
                .ServerName("mx.inprocess.test")
                .Endpoint(b => b.Endpoint(new IPEndPoint(IPAddress.Loopback, port)).Certificate(certificate).SupportedSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13))
                .Build();
            var services = new ServiceProvider();
            services.Add(store);
            var result = new InProcess(new InProcessSmtpServer(options, services), port, store);
            await result.WaitUntilListeningAsync();
            return result;
        }

        /// <summary>True once <paramref name="count"/> sessions have ended (the server saw QUIT and closed).</summary>
        public async Task<bool> WaitForSessionsAsync(int count)
        {
            for (int i = 0; i < 100 && Volatile.Read(ref completed) < count; i++)
            {
                await Task.Delay(20);
            }

            return Volatile.Read(ref completed) >= count;
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            server.Shutdown();
            try
            {
                await running.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (OperationCanceledException)
            {
            }

            stop.Dispose();
        }

        private async Task WaitUntilListeningAsync()
        {
            // The package binds in StartAsync on its own schedule: wait until the port answers.
            for (int i = 0; i < 100; i++)
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await probe.ConnectAsync(IPAddress.Loopback, Port);
                    return;
                }
                catch (SocketException)
                {
                    await Task.Delay(20);
                }
            }

            throw new InvalidOperationException("the in-process SMTP server did not start");
        }
    }

    private sealed record StoredMessage(string From, IReadOnlyList<string> Recipients, MimeMessage Message, bool Secure);

    private sealed class Store : MessageStore
    {
        public ConcurrentQueue<StoredMessage> Messages { get; } = new();

        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            MimeMessage message = await MimeMessage.LoadAsync(stream, cancellationToken);
            Messages.Enqueue(new StoredMessage(
                $"{transaction.From.User}@{transaction.From.Host}",
                transaction.To.Select(t => $"{t.User}@{t.Host}").ToArray(),
                message,
                context.Pipe.IsSecure));
            return SmtpResponse.Ok;
        }
    }
}
