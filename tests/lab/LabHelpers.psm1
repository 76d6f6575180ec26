# Helpers for Pester tests that run inside the lab (bash tests/lab/lab.sh run -- pwsh ...).
# They read what lab.sh exports (DANEMTASTS_LAB_*) and the scenarios table; see README.md.
Set-StrictMode -Version Latest

$script:Modes = @('None', 'Opportunistic', 'Mandatory')

function Test-LabRunning {
    <# True inside a running lab (lab.sh exported DANEMTASTS_LAB_DIR and it exists). #>
    [CmdletBinding()]
    [OutputType([bool])]
    param()
    return [bool]($env:DANEMTASTS_LAB_DIR -and (Test-Path -LiteralPath $env:DANEMTASTS_LAB_DIR))
}

function Get-LabEnvironmentValue([string] $Name) {
    $value = [Environment]::GetEnvironmentVariable($Name)
    if (-not $value) { throw "$Name is not set: run inside the lab (bash tests/lab/lab.sh run -- <command>)." }
    return $value
}

function Get-LabScenario {
    <#
    .SYNOPSIS
        The lab's partner domains with their expected verdict per mode (scenarios.csv).
    .OUTPUTS
        Objects with Scenario, Domain, SmartHost, Rule, Description, Notes and Expected: a
        hashtable keyed by mode (None, Opportunistic, Mandatory) of objects with Outcome,
        StatusCode, Security and MxHost (empty cells are $null).
    #>
    [CmdletBinding()]
    param(
        # Wildcard on the scenario name.
        [Parameter(Position = 0)][string] $Name = '*',
        [string] $Path
    )
    if (-not $Path) { $Path = if ($env:DANEMTASTS_LAB_SCENARIOS) { $env:DANEMTASTS_LAB_SCENARIOS } else { Join-Path $PSScriptRoot 'scenarios.csv' } }
    $orNull = { param($v) if ([string]::IsNullOrWhiteSpace($v)) { $null } else { $v.Trim() } }
    foreach ($row in Import-Csv -LiteralPath $Path) {
        if ($row.Scenario -notlike $Name) { continue }
        $expected = [ordered]@{}
        foreach ($mode in $script:Modes) {
            $expected[$mode] = [pscustomobject]@{
                Outcome    = & $orNull $row."${mode}Outcome"
                StatusCode = & $orNull $row."${mode}StatusCode"
                Security   = & $orNull $row."${mode}Security"
                MxHost     = & $orNull $row."${mode}MxHost"
            }
        }
        [pscustomobject]@{
            Scenario    = $row.Scenario
            Domain      = $row.Domain
            SmartHost   = & $orNull $row.SmartHost
            Rule        = $row.Rule
            Description = $row.Description
            Notes       = & $orNull $row.Notes
            Expected    = $expected
        }
    }
}

function Get-LabTrustedRootPath {
    <# PEM file of the lab root CA (signs every PKIX certificate of MX and MTA-STS hosts). #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    return Get-LabEnvironmentValue 'DANEMTASTS_LAB_CA'
}

function Get-LabDnsServer {
    <#
    The lab's resolvers: Validating (Unbound, the default), NonValidating (Unbound without its
    validator), Stripping (a BIND forwarder that drops every DNSSEC record), Doh (dnsdist, an https URL).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([ValidateSet('Validating', 'NonValidating', 'Stripping', 'Doh')] [string] $Kind = 'Validating')
    $name = switch ($Kind) {
        'Validating' { 'DANEMTASTS_LAB_DNS' }
        'NonValidating' { 'DANEMTASTS_LAB_DNS_NONVALIDATING' }
        'Stripping' { 'DANEMTASTS_LAB_DNS_STRIPPING' }
        'Doh' { 'DANEMTASTS_LAB_DOH' }
    }
    return Get-LabEnvironmentValue $name
}

function Get-LabTrustAnchorPath {
    <# The lab root's DS records (both KSKs), for -TrustAnchorFile. #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    return Get-LabEnvironmentValue 'DANEMTASTS_LAB_TRUST_ANCHORS'
}

