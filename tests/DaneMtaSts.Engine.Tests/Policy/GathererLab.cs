using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>
/// A whole mail world on loopback for end-to-end engine tests, with no mocks: the scripted DNS
/// server answers for every name, each MX host gets its own loopback address (127.0.0.2 and up)
/// where a scripted SMTP server listens on the lab's one SMTP port, and an optional HTTPS server
/// serves mta-sts.&lt;domain&gt;. The engine is driven exactly as the cmdlets drive it:
/// DryRunSession → EvidenceGatherer → VerdictEngine.
/// </summary>
/// <remarks>
/// The SMTP port is reserved by an idle listener on 127.0.0.1; every lab reserves its own port the
/// same way, so two labs running at once never share a port, and their 127.0.0.N addresses (N ≥ 2)
/// cannot collide. An address with no listener answers connects with a reset: "connection refused".
/// </remarks>
internal sealed class GathererLab : IAsyncDisposable
{
    /// <summary>A success path never reaches it (TestTimeouts.Success); fault labs that wait for a timeout set TestTimeouts.Fault.</summary>
    public static readonly TimeSpan DefaultTimeout = TestTimeouts.Success;

    private static readonly Lazy<(X509Certificate2 Root, X509Certificate2 Intermediate, string RootFile)> SharedPki = new(() =>
    {
        X509Certificate2 root = TestPki.CreateRoot("Gatherer Lab Root");
        X509Certificate2 intermediate = TestPki.CreateIntermediate(root, "Gatherer Lab Intermediate");
        string file = Path.Combine(Path.GetTempPath(), $"danemtasts-gatherer-root-{Environment.ProcessId}.pem");
        File.WriteAllText(file, TestPki.ToPem(root));
        return (root, intermediate, file);
    });

    private readonly TcpListener _portReservation;
    private readonly ConcurrentDictionary<IPAddress, ScriptedSmtpServer> _listeners = new();
    private int _nextAddress = 2;

    public GathererLab()
    {
        Dns = TestDnsServer.Start();

        // Unscripted names are securely absent (no TLS-RPT record, no MTA-STS record, ...).
        Dns.DefaultEntry = new TestDnsEntry { Rcode = 3, Authenticated = true };

        // The resolver check asks for the root's DNSKEY: this resolver validates.
        Dns.Answer(".", DnsType.Dnskey, true, TestDnsRecord.Dnskey("."));
        _portReservation = new TcpListener(IPAddress.Loopback, 0);
        _portReservation.Start();
        SmtpPort = ((IPEndPoint)_portReservation.LocalEndpoint).Port;
    }

    public TestDnsServer Dns { get; }

    /// <summary>The one SMTP port of this lab (DryRunOptions.SmtpPort).</summary>
    public int SmtpPort { get; }

    public TestHttpsServer? Https { get; private set; }

    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    public static X509Certificate2 Root => SharedPki.Value.Root;

    public static X509Certificate2 Intermediate => SharedPki.Value.Intermediate;

    /// <summary>A leaf for <paramref name="names"/> issued by the lab's intermediate (PKIX-valid against the lab root).</summary>
    public static X509Certificate2 Leaf(params string[] names) => TestPki.CreateLeaf(Intermediate, names[0], names);

    /// <summary>The TLSA owner name of a host for this lab's SMTP port (RFC 6698 §3: _port._tcp.host).</summary>
    public string TlsaName(string host) => $"_{SmtpPort}._tcp.{host}";

    public IEnumerable<ScriptedSmtpServer> Listeners => _listeners.Values;

    /// <summary>The listener behind an address (null when the address has none).</summary>
    public ScriptedSmtpServer? ListenerAt(IPAddress address) => _listeners.TryGetValue(address, out var l) ? l : null;

    /// <summary>A fresh loopback address of this lab, not yet listening.</summary>
    public IPAddress NewAddress()
    {
        int n = Interlocked.Increment(ref _nextAddress) - 1;
        return new IPAddress([127, 0, (byte)(n / 250), (byte)(n % 250 + (n / 250 == 0 ? 0 : 1))]);
    }

    /// <summary>Starts a scripted SMTP server on <paramref name="address"/> at the lab's port.</summary>
    public ScriptedSmtpServer Listen(IPAddress address, Func<ScriptedSmtpConnection, CancellationToken, Task> script)
    {
        var listener = ScriptedSmtpServer.Start(script, new IPEndPoint(address, SmtpPort));
        _listeners[address] = listener;
        return listener;
    }

