using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>
/// A SOCKS5 proxy (RFC 1928) for SMTP probes and test messages, e.g. <c>ssh -D 1080 jumphost</c>
/// to a machine whose port 25 is open. Only CONNECT to an IP address is ever asked for: names are
/// resolved and judged (DNSSEC, DANE) here, never by the proxy.
/// </summary>
public sealed record Socks5Proxy
{
    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>Username/password (RFC 1929); null offers only "no authentication".</summary>
    public NetworkCredential? Credential { get; init; }

    /// <summary>
    /// Parses <c>socks5://host:port</c> (port defaults to 1080; IPv6 in brackets). Anything else
    /// (another scheme, a path, user info in the URI) is an <see cref="EngineException"/> InvalidSmtpProxy.
    /// </summary>
    public static Socks5Proxy Parse(string text, NetworkCredential? credential = null)
    {
        string shown = DomainName.Printable(text);
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out Uri? uri))
        {
            throw Invalid($"'{shown}' is not a proxy URI: give socks5://host:port.", text);
        }

        if (!string.Equals(uri.Scheme, "socks5", StringComparison.OrdinalIgnoreCase) && !string.Equals(uri.Scheme, "socks5h", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid($"'{shown}' is not a SOCKS5 proxy: only socks5://host:port is supported.", text);
        }

        if (uri.UserInfo.Length > 0)
        {
            throw Invalid($"'{shown}' carries credentials in the URI: give them with -SmtpProxyCredential instead.", text);
        }

        if (uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw Invalid($"'{shown}' has a path or query: give socks5://host:port only.", text);
        }

        string host = uri.Host.Trim('[', ']');
        if (host.Length == 0)
        {
            throw Invalid($"'{shown}' names no proxy host.", text);
        }

        if (credential is not null)
        {
            // RFC 1929 §2: each field is 1 to 255 octets.
            int user = Encoding.UTF8.GetByteCount(credential.UserName);
            int password = Encoding.UTF8.GetByteCount(credential.Password);
            if (user is < 1 or > 255 || password is < 1 or > 255)
            {
                throw Invalid("A SOCKS5 username and password must each be 1 to 255 bytes long (RFC 1929).", text);
            }
        }

        return new Socks5Proxy { Host = host, Port = uri.IsDefaultPort || uri.Port <= 0 ? 1080 : uri.Port, Credential = credential };
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"socks5://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}");

    private static EngineException Invalid(string message, string? target) =>
        new("InvalidSmtpProxy", EngineErrorKind.InvalidArgument, message, target);
}

/// <summary>How a SOCKS5 exchange failed.</summary>
public enum Socks5Failure
{
    /// <summary>No TCP connection to the proxy itself.</summary>
    ProxyUnreachable,

    /// <summary>The proxy accepts none of the offered methods (RFC 1928 §3: X'FF').</summary>
    NoAcceptableMethod,

    /// <summary>The proxy refused the username and password (RFC 1929 §2).</summary>
    AuthenticationFailed,

    /// <summary>The proxy refused the request by its own rules, or does not support it (REP 1, 2, 7, 8).</summary>
    RequestRefused,

    /// <summary>The proxy could not reach the target (REP 3, 4, 5, 6): a connect failure of the target, seen from the proxy.</summary>
    TargetUnreachable,

    /// <summary>The proxy answered outside RFC 1928 / 1929, or closed the connection mid-exchange.</summary>
    ProtocolViolation,
}

/// <summary>A failed SOCKS5 exchange; <see cref="Failure"/> says whose fault it is.</summary>
public sealed class Socks5Exception : Exception
{
    public Socks5Exception()
    {
    }

    public Socks5Exception(string message)
        : base(message)
    {
    }

    public Socks5Exception(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public Socks5Exception(Socks5Failure failure, string message, int? replyCode = null)
        : base(message)
    {
        Failure = failure;
        ReplyCode = replyCode;
    }

    public Socks5Failure Failure { get; }

    /// <summary>The REP field of the proxy's reply, when it sent one.</summary>
    public int? ReplyCode { get; }

    /// <summary>True when the target was not reached for reasons of the target (or the path to it), not of the proxy.</summary>
    public bool IsTargetFailure => Failure == Socks5Failure.TargetUnreachable;
}

/// <summary>How far a SOCKS5 exchange got (whose fault a timeout is).</summary>
internal sealed class Socks5Progress
{
    /// <summary>The proxy accepted us and was asked to CONNECT: from here on, waiting is the target's connect.</summary>
    public bool ConnectRequested { get; set; }
}

/// <summary>
/// The client side of RFC 1928 (CONNECT only, IPv4/IPv6 targets) with RFC 1929 username/password.
/// Every read is of a known, small length, so a hostile proxy cannot make it buffer more than 262
/// bytes; time is bounded by the caller's token (the connect timeout).
/// </summary>
internal static class Socks5Client
{
    private const byte Version = 5;

