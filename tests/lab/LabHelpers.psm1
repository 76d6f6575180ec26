# Helpers for Pester tests that run inside the lab (bash tests/lab/lab.sh run -- pwsh ...).
# They read what lab.sh exports (DANEMTASTS_LAB_*) and the scenarios table; see README.md.
Set-StrictMode -Version Latest

$script:Modes = @('None', 'Opportunistic', 'Mandatory')

function Test-LabRunning {
    <# True inside a running lab (lab.sh exported DANEMTASTS_LAB_DIR and it exists). #>
    [CmdletBinding()]
    [OutputType([bool])]
    param()
    return [bool]($env:DANEMTASTS_LAB_DIR -and (Test-Path -LiteralPath $env:DANEMTASTS_LAB_DIR))
}

function Get-LabEnvironmentValue([string] $Name) {
    $value = [Environment]::GetEnvironmentVariable($Name)
    if (-not $value) { throw "$Name is not set: run inside the lab (bash tests/lab/lab.sh run -- <command>)." }
    return $value
}

function Get-LabScenario {
    <#
    .SYNOPSIS
        The lab's partner domains with their expected verdict per mode (scenarios.csv).
    .OUTPUTS
        Objects with Scenario, Domain, SmartHost, Rule, Description, Notes and Expected: a
        hashtable keyed by mode (None, Opportunistic, Mandatory) of objects with Outcome,
        StatusCode, Security and MxHost (empty cells are $null).
    #>
    [CmdletBinding()]
    param(
        # Wildcard on the scenario name.
        [Parameter(Position = 0)][string] $Name = '*',
        [string] $Path
    )
    if (-not $Path) { $Path = if ($env:DANEMTASTS_LAB_SCENARIOS) { $env:DANEMTASTS_LAB_SCENARIOS } else { Join-Path $PSScriptRoot 'scenarios.csv' } }
    $orNull = { param($v) if ([string]::IsNullOrWhiteSpace($v)) { $null } else { $v.Trim() } }
    foreach ($row in Import-Csv -LiteralPath $Path) {
        if ($row.Scenario -notlike $Name) { continue }
        $expected = [ordered]@{}
        foreach ($mode in $script:Modes) {
            $expected[$mode] = [pscustomobject]@{
                Outcome    = & $orNull $row."${mode}Outcome"
                StatusCode = & $orNull $row."${mode}StatusCode"
                Security   = & $orNull $row."${mode}Security"
                MxHost     = & $orNull $row."${mode}MxHost"
            }
        }
        [pscustomobject]@{
            Scenario    = $row.Scenario
            Domain      = $row.Domain
            SmartHost   = & $orNull $row.SmartHost
            Rule        = $row.Rule
            Description = $row.Description
            Notes       = & $orNull $row.Notes
            Expected    = $expected
        }
    }
}

function Get-LabTrustedRootPath {
    <# PEM file of the lab root CA (signs every PKIX certificate of MX and MTA-STS hosts). #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    return Get-LabEnvironmentValue 'DANEMTASTS_LAB_CA'
}

function Get-LabDnsServer {
    <#
    The lab's resolvers: Validating (Unbound, the default), NonValidating (Unbound without its
    validator), Stripping (a BIND forwarder that drops every DNSSEC record), Doh (dnsdist, an https URL).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([ValidateSet('Validating', 'NonValidating', 'Stripping', 'Doh')] [string] $Kind = 'Validating')
    $name = switch ($Kind) {
        'Validating' { 'DANEMTASTS_LAB_DNS' }
        'NonValidating' { 'DANEMTASTS_LAB_DNS_NONVALIDATING' }
        'Stripping' { 'DANEMTASTS_LAB_DNS_STRIPPING' }
        'Doh' { 'DANEMTASTS_LAB_DOH' }
    }
    return Get-LabEnvironmentValue $name
}

function Get-LabTrustAnchorPath {
    <# The lab root's DS records (both KSKs), for -TrustAnchorFile. #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    return Get-LabEnvironmentValue 'DANEMTASTS_LAB_TRUST_ANCHORS'
}