function Get-LabMaildirMessage {
    <#
    .SYNOPSIS
        Messages Postfix delivered for a lab domain: $DANEMTASTS_LAB_MAILDIR/<domain>/{new,cur}/.
    .OUTPUTS
        Objects with Domain, Path, Received, To, From, Subject, MessageId, Headers (hashtable,
        first value of each header) and Text (the whole message), oldest first.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string] $Domain,
        # Only messages delivered at or after this time.
        [datetime] $Since = [datetime]::MinValue
    )
    $root = Get-LabEnvironmentValue 'DANEMTASTS_LAB_MAILDIR'
    $dir = Join-Path $root $Domain.TrimEnd('.').ToLowerInvariant()
    $files = foreach ($sub in 'new', 'cur') {
        $path = Join-Path $dir $sub
        if (Test-Path -LiteralPath $path) { Get-ChildItem -LiteralPath $path -File }
    }
    foreach ($file in @($files | Where-Object LastWriteTime -GE $Since | Sort-Object LastWriteTime)) {
        $text = [IO.File]::ReadAllText($file.FullName)
        $headers = @{}
        $name = $null
        foreach ($line in ($text -split "`r?`n")) {
            if ($line -eq '') { break }
            if ($line -match '^[ \t]' -and $name) { $headers[$name] += ' ' + $line.Trim(); continue }
            if ($line -match '^([!-9;-~]+):[ \t]*(.*)$') {
                $name = $Matches[1]
                if ($headers.ContainsKey($name)) { $name = $null; continue } # first value wins
                $headers[$name] = $Matches[2]
            }
        }
        [pscustomobject]@{
            Domain    = $Domain
            Path      = $file.FullName
            Received  = $file.LastWriteTime
            To        = $headers['To']
            From      = $headers['From']
            Subject   = $headers['Subject']
            MessageId = $headers['Message-ID'] ?? $headers['Message-Id']
            Headers   = $headers
            Text      = $text
        }
    }
}

function Invoke-PostTlsFinger {
    <#
    .SYNOPSIS
        Runs Postfix's posttls-finger inside the lab against a domain (MX routing) or one host.
    .OUTPUTS
        Destination, Level, Result (Verified, Trusted, Untrusted, Anonymous or Failure),
        Dane ($true when the verification was a DANE TLSA match, $false when posttls-finger fell
        back to PKIX because there was no usable TLSA), Host (the host it reached), ExitCode, Text.
    #>
    [CmdletBinding(DefaultParameterSetName = 'Domain')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'Domain', Position = 0)][string] $Domain,
        [Parameter(Mandatory, ParameterSetName = 'Host')][Alias('Host')][string] $HostName,
        [ValidateSet('dane', 'dane-only', 'secure', 'verify', 'encrypt', 'may')][string] $Level = 'dane',
        [int] $TimeoutSeconds = 30
    )
    $destination = if ($PSCmdlet.ParameterSetName -eq 'Host') { "[$HostName]" } else { $Domain }
    $ca = Get-LabTrustedRootPath
    $config = Get-LabEnvironmentValue 'DANEMTASTS_LAB_POSTTLS_CONFIG'
    $previous = $env:MAIL_CONFIG
    $env:MAIL_CONFIG = $config
    try {
        $lines = & timeout $TimeoutSeconds posttls-finger -c -l $Level -F $ca $destination 2>&1
        $exit = $LASTEXITCODE
    }
    finally {
        $env:MAIL_CONFIG = $previous
    }
    $text = ($lines | ForEach-Object { "$_" }) -join "`n"
    $result = switch -Regex ($text) {
        'Verified TLS connection established' { 'Verified'; break }
        'Untrusted TLS connection established' { 'Untrusted'; break }
        'Trusted TLS connection established' { 'Trusted'; break }
        'Anonymous TLS connection established' { 'Anonymous'; break }
        default { 'Failure' }
    }
    $reached = if ($text -match 'connection established to ([^\[\s]+)\[') { $Matches[1] } else { $null }
    [pscustomobject]@{
        Destination = $destination
        Level       = $Level
        Result      = $result
        Dane        = ($result -eq 'Verified' -and $text -match 'Matched DANE')
        Host        = $reached
        ExitCode    = $exit
        Text        = $text
    }
}

Export-ModuleMember -Function Test-LabRunning, Get-LabScenario, Get-LabTrustedRootPath, Get-LabDnsServer, Get-LabTrustAnchorPath, Get-LabMaildirMessage, Invoke-PostTlsFinger
