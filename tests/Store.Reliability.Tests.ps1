# The store under load: eight pwsh processes change one store at the same moment, through the cmdlets,
# and not one change may be lost. (The SIGKILL crash test is in xunit: StoreCrashTests, which kills a
# lighter child process 50 times in the time pwsh would take to start a dozen.)

BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

Describe 'Store under concurrent writers' {
    It '8 processes x 100 New-/Set-OutboundConnector changes at once: every change is present' {
        $workers = 8
        $changesPerWorker = 100
        $store = Join-Path $TestDrive 'concurrent/store.json'
        $go = Join-Path $TestDrive 'go'
        $child = Join-Path $TestDrive 'writer.ps1'
        # Each child imports the module once, says it is ready, waits for the common start signal, then makes
        # its changes: New W<w>-<k> for 20 connectors, then four rounds of Set over them, each round changing
        # a different property (Comment, Enabled, TestMode, RecipientDomains). Every property is last changed
        # by exactly one of the 100 changes, so the end state of 160 connectors proves each of the 800; a lost
        # update (a writer saving a stale document over another's change) would revert one of them.
        Set-Content -LiteralPath $child -Value @'
param([string] $ModulePath, [string] $StorePath, [int] $Worker, [int] $Changes, [string] $GoFile)
$ErrorActionPreference = 'Stop'
$env:DANEMTASTS_STORE = $StorePath
Import-Module $ModulePath
Set-Content -LiteralPath "$GoFile.ready.$Worker" -Value $PID
$deadline = [DateTime]::UtcNow.AddSeconds(120)
while (-not (Test-Path -LiteralPath $GoFile)) {
    if ([DateTime]::UtcNow -gt $deadline) { throw 'no start signal' }
    Start-Sleep -Milliseconds 10
}
$perRound = $Changes / 5
$failures = [System.Collections.Generic.List[string]]::new()
for ($i = 0; $i -lt $Changes; $i++) {
    $k = $i % $perRound
    $name = "W$Worker-$k"
    try {
        switch ([int][math]::Floor($i / $perRound)) {
            0 { New-OutboundConnector $name -RecipientDomains "w$Worker-$k.example" -Comment 'created' | Out-Null }
            1 { Set-OutboundConnector $name -Comment "comment $Worker $k" }
            2 { Set-OutboundConnector $name -Enabled $false }
            3 { Set-OutboundConnector $name -TestMode $true }
            4 { Set-OutboundConnector $name -RecipientDomains "w$Worker-$k.example", "extra-$Worker-$k.example" }
        }
    }
    catch {
        $failures.Add("change ${i}: $($_.FullyQualifiedErrorId): $($_.Exception.Message)")
    }
}
[pscustomobject]@{ Worker = $Worker; Failures = @($failures) } | ConvertTo-Json -Compress
'@
        $procs = @()
        $stdout = @()
        $stderr = @()
        try {
            for ($w = 0; $w -lt $workers; $w++) {
                $p = Start-PwshChild -ScriptPath $child -ArgumentList @($env:DANEMTASTS_TEST_MODULE, $store, "$w", "$changesPerWorker", $go)
                $procs += $p
                # Drained while the children run: a full pipe would stall a child.
                $stdout += $p.StandardOutput.ReadToEndAsync()
                $stderr += $p.StandardError.ReadToEndAsync()
            }

            $startup = [Diagnostics.Stopwatch]::StartNew()
            while (@(Get-ChildItem -Path $TestDrive -Filter 'go.ready.*').Count -lt $workers) {
                # A hang guard, not a speed test: eight pwsh processes starting at once on a loaded 2-core
                # machine have been seen to need more than two minutes.
                if ($startup.Elapsed.TotalSeconds -gt 600 -or @($procs | Where-Object HasExited).Count -gt 0) { break }
                Start-Sleep -Milliseconds 20
            }
            $startup.Stop()
            @(Get-ChildItem -Path $TestDrive -Filter 'go.ready.*').Count | Should -Be $workers -Because 'every child must import the module and get ready'

            $clock = [Diagnostics.Stopwatch]::StartNew()
            Set-Content -LiteralPath $go -Value 'go'
            foreach ($p in $procs) { $p.WaitForExit(600000) | Should -BeTrue }
            $clock.Stop()
        }
        finally {
            foreach ($p in $procs) { if (-not $p.HasExited) { $p.Kill() } }
        }

        $failures = @()
        for ($w = 0; $w -lt $workers; $w++) {
            $procs[$w].ExitCode | Should -Be 0 -Because $stderr[$w].Result
            $report = ($stdout[$w].Result -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1) | ConvertFrom-Json
            $failures += @($report.Failures)
        }

        # Read back in this process: every New (the connector exists) and every Set (its final value).
        $env:DANEMTASTS_STORE = $store
        $all = @{}
        foreach ($c in Get-OutboundConnector -ResultSize Unlimited) { $all[$c.Name] = $c }
        $present = 0
        $missing = @()
        $perRound = $changesPerWorker / 5
        for ($w = 0; $w -lt $workers; $w++) {
            for ($k = 0; $k -lt $perRound; $k++) {
                $c = $all["W$w-$k"]
                $checks = @(
                    $null -ne $c
                    $null -ne $c -and $c.Comment -eq "comment $w $k"
                    $null -ne $c -and -not $c.Enabled
                    $null -ne $c -and $c.TestMode
                    $null -ne $c -and ($c.RecipientDomains -join ',') -eq "w$w-$k.example,extra-$w-$k.example"
                )
                for ($step = 0; $step -lt 5; $step++) {
                    if ($checks[$step]) { $present++ } else { $missing += "W$w-$k change $step" }
                }
            }
        }
        $total = $workers * $changesPerWorker
        $lost = $total - $present
        Write-Host ("store: {0} concurrent changes from {1} pwsh processes, {2} lost, {3} failed, {4:0.0} s of changes ({5:0.0} s start-up)" -f
            $total, $workers, $lost, $failures.Count, $clock.Elapsed.TotalSeconds, $startup.Elapsed.TotalSeconds)

        $failures | Should -BeNullOrEmpty
        $missing | Should -BeNullOrEmpty
        $all.Count | Should -Be ($total / 5)
        $present | Should -Be $total
        @(Get-ChildItem -Path (Split-Path $store) -Filter '*.tmp' -Force) | Should -BeNullOrEmpty
    }
}