function Get-LabMaildirMessage {
    <#
    .SYNOPSIS
        Messages Postfix delivered for a lab domain: $DANEMTASTS_LAB_MAILDIR/<domain>/{new,cur}/.
    .OUTPUTS
        Objects with Domain, Path, Received, To, From, Subject, MessageId, Headers (hashtable,
        first value of each header) and Text (the whole message), oldest first.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string] $Domain,
        # Only messages delivered at or after this time.
        [datetime] $Since = [datetime]::MinValue
    )
    $root = Get-LabEnvironmentValue 'DANEMTASTS_LAB_MAILDIR'
    $dir = Join-Path $root $Domain.TrimEnd('.').ToLowerInvariant()
    $files = foreach ($sub in 'new', 'cur') {
        $path = Join-Path $dir $sub
        if (Test-Path -LiteralPath $path) { Get-ChildItem -LiteralPath $path -File }
    }
    foreach ($file in @($files | Where-Object LastWriteTime -GE $Since | Sort-Object LastWriteTime)) {
        $text = [IO.File]::ReadAllText($file.FullName)
        $headers = @{}
        $name = $null
        foreach ($line in ($text -split "`r?`n")) {
            if ($line -eq '') { break }
            if ($line -match '^[ \t]' -and $name) { $headers[$name] += ' ' + $line.Trim(); continue }
            if ($line -match '^([!-9;-~]+):[ \t]*(.*)$') {
                $name = $Matches[1]
                if ($headers.ContainsKey($name)) { $name = $null; continue } # first value wins
                $headers[$name] = $Matches[2]
            }
        }
        [pscustomobject]@{
            Domain    = $Domain
            Path      = $file.FullName
            Received  = $file.LastWriteTime
            To        = $headers['To']
            From      = $headers['From']
            Subject   = $headers['Subject']
            MessageId = $headers['Message-ID'] ?? $headers['Message-Id']
            Headers   = $headers
            Text      = $text
        }
    }
}

function Wait-LabMaildirMessage {
    <#
    .SYNOPSIS
        The messages of Get-LabMaildirMessage that contain <Text>, once at least one is there
        (Postfix delivers a little after the SMTP reply); none after a generous wait (a hang guard).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string] $Domain,
        [Parameter(Mandatory)][string] $Text,
        [datetime] $Since = [datetime]::MinValue
    )
    foreach ($i in 1..150) {
        $messages = @(Get-LabMaildirMessage -Domain $Domain -Since $Since | Where-Object { $_.Text.Contains($Text) })
        if ($messages.Count -gt 0) { return $messages }
        Start-Sleep -Milliseconds 200
    }
}

function Invoke-PostTlsFinger {
    <#
    .SYNOPSIS
        Runs Postfix's posttls-finger inside the lab against a domain (MX routing) or one host.
    .OUTPUTS
        Destination, Level, Result (Verified, Trusted, Untrusted, Anonymous or Failure),
        Dane ($true when the verification was a DANE TLSA match, $false when posttls-finger fell
        back to PKIX because there was no usable TLSA), Host (the host it reached), ExitCode, Text.
    #>
    [CmdletBinding(DefaultParameterSetName = 'Domain')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'Domain', Position = 0)][string] $Domain,
        [Parameter(Mandatory, ParameterSetName = 'Host')][Alias('Host')][string] $HostName,
        [ValidateSet('dane', 'dane-only', 'secure', 'verify', 'encrypt', 'may')][string] $Level = 'dane',
        [int] $TimeoutSeconds = 30
    )
    $destination = if ($PSCmdlet.ParameterSetName -eq 'Host') { "[$HostName]" } else { $Domain }
    $ca = Get-LabTrustedRootPath
    $config = Get-LabEnvironmentValue 'DANEMTASTS_LAB_POSTTLS_CONFIG'
    $previous = $env:MAIL_CONFIG
    $env:MAIL_CONFIG = $config
    try {
        $lines = & timeout $TimeoutSeconds posttls-finger -c -l $Level -F $ca $destination 2>&1
        $exit = $LASTEXITCODE
    }
    finally {
        $env:MAIL_CONFIG = $previous
    }
    $text = ($lines | ForEach-Object { "$_" }) -join "`n"
    $result = switch -Regex ($text) {
        'Verified TLS connection established' { 'Verified'; break }
        'Untrusted TLS connection established' { 'Untrusted'; break }
        'Trusted TLS connection established' { 'Trusted'; break }
        'Anonymous TLS connection established' { 'Anonymous'; break }
        default { 'Failure' }
    }
    $reached = if ($text -match 'connection established to ([^\[\s]+)\[') { $Matches[1] } else { $null }
    [pscustomobject]@{
        Destination = $destination
        Level       = $Level
        Result      = $result
        Dane        = ($result -eq 'Verified' -and $text -match 'Matched DANE')
        Host        = $reached
        ExitCode    = $exit
        Text        = $text
    }
}

