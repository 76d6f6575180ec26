using DaneMtaSts.Engine.Common;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Smtp;

namespace DaneMtaSts.Engine.Run;

/// <summary>The network settings of one dry run (one cmdlet call).</summary>
public sealed record DryRunOptions
{
    /// <summary>Resolvers as "IP" or "IP:port" ("[v6]:port"), or DNS over HTTPS URLs (https://host[:port]/path); empty: the system's.</summary>
    public IReadOnlyList<string> DnsServers { get; init; } = [];

    /// <summary>Who decides DNSSEC status (-DnssecValidation); Auto by default.</summary>
    public DnssecValidationMode DnssecValidation { get; init; } = DnssecValidationMode.Auto;

    /// <summary>A file of DS or DNSKEY records (presentation form) replacing the built-in root trust anchors.</summary>
    public string? TrustAnchorFile { get; init; }

    /// <summary>PEM/DER files of roots added to the system roots for PKIX checks.</summary>
    public IReadOnlyList<string> TrustedRootFiles { get; init; } = [];

    public int SmtpPort { get; init; } = 25;

    public int HttpsPort { get; init; } = 443;

    /// <summary>Timeout of each network step (a DNS query, a connect, an SMTP reply, a handshake, an HTTPS fetch).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    public DateTimeOffset? AsOf { get; init; }

    public string EhloName { get; init; } = Environment.MachineName is { Length: > 0 } m && DomainName.TryNormalize(m, out string? n, out _) && n.Contains('.', StringComparison.Ordinal) ? n : "danemtasts.invalid";

    public bool Dane { get; init; } = true;

    public bool MtaSts { get; init; } = true;

    public string? TlsDomain { get; init; }

    /// <summary>How many DNS queries may be on the wire at once (docs/dns.md#query-budget).</summary>
    public int MaxDnsQueriesInFlight { get; init; } = DnsQueryBudget.DefaultMaxInFlight;

    /// <summary>How many STARTTLS probes may run at once.</summary>
    public int MaxConcurrentProbes { get; init; } = 32;

    /// <summary>
    /// -SkipSmtpProbe: no SMTP connection at all. What DNS (and the MTA-STS policy) decides stays
    /// decided; what needs the served certificate or the STARTTLS offer is Indeterminate (ProbeSkipped).
    /// </summary>
    public bool SkipSmtpProbe { get; init; }

    /// <summary>-SmtpProxy: probes and test messages go through this SOCKS5 proxy (null: direct).</summary>
    public Socks5Proxy? SmtpProxy { get; init; }
}

/// <summary>
/// Everything one dry run shares: one resolver (and its answer cache), one HTTPS client, one probe
/// cache and one evidence gatherer, so hosts and addresses shared by many domains are looked up and
/// probed once per call.
/// </summary>
public sealed class DryRunSession : IDisposable
{
    private readonly MtaStsPolicyFetcher? _fetcher;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private bool _disposed;

    private readonly BackgroundQuits? _quits;

    private DryRunSession(DnsResolver dns, EvidenceGatherer gatherer, MtaStsPolicyFetcher? fetcher, SmtpCounters smtpCounters, BackgroundQuits? quits)
    {
        _quits = quits;
        Dns = dns;
        Gatherer = gatherer;
        _fetcher = fetcher;
        SmtpCounters = smtpCounters;
    }

    public DnsResolver Dns { get; }

    public EvidenceGatherer Gatherer { get; }

    public SmtpCounters SmtpCounters { get; }

    /// <summary>
    /// True once some probe of this call reached port 25 (a TCP connection, through the proxy if one
    /// is used): only then is a connect failure elsewhere the partner's (ConnectFailed), see
    /// <see cref="JudgeOptions.Port25Reached"/>.
    /// </summary>
    public bool Port25Reached => SmtpCounters.ConnectionsOpened > 0;

