#Requires -Version 7.6
<#
.SYNOPSIS
    Time from Ctrl+C (SIGINT) to the end of a DaneMtaSts call, in every state a call can wait in.

.DESCRIPTION
    For each scenario of tests/StallingServers.psm1 (a silent resolver, an SMTP probe stalled at
    connect / banner / EHLO / STARTTLS / TLS handshake, the progress bar of a 200-domain run, an
    MTA-STS policy host that accepts and never answers, the store's lock held by another process,
    Validate-OutboundConnector stalled after DATA), runs the call in a child pwsh on a pseudo
    terminal, sends SIGINT once the stall is reached and measures signal to process exit. The figure
    includes pwsh's own exit (runspace close, runtime shutdown), so it is an upper bound of the stop
    itself. Prints per scenario the median and the maximum of -Rounds runs, and whether every run
    ended because of the stop. Linux only; the MTA-STS scenario binds port 443 (root).

.EXAMPLE
    dotnet pwsh -NoProfile -File tests/bench/Measure-CtrlC.ps1 -ModulePath output/DaneMtaSts/0.1.0/DaneMtaSts.psd1 -Rounds 5
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [int] $Rounds = 5,
    # Only the scenarios whose names match.
    [string] $Name = '*'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'
$env:POWERSHELL_UPDATECHECK = 'Off'
$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module (Join-Path $PSScriptRoot '../StallingServers.psm1') -Force

$work = Join-Path ([System.IO.Path]::GetTempPath()) ("danemtasts-ctrlc-" + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $work | Out-Null
try {
    $rows = foreach ($scenario in Get-CtrlCScenario -WorkFolder $work -Name $Name) {
        $runs = @(foreach ($round in 1..$Rounds) { Measure-CtrlCScenario -Scenario $scenario -ModulePath $ModulePath -WorkFolder $work })
        $times = @($runs.StopSeconds | Sort-Object)
        [pscustomobject]@{
            Scenario   = $scenario.Name
            Runs       = $runs.Count
            AllStopped = -not ($runs | Where-Object { -not $_.Stopped })
            MedianMs   = [math]::Round($times[[int][math]::Floor(($times.Count - 1) / 2)] * 1000)
            MaxMs      = [math]::Round($times[-1] * 1000)
        }
    }
    $rows | Format-Table -AutoSize | Out-String -Width 200
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
