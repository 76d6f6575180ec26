<#
.SYNOPSIS
    Runs the Pester suites against the staged module and writes the counts for build.ps1.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $PesterPath,
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $TestRoot,
    [Parameter(Mandatory)][string] $CountsFile,
    [string] $ResultFile,
    [string] $Filter = '*',
    [string] $Tag,
    [string] $ExcludeTag
)

$ErrorActionPreference = 'Stop'
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'
$env:POWERSHELL_UPDATECHECK = 'Off'
# The tests import the module from here, each in its own scope.
$env:DANEMTASTS_TEST_MODULE = $ModulePath
$env:DANEMTASTS_REPO_ROOT = Split-Path $TestRoot -Parent

Import-Module $PesterPath -Force

$files = @(Get-ChildItem -Path $TestRoot -Filter '*.Tests.ps1' -File -Recurse |
        Where-Object { $_.Name -like "*$Filter*" -or $Filter -eq '*' } |
        Where-Object { $_.FullName -notlike '*examples*' } |
        ForEach-Object FullName)

$config = New-PesterConfiguration
$config.Run.Path = $files
$config.Run.PassThru = $true
$config.Run.Exit = $false
$config.Output.Verbosity = 'Normal'
if ($Tag) { $config.Filter.Tag = $Tag -split ',' }
if ($ExcludeTag) { $config.Filter.ExcludeTag = $ExcludeTag -split ',' }
if ($ResultFile) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'NUnitXml'
    $config.TestResult.OutputPath = $ResultFile
}

$result = $null
if ($files.Count -gt 0) {
    $result = Invoke-Pester -Configuration $config
}

if ($files.Count -gt 0 -and $null -eq $result) {
    # A bad configuration makes Invoke-Pester return nothing: that is a failure, never a pass.
    $counts = [ordered]@{ Passed = 0; Failed = 1; Skipped = 0 }
}
elseif ($null -eq $result) {
    $counts = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }
}
else {
    $failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    $counts = [ordered]@{ Passed = $result.PassedCount; Failed = $failed; Skipped = $result.SkippedCount + $result.NotRunCount }
    # NotRunCount includes tests filtered out by tag; report only what was selected.
    $counts.Skipped = $result.SkippedCount
}
$counts | ConvertTo-Json | Set-Content -LiteralPath $CountsFile -Encoding utf8
Write-Host ("pester: {0} passed, {1} failed, {2} skipped" -f $counts.Passed, $counts.Failed, $counts.Skipped)
