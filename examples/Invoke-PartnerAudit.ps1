<#
.SYNOPSIS
    Nightly audit: every partner domain from a CSV under all three modes, with CSV/JSON results,
    TLS-RPT reports and an HTML impact report.

.DESCRIPTION
    Reads partner domains from a CSV file (a Domain column), dry-runs each under None,
    Opportunistic and Mandatory, and writes into -OutputFolder:
      results.csv      one flat row per domain and mode
      results.json     the same with the evidence, for tools
      report.html      the impact report people read: a chart per mode, the partners that would
                       queue, and per partner the evidence and the fix to send them
      tlsrpt/         one RFC 8460 report per domain, as the Opportunistic mode saw it
    It prints a summary per mode (Indeterminate counted apart: this machine could not find out, e.g.
    port 25 blocked here; use -SmtpProxy, or -SkipSmtpProbe for a DNS-only audit) and exits with 1
    when any domain would be queued under -FailOnMode (default Opportunistic), or could not be
    judged under it, so a scheduler can alert.

.EXAMPLE
    ./Invoke-PartnerAudit.ps1 -Path partners.csv -OutputFolder ./audit/$(Get-Date -Format yyyy-MM-dd) -OrganizationName Fabrikam -ContactInfo tls@fabrikam.com
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $Path,

    [Parameter(Mandatory)]
    [string] $OutputFolder,

    [string] $OrganizationName = 'DaneMtaSts audit',
    [string] $ContactInfo = 'postmaster@localhost.invalid',

    [ValidateSet('None', 'Opportunistic', 'Mandatory')]
    [string] $FailOnMode = 'Opportunistic',

    [string[]] $DnsServer,
    [string[]] $TrustedRootCertificate,
    [int] $TimeoutSec = 10,
    [int] $ThrottleLimit = 256,

    # When this machine cannot reach port 25: probe through a SOCKS5 proxy, or audit by DNS alone.
    [string] $SmtpProxy,
    [switch] $SkipSmtpProbe
)

$ErrorActionPreference = 'Stop'
Import-Module DaneMtaSts -ErrorAction Stop

$network = @{ TimeoutSec = $TimeoutSec; ThrottleLimit = $ThrottleLimit }
if ($DnsServer) { $network.DnsServer = $DnsServer }
if ($TrustedRootCertificate) { $network.TrustedRootCertificate = $TrustedRootCertificate }
if ($SmtpProxy) { $network.SmtpProxy = $SmtpProxy }
if ($SkipSmtpProbe) { $network.SkipSmtpProbe = $true }

$partners = Import-Csv -LiteralPath $Path
if (-not ($partners | Get-Member -Name Domain)) { throw "The CSV '$Path' needs a Domain column." }
New-Item -ItemType Directory -Path $OutputFolder -Force | Out-Null

# Bad rows are reported and skipped; the other domains still run.
$results = @($partners | Test-OutboundTlsPolicy -TlsValidationMode None, Opportunistic, Mandatory @network -ErrorAction Continue)

$results | Select-Object Domain, TlsValidationMode, Outcome, Kind, StatusCode, StatusText, Security, MxHost, Reason |
    Export-Csv -LiteralPath (Join-Path $OutputFolder 'results.csv') -NoTypeInformation
$results | ConvertTo-Json -Depth 8 -WarningAction SilentlyContinue |
    Set-Content -LiteralPath (Join-Path $OutputFolder 'results.json') -Encoding utf8
$null = $results | Export-TlsPolicyReport -Path (Join-Path $OutputFolder 'report.html') -Title "Partner TLS audit $(Get-Date -Format yyyy-MM-dd)"
$null = $results | Where-Object TlsValidationMode -eq 'Opportunistic' |
    Export-TlsRptReport -Path (Join-Path $OutputFolder 'tlsrpt') -OrganizationName $OrganizationName -ContactInfo $ContactInfo

$summary = $results | Group-Object TlsValidationMode | ForEach-Object {
    [pscustomobject]@{
        Mode    = $_.Name
        Deliver = @($_.Group | Where-Object Outcome -eq 'Deliver').Count
        Dane    = @($_.Group | Where-Object Security -eq 'Dane').Count
        Queue   = @($_.Group | Where-Object Outcome -eq 'Queue').Count
        Reject  = @($_.Group | Where-Object Outcome -eq 'Reject').Count
        Indeterminate = @($_.Group | Where-Object Outcome -eq 'Indeterminate').Count
    }
}
$summary | Format-Table | Out-Host

$queued = @($results | Where-Object { $_.TlsValidationMode -eq $FailOnMode -and $_.Outcome -eq 'Queue' })
$unknown = @($results | Where-Object { $_.TlsValidationMode -eq $FailOnMode -and $_.Outcome -eq 'Indeterminate' })
if ($unknown.Count -gt 0) {
    Write-Warning "$($unknown.Count) domain(s) could not be judged from here under ${FailOnMode}: $(($unknown | ForEach-Object { "$($_.Domain) ($($_.Kind))" }) -join ', ')"
}
if ($queued.Count -gt 0) {
    Write-Warning "$($queued.Count) domain(s) would be queued under ${FailOnMode}: $(($queued.Domain) -join ', ')"
}
if ($queued.Count -gt 0 -or $unknown.Count -gt 0) {
    exit 1
}
exit 0
