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

function Get-ChromiumPath {
    # Debian's chromium (tests/lab/install-packages.sh installs it), else $null.
    foreach ($name in 'chromium', 'chromium-browser') {
        $cmd = Get-Command $name -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($cmd) { return $cmd.Source }
    }
    return $null
}

function Invoke-HeadlessChromium {
    # Renders a local file in headless Chromium, offline and with a fresh profile: with -Screenshot
    # writes a PNG of the page, otherwise returns the DOM after rendering (--dump-dom), i.e. what the
    # page shows once the browser has parsed it. A generous hang guard (timeout), never a wall-clock bound.
    param(
        [Parameter(Mandatory)][string] $Path,
        [string] $Screenshot,
        [string] $WindowSize = '1280,2000'
    )
    $chromium = Get-ChromiumPath
    if (-not $chromium) { throw 'chromium is not installed (tests/lab/install-packages.sh installs it).' }
    $profileDir = Join-Path ([IO.Path]::GetTempPath()) "danemtasts-chromium-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory -Path $profileDir | Out-Null
    try {
        $arguments = @('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions',
            '--hide-scrollbars', "--user-data-dir=$profileDir", "--window-size=$WindowSize")
        $uri = [System.Uri]::new((Resolve-Path -LiteralPath $Path).ProviderPath, [System.UriKind]::Absolute).AbsoluteUri
        if ($Screenshot) {
            $arguments += @("--screenshot=$Screenshot", $uri)
        }
        else {
            $arguments += @('--dump-dom', $uri)
        }
        $psi = [System.Diagnostics.ProcessStartInfo]::new('timeout')
        foreach ($a in @('300', $chromium) + $arguments) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $psi.Environment['HOME'] = $profileDir
        $process = [System.Diagnostics.Process]::Start($psi)
        $errTask = $process.StandardError.ReadToEndAsync()
        $out = $process.StandardOutput.ReadToEnd()
        $process.WaitForExit()
        $err = $errTask.GetAwaiter().GetResult()
        if ($process.ExitCode -ne 0) { throw "chromium exited with $($process.ExitCode): $err" }
        if ($Screenshot) {
            if (-not (Test-Path -LiteralPath $Screenshot)) { throw "chromium wrote no screenshot: $err" }
            return Get-Item -LiteralPath $Screenshot
        }
        return $out
    }
    finally {
        Remove-Item -LiteralPath $profileDir -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Export-ModuleMember -Function Get-ThrownErrorId, Get-PwshCommand, Start-PwshChild, Get-ChromiumPath, Invoke-HeadlessChromium
