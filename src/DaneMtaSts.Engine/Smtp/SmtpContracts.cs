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

    /// <summary>Why the probe stopped early (null when <see cref="Stage"/> is Completed), with the server's reply if any.</summary>
    public string? Failure { get; init; }

    /// <summary>True when the failure is a permanent SMTP reply (5xx banner or EHLO).</summary>
    public bool PermanentSmtpFailure { get; init; }

    public TimeSpan Elapsed { get; init; }
}
