using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace DaneMtaSts.Engine.Tests.Support;

/// <summary>One HTTP/1.1 request the server received, and the stream to answer on.</summary>
public sealed class HttpExchange
{
    internal HttpExchange(string requestHead, string? serverName, Stream stream, CancellationToken cancellationToken)
    {
        RequestHead = requestHead;
        ServerName = serverName;
        Stream = stream;
        CancellationToken = cancellationToken;
    }

    /// <summary>The request line and headers as received.</summary>
    public string RequestHead { get; }

    /// <summary>The SNI the client sent.</summary>
    public string? ServerName { get; }

    public Stream Stream { get; }

    /// <summary>Cancelled when the server is disposed.</summary>
    public CancellationToken CancellationToken { get; }

    public async Task WriteAsync(string text)
    {
        await Stream.WriteAsync(Encoding.UTF8.GetBytes(text), CancellationToken);
        await Stream.FlushAsync(CancellationToken);
    }

    public async Task WriteAsync(byte[] bytes)
    {
        await Stream.WriteAsync(bytes, CancellationToken);
        await Stream.FlushAsync(CancellationToken);
    }
}

/// <summary>
/// A minimal HTTPS/1.1 server on 127.0.0.1 (ephemeral port) over TcpListener and SslStream, with a
/// TestPki certificate, answering each request with a response the test scripts byte by byte. It
/// closes the connection after each response.
/// </summary>
public sealed class TestHttpsServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly SslStreamCertificateContext _certificateContext;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Task> _connections = [];
    private readonly List<string> _requests = [];
    private readonly List<string?> _serverNames = [];
    private int _connectionCount;
    private int _handshakeFailures;

    public TestHttpsServer(X509Certificate2 certificate, IEnumerable<X509Certificate2>? intermediates, Func<HttpExchange, Task> handler)
    {
        Handler = handler;
        _certificateContext = SslStreamCertificateContext.Create(certificate, new X509Certificate2Collection(intermediates?.ToArray() ?? []), offline: true);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>What the server answers; may be replaced between requests.</summary>
    public Func<HttpExchange, Task> Handler { get; set; }

    /// <summary>TCP connections accepted so far.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Connections whose TLS handshake failed (e.g. the client rejected the certificate).</summary>
    public int HandshakeFailures => Volatile.Read(ref _handshakeFailures);

    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public IReadOnlyList<string?> ServerNames
    {
        get
        {
            lock (_requests)
            {
                return [.. _serverNames];
            }
        }
    }

    /// <summary>A complete response with Content-Length.</summary>
    public static Func<HttpExchange, Task> Respond(int status, string? contentType, string body, string reason = "Status", params string[] extraHeaders) =>
        exchange =>
        {
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            var head = new StringBuilder();
            head.Append("HTTP/1.1 ").Append(status).Append(' ').Append(reason).Append("\r\n");
            if (contentType is not null)
            {
                head.Append("Content-Type: ").Append(contentType).Append("\r\n");
            }

            head.Append("Content-Length: ").Append(bytes.Length).Append("\r\n");
            foreach (string header in extraHeaders)
            {
                head.Append(header).Append("\r\n");
            }

            head.Append("Connection: close\r\n\r\n");
            return WriteAllAsync(exchange, head.ToString(), bytes);
        };

    /// <summary>A policy served correctly.</summary>
    public static Func<HttpExchange, Task> Policy(string policyText) => Respond(200, "text/plain", policyText, "OK");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    private static async Task WriteAllAsync(HttpExchange exchange, string head, byte[] body)
    {
        await exchange.WriteAsync(Encoding.ASCII.GetBytes(head));
        await exchange.WriteAsync(body);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connectionCount);
            lock (_connections)
            {
                _connections.Add(ServeAsync(client));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var ssl = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
                string? serverName = null;
                await ssl.AuthenticateAsServerAsync(
                    (stream, hello, state, token) =>
                    {
                        serverName = hello.ServerName;
                        return ValueTask.FromResult(new SslServerAuthenticationOptions { ServerCertificateContext = _certificateContext });
                    },
                    null,
                    _stop.Token);

                string head = await ReadHeadAsync(ssl, _stop.Token);
                if (head.Length == 0)
                {
                    return; // the client closed without a request (e.g. it rejected the certificate after a TLS 1.3 handshake)
                }

                lock (_requests)
                {
                    _requests.Add(head);
                    _serverNames.Add(serverName);
                }

                await Handler(new HttpExchange(head, serverName, ssl, _stop.Token));
            }
            catch (Exception ex) when (ex is AuthenticationException)
            {
                Interlocked.Increment(ref _handshakeFailures);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // The client gave up (timeout, size limit) or the server is stopping: both are expected in these tests.
            }
        }
    }

    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new List<byte>();
        byte[] one = new byte[1];
        while (head.Count < 16384)
        {
            int read = await stream.ReadAsync(one, cancellationToken);
            if (read == 0)
            {
                break;
            }

            head.Add(one[0]);
            int n = head.Count;
            if (n >= 4 && head[n - 4] == '\r' && head[n - 3] == '\n' && head[n - 2] == '\r' && head[n - 1] == '\n')
            {
                break;
            }
        }

        return Encoding.ASCII.GetString([.. head]);
    }
}
