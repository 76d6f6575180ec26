using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailKit;
using MailKit.Security;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>
/// The one implementation of "connect to an address, read the banner, EHLO, STARTTLS, handshake,
/// capture everything" shared by <see cref="SmtpProber"/> (which then quits) and
/// <see cref="SmtpSession"/> (which keeps the TLS session to send a message over it).
/// </summary>
internal sealed class SmtpConnection : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly Stopwatch stopwatch;
    private bool disposed;

    private SmtpConnection(Socket socket, ProbingSmtpClient client, SmtpConversation conversation, SmtpProbeOptions options, Stopwatch stopwatch)
    {
        this.socket = socket;
        Client = client;
        Conversation = conversation;
        Options = options;
        this.stopwatch = stopwatch;
    }

    public ProbingSmtpClient Client { get; }

    public SmtpConversation Conversation { get; }

    public SmtpProbeOptions Options { get; }

    public SmtpProbeResult Result { get; private set; } = null!;

    /// <summary>Connected and past EHLO (over TLS if it was offered and worked).</summary>
    public bool IsOpen => !disposed && Client.IsConnected;

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

        var stopwatch = Stopwatch.StartNew();
        var conversation = new SmtpConversation(options);
        var capture = new ServedChainCapture();
        var client = new ProbingSmtpClient(conversation, string.IsNullOrEmpty(sni) ? null : sni)
        {
            LocalDomain = options.EhloName,
            Timeout = ClampMilliseconds(options.CommandTimeout),
            CheckCertificateRevocation = false,
        };

        // CA5359 (accepts any certificate) is the point of a probe: see ServedChainCapture.Accept.
        // The chain is judged afterwards by the DANE / MTA-STS / PKIX code, never by the TLS stack.
#pragma warning disable CA5359 // Do not disable certificate validation — justified above
        client.ServerCertificateValidationCallback = capture.Accept;