    /// <summary>Builds a session; <paramref name="probes"/> defaults to fresh, cached STARTTLS probes.</summary>
    public static DryRunSession Create(DryRunOptions options, IMtaStsPolicyCache? policyCache, Func<SmtpProbeOptions, SmtpCounters, ISmtpProbeSource>? probes = null)
    {
        var servers = new List<IPEndPoint>();
        var doh = new List<Uri>();
        foreach (string server in options.DnsServers)
        {
            if (TryParseDohServer(server, out Uri? url))
            {
                doh.Add(url);
            }
            else
            {
                servers.Add(ParseDnsServer(server));
            }
        }

        PkixTrust trust = options.TrustedRootFiles.Count > 0 ? PkixTrust.FromFiles(options.TrustedRootFiles) : new PkixTrust();
        TrustAnchorSet? anchors = options.TrustAnchorFile is null ? null : LoadTrustAnchors(options.TrustAnchorFile);
        // A DNS query is one network step: its attempts together stay within Timeout (a silent
        // resolver costs Timeout, not Timeout × attempts), each attempt at most 5 s.
        const int dnsRetries = 1;
        TimeSpan dnsAttempt = Min(options.Timeout / (dnsRetries + 1), TimeSpan.FromSeconds(5));
        var dns = new DnsResolver(new DnsResolverOptions
        {
            Servers = servers,
            DohServers = doh,
            DohTrust = trust,
            Timeout = dnsAttempt,
            Retries = dnsRetries,
            UseCache = true,
            MaxQueriesInFlight = options.MaxDnsQueriesInFlight,
            DnssecValidation = options.DnssecValidation,
            TrustAnchors = anchors,
        });
        var counters = new SmtpCounters();
        var probeOptions = new SmtpProbeOptions
        {
            Port = options.SmtpPort,
            EhloName = options.EhloName,
            BackgroundQuits = probes is null ? new BackgroundQuits() : null,
            ConnectTimeout = options.Timeout,
            CommandTimeout = options.Timeout,
            HandshakeTimeout = options.Timeout,
            Proxy = options.SmtpProxy,
            Counters = counters,
        };
        ISmtpProbeSource source = options.SkipSmtpProbe
            ? new SkippedProbeSource(options.SmtpPort)
            : probes?.Invoke(probeOptions, counters) ?? new CachingSmtpProbeSource(probeOptions, counters, options.MaxConcurrentProbes);
        MtaStsPolicyFetcher? fetcher = options.MtaSts
            ? new MtaStsPolicyFetcher(dns, new MtaStsFetchOptions { Port = options.HttpsPort, Timeout = options.Timeout, Trust = trust, AsOf = options.AsOf })
            : null;
        var gatherer = new EvidenceGatherer(dns, source, new GatherOptions
        {
            Dane = options.Dane,
            MtaSts = options.MtaSts,
            SmtpPort = options.SmtpPort,
            AsOf = options.AsOf,
            Trust = trust,
            TlsDomain = options.TlsDomain,
            ProbeRoute = DescribeProbeRoute(options),
            ProbeRouteKind = options.SkipSmtpProbe ? ProbeRouteKind.None : options.SmtpProxy is not null ? ProbeRouteKind.Socks5Proxy : ProbeRouteKind.Direct,
        }, fetcher, policyCache);
        return new DryRunSession(dns, gatherer, fetcher, counters, probeOptions.BackgroundQuits);
    }

    // The proxy is named without its credential: evidence and reports are shared with other people.
    private static string DescribeProbeRoute(DryRunOptions options) =>
        options.SkipSmtpProbe ? "none (-SkipSmtpProbe)"
        : options.SmtpProxy is { } proxy ? string.Create(CultureInfo.InvariantCulture, $"through SOCKS5 proxy {(proxy.Host.Contains(':', StringComparison.Ordinal) ? $"[{proxy.Host}]" : proxy.Host)}:{proxy.Port}")
        : "direct";

