using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using BcCertificate = Org.BouncyCastle.Tls.Certificate;
using TlsHash = Org.BouncyCastle.Tls.HashAlgorithm;

namespace DaneMtaSts.Engine.Tests.Support;

/// <summary>
/// What a scripted server presents in its TLS Certificate message: <see cref="Served"/> goes on the
/// wire exactly in this order (duplicates, unrelated padding and all); the private key of
/// <see cref="KeyOwner"/> signs the handshake.
/// </summary>
public sealed record ServedChain(X509Certificate2 KeyOwner, IReadOnlyList<X509Certificate2> Served)
{
    /// <summary>Leaf first, then the given certificates in the given order.</summary>
    public static ServedChain Of(X509Certificate2 leaf, params X509Certificate2[] rest) => new(leaf, [leaf, .. rest]);
}

/// <summary>
/// A TCP listener on loopback that runs a script per connection: the fake SMTP server for fault
/// injection (what a real MTA would never do on request). TLS is BouncyCastle's server, because
/// .NET's SslStream rebuilds and reorders the chain it serves and so cannot serve an unordered or
/// padded chain. Dispose stops the listener and closes every connection.
/// </summary>
public sealed class ScriptedSmtpServer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly Func<ScriptedSmtpConnection, CancellationToken, Task> script;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentBag<Task> running = [];
    private readonly Task acceptLoop;
    private int open;

    private ScriptedSmtpServer(TcpListener listener, Func<ScriptedSmtpConnection, CancellationToken, Task> script)
    {
        this.listener = listener;
        this.script = script;
        acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public IPAddress Address => ((IPEndPoint)listener.LocalEndpoint).Address;

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Every connection accepted so far, in order.</summary>
    public ConcurrentQueue<ScriptedSmtpConnection> Connections { get; } = new();

    /// <summary>Faults the scripts raised (other than the client going away).</summary>
    public ConcurrentQueue<Exception> ScriptErrors { get; } = new();

    /// <summary>Connections whose script is still running (the client has not let go of them).</summary>
    public int OpenConnections => Volatile.Read(ref open);

    /// <summary>Starts a server on an ephemeral port of <paramref name="bind"/> (default 127.0.0.1).</summary>
    public static ScriptedSmtpServer Start(Func<ScriptedSmtpConnection, CancellationToken, Task> script, IPAddress? bind = null) =>
        Start(script, new IPEndPoint(bind ?? IPAddress.Loopback, 0));

    /// <summary>Starts a server on a chosen endpoint (the engine tests' lab puts one port on many addresses).</summary>
    public static ScriptedSmtpServer Start(Func<ScriptedSmtpConnection, CancellationToken, Task> script, IPEndPoint endPoint)
    {
        var listener = new TcpListener(endPoint);
        if (endPoint.Port != 0)
        {
            // A chosen port may still have TIME_WAIT connections of an earlier lab on this address (a
            // server that closed first keeps them): SO_REUSEADDR lets the bind through on Linux, while
            // a listener that is really there still makes it fail.
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }

        listener.Start();
        return new ScriptedSmtpServer(listener, script);
    }

    /// <summary>A port on which nothing listens (bound, then released), for "connection refused".</summary>
    public static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>
    /// A well-behaved ESMTP server: banner, EHLO (with STARTTLS when <paramref name="tls"/> is
    /// given), STARTTLS, MAIL, RCPT (addresses in <paramref name="rejectRecipients"/> get 550),
    /// DATA, RSET, NOOP, QUIT.
    /// </summary>
    public static Func<ScriptedSmtpConnection, CancellationToken, Task> Esmtp(ServedChain? tls, string banner = "220 mx.scripted.test ESMTP ready", ISet<string>? rejectRecipients = null) =>
        async (c, ct) =>
        {
            await c.WriteLineAsync(banner, ct);
            await c.ServeCommandsAsync(tls, rejectRecipients, ct);
        };

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        foreach (ScriptedSmtpConnection connection in Connections)
        {
            connection.Close();
        }

        try
        {
            await acceptLoop.WaitAsync(TimeSpan.FromSeconds(5));
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException or TimeoutException)
        {
            // Scripts end by their connection being closed under them.
        }

        stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var connection = new ScriptedSmtpConnection(socket);
            Connections.Enqueue(connection);
            Interlocked.Increment(ref open);
            running.Add(Task.Run(async () =>
            {
                try
                {
                    await script(connection, stopping.Token);
                }
                catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or TlsException)
                {
                    // The client hung up, or the test ended: part of every fault scenario.
                }
                catch (Exception ex)
                {
                    ScriptErrors.Enqueue(ex);
                }
                finally
                {
                    connection.Dispose();
                    Interlocked.Decrement(ref open);
                }
            }));
        }
    }
}

