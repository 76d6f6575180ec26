#Requires -Version 7.6
<#
.SYNOPSIS
    The lab's physical limit for the bulk audit: the same DNS queries from a small concurrent
    client, and parallel STARTTLS handshakes to the same MX addresses. An independent yardstick:
    it shares no code with the engine (its own minimal DNS encoding, RFC 1035 §4.1, and its own
    SMTP dialogue, RFC 3207), so that an engine fault cannot make the yardstick look slow too.

.DESCRIPTION
    Dot-sourced by Invoke-Benchmark.ps1 (it defines the type and the two functions below) or run
    on its own inside the lab in bench mode:
        . tests/bench/Measure-LabLimit.ps1
        $queries = Get-BulkQuerySet -DomainFile ... -HostFile ...
        Measure-DnsBurst -Server 127.0.1.53 -Queries $queries
        Measure-StartTlsBurst -Targets (Get-Content <bench dir>/g1.hosts)
        Measure-CriticalPath -Server 127.0.1.53 -DomainFile ... -HostFile ...   # the limit
    Times are measured, never asserted; a query that gets no usable answer, or a handshake that
    fails, makes the figure void (an exception), never a fast figure.
#>

Set-StrictMode -Version Latest

if (-not ('DaneMtaStsBench.LabLimit' -as [type])) {
    Add-Type -Language CSharp -TypeDefinition @'
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace DaneMtaStsBench
{
    public sealed class BurstResult
    {
        public double Milliseconds;
        public int Count;
        public int Resent;
        public int ViaTcp;
        public int Failed;
        public string FirstFailure = "";
    }

    public static class LabLimit
    {
        // RFC 1035 §4.1.1 header: ID, RD=1; QDCOUNT 1, ARCOUNT 1 (EDNS OPT, RFC 6891: payload 1232, DO=1),
        // the flags the engine's resolver sends.
        static byte[] Encode(ushort id, string name, ushort type)
        {
            var b = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1 };
            foreach (var label in name.TrimEnd('.').Split('.'))
            {
                var bytes = Encoding.ASCII.GetBytes(label);
                b.Add((byte)bytes.Length);
                b.AddRange(bytes);
            }
            b.Add(0);
            b.Add((byte)(type >> 8)); b.Add((byte)type); b.Add(0); b.Add(1);
            b.AddRange(new byte[] { 0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 0 });
            return b.ToArray();
        }

        // 0 = a final answer (NOERROR, or NXDOMAIN: the bench domains publish no MTA-STS or TLS-RPT
        // record), 1 = truncated, 2 = anything else (SERVFAIL, REFUSED, ...).
        static int Judge(byte[] m, int length, out string why)
        {
            why = "";
            if (length < 12) { why = "short reply"; return 2; }
            if ((m[2] & 0x02) != 0) return 1;
            int rcode = m[3] & 0x0F;
            if (rcode != 0 && rcode != 3) { why = "rcode " + rcode; return 2; }
            return 0;
        }

        // The receiving side of both bursts: a dedicated thread (blocking receives, so that no answer
        // waits for a pool thread) takes each datagram whose id names a known query not yet answered,
        // claims it once in done[], and hands it to answered (index, buffer, length).
        static Task Receive(Socket udp, CancellationTokenSource cts, int[] done, Func<bool> more, Func<int, bool> known, Action<int, byte[], int> answered)
        {
            return Task.Factory.StartNew(() =>
            {
                var buf = new byte[65535];
                while (more())
                {
                    int got;
                    if (cts.IsCancellationRequested) return;
                    try { got = udp.Receive(buf); }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut) { continue; }
                    if (got < 12) continue;
                    int i = ((buf[0] << 8) | buf[1]) - 1;
                    if (!known(i) || Interlocked.CompareExchange(ref done[i], 1, 0) != 0) continue;
                    answered(i, buf, got);
                }
            }, TaskCreationOptions.LongRunning);
        }

        static async Task<int> OverTcp(IPEndPoint server, byte[] query, CancellationToken ct)
        {
            var reply = await TcpReply(server, query, ct);
            return Judge(reply, reply.Length, out _);
        }

        /// All queries at once over one UDP socket, at most `window` unanswered on the wire; an
        /// unanswered query is sent again after `resendMs` (counted), a truncated answer is asked
        /// again over TCP (counted). Returns when every query has its answer.
        public static BurstResult Dns(string server, string[] names, int[] types, int window, int resendMs, int guardMs)
        {
            var ep = new IPEndPoint(IPAddress.Parse(server), 53);
            int n = names.Length;
            var result = new BurstResult { Count = n };
            var queries = new byte[n][];
            for (int i = 0; i < n; i++) queries[i] = Encode((ushort)(i + 1), names[i], (ushort)types[i]);
            var done = new int[n];
            var sentAt = new long[n];
            int remaining = n, inFlight = 0, next = 0;
            var tcpTasks = new List<Task>();
            using var cts = new CancellationTokenSource(guardMs);
            using var udp = new Socket(ep.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            udp.ReceiveBufferSize = 1 << 20;
            udp.ReceiveTimeout = 100;
            udp.Connect(ep);
            var sw = Stopwatch.StartNew();
            var gate = new object();
            var receiver = Receive(udp, cts, done, () => Volatile.Read(ref remaining) > 0, i => i >= 0 && i < n, (i, buf, got) =>
            {
                int verdict = Judge(buf, got, out var why);
                lock (gate) inFlight--;
                if (verdict == 1)
                {
                    Interlocked.Increment(ref result.ViaTcp);
                    int k = i;
                    lock (tcpTasks) tcpTasks.Add(Task.Run(async () =>
                    {
                        if (await OverTcp(ep, queries[k], cts.Token) != 0) { Interlocked.Increment(ref result.Failed); }
                        Interlocked.Decrement(ref remaining);
                    }));
                    return;
                }
                if (verdict == 2)
                {
                    if (Interlocked.Increment(ref result.Failed) == 1) result.FirstFailure = names[i] + " type " + types[i] + ": " + why;
                }
                Interlocked.Decrement(ref remaining);
            });
            // The sender: fills the window, then re-sends what waited longer than resendMs.
            while (Volatile.Read(ref remaining) > 0 && !cts.IsCancellationRequested)
            {
                long now = sw.ElapsedMilliseconds;
                lock (gate)
                {
                    while (inFlight < window && next < n) { udp.Send(queries[next]); sentAt[next] = now; next++; inFlight++; }
                }
                for (int i = 0; i < next; i++)
                {
                    if (Volatile.Read(ref done[i]) == 0 && now - sentAt[i] >= resendMs)
                    {
                        udp.Send(queries[i]); sentAt[i] = now; Interlocked.Increment(ref result.Resent);
                    }
                }
                Thread.Sleep(1);
            }
            receiver.Wait();
            Task[] pending; lock (tcpTasks) pending = tcpTasks.ToArray();
            Task.WaitAll(pending);
            sw.Stop();
            if (Volatile.Read(ref remaining) > 0) throw new TimeoutException(remaining + " of " + n + " queries unanswered after " + guardMs + " ms");
            result.Milliseconds = sw.Elapsed.TotalMilliseconds;
            return result;
        }

        static async Task<string> ReadReply(StreamReader r, CancellationToken ct)
        {
            while (true)
            {
                var line = await r.ReadLineAsync(ct) ?? throw new IOException("connection closed");
                if (line.Length < 4 || line[3] != '-') return line;
            }
        }

        static async Task Expect(StreamReader r, string code, CancellationToken ct)
        {
            var line = await ReadReply(r, ct);
            if (!line.StartsWith(code, StringComparison.Ordinal)) throw new IOException("expected " + code + ", got: " + line);
        }

        static async Task Send(Stream s, string line, CancellationToken ct)
        {
            await s.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), ct);
            await s.FlushAsync(ct);
        }

        // TCP connect, banner, EHLO, STARTTLS (RFC 3207), the TLS handshake, EHLO again and QUIT:
        // the SMTP work of the engine's probe. The certificate is accepted unread: judging it is
        // CPU on the client, not a property of the lab's servers. So the chain SslStream builds
        // anyway is built against an empty custom store, as the engine's probe does (not against
        // the system's roots). Every handshake is a full one, as the probe's must be
        // (a resumed session carries no Certificate message): resumption would make this yardstick
        // do less work than the call it measures.
        static async Task StartTls(IPAddress address, string serverName, CancellationToken ct)
        {
            using var tcp = new TcpClient(address.AddressFamily) { NoDelay = true };
            await tcp.ConnectAsync(address, 25, ct);
            var plain = tcp.GetStream();
            var reader = new StreamReader(plain, Encoding.ASCII, false, 1);
            await Expect(reader, "220", ct);
            await Send(plain, "EHLO limit.bench.invalid", ct);
            await Expect(reader, "250", ct);
            await Send(plain, "STARTTLS", ct);
            await Expect(reader, "220", ct);
            using var tls = new SslStream(plain, false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                AllowTlsResume = false,
                CertificateChainPolicy = new X509ChainPolicy
                {
                    RevocationMode = X509RevocationMode.NoCheck,
                    DisableCertificateDownloads = true,
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                },
            }, ct);
            var tlsReader = new StreamReader(tls, Encoding.ASCII, false, 1);
            await Send(tls, "EHLO limit.bench.invalid", ct);
            await Expect(tlsReader, "250", ct);
            await Send(tls, "QUIT", ct);
            await Expect(tlsReader, "221", ct);
        }

        // The exchange name of the first MX record of a reply (RFC 1035 §3.3.9, §4.1.4 compression).
        static string MxExchange(byte[] m, int length)
        {
            if (((m[6] << 8) | m[7]) == 0) return null;
            int p = 12;
            p = SkipName(m, p) + 4;   // the question
            p = SkipName(m, p);       // the first answer's owner
            int type = (m[p] << 8) | m[p + 1];
            if (type != 15) return null;
            p += 10 + 2;              // type, class, TTL, RDLENGTH, preference
            return ReadName(m, p);
        }

        static int SkipName(byte[] m, int p)
        {
            while (m[p] != 0) { if ((m[p] & 0xC0) == 0xC0) return p + 2; p += m[p] + 1; }
            return p + 1;
        }

        static string ReadName(byte[] m, int p)
        {
            var sb = new StringBuilder();
            for (int hops = 0; m[p] != 0 && hops < 64; hops++)
            {
                if ((m[p] & 0xC0) == 0xC0) { p = ((m[p] & 0x3F) << 8) | m[p + 1]; continue; }
                sb.Append(Encoding.ASCII.GetString(m, p + 1, m[p])).Append('.');
                p += m[p] + 1;
            }
            return sb.ToString().TrimEnd('.').ToLowerInvariant();
        }

        /// The bulk call's work with its dependencies, as fast as the lab allows: MX and TXT of every
        /// domain at once (MX first); a host's A, AAAA and TLSA queries leave as soon as an MX answer
        /// names it (ahead of the queue); a STARTTLS session to each address of a host starts as soon
        /// as that address's answer and the TLSA answer are in. Done when every answer and every
        /// session is. hostAddresses: "host ipv4 ipv6" (the lab's addresses; the A/AAAA answers
        /// are waited for, not read).
        public static BurstResult CriticalPath(string server, string[] domains, string[] hostLines, int window, int resendMs, int guardMs)
        {
            // Enough pool threads from the start that the receiver never waits for the pool to grow
            // while sessions run (the lab has 2 cores); restored so that the engine's calls in this
            // process run as usual.
            ThreadPool.GetMinThreads(out int workers, out int ports);
            ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(ports, 64));
            try { return CriticalPathRun(server, domains, hostLines, window, resendMs, guardMs); }
            finally { ThreadPool.SetMinThreads(workers, ports); }
        }

        static BurstResult CriticalPathRun(string server, string[] domains, string[] hostLines, int window, int resendMs, int guardMs)
        {
            var ep = new IPEndPoint(IPAddress.Parse(server), 53);
            var hostAddr = hostLines.Select(l => l.Split(' ')).ToDictionary(f => f[0].ToLowerInvariant(), f => f);
            var names = new List<string>(); var types = new List<int>(); var owner = new List<string>();
            foreach (var d in domains) { names.Add(d); types.Add(15); owner.Add(null); }
            foreach (var d in domains) { names.Add("_mta-sts." + d); types.Add(16); owner.Add(null); names.Add("_smtp._tls." + d); types.Add(16); owner.Add(null); }
            int capacity = names.Count + 3 * hostAddr.Count;
            var queries = new byte[capacity][];
            var done = new int[capacity];
            var sentAt = new long[capacity];
            for (int i = 0; i < names.Count; i++) queries[i] = Encode((ushort)(i + 1), names[i], (ushort)types[i]);
            int total = names.Count;
            var urgent = new ConcurrentQueue<int>();
            var seenHosts = new ConcurrentDictionary<string, int[]>();   // host -> first query index, answers in (A, AAAA, TLSA)
            var sessions = new ConcurrentBag<Task>();
            var result = new BurstResult();
            int remaining = total, inFlight = 0, next = 0, failedSessions = 0;
            using var cts = new CancellationTokenSource(guardMs);
            using var udp = new Socket(ep.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            udp.ReceiveBufferSize = 1 << 20;
            udp.ReceiveTimeout = 100;
            udp.Connect(ep);
            var gate = new object();
            var sent = new List<int>();
            var sw = Stopwatch.StartNew();
            void Session(string address, string host) => sessions.Add(Task.Run(async () =>
            {
                try { await StartTls(IPAddress.Parse(address), host, cts.Token); }
                catch (Exception e) { if (Interlocked.Increment(ref failedSessions) == 1) result.FirstFailure = host + " [" + address + "]: " + e.Message; }
            }));
            void Answered(int i, byte[] buf, int got)
            {
                if (types[i] == 15)
                {
                    var host = MxExchange(buf, got);
                    if (host == null || !hostAddr.ContainsKey(host)) { Interlocked.Increment(ref result.Failed); result.FirstFailure = names[i] + ": MX names " + host; return; }
                    lock (gate)
                    {
                        if (seenHosts.ContainsKey(host)) return;
                        int first = names.Count;
                        seenHosts[host] = new int[3];
                        foreach (var (n, t) in new[] { (host, 1), (host, 28), ("_25._tcp." + host, 52) })
                        {
                            int k = names.Count;
                            names.Add(n); types.Add(t); owner.Add(host);
                            queries[k] = Encode((ushort)(k + 1), n, (ushort)t);
                            urgent.Enqueue(k);
                        }
                        Interlocked.Add(ref remaining, 3);
                    }
                    return;
                }
                var h = owner[i];
                if (h == null) return;
                bool v4 = false, v6 = false;
                lock (gate)
                {
                    var state = seenHosts[h];
                    state[types[i] == 1 ? 0 : types[i] == 28 ? 1 : 2] = 1;
                    if (types[i] == 1 && state[2] == 1) v4 = true;
                    else if (types[i] == 28 && state[2] == 1) v6 = true;
                    else if (types[i] == 52) { v4 = state[0] == 1; v6 = state[1] == 1; }
                }
                if (v4) Session(hostAddr[h][1], h);
                if (v6) Session(hostAddr[h][2], h);
            }
            var receiver = Receive(udp, cts, done, () => Volatile.Read(ref remaining) > 0, i => i >= 0 && i < capacity && queries[i] != null, (i, buf, got) =>
            {
                lock (gate) inFlight--;
                byte[] reply = buf;
                int verdict = Judge(reply, got, out var why);
                if (verdict == 1)
                {
                    // Truncated (not expected in the lab): asked again over TCP, then handled alike.
                    Interlocked.Increment(ref result.ViaTcp);
                    reply = TcpReply(ep, queries[i], cts.Token).GetAwaiter().GetResult();
                    got = reply.Length;
                    verdict = Judge(reply, got, out why);
                }
                if (verdict != 0) { if (Interlocked.Increment(ref result.Failed) == 1) result.FirstFailure = names[i] + " type " + types[i] + ": " + why; }
                else Answered(i, reply, got);
                Interlocked.Decrement(ref remaining);
            });
            while (Volatile.Read(ref remaining) > 0 && !cts.IsCancellationRequested)
            {
                long now = sw.ElapsedMilliseconds;
                lock (gate)
                {
                    while (inFlight < window && urgent.TryDequeue(out var k)) { udp.Send(queries[k]); sentAt[k] = now; sent.Add(k); inFlight++; }
                    while (inFlight < window && next < total) { udp.Send(queries[next]); sentAt[next] = now; sent.Add(next); next++; inFlight++; }
                    foreach (var k in sent)
                    {
                        if (Volatile.Read(ref done[k]) == 0 && now - sentAt[k] >= resendMs) { udp.Send(queries[k]); sentAt[k] = now; result.Resent++; }
                    }
                }
                Thread.Sleep(1);
            }
            receiver.Wait();
            Task.WaitAll(sessions.ToArray());
            sw.Stop();
            if (Volatile.Read(ref remaining) > 0) throw new TimeoutException(remaining + " queries unanswered after " + guardMs + " ms");
            result.Count = names.Count;
            result.Failed += failedSessions;
            result.Milliseconds = sw.Elapsed.TotalMilliseconds;
            return result;
        }

        static async Task<byte[]> TcpReply(IPEndPoint server, byte[] query, CancellationToken ct)
        {
            using var tcp = new TcpClient(server.AddressFamily);
            await tcp.ConnectAsync(server, ct);
            var s = tcp.GetStream();
            var framed = new byte[query.Length + 2];
            framed[0] = (byte)(query.Length >> 8); framed[1] = (byte)query.Length;
            query.CopyTo(framed, 2);
            await s.WriteAsync(framed, ct);
            var len = new byte[2];
            await s.ReadExactlyAsync(len, ct);
            var reply = new byte[(len[0] << 8) | len[1]];
            await s.ReadExactlyAsync(reply, ct);
            return reply;
        }

        /// One STARTTLS session to each address, all started at once.
        public static BurstResult Handshakes(string[] addresses, string[] serverNames, int guardMs)
        {
            ThreadPool.GetMinThreads(out int workers, out int ports);
            ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(ports, 64));
            try { return HandshakesRun(addresses, serverNames, guardMs); }
            finally { ThreadPool.SetMinThreads(workers, ports); }
        }

        static BurstResult HandshakesRun(string[] addresses, string[] serverNames, int guardMs)
        {
            using var cts = new CancellationTokenSource(guardMs);
            var result = new BurstResult { Count = addresses.Length };
            var sw = Stopwatch.StartNew();
            var tasks = addresses.Select((a, i) => Task.Run(() => StartTls(IPAddress.Parse(a), serverNames[i], cts.Token))).ToArray();
            try { Task.WaitAll(tasks); }
            catch (AggregateException e)
            {
                result.Failed = tasks.Count(t => !t.IsCompletedSuccessfully);
                result.FirstFailure = e.InnerExceptions[0].Message;
            }
            sw.Stop();
            result.Milliseconds = sw.Elapsed.TotalMilliseconds;
            return result;
        }
    }
}
'@
}

