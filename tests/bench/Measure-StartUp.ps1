#Requires -Version 7.6
<#
.SYNOPSIS
    Start-up added by DaneMtaSts over bare pwsh, next to a trivial one-cmdlet binary module, in paired runs.

.DESCRIPTION
    Builds a trivial binary module (one cmdlet, PowerShellStandard.Library) in a temporary folder, then
    runs, in each round and in a shuffled order: bare pwsh (-c exit), pwsh importing the trivial module
    and calling its cmdlet, and pwsh running "Import-Module DaneMtaSts; Get-OutboundConnector" on a
    store with one connector. pwsh is started as `dotnet <PSHOME>/pwsh.dll` (no dotnet-tool shim).
    Prints the medians and the medians of the per-round differences (paired: each round's three runs
    share the machine's load at that moment).

    Run on its own (below), or dot-sourced without arguments, which only defines the two functions
    (Invoke-Benchmark.ps1 does, for its start-up section):
        New-TrivialModule -OutputPath <folder>          # builds the trivial module, returns its dll
        Measure-StartUp -ModulePath <psd1> -Rounds 7 [-TrivialModulePath <dll>]

.EXAMPLE
    dotnet pwsh -NoProfile -File tests/bench/Measure-StartUp.ps1 -ModulePath output/DaneMtaSts/0.1.0/DaneMtaSts.psd1 -Rounds 11
#>
param(
    # One or more staged module manifests (e.g. before and after a change), measured in the same rounds.
    # Required when the script is run; not when it is dot-sourced for its functions.
    [string[]] $ModulePath,
    [int] $Rounds = 11
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function New-TrivialModule {
    # Builds the trivial module (one cmdlet, no dependencies, the same PowerShellStandard.Library the
    # module uses) into -OutputPath and returns the path of its dll. Needs `dotnet build` with the
    # package in reach (the local NuGet cache has it once the module has been built).
    param([Parameter(Mandatory)] [string] $OutputPath)
    $props = [xml] (Get-Content -Raw (Join-Path $PSScriptRoot '../../Directory.Packages.props'))
    $pssVersion = ($props.Project.ItemGroup.PackageVersion | Where-Object Include -eq 'PowerShellStandard.Library').Version
    # Directory.Build.props of the repository must not apply: the sources live outside it.
    $src = Join-Path ([System.IO.Path]::GetTempPath()) ("danemtasts-trivial-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $src | Out-Null
    try {
        Set-Content (Join-Path $src 'Trivial.csproj') @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup>
  <ItemGroup><PackageReference Include="PowerShellStandard.Library" Version="$pssVersion" PrivateAssets="all" /></ItemGroup>
</Project>
"@
        Set-Content (Join-Path $src 'GetTrivial.cs') @'
using System.Management.Automation;
[Cmdlet(VerbsCommon.Get, "Trivial")]
public sealed class GetTrivialCommand : PSCmdlet
{
    protected override void EndProcessing() => WriteObject(1);
}
'@
        $log = & dotnet build $src -c Release -o $OutputPath --nologo -v quiet -p:UseAppHost=false 2>&1
        if ($LASTEXITCODE -ne 0) { throw "The trivial module did not build: $($log -join [Environment]::NewLine)" }
        # Its manifest, as an installed module has one (Install-Module, autoloading and
        # Import-Module <name> all go through it; DaneMtaSts is imported by its manifest too).
        Set-Content (Join-Path $OutputPath 'Trivial.psd1') @'
@{
    RootModule        = 'Trivial.dll'
    ModuleVersion     = '1.0.0'
    GUID              = '4d1c4a53-7f0e-4c7b-9a52-0b6d2a3e9f10'
    Author            = 'DaneMtaSts benchmark'
    Description       = 'A trivial one-cmdlet binary module: the start-up yardstick of tests/bench.'
    PowerShellVersion = '7.6'
    FunctionsToExport = @()
    CmdletsToExport   = @('Get-Trivial')
    VariablesToExport = @()
    AliasesToExport   = @()
}
'@
    }
    finally {
        Remove-Item $src -Recurse -Force -ErrorAction SilentlyContinue
    }
    return (Join-Path $OutputPath 'Trivial.dll')
}

function Measure-StartUp {
    # Paired start-up rounds; returns one object per -ModulePath (medians in ms, and the ratio of
    # the module's added start-up to the trivial module's). Without -TrivialModulePath the trivial
    # module is built first (New-TrivialModule).
    param(
        [Parameter(Mandatory)] [string[]] $ModulePath,
        [int] $Rounds = 11,
        [string] $TrivialModulePath
    )
    $env:POWERSHELL_TELEMETRY_OPTOUT = '1'
    $env:POWERSHELL_UPDATECHECK = 'Off'
    $ModulePath = @($ModulePath | ForEach-Object { (Resolve-Path $_).Path })
    $savedStore = $env:DANEMTASTS_STORE

    $work = Join-Path ([System.IO.Path]::GetTempPath()) ("danemtasts-startup-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null
    try {
        $trivialDll = if ($TrivialModulePath) { (Resolve-Path $TrivialModulePath).Path } else { New-TrivialModule -OutputPath (Join-Path $work 'Trivial') }

        $env:DANEMTASTS_STORE = Join-Path $work 'store.json'
        $pwshDll = Join-Path $PSHOME 'pwsh.dll'
        & dotnet $pwshDll -NoProfile -NonInteractive -c "Import-Module '$($ModulePath[0])'; `$null = New-OutboundConnector 'One' -RecipientDomains one.example"
        if ($LASTEXITCODE -ne 0) { throw 'Could not create the connector of the store.' }

        $trivialManifest = Join-Path (Split-Path $trivialDll) 'Trivial.psd1'
        $cases = [ordered]@{
            bare            = 'exit'
            # The same script shape for every module (one object expected back), so that none pays
            # for PowerShell compiling a different command line.
            trivial         = "Import-Module '$trivialManifest'; if (@(Get-Trivial).Count -ne 1) { exit 3 }"
            trivialDllOnly  = "Import-Module '$trivialDll'; if (@(Get-Trivial).Count -ne 1) { exit 3 }"
        }
        for ($i = 0; $i -lt $ModulePath.Count; $i++) {
            $cases["module$i"] = "Import-Module '$($ModulePath[$i])'; if (@(Get-OutboundConnector).Count -ne 1) { exit 3 }"
        }
        $times = @{}
        foreach ($k in $cases.Keys) { $times[$k] = [System.Collections.Generic.List[double]]::new() }

        for ($round = 0; $round -le $Rounds; $round++) {
            foreach ($k in ($cases.Keys | Get-Random -Shuffle)) {
                $sw = [System.Diagnostics.Stopwatch]::StartNew()
                $err = & dotnet $pwshDll -NoProfile -NonInteractive -c $cases[$k] 2>&1
                $sw.Stop()
                if ($LASTEXITCODE -ne 0 -or $err) { throw "Start-up case '$k' failed: $err" }
                # Round 0 warms the disk cache and is not counted.
                if ($round -gt 0) { $times[$k].Add($sw.Elapsed.TotalMilliseconds) }
            }
        }

        $median = {
            param([double[]] $Values)
            $s = @($Values | Sort-Object)
            if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 }
        }
        $diff = { param($a, $b) [double[]] (0..($times[$a].Count - 1) | ForEach-Object { $times[$a][$_] - $times[$b][$_] }) }
        $trivialAdded = & $median (& $diff 'trivial' 'bare')
        $trivialDllAdded = & $median (& $diff 'trivialDllOnly' 'bare')
        for ($i = 0; $i -lt $ModulePath.Count; $i++) {
            $moduleAdded = & $median (& $diff "module$i" 'bare')
            [pscustomobject]@{
                Module         = $ModulePath[$i]
                Rounds         = $Rounds
                BareMs         = [math]::Round((& $median $times.bare.ToArray()))
                TrivialMs      = [math]::Round((& $median $times.trivial.ToArray()))
                ModuleMs       = [math]::Round((& $median $times["module$i"].ToArray()))
                TrivialAddedMs = [math]::Round($trivialAdded)
                TrivialDllOnlyMs = [math]::Round((& $median $times.trivialDllOnly.ToArray()))
                TrivialDllOnlyAddedMs = [math]::Round($trivialDllAdded)
                ModuleAddedMs  = [math]::Round($moduleAdded)
                # The trivial module's added time is floored at 1 ms, so that a tiny or negative
                # difference (noise) cannot divide by zero or flip the ratio's sign.
                # Ratio: against the trivial module imported by its manifest, as DaneMtaSts is;
                # RatioToDllOnly: against its bare dll (no manifest to read).
                Ratio          = [math]::Round($moduleAdded / [math]::Max(1, $trivialAdded), 2)
                RatioToDllOnly = [math]::Round($moduleAdded / [math]::Max(1, $trivialDllAdded), 2)
                LoadAverage    = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { '' }
            }
        }
    }
    finally {
        $env:DANEMTASTS_STORE = $savedStore
        Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}

# Dot-sourced (". Measure-StartUp.ps1"): the functions only.
if ($MyInvocation.InvocationName -ne '.') {
    if (-not $ModulePath) { throw 'Measure-StartUp.ps1: -ModulePath is required (one or more staged DaneMtaSts.psd1).' }
    Measure-StartUp -ModulePath $ModulePath -Rounds $Rounds
}