/// <summary>One accepted connection, as seen by its script.</summary>
public sealed class ScriptedSmtpConnection : IDisposable
{
    private readonly Socket socket;
    private readonly byte[] one = new byte[1];
    private Stream stream;

    internal ScriptedSmtpConnection(Socket socket)
    {
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>Every line the client sent (commands and message lines), in order.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>The argument of the first EHLO or HELO.</summary>
    public string? EhloName { get; private set; }

    /// <summary>True once a TLS ClientHello was read.</summary>
    public bool ClientHelloSeen { get; private set; }

    /// <summary>The host name in the client's server_name extension (null: no SNI sent).</summary>
    public string? ReceivedSni { get; private set; }

    /// <summary>True when the TLS handshake completed.</summary>
    public bool TlsEstablished { get; private set; }

    /// <summary>The message data received after DATA (dot-unstuffed lines joined by CRLF).</summary>
    public ConcurrentQueue<string> Messages { get; } = new();

    public Task WriteLineAsync(string line, CancellationToken ct) => WriteAsync(line + "\r\n", ct);

    public async Task WriteAsync(string text, CancellationToken ct)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (stream is NetworkStream)
        {
            await stream.WriteAsync(bytes, ct);
        }
        else
        {
            // BouncyCastle's TLS stream is blocking.
            await Task.Run(() => stream.Write(bytes), ct);
        }
    }