function Get-BulkQuerySet {
    # The queries of the bulk call, from the bench's own lists (tests/lab/bench.sh): MX and the
    # _mta-sts / _smtp._tls TXT of each domain, A, AAAA and TLSA (_25._tcp) of each MX host.
    param([Parameter(Mandatory)] [string] $DomainFile, [Parameter(Mandatory)] [string] $HostFile)
    $names = [System.Collections.Generic.List[string]]::new()
    $types = [System.Collections.Generic.List[int]]::new()
    foreach ($d in Get-Content $DomainFile) {
        $names.Add($d); $types.Add(15)
        $names.Add("_mta-sts.$d"); $types.Add(16)
        $names.Add("_smtp._tls.$d"); $types.Add(16)
    }
    foreach ($line in Get-Content $HostFile) {
        $h = ($line -split ' ')[0]
        $names.Add($h); $types.Add(1)
        $names.Add($h); $types.Add(28)
        $names.Add("_25._tcp.$h"); $types.Add(52)
    }
    [pscustomobject]@{ Names = $names.ToArray(); Types = $types.ToArray() }
}

function Measure-DnsBurst {
    # Window 96 (the engine's query budget, docs/dns.md#query-budget): a window of 256 overflowed
    # the lab's Unbound in trial runs (up to 124 datagrams lost per 5 rounds, each costing a re-send);
    # a re-send after 100 ms keeps a lost datagram from costing a whole timeout.
    param([Parameter(Mandatory)] [string] $Server, [Parameter(Mandatory)] $Queries, [int] $Window = 96, [int] $ResendMs = 100)
    $r = [DaneMtaStsBench.LabLimit]::Dns($Server, $Queries.Names, $Queries.Types, $Window, $ResendMs, 60000)
    if ($r.Failed -gt 0) { throw "DNS burst: $($r.Failed) of $($r.Count) queries without a usable answer (first: $($r.FirstFailure))." }
    $r
}

