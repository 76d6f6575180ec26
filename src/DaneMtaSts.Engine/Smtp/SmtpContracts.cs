using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>Where a probe stopped.</summary>
public enum SmtpProbeStage
{
    /// <summary>The probe got as far as it needed (TLS established, or plaintext EHLO when STARTTLS is not offered).</summary>
    Completed,
    Connect,
    Banner,
    Ehlo,
    StartTls,
    Handshake,
    Cancelled,

    /// <summary>No probe was made (-SkipSmtpProbe): nothing is known of what the address serves.</summary>
    Skipped,
}

/// <summary>Timeouts and names of a probe.</summary>
public sealed record SmtpProbeOptions
{
    public int Port { get; init; } = 25;

    /// <summary>The name sent in EHLO.</summary>
    public string EhloName { get; init; } = "danemtasts.invalid";

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for the banner and for each command's reply.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The SOCKS5 proxy every connection goes through (null: direct). Names are never sent to it, only addresses.</summary>
    public Socks5Proxy? Proxy { get; init; }

    /// <summary>Where the prober counts connections and handshakes (the benchmark reads it); null: not counted.</summary>
    public SmtpCounters? Counters { get; init; }

    /// <summary>
    /// When set, a probe returns as soon as it has seen what it needs and says QUIT in the
    /// background (one round trip less per probe); the owner waits for these on disposal. Null: the
    /// probe waits for the reply to QUIT before it returns.
    /// </summary>
    public BackgroundQuits? BackgroundQuits { get; init; }
}

/// <summary>
/// The QUITs still being said after their probes returned. The owner (one dry run) waits for them
/// when it ends, so no connection outlives the call.
/// </summary>
public sealed class BackgroundQuits
{
    private readonly List<Task> _pending = [];
    private readonly object _gate = new();

    public void Track(Task quit)
    {
        lock (_gate)
        {
            _pending.RemoveAll(t => t.IsCompleted);
            _pending.Add(quit);
        }
    }

    /// <summary>Waits for every QUIT still in flight, at most <paramref name="timeout"/>; never throws.</summary>
    public bool WaitAll(TimeSpan timeout)
    {
        Task[] pending;
        lock (_gate)
        {
            pending = [.. _pending];
            _pending.Clear();
        }

        try
        {
            return Task.WaitAll(pending, timeout);
        }
        catch (AggregateException)
        {
            return true;
        }
    }
}

/// <summary>What one STARTTLS probe of one address saw. Certificates are captured, never judged here.</summary>
public sealed record SmtpProbeResult
{
    public required IPAddress Address { get; init; }

    public required int Port { get; init; }

    /// <summary>The MX host name the address belongs to.</summary>
    public required string HostName { get; init; }

    /// <summary>The SNI name sent (null: none sent).</summary>
    public string? Sni { get; init; }

    public required SmtpProbeStage Stage { get; init; }

    public bool Connected { get; init; }

    public string? Banner { get; init; }

    public bool StartTlsOffered { get; init; }

    public bool TlsEstablished { get; init; }

    public string? TlsProtocol { get; init; }

    public string? CipherSuite { get; init; }

    /// <summary>The chain exactly as the server sent it, leaf first.</summary>
    public IReadOnlyList<X509Certificate2> ServedChain { get; init; } = [];

    /// <summary>Where <see cref="ServedChain"/> was read (docs/smtp.md#served-chain): the recorded Certificate message (TLS 1.2 and below) or the platform's callback (TLS 1.3).</summary>
    public ServedChainSource ServedChainSource { get; init; }

    /// <summary>Why the probe stopped early (null when <see cref="Stage"/> is Completed), with the server's reply if any.</summary>
    public string? Failure { get; init; }

    /// <summary>True when the failure is a permanent SMTP reply (5xx banner or EHLO).</summary>
    public bool PermanentSmtpFailure { get; init; }

    /// <summary>
    /// True when the SOCKS5 proxy itself failed (unreachable, refused our credentials, stalled, or
    /// answered outside RFC 1928): nothing is known of the target (Stage is Connect).
    /// </summary>
    public bool ProxyFailed { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>The reply code of the banner (220 normally; null when no complete banner came).</summary>
    public int? BannerCode { get; init; }

    /// <summary>The EHLO keywords offered before STARTTLS (upper-case, first word of each EHLO line after the greeting line).</summary>
    public IReadOnlyList<string> EhloKeywords { get; init; } = [];

    /// <summary>The EHLO keywords offered after STARTTLS (empty when TLS was not established).</summary>
    public IReadOnlyList<string> EhloKeywordsAfterTls { get; init; } = [];

    /// <summary>The full reply to STARTTLS, e.g. "220 2.0.0 Ready to start TLS" (null: not sent).</summary>
    public string? StartTlsReply { get; init; }

    /// <summary>The last complete reply the server sent before the probe stopped (for failures: the reply that decided).</summary>
    public string? LastReply { get; init; }

    /// <summary>The last reply's code (null when none).</summary>
    public int? LastReplyCode { get; init; }

    /// <summary>The SMTP dialogue as lines ("S: ..." server, "C: ..." client, "-- ..." events); message bodies are left out. For people only: no fact is read back from it.</summary>
    public IReadOnlyList<string> Transcript { get; init; } = [];
}
