# Shared by the Pester files of the connector cmdlets: imported in each file's BeforeAll.

function Get-ThrownErrorId {
    # The FullyQualifiedErrorId of the first error the script block raises (terminating or not), else $null.
    param([Parameter(Mandatory)][scriptblock] $ScriptBlock)
    try {
        & $ScriptBlock -ErrorAction Stop | Out-Null
    }
    catch {
        return $_.FullyQualifiedErrorId
    }
    return $null
}

function Get-PwshCommand {
    # The pwsh that runs the tests, to start child processes with (the .NET tool has no apphost).
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path $dll) { return @('dotnet', $dll) }
    return @((Get-Process -Id $PID).Path)
}

function Start-PwshChild {
    # Starts a child pwsh running a script file; returns the Process (stdout/stderr redirected).
    param([Parameter(Mandatory)][string] $ScriptPath, [string[]] $ArgumentList = @())
    $cmd = @(Get-PwshCommand)
    $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
    foreach ($a in @($cmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    return [System.Diagnostics.Process]::Start($psi)
}

Export-ModuleMember -Function Get-ThrownErrorId, Get-PwshCommand, Start-PwshChild
