using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DaneMtaSts.Engine.Tests.Support;

/// <summary>How the test proxy behaves.</summary>
public enum Socks5Behaviour
{
    /// <summary>A working SOCKS5 proxy: negotiates, connects, relays.</summary>
    Relay,

    /// <summary>Answers every CONNECT with REP 5 (connection refused).</summary>
    RefuseTargets,

    /// <summary>Answers every CONNECT with REP 2 (not allowed by ruleset).</summary>
    DenyByRuleset,

    /// <summary>Accepts the TCP connection and never says anything.</summary>
    StallGreeting,

    /// <summary>Negotiates, reads the CONNECT request, and never answers it.</summary>
    StallConnect,

    /// <summary>Answers the greeting as if it were SOCKS4 (version 4): a lying or wrong server.</summary>
    WrongVersion,

    /// <summary>Claims success with an undefined address type (a lying proxy).</summary>
    BadAddressType,

    /// <summary>Closes the connection right after reading the greeting.</summary>
    CloseAfterGreeting,

    /// <summary>Answers CONNECT with success without connecting, then closes (ssh -D when its far side cannot connect).</summary>
    SucceedThenClose,

    /// <summary>Answers CONNECT with success without connecting, then says nothing (ssh -D while its far side's connect hangs).</summary>
    SucceedThenStall,
}