    /// <summary>Reads one line (without CRLF); null when the client closed the connection.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        var bytes = new List<byte>();
        while (true)
        {
            int read = stream is NetworkStream
                ? await stream.ReadAsync(one, ct)
                : await Task.Run(() => stream.Read(one, 0, 1), ct);
            if (read == 0)
            {
                return null;
            }

            if (one[0] == (byte)'\n')
            {
                string line = Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r');
                Received.Enqueue(line);
                return line;
            }

            bytes.Add(one[0]);
        }
    }

    /// <summary>Greets, answers EHLO offering STARTTLS, and reads the client's next command (STARTTLS): the script's reply to it comes next.</summary>
    public async Task<string?> OfferStartTlsAsync(CancellationToken ct, string host = "mx")
    {
        await WriteLineAsync($"220 {host} ESMTP", ct);
        await ReadLineAsync(ct);
        await WriteAsync($"250-{host}\r\n250 STARTTLS\r\n", ct);
        return await ReadLineAsync(ct);
    }

    /// <summary>Reads up to <paramref name="count"/> raw bytes (e.g. the start of a ClientHello).</summary>
    public async Task<int> ReadRawAsync(int count, CancellationToken ct)
    {
        byte[] buffer = new byte[count];
        return await stream.ReadAsync(buffer, ct);
    }

    /// <summary>Runs the server side of a TLS handshake presenting <paramref name="chain"/>; later reads and writes go over TLS.</summary>
    public async Task StartTlsAsync(ServedChain chain, CancellationToken ct, ProtocolVersion? maxVersion = null)
    {
        var protocol = new TlsServerProtocol(stream);
        var server = new ScriptedTlsServer(chain, maxVersion ?? ProtocolVersion.TLSv13, this);
        using (ct.Register(Close))
        {
            await Task.Run(() => protocol.Accept(server), ct);
        }

        stream = protocol.Stream;
        TlsEstablished = true;
    }

    /// <summary>Answers commands until QUIT or the client leaves.</summary>
    public async Task ServeCommandsAsync(ServedChain? tls, ISet<string>? rejectRecipients, CancellationToken ct)
    {
        while (await ReadLineAsync(ct) is { } line)
        {
            string verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    EhloName ??= line.Split(' ', 2).ElementAtOrDefault(1);
                    await WriteAsync("250-mx.scripted.test greets you\r\n250-PIPELINING\r\n250-8BITMIME\r\n" + (tls is not null && !TlsEstablished ? "250-STARTTLS\r\n" : "") + "250 ENHANCEDSTATUSCODES\r\n", ct);
                    break;
                case "HELO":
                    EhloName ??= line.Split(' ', 2).ElementAtOrDefault(1);
                    await WriteLineAsync("250 mx.scripted.test", ct);
                    break;
                case "STARTTLS" when tls is not null && !TlsEstablished:
                    await WriteLineAsync("220 2.0.0 Ready to start TLS", ct);
                    await StartTlsAsync(tls, ct);
                    break;
                case "MAIL":
                    await WriteLineAsync("250 2.1.0 Ok", ct);
                    break;
                case "RCPT":
                    string address = line[(line.IndexOf('<', StringComparison.Ordinal) + 1)..].TrimEnd('>', ' ');
                    await WriteLineAsync(rejectRecipients?.Contains(address) == true ? "550 5.1.1 No such user" : "250 2.1.5 Ok", ct);
                    break;
                case "DATA":
                    await WriteLineAsync("354 End data with <CR><LF>.<CR><LF>", ct);
                    var body = new StringBuilder();
                    while (await ReadLineAsync(ct) is { } dataLine && dataLine != ".")
                    {
                        body.Append(dataLine.StartsWith('.') ? dataLine[1..] : dataLine).Append("\r\n");
                    }

                    Messages.Enqueue(body.ToString());
                    await WriteLineAsync("250 2.0.0 Ok: queued as SCRIPTED1", ct);
                    break;
                case "RSET" or "NOOP":
                    await WriteLineAsync("250 2.0.0 Ok", ct);
                    break;
                case "QUIT":
                    await WriteLineAsync("221 2.0.0 Bye", ct);
                    return;
                default:
                    await WriteLineAsync("502 5.5.2 Command not recognised", ct);
                    break;
            }
        }
    }

    /// <summary>Closes with a TCP reset (SO_LINGER 0) instead of an orderly FIN.</summary>
    public void Reset()
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }

        Close();
    }

    public void Close()
    {
        try
        {
            socket.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        Close();
        try
        {
            stream.Dispose();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or TlsException)
        {
            // Closing a TLS stream over a dead socket cannot send close_notify.
        }
    }

    internal void SawClientHello(string? sni)
    {
        ClientHelloSeen = true;
        ReceivedSni = sni;
    }

    /// <summary>BouncyCastle server that presents a chain verbatim and reports the client's SNI.</summary>
    private sealed class ScriptedTlsServer : DefaultTlsServer
    {
        private readonly ServedChain chain;
        private readonly ProtocolVersion maxVersion;
        private readonly ScriptedSmtpConnection owner;
        private readonly bool rsa;

        public ScriptedTlsServer(ServedChain chain, ProtocolVersion maxVersion, ScriptedSmtpConnection owner)
            : base(new BcTlsCrypto())
        {
            this.chain = chain;
            this.maxVersion = maxVersion;
            this.owner = owner;
            rsa = chain.KeyOwner.GetRSAPublicKey() is not null;
        }

        protected override ProtocolVersion[] GetSupportedVersions() =>
            maxVersion.Equals(ProtocolVersion.TLSv13) ? ProtocolVersion.TLSv13.DownTo(ProtocolVersion.TLSv12) : [ProtocolVersion.TLSv12];

        public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
        {
            base.ProcessClientExtensions(clientExtensions);
            IList<ServerName>? names = TlsExtensionsUtilities.GetServerNameExtensionClient(clientExtensions);
            ServerName? host = names?.FirstOrDefault(n => n.NameType == NameType.host_name);
            owner.SawClientHello(host is null ? null : Encoding.ASCII.GetString(host.NameData));
        }

        public override TlsCredentials GetCredentials()
        {
            if (TlsUtilities.IsTlsV13(m_context))
            {
                return Signer(rsa ? SignatureAndHashAlgorithm.rsa_pss_rsae_sha256 : SignatureAndHashAlgorithm.GetInstance(TlsHash.sha256, SignatureAlgorithm.ecdsa));
            }

            return base.GetCredentials();
        }

        protected override int[] GetSupportedCipherSuites() => rsa
            ? [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]
            : [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384];

        protected override TlsCredentialedSigner GetECDsaSignerCredentials() =>
            Signer(SignatureAndHashAlgorithm.GetInstance(TlsHash.sha256, SignatureAlgorithm.ecdsa));

        protected override TlsCredentialedSigner GetRsaSignerCredentials() =>
            Signer(SignatureAndHashAlgorithm.GetInstance(TlsHash.sha256, SignatureAlgorithm.rsa));

        private BcDefaultTlsCredentialedSigner Signer(SignatureAndHashAlgorithm algorithm)
        {
            var crypto = (BcTlsCrypto)Crypto;
            TlsCertificate[] certificates = chain.Served.Select(c => (TlsCertificate)new BcTlsCertificate(crypto, c.RawData)).ToArray();
            BcCertificate certificate = TlsUtilities.IsTlsV13(m_context)
                ? new BcCertificate(TlsUtilities.EmptyBytes, certificates.Select(c => new CertificateEntry(c, null)).ToArray())
                : new BcCertificate(certificates);
            AsymmetricAlgorithm key = (AsymmetricAlgorithm?)chain.KeyOwner.GetECDsaPrivateKey() ?? chain.KeyOwner.GetRSAPrivateKey()
                ?? throw new InvalidOperationException("the key owner has no private key");
            using (key)
            {
                AsymmetricKeyParameter privateKey = PrivateKeyFactory.CreateKey(key.ExportPkcs8PrivateKey());
                return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(m_context), crypto, privateKey, certificate, algorithm);
            }
        }
    }
}