    /// <summary>
    /// True for a DNS over HTTPS URL ("https://…"); throws for an https URL that cannot be one (user
    /// info, fragment, no host) and for other schemes, so a typo is an error, not a silent fallback.
    /// </summary>
    public static bool TryParseDohServer(string value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? url)
    {
        url = null;
        string text = value.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            return false;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? parsed) || !DohTransport.TryValidateEndpoint(parsed, out _))
        {
            throw new EngineException("InvalidDnsServer", EngineErrorKind.InvalidArgument,
                $"'{DomainName.Printable(value)}' is not a DNS over HTTPS URL: give https://host[:port]/path (e.g. https://dns.example/dns-query).", value);
        }

        url = parsed;
        return true;
    }

    /// <summary>Reads -TrustAnchorFile; a missing or malformed file is an error naming the file and the line.</summary>
    public static TrustAnchorSet LoadTrustAnchors(string path)
    {
        try
        {
            return TrustAnchorSet.Load(path);
        }
        catch (TrustAnchorException ex)
        {
            // The message names the file and, for a malformed record, its line.
            throw new EngineException("InvalidTrustAnchorFile", EngineErrorKind.InvalidData, $"-TrustAnchorFile: {ex.Message}", path, ex);
        }
    }

    /// <summary>
    /// Fails once for the whole call when no DNS server is configured, or none of them answers at
    /// all (no reply, or REFUSED): every verdict would otherwise be a DNS failure blamed on a partner
    /// (docs/verdicts.md#code-4-4-312). One query (<see cref="DnsResolver.QueryAnyAnswerAsync"/>: the
    /// DNSSEC check's DNSKEY query where that check asks the resolvers, else the root's TXT set); any
    /// rcode but REFUSED proves a resolver answers. Throws <see cref="EngineException"/> DnsServerUnavailable.
    /// </summary>
    public async Task EnsureDnsServerAvailableAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> servers = Dns.Resolver.Servers;
        if (servers.Count == 0)
        {
            throw new EngineException("DnsServerUnavailable", EngineErrorKind.ResourceUnavailable,
                "No DNS server is configured on this machine (no nameserver line in /etc/resolv.conf, none on any interface): give one with -DnsServer.");
        }

        (DnsRcode rcode, string? failure) = await Dns.QueryAnyAnswerAsync(cancellationToken);
        if (rcode is DnsRcode.None or DnsRcode.Refused)
        {
            string what = rcode == DnsRcode.Refused ? "refused the query" : "did not answer";
            throw new EngineException("DnsServerUnavailable", EngineErrorKind.ResourceUnavailable,
                $"No DNS server answers: {string.Join(", ", servers)} {what} ({(failure ?? rcode.ToString()).TrimEnd('.')}). Check the network, or give a reachable resolver with -DnsServer.",
                string.Join(", ", servers));
        }
    }

    /// <summary>Parses "IP", "IP:port" or "[IPv6]:port" (port defaults to 53).</summary>
    public static IPEndPoint ParseDnsServer(string value)
    {
        string text = value.Trim();
        if (IPAddress.TryParse(text, out IPAddress? bare))
        {
            return new IPEndPoint(bare, 53);
        }

        if (IPEndPoint.TryParse(text, out IPEndPoint? endpoint) && endpoint.Port is > 0 and <= 65535)
        {
            return endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint;
        }

        throw new EngineException("InvalidDnsServer", EngineErrorKind.InvalidArgument,
            $"'{DomainName.Printable(value)}' is not a DNS server address: give an IP address, IP:port or [IPv6]:port.", value);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>The session's counters so far.</summary>
    public DryRunSnapshot Snapshot() => DryRunSnapshot.From(_started, Dns.Counters, SmtpCounters);

    /// <summary>The session's counters when it ended (after the background QUITs); null until then.</summary>
    public DryRunSnapshot? Final { get; private set; }

    /// <summary>
    /// Ends the session: keeps its counters as <see cref="Final"/>, ends the HTTPS client and cancels
    /// DNS queries still in flight (e.g. after the caller cancelled).
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Probes say QUIT in the background: let them finish (bounded) so nothing outlives the call.
        _quits?.WaitAll(TimeSpan.FromSeconds(5));
        Final = Snapshot();
        _fetcher?.Dispose();
        Dns.Dispose();
    }
}

