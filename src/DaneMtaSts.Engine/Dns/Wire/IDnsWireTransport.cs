namespace DaneMtaSts.Engine.Dns.Wire;

/// <summary>
/// Carries one DNS message (wire format, RFC 1035 §4.1) to a recursive resolver and brings back its
/// response: UDP with TCP fallback on TC=1 (RFC 7766), or DNS over HTTPS (RFC 8484). The transport
/// knows nothing of DNSSEC; it only guarantees that the returned message answers the query it was
/// given (same ID, QR=1, the same question, compared case-insensitively).
/// </summary>
public interface IDnsWireTransport
{
    /// <summary>The server this transport asks, for evidence and warnings (e.g. "127.0.0.1:53", "https://dns.example/dns-query").</summary>
    string Server { get; }

    /// <summary>
    /// Sends <paramref name="query"/> and returns the matching response message. Throws
    /// <see cref="DnsTransportException"/> when no matching response arrives within the transport's
    /// timeout (after its retries), and <see cref="OperationCanceledException"/> on cancellation.
    /// </summary>
    Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken);
}

/// <summary>No matching response: timeout, network error, HTTP error, or an answer to another question.</summary>
public sealed class DnsTransportException : Exception
{
    public DnsTransportException()
    {
    }

    public DnsTransportException(string message)
        : base(message)
    {
    }

    public DnsTransportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the server was reached on no path: nothing that answers the query came back in time.</summary>
    public bool NoAnswer { get; init; }

    /// <summary>True when the UDP answer was truncated (TC=1) and the retry over TCP brought none in time.</summary>
    public bool TruncatedOverUdp { get; init; }

    /// <summary>The UDP datagrams sent for the query (re-sends included), where the transport sends datagrams.</summary>
    public int DatagramsSent { get; init; }

    /// <summary>Datagrams received that did not answer the query (another ID or question), and were ignored.</summary>
    public int DatagramsIgnored { get; init; }
}
