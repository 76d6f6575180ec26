# Warm calls of the bench's 200/20 audit in one process: wall time, CPU time, bytes allocated,
# gen0 collections and methods JIT-compiled per call (medians), after -Warm calls (8) that warm the
# resolver and the JIT; tiered compilation goes on for about 100 bulk calls (-Warm 120 to measure
# after it). Run inside the lab in bench mode (absolute paths: the lab's command runs elsewhere),
# e.g. to compare two builds of the module in alternation:
#   DANEMTASTS_LAB_BENCH=200x20 dotnet pwsh -NoProfile -File ./build.ps1 -Task Lab -Command \
#     "dotnet pwsh -NoProfile -File $PWD/tests/bench/Measure-WarmCall.ps1 -ModulePath $PWD/output/DaneMtaSts/0.1.0/DaneMtaSts.psd1 -Label new"
# Allocation is process-wide (GC.GetTotalAllocatedBytes), so it includes PowerShell's own work.
param([string] $ModulePath, [int] $Rounds = 15, [string] $Label = '', [int] $Warm = 8,
    # Auto, Local or Resolver (the module's -DnssecValidation); empty for the module's default.
    [string] $DnssecValidation = '')
$ErrorActionPreference = 'Stop'
$env:POWERSHELL_TELEMETRY_OPTOUT = "1"; $env:POWERSHELL_UPDATECHECK = "Off"
$env:DANEMTASTS_STORE = (Join-Path ([IO.Path]::GetTempPath()) "danemtasts-warmcall-$PID.json")
Import-Module $ModulePath
$benchDir = $env:DANEMTASTS_LAB_BENCH_DIR; $dns = $env:DANEMTASTS_LAB_DNS
$g = (Get-Content "$benchDir/groups.txt" | Select-Object -First 1) -split ' '
$domains = @(Get-Content "$benchDir/$($g[0]).domains")
$p = [Diagnostics.Process]::GetCurrentProcess()
$call = @{ Domain = $domains; DnsServer = $dns }
if ($DnssecValidation) { $call.DnssecValidation = $DnssecValidation }
if ($DnssecValidation -eq 'Local') { $call.TrustAnchorFile = $env:DANEMTASTS_LAB_TRUST_ANCHORS } # the lab's root
$first = @(Test-OutboundTlsPolicy @call)
$wrong = @($first | Where-Object { $_.Outcome -ne 'Deliver' })
if ($first.Count -ne $domains.Count -or $wrong.Count -gt 0) { throw "The call gave $($first.Count) results for $($domains.Count) domains, $($wrong.Count) not Deliver (first: $($wrong | Select-Object -First 1 -ExpandProperty Reason)): its figures would be void." }
1..$Warm | ForEach-Object { $null = @(Test-OutboundTlsPolicy @call) }
$rows = foreach ($i in 1..$Rounds) {
    $p.Refresh(); $cpu0 = $p.TotalProcessorTime; $a0 = [GC]::GetTotalAllocatedBytes($false); $gc0 = [GC]::CollectionCount(0)
    $j0 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false); $jt0 = [System.Runtime.JitInfo]::GetCompilationTime($false)
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $null = @(Test-OutboundTlsPolicy @call)
    $sw.Stop(); $p.Refresh()
    [pscustomobject]@{
        Wall = $sw.Elapsed.TotalMilliseconds; Cpu = ($p.TotalProcessorTime - $cpu0).TotalMilliseconds
        AllocMB = ([GC]::GetTotalAllocatedBytes($false) - $a0) / 1MB; Gc0 = [GC]::CollectionCount(0) - $gc0
        Jit = [System.Runtime.JitInfo]::GetCompiledMethodCount($false) - $j0; JitMs = ([System.Runtime.JitInfo]::GetCompilationTime($false) - $jt0).TotalMilliseconds
    }
}
function Med($v) { $s = @($v | Sort-Object); $s[[int][math]::Floor($s.Count / 2)] }
'{0}: {1} domains, {2} warm calls after {7}: wall median {3:N0} ms, CPU median {4:N0} ms, allocated median {5:N1} MB, gen0 GCs median {6}; methods JIT-compiled per call median {8} (sum {9}), JIT time median {10:N1} ms' -f $Label, $domains.Count, $Rounds, (Med $rows.Wall), (Med $rows.Cpu), (Med $rows.AllocMB), (Med $rows.Gc0), $Warm, (Med $rows.Jit), (($rows.Jit | Measure-Object -Sum).Sum), (Med $rows.JitMs)
Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