function Get-LabSmtpProxy {
    <#
    .SYNOPSIS
        The lab's SOCKS5 proxies (microsocks, running as the lab's proxy user, which the port-25
        block spares): Open (no authentication) or Authenticated (username/password, RFC 1929).
    .OUTPUTS
        Uri (socks5://host:port) and, for Authenticated, Credential (a PSCredential).
    #>
    [CmdletBinding()]
    param([ValidateSet('Open', 'Authenticated')] [string] $Kind = 'Open')
    if ($Kind -eq 'Open') { return [pscustomobject]@{ Uri = (Get-LabEnvironmentValue 'DANEMTASTS_LAB_SOCKS'); Credential = $null } }
    $password = ConvertTo-SecureString (Get-LabEnvironmentValue 'DANEMTASTS_LAB_SOCKS_PASSWORD') -AsPlainText -Force
    $credential = [pscredential]::new((Get-LabEnvironmentValue 'DANEMTASTS_LAB_SOCKS_USERNAME'), $password)
    return [pscustomobject]@{ Uri = (Get-LabEnvironmentValue 'DANEMTASTS_LAB_SOCKS_AUTH'); Credential = $credential }
}

function Invoke-LabIptables([string[]] $Arguments) {
    foreach ($tables in 'iptables', 'ip6tables') {
        $out = & $tables -w @Arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "$tables $($Arguments -join ' ') failed: $out" }
        $out
    }
}

function Get-LabPort25Chain {
    $chain = $env:DANEMTASTS_LAB_PORT25_CHAIN
    if (-not $chain) {
        throw 'The lab has no port-25 block: iptables with the owner match did not work when the lab started (see logs/iptables.out in the run directory).'
    }
    return $chain
}

function Set-LabPort25Block {
    <#
    .SYNOPSIS
        Blocks outbound TCP to port 25 (IPv4 and IPv6) inside the lab for every user but the SOCKS5
        proxy's, or lifts the block.
    .DESCRIPTION
        None: no block. Reject: refused at once (-RejectWith TcpReset, the default, or
        IcmpUnreachable: ICMP port unreachable); connect fails fast. Drop: the SYN is dropped, a
        connect times out. The rules sit in the lab's own chain (lab.sh creates it, empty), matched
        with -m owner ! --uid-owner <proxy user>: the tests' pwsh runs as root and is blocked; only
        microsocks reaches port 25.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory, Position = 0)][ValidateSet('None', 'Reject', 'Drop')] [string] $Mode,
        [ValidateSet('TcpReset', 'IcmpUnreachable')] [string] $RejectWith = 'TcpReset'
    )
    $chain = Get-LabPort25Chain
    $user = Get-LabEnvironmentValue 'DANEMTASTS_LAB_SOCKS_USER'
    if (-not $PSCmdlet.ShouldProcess($chain, "port 25 block: $Mode")) { return }
    $null = Invoke-LabIptables @('-F', $chain)
    if ($Mode -eq 'None') { return }
    foreach ($tables in 'iptables', 'ip6tables') {
        $target = switch ($Mode) {
            'Drop' { @('-j', 'DROP') }
            'Reject' {
                if ($RejectWith -eq 'TcpReset') { @('-j', 'REJECT', '--reject-with', 'tcp-reset') }
                elseif ($tables -eq 'iptables') { @('-j', 'REJECT', '--reject-with', 'icmp-port-unreachable') }
                else { @('-j', 'REJECT', '--reject-with', 'icmp6-port-unreachable') }
            }
        }
        $out = & $tables -w -A $chain -p tcp -m owner '!' --uid-owner $user @target 2>&1
        if ($LASTEXITCODE -ne 0) { throw "$tables could not add the port-25 block: $out" }
    }
}

