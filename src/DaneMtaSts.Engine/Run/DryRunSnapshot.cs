using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Smtp;

namespace DaneMtaSts.Engine.Run;

/// <summary>
/// What one dry-run session (one cmdlet call) cost on the wire, taken from that session
/// (<see cref="DryRunSession.Snapshot"/>, <see cref="DryRunSession.Final"/>); there is no process-wide
/// copy, so concurrent calls never see each other's counters. For the benchmark (tests/bench) and
/// for support: it changes no result. Test-OutboundTlsPolicy writes it to the information stream
/// with the tag <c>DaneMtaSts.DryRunStatistics</c> (see its help).
/// </summary>
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
