# Servers that stall on purpose, and a child pwsh that is stopped with SIGINT while it waits on one:
# shared by tests/CtrlC.Tests.ps1 (hang guards) and tests/bench/Measure-CtrlC.ps1 (the figures).
# Linux only (SIGINT, /proc/net/tcp); docs/platform.md#ctrl-c says how a stop reaches a cmdlet.

Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')

if (-not ('DaneMtaSts.Tests.StaticDns' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace DaneMtaSts.Tests
{
    // A UDP DNS responder on 127.0.0.1 answering from a fixed table (RFC 1035 §4.1 messages, names
    // uncompressed, no EDNS): the table's records with AA, NOERROR/NODATA for any other name and type,
    // and no answer at all for a name marked silent (a resolver that never answers that question).
    // It sets no AD bit, so under -DnssecValidation Resolver every answer is insecure.
    public sealed class StaticDns : IDisposable
    {
        private readonly UdpClient udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly ConcurrentDictionary<string, List<byte[]>> table = new ConcurrentDictionary<string, List<byte[]>>();
        private readonly ConcurrentDictionary<string, bool> silent = new ConcurrentDictionary<string, bool>();
        private readonly ConcurrentDictionary<string, int> asked = new ConcurrentDictionary<string, int>();

        public StaticDns() { new Thread(Run) { IsBackground = true }.Start(); }

        public string EndPoint { get { return "127.0.0.1:" + ((IPEndPoint)udp.Client.LocalEndPoint).Port; } }

        public void AddA(string name, string address) { Add(name, 1, IPAddress.Parse(address).GetAddressBytes()); }

        // RFC 1035 §3.3.9: PREFERENCE, EXCHANGE.
        public void AddMx(string name, string exchange)
        {
            byte[] target = EncodeName(exchange);
            byte[] data = new byte[2 + target.Length];
            data[1] = 10;
            Array.Copy(target, 0, data, 2, target.Length);
            Add(name, 15, data);
        }

        // RFC 1035 §3.3.14: one character-string.
        public void AddTxt(string name, string text)
        {
            byte[] bytes = Encoding.ASCII.GetBytes(text);
            byte[] data = new byte[bytes.Length + 1];
            data[0] = (byte)bytes.Length;
            Array.Copy(bytes, 0, data, 1, bytes.Length);
            Add(name, 16, data);
        }

        public void Silence(string name) { silent[Key(name, 0)] = true; }

        // How often a question (name, type) arrived, answered or not.
        public int Asked(string name, int type) { int n; return asked.TryGetValue(Key(name, type), out n) ? n : 0; }

        private void Add(string name, int type, byte[] data) { table.GetOrAdd(Key(name, type), _ => new List<byte[]>()).Add(data); }

        private static string Key(string name, int type) { return name.TrimEnd('.').ToLowerInvariant() + "/" + type; }

        private static byte[] EncodeName(string name)
        {
            var bytes = new List<byte>();
            foreach (string label in name.TrimEnd('.').Split('.'))
            {
                byte[] l = Encoding.ASCII.GetBytes(label);
                bytes.Add((byte)l.Length);
                bytes.AddRange(l);
            }
            bytes.Add(0);
            return bytes.ToArray();
        }

        private void Run()
        {
            var remote = new IPEndPoint(IPAddress.Any, 0);
            while (true)
            {
                byte[] query;
                try { query = udp.Receive(ref remote); }
                catch (SocketException) { return; }
                catch (ObjectDisposedException) { return; }
                if (query.Length < 12) { continue; }

                // The question: QNAME labels up to the root, QTYPE, QCLASS.
                var labels = new List<string>();
                int at = 12;
                while (at < query.Length && query[at] != 0 && at + query[at] < query.Length)
                {
                    labels.Add(Encoding.ASCII.GetString(query, at + 1, query[at]));
                    at += query[at] + 1;
                }
                int end = at + 5;
                if (end > query.Length) { continue; }
                int qtype = (query[at + 1] << 8) | query[at + 2];
                string qname = string.Join(".", labels);
                asked.AddOrUpdate(Key(qname, qtype), 1, (_, n) => n + 1);
                if (silent.ContainsKey(Key(qname, 0))) { continue; }

                List<byte[]> records;
                table.TryGetValue(Key(qname, qtype), out records);
                var reply = new List<byte>();
                for (int i = 0; i < end; i++) { reply.Add(query[i]); }
                reply[2] = (byte)(0x84 | (query[2] & 0x79));   // QR, AA, the query's opcode and RD
                reply[3] = 0x80;                                // RA, NOERROR
                int count = records == null ? 0 : records.Count;
                reply[4] = 0; reply[5] = 1;
                reply[6] = (byte)(count >> 8); reply[7] = (byte)count;
                reply[8] = reply[9] = reply[10] = reply[11] = 0;
                if (records != null)
                {
                    foreach (byte[] data in records)
                    {
                        reply.Add(0xC0); reply.Add(12);         // the name: a pointer to the question
                        reply.Add((byte)(qtype >> 8)); reply.Add((byte)qtype);
                        reply.Add(0); reply.Add(1);             // class IN
                        reply.Add(0); reply.Add(0); reply.Add(1); reply.Add(0x2C);   // TTL 300
                        reply.Add((byte)(data.Length >> 8)); reply.Add((byte)data.Length);
                        reply.AddRange(data);
                    }
                }
                byte[] bytes = reply.ToArray();
                try { udp.Send(bytes, bytes.Length, remote); }
                catch (SocketException) { }
                catch (ObjectDisposedException) { return; }
            }
        }

        public void Dispose() { udp.Dispose(); }
    }

    // Reads what a program writes to its pseudo terminal (through `script`) and answers the terminal
    // queries a real terminal would: pwsh's console host asks for the cursor position (DSR, ESC [6n)
    // before it draws progress, and without a reply .NET waits for one before going on.
    public sealed class TerminalPump
    {
        private readonly StringBuilder text = new StringBuilder();
        private readonly Thread thread;

        public TerminalPump(System.IO.StreamReader output, System.IO.StreamWriter input)
        {
            thread = new Thread(() =>
            {
                var buffer = new char[4096];
                string tail = "";
                int n;
                try
                {
                    while ((n = output.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        string chunk = new string(buffer, 0, n);
                        lock (text) { text.Append(chunk); }
                        string window = tail + chunk;
                        int at = 0;
                        while ((at = window.IndexOf("\u001b[6n", at, StringComparison.Ordinal)) >= 0)
                        {
                            input.Write("\u001b[1;1R");
                            input.Flush();
                            at += 4;
                        }
                        tail = window.Length > 3 ? window.Substring(window.Length - 3) : window;
                    }
                }
                catch (System.IO.IOException) { }
                catch (ObjectDisposedException) { }
            }) { IsBackground = true };
            thread.Start();
        }

        public string Text { get { lock (text) { return text.ToString(); } } }

        public void Join(int milliseconds) { thread.Join(milliseconds); }
    }

    // Where a stalling TCP server stops talking.
    public enum StallAt
    {
        Connect,    // the listen queue is kept full, so a client's SYN is never answered
        Accept,     // accepts and never sends a byte: an SMTP banner or an HTTPS handshake that never comes
        Ehlo,       // 220 banner, then no reply to EHLO
        StartTls,   // EHLO offers STARTTLS, then no reply to STARTTLS
        Handshake,  // 220 to STARTTLS, then no TLS ServerHello
        Data,       // a whole SMTP conversation without TLS up to DATA's 354, then no reply to the message
    }

    // A TCP server on a chosen address and port (0: any) that behaves as an SMTP server up to its
    // stall point and then holds the connection open without a word. Reached counts connections that
    // got to the stall point (for Connect: clients waiting in SYN_SENT, read from /proc/net/tcp).
    public sealed class StallingServer : IDisposable
    {
        private readonly Socket listener;
        private readonly StallAt stage;
        private readonly List<Socket> held = new List<Socket>();
        private int reached;

        public StallingServer(StallAt stage, string address, int port)
        {
            this.stage = stage;
            listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(IPAddress.Parse(address), port));
            if (stage == StallAt.Connect)
            {
                // Linux drops a SYN while the accept queue is full; backlog 0 holds one connection,
                // which the server makes itself and never accepts.
                listener.Listen(0);
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                filler.Connect(listener.LocalEndPoint);
                held.Add(filler);
                return;
            }
            listener.Listen(512);
            new Thread(AcceptLoop) { IsBackground = true }.Start();
        }

        public int Port { get { return ((IPEndPoint)listener.LocalEndPoint).Port; } }

        public int Reached { get { return stage == StallAt.Connect ? SynSentTo(Port) : Volatile.Read(ref reached); } }

        // Sockets in SYN_SENT (state 02) towards this port, from /proc/net/tcp (local, remote as hex ip:port).
        private static int SynSentTo(int port)
        {
            string want = ":" + port.ToString("X4") + " ";
            int n = 0;
            foreach (string line in System.IO.File.ReadAllLines("/proc/net/tcp"))
            {
                string[] f = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 3 && f[3] == "02" && (f[2] + " ").Contains(want)) { n++; }
            }
            return n;
        }

        private void AcceptLoop()
        {
            while (true)
            {
                Socket client;
                try { client = listener.Accept(); }
                catch (SocketException) { return; }
                catch (ObjectDisposedException) { return; }
                lock (held) { held.Add(client); }
                new Thread(() => Converse(client)) { IsBackground = true }.Start();
            }
        }

        private void Converse(Socket client)
        {
            try
            {
                if (stage != StallAt.Accept)
                {
                    Send(client, "220 stall.test ESMTP\r\n");
                    if (stage != StallAt.Ehlo)
                    {
                        ReadLine(client);   // EHLO
                        Send(client, stage == StallAt.Data ? "250 stall.test\r\n" : "250-stall.test\r\n250 STARTTLS\r\n");
                        if (stage == StallAt.Data)
                        {
                            // MAIL, RCPT, DATA
                            ReadLine(client); Send(client, "250 ok\r\n");
                            ReadLine(client); Send(client, "250 ok\r\n");
                            ReadLine(client); Send(client, "354 go on\r\n");
                        }
                        else if (stage == StallAt.Handshake)
                        {
                            ReadLine(client);   // STARTTLS
                            Send(client, "220 go ahead\r\n");
                        }
                        // StartTls: the next command (STARTTLS) is read below and never answered.
                    }
                }
                Interlocked.Increment(ref reached);

                // Read (and drop) whatever comes until the client goes away.
                var buffer = new byte[4096];
                while (client.Receive(buffer) > 0) { }
            }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }

        private static void Send(Socket s, string text) { s.Send(Encoding.ASCII.GetBytes(text)); }

        private static string ReadLine(Socket s)
        {
            var line = new StringBuilder();
            var one = new byte[1];
            while (s.Receive(one) == 1)
            {
                if (one[0] == '\n') { break; }
                line.Append((char)one[0]);
            }
            return line.ToString();
        }

        public void Dispose()
        {
            listener.Dispose();
            lock (held) { foreach (Socket s in held) { s.Dispose(); } }
        }
    }
}
'@
}