function Get-LabPort25Block {
    <#
    .SYNOPSIS
        The port-25 block now: Mode (None, Reject or Drop), RejectWith, and Packets, the number of
        packets the block has stopped since it was set (IPv4 + IPv6; a DROPped connect retries its SYN).
    #>
    [CmdletBinding()]
    param()
    $chain = Get-LabPort25Chain
    $mode = 'None'; $with = $null; $packets = [long] 0
    foreach ($line in Invoke-LabIptables @('-L', $chain, '-n', '-v', '-x')) {
        # pkts bytes target prot opt in out source destination [match...]
        $fields = -split "$line"
        if ($fields.Count -lt 3 -or $fields[0] -notmatch '^\d+$') { continue }
        $packets += [long] $fields[0]
        $mode = if ($fields[2] -eq 'DROP') { 'Drop' } else { 'Reject' }
        if ($mode -eq 'Reject') { $with = if ("$line" -match 'tcp-reset') { 'TcpReset' } else { 'IcmpUnreachable' } }
    }
    [pscustomobject]@{ Mode = $mode; RejectWith = $with; Packets = $packets }
}

# Reads exactly <count> bytes from a stream (or throws): the source text, so that the hostile proxy's
# own runspace can build it too (a script block is bound to the runspace it was made in).
$script:ReadExactlyText = @'
param($stream, [int] $count)
$buffer = [byte[]]::new($count); $got = 0
while ($got -lt $count) {
    $n = $stream.Read($buffer, $got, $count - $got)
    if ($n -eq 0) { throw "connection closed after $got of $count bytes" }
    $got += $n
}
, $buffer
'@

