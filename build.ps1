#Requires -Version 7.6
<#
.SYNOPSIS
    Builds, tests, packages and demonstrates the DaneMtaSts module.

.DESCRIPTION
    Tasks:
      Build    (default) publish the assemblies and stage output/DaneMtaSts/<version>/
      Test     Build, then xunit (engine), Pester (module) and, as root, the real-server lab tests;
               the last line printed is "N passed, N failed, N skipped"
      Package  Build, then output/DaneMtaSts.<version>.nupkg for a local PSResourceGet repository
      Demo     Build, start the lab and walk through a switch to Mandatory (needs root)
      Lab      Build, start the lab and run -Command inside it (needs root)
      Bench    Build, run the benchmark inside the lab (needs root)
      Fuzz     Build, run the long fuzzing run
      Clean    remove output/

.EXAMPLE
    dotnet tool restore; dotnet pwsh -NoProfile -File ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Demo', 'Lab', 'Bench', 'Fuzz', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Lab: the command to run inside the lab (default: an interactive shell).
    [string] $Command,

    # Test: skip the lab tests even when running as root.
    [switch] $SkipLab,

    # Test: run only the Pester files whose names match (e.g. 'Connector').
    [string] $PesterFilter = '*',

    # Build: stage IL-only assemblies (no ReadyToRun images), e.g. to measure what ReadyToRun saves.
    [switch] $NoReadyToRun
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'
$env:POWERSHELL_UPDATECHECK = 'Off'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

$RepoRoot = $PSScriptRoot
$OutputRoot = Join-Path $RepoRoot 'output'
$ModuleName = 'DaneMtaSts'
$ModuleVersion = (Import-PowerShellDataFile (Join-Path $RepoRoot "module/$ModuleName.psd1")).ModuleVersion
$StagedModule = Join-Path $OutputRoot "$ModuleName/$ModuleVersion"
$ToolsPackages = Join-Path $RepoRoot '.tools/packages'
$PesterVersion = '6.2.0'

# The pwsh that runs this script, to start child processes with (the .NET tool has no apphost).
$PwshDll = Join-Path $PSHOME 'pwsh.dll'
$script:PwshCommand = if (Test-Path $PwshDll) { @('dotnet', $PwshDll) } else { @((Get-Process -Id $PID).Path) }

function Write-Step([string] $Text) {
    Write-Host "==> $Text" -ForegroundColor Cyan
}