/// <summary>Fresh STARTTLS probes, one per (address, port, SNI) per call, a bounded number at once.</summary>
public sealed class CachingSmtpProbeSource : ISmtpProbeSource, IDisposable
{
    private readonly SmtpProbeOptions _options;
    private readonly SmtpCounters _counters;
    private readonly SemaphoreSlim _gate;
    private readonly SharedWork<string, SmtpProbeResult> _cache = new(StringComparer.Ordinal, 2 * EvidenceGatherer.MaxCachedHosts);

    public CachingSmtpProbeSource(SmtpProbeOptions options, SmtpCounters counters, int maxConcurrent)
    {
        _options = options;
        _counters = counters;
        _gate = new SemaphoreSlim(Math.Max(1, maxConcurrent));
    }

    public Task<SmtpProbeResult> ProbeAsync(IPAddress address, string hostName, string? sni, CancellationToken cancellationToken)
    {
        string key = string.Create(CultureInfo.InvariantCulture, $"{address}|{_options.Port}|{sni}|{hostName}");
        return _cache.GetAsync(key, (_, ct) => ProbeGatedAsync(address, hostName, sni, ct), cancellationToken);
    }

    private async Task<SmtpProbeResult> ProbeGatedAsync(IPAddress address, string hostName, string? sni, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await SmtpProber.ProbeAsync(address, hostName, sni, _options with { Counters = _counters }, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}

/// <summary>-SkipSmtpProbe: every address is reported as not probed, and nothing is connected to.</summary>
public sealed class SkippedProbeSource(int port) : ISmtpProbeSource
{
    public Task<SmtpProbeResult> ProbeAsync(IPAddress address, string hostName, string? sni, CancellationToken cancellationToken) =>
        Task.FromResult(new SmtpProbeResult
        {
            Address = address,
            Port = port,
            HostName = hostName,
            Sni = sni,
            Stage = SmtpProbeStage.Skipped,
            Connected = false,
            Failure = "not probed (-SkipSmtpProbe)",
        });
}

/// <summary>What a user typed as a recipient domain, checked.</summary>
public static class RecipientDomainInput
{
    /// <summary>
    /// Accepts a domain or an e-mail address (the domain part is used); refuses IP literals,
    /// "[host]" and "host:port" forms with a sentence saying why (docs/edge-cases.md#s11).
    /// </summary>
    public static string Parse(string? input)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            throw new EngineException("InvalidDomainName", EngineErrorKind.InvalidArgument, "The domain is empty.", input);
        }

        string text = input.Trim();
        int at = text.LastIndexOf('@');
        if (at >= 0)
        {
            text = text[(at + 1)..];
        }

        if (text.StartsWith('[') && text.EndsWith(']'))
        {
            throw new EngineException("IpLiteralNotTestable", EngineErrorKind.InvalidArgument,
                $"'{DomainName.Printable(input)}' is an address literal: it has no MX, DANE or MTA-STS policy to test. Give a domain name.", input);
        }

        if (IPAddress.TryParse(text, out _))
        {
            throw new EngineException("IpLiteralNotTestable", EngineErrorKind.InvalidArgument,
                $"'{DomainName.Printable(input)}' is an IP address: it has no MX, DANE or MTA-STS policy to test. Give a domain name.", input);
        }

        if (text.Contains(':', StringComparison.Ordinal))
        {
            throw new EngineException("InvalidDomainName", EngineErrorKind.InvalidArgument,
                $"'{DomainName.Printable(input)}' has a port or a colon: give the domain alone (use -SmtpPort for the port).", input);
        }

        if (text.StartsWith("*.", StringComparison.Ordinal) || text == "*")
        {
            throw new EngineException("WildcardDomainNotTestable", EngineErrorKind.InvalidArgument,
                $"'{DomainName.Printable(input)}' is a wildcard: only a concrete domain can be tested.", input);
        }

        if (!DomainName.TryNormalize(text, out string? domain, out string? error))
        {
            throw new EngineException("InvalidDomainName", EngineErrorKind.InvalidArgument, error, input);
        }

        if (DomainName.IsSingleLabel(domain))
        {
            throw new EngineException("InvalidDomainName", EngineErrorKind.InvalidArgument,
                $"'{DomainName.Printable(input)}' is a single label (a top-level domain), not a mail domain.", input);
        }

        return domain;
    }
}