function New-StaticDns { [DaneMtaSts.Tests.StaticDns]::new() }

function New-StallingServer {
    param([Parameter(Mandatory)][DaneMtaSts.Tests.StallAt] $StallAt, [string] $Address = '127.0.0.1', [int] $Port = 0)
    [DaneMtaSts.Tests.StallingServer]::new($StallAt, $Address, $Port)
}

function Get-FreeLoopbackAddress {
    # A random address in 127.0.0.0/8 (every one of them is this machine on Linux), so a test that
    # needs a fixed port (443: the MTA-STS policy host) does not collide with another test run.
    $r = [System.Random]::new()
    "127.$($r.Next(1, 255)).$($r.Next(1, 255)).$($r.Next(2, 255))"
}

function Invoke-StoppedChild {
    <#
    Runs -Command (a script text, with the module imported and $env:DANEMTASTS_STORE pointing at
    -StorePath) in a child pwsh on a pseudo terminal, waits until -Ready returns $true (the stall
    was reached), sends the child SIGINT and measures how long it takes to exit.

    Why a pty (script -qfc) and SIGINT: on Unix, pwsh's console host turns SIGINT into its Ctrl+C
    handling through .NET's Console.CancelKeyPress (the runtime maps SIGINT to that event whether
    or not stdin is redirected), and Ctrl+C stops the running pipeline: StopProcessing is called on
    the running cmdlet and its `finally` blocks run. A real terminal also makes the console host draw
    the progress bar, which is one of the states under test. The signal goes to pwsh itself (the
    child of `script`), exactly what the terminal driver sends it on Ctrl+C.

    Returns: Stopped (the script's finally ran and neither its end nor its catch did: the call ended
    because of the stop, not by finishing or failing on its own), Completed, Failed, the Output,
    ExitCode, ReadyAfter and StopSeconds (signal to process exit).
    #>
    param(
        [Parameter(Mandatory)][string] $ModulePath,
        [Parameter(Mandatory)][string] $Command,
        [Parameter(Mandatory)][scriptblock] $Ready,
        [Parameter(Mandatory)][string] $WorkFolder,
        [string] $StorePath = (Join-Path $WorkFolder 'store.json'),
        [int] $GuardSeconds = 120
    )
    $child = Join-Path $WorkFolder "ctrlc-$([guid]::NewGuid().ToString('N')).ps1"
    $marker = [guid]::NewGuid().ToString('N')
    # The markers go to a file: on the terminal, progress drawing may split a line.
    $resultFile = "$child.result"
    @"
