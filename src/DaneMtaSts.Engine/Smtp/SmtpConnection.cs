using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailKit;
using MailKit.Security;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>
/// The probe driver (docs/smtp.md#probe-facts): connects the socket itself (directly or through the
/// SOCKS5 proxy), reads the banner, says EHLO, STARTTLS when offered, hands the stream to
/// <see cref="SslStream"/>, says EHLO again. Every fact of <see cref="Result"/> comes from the call
/// that established it; the transcript is written alongside for people and never read back.
/// Shared by <see cref="SmtpProber"/> (which then quits) and <see cref="SmtpSession"/> (which lets
/// MailKit send a message over the same connection).
/// </summary>
internal sealed class SmtpConnection : IAsyncDisposable
{
    private readonly IPAddress address;
    private readonly string hostName;
    private readonly string? sni;
    private readonly Stopwatch stopwatch = Stopwatch.StartNew();
    private readonly SmtpTranscript transcript = new();
    private Socket? socket;
    private NetworkStream? network;
    private SslStream? tls;
    private Stream? live;
    private SmtpReplyReader? reader;
    private bool quitDue;
    private bool failedReply;
    private bool disposed;

    // The facts, each set by the call that established it.
    private bool connected;
    private SmtpReply? banner;
    private SmtpReply? ehlo;
    private SmtpReply? startTlsReply;
    private SmtpReply? ehloAfterTls;
    private SmtpReply? lastReply;
    private bool tlsEstablished;
    private string? tlsProtocol;
    private string? cipherSuite;
    private IReadOnlyList<X509Certificate2> servedChain = [];
    private ServedChainSource chainSource;

    private ProbingSmtpClient? client;
    private SmtpConversation? conversation;

    private SmtpConnection(IPAddress address, string hostName, string? sni, SmtpProbeOptions options)
    {
        this.address = address;
        this.hostName = hostName;
        this.sni = string.IsNullOrEmpty(sni) ? null : sni;
        Options = options;
    }

    public SmtpProbeOptions Options { get; }

    public SmtpProbeResult Result { get; private set; } = null!;

    /// <summary>The dialogue so far, for people.</summary>
    public IReadOnlyList<string> Transcript => transcript.Lines;

    /// <summary>Connected and past EHLO (over TLS if it was offered and worked).</summary>
    public bool IsOpen => !disposed && quitDue && Result.Stage == SmtpProbeStage.Completed && (client is null || client.IsConnected);

    /// <summary>
    /// Connects and probes. Returns an open connection when the dialogue got through; otherwise a
    /// closed one whose <see cref="Result"/> says where and why it stopped. Throws only
    /// <see cref="OperationCanceledException"/> for <paramref name="cancellationToken"/> (and argument errors).
    /// </summary>
    public static async Task<SmtpConnection> OpenAsync(IPAddress address, string hostName, string? sni, SmtpProbeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, 65535);
        cancellationToken.ThrowIfCancellationRequested();

        var connection = new SmtpConnection(address, hostName, sni, options);
        try
        {
            await connection.RunAsync(cancellationToken);
        }
        catch (ProbeStop stop)
        {
            connection.Result = connection.BuildResult(stop.Stage, stop.Failure) with { PermanentSmtpFailure = stop.Permanent, ProxyFailed = stop.ProxyFailed };
            connection.failedReply = true;
            connection.quitDue = stop.Quit;
            await connection.DisposeAsync();
            connection.Result = connection.Result with { Transcript = connection.Transcript, Elapsed = connection.stopwatch.Elapsed };
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        connection.Result = connection.BuildResult(SmtpProbeStage.Completed, null);
        return connection;
    }

    /// <summary>
    /// Hands the open connection to MailKit for sending (docs/smtp.md#sending): MailKit reads a
    /// replay of this connection's banner, then says EHLO over the live stream (TLS when
    /// established) and sends from there. MailKit never negotiates TLS or resolves names here.
    /// </summary>
    public async Task<(ProbingSmtpClient Client, SmtpConversation Conversation)> TakeOverAsync(CancellationToken cancellationToken)
    {
        if (client is not null)
        {
            return (client, conversation!);
        }

        if (!IsOpen || live is null || banner is null)
        {
            throw new InvalidOperationException("The SMTP connection is not open.");
        }

        conversation = new SmtpConversation(Options, transcript);
        client = new ProbingSmtpClient(conversation)
        {
            LocalDomain = Options.EhloName,
            Timeout = ClampMilliseconds(Options.CommandTimeout),
        };
        transcript.Note("MailKit takes over the connection (it reads the banner again from a replay)");
        string mailKitHost = string.IsNullOrWhiteSpace(hostName) ? address.ToString() : hostName;
        await WithClockAsync(
            async token =>
            {
                await client.ConnectAsync(new BannerReplayStream(live, banner), mailKitHost, Options.Port, SecureSocketOptions.None, token);
                return true;
            },
            cancellationToken);
        return (client, conversation);
    }

