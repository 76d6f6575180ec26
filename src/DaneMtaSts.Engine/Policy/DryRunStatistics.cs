using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Smtp;

namespace DaneMtaSts.Engine.Policy;

/// <summary>
/// What the most recent dry-run session of this process cost on the wire, published when the
/// session ends (Test-OutboundTlsPolicy and Validate-OutboundConnector end theirs with the call).
/// For the benchmark (tests/bench) and for support: it changes no result and is not part of the
/// cmdlets' output. Concurrent sessions overwrite each other; the last one to end wins.
/// </summary>
public static class DryRunStatistics
{
    private static DryRunSnapshot? _last;

    /// <summary>The counters of the session that ended last, or null before any ended.</summary>
    public static DryRunSnapshot? Last => Volatile.Read(ref _last);

    internal static void Publish(DryRunSnapshot snapshot) => Volatile.Write(ref _last, snapshot);
}

/// <summary>The counters of one dry-run session (one cmdlet call).</summary>
public sealed record DryRunSnapshot
{
    public required DateTimeOffset Started { get; init; }

    public required DateTimeOffset Ended { get; init; }

    /// <summary>DNS queries put on the wire (UDP, TCP retries and CD=1 re-queries).</summary>
    public required long DnsQueriesSent { get; init; }

    /// <summary>Lookups answered from the session's own cache (or joined to one in flight).</summary>
    public required long DnsCacheHits { get; init; }

    public required long DnsTcpFallbacks { get; init; }

    /// <summary>Queries per question type ("A", "AAAA", "MX", "TLSA", "TXT", "DNSKEY", ...).</summary>
    public required IReadOnlyDictionary<string, long> DnsQueriesByType { get; init; }

    public required long SmtpConnectAttempts { get; init; }

    public required long SmtpConnectionsOpened { get; init; }

    public required long TlsHandshakesCompleted { get; init; }

    internal static DryRunSnapshot From(DateTimeOffset started, DnsCounters dns, SmtpCounters smtp) => new()
    {
        Started = started,
        Ended = DateTimeOffset.UtcNow,
        DnsQueriesSent = dns.QueriesSent,
        DnsCacheHits = dns.CacheHits,
        DnsTcpFallbacks = dns.TcpFallbacks,
        DnsQueriesByType = dns.QueriesByType,
        SmtpConnectAttempts = smtp.ConnectAttempts,
        SmtpConnectionsOpened = smtp.ConnectionsOpened,
        TlsHandshakesCompleted = smtp.HandshakesCompleted,
    };
}
