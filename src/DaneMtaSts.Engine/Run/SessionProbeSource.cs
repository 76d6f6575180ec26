using DaneMtaSts.Engine.Common;
using System.Globalization;
using System.Net;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Smtp;

namespace DaneMtaSts.Engine.Run;

/// <summary>
/// STARTTLS probes that stay open, for Validate-OutboundConnector: the session that was judged is
/// the one the test message goes over, so the message cannot land on a different server.
/// </summary>
public sealed class SessionProbeSource : ISmtpProbeSource, IAsyncDisposable
{
    private readonly SmtpProbeOptions _options;
    private readonly SharedWork<string, SmtpSession> _sessions = new(StringComparer.Ordinal); // unbounded: each is an open connection, closed at the end

    public SessionProbeSource(SmtpProbeOptions options)
    {
        _options = options;
    }

    public async Task<SmtpProbeResult> ProbeAsync(IPAddress address, string hostName, string? sni, CancellationToken cancellationToken)
    {
        SmtpSession session = await _sessions.GetAsync(Key(address, hostName, sni),
            (_, ct) => SmtpSession.OpenAsync(address, hostName, sni, _options, requireTls: false, ct), cancellationToken);
        return session.Probe;
    }

    /// <summary>The open session that produced the probe of (address, host, SNI), if any.</summary>
    public SmtpSession? Find(IPAddress address, string hostName, string? sni) =>
        _sessions.TryGetCompleted(Key(address, hostName, sni), out SmtpSession session) ? session : null;

    private string Key(IPAddress address, string hostName, string? sni) =>
        string.Create(CultureInfo.InvariantCulture, $"{address}|{_options.Port}|{sni}|{hostName}");

    public async ValueTask DisposeAsync()
    {
        foreach (SmtpSession session in _sessions.CompletedValues())
        {
            await session.DisposeAsync();
        }

        _sessions.Clear();
    }
}