#pragma warning restore CA5359
        var endPoint = new IPEndPoint(address, options.Port);
        string? tlsProtocol = null;
        string? cipherSuite = null;

        using var clock = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        conversation.Clock = clock;
        conversation.Enter(SmtpPhase.Connect);
        IPEndPoint? proxyEndPoint = null;
        string? proxyFailure = null;
        if (options.Proxy is { } proxy)
        {
            (proxyEndPoint, proxyFailure) = await ResolveProxyAsync(proxy, clock.Token, cancellationToken);
        }

        var socket = new Socket((proxyEndPoint ?? endPoint).AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connection = new SmtpConnection(socket, client, conversation, options, stopwatch);
        try
        {
            options.Counters?.CountConnectAttempt();
            if (proxyFailure is not null)
            {
                connection.Result = connection.BuildResult(address, hostName, sni, SmtpProbeStage.Connect, proxyFailure, connected: false, capture, null, null) with { ProxyFailed = true };
                await connection.DisposeAsync();
                return connection;
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
                    await Socks5Client.ConnectAsync(socket, proxyEndPoint, options.Proxy!, endPoint, progress, clock.Token);
                }
            }
            catch (Exception ex) when (ex is SocketException or Socks5Exception or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Whose fault: a target the proxy could not reach is a connect failure like a direct
                // one; a proxy that cannot be reached, refuses us or breaks the protocol says nothing
                // about the target. A timeout after the CONNECT request is the target's connect.
                bool proxyFault = ex is Socks5Exception { IsTargetFailure: false } || (ex is OperationCanceledException && proxyEndPoint is not null && !progress.ConnectRequested);
                string via = proxyEndPoint is null ? "" : $" through the SOCKS5 proxy {options.Proxy}";
                string failure = ex switch
                {
                    SocketException se => $"TCP connection to {Format(endPoint)} failed: {DescribeSocketError(se)}",
                    Socks5Exception se => se.Message,
                    _ when proxyFault => $"the SOCKS5 proxy {options.Proxy} did not answer within {Seconds(options.ConnectTimeout)}",
                    _ => $"no TCP connection to {Format(endPoint)}{via} within {Seconds(options.ConnectTimeout)}",
                };
                connection.Result = connection.BuildResult(address, hostName, sni, SmtpProbeStage.Connect, failure, connected: false, capture, null, null) with { ProxyFailed = proxyFault };
                await connection.DisposeAsync();
                return connection;
            }

            if (proxyEndPoint is not null)
            {
                // Through a proxy, CONNECT "succeeded" shows only that the proxy is willing: ssh -D
                // answers success before its far side has connected, then closes (or goes quiet)
                // when it cannot. Until the target's first byte arrives nothing shows that port 25
                // was reached, so a close, reset or silence before it is a connect failure of this
                // run (docs/smtp.md#proxy-first-byte), never a partner's banner failure.
                conversation.Enter(SmtpPhase.Banner);
                string? silent = await AwaitFirstByteAsync(socket, endPoint, options, clock.Token, cancellationToken);
                if (silent is not null)
                {
                    conversation.Note(silent);
                    connection.Result = connection.BuildResult(address, hostName, sni, SmtpProbeStage.Connect, silent, connected: false, capture, null, null);
                    await connection.DisposeAsync();
                    return connection;
                }
            }

            options.Counters?.CountConnectionOpened();
            conversation.Note(proxyEndPoint is null ? $"TCP connected to {Format(endPoint)}" : $"connected to {Format(endPoint)} through the SOCKS5 proxy {options.Proxy}");

            // MailKit gets a stream that does not own the socket: when MailKit gives up on a reply
            // it disposes its stream, and we still want to say QUIT on the plaintext socket.
            var network = new NetworkStream(socket, ownsSocket: false);
            string mailKitHost = string.IsNullOrWhiteSpace(hostName) ? address.ToString() : hostName;
            conversation.TlsCommandStarted += () => conversation.Note("TLS established");
            conversation.Enter(SmtpPhase.Banner);
            try
            {
                await client.ConnectAsync(network, mailKitHost, options.Port, SecureSocketOptions.StartTlsWhenAvailable, clock.Token);
            }
            catch (Exception ex) when (IsConversationFault(ex))
            {
                cancellationToken.ThrowIfCancellationRequested();
                bool timedOut = clock.IsCancellationRequested;
                var (stage, failure, permanent) = Describe(conversation, ex, timedOut);
                bool plaintextReply = ex is CommandException && conversation.Phase is SmtpPhase.Banner or SmtpPhase.Ehlo or SmtpPhase.StartTls;
                connection.Result = connection.BuildResult(address, hostName, sni, stage, failure, connected: true, capture, null, null) with { PermanentSmtpFailure = permanent };
                if (plaintextReply)
                {
                    await connection.QuitRawAsync(cancellationToken);
                }

                await connection.DisposeAsync();
                connection.Result = connection.Result with { Transcript = conversation.Transcript, Elapsed = stopwatch.Elapsed };
                return connection;
            }

            if (client.IsSecure)
            {
                tlsProtocol = FormatProtocol(client.SslProtocol);
                cipherSuite = client.SslCipherSuite?.ToString();
            }

            connection.Result = connection.BuildResult(address, hostName, sni, SmtpProbeStage.Completed, null, connected: true, capture, tlsProtocol, cipherSuite);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        finally
        {
            conversation.Clock = null;
        }
    }

    // Waits, without consuming it, for the target's first byte through the proxy: null once it is
    // there, else why nothing shows the target was reached.
    private static async Task<string?> AwaitFirstByteAsync(Socket socket, IPEndPoint endPoint, SmtpProbeOptions options, CancellationToken clock, CancellationToken caller)
    {
        string reported = $"the SOCKS5 proxy {options.Proxy} reported a connection to {Format(endPoint)}";
        byte[] one = new byte[1];
        try
        {
            int n = await socket.ReceiveAsync(one, SocketFlags.Peek, clock);
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

    // The proxy's own name is the user's, not a partner's: the system resolver may resolve it.
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

    /// <summary>Runs <paramref name="operation"/> under a fresh per-command clock linked to the caller's token.</summary>
    public async Task<T> WithClockAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var clock = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Conversation.Clock = clock;
        try
        {
            Conversation.Enter(SmtpPhase.Command);
            return await operation(clock.Token);
        }
        finally
        {
            Conversation.Clock = null;
        }
    }

    /// <summary>Says QUIT (RFC 5321 §4.1.1.10) and closes; never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (Client.IsConnected)
        {
            using var clock = new CancellationTokenSource();
            Conversation.Clock = clock;
            try
            {
                Conversation.Enter(SmtpPhase.Quit);
                await Client.DisconnectAsync(quit: true, clock.Token);
            }
            catch (Exception ex) when (IsConversationFault(ex))
            {
                // The server went away before QUIT was answered: nothing more to be polite about.
            }
            finally
            {
                Conversation.Clock = null;
            }
        }

        Client.Dispose();
        socket.Dispose();
        stopwatch.Stop();
    }

    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    private static bool IsConversationFault(Exception ex) =>
        ex is IOException or SocketException or CommandException or ProtocolException or SslHandshakeException
            or System.Security.Authentication.AuthenticationException or OperationCanceledException or ObjectDisposedException or NotSupportedException;

    private static (SmtpProbeStage Stage, string Failure, bool Permanent) Describe(SmtpConversation conversation, Exception ex, bool timedOut)
    {
        SmtpPhase phase = conversation.Phase;
        SmtpProbeStage stage = phase switch
        {
            SmtpPhase.Connect => SmtpProbeStage.Connect,
            SmtpPhase.Banner => SmtpProbeStage.Banner,
            SmtpPhase.Ehlo or SmtpPhase.EhloAfterTls => SmtpProbeStage.Ehlo,
            SmtpPhase.StartTls => SmtpProbeStage.StartTls,
            SmtpPhase.Handshake => SmtpProbeStage.Handshake,
            _ => SmtpProbeStage.Ehlo,
        };
        string within = Seconds(conversation.PhaseTimeout);
        if (timedOut)
        {
            string failure = phase switch
            {
                SmtpPhase.Banner => $"no banner within {within}",
                SmtpPhase.Ehlo => $"no reply to EHLO within {within}",
                SmtpPhase.StartTls => $"no reply to STARTTLS within {within}",
                SmtpPhase.Handshake => $"TLS handshake did not complete within {within}",
                SmtpPhase.EhloAfterTls => $"no reply to EHLO after STARTTLS within {within}",
                _ => $"no reply within {within}",
            };
            return (stage, failure, false);
        }

        SmtpReply? reply = conversation.LastReply;
        if (ex is CommandException && reply is not null)
        {
            string failure = phase switch
            {
                SmtpPhase.Banner => $"the server greeted with {reply} instead of 220",
                SmtpPhase.Ehlo when conversation.LastReplyTo == "HELO" => $"EHLO answered {conversation.FirstEhloReply}, HELO answered {reply}",
                SmtpPhase.Ehlo => $"EHLO answered {reply}",
                SmtpPhase.StartTls => $"STARTTLS answered {reply}",
                SmtpPhase.EhloAfterTls => $"EHLO after STARTTLS answered {reply}",
                _ => $"the server answered {reply}",
            };
            bool permanent = reply.IsPermanent && phase is SmtpPhase.Banner or SmtpPhase.Ehlo or SmtpPhase.EhloAfterTls;
            return (stage, failure, permanent);
        }

        if (phase == SmtpPhase.Handshake || ex is SslHandshakeException or System.Security.Authentication.AuthenticationException)
        {
            return (SmtpProbeStage.Handshake, "TLS handshake failed: " + Innermost(ex), false);
        }

        if (conversation.NonSmtpLine is { } garbage)
        {
            return (stage, $"the server does not speak SMTP: it sent \"{garbage}\"", false);
        }

        string waiting = phase switch
        {
            SmtpPhase.Banner => "while waiting for the banner",
            SmtpPhase.Ehlo => "after EHLO",
            SmtpPhase.StartTls => "after STARTTLS",
            SmtpPhase.EhloAfterTls => "after EHLO over TLS",
            _ => "during the dialogue",
        };
        string what = ex is ProtocolException && Innermost(ex).Contains("disconnected", StringComparison.OrdinalIgnoreCase)
            ? "the server closed the connection"
            : "the connection failed (" + Innermost(ex) + ")";
        return (stage, $"{what} {waiting}", false);
    }

    private static string Innermost(Exception ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is SslHandshakeException)
            {
                // MailKit's text is advice to end users about certificate trust; the cause is below it.
                continue;
            }

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

    private static string Format(IPEndPoint endPoint) => endPoint.ToString();

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

    private SmtpProbeResult BuildResult(IPAddress address, string hostName, string? sni, SmtpProbeStage stage, string? failure, bool connected, ServedChainCapture capture, string? tlsProtocol, string? cipherSuite)
    {
        SmtpConversation c = Conversation;
        IReadOnlyList<string> keywords = SmtpConversation.Keywords(c.FirstEhloReply);
        return new SmtpProbeResult
        {
            Address = address,
            Port = Options.Port,
            HostName = hostName,
            Sni = string.IsNullOrEmpty(sni) ? null : sni,
            Stage = stage,
            Failure = failure,
            Connected = connected,
            Banner = c.Banner?.ToString(),
            BannerCode = c.Banner?.Code,
            EhloKeywords = keywords,
            EhloKeywordsAfterTls = SmtpConversation.Keywords(c.EhloAfterTlsReply),
            StartTlsOffered = keywords.Contains("STARTTLS"),
            StartTlsReply = c.StartTlsReply?.ToString(),
            TlsEstablished = c.HandshakeCompleted,
            TlsProtocol = tlsProtocol,
            CipherSuite = cipherSuite,
            ServedChain = capture.Chain,
            LastReply = c.LastReply?.ToString(),
            LastReplyCode = c.LastReply?.Code,
            Transcript = c.Transcript,
            Elapsed = stopwatch.Elapsed,
        };
    }

    /// <summary>
    /// After MailKit gave up on a plaintext reply (4xx/5xx banner, EHLO, STARTTLS) the TCP
    /// connection is still fine: RFC 5321 §3.1 and §4.1.1.10 ask the client to end with QUIT.
    /// </summary>
    private async Task QuitRawAsync(CancellationToken cancellationToken)
    {
        using var clock = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        clock.CancelAfter(Options.CommandTimeout < TimeSpan.FromSeconds(2) ? Options.CommandTimeout : TimeSpan.FromSeconds(2));
        try
        {
            Conversation.Note("QUIT after the failure");
            await socket.SendAsync("QUIT\r\n"u8.ToArray(), SocketFlags.None, clock.Token);
            byte[] buffer = new byte[512];
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, clock.Token);
            if (read > 0)
            {
                Conversation.Note("QUIT answered " + Encoding.UTF8.GetString(buffer, 0, read).TrimEnd('\r', '\n'));
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server hung up first, or does not answer QUIT: closing is all that is left.
        }
    }

    /// <summary>Captures the certificates the server sent, and accepts them.</summary>
    private sealed class ServedChainCapture
    {
        public IReadOnlyList<X509Certificate2> Chain { get; private set; } = [];

        // Accepting every certificate is deliberate: this is a probe. DANE (RFC 7672 §3) and MTA-STS
        // (RFC 8461 §4.2) each judge the chain by their own rules, later, in our own code; the TLS
        // stack's WebPKI policy must neither reject a DANE-EE self-signed leaf nor silently pass a
        // chain DANE would refuse. Nothing is sent after the handshake that the caller did not
        // decide to send having judged the captured chain.
        public bool Accept(object? sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            // On .NET for Linux SslStream fills ChainPolicy.ExtraStore with SSL_get_peer_cert_chain:
            // every certificate of the server's Certificate message, leaf first, in the order sent,
            // duplicates and unrelated padding included. The tests check this against a server that
            // serves an unordered, padded chain. The certificates are copied because SslStream
            // disposes them when the callback returns.
            var served = new List<X509Certificate2>();
            if (chain is not null)
            {
                foreach (X509Certificate2 cert in chain.ChainPolicy.ExtraStore)
                {
                    served.Add(X509CertificateLoader.LoadCertificate(cert.RawData));
                }
            }

            if (certificate is not null && (served.Count == 0 || !served[0].RawData.AsSpan().SequenceEqual(certificate.GetRawCertData())))
            {
                // A platform whose extra store lacks the leaf: the leaf is always what was sent first.
                served.Insert(0, X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            }

            Chain = served;
            return true;
        }
    }
}
