#Requires -Version 7.6
<#
.SYNOPSIS
    The DaneMtaSts benchmark: bulk audit against posttls-finger and the lab's physical limit, round trips through a
    delaying relay, start-up, scale and memory, connector store. Runs inside the lab in bench mode.

.DESCRIPTION
    Started by `build.ps1 -Task Bench`, which builds the module and the relay, sets
    DANEMTASTS_LAB_BENCH and runs this script inside tests/lab/lab.sh. Prints a table of figures
    with their targets and writes them to -OutputPath (JSON). Figures are measured, never asserted:
    the script fails only when the benchmark itself cannot run (or a verdict is wrong, which would
    make its timing meaningless).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    # The built DelayRelay.dll (tests/bench/DelayRelay).
    [Parameter(Mandatory)] [string] $RelayPath,
    [string] $OutputPath = (Join-Path $PSScriptRoot '../../output/bench/bench.json'),
    # One-way delay of the relay; the round-trip time is twice this.
    [int] $DelayMs = 100,
    [int] $Runs = 7,
    # Domains of the streamed-memory figure (docs/architecture.md#bounded-memory).
    [int] $StreamDomains = 100000,
    # Consecutive bulk calls of the stall figure.
    [int] $StallRuns = 10,
    # Paired rounds of the lab's-limit figures (tests/bench/Measure-LabLimit.ps1).
    [int] $LimitRounds = 7,
    # Before those rounds, warm calls until tiered compilation settles: the last SettleWindow pairs
    # compiled fewer than SettleMethods methods in all; no more than SettleCalls pairs.
    [int] $SettleWindow = 10,
    [int] $SettleMethods = 20,
    [int] $SettleCalls = 250
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$benchDir = $env:DANEMTASTS_LAB_BENCH_DIR
if (-not $benchDir -or -not (Test-Path $benchDir)) {
    throw 'Not inside the lab in bench mode: run `build.ps1 -Task Bench` (it sets DANEMTASTS_LAB_BENCH and starts the lab).'
}

$dns = $env:DANEMTASTS_LAB_DNS
$labDir = $env:DANEMTASTS_LAB_DIR
$unboundConf = $env:DANEMTASTS_LAB_UNBOUND_CONF
$unboundLog = Join-Path $labDir 'logs/unbound.log'
$postfixLog = Join-Path $labDir 'logs/postfix.log'
$work = Join-Path $labDir 'bench-work'
New-Item -ItemType Directory -Path $work -Force | Out-Null
$pwshExe = (Get-Process -Id $PID).Path
$pwshPre = @()
if ((Split-Path $pwshExe -Leaf) -like 'dotnet*') { $pwshPre = @(Join-Path $PSHOME 'pwsh.dll') }

$figures = [System.Collections.Generic.List[object]]::new()
function Add-Figure {
    param([string] $Section, [string] $Name, $Value, [string] $Unit, [string] $Target = '', $Met = $null, [string] $Note = '')
    $figures.Add([pscustomobject][ordered]@{
            Section = $Section; Figure = $Name; Value = $Value; Unit = $Unit; Target = $Target; Met = $Met; Note = $Note
        })
    $shown = if ($Value -is [double]) { '{0:N2}' -f $Value } else { "$Value" }
    $flag = if ($null -eq $Met) { '' } elseif ($Met) { 'met' } else { 'MISSED' }
    Write-Host ("  {0,-66} {1,10} {2,-4} {3,-20} {4,-6} {5}" -f $Name, $shown, $Unit, $Target, $flag, $Note)
}

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $n = $sorted.Count
    if ($n % 2) { return $sorted[($n - 1) / 2] }
    return ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2
}

function Clear-ResolverCache {
    # A reload empties every cache of Unbound (messages, RRsets, keys, infrastructure).
    & unbound-control -c $unboundConf reload | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'unbound-control reload failed.' }
    for ($i = 0; $i -lt 50; $i++) {
        & dig +time=1 +tries=1 "@$dns" . SOA *> $null
        if ($LASTEXITCODE -eq 0) { break }
        Start-Sleep -Milliseconds 100
    }
    & unbound-control -c $unboundConf flush_zone . | Out-Null
}

function Get-LogMark([string] $Path) { (Get-Item $Path).Length }

