#Requires -Version 7.6
<#
.SYNOPSIS
    First-call cost of staged modules side by side (e.g. IL-only against ReadyToRun deps/): methods
    JIT-compiled by Import-Module + Get-OutboundConnector and by the first Test-OutboundTlsPolicy
    call, and that call's time, in fresh processes, interleaved. Runs inside the lab (needs its DNS):
    build.ps1 -Task Lab -Command 'dotnet pwsh -NoProfile -File tests/bench/Measure-FirstCall.ps1 -ModulePath a.psd1,b.psd1'
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string[]] $ModulePath,
    [int] $Runs = 3
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ModulePath = @($ModulePath -split ',' | Where-Object { $_ }) # -File passes "a,b" as one string
$pwshExe = (Get-Process -Id $PID).Path
$pwshPre = @()
if ((Split-Path $pwshExe -Leaf) -like 'dotnet*') { $pwshPre = @(Join-Path $PSHOME 'pwsh.dll') }
$store = Join-Path ([System.IO.Path]::GetTempPath()) "firstcall-$PID.json"

$child = @'
param($Module, $Dns, $Ca, $Store)
$env:DANEMTASTS_STORE = $Store
$j0 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
Import-Module $Module
$null = Get-OutboundConnector
$j1 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$null = Test-OutboundTlsPolicy dane-ee-good.test, sts-enforce-good.test -DnsServer $Dns -TrustedRootCertificate $Ca
$sw.Stop()
$j2 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
@{ Import = $j1 - $j0; Call = $j2 - $j1; Ms = $sw.Elapsed.TotalMilliseconds } | ConvertTo-Json -Compress
'@
$file = Join-Path ([System.IO.Path]::GetTempPath()) "firstcall-$PID.ps1"
Set-Content -Path $file -Value $child
$results = @{}
foreach ($m in $ModulePath) { $results[$m] = [System.Collections.Generic.List[object]]::new() }
for ($i = 0; $i -lt $Runs; $i++) {
    foreach ($m in $ModulePath) {
        $out = & $pwshExe @pwshPre -NoProfile -NonInteractive -File $file -Module $m -Dns $env:DANEMTASTS_LAB_DNS -Ca $env:DANEMTASTS_LAB_CA -Store $store
        $results[$m].Add(($out | Select-Object -Last 1 | ConvertFrom-Json))
    }
}
foreach ($m in $ModulePath) {
    $r = $results[$m]
    $ms = @($r.Ms | Sort-Object)[[int][math]::Floor($r.Count / 2)]
    Write-Host ("{0}: JIT import+Get {1}, JIT first call {2}, first call {3:N0} ms (median of {4})" -f $m, (@($r.Import) -join '/'), (@($r.Call) -join '/'), $ms, $r.Count)
}
Remove-Item $file, $store -ErrorAction SilentlyContinue
