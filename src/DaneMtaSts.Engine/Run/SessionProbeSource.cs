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

    // Every session opened, whether or not the cache still holds it: one whose opening completed
    // after all its callers had cancelled is no longer in _sessions, and must still be closed.
    private readonly System.Collections.Concurrent.ConcurrentQueue<SmtpSession> _opened = new();
    private volatile bool _disposed;

    public SessionProbeSource(SmtpProbeOptions options)
    {
        _options = options;
    }

    public async Task<SmtpProbeResult> ProbeAsync(IPAddress address, string hostName, string? sni, CancellationToken cancellationToken)
    {
        SmtpSession session = await _sessions.GetAsync(Key(address, hostName, sni),
            async (_, ct) =>
            {
                SmtpSession opened = await SmtpSession.OpenAsync(address, hostName, sni, _options, requireTls: false, ct);
                _opened.Enqueue(opened);
                if (_disposed)
                {
                    await CloseOpenedAsync(); // opened after the end of the call: closed at once
                }

                return opened;
            }, cancellationToken);
        return session.Probe;
    }

    /// <summary>The open session that produced the probe of (address, host, SNI), if any.</summary>
    public SmtpSession? Find(IPAddress address, string hostName, string? sni) =>
        _sessions.TryGetCompleted(Key(address, hostName, sni), out SmtpSession session) ? session : null;

    private string Key(IPAddress address, string hostName, string? sni) =>
        string.Create(CultureInfo.InvariantCulture, $"{address}|{_options.Port}|{sni}|{hostName}");

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        _sessions.Clear();
        await CloseOpenedAsync();
    }

    private async Task CloseOpenedAsync()
    {
        while (_opened.TryDequeue(out SmtpSession? session))
        {
            await session.DisposeAsync();
        }
    }
}