function Get-LogSince([string] $Path, [long] $Mark) {
    Start-Sleep -Milliseconds 500   # postlogd writes asynchronously
    $stream = [System.IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite')
    try {
        $null = $stream.Seek($Mark, 'Begin')
        $reader = [System.IO.StreamReader]::new($stream)
        return @($reader.ReadToEnd() -split "`n" | Where-Object { $_ })
    }
    finally { $stream.Dispose() }
}

function Measure-UnboundQueries([string[]] $Lines) {
    # log-queries lines: "... info: <client> <name> <TYPE> IN"
    $byType = @{}
    foreach ($line in $Lines) {
        if ($line -match 'info: \S+ \S+ (\S+) IN$') { $byType[$Matches[1]] = 1 + ($byType[$Matches[1]] ?? 0) }
    }
    return $byType
}

function Measure-SmtpConnects([string[]] $Lines) {
    # Each bench smtpd logs under postfix/<host>; the client's family tells the server address apart.
    $perAddress = @{}
    foreach ($line in $Lines) {
        if ($line -match 'postfix/([^/\s]+)/smtpd\[\d+\]: connect from [^\[]*\[([^\]]+)\]') {
            $key = '{0}|{1}' -f $Matches[1], ($Matches[2].Contains(':') ? 'v6' : 'v4')
            $perAddress[$key] = 1 + ($perAddress[$key] ?? 0)
        }
    }
    return $perAddress
}

function Get-EngineStatistics([object[]] $Information) {
    # Test-OutboundTlsPolicy writes its call's counters (a DryRunSnapshot) to the information stream.
    return ($Information | Where-Object { $_.Tags -contains 'DaneMtaSts.DryRunStatistics' } | Select-Object -Last 1).MessageData
}

function Invoke-Child {
    # Runs a script in a fresh pwsh and returns its last output line parsed as JSON.
    param([string] $Script)
    $file = Join-Path $work "child-$([guid]::NewGuid().ToString('n')).ps1"
    Set-Content -Path $file -Value $Script
    $out = & $pwshExe @pwshPre -NoProfile -NonInteractive -File $file
    if ($LASTEXITCODE -ne 0) { throw "Child pwsh failed ($LASTEXITCODE): $out" }
    return ($out | Select-Object -Last 1 | ConvertFrom-Json)
}

$started = Get-Date
$load = (Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -split ' ' | Select-Object -First 1
Write-Host "Load average at start: $load (on $([Environment]::ProcessorCount) cores); figures on a busy machine are slower than on an idle one."

$env:DANEMTASTS_STORE = Join-Path $work 'store.json'
Import-Module $ModulePath
$groups = @(Get-Content (Join-Path $benchDir 'groups.txt') | ForEach-Object {
        $g, $n, $m = $_ -split ' '
        [pscustomobject]@{ Name = $g; Domains = [int] $n; Hosts = [int] $m; DomainFile = (Join-Path $benchDir "$g.domains"); HostFile = (Join-Path $benchDir "$g.hosts") }
    })
$bulk = $groups[0]
$scale = $groups | Select-Object -Last 1

# JIT warm-up on a lab scenario domain, so that the timed call measures the work, not compilation.
$null = Test-OutboundTlsPolicy dane-ee-good.test, sts-enforce-good.test -DnsServer $dns -TrustedRootCertificate $env:DANEMTASTS_LAB_CA

# ------------------------------------------------------------------------------------------------
Write-Host "`n== 1. Bulk audit: $($bulk.Domains) DANE-EE domains on $($bulk.Hosts) shared MX hosts (A + AAAA each)" -ForegroundColor Cyan
$domains = @(Get-Content $bulk.DomainFile)
$hostCount = @(Get-Content $bulk.HostFile).Count
$addressCount = 2 * $hostCount

Clear-ResolverCache
$uMark = Get-LogMark $unboundLog; $pMark = Get-LogMark $postfixLog
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$results = @(Test-OutboundTlsPolicy -Domain $domains -DnsServer $dns -InformationVariable bulkInformation)
$sw.Stop()
$engineMs = $sw.Elapsed.TotalMilliseconds
$stats = Get-EngineStatistics $bulkInformation
$uEngine = Measure-UnboundQueries (Get-LogSince $unboundLog $uMark)
$pEngine = Measure-SmtpConnects (Get-LogSince $postfixLog $pMark)
$wrong = @($results | Where-Object { $_.Outcome -ne 'Deliver' -or $_.Security -ne 'Dane' })
if ($results.Count -ne $domains.Count -or $wrong.Count -gt 0) {
    throw "Bulk audit: expected $($domains.Count) Deliver/Dane results, got $($results.Count) with $($wrong.Count) others (first: $($wrong | Select-Object -First 1 | Out-String))."
}

# The same call with in-process DNSSEC validation (docs/dns.md): what -DnssecValidation Local (and
# Auto behind a resolver that does not validate) costs over trusting the validating resolver's AD bit.
# Goal: at most one DNSKEY and one DS lookup per zone cut per run, and under 30% more time. The
# bench zones: the root, test. and bench.test. (one signed zone holds every bench domain and host).
# Paired rounds (AD bit, then Local, each with the resolver's cache flushed); the last round counts, so
# that neither side pays for the first bulk call's JIT compilation.
$adMs = 0; $localMs = 0
foreach ($round in 1..2) {
    Clear-ResolverCache
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $null = @(Test-OutboundTlsPolicy -Domain $domains -DnsServer $dns -DnssecValidation Resolver)
    $adMs = $sw.Elapsed.TotalMilliseconds
    Clear-ResolverCache
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $localResults = @(Test-OutboundTlsPolicy -Domain $domains -DnsServer $dns -DnssecValidation Local -TrustAnchorFile $env:DANEMTASTS_LAB_TRUST_ANCHORS -InformationVariable localInformation)
    $localMs = $sw.Elapsed.TotalMilliseconds
}
$localStats = Get-EngineStatistics $localInformation
$localWrong = @($localResults | Where-Object { $_.Outcome -ne 'Deliver' -or $_.Security -ne 'Dane' -or "$($_.DnssecValidatedBy)" -ne 'Local' })
if ($localResults.Count -ne $domains.Count -or $localWrong.Count -gt 0) {
    throw "Bulk audit with local validation: expected $($domains.Count) Deliver/Dane results validated locally, got $($localResults.Count) with $($localWrong.Count) others (first: $($localWrong | Select-Object -First 1 | Out-String))."
}
$zoneCuts = 3
$dnskeyQueries = [int]$localStats.DnsQueriesByType['DNSKEY']
$dsQueries = [int]$localStats.DnsQueriesByType['DS']
$extraPercent = 100 * ($localMs - $adMs) / $adMs
Add-Figure 'dnssec' 'bulk call, resolver AD bit (cold resolver, second round)' ([math]::Round($adMs)) 'ms'
Add-Figure 'dnssec' 'bulk call, -DnssecValidation Local (cold resolver, second round)' ([math]::Round($localMs)) 'ms'
Add-Figure 'dnssec' 'extra time of local validation' ([math]::Round($extraPercent, 1)) '%' '< 30%' ($extraPercent -lt 30)
Add-Figure 'dnssec' 'extra DNS queries of local validation' ($localStats.DnsQueriesSent - $stats.DnsQueriesSent) '' '' $null (($localStats.DnsQueriesByType.GetEnumerator() | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', ')
Add-Figure 'dnssec' "DNSKEY lookups ($zoneCuts zone cuts)" $dnskeyQueries '' "<= $zoneCuts" ($dnskeyQueries -le $zoneCuts)
Add-Figure 'dnssec' "DS lookups ($zoneCuts zone cuts)" $dsQueries '' "<= $zoneCuts" ($dsQueries -le $zoneCuts)

Clear-ResolverCache
$uMark = Get-LogMark $unboundLog; $pMark = Get-LogMark $postfixLog
$domainFile = $bulk.DomainFile
function Measure-PosttlsLoop {
    # The yardstick: posttls-finger -l dane-only for each domain in turn; its time and how many
    # sessions it verified.
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $out = & bash -c 'while read -r d; do MAIL_CONFIG="$1" posttls-finger -c -l dane-only "$d" 2>&1; done <"$2"' bench $env:DANEMTASTS_LAB_POSTTLS_CONFIG $domainFile
    $sw.Stop()
    [pscustomobject]@{
        Ms       = $sw.Elapsed.TotalMilliseconds
        Verified = @($out | Where-Object { $_ -match 'Verified TLS connection established' }).Count
    }
}
# The loop twice: resolver flushed (cold), then at once again (warm: the resolver's cache only).
$loopCold = Measure-PosttlsLoop
$uLoop = Measure-UnboundQueries (Get-LogSince $unboundLog $uMark)
$pLoop = Measure-SmtpConnects (Get-LogSince $postfixLog $pMark)
$loopWarm = Measure-PosttlsLoop

Clear-ResolverCache
$wholeScript = @"
`$env:DANEMTASTS_STORE = '$($env:DANEMTASTS_STORE)'
Import-Module '$ModulePath'
`$r = @(Test-OutboundTlsPolicy -Domain (Get-Content '$domainFile') -DnsServer '$dns')
if (`$r.Count -ne $($domains.Count)) { exit 1 }
"@
$file = Join-Path $work 'whole.ps1'
Set-Content $file $wholeScript
$sw = [System.Diagnostics.Stopwatch]::StartNew()
& $pwshExe @pwshPre -NoProfile -NonInteractive -File $file
$sw.Stop()
if ($LASTEXITCODE -ne 0) { throw 'Whole-process bulk audit failed.' }
$wholeMs = $sw.Elapsed.TotalMilliseconds

$engineProbes = $pEngine.Values | Measure-Object -Sum | Select-Object -ExpandProperty Sum
$maxPerAddress = ($pEngine.Values | Measure-Object -Maximum).Maximum
$tlsaQueries = $stats.DnsQueriesByType['TLSA'] ?? 0
# A single call right after a 2-domain warm-up: it still JIT-compiles the bulk path, so it is not the
# figure of the ratios (those are medians of section 1b's paired rounds, section 1c below).
Add-Figure 'bulk' 'first bulk call in this process, includes JIT (cold resolver)' ([math]::Round($engineMs)) 'ms'
Add-Figure 'bulk' 'first bulk call in this process, includes JIT: per domain' ($engineMs / $domains.Count) 'ms'
Add-Figure 'bulk' "posttls-finger -l dane-only loop, cold resolver ($($loopCold.Verified)/$($domains.Count) verified)" ([math]::Round($loopCold.Ms)) 'ms'
Add-Figure 'bulk' 'posttls-finger loop, cold: per domain' ($loopCold.Ms / $domains.Count) 'ms'
Add-Figure 'bulk' "posttls-finger -l dane-only loop, warm resolver ($($loopWarm.Verified)/$($domains.Count) verified)" ([math]::Round($loopWarm.Ms)) 'ms'
Add-Figure 'bulk' 'posttls-finger loop, warm: per domain' ($loopWarm.Ms / $domains.Count) 'ms'
Add-Figure 'bulk' 'first bulk call (includes JIT) vs the cold loop' ($loopCold.Ms / $engineMs) 'x' '' $null 'not the target figure: see section 1c'
$ratioWhole = $loopCold.Ms / $wholeMs
Add-Figure 'bulk' 'whole process (pwsh start + import + call, cold resolver)' ([math]::Round($wholeMs)) 'ms'
Add-Figure 'bulk' 'speed-up of the whole process over the cold loop' $ratioWhole 'x'
Add-Figure 'bulk' 'engine: DNS queries sent' $stats.DnsQueriesSent '' '' $null (($stats.DnsQueriesByType.GetEnumerator() | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', ')
Add-Figure 'bulk' 'Unbound log: queries from the engine' (($uEngine.Values | Measure-Object -Sum).Sum) '' '' $null (($uEngine.GetEnumerator() | Sort-Object Key | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', ')
Add-Figure 'bulk' 'Unbound log: queries from the posttls-finger loop' (($uLoop.Values | Measure-Object -Sum).Sum) '' '' $null (($uLoop.GetEnumerator() | Sort-Object Key | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', ')
Add-Figure 'bulk' "engine: TLSA lookups ($hostCount distinct MX hosts)" $tlsaQueries '' "= $hostCount" ($tlsaQueries -eq $hostCount)
Add-Figure 'bulk' "engine: SMTP connects ($addressCount distinct addresses)" $stats.SmtpConnectAttempts '' "= $addressCount" ($stats.SmtpConnectAttempts -eq $addressCount)
Add-Figure 'bulk' 'Postfix log: connects from the engine' $engineProbes '' "= $addressCount, 1 each" (($engineProbes -eq $addressCount) -and $maxPerAddress -eq 1 -and $pEngine.Count -eq $addressCount) "$($pEngine.Count) addresses, at most $maxPerAddress each"
Add-Figure 'bulk' 'Postfix log: connects from the posttls-finger loop' (($pLoop.Values | Measure-Object -Sum).Sum) ''

# ------------------------------------------------------------------------------------------------
Write-Host "`n== 1b. The lab's physical limit for the same call (tests/bench/Measure-LabLimit.ps1; medians of $LimitRounds paired rounds)" -ForegroundColor Cyan
# The limit is the critical-path run: the call's DNS queries and STARTTLS sessions from a small
# independent client (no engine code), in the order their dependencies allow and no slower: MX and
# TXT of every domain at once; a host's A, AAAA and TLSA as soon as an MX answer names it; a session
# to an address as soon as its address and TLSA answers are in. Neither simpler figure is the limit:
# max(DNS burst, handshake burst) assumes sessions start before any answer names a host, which no
# client can do; their sum assumes no overlap, which a client beats (TXT lookups and late MX answers
# overlap the sessions). The two bursts are printed beside it: the critical path lies between them.
# Each round is paired: cache flushed, yardstick cold then warm; flushed again, the engine's call cold
# then warm (the call keeps no answers between calls, so "warm" is the resolver's cache only).
. (Join-Path $PSScriptRoot 'Measure-LabLimit.ps1')
$limitQueries = Get-BulkQuerySet -DomainFile $bulk.DomainFile -HostFile $bulk.HostFile
$hostLines = @(Get-Content $bulk.HostFile)
$null = Measure-StartTlsBurst -Targets $hostLines   # starts the smtpd processes, JIT-compiles the client

# Tiered compilation settles first. The runtime recompiles hot methods on a background thread (the
# engine's ReadyToRun code and PowerShell's tier-0 code, each through an instrumented tier for PGO)
# over the first hundred or so bulk calls of a process, in bursts (a call that compiles nothing can
# come between two that compile hundreds), and a call measured meanwhile shares the two cores with
# that thread. The rounds below measure both clients in the steady state: (call, limit run) pairs,
# warm resolver, are repeated until the last $SettleWindow pairs compiled fewer than $SettleMethods
# methods in all. The first-call JIT figure (section 5) and the unsettled warm call printed here are
# what a fresh process sees.
$settle = [System.Collections.Generic.List[double]]::new()
$compiledPerPair = [System.Collections.Generic.List[long]]::new()
$settled = $false
while (-not $settled -and $settle.Count -lt $SettleCalls) {
    $j0 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $null = @(Test-OutboundTlsPolicy -Domain $domains -DnsServer $dns)
    $settle.Add($sw.Elapsed.TotalMilliseconds)
    $null = Measure-CriticalPath -Server $dns -DomainFile $bulk.DomainFile -HostFile $bulk.HostFile
    $compiledPerPair.Add([System.Runtime.JitInfo]::GetCompiledMethodCount($false) - $j0)
    $settled = $compiledPerPair.Count -ge $SettleWindow -and ($compiledPerPair.GetRange($compiledPerPair.Count - $SettleWindow, $SettleWindow) | Measure-Object -Sum).Sum -lt $SettleMethods
}
$settleCompiled = ($compiledPerPair | Measure-Object -Sum).Sum
Add-Figure 'limit' 'the call, warm resolver, before tiered compilation settled' ([math]::Round((Get-Median $settle.GetRange(0, [math]::Min(3, $settle.Count)).ToArray()))) 'ms' '' $null 'median of the first 3 calls of the settling run below'
Add-Figure 'limit' 'tiered compilation: pairs until it settled' $settle.Count '' '' $null ('{0}; {1:N0} methods compiled meanwhile' -f ($settled ? "settled: the last $SettleWindow pairs compiled fewer than $SettleMethods methods" : "NOT settled within $SettleCalls pairs: the rounds below include JIT work"), $settleCompiled)
$lim = @{}
foreach ($k in 'DnsCold', 'DnsWarm', 'Tls40', 'Tls20', 'PathCold', 'PathWarm', 'CallCold', 'CallWarm') { $lim[$k] = [System.Collections.Generic.List[double]]::new() }
$limitResent = @{ Burst = 0; Path = 0 }
for ($round = 0; $round -lt $LimitRounds; $round++) {
    Clear-ResolverCache
    $r = Measure-DnsBurst -Server $dns -Queries $limitQueries; $lim.DnsCold.Add($r.Milliseconds); $limitResent.Burst += $r.Resent
    $r = Measure-DnsBurst -Server $dns -Queries $limitQueries; $lim.DnsWarm.Add($r.Milliseconds); $limitResent.Burst += $r.Resent
    $lim.Tls40.Add((Measure-StartTlsBurst -Targets $hostLines).Milliseconds)
    $lim.Tls20.Add((Measure-StartTlsBurst -Targets $hostLines -Family IPv4).Milliseconds)
    Clear-ResolverCache
    $r = Measure-CriticalPath -Server $dns -DomainFile $bulk.DomainFile -HostFile $bulk.HostFile; $lim.PathCold.Add($r.Milliseconds); $limitResent.Path += $r.Resent
    $r = Measure-CriticalPath -Server $dns -DomainFile $bulk.DomainFile -HostFile $bulk.HostFile; $lim.PathWarm.Add($r.Milliseconds); $limitResent.Path += $r.Resent
    Clear-ResolverCache
    foreach ($k in 'CallCold', 'CallWarm') {
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        $callCount = @(Test-OutboundTlsPolicy -Domain $domains -DnsServer $dns).Count
        $sw.Stop()
        if ($callCount -ne $domains.Count) { throw "Limit rounds: the call gave $callCount results for $($domains.Count) domains." }
        $lim[$k].Add($sw.Elapsed.TotalMilliseconds)
    }
}
$limMed = @{}; foreach ($k in $lim.Keys) { $limMed[$k] = Get-Median $lim[$k].ToArray() }
$spread = { param($k) 'range {0:N0}-{1:N0} ms' -f ($lim[$k] | Measure-Object -Minimum).Minimum, ($lim[$k] | Measure-Object -Maximum).Maximum }
Add-Figure 'limit' "DNS burst: the call's $($limitQueries.Names.Count) queries at once, cold" ([math]::Round($limMed.DnsCold)) 'ms' '' $null (& $spread 'DnsCold')
Add-Figure 'limit' 'DNS burst, warm' ([math]::Round($limMed.DnsWarm)) 'ms' '' $null ("{0}; queries re-sent after 100 ms, all burst rounds: {1}" -f (& $spread 'DnsWarm'), $limitResent.Burst)
Add-Figure 'limit' "STARTTLS sessions in parallel, $(2 * $hostLines.Count) addresses (as the call)" ([math]::Round($limMed.Tls40)) 'ms' '' $null (& $spread 'Tls40')
Add-Figure 'limit' "STARTTLS sessions in parallel, $($hostLines.Count) hosts (IPv4)" ([math]::Round($limMed.Tls20)) 'ms' '' $null (& $spread 'Tls20')
Add-Figure 'limit' 'limit: critical-path run, cold' ([math]::Round($limMed.PathCold)) 'ms' '' $null ('{0}; bursts: max {1:N0}, sum {2:N0} ms' -f (& $spread 'PathCold'), [math]::Max($limMed.DnsCold, $limMed.Tls40), ($limMed.DnsCold + $limMed.Tls40))
Add-Figure 'limit' 'limit: critical-path run, warm' ([math]::Round($limMed.PathWarm)) 'ms' '' $null ('{0}; bursts: max {1:N0}, sum {2:N0} ms; re-sent, all path rounds: {3}' -f (& $spread 'PathWarm'), [math]::Max($limMed.DnsWarm, $limMed.Tls40), ($limMed.DnsWarm + $limMed.Tls40), $limitResent.Path)
Add-Figure 'limit' 'the call, cold resolver' ([math]::Round($limMed.CallCold)) 'ms' '' $null (& $spread 'CallCold')
Add-Figure 'limit' 'the call, warm resolver' ([math]::Round($limMed.CallWarm)) 'ms' '' $null (& $spread 'CallWarm')
$coldRatio = $limMed.CallCold / $limMed.PathCold
$warmRatio = $limMed.CallWarm / $limMed.PathWarm
Add-Figure 'limit' 'the call cold / the limit cold' $coldRatio 'x' '<= 1.3x' ($coldRatio -le 1.3) ('against the sum of the bursts: {0:N2}x' -f ($limMed.CallCold / ($limMed.DnsCold + $limMed.Tls40)))
Add-Figure 'limit' 'the call warm / the limit warm' $warmRatio 'x' '<= 1.5x' ($warmRatio -le 1.5) ('against the sum of the bursts: {0:N2}x' -f ($limMed.CallWarm / ($limMed.DnsWarm + $limMed.Tls40)))

# ------------------------------------------------------------------------------------------------
Write-Host "`n== 1c. Bulk audit: the call against the posttls-finger loop (the call's medians of section 1b's $LimitRounds paired rounds)" -ForegroundColor Cyan
# The call's figures are section 1b's CallCold / CallWarm medians (no rounds of its own): each is a
# call in this process after tiered compilation settled, so neither carries the first call's JIT.
# The loop ran once cold and once warm (section 1). The ceiling is what the lab allows any client: the loop's
# time over the critical-path run's (section 1b); a speed-up target above it cannot be met here.
$speedCold = $loopCold.Ms / $limMed.CallCold
$speedWarm = $loopWarm.Ms / $limMed.CallWarm
$ceilingCold = $loopCold.Ms / $limMed.PathCold
$ceilingWarm = $loopWarm.Ms / $limMed.PathWarm
Add-Figure 'bulk' 'speed-up over the loop, cold (medians)' $speedCold 'x' '>= 20x' ($speedCold -ge 20) ('loop {0:N0} ms / call {1:N0} ms; the lab allows at most {2:N1}x' -f $loopCold.Ms, $limMed.CallCold, $ceilingCold)
Add-Figure 'bulk' 'speed-up over the loop, warm (medians)' $speedWarm 'x' '>= 40x' ($speedWarm -ge 40) ('loop {0:N0} ms / call {1:N0} ms; the lab allows at most {2:N1}x' -f $loopWarm.Ms, $limMed.CallWarm, $ceilingWarm)
Add-Figure 'bulk' 'ceiling: loop / lab limit, cold' $ceilingCold 'x' '' $null ('no client can exceed this on this lab (loop {0:N0} ms / limit {1:N0} ms)' -f $loopCold.Ms, $limMed.PathCold)
Add-Figure 'bulk' 'ceiling: loop / lab limit, warm' $ceilingWarm 'x' '' $null ('no client can exceed this on this lab (loop {0:N0} ms / limit {1:N0} ms)' -f $loopWarm.Ms, $limMed.PathWarm)

# ------------------------------------------------------------------------------------------------
$rtt = 2 * $DelayMs
Write-Host "`n== 2. Round trips through the delaying relay ($DelayMs ms each way, RTT $rtt ms)" -ForegroundColor Cyan
$rttDomains = @{}
Get-Content (Join-Path $benchDir 'rtt.txt') | ForEach-Object { $k, $d = $_ -split ' '; $rttDomains[$k] = $d }
$relayDns = (Get-Content (Join-Path $benchDir 'relays.txt') | Select-Object -First 1).Split(' ')[1]
$relayDns = $relayDns.Substring(0, $relayDns.LastIndexOf(':'))

function Measure-RoundTrips {
    param([int] $Delay, [string] $Domain, [string] $Expect, [int] $Count)
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.ArgumentList.Add($RelayPath); $psi.ArgumentList.Add("$Delay"); $psi.ArgumentList.Add((Join-Path $benchDir 'relays.txt'))
    $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.UseShellExecute = $false
    $relay = [System.Diagnostics.Process]::Start($psi)
    try {
        if ($relay.StandardOutput.ReadLine() -ne 'ready') { throw 'The delaying relay did not start.' }
        $times = [System.Collections.Generic.List[double]]::new()
        for ($i = 0; $i -le $Count; $i++) {
            # A fresh store each time: a cached MTA-STS policy would skip the HTTPS fetch.
            $env:DANEMTASTS_STORE = Join-Path $work "rtt-$([guid]::NewGuid().ToString('n')).json"
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $r = Test-OutboundTlsPolicy $Domain -DnsServer $relayDns -TrustedRootCertificate $env:DANEMTASTS_LAB_CA -InformationVariable rttInformation
            $sw.Stop()
            if ($r.Outcome -ne 'Deliver' -or $r.Security -ne $Expect) { throw "Round trips: $Domain gave $($r.Outcome)/$($r.Security), expected Deliver/${Expect}: $($r | Format-List | Out-String)" }
            if ($i -gt 0) { $times.Add($sw.Elapsed.TotalMilliseconds) }   # the first run warms Unbound's cache
        }
        return [pscustomobject]@{ Median = (Get-Median $times.ToArray()); Statistics = Get-EngineStatistics $rttInformation }
    }
    finally {
        $relay.StandardInput.Close()
        if (-not $relay.WaitForExit(3000)) { $relay.Kill() }
        $env:DANEMTASTS_STORE = Join-Path $work 'store.json'
    }
}

foreach ($kind in 'dane', 'sts') {
    $domain = $rttDomains[$kind]
    $expect = if ($kind -eq 'dane') { 'Dane' } else { 'MtaSts' }
    $base = Measure-RoundTrips -Delay 0 -Domain $domain -Expect $expect -Count 5
    $delayed = Measure-RoundTrips -Delay $DelayMs -Domain $domain -Expect $expect -Count 5
    $trips = $delayed.Median / $rtt
    $tripsNet = ($delayed.Median - $base.Median) / $rtt
    Add-Figure 'rtt' "$domain ($kind): wall time, median of 5" ([math]::Round($delayed.Median)) 'ms' '' $null "no delay: $([math]::Round($base.Median)) ms"
    Add-Figure 'rtt' "$domain ($kind): wall time / RTT" $trips 'RTT' '<= 9' ($trips -le 9) ("without the no-delay time: {0:N2}; DNS queries {1}, SMTP connects {2}" -f $tripsNet, $delayed.Statistics.DnsQueriesSent, $delayed.Statistics.SmtpConnectAttempts)
}

# ------------------------------------------------------------------------------------------------
Write-Host "`n== 3. Start-up over bare pwsh next to a trivial binary module (tests/bench/Measure-StartUp.ps1; $Runs paired rounds)" -ForegroundColor Cyan
# The trivial module (one cmdlet, PowerShellStandard.Library) is built here, inside the lab: the
# package is in the local NuGet cache once the module has been built, so no network is needed.
# Each round runs bare pwsh, pwsh + the trivial module (by its manifest, and by its bare dll),
# pwsh + DaneMtaSts (by its manifest, a store with one connector) in a shuffled order; "added"
# figures are medians of the per-round differences. The target compares manifest with manifest:
# an installed module is imported through its manifest, whose reading costs PowerShell the same
# for any module (about 40 ms here); the bare-dll ratio is printed beside it.
# Dot-sourced in a child scope: its parameters (-ModulePath, -Rounds) would otherwise replace this
# script's variables of the same names.
$startUp = & {
    param($Module, $RoundCount, $TrivialOut)
    . (Join-Path $PSScriptRoot 'Measure-StartUp.ps1')
    $trivialDll = New-TrivialModule -OutputPath $TrivialOut
    Measure-StartUp -ModulePath $Module -Rounds $RoundCount -TrivialModulePath $trivialDll
} $ModulePath $Runs (Join-Path $work 'trivial')
$startRatio = $startUp.ModuleAddedMs / [math]::Max(1, $startUp.TrivialAddedMs)
Add-Figure 'startup' 'pwsh -NoProfile -c exit' $startUp.BareMs 'ms'
Add-Figure 'startup' 'pwsh -NoProfile -c "Import-Module Trivial.psd1; Get-Trivial"' $startUp.TrivialMs 'ms' '' $null 'imported by its manifest, as an installed module is'
Add-Figure 'startup' 'pwsh -NoProfile -c "Import-Module Trivial.dll; Get-Trivial"' $startUp.TrivialDllOnlyMs 'ms' '' $null 'its bare dll, no manifest'
Add-Figure 'startup' 'pwsh -NoProfile -c "Import-Module DaneMtaSts.psd1; Get-OutboundConnector"' $startUp.ModuleMs 'ms' '' $null 'a store with one connector'
Add-Figure 'startup' 'added by the trivial module, manifest (paired median)' $startUp.TrivialAddedMs 'ms'
Add-Figure 'startup' 'added by the trivial module, bare dll (paired median)' $startUp.TrivialDllOnlyAddedMs 'ms'
Add-Figure 'startup' 'added by DaneMtaSts (paired median)' $startUp.ModuleAddedMs 'ms' '<= 150 ms' ($startUp.ModuleAddedMs -le 150)
Add-Figure 'startup' 'DaneMtaSts added / trivial added (both by manifest)' $startRatio 'x' '<= 1.5x' ($startRatio -le 1.5) ("the trivial module's added time floored at 1 ms; against its bare dll: {0:N2}x" -f $startUp.RatioToDllOnly)

# ------------------------------------------------------------------------------------------------
Write-Host "`n== 4. Scale and memory: $($scale.Domains) domains on $($scale.Hosts) MX hosts; a store of 1,000 connectors" -ForegroundColor Cyan
function Measure-Scale([int] $Count, [string] $Sink) {
    Clear-ResolverCache
    Invoke-Child @"
`$env:DANEMTASTS_STORE = '$($env:DANEMTASTS_STORE)'
Import-Module '$ModulePath'
`$domains = @(Get-Content '$($scale.DomainFile)' -TotalCount $Count)
[GC]::Collect()
`$self = [System.Diagnostics.Process]::GetCurrentProcess()
`$before = `$self.WorkingSet64
`$sw = [System.Diagnostics.Stopwatch]::StartNew()
$Sink
`$sw.Stop()
`$self.Refresh()
@{ Ms = `$sw.Elapsed.TotalMilliseconds; PeakMB = `$self.PeakWorkingSet64 / 1MB; BeforeMB = `$before / 1MB } | ConvertTo-Json -Compress
"@
}
$discardSmall = Measure-Scale 500 ('$domains | Test-OutboundTlsPolicy -DnsServer ''' + $dns + ''' | Out-Null')
$discardLarge = Measure-Scale $scale.Domains ('$domains | Test-OutboundTlsPolicy -DnsServer ''' + $dns + ''' | Out-Null')
$kept = Measure-Scale $scale.Domains ('$kept = @($domains | Test-OutboundTlsPolicy -DnsServer ''' + $dns + ''')')
Add-Figure 'scale' "$($scale.Domains) domains: call time" ([math]::Round($discardLarge.Ms)) 'ms'
Add-Figure 'scale' "$($scale.Domains) domains: time per domain" ($discardLarge.Ms / $scale.Domains) 'ms'
Add-Figure 'scale' '500 domains, results discarded: peak working set' ([math]::Round($discardSmall.PeakMB)) 'MB' '' $null ("before the call {0:N0} MB" -f $discardSmall.BeforeMB)
Add-Figure 'scale' "$($scale.Domains) domains, results discarded: peak working set" ([math]::Round($discardLarge.PeakMB)) 'MB' '' $null ("before the call {0:N0} MB" -f $discardLarge.BeforeMB)
$growth = ($discardLarge.PeakMB - $discardSmall.PeakMB) / ($scale.Domains - 500) * 1024
Add-Figure 'scale' 'peak growth per extra domain, results discarded' $growth 'KB' 'bounded (no leak)' $null 'compare with the kept figure below'
Add-Figure 'scale' "$($scale.Domains) domains, results kept: peak working set" ([math]::Round($kept.PeakMB)) 'MB'
$keptGrowth = ($kept.PeakMB - $discardLarge.PeakMB) / $scale.Domains * 1024
Add-Figure 'scale' 'kept minus discarded, per domain' $keptGrowth 'KB'

# The store: 1,000 connectors, then medians of Get-OutboundConnector (all) and one Set-OutboundConnector.
$storeScript = @"
`$env:DANEMTASTS_STORE = '$(Join-Path $work 'store-1000.json')'
Import-Module '$ModulePath'
`$fill = [System.Diagnostics.Stopwatch]::StartNew()
for (`$i = 1; `$i -le 1000; `$i++) { `$null = New-OutboundConnector "Partner `$i" -RecipientDomains "partner`$i.example", "*.partner`$i.example" -TlsValidationMode Opportunistic }
`$fill.Stop()
`$get = @(); `$set = @()
`$null = Get-OutboundConnector; Set-OutboundConnector 'Partner 500' -Comment 'warm'
for (`$i = 0; `$i -lt $Runs; `$i++) {
    `$sw = [System.Diagnostics.Stopwatch]::StartNew(); `$all = @(Get-OutboundConnector); `$sw.Stop(); `$get += `$sw.Elapsed.TotalMilliseconds
    if (`$all.Count -ne 1000) { exit 1 }
    `$sw = [System.Diagnostics.Stopwatch]::StartNew(); Set-OutboundConnector 'Partner 500' -Comment "run `$i"; `$sw.Stop(); `$set += `$sw.Elapsed.TotalMilliseconds
}
@{ FillMs = `$fill.Elapsed.TotalMilliseconds; Get = `$get; Set = `$set; Bytes = (Get-Item `$env:DANEMTASTS_STORE).Length } | ConvertTo-Json -Compress
"@
$store = Invoke-Child $storeScript
$getMs = Get-Median $store.Get
$setMs = Get-Median $store.Set
Add-Figure 'store' '1,000 connectors: Get-OutboundConnector (all), median' $getMs 'ms' '<= 50 ms' ($getMs -le 50)
Add-Figure 'store' '1,000 connectors: Set-OutboundConnector (one), median' $setMs 'ms' '<= 50 ms' ($setMs -le 50) ("store {0:N0} KB, filled by 1,000 New-OutboundConnector in {1:N1} s" -f ($store.Bytes / 1KB), ($store.FillMs / 1000))

# ------------------------------------------------------------------------------------------------
Write-Host "`n== 5. First call, stalls and a streamed list of $StreamDomains domains" -ForegroundColor Cyan
# First call in a fresh process: methods JIT-compiled by the first bulk call, and its time.
Clear-ResolverCache
$first = Invoke-Child @"
`$env:DANEMTASTS_STORE = '$($env:DANEMTASTS_STORE)'
Import-Module '$ModulePath'
`$domains = @(Get-Content '$($bulk.DomainFile)')
`$jit = [System.Runtime.JitInfo]::GetCompiledMethodCount(`$false)
`$sw = [System.Diagnostics.Stopwatch]::StartNew()
`$null = Test-OutboundTlsPolicy -Domain `$domains -DnsServer '$dns'
`$sw.Stop()
@{ Jit = [System.Runtime.JitInfo]::GetCompiledMethodCount(`$false) - `$jit; Ms = `$sw.Elapsed.TotalMilliseconds } | ConvertTo-Json -Compress
"@
Add-Figure 'first' "first bulk call in a fresh process: methods JIT-compiled" $first.Jit '' '' $null 'after Import-Module, before the call'
Add-Figure 'first' 'first bulk call in a fresh process: time (cold resolver)' ([math]::Round($first.Ms)) 'ms'

# Consecutive bulk calls, each with a cold resolver: how many took 5 s or more (a lost datagram
# waited out a whole timeout).
$stallMs = @()
for ($i = 0; $i -lt $StallRuns; $i++) {
    Clear-ResolverCache
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $null = Test-OutboundTlsPolicy -Domain $domains -DnsServer $dns
    $sw.Stop()
    $stallMs += $sw.Elapsed.TotalMilliseconds
}
$stalls = @($stallMs | Where-Object { $_ -ge 5000 }).Count
Add-Figure 'stall' "$StallRuns consecutive bulk calls (cold): runs with a >= 5 s stall" $stalls '' '0' ($stalls -eq 0) ("median {0:N0} ms, max {1:N0} ms" -f (Get-Median $stallMs), ($stallMs | Measure-Object -Maximum).Maximum)

# A stream: the scale group's real domains, then names under the signed bench zone that do not
# exist (securely NXDOMAIN: every one a new MX and two TXT lookups), results discarded. The managed
# heap (after a full collection) and the time per domain are sampled as the stream goes.
Clear-ResolverCache
$stream = Invoke-Child @"
`$env:DANEMTASTS_STORE = '$($env:DANEMTASTS_STORE)'
Import-Module '$ModulePath'
`$real = @(Get-Content '$($scale.DomainFile)')
`$total = $StreamDomains
`$marks = [System.Collections.Generic.HashSet[int]]::new([int[]] @(2000, 10000, 25000, 50000, 75000, `$total))
`$samples = [System.Collections.Generic.List[object]]::new()
[GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
`$heap0 = [GC]::GetTotalMemory(`$true)
`$count = 0
`$sw = [System.Diagnostics.Stopwatch]::StartNew()
& { `$real; for (`$i = `$real.Count; `$i -lt `$total; `$i++) { "s`$i.stream.bench.test" } } |
    Test-OutboundTlsPolicy -DnsServer '$dns' -ErrorAction SilentlyContinue |
    ForEach-Object {
        `$count++
        if (`$marks.Contains(`$count)) { `$samples.Add(@{ Count = `$count; Ms = `$sw.Elapsed.TotalMilliseconds; HeapMB = ([GC]::GetTotalMemory(`$true) - `$heap0) / 1MB }) }
    }
`$self = [System.Diagnostics.Process]::GetCurrentProcess()
@{ Samples = `$samples; Count = `$count; PeakMB = `$self.PeakWorkingSet64 / 1MB } | ConvertTo-Json -Compress -Depth 4
"@
foreach ($sample in $stream.Samples) {
    Add-Figure 'stream' ("{0:N0} domains streamed: managed heap growth" -f $sample.Count) ([math]::Round($sample.HeapMB, 1)) 'MB' '<= 64 MB' ($sample.HeapMB -le 64) ("{0:N0} s so far" -f ($sample.Ms / 1000))
}
$s = @($stream.Samples)
if ($s.Count -ge 3) {
    # Time per domain over the NXDOMAIN part only, early (2,000 to 25,000) vs late (the last interval).
    $early = ($s[2].Ms - $s[0].Ms) / ($s[2].Count - $s[0].Count)
    $late = ($s[-1].Ms - $s[-2].Ms) / ($s[-1].Count - $s[-2].Count)
    Add-Figure 'stream' 'time per domain, 2,000-25,000 vs the last interval' ([math]::Round($late / $early, 2)) 'x' 'flat (about 1x)' ($late / $early -le 1.3) ("{0:N3} vs {1:N3} ms" -f $early, $late)
}
Add-Figure 'stream' "peak working set, $($stream.Count) domains streamed" ([math]::Round($stream.PeakMB)) 'MB'

# ------------------------------------------------------------------------------------------------
$elapsed = (Get-Date) - $started
Write-Host "`n== Summary: every figure with a target" -ForegroundColor Cyan
$targeted = @($figures | Where-Object { $_.Target })
foreach ($f in $targeted) {
    $shown = if ($f.Value -is [double]) { '{0:N2}' -f $f.Value } else { "$($f.Value)" }
    $flag = if ($null -eq $f.Met) { '' } elseif ($f.Met) { 'met' } else { 'MISSED' }
    Write-Host ("  {0,-8} {1,-66} {2,10} {3,-4} {4,-20} {5}" -f $f.Section, $f.Figure, $shown, $f.Unit, $f.Target, $flag)
}
$judged = @($targeted | Where-Object { $null -ne $_.Met })
Write-Host ("  {0} of {1} targets met; {2} with a target but no verdict (judged by reading)." -f @($judged | Where-Object Met).Count, $judged.Count, ($targeted.Count - $judged.Count))
Write-Host ("`nBenchmark done in {0:N0} s (load average at start {1}, at end {2})." -f $elapsed.TotalSeconds, $load, ((Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -split ' ' | Select-Object -First 1))
New-Item -ItemType Directory -Path (Split-Path $OutputPath) -Force | Out-Null
[ordered]@{
    Measured   = (Get-Date).ToUniversalTime().ToString('o')
    Machine    = [ordered]@{ Cores = [Environment]::ProcessorCount; Os = [System.Runtime.InteropServices.RuntimeInformation]::OSDescription; Runtime = [System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription }
    Lab        = $env:DANEMTASTS_LAB_BENCH
    LoadAverageAtStart = $load
    LoadAverageAtEnd   = ((Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -split ' ' | Select-Object -First 1)
    DelayMs    = $DelayMs
    # The summary printed above: figures with a target, by whether they met it (null: judged by reading).
    Targets    = [ordered]@{
        Met     = @($judged | Where-Object Met | ForEach-Object { "$($_.Section): $($_.Figure)" })
        Missed  = @($judged | Where-Object { -not $_.Met } | ForEach-Object { "$($_.Section): $($_.Figure)" })
        Unjudged = @($targeted | Where-Object { $null -eq $_.Met } | ForEach-Object { "$($_.Section): $($_.Figure)" })
    }
    Figures    = $figures
} | ConvertTo-Json -Depth 5 | Set-Content $OutputPath
Write-Host "Written: $OutputPath"
