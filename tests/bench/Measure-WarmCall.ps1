# Warm calls of the bench's 200/20 audit in one process: wall time, CPU time, bytes allocated and
# gen0 collections per call (medians), after 8 calls that warm the resolver and the JIT. Run inside
# the lab in bench mode, e.g. to compare two builds of the module in alternation:
#   DANEMTASTS_LAB_BENCH=200x20 dotnet pwsh -NoProfile -File ./build.ps1 -Task Lab -Command \
#     'dotnet pwsh -NoProfile -File tests/bench/Measure-WarmCall.ps1 -ModulePath output/DaneMtaSts/0.1.0/DaneMtaSts.psd1 -Label new'
# Allocation is process-wide (GC.GetTotalAllocatedBytes), so it includes PowerShell's own work.
param([string] $ModulePath, [int] $Rounds = 15, [string] $Label = '')
$ErrorActionPreference = 'Stop'
$env:POWERSHELL_TELEMETRY_OPTOUT = "1"; $env:POWERSHELL_UPDATECHECK = "Off"
$env:DANEMTASTS_STORE = (Join-Path ([IO.Path]::GetTempPath()) "danemtasts-warmcall-$PID.json")
Import-Module $ModulePath
$benchDir = $env:DANEMTASTS_LAB_BENCH_DIR; $dns = $env:DANEMTASTS_LAB_DNS
$g = (Get-Content "$benchDir/groups.txt" | Select-Object -First 1) -split ' '
$domains = @(Get-Content "$benchDir/$($g[0]).domains")
$p = [Diagnostics.Process]::GetCurrentProcess()
1..8 | ForEach-Object { $null = @(Test-OutboundTlsPolicy -Domain $domains -DnsServer $dns) }
$rows = foreach ($i in 1..$Rounds) {
    $p.Refresh(); $cpu0 = $p.TotalProcessorTime; $a0 = [GC]::GetTotalAllocatedBytes($false); $gc0 = [GC]::CollectionCount(0)
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $null = @(Test-OutboundTlsPolicy -Domain $domains -DnsServer $dns)
    $sw.Stop(); $p.Refresh()
    [pscustomobject]@{ Wall = $sw.Elapsed.TotalMilliseconds; Cpu = ($p.TotalProcessorTime - $cpu0).TotalMilliseconds; AllocMB = ([GC]::GetTotalAllocatedBytes($false) - $a0) / 1MB; Gc0 = [GC]::CollectionCount(0) - $gc0 }
}
function Med($v) { $s = @($v | Sort-Object); $s[[int][math]::Floor($s.Count / 2)] }
'{0}: {1} domains, {2} warm calls after 8: wall median {3:N0} ms, CPU median {4:N0} ms, allocated median {5:N1} MB, gen0 GCs median {6}' -f $Label, $domains.Count, $Rounds, (Med $rows.Wall), (Med $rows.Cpu), (Med $rows.AllocMB), (Med $rows.Gc0)
Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
