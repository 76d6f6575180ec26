using System.Net;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>
/// Probes one address the way a DANE / MTA-STS sender would connect to it (posttls-finger style):
/// TCP, banner, EHLO, STARTTLS if offered, TLS handshake with the given SNI, EHLO again, QUIT.
/// Everything seen is captured; nothing is judged here.
/// </summary>
public static class SmtpProber
{
    /// <summary>
    /// Probes <paramref name="address"/> (the caller resolved it; names are never resolved here).
    /// </summary>
    /// <param name="address">IPv4 or IPv6 address of the MX or smart host.</param>
    /// <param name="hostName">The host name the address belongs to (reported).</param>
    /// <param name="sni">The TLS server name to send: the TLSA base name with usable TLSA (RFC 7672
    /// §8.1), the MX host name for MTA-STS; null sends no SNI.</param>
    /// <param name="options">Port, EHLO name, timeouts, counters.</param>
    /// <param name="cancellationToken">Cancels the probe; the only exception a network fault never causes.</param>
    /// <returns>Where the probe got to and what it saw. Never throws for network or protocol faults.</returns>
    public static async Task<SmtpProbeResult> ProbeAsync(IPAddress address, string hostName, string? sni, SmtpProbeOptions options, CancellationToken cancellationToken)
    {
        SmtpConnection connection = await SmtpConnection.OpenAsync(address, hostName, sni, options, cancellationToken);
        if (options.BackgroundQuits is { } background)
        {
            // Everything to judge is captured: the reply to QUIT adds nothing but a round trip.
            SmtpProbeResult result = connection.Result with { Transcript = connection.Transcript };
            background.Track(connection.DisposeAsync().AsTask());
            return result;
        }

        await connection.DisposeAsync();
        return connection.Result with { Transcript = connection.Transcript };
    }
}
