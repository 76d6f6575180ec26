using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<string, Lazy<Task<SmtpSession>>> _sessions = new(StringComparer.Ordinal);

    public SessionProbeSource(SmtpProbeOptions options)
    {
        _options = options;
    }

    public async Task<SmtpProbeResult> ProbeAsync(IPAddress address, string hostName, string? sni, CancellationToken cancellationToken)
    {
        SmtpSession session = await _sessions.GetOrAdd(Key(address, hostName, sni),
            _ => new Lazy<Task<SmtpSession>>(() => SmtpSession.OpenAsync(address, hostName, sni, _options, requireTls: false, cancellationToken))).Value;
        return session.Probe;
    }

    /// <summary>The open session that produced the probe of (address, host, SNI), if any.</summary>
    public SmtpSession? Find(IPAddress address, string hostName, string? sni) =>
        _sessions.TryGetValue(Key(address, hostName, sni), out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully
            ? lazy.Value.Result
            : null;

    private string Key(IPAddress address, string hostName, string? sni) =>
        string.Create(CultureInfo.InvariantCulture, $"{address}|{_options.Port}|{sni}|{hostName}");

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _sessions.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                await lazy.Value.Result.DisposeAsync();
            }
        }

        _sessions.Clear();
    }
}