    /// <summary>
    /// A mail host: A record(s) (AAAA NODATA) with the given DNSSEC status, and a scripted SMTP
    /// server at each address (none when <paramref name="script"/> is null: connection refused).
    /// </summary>
    public IPAddress Host(string name, Func<ScriptedSmtpConnection, CancellationToken, Task>? script, bool secure = true)
    {
        IPAddress address = NewAddress();
        Dns.Answer(name, DnsType.A, secure, TestDnsRecord.A(name, address.ToString()));
        Dns.Answer(name, DnsType.Aaaa, secure);
        if (script is not null)
        {
            Listen(address, script);
        }

        return address;
    }

    /// <summary>A well-behaved ESMTP server with STARTTLS serving a lab-issued leaf for <paramref name="names"/>.</summary>
    public static Func<ScriptedSmtpConnection, CancellationToken, Task> GoodSmtp(X509Certificate2 leaf) =>
        ScriptedSmtpServer.Esmtp(ServedChain.Of(leaf, Intermediate));

    public void Mx(string domain, bool secure, params (ushort Preference, string Host)[] hosts) =>
        Dns.Answer(domain, DnsType.Mx, secure, [.. hosts.Select(h => TestDnsRecord.Mx(domain, h.Preference, h.Host))]);

    /// <summary>DANE-EE SPKI SHA-256 ("3 1 1") of <paramref name="leaf"/> at the host's TLSA name.</summary>
    public void TlsaEe(string host, X509Certificate2 leaf, bool secure = true) =>
        Dns.Answer(TlsaName(host), DnsType.Tlsa, secure, TestDnsRecord.Tlsa(TlsaName(host), 3, 1, 1, TestPki.SpkiSha256(leaf)));

    /// <summary>An MTA-STS record for <paramref name="domain"/> and an HTTPS server for mta-sts.&lt;domain&gt; on 127.0.0.1.</summary>
    public TestHttpsServer MtaSts(string domain, string id, Func<HttpExchange, Task> handler, X509Certificate2? certificate = null)
    {
        string policyHost = "mta-sts." + domain;
        Dns.Answer("_mta-sts." + domain, DnsType.Txt, false, TestDnsRecord.Txt("_mta-sts." + domain, $"v=STSv1; id={id}"));
        Dns.Answer(policyHost, DnsType.A, false, TestDnsRecord.A(policyHost, "127.0.0.1"));
        Dns.Answer(policyHost, DnsType.Aaaa, false);
        Https = new TestHttpsServer(certificate ?? Leaf(policyHost), [Intermediate], handler);
        return Https;
    }

    public static string EnforcePolicy(params string[] mx) =>
        "version: STSv1\nmode: enforce\n" + string.Concat(mx.Select(m => $"mx: {m}\n")) + "max_age: 86400\n";

    public DryRunOptions Options => new()
    {
        DnsServers = [Dns.EndPoint.ToString()],
        TrustedRootFiles = [SharedPki.Value.RootFile],
        SmtpPort = SmtpPort,
        HttpsPort = Https?.Port ?? 443,
        Timeout = Timeout,
        EhloName = "probe.gatherer.test",
    };

    public DryRunSession Session(IMtaStsPolicyCache? cache = null, DryRunOptions? options = null) =>
        DryRunSession.Create(options ?? Options, cache);

    /// <summary>Gathers once and judges under each mode; also measures the gathering.</summary>
    public async Task<LabRun> RunAsync(string domain, IMtaStsPolicyCache? cache = null, CancellationToken cancellationToken = default)
    {
        using DryRunSession session = Session(cache);
        var watch = Stopwatch.StartNew();
        DomainEvidence evidence = await session.Gatherer.GatherMxAsync(domain, cancellationToken);
        watch.Stop();
        return new LabRun(evidence, watch.Elapsed, session.Dns.Counters.QueriesSent, session.SmtpCounters.ConnectAttempts);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ScriptedSmtpServer listener in _listeners.Values)
        {
            await listener.DisposeAsync();
        }

        if (Https is not null)
        {
            await Https.DisposeAsync();
        }

        _portReservation.Stop();
        Dns.Dispose();
    }
}

/// <summary>One gathering in the lab and its cost.</summary>
internal sealed record LabRun(DomainEvidence Evidence, TimeSpan Elapsed, long DnsQueries, long SmtpConnects)
{
    public TlsPolicyResult Judge(SmtpDaneMode dane = SmtpDaneMode.Opportunistic, MtaStsMode sts = MtaStsMode.Opportunistic) =>
        VerdictEngine.Judge(Evidence, new JudgeOptions { SmtpDaneMode = dane, MtaStsMode = sts });

    public TlsPolicyResult Opportunistic => Judge();

    public TlsPolicyResult Mandatory => Judge(SmtpDaneMode.Mandatory);

    public TlsPolicyResult NoValidation => Judge(SmtpDaneMode.None, MtaStsMode.None);
}