    /// <summary>Connects <paramref name="socket"/> to the proxy and asks it to CONNECT to <paramref name="target"/>.</summary>
    /// <exception cref="Socks5Exception">The proxy could not be reached, refused, or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> ended the wait (timeout or caller).</exception>
    public static async Task ConnectAsync(Socket socket, IPEndPoint proxy, Socks5Proxy settings, IPEndPoint target, Socks5Progress progress, CancellationToken cancellationToken)
    {
        try
        {
            await socket.ConnectAsync(proxy, cancellationToken);
        }
        catch (SocketException ex)
        {
            throw new Socks5Exception(Socks5Failure.ProxyUnreachable, $"the SOCKS5 proxy {settings} cannot be reached ({ex.SocketErrorCode})");
        }

        // RFC 1928 §3: VER | NMETHODS | METHODS. 0x00 no authentication, 0x02 username/password.
        byte[] greeting = settings.Credential is null ? [Version, 1, 0x00] : [Version, 2, 0x00, 0x02];
        await SendAsync(socket, greeting, cancellationToken);
        byte[] choice = await ReceiveAsync(socket, 2, "method selection", cancellationToken);
        if (choice[0] != Version)
        {
            throw Violation($"the proxy answered the greeting with version {choice[0]}, not 5: it does not speak SOCKS5");
        }

        switch (choice[1])
        {
            case 0x00:
                break;
            case 0x02 when settings.Credential is not null:
                await AuthenticateAsync(socket, settings.Credential, cancellationToken);
                break;
            case 0xFF:
                throw new Socks5Exception(Socks5Failure.NoAcceptableMethod, settings.Credential is null
                    ? "the SOCKS5 proxy requires authentication: give -SmtpProxyCredential"
                    : "the SOCKS5 proxy accepts neither no authentication nor username/password");
            default:
                throw Violation($"the proxy chose method {choice[1]}, which was not offered");
        }

        // RFC 1928 §4: VER | CMD=CONNECT | RSV | ATYP | DST.ADDR | DST.PORT (network order).
        byte[] address = target.Address.GetAddressBytes();
        byte[] request = new byte[4 + address.Length + 2];
        request[0] = Version;
        request[1] = 0x01;
        request[2] = 0x00;
        request[3] = target.AddressFamily == AddressFamily.InterNetworkV6 ? (byte)0x04 : (byte)0x01;
        address.CopyTo(request, 4);
        request[^2] = (byte)(target.Port >> 8);
        request[^1] = (byte)target.Port;
        await SendAsync(socket, request, cancellationToken);
        progress.ConnectRequested = true;

        // RFC 1928 §6: VER | REP | RSV | ATYP | BND.ADDR | BND.PORT.
        byte[] head = await ReceiveAsync(socket, 4, "CONNECT reply", cancellationToken);
        if (head[0] != Version)
        {
            throw Violation($"the proxy answered CONNECT with version {head[0]}, not 5");
        }

        int rep = head[1];
        if (rep != 0)
        {
            throw new Socks5Exception(rep is 3 or 4 or 5 or 6 ? Socks5Failure.TargetUnreachable : Socks5Failure.RequestRefused,
                $"the SOCKS5 proxy could not connect to {target}: {DescribeReply(rep)} (REP {rep})", rep);
        }

        int addressLength = head[3] switch
        {
            0x01 => 4,
            0x04 => 16,
            0x03 => (await ReceiveAsync(socket, 1, "bound address length", cancellationToken))[0],
            _ => throw Violation($"the proxy's CONNECT reply has address type {head[3]}, which RFC 1928 does not define"),
        };
        _ = await ReceiveAsync(socket, addressLength + 2, "bound address", cancellationToken);
    }

    /// <summary>RFC 1928 §6 reply field names.</summary>
    public static string DescribeReply(int rep) => rep switch
    {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned reply code",
    };

    private static async Task AuthenticateAsync(Socket socket, NetworkCredential credential, CancellationToken cancellationToken)
    {
        // RFC 1929 §2: VER=1 | ULEN | UNAME | PLEN | PASSWD; reply VER | STATUS (0 = success).
        byte[] user = Encoding.UTF8.GetBytes(credential.UserName);
        byte[] password = Encoding.UTF8.GetBytes(credential.Password);
        byte[] request = new byte[3 + user.Length + password.Length];
        request[0] = 0x01;
        request[1] = (byte)user.Length;
        user.CopyTo(request, 2);
        request[2 + user.Length] = (byte)password.Length;
        password.CopyTo(request, 3 + user.Length);
        try
        {
            await SendAsync(socket, request, cancellationToken);
        }
        finally
        {
            Array.Clear(request);
            Array.Clear(password);
        }

        byte[] reply = await ReceiveAsync(socket, 2, "authentication reply", cancellationToken);
        if (reply[0] != 0x01)
        {
            throw Violation($"the proxy answered the username/password exchange with version {reply[0]}, not 1");
        }

        if (reply[1] != 0)
        {
            throw new Socks5Exception(Socks5Failure.AuthenticationFailed, "the SOCKS5 proxy refused the username and password (-SmtpProxyCredential)");
        }
    }

    private static async Task SendAsync(Socket socket, byte[] data, CancellationToken cancellationToken)
    {
        try
        {
            int sent = 0;
            while (sent < data.Length)
            {
                sent += await socket.SendAsync(data.AsMemory(sent), SocketFlags.None, cancellationToken);
            }
        }
        catch (SocketException ex)
        {
            throw Violation($"the proxy closed the connection ({ex.SocketErrorCode})");
        }
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket, int count, string what, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[count];
        int read = 0;
        try
        {
            while (read < count)
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    throw Violation($"the proxy closed the connection before its {what}");
                }

                read += n;
            }
        }
        catch (SocketException ex)
        {
            throw Violation($"the proxy reset the connection before its {what} ({ex.SocketErrorCode})");
        }

        return buffer;
    }

    private static Socks5Exception Violation(string message) => new(Socks5Failure.ProtocolViolation, message);
}