Describe 'A lock file left behind' {
    It 'does not block the next writer: the lock is an OS lock on the file, not the file being there' {
        # What a writer killed while holding the lock leaves (the SIGKILL test in xunit does it for real).
        $env:DANEMTASTS_STORE = Join-Path $TestDrive 'stale/store.json'
        New-Item -ItemType Directory -Path (Split-Path $env:DANEMTASTS_STORE) -Force | Out-Null
        Set-Content -LiteralPath "$env:DANEMTASTS_STORE.lock" -Value "pid 999999, long dead"
        $clock = [Diagnostics.Stopwatch]::StartNew()
        New-OutboundConnector 'Contoso' -RecipientDomains contoso.com | Out-Null
        # Below the store's 15 s lock timeout: a writer that waited for the file to go away would take
        # all of it and fail; the margin is for a loaded machine, not a speed test.
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 12
        (Get-OutboundConnector 'Contoso').Name | Should -Be 'Contoso'
    }
}

Describe 'Store when .NET file locking is turned off' {
    It 'refuses every change with StoreLockingDisabled (the lock would lock nothing) and still reads' {
        if ($IsWindows) { Set-ItResult -Skipped -Because 'Windows enforces file sharing whatever the switch says'; return }
        # With DOTNET_SYSTEM_IO_DISABLEFILELOCKING=1 this very test's writers lost hundreds of changes
        # (measured); the store must refuse rather than write without a lock.
        $store = Join-Path $TestDrive 'nolock/store.json'
        $env:DANEMTASTS_STORE = $store
        New-OutboundConnector 'Contoso' -RecipientDomains contoso.com | Out-Null
        $before = (Get-FileHash -Algorithm SHA256 -LiteralPath $store).Hash
        $child = Join-Path $TestDrive 'nolock.ps1'
        Set-Content -LiteralPath $child -Value @'
param([string] $ModulePath, [string] $StorePath)
$env:DANEMTASTS_STORE = $StorePath
Import-Module $ModulePath
$ids = foreach ($call in { New-OutboundConnector 'Fabrikam' -RecipientDomains fabrikam.com }, { Set-OutboundConnector 'Contoso' -Comment x }, { Remove-OutboundConnector 'Contoso' -Confirm:$false }) {
    try { & $call -ErrorAction Stop | Out-Null; 'ok' } catch { $_.FullyQualifiedErrorId }
}
[pscustomobject]@{ Ids = @($ids); Read = @(Get-OutboundConnector | ForEach-Object Name) } | ConvertTo-Json -Compress
'@
        $env:DOTNET_SYSTEM_IO_DISABLEFILELOCKING = '1'
        try {
            $p = Start-PwshChild -ScriptPath $child -ArgumentList @($env:DANEMTASTS_TEST_MODULE, $store)
        }
        finally {
            Remove-Item Env:DOTNET_SYSTEM_IO_DISABLEFILELOCKING
        }
        $stdout = $p.StandardOutput.ReadToEndAsync()
        $stderr = $p.StandardError.ReadToEnd()
        $p.WaitForExit(120000) | Should -BeTrue
        $p.ExitCode | Should -Be 0 -Because $stderr
        $r = ($stdout.Result -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1) | ConvertFrom-Json
        $r.Ids | Should -Be @(
            'StoreLockingDisabled,DaneMtaSts.Module.Commands.NewOutboundConnectorCommand'
            'StoreLockingDisabled,DaneMtaSts.Module.Commands.SetOutboundConnectorCommand'
            'StoreLockingDisabled,DaneMtaSts.Module.Commands.RemoveOutboundConnectorCommand')
        $r.Read | Should -Be @('Contoso')
        (Get-FileHash -Algorithm SHA256 -LiteralPath $store).Hash | Should -Be $before
    }
}