    /// <summary>Runs a MailKit <paramref name="operation"/> under a fresh per-command clock linked to the caller's token.</summary>
    public async Task<T> WithClockAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var clock = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        SmtpConversation? c = conversation;
        if (c is not null)
        {
            c.Clock = clock;
            c.Enter(SmtpPhase.Command);
        }
        else
        {
            clock.CancelAfter(Options.CommandTimeout);
        }

        try
        {
            return await operation(clock.Token);
        }
        finally
        {
            if (c is not null)
            {
                c.Clock = null;
            }
        }
    }

    /// <summary>Says QUIT (RFC 5321 §4.1.1.10) when the dialogue allows it, and closes; never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        try
        {
            if (client is { IsConnected: true })
            {
                await QuitWithMailKitAsync(client);
            }
            else if (quitDue && live is not null)
            {
                await QuitAsync();
            }
        }
        finally
        {
            client?.Dispose();
            tls?.Dispose();
            network?.Dispose();
            socket?.Dispose();
            stopwatch.Stop();
        }
    }

    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    private async Task RunAsync(CancellationToken caller)
    {
        await ConnectAsync(caller);
        network = new NetworkStream(socket!, ownsSocket: false);
        live = network;
        reader = new SmtpReplyReader(network);

        banner = await ExchangeAsync(null, SmtpProbeStage.Banner, "banner", caller);
        if (banner.Code != 220)
        {
            // RFC 5321 §3.1: after a refusing greeting the client should still say QUIT.
            throw new ProbeStop(SmtpProbeStage.Banner, $"the server greeted with {banner} instead of 220", banner.IsPermanent, quit: true);
        }

        quitDue = true;
        ehlo = await HelloAsync("EHLO", caller);
        if (!ehlo.EhloKeywords().Contains("STARTTLS"))
        {
            return;
        }

        startTlsReply = await ExchangeAsync("STARTTLS", SmtpProbeStage.StartTls, "reply to STARTTLS", caller);
        if (startTlsReply.Code != 220)
        {
            throw new ProbeStop(SmtpProbeStage.StartTls, $"STARTTLS answered {startTlsReply}", permanent: false, quit: true);
        }

        if (reader.Buffered > 0)
        {
            // RFC 3207 §4: TLS begins right after the 220. Plaintext sent before the handshake is
            // either a broken server or someone injecting commands that would run as if under TLS.
            throw new ProbeStop(SmtpProbeStage.StartTls, $"the server sent {reader.Buffered} more bytes after its 220 reply to STARTTLS, before the TLS handshake", permanent: false, quit: false);
        }

        quitDue = false;
        await HandshakeAsync(caller);
        live = tls;
        reader = new SmtpReplyReader(tls!);
        quitDue = true;
        ehloAfterTls = await HelloAsync("EHLO after STARTTLS", caller);
    }

    private async Task ConnectAsync(CancellationToken caller)
    {
        var endPoint = new IPEndPoint(address, Options.Port);
        using var clock = CancellationTokenSource.CreateLinkedTokenSource(caller);
        clock.CancelAfter(Options.ConnectTimeout);
        IPEndPoint? proxyEndPoint = null;
        string? proxyFailure = null;
        if (Options.Proxy is { } proxy)
        {
            (proxyEndPoint, proxyFailure) = await ResolveProxyAsync(proxy, clock.Token, caller);
        }

        socket = new Socket((proxyEndPoint ?? endPoint).AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Options.Counters?.CountConnectAttempt();
        if (proxyFailure is not null)
        {
            throw new ProbeStop(SmtpProbeStage.Connect, proxyFailure, permanent: false, quit: false) { ProxyFailed = true };
        }

        var progress = new Socks5Progress();
        try
        {
            if (proxyEndPoint is null)
            {
                await socket.ConnectAsync(endPoint, clock.Token);
            }
            else
            {
                await Socks5Client.ConnectAsync(socket, proxyEndPoint, Options.Proxy!, endPoint, progress, clock.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or Socks5Exception or OperationCanceledException && !caller.IsCancellationRequested)
        {
            // Whose fault: a target the proxy could not reach is a connect failure like a direct
            // one; a proxy that cannot be reached, refuses us or breaks the protocol says nothing
            // about the target. A timeout after the CONNECT request is the target's connect.
            bool proxyFault = ex is Socks5Exception { IsTargetFailure: false } || (ex is OperationCanceledException && proxyEndPoint is not null && !progress.ConnectRequested);
            string via = proxyEndPoint is null ? "" : $" through the SOCKS5 proxy {Options.Proxy}";
            string failure = ex switch
            {
                SocketException se => $"TCP connection to {endPoint} failed: {DescribeSocketError(se)}",
                Socks5Exception se => se.Message,
                _ when proxyFault => $"the SOCKS5 proxy {Options.Proxy} did not answer within {Seconds(Options.ConnectTimeout)}",
                _ => $"no TCP connection to {endPoint}{via} within {Seconds(Options.ConnectTimeout)}",
            };
            throw new ProbeStop(SmtpProbeStage.Connect, failure, permanent: false, quit: false) { ProxyFailed = proxyFault };
        }

        if (proxyEndPoint is not null)
        {
            // Through a proxy, CONNECT "succeeded" shows only that the proxy is willing: ssh -D
            // answers success before its far side has connected, then closes (or goes quiet)
            // when it cannot. Until the target's first byte arrives nothing shows that port 25
            // was reached, so a close, reset or silence before it is a connect failure of this
            // run (docs/smtp.md#proxy-first-byte), never a partner's banner failure.
            string? silent = await AwaitFirstByteAsync(socket, endPoint, Options, caller);
            if (silent is not null)
            {
                throw new ProbeStop(SmtpProbeStage.Connect, silent, permanent: false, quit: false);
            }
        }

        connected = true;
        Options.Counters?.CountConnectionOpened();
        transcript.Note(proxyEndPoint is null ? $"TCP connected to {endPoint}" : $"connected to {endPoint} through the SOCKS5 proxy {Options.Proxy}");
    }

    /// <summary>EHLO, and HELO when EHLO is refused (RFC 5321 §3.2); a refused HELO stops the probe.</summary>
    private async Task<SmtpReply> HelloAsync(string label, CancellationToken caller)
    {
        bool overTls = tls is not null;
        string after = overTls ? " after STARTTLS" : "";
        SmtpReply reply = await ExchangeAsync("EHLO " + Options.EhloName, SmtpProbeStage.Ehlo, $"reply to EHLO{after}", caller);
        if (reply.Code == 250)
        {
            return reply;
        }

        SmtpReply helo = await ExchangeAsync("HELO " + Options.EhloName, SmtpProbeStage.Ehlo, $"reply to HELO{after}", caller);
        if (helo.Code != 250)
        {
            throw new ProbeStop(SmtpProbeStage.Ehlo, $"{label} answered {reply}, HELO answered {helo}", helo.IsPermanent, quit: true);
        }

        return reply;
    }

    /// <summary>Sends <paramref name="command"/> (none: wait for the banner) and reads one bounded reply within the command timeout.</summary>
    private async Task<SmtpReply> ExchangeAsync(string? command, SmtpProbeStage stage, string noun, CancellationToken caller)
    {
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(caller);
        phase.CancelAfter(Options.CommandTimeout);
        SmtpReplyRead read;
        try
        {
            if (command is not null)
            {
                transcript.Client(command);
                await live!.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), phase.Token);
            }

            read = await reader!.ReadAsync(phase.Token);
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            throw new ProbeStop(stage, $"no {noun} within {Seconds(Options.CommandTimeout)}", permanent: false, quit: false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            caller.ThrowIfCancellationRequested();
            throw new ProbeStop(stage, $"the connection failed ({Innermost(ex)}) while waiting for the {noun}", permanent: false, quit: false);
        }

        foreach (string line in read.RawLines)
        {
            transcript.Server(line);
        }

        if (read.Reply is { } reply)
        {
            lastReply = reply;
            return reply;
        }

        string failure = read.Fault switch
        {
            SmtpReplyFault.Closed => $"the server closed the connection while waiting for the {noun}",
            SmtpReplyFault.NotSmtp => $"the server does not speak SMTP: it sent \"{Clip(read.Line)}\"",
            SmtpReplyFault.InconsistentCodes => $"the server's {noun} changes its reply code within one reply: \"{Clip(read.Line)}\"",
            SmtpReplyFault.LineTooLong => $"the server's {noun} has a line longer than {SmtpReplyReader.MaxLineBytes} bytes",
            SmtpReplyFault.TooManyLines => $"the server's {noun} has more than {SmtpReplyReader.MaxLinesPerReply} lines",
            _ => $"the server's {noun} is longer than {SmtpReplyReader.MaxReplyBytes} bytes",
        };
        throw new ProbeStop(stage, failure, permanent: false, quit: false);
    }

    private async Task HandshakeAsync(CancellationToken caller)
    {
        Options.Counters?.CountHandshakeStarted();
        var parser = new TlsCertificateMessageParser();
        var capture = new ServedChainCapture();
        tls = new SslStream(new RecordingStream(network!, parser), leaveInnerStreamOpen: true);

        // CA5359 (accepts any certificate) is the point of a probe: see ServedChainCapture.Accept.
        // The chain is judged afterwards by the DANE / MTA-STS / PKIX code, never by the TLS stack.
#pragma warning disable CA5359 // Do not disable certificate validation — justified above
        var authentication = new SslClientAuthenticationOptions
        {
            // RFC 7672 §8.1 / RFC 8461 §5: SNI carries the name the certificate will be judged against
            // (the TLSA base name, the MX host name). An empty TargetHost sends no server_name at all.
            TargetHost = sni ?? string.Empty,
            RemoteCertificateValidationCallback = capture.Accept,

            // Every probe must see a full handshake and the whole chain as served: a resumed session
            // carries no Certificate message.
            AllowTlsResume = false,

            // The chain SslStream builds before our callback must not reach the network (AIA fetches of
            // missing intermediates, OCSP/CRL): a fetched intermediate would hide that the server
            // failed to send it, and nothing may leave the machine that the probe did not ask for.
            // Its result is discarded (the callback accepts), so it is built against an empty custom
            // trust store, not the system's roots: a build against those cost twice the CPU on Linux
            // (docs/architecture.md#chain-judgement).
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = DiscardedChainPolicy(),

            // Whatever the platform allows: a probe must see what the server negotiates.
            EnabledSslProtocols = SslProtocols.None,
        };
#pragma warning restore CA5359
        transcript.Note(sni is null ? "TLS handshake without SNI" : $"TLS handshake, SNI {sni}");
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(caller);
        phase.CancelAfter(Options.HandshakeTimeout);

        // Backstop for the timeout: a closed socket ends any read the TLS stack is blocked in.
        using (phase.Token.Register(() => socket?.Dispose()))
        {
            try
            {
                await tls.AuthenticateAsClientAsync(authentication, phase.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or System.Security.Authentication.AuthenticationException or IOException or SocketException or ObjectDisposedException or CryptographicException)
            {
                caller.ThrowIfCancellationRequested();
                throw new ProbeStop(
                    SmtpProbeStage.Handshake,
                    phase.IsCancellationRequested ? $"TLS handshake did not complete within {Seconds(Options.HandshakeTimeout)}" : "TLS handshake failed: " + Innermost(ex),
                    permanent: false,
                    quit: false);
            }
        }

        Options.Counters?.CountHandshakeCompleted();
        tlsEstablished = true;
        tlsProtocol = FormatProtocol(tls.SslProtocol);
        cipherSuite = tls.NegotiatedCipherSuite.ToString();
        (servedChain, chainSource) = ChooseServedChain(parser, capture);
        transcript.Note($"TLS established: {tlsProtocol} {cipherSuite}; {servedChain.Count} certificate(s) served, read from the {(chainSource == ServedChainSource.HandshakeRecord ? "handshake record" : "platform's certificate callback")}");
    }

    /// <summary>
    /// docs/smtp.md#served-chain: the Certificate message as recorded when it crossed the wire in the
    /// clear (TLS 1.2 and below), else the platform callback's chain, the source named either way.
    /// </summary>
    private (IReadOnlyList<X509Certificate2> Chain, ServedChainSource Source) ChooseServedChain(TlsCertificateMessageParser parser, ServedChainCapture capture)
    {
        if (parser.Status == TlsFlightStatus.CertificateFound && parser.Certificates.Count > 0
            && capture.Leaf is { } leaf && parser.Certificates[0].AsSpan().SequenceEqual(leaf))
        {
            try
            {
                return (parser.Certificates.Select(der => X509CertificateLoader.LoadCertificate(der)).ToArray(), ServedChainSource.HandshakeRecord);
            }
            catch (CryptographicException ex)
            {
                transcript.Note("a recorded certificate does not decode (" + ex.Message + "); the platform's chain is used");
            }
        }
        else if (parser.Status != TlsFlightStatus.Encrypted)
        {
            transcript.Note("the Certificate message was not read from the record (" + (parser.Problem ?? "its leaf differs from the one the TLS stack saw") + "); the platform's chain is used");
        }

        return (capture.Chain, capture.Chain.Count == 0 ? ServedChainSource.None : ServedChainSource.PlatformCallback);
    }

    private async Task QuitAsync()
    {
        // After a refusal the server may be slow to answer or gone: do not wait long for its goodbye.
        TimeSpan wait = failedReply && Options.CommandTimeout > TimeSpan.FromSeconds(2) ? TimeSpan.FromSeconds(2) : Options.CommandTimeout;
        using var clock = new CancellationTokenSource(wait);
        try
        {
            transcript.Client("QUIT");
            await live!.WriteAsync("QUIT\r\n"u8.ToArray(), clock.Token);
            SmtpReplyRead read = await reader!.ReadAsync(clock.Token);
            foreach (string line in read.RawLines)
            {
                transcript.Server(line);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server hung up first, or does not answer QUIT: closing is all that is left.
        }
    }

    private async Task QuitWithMailKitAsync(ProbingSmtpClient mailKit)
    {
        using var clock = new CancellationTokenSource();
        conversation!.Clock = clock;
        try
        {
            conversation.Enter(SmtpPhase.Quit);
            await mailKit.DisconnectAsync(quit: true, clock.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or CommandException or ProtocolException or OperationCanceledException or ObjectDisposedException)
        {
            // The server went away before QUIT was answered: nothing more to be polite about.
        }
        finally
        {
            conversation.Clock = null;
        }
    }

    private SmtpProbeResult BuildResult(SmtpProbeStage stage, string? failure)
    {
        IReadOnlyList<string> keywords = ehlo.EhloKeywords();
        return new SmtpProbeResult
        {
            Address = address,
            Port = Options.Port,
            HostName = hostName,
            Sni = sni,
            Stage = stage,
            Failure = failure,
            Connected = connected,
            Banner = banner?.ToString(),
            BannerCode = banner?.Code,
            EhloKeywords = keywords,
            EhloKeywordsAfterTls = ehloAfterTls.EhloKeywords(),
            StartTlsOffered = keywords.Contains("STARTTLS"),
            StartTlsReply = startTlsReply?.ToString(),
            TlsEstablished = tlsEstablished,
            TlsProtocol = tlsProtocol,
            CipherSuite = cipherSuite,
            ServedChain = servedChain,
            ServedChainSource = chainSource,
            LastReply = lastReply?.ToString(),
            LastReplyCode = lastReply?.Code,
            Transcript = transcript.Lines,
            Elapsed = stopwatch.Elapsed,
        };
    }

    private static string Clip(string? line) => line is null ? "" : line.Length > 200 ? line[..200] + "…" : line;

    // The proxy's own name is the user's, not a partner's: the system resolver may resolve it.
    // Waits, without consuming it, for the target's first byte through the proxy: null once it is
    // there, else why nothing shows the target was reached.
    private static async Task<string?> AwaitFirstByteAsync(Socket socket, IPEndPoint endPoint, SmtpProbeOptions options, CancellationToken caller)
    {
        string reported = $"the SOCKS5 proxy {options.Proxy} reported a connection to {endPoint}";
        using var clock = CancellationTokenSource.CreateLinkedTokenSource(caller);
        clock.CancelAfter(options.CommandTimeout);
        byte[] one = new byte[1];
        try
        {
            int n = await socket.ReceiveAsync(one, SocketFlags.Peek, clock.Token);
            return n > 0 ? null : $"{reported}, then closed it before the server sent a byte";
        }
        catch (SocketException ex)
        {
            return $"{reported}, then the connection failed before the server sent a byte: {DescribeSocketError(ex)}";
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            return $"{reported}, but no byte came from the server within {Seconds(options.CommandTimeout)}";
        }
    }

    private static async Task<(IPEndPoint? EndPoint, string? Failure)> ResolveProxyAsync(Socks5Proxy proxy, CancellationToken clock, CancellationToken caller)
    {
        if (IPAddress.TryParse(proxy.Host, out IPAddress? literal))
        {
            return (new IPEndPoint(literal, proxy.Port), null);
        }

        try
        {
            IPAddress[] found = await System.Net.Dns.GetHostAddressesAsync(proxy.Host, clock);
            return found.Length == 0
                ? (null, $"the SOCKS5 proxy name {proxy.Host} has no address")
                : (new IPEndPoint(found[0], proxy.Port), null);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !caller.IsCancellationRequested)
        {
            return (null, $"the SOCKS5 proxy name {proxy.Host} could not be resolved: {ex.Message}");
        }
    }

    private static string Innermost(Exception ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            string message = e is SocketException se ? DescribeSocketError(se) : e.Message;
            if (!messages.Contains(message))
            {
                messages.Add(message);
            }
        }

        return messages.Count == 0 ? ex.GetType().Name : string.Join(": ", messages);
    }

    private static string DescribeSocketError(SocketException ex) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset by the server",
        SocketError.HostUnreachable => "host unreachable",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.TimedOut => "timed out",
        SocketError.AddressFamilyNotSupported => "address family not supported on this machine",
        _ => ex.Message,
    };

    private static int ClampMilliseconds(TimeSpan span) => (int)Math.Clamp(span.TotalMilliseconds, 1, int.MaxValue);

    private static string FormatProtocol(SslProtocols protocol) => protocol switch
    {
#pragma warning disable SYSLIB0039, CA5397 // naming old protocols to report them, not to enable them
        SslProtocols.Tls => "TLSv1",
        SslProtocols.Tls11 => "TLSv1.1",
#pragma warning restore SYSLIB0039, CA5397
        SslProtocols.Tls12 => "TLSv1.2",
        SslProtocols.Tls13 => "TLSv1.3",
        _ => protocol.ToString(),
    };

    /// <summary>Where and why the dialogue stopped; caught in <see cref="OpenAsync"/>, never leaves this class.</summary>
    private sealed class ProbeStop : Exception
    {
        public ProbeStop(SmtpProbeStage stage, string failure, bool permanent, bool quit)
            : base(failure)
        {
            Stage = stage;
            Failure = failure;
            Permanent = permanent;
            Quit = quit;
        }

        public SmtpProbeStage Stage { get; }

        public string Failure { get; }

        public bool Permanent { get; }

        /// <summary>The dialogue is intact (a complete reply refused): say QUIT before closing.</summary>
        public bool Quit { get; }

        public bool ProxyFailed { get; init; }
    }

    // The policy of the chain SslStream builds and the probe discards: an empty custom trust store,
    // no downloads, no revocation. A fresh one per handshake, as SslStream adds the served
    // certificates to the policy's extra store.
    private static X509ChainPolicy DiscardedChainPolicy() => new()
    {
        RevocationMode = X509RevocationMode.NoCheck,
        DisableCertificateDownloads = true,
        TrustMode = X509ChainTrustMode.CustomRootTrust,
    };

    /// <summary>Captures the certificates the TLS stack saw, and accepts them.</summary>
    private sealed class ServedChainCapture
    {
        public IReadOnlyList<X509Certificate2> Chain { get; private set; } = [];

        /// <summary>The DER of the leaf the TLS stack verified the handshake signature with.</summary>
        public byte[]? Leaf { get; private set; }

        // Accepting every certificate is deliberate: this is a probe. DANE (RFC 7672 §3) and MTA-STS
        // (RFC 8461 §4.2) each judge the chain by their own rules, later, in our own code; the TLS
        // stack's WebPKI policy must neither reject a DANE-EE self-signed leaf nor silently pass a
        // chain DANE would refuse. Nothing is sent after the handshake that the caller did not
        // decide to send having judged the captured chain.
        public bool Accept(object? sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            // The fallback source (TLS 1.3): on .NET for Linux SslStream fills ChainPolicy.ExtraStore
            // with SSL_get_peer_cert_chain, the certificates of the Certificate message in the order
            // sent. Other platforms make no such promise, hence the recorded message where readable.
            // The certificates are copied because SslStream disposes them when the callback returns.
            var served = new List<X509Certificate2>();
            if (chain is not null)
            {
                foreach (X509Certificate2 cert in chain.ChainPolicy.ExtraStore)
                {
                    served.Add(X509CertificateLoader.LoadCertificate(cert.RawData));
                }
            }

            if (certificate is not null)
            {
                Leaf = certificate.GetRawCertData();
                if (served.Count == 0 || !served[0].RawData.AsSpan().SequenceEqual(Leaf))
                {
                    // A platform whose extra store lacks the leaf: the leaf is always what was sent first.
                    served.Insert(0, X509CertificateLoader.LoadCertificate(Leaf));
                }
            }

            Chain = served;
            return true;
        }
    }
}