function Measure-StartTlsBurst {
    # -Targets: "<host> <IPv4> <IPv6>" lines of the bench host file; -Family: which addresses.
    param([Parameter(Mandatory)] [string[]] $Targets, [ValidateSet('Both', 'IPv4')] [string] $Family = 'Both')
    $addresses = [System.Collections.Generic.List[string]]::new()
    $serverNames = [System.Collections.Generic.List[string]]::new()
    foreach ($line in $Targets) {
        $h, $a4, $a6 = $line -split ' '
        $addresses.Add($a4); $serverNames.Add($h)
        if ($Family -eq 'Both') { $addresses.Add($a6); $serverNames.Add($h) }
    }
    $r = [DaneMtaStsBench.LabLimit]::Handshakes($addresses.ToArray(), $serverNames.ToArray(), 60000)
    if ($r.Failed -gt 0) { throw "STARTTLS burst: $($r.Failed) of $($r.Count) sessions failed (first: $($r.FirstFailure))." }
    $r
}

function Measure-CriticalPath {
    # The bulk call's work in its dependency order (LabLimit.CriticalPath): the lab's limit.
    param([Parameter(Mandatory)] [string] $Server, [Parameter(Mandatory)] [string] $DomainFile, [Parameter(Mandatory)] [string] $HostFile,
        [int] $Window = 96, [int] $ResendMs = 100)
    $r = [DaneMtaStsBench.LabLimit]::CriticalPath($Server, @(Get-Content $DomainFile), @(Get-Content $HostFile), $Window, $ResendMs, 60000)
    if ($r.Failed -gt 0) { throw "Critical path: $($r.Failed) queries or sessions failed (first: $($r.FirstFailure))." }
    $r
}