function Invoke-Native {
    # Runs a native command and stops the build when it fails.
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Invoke-Pwsh {
    # Runs a script in a fresh pwsh process (tests must not share the build's session).
    param([Parameter(Mandatory)][string[]] $ArgumentList)
    $exe = $script:PwshCommand[0]
    $pre = @($script:PwshCommand | Select-Object -Skip 1)
    # Out-Host: the child's output is for the console, never part of this function's result.
    & $exe @pre -NoProfile -NonInteractive @ArgumentList | Out-Host
    return $LASTEXITCODE
}

function Invoke-BuildTask {
    Write-Step "Publishing $ModuleName $ModuleVersion ($Configuration)"
    $publish = Join-Path $OutputRoot 'publish'
    if (Test-Path $publish) { Remove-Item $publish -Recurse -Force }
    Invoke-Native dotnet @('publish', (Join-Path $RepoRoot 'src/DaneMtaSts.Module/DaneMtaSts.Module.csproj'),
        '-c', $Configuration, '-o', $publish, '--nologo', '-v', 'quiet', '-p:UseAppHost=false')

    Write-Step "Staging $StagedModule"
    if (Test-Path $StagedModule) { Remove-Item $StagedModule -Recurse -Force }
    $deps = Join-Path $StagedModule 'deps'
    New-Item -ItemType Directory -Path $deps -Force | Out-Null
    New-Item -ItemType Directory -Path (Join-Path $StagedModule 'en-US') -Force | Out-Null

    # Default load context: the cmdlets (the root module) and the load context itself, at the top.
    # Private context (deps/): the engine and every third-party assembly it needs, registered by the
    # root module's IModuleAssemblyInitializer. Nothing else from the publish folder is shipped.
    foreach ($dll in Get-ChildItem $publish -Filter '*.dll') {
        if ($dll.Name -in 'DaneMtaSts.Shared.dll', 'DaneMtaSts.Module.dll') {
            Copy-Item $dll.FullName $StagedModule
        }
        elseif ($dll.Name -notlike 'System.Management.Automation*' -and $dll.Name -notlike 'Microsoft.PowerShell*') {
            Copy-Item $dll.FullName $deps
        }
    }

    # ReadyToRun images of the cmdlets, the engine and its dependencies for this machine's runtime
    # identifier (README, Performance): precompiled code the runtime uses instead of JIT-compiling
    # most methods on the first call. The images keep their IL, so on another OS or CPU the runtime
    # ignores the native code and JIT-compiles as before: the package stays portable.
    if (-not $NoReadyToRun) {
        $rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
        Write-Step "ReadyToRun images ($rid)"
        $r2r = Join-Path $OutputRoot 'publish-r2r'
        if (Test-Path $r2r) { Remove-Item $r2r -Recurse -Force }
        Invoke-Native dotnet @('publish', (Join-Path $RepoRoot 'src/DaneMtaSts.Module/DaneMtaSts.Module.csproj'),
            '-c', $Configuration, '-o', $r2r, '-r', $rid, '--self-contained', 'false', '-p:PublishReadyToRun=true',
            '--nologo', '-v', 'quiet', '-p:UseAppHost=false')
        foreach ($staged in @(Get-ChildItem $StagedModule -Filter '*.dll') + @(Get-ChildItem $deps -Filter '*.dll')) {
            $image = Join-Path $r2r $staged.Name
            if (Test-Path $image) { Copy-Item $image $staged.FullName -Force }
        }
    }

    $moduleSource = Join-Path $RepoRoot 'module'
    Copy-Item (Join-Path $moduleSource "$ModuleName.psd1") $StagedModule
    Copy-Item (Join-Path $moduleSource "$ModuleName.Format.ps1xml") $StagedModule
    Copy-Item (Join-Path $RepoRoot 'LICENSE'), (Join-Path $RepoRoot 'CHANGELOG.md') $StagedModule
    Get-ChildItem (Join-Path $moduleSource 'en-US') -File -ErrorAction SilentlyContinue |
        Copy-Item -Destination (Join-Path $StagedModule 'en-US')

    # MAML help from module/help/*.help.psd1 and the compiled cmdlets; a gap in the help fails the build.
    Write-Step 'Generating help'
    $helpExit = Invoke-Pwsh @('-File', (Join-Path $RepoRoot 'tools/New-MamlHelp.ps1'), '-ModulePath', (Join-Path $StagedModule "$ModuleName.psd1"),
        '-HelpSourcePath', (Join-Path $moduleSource 'help'), '-OutputFolder', (Join-Path $StagedModule 'en-US'))
    if ($helpExit -ne 0) { throw "Help generation failed (exit code $helpExit): see the problems listed above." }

    Get-ChildItem $StagedModule -Recurse -File | ForEach-Object { Write-Verbose "  $($_.FullName.Substring($StagedModule.Length + 1))" }
    Write-Host "Staged: $StagedModule"
}

function Restore-TestTools {
    $pester = Join-Path $ToolsPackages "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $pester)) {
        Write-Step 'Restoring test tools (Pester) from NuGet into .tools/'
        Invoke-Native dotnet @('restore', (Join-Path $RepoRoot 'tools/tools.csproj'), '--nologo', '-v', 'quiet')
    }
    return $pester
}

function Test-IsRoot {
    if (-not $IsLinux) { return $false }
    return ((& id -u) -eq '0')
}

function Read-TrxCounts([string] $TrxPath) {
    [xml] $trx = Get-Content -Raw $TrxPath
    $c = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{
        Passed  = [int] $c.passed
        Failed  = [int] $c.failed + [int] $c.error + [int] $c.timeout + [int] $c.aborted
        Skipped = [int] $c.notExecuted
    }
}