/// <summary>
/// A real SOCKS5 server (RFC 1928 CONNECT, RFC 1929 username/password) on loopback, written for the
/// tests: it relays bytes to the requested address and records every request, so a test can assert
/// that only IP addresses were asked for. Misbehaviours make it refuse, stall or lie.
/// </summary>
public sealed class TestSocks5Server : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly ConcurrentBag<Task> _sessions = [];

    private TestSocks5Server(Socks5Behaviour behaviour, NetworkCredential? required)
    {
        Behaviour = behaviour;
        Required = required;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Socks5Behaviour Behaviour { get; }

    /// <summary>The username/password the proxy demands (null: no authentication).</summary>
    public NetworkCredential? Required { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Uri => $"socks5://127.0.0.1:{Port}";

    /// <summary>Every CONNECT target asked for: address type (1 IPv4, 3 name, 4 IPv6) and the address text.</summary>
    public ConcurrentQueue<(byte AddressType, string Target)> Requests { get; } = new();

    /// <summary>Every TCP connection accepted by the proxy.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Authentication attempts that failed.</summary>
    public int AuthenticationFailures => Volatile.Read(ref _authFailures);

    private int _accepted;
    private int _authFailures;

    public static TestSocks5Server Start(Socks5Behaviour behaviour = Socks5Behaviour.Relay, NetworkCredential? requireCredential = null) =>
        new(behaviour, requireCredential);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _sessions.Add(Task.Run(() => ServeAsync(client, _stop.Token)));
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken ct)
    {
        using (client)
        {
            try
            {
                await ServeCoreAsync(client, ct);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // The client went away, or the test ended.
            }
        }
    }

    private async Task ServeCoreAsync(Socket client, CancellationToken ct)
    {
        if (Behaviour == Socks5Behaviour.StallGreeting)
        {
            await Task.Delay(Timeout.Infinite, ct);
        }

        // RFC 1928 §3: VER | NMETHODS | METHODS
        byte[] head = await ReadAsync(client, 2, ct);
        byte[] methods = await ReadAsync(client, head[1], ct);
        if (Behaviour == Socks5Behaviour.CloseAfterGreeting)
        {
            return;
        }

        if (Behaviour == Socks5Behaviour.WrongVersion)
        {
            await client.SendAsync(new byte[] { 4, 0 }, ct);
            return;
        }

        byte wanted = Required is null ? (byte)0x00 : (byte)0x02;
        if (head[0] != 5 || !methods.Contains(wanted))
        {
            await client.SendAsync(new byte[] { 5, 0xFF }, ct);
            return;
        }

        await client.SendAsync(new byte[] { 5, wanted }, ct);
        if (Required is not null)
        {
            // RFC 1929 §2: VER | ULEN | UNAME | PLEN | PASSWD
            byte[] version = await ReadAsync(client, 2, ct);
            string user = Encoding.UTF8.GetString(await ReadAsync(client, version[1], ct));
            byte[] plen = await ReadAsync(client, 1, ct);
            string password = Encoding.UTF8.GetString(await ReadAsync(client, plen[0], ct));
            bool ok = version[0] == 1 && user == Required.UserName && password == Required.Password;
            if (!ok)
            {
                // Counted before the reply leaves: the client may assert on the count as soon as it reads it.
                Interlocked.Increment(ref _authFailures);
            }

            await client.SendAsync(new byte[] { 1, ok ? (byte)0 : (byte)1 }, ct);
            if (!ok)
            {
                return;
            }
        }

        // RFC 1928 §4: VER | CMD | RSV | ATYP | DST.ADDR | DST.PORT
        byte[] request = await ReadAsync(client, 4, ct);
        byte atyp = request[3];
        string host;
        IPAddress? address = null;
        switch (atyp)
        {
            case 1:
                address = new IPAddress(await ReadAsync(client, 4, ct));
                host = address.ToString();
                break;
            case 4:
                address = new IPAddress(await ReadAsync(client, 16, ct));
                host = address.ToString();
                break;
            case 3:
                byte[] len = await ReadAsync(client, 1, ct);
                host = Encoding.ASCII.GetString(await ReadAsync(client, len[0], ct));
                break;
            default:
                return;
        }

        byte[] portBytes = await ReadAsync(client, 2, ct);
        int port = (portBytes[0] << 8) | portBytes[1];
        Requests.Enqueue((atyp, $"{host}:{port}"));

        switch (Behaviour)
        {
            case Socks5Behaviour.StallConnect:
                await Task.Delay(Timeout.Infinite, ct);
                return;
            case Socks5Behaviour.RefuseTargets:
                await ReplyAsync(client, 5, ct);
                return;
            case Socks5Behaviour.DenyByRuleset:
                await ReplyAsync(client, 2, ct);
                return;
            case Socks5Behaviour.BadAddressType:
                await client.SendAsync(new byte[] { 5, 0, 0, 9, 0, 0 }, ct);
                return;
            case Socks5Behaviour.SucceedThenClose:
                await ReplyAsync(client, 0, ct);
                return;
            case Socks5Behaviour.SucceedThenStall:
                await ReplyAsync(client, 0, ct);
                await Task.Delay(Timeout.Infinite, ct);
                return;
        }

        if (address is null || request[1] != 1)
        {
            await ReplyAsync(client, address is null ? (byte)8 : (byte)7, ct);
            return;
        }

        using var upstream = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await upstream.ConnectAsync(new IPEndPoint(address, port), ct);
        }
        catch (SocketException ex)
        {
            await ReplyAsync(client, ex.SocketErrorCode == SocketError.ConnectionRefused ? (byte)5 : (byte)4, ct);
            return;
        }

        await ReplyAsync(client, 0, ct);
        using var relay = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task up = PumpAsync(client, upstream, relay.Token);
        Task down = PumpAsync(upstream, client, relay.Token);
        await Task.WhenAny(up, down);
        await relay.CancelAsync();
    }

    private static async Task ReplyAsync(Socket client, byte rep, CancellationToken ct) =>
        await client.SendAsync(new byte[] { 5, rep, 0, 1, 127, 0, 0, 1, 0, 0 }, ct);

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken ct)
    {
        byte[] buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task<byte[]> ReadAsync(Socket socket, int count, CancellationToken ct)
    {
        byte[] buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, ct);
            if (n == 0)
            {
                throw new IOException("the client closed the connection");
            }

            read += n;
        }

        return buffer;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        await Task.WhenAll(_sessions);
        _stop.Dispose();
    }
}
