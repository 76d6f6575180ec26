# Shared by the Pester files of the connector cmdlets: imported in each file's BeforeAll.

function Get-ThrownErrorId {
    # The FullyQualifiedErrorId of the first error the script block raises (terminating or not), else $null.
    param([Parameter(Mandatory)][scriptblock] $ScriptBlock)
    try {
        & $ScriptBlock -ErrorAction Stop | Out-Null
    }
    catch {
        return $_.FullyQualifiedErrorId
    }
    return $null
}

function Get-PwshCommand {
    # The pwsh that runs the tests, to start child processes with (the .NET tool has no apphost).
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path $dll) { return @('dotnet', $dll) }
    return @((Get-Process -Id $PID).Path)
}

function Start-PwshChild {
    # Starts a child pwsh running a script file; returns the Process (stdout/stderr redirected).
    param([Parameter(Mandatory)][string] $ScriptPath, [string[]] $ArgumentList = @())
    $cmd = @(Get-PwshCommand)
    $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
    foreach ($a in @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    return [System.Diagnostics.Process]::Start($psi)
}

function Start-ServfailDns {
    # A DNS server on 127.0.0.1 that answers every UDP query with SERVFAIL (RFC 1035 §4.1.1 RCODE 2):
    # a resolver that answers but cannot resolve anything, so lookups fail fast and deterministically
    # while the call is not stopped as DnsServerUnavailable (no server answering at all). Returns an
    # object with EndPoint ('127.0.0.1:port') and Dispose().
    if (-not ('DaneMtaSts.Tests.ServfailDns' -as [type])) {
        Add-Type -TypeDefinition @'
using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace DaneMtaSts.Tests
{
    public sealed class ServfailDns : IDisposable
    {
        private readonly UdpClient udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        private int answered;

        public ServfailDns()
        {
            new Thread(Run) { IsBackground = true }.Start();
        }

        public string EndPoint => "127.0.0.1:" + ((IPEndPoint)udp.Client.LocalEndPoint).Port;

        public int Answered => Volatile.Read(ref answered);

        private void Run()
        {
            var remote = new IPEndPoint(IPAddress.Any, 0);
            while (true)
            {
                byte[] query;
                try { query = udp.Receive(ref remote); }
                catch (SocketException) { return; }
                catch (ObjectDisposedException) { return; }

                // Header (12 bytes), then the question: QNAME labels up to the root, QTYPE, QCLASS.
                int end = 12;
                while (end < query.Length && query[end] != 0) { end += query[end] + 1; }
                end += 5;
                if (query.Length < 12 || end > query.Length) { continue; }

                byte[] reply = new byte[end];
                Array.Copy(query, reply, end);
                reply[2] = (byte)(0x80 | (query[2] & 0x79));   // QR, the query's opcode and RD
                reply[3] = 0x82;                                // RA, RCODE 2 SERVFAIL
                reply[4] = 0; reply[5] = 1;                     // QDCOUNT 1, no other sections
                reply[6] = reply[7] = reply[8] = reply[9] = reply[10] = reply[11] = 0;
                try { udp.Send(reply, reply.Length, remote); Interlocked.Increment(ref answered); }
                catch (SocketException) { }
                catch (ObjectDisposedException) { return; }
            }
        }

        public void Dispose() { udp.Dispose(); }
    }
}
'@
    }
    return [DaneMtaSts.Tests.ServfailDns]::new()
}

function Get-DeadDnsEndPoint {
    # A UDP port nobody answers on: the kernel refuses every query at once (ICMP port unreachable).
    $probe = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
    $endPoint = "127.0.0.1:$($probe.Client.LocalEndPoint.Port)"
    $probe.Dispose()
    return $endPoint
}


function Get-ChromiumPath {
    # Debian's chromium (tests/lab/install-packages.sh installs it), else $null.
    foreach ($name in 'chromium', 'chromium-browser') {
        $cmd = Get-Command $name -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($cmd) { return $cmd.Source }
    }
    return $null
}

function Invoke-HeadlessChromium {
    # Renders a local file in headless Chromium, offline and with a fresh profile: with -Screenshot
    # writes a PNG of the page, otherwise returns the DOM after rendering (--dump-dom), i.e. what the
    # page shows once the browser has parsed it. A generous hang guard (timeout), never a wall-clock bound.
    param(
        [Parameter(Mandatory)][string] $Path,
        [string] $Screenshot,
        [string] $WindowSize = '1280,2000'
    )
    $chromium = Get-ChromiumPath
    if (-not $chromium) { throw 'chromium is not installed (tests/lab/install-packages.sh installs it).' }
    $profileDir = Join-Path ([IO.Path]::GetTempPath()) "danemtasts-chromium-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $profileDir | Out-Null
    try {
        $arguments = @('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions',
            '--hide-scrollbars', "--user-data-dir=$profileDir", "--window-size=$WindowSize")
        $uri = [System.Uri]::new((Resolve-Path -LiteralPath $Path).ProviderPath, [System.UriKind]::Absolute).AbsoluteUri
        if ($Screenshot) {
            $arguments += @("--screenshot=$Screenshot", $uri)
        }
        else {
            $arguments += @('--dump-dom', $uri)
        }
        $psi = [System.Diagnostics.ProcessStartInfo]::new('timeout')
        foreach ($a in @('300', $chromium) + $arguments) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $psi.Environment['HOME'] = $profileDir
        $process = [System.Diagnostics.Process]::Start($psi)
        $errTask = $process.StandardError.ReadToEndAsync()
        $out = $process.StandardOutput.ReadToEnd()
        $process.WaitForExit()
        $err = $errTask.GetAwaiter().GetResult()
        if ($process.ExitCode -ne 0) { throw "chromium exited with $($process.ExitCode): $err" }
        if ($Screenshot) {
            if (-not (Test-Path -LiteralPath $Screenshot)) { throw "chromium wrote no screenshot: $err" }
            return Get-Item -LiteralPath $Screenshot
        }
        return $out
    }
    finally {
        Remove-Item -LiteralPath $profileDir -Recurse -Force -ErrorAction SilentlyContinue
    }
}


Export-ModuleMember -Function Get-ThrownErrorId, Get-PwshCommand, Start-PwshChild, Start-ServfailDns, Get-DeadDnsEndPoint, Get-ChromiumPath, Invoke-HeadlessChromium