function Test-LabPort25Connection {
    <#
    .SYNOPSIS
        Opens a TCP connection to <Address>:<Port> from this process (directly, or through a SOCKS5
        proxy, RFC 1928 / 1929) and reads the SMTP banner: shows whether the block blocks and the
        proxy passes.
    .OUTPUTS
        Connected ($true when a 220 banner arrived), Banner, Error.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][string] $Address,
        [int] $Port = 25,
        # socks5://host:port
        [string] $Proxy,
        [pscredential] $Credential,
        # Bind the connection to this local address (Postfix logs it: "connect from ...[address]").
        [string] $LocalAddress,
        [int] $TimeoutSec = 5
    )
    $target = [Net.IPEndPoint]::new([Net.IPAddress]::Parse($Address), $Port)
    $first = if ($Proxy) { $uri = [uri] $Proxy; [Net.IPEndPoint]::new([Net.IPAddress]::Parse($uri.Host.Trim('[', ']')), $uri.Port) } else { $target }
    $client = [Net.Sockets.TcpClient]::new($first.AddressFamily)
    if ($LocalAddress) { $client.Client.Bind([Net.IPEndPoint]::new([Net.IPAddress]::Parse($LocalAddress), 0)) }
    $cts = [Threading.CancellationTokenSource]::new([TimeSpan]::FromSeconds($TimeoutSec))
    try {
        $null = $client.ConnectAsync($first, $cts.Token).AsTask().GetAwaiter().GetResult()
        $stream = $client.GetStream()
        $stream.ReadTimeout = $TimeoutSec * 1000
        $readExactly = [scriptblock]::Create($script:ReadExactlyText)
        $read = { param([int] $count) & $readExactly $stream $count }
        if ($Proxy) {
            $greeting = if ($Credential) { [byte[]] (5, 1, 2) } else { [byte[]] (5, 1, 0) }
            $stream.Write($greeting, 0, $greeting.Length)
            $choice = & $read 2
            if ($choice[0] -ne 5 -or $choice[1] -eq 0xFF) { throw "the proxy accepted no offered method ($($choice -join ' '))" }
            if ($choice[1] -eq 2) {
                $user = [Text.Encoding]::UTF8.GetBytes($Credential.UserName)
                $pass = [Text.Encoding]::UTF8.GetBytes($Credential.GetNetworkCredential().Password)
                $auth = [byte[]] (@(1, $user.Length) + $user + @($pass.Length) + $pass)
                $stream.Write($auth, 0, $auth.Length)
                $status = & $read 2
                if ($status[1] -ne 0) { throw 'the proxy refused the username and password' }
            }
            $addr = $target.Address.GetAddressBytes()
            $atyp = if ($addr.Length -eq 4) { 1 } else { 4 }
            $request = [byte[]] (@(5, 1, 0, $atyp) + $addr + @(($Port -shr 8), ($Port -band 0xFF)))
            $stream.Write($request, 0, $request.Length)
            $head = & $read 4
            if ($head[1] -ne 0) { throw "the proxy answered CONNECT with REP $($head[1])" }
            $null = & $read ($(if ($head[3] -eq 4) { 16 } else { 4 }) + 2)
        }
        $reader = [IO.StreamReader]::new($stream, [Text.Encoding]::ASCII)
        $banner = $reader.ReadLine()
        [pscustomobject]@{ Connected = ("$banner" -match '^220[ -]'); Banner = $banner; Error = $null }
    }
    catch {
        $e = $_.Exception
        while ($e.InnerException) { $e = $e.InnerException }
        [pscustomobject]@{ Connected = $false; Banner = $null; Error = "$($e.GetType().Name): $($e.Message)" }
    }
    finally {
        $client.Dispose()
        $cts.Dispose()
    }
}

function Get-LabSmtpConnectCount {
    <#
    .SYNOPSIS
        How many SMTP connections the lab's Postfix has accepted so far: its "connect from" log
        lines (every smtpd of every MX host logs one per accepted connection).
    .DESCRIPTION
        Postfix writes its log through postlogd, a little after the fact. With -Sync, this first
        opens one connection of its own from 127.0.0.1 (which nothing else in the lab uses as a
        source address) and waits until Postfix has logged it: every connection made before is
        then counted. Those sentinel connections are never counted. -Sync needs port 25 unblocked.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param([switch] $Sync)
    $log = Get-LabEnvironmentValue 'DANEMTASTS_LAB_POSTFIX_LOG'
    $count = {
        $all = 0; $sentinel = 0
        if (Test-Path -LiteralPath $log) {
            foreach ($line in [IO.File]::ReadLines($log)) {
                if ($line -notmatch '/smtpd\[\d+\]: connect from \S*\[([^\]]+)\]') { continue }
                if ($Matches[1] -eq '127.0.0.1') { $sentinel++ } else { $all++ }
            }
        }
        [pscustomobject]@{ Others = $all; Sentinel = $sentinel }
    }
    $before = & $count
    if (-not $Sync) { return $before.Others }
    $probe = Test-LabPort25Connection (Get-LabEnvironmentValue 'DANEMTASTS_LAB_SENTINEL_SMTP') -LocalAddress 127.0.0.1
    if (-not $probe.Connected) { throw "The sentinel connection to Postfix failed ($($probe.Error)): is port 25 blocked?" }
    # A generous bound (postlogd normally writes within milliseconds): a hang guard, not a timing assertion.
    foreach ($i in 1..600) {
        $now = & $count
        if ($now.Sentinel -gt $before.Sentinel) { return $now.Others }
        Start-Sleep -Milliseconds 100
    }
    throw "Postfix did not log the sentinel connection within 60 s ($log)."
}