`$env:DANEMTASTS_STORE = '$($StorePath -replace "'", "''")'
Import-Module '$($ModulePath -replace "'", "''")'
`$ProgressPreference = 'Continue'
try {
    `$null = & { $Command }
    Add-Content -LiteralPath '$resultFile' -Value 'COMPLETED-$marker'
}
catch {
    Add-Content -LiteralPath '$resultFile' -Value "FAILED-$marker `$(`$_.FullyQualifiedErrorId): `$_"
}
finally {
    Add-Content -LiteralPath '$resultFile' -Value 'FINALLY-$marker'
}
"@ | Set-Content -LiteralPath $child -Encoding utf8

    $pwsh = @(Get-PwshCommand) + @('-NoProfile', '-NonInteractive', '-File', $child)
    $line = 'exec ' + (($pwsh | ForEach-Object { "'" + ($_ -replace "'", "'\''") + "'" }) -join ' ')
    $psi = [System.Diagnostics.ProcessStartInfo]::new('script')
    foreach ($a in '-qfec', $line, '/dev/null') { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $true
    $psi.UseShellExecute = $false
    $psi.Environment['TERM'] = 'xterm'
    $script = [System.Diagnostics.Process]::Start($psi)
    $pump = [DaneMtaSts.Tests.TerminalPump]::new($script.StandardOutput, $script.StandardInput)
    $errTask = $script.StandardError.ReadToEndAsync()
    try {
        # pwsh is the child of script (exec replaced the shell).
        $pwshPid = $null
        $guard = [System.Diagnostics.Stopwatch]::StartNew()
        while (-not $pwshPid -and $guard.Elapsed.TotalSeconds -lt $GuardSeconds -and -not $script.HasExited) {
            $children = Get-Content -LiteralPath "/proc/$($script.Id)/task/$($script.Id)/children" -ErrorAction SilentlyContinue
            if ("$children".Trim()) { $pwshPid = [int]("$children".Trim() -split ' ')[0] }
            else { Start-Sleep -Milliseconds 50 }
        }
        if (-not $pwshPid) { throw "The child pwsh did not start: $($errTask.Result)" }

        $isReady = $false
        while (-not $isReady -and $guard.Elapsed.TotalSeconds -lt $GuardSeconds -and -not $script.HasExited) {
            $isReady = [bool](& $Ready)
            if (-not $isReady) { Start-Sleep -Milliseconds 50 }
        }
        $readyAfter = $guard.Elapsed.TotalSeconds
        if (-not $isReady) {
            $script.Kill($true)
            throw "The stall was not reached within $GuardSeconds s (exited: $($script.HasExited)); output: $($pump.Text)"
        }

        # Let the cmdlet settle into its wait (the stall is reached a moment before the client blocks on it).
        Start-Sleep -Milliseconds 300
        $kill = (Get-Command kill -CommandType Application | Select-Object -First 1).Source
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        & $kill -s INT $pwshPid
        $exited = $script.WaitForExit($GuardSeconds * 1000)
        $watch.Stop()
        if (-not $exited) { $script.Kill($true); $script.WaitForExit() }
        $pump.Join(5000)
        $output = if (Test-Path -LiteralPath $resultFile) { Get-Content -LiteralPath $resultFile -Raw } else { '' }
        [pscustomobject]@{
            Exited      = $exited
            Stopped     = $exited -and $output.Contains("FINALLY-$marker") -and -not $output.Contains("COMPLETED-$marker") -and -not $output.Contains("FAILED-$marker")
            Completed   = $output.Contains("COMPLETED-$marker")
            Failed      = $output.Contains("FAILED-$marker")
            ExitCode    = if ($exited) { $script.ExitCode } else { $null }
            ReadyAfter  = $readyAfter
            StopSeconds = $watch.Elapsed.TotalSeconds
            Output      = $output
            Terminal    = $pump.Text
        }
    }
    finally {
        if (-not $script.HasExited) { $script.Kill($true) }
        $script.Dispose()
        Remove-Item -LiteralPath $child, $resultFile -ErrorAction SilentlyContinue
    }
}

function Get-CtrlCScenario {
    <#
    The states a cmdlet may be stopped in, each as Name, Command (run in the child), Ready (true once
    the child is in that state) and Servers (to dispose). Every network step has -TimeoutSec 300, so a
    call that ends soon after the signal ended because of the stop, not by a timeout.
    $Name: only the scenarios whose names match (wildcards).
    #>
    param([Parameter(Mandatory)][string] $WorkFolder, [string] $Name = '*')
    $common = '-DnssecValidation Resolver -TimeoutSec 300 -WarningAction SilentlyContinue'
    $scenarios = [ordered]@{}

    # The floor: pwsh's own stop and exit, with no DaneMtaSts call running.
    $scenarios['Baseline: Start-Sleep, no DaneMtaSts call'] = {
        $flag = Join-Path $WorkFolder "sleep-$([guid]::NewGuid().ToString('N')).flag"
        @{ Servers = @(); Command = "Set-Content -LiteralPath '$flag' -Value 1; Start-Sleep -Seconds 300"
           Ready = { Test-Path -LiteralPath $flag }.GetNewClosure() }
    }
    $scenarios['DNS: the start-up check to a silent resolver'] = {
        $dns = New-StaticDns; $dns.Silence('.')
        @{ Servers = @($dns); Command = "Test-OutboundTlsPolicy stall.test -DnsServer $($dns.EndPoint) $common"
           # The start-up question is the DNSSEC check's root DNSKEY (48), or the root TXT set (16)
           # where that check asks nothing (docs/smtp.md#no-resolver).
           Ready = { ($dns.Asked('.', 48) + $dns.Asked('.', 16)) -ge 1 }.GetNewClosure() }
    }
    $scenarios['DNS: an MX query to a silent resolver'] = {
        $dns = New-StaticDns; $dns.Silence('stall.test')
        @{ Servers = @($dns); Command = "Test-OutboundTlsPolicy stall.test -DnsServer $($dns.EndPoint) $common"
           Ready = { $dns.Asked('stall.test', 15) -ge 1 }.GetNewClosure() }
    }
    foreach ($stage in 'Connect', 'Accept', 'Ehlo', 'StartTls', 'Handshake') {
        $label = @{ Connect = 'connect'; Accept = 'banner'; Ehlo = 'EHLO'; StartTls = 'STARTTLS'; Handshake = 'TLS handshake' }[$stage]
        $scenarios["SMTP probe stalled at $label"] = {
            $dns = New-StaticDns; $dns.AddMx('stall.test', 'mx.stall.test'); $dns.AddA('mx.stall.test', '127.0.0.1')
            $smtp = New-StallingServer -StallAt $stage
            @{ Servers = @($smtp, $dns); Command = "Test-OutboundTlsPolicy stall.test -DnsServer $($dns.EndPoint) -SmtpPort $($smtp.Port) $common"
               Ready = { $smtp.Reached -ge 1 }.GetNewClosure() }
        }.GetNewClosure()
    }
    $scenarios['Progress bar shown: 200 domains, probes stalled at the banner'] = {
        $dns = New-StaticDns
        foreach ($i in 1..200) { $dns.AddMx("d$i.stall.test", "mx.d$i.stall.test"); $dns.AddA("mx.d$i.stall.test", '127.0.0.1') }
        $smtp = New-StallingServer -StallAt Accept
        @{ Servers = @($smtp, $dns); Command = "1..200 | ForEach-Object { ""d`$_.stall.test"" } | Test-OutboundTlsPolicy -DnsServer $($dns.EndPoint) -SmtpPort $($smtp.Port) -ThrottleLimit 16 $common"
           Ready = { $smtp.Reached -ge 8 }.GetNewClosure() }
    }
    $scenarios['MTA-STS policy fetch: HTTPS server accepts and never answers'] = {
        # The policy host is on port 443 (RFC 8461 §3.3), on an address of its own in 127/8; binding it needs root.
        $address = Get-FreeLoopbackAddress
        $https = New-StallingServer -StallAt Accept -Address $address -Port 443
        $dns = New-StaticDns
        $dns.AddMx('sts.test', 'mx.sts.test'); $dns.AddA('mx.sts.test', '127.0.0.1')
        $dns.AddTxt('_mta-sts.sts.test', 'v=STSv1; id=stall1;'); $dns.AddA('mta-sts.sts.test', $address)
        $closed = New-StallingServer -StallAt Accept; $closedPort = $closed.Port; $closed.Dispose()
        @{ Servers = @($https, $dns); Command = "Test-OutboundTlsPolicy sts.test -DnsServer $($dns.EndPoint) -SmtpPort $closedPort $common"
           Ready = { $https.Reached -ge 1 }.GetNewClosure() }
    }
    $scenarios['Store lock held by another process'] = {
        $store = Join-Path $WorkFolder "lock-$([guid]::NewGuid().ToString('N')).json"
        $flag = "$store.waiting"
        # This process holds the store's lock file the way the store does (FileShare.None: flock on Unix).
        $lock = [System.IO.File]::Open("$store.lock", 'OpenOrCreate', 'ReadWrite', 'None')
        @{ Servers = @($lock); StorePath = $store
           Command = "Set-Content -LiteralPath '$flag' -Value 1; New-OutboundConnector Locked -RecipientDomains stall.test"
           Ready = { Test-Path -LiteralPath $flag }.GetNewClosure() }
    }
    $scenarios['Validate-OutboundConnector: the server stalls after DATA'] = {
        $store = Join-Path $WorkFolder "validate-$([guid]::NewGuid().ToString('N')).json"
        $dns = New-StaticDns
        $smtp = New-StallingServer -StallAt Data
        @{ Servers = @($smtp, $dns); StorePath = $store
           Command = "`$null = New-OutboundConnector V -UseMXRecord `$false -SmartHosts 127.0.0.1 -RecipientDomains stall.test -SmtpDaneMode None -MtaStsMode None; Validate-OutboundConnector V -Recipients user@stall.test -Confirm:`$false -DnsServer $($dns.EndPoint) -SmtpPort $($smtp.Port) $common"
           Ready = { $smtp.Reached -ge 1 }.GetNewClosure() }
    }

    foreach ($key in $scenarios.Keys) {
        if ($key -like $Name) { [pscustomobject]@{ Name = $key; Start = $scenarios[$key] } }
    }
}

function Measure-CtrlCScenario {
    # Sets up one scenario of Get-CtrlCScenario, runs it in a child, stops it, disposes its servers.
    param([Parameter(Mandatory)] $Scenario, [Parameter(Mandatory)][string] $ModulePath, [Parameter(Mandatory)][string] $WorkFolder, [int] $GuardSeconds = 120)
    $setup = & $Scenario.Start
    try {
        $store = if ($setup.StorePath) { $setup.StorePath } else { Join-Path $WorkFolder "store-$([guid]::NewGuid().ToString('N')).json" }
        Invoke-StoppedChild -ModulePath $ModulePath -Command $setup.Command -Ready $setup.Ready -WorkFolder $WorkFolder -StorePath $store -GuardSeconds $GuardSeconds |
            Add-Member -NotePropertyName Name -NotePropertyValue $Scenario.Name -PassThru
    }
    finally {
        foreach ($server in $setup.Servers) { $server.Dispose() }
    }
}

Export-ModuleMember -Function New-StaticDns, New-StallingServer, Get-FreeLoopbackAddress, Invoke-StoppedChild, Get-CtrlCScenario, Measure-CtrlCScenario