function Invoke-EngineTests {
    Write-Step 'xunit: engine tests'
    $results = Join-Path $OutputRoot 'test-results'
    $trxName = 'engine.trx'
    Remove-Item (Join-Path $results $trxName) -ErrorAction SilentlyContinue
    & dotnet test (Join-Path $RepoRoot 'tests/DaneMtaSts.Engine.Tests/DaneMtaSts.Engine.Tests.csproj') `
        -c $Configuration --nologo --results-directory $results --logger "trx;LogFileName=$trxName" --logger 'console;verbosity=minimal' `
        --blame-hang --blame-hang-timeout 5m --blame-hang-dump-type none | Out-Host
    $exit = $LASTEXITCODE
    $trx = Join-Path $results $trxName
    if (-not (Test-Path $trx)) {
        Write-Warning "xunit produced no results (exit code $exit): counted as one failure."
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    $counts = Read-TrxCounts $trx
    if ($exit -ne 0 -and $counts.Failed -eq 0) { $counts.Failed = 1 }
    return $counts
}

function Invoke-PesterSuite {
    # Runs Pester in a child pwsh; the runner writes its counts to a JSON file.
    param([string] $Name, [string[]] $Tag, [string[]] $ExcludeTag, [string[]] $Prefix = @())
    $pester = Restore-TestTools
    $results = Join-Path $OutputRoot 'test-results'
    New-Item -ItemType Directory -Path $results -Force | Out-Null
    $countsFile = Join-Path $results "pester-$Name.json"
    Remove-Item $countsFile -ErrorAction SilentlyContinue
    $runner = Join-Path $RepoRoot 'tests/Invoke-PesterRun.ps1'
    $runnerArgs = @('-File', $runner, '-PesterPath', $pester, '-ModulePath', (Join-Path $StagedModule "$ModuleName.psd1"),
        '-TestRoot', (Join-Path $RepoRoot 'tests'), '-CountsFile', $countsFile,
        '-ResultFile', (Join-Path $results "pester-$Name.xml"))
    # A bare '*' handed to a native command is expanded to the file names of the current folder on Unix.
    if ($PesterFilter -ne '*') { $runnerArgs += @('-Filter', $PesterFilter) }
    if ($Tag) { $runnerArgs += @('-Tag', ($Tag -join ',')) }
    if ($ExcludeTag) { $runnerArgs += @('-ExcludeTag', ($ExcludeTag -join ',')) }

    if ($Prefix.Count -gt 0) {
        $exe = $Prefix[0]
        $rest = @($Prefix | Select-Object -Skip 1) + $script:PwshCommand + @('-NoProfile', '-NonInteractive') + $runnerArgs
        & $exe @rest | Out-Host
    }
    else {
        $null = Invoke-Pwsh $runnerArgs
    }
    if (-not (Test-Path $countsFile)) {
        Write-Warning "Pester ($Name) produced no counts: counted as one failure."
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    return (Get-Content -Raw $countsFile | ConvertFrom-Json)
}

function Get-LabScript { Join-Path $RepoRoot 'tests/lab/lab.sh' }

function Invoke-Test {
    Invoke-BuildTask
    $total = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }
    $add = {
        param($counts, $label)
        Write-Host ("{0}: {1} passed, {2} failed, {3} skipped" -f $label, $counts.Passed, $counts.Failed, $counts.Skipped)
        $total.Passed += [int] $counts.Passed
        $total.Failed += [int] $counts.Failed
        $total.Skipped += [int] $counts.Skipped
    }

    & $add (Invoke-EngineTests) 'xunit'

    Write-Step 'Pester: module tests'
    & $add (Invoke-PesterSuite -Name 'module' -ExcludeTag 'Lab') 'pester'

    $lab = Get-LabScript
    $labRuns = -not $SkipLab -and (Test-IsRoot) -and (Test-Path $lab)
    if ($labRuns) {
        Write-Step 'Pester: lab tests against real BIND, Unbound, Postfix and nginx'
        & $add (Invoke-PesterSuite -Name 'lab' -Tag 'Lab' -Prefix @('bash', $lab, 'run', '--')) 'lab'
    }
    else {
        $why = if ($SkipLab) { '-SkipLab was given' } elseif (-not (Test-Path $lab)) { 'tests/lab/lab.sh is missing' } else { 'not running as root (the lab needs unshare and apt)' }
        Write-Warning "Lab tests skipped: $why."
        $skipped = Invoke-PesterSuite -Name 'lab-skipped' -Tag 'Lab' -Prefix @()
        # Without the lab every lab test skips itself; count them as skipped, never as passed.
        & $add ([pscustomobject]@{ Passed = 0; Failed = [int] $skipped.Failed; Skipped = [int] $skipped.Passed + [int] $skipped.Skipped }) 'lab'
    }

    Write-Host ''
    Write-Host ("{0} passed, {1} failed, {2} skipped" -f $total.Passed, $total.Failed, $total.Skipped)
    if ($total.Failed -gt 0) { exit 1 }
    exit 0
}

function Invoke-Package {
    Invoke-BuildTask
    Write-Step 'Packaging for a local PSResourceGet repository'
    $repoDir = Join-Path $OutputRoot 'repository'
    New-Item -ItemType Directory -Path $repoDir -Force | Out-Null
    Get-ChildItem $repoDir -Filter "$ModuleName.*.nupkg" | Remove-Item
    $repoName = "DaneMtaStsBuild$PID"
    Register-PSResourceRepository -Name $repoName -Uri $repoDir -Trusted
    try {
        Publish-PSResource -Path $StagedModule -Repository $repoName -SkipDependenciesCheck
    }
    finally {
        Unregister-PSResourceRepository -Name $repoName
    }
    $nupkg = Get-ChildItem $repoDir -Filter "$ModuleName.*.nupkg" | Select-Object -First 1
    if (-not $nupkg) { throw 'Publish-PSResource produced no package.' }
    Copy-Item $nupkg.FullName $OutputRoot -Force
    Write-Host "Package: $(Join-Path $OutputRoot $nupkg.Name)"
    Write-Host "Install: Register-PSResourceRepository -Name local -Uri '$repoDir' -Trusted; Install-PSResource $ModuleName -Repository local"
}

function Invoke-InLab([string[]] $Arguments) {
    $lab = Get-LabScript
    if (-not (Test-Path $lab)) { throw 'The lab (tests/lab/lab.sh) is not in this checkout.' }
    if (-not (Test-IsRoot)) { throw 'The lab needs root (it creates a private network namespace and installs packages with apt).' }
    & bash $lab run -- @Arguments
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

switch ($Task) {
    'Build' { Invoke-BuildTask }
    'Test' { Invoke-Test }
    'Package' { Invoke-Package }
    'Clean' { if (Test-Path $OutputRoot) { Remove-Item $OutputRoot -Recurse -Force } }
    'Lab' {
        Invoke-BuildTask
        $cmd = if ($Command) { @('bash', '-c', $Command) } else { @('bash', '-i') }
        Invoke-InLab $cmd
    }
    'Demo' {
        Invoke-BuildTask
        Invoke-InLab (@($script:PwshCommand) + @('-NoProfile', '-File', (Join-Path $RepoRoot 'tests/lab/Demo.ps1'), '-ModulePath', (Join-Path $StagedModule "$ModuleName.psd1")))
    }
    'Bench' {
        Invoke-BuildTask
        # The delaying relay of the round-trip figures: a bench tool, not part of the solution.
        Write-Step 'Building the delaying relay (tests/bench/DelayRelay)'
        $relayOut = Join-Path $OutputRoot 'bench/relay'
        Invoke-Native dotnet @('build', (Join-Path $RepoRoot 'tests/bench/DelayRelay/DelayRelay.csproj'), '-c', $Configuration, '-o', $relayOut, '--nologo', '-v', 'quiet')
        # Bench mode of the lab: groups of <domains>x<hosts> (bulk audit first, scale last).
        if (-not $env:DANEMTASTS_LAB_BENCH) { $env:DANEMTASTS_LAB_BENCH = '200x20,2000x50' }
        Write-Step "Benchmark in the lab (DANEMTASTS_LAB_BENCH=$env:DANEMTASTS_LAB_BENCH)"
        Invoke-InLab (@($script:PwshCommand) + @('-NoProfile', '-File', (Join-Path $RepoRoot 'tests/bench/Invoke-Benchmark.ps1'),
                '-ModulePath', (Join-Path $StagedModule "$ModuleName.psd1"), '-RelayPath', (Join-Path $relayOut 'DelayRelay.dll'),
                '-OutputPath', (Join-Path $OutputRoot 'bench/bench.json')))
    }
    'Fuzz' {
        Write-Step 'Long fuzzing run'
        $env:DANEMTASTS_FUZZ_ITERATIONS = '200000'
        Invoke-Native dotnet @('test', (Join-Path $RepoRoot 'tests/DaneMtaSts.Engine.Tests/DaneMtaSts.Engine.Tests.csproj'), '-c', $Configuration, '--filter', 'Category=Fuzz', '--nologo')
    }
}