function Start-LabHostileProxy {
    <#
    .SYNOPSIS
        A SOCKS5 "proxy" on 127.0.0.1 that misbehaves, for the tests of -SmtpProxy faults.
    .DESCRIPTION
        Refuse: nothing listens (the port was just closed). Stall: the kernel accepts the TCP
        connection, nobody ever reads or answers. Garbage: answers the greeting with an HTTP error.
        ReplyFailure: accepts "no authentication", answers CONNECT with REP 1 (general failure).
        SuccessThenClose: answers CONNECT with success, then closes without a byte of the target's.
        Stop it with Stop-LabHostileProxy.
    .OUTPUTS
        Behaviour, Uri (socks5://127.0.0.1:port) and what Stop-LabHostileProxy needs.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory)][ValidateSet('Refuse', 'Stall', 'Garbage', 'ReplyFailure', 'SuccessThenClose')] [string] $Behaviour)
    if (-not $PSCmdlet.ShouldProcess('127.0.0.1', "hostile SOCKS5 proxy ($Behaviour)")) { return }
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $port = ([Net.IPEndPoint] $listener.LocalEndpoint).Port
    $served = [Collections.Concurrent.ConcurrentQueue[string]]::new()
    $ps = $null
    if ($Behaviour -eq 'Refuse') {
        $listener.Stop()
        $listener = $null
    }
    elseif ($Behaviour -ne 'Stall') {
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
                param($listener, $behaviour, $served, $readExactlyText)
                $read = [scriptblock]::Create($readExactlyText)
                while ($true) {
                    try { $client = $listener.AcceptTcpClient() } catch { return }
                    try {
                        $stream = $client.GetStream()
                        $stream.ReadTimeout = 5000
                        $head = & $read $stream 2
                        $null = & $read $stream $head[1]
                        if ($behaviour -eq 'Garbage') {
                            $bytes = [Text.Encoding]::ASCII.GetBytes("HTTP/1.1 400 Bad Request`r`nContent-Length: 0`r`n`r`n")
                            $stream.Write($bytes, 0, $bytes.Length)
                        }
                        else {
                            $stream.Write([byte[]] (5, 0), 0, 2)
                            $request = & $read $stream 4
                            $null = & $read $stream ($(if ($request[3] -eq 4) { 16 } else { 4 }) + 2)
                            $rep = if ($behaviour -eq 'ReplyFailure') { 1 } else { 0 }
                            $stream.Write([byte[]] (5, $rep, 0, 1, 0, 0, 0, 0, 0, 0), 0, 10)
                        }
                        $stream.Flush()
                        $served.Enqueue($behaviour)
                    }
                    catch { $served.Enqueue("error: $($_.Exception.Message)") }
                    finally { $client.Dispose() }
                }
            }).AddArgument($listener).AddArgument($Behaviour).AddArgument($served).AddArgument($script:ReadExactlyText)
        $null = $ps.BeginInvoke()
    }
    [pscustomobject]@{ Behaviour = $Behaviour; Uri = "socks5://127.0.0.1:$port"; Port = $port; Listener = $listener; PowerShell = $ps; Served = $served }
}

function Stop-LabHostileProxy {
    <# Stops a proxy of Start-LabHostileProxy (closes its port and the thread that served it). #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory, ValueFromPipeline)] $Proxy)
    process {
        if (-not $PSCmdlet.ShouldProcess($Proxy.Uri, 'stop')) { return }
        if ($Proxy.Listener) { $Proxy.Listener.Stop() }
        if ($Proxy.PowerShell) {
            $null = $Proxy.PowerShell.BeginStop($null, $null)
            $Proxy.PowerShell.Dispose()
        }
    }
}

Export-ModuleMember -Function Test-LabRunning, Get-LabScenario, Get-LabTrustedRootPath, Get-LabDnsServer, Get-LabTrustAnchorPath, Get-LabMaildirMessage, Wait-LabMaildirMessage, Invoke-PostTlsFinger,
    Get-LabSmtpProxy, Set-LabPort25Block, Get-LabPort25Block, Test-LabPort25Connection, Get-LabSmtpConnectCount, Start-LabHostileProxy, Stop-LabHostileProxy
