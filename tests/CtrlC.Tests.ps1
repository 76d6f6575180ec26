# Ctrl+C ends every cmdlet promptly in every state it can wait in (docs/platform.md#ctrl-c): a child
# pwsh on a pseudo terminal runs the cmdlet against a server that stalls on purpose, gets SIGINT
# once the stall is reached, and must end because of the stop. The bound below is a hang guard for
# a loaded 2-core machine, not the target: the target (under 1 s) is measured by
# tests/bench/Measure-CtrlC.ps1 and its figures are in README.md.
BeforeDiscovery {
    $script:CanRun = $IsLinux -and [bool](Get-Command script -CommandType Application -ErrorAction SilentlyContinue)
    Import-Module (Join-Path $PSScriptRoot 'StallingServers.psm1') -Force
    $script:ScenarioNames = @(Get-CtrlCScenario -WorkFolder ([IO.Path]::GetTempPath()) | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'StallingServers.psm1') -Force
    # Generous: a stop that works ends in well under a second on a quiet machine (10.6 s was seen
    # once at load average 50); a stop that is ignored runs to a 300 s network timeout, and the
    # store's 15 s lock timeout ends that call with an error, which the test catches as Failed.
    $script:HangGuardSeconds = 30
}

Describe 'Ctrl+C stops the call' -Skip:(-not $CanRun) {
    It '<Name>' -ForEach $ScenarioNames {
        $scenario = Get-CtrlCScenario -WorkFolder $TestDrive -Name ([WildcardPattern]::Escape($Name))
        $scenario | Should -HaveCount 1
        try {
            $r = Measure-CtrlCScenario -Scenario $scenario -ModulePath $env:DANEMTASTS_TEST_MODULE -WorkFolder $TestDrive
        }
        catch [System.Management.Automation.MethodInvocationException] {
            # Only the MTA-STS scenario binds a port below 1024 (443, the policy host's).
            if ($_.Exception.InnerException -is [System.Net.Sockets.SocketException] -and $_.Exception.InnerException.SocketErrorCode -eq 'AccessDenied') {
                Set-ItResult -Skipped -Because 'binding port 443 needs root'
                return
            }
            throw
        }
        # It ended, because of the stop: the script's finally ran, its next line and its catch did not.
        $r.Exited | Should -BeTrue
        $r.Completed | Should -BeFalse -Because "the call must not run to its end: $($r.Output)"
        $r.Failed | Should -BeFalse -Because "the call must not fail on its own (a timeout, the lock): $($r.Output)"
        $r.Stopped | Should -BeTrue
        $r.StopSeconds | Should -BeLessThan $HangGuardSeconds
    }
}
