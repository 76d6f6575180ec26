<#
.SYNOPSIS
    The README's "run it" demo: inside the lab, a connector for a few partner domains is dry-run
    under the three modes, the partners that DANE protects are switched to Mandatory, and a real
    test message is sent through the switched connector.

.DESCRIPTION
    Run by `build.ps1 -Task Demo` inside `tests/lab/lab.sh run`, which starts real BIND, Unbound,
    Postfix and nginx servers on private loopback addresses. Nothing leaves the machine, and the
    connector store used here is a temporary file (your own store is not touched).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string] $ModulePath
)

$ErrorActionPreference = 'Stop'
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot 'LabHelpers.psm1') -Force
if (-not (Test-LabRunning)) { throw 'Demo.ps1 runs inside the lab: ./build.ps1 -Task Demo' }

$env:DANEMTASTS_STORE = Join-Path $env:DANEMTASTS_LAB_DIR 'demo-store.json'
# The lab's validating resolver and its private CA (for MTA-STS): in production you leave both out
# and the system's resolver and roots are used.
$lab = @{ DnsServer = Get-LabDnsServer; TrustedRootCertificate = Get-LabTrustedRootPath; TimeoutSec = 5; WarningAction = 'SilentlyContinue' }

function Step([string] $Title, [string] $Text) {
    Write-Host ''
    Write-Host ('=' * 100) -ForegroundColor DarkCyan
    Write-Host "  $Title" -ForegroundColor Cyan
    if ($Text) { $Text -split "`n" | ForEach-Object { Write-Host "  $_" -ForegroundColor Gray } }
    Write-Host ('=' * 100) -ForegroundColor DarkCyan
}

function Show([string] $Command) {
    Write-Host "PS> $Command" -ForegroundColor Yellow
}

$partners = 'dane-ee-good.test', 'dane-ta-good.test', 'sts-enforce-good.test', 'unsigned-tls.test', 'dane-ee-wrong.test'

Step 'DaneMtaSts demo' @"
The lab runs $(@(Get-LabScenario).Count) partner domains on real servers: DNSSEC-signed and unsigned zones, Postfix
MX hosts with good and broken certificates and TLSA records, nginx serving MTA-STS policies.
We manage an Exchange Online-style outbound connector for five partners and decide whether
it can require SMTP DANE (SmtpDaneMode Mandatory) without breaking mail flow.
"@

Show "New-OutboundConnector 'Partners' -RecipientDomains $($partners -join ', ')"
New-OutboundConnector 'Partners' -RecipientDomains $partners | Format-Table | Out-Host

Step '1. What would each mode do?' @"
Test-OutboundTlsPolicy gathers the evidence once per domain (MX, DNSSEC, TLSA, STARTTLS and the
served certificates, the MTA-STS policy) and judges it under each mode, as Exchange Online would.
"@
Show "Test-OutboundTlsPolicy -Connector Partners -TlsValidationMode None, Opportunistic, Mandatory"
$all = Test-OutboundTlsPolicy -Connector Partners -TlsValidationMode None, Opportunistic, Mandatory @lab
$all | Sort-Object { $partners.IndexOf($_.Domain) }, TlsValidationMode | Format-Table Domain, TlsValidationMode, Outcome, StatusCode, Security, MxHost | Out-Host

Step '2. What breaks if Partners goes Mandatory?' 'The one-line answer, with the reason for each domain that would be queued:'
Show "Test-OutboundTlsPolicy -Connector Partners -TlsValidationMode Mandatory | Where-Object Outcome -ne 'Deliver'"
$mandatory = $all | Where-Object TlsValidationMode -eq 'Mandatory'
$breaking = @($mandatory | Where-Object Outcome -ne 'Deliver')
$breaking | Format-List Domain, StatusCode, StatusText, MxHost, Reason | Out-Host

Step '3. Switch only the partners DANE protects' @"
$($breaking.Count) partner(s) would be queued, so Partners stays Opportunistic. The partners that deliver
with DANE under Mandatory move to their own connector, which is switched to Mandatory.
"@
$safe = @($mandatory | Where-Object { $_.Outcome -eq 'Deliver' -and $_.Security -eq 'Dane' } | ForEach-Object Domain)
Show "New-OutboundConnector 'DANE partners' -RecipientDomains $($safe -join ', ')"
New-OutboundConnector 'DANE partners' -RecipientDomains $safe | Out-Null
Show "Set-OutboundConnector 'Partners' -RecipientDomains $((@($partners | Where-Object { $_ -notin $safe })) -join ', ')"
Set-OutboundConnector 'Partners' -RecipientDomains @($partners | Where-Object { $_ -notin $safe })
Show "Set-OutboundConnector 'DANE partners' -TlsValidationMode Mandatory"
Set-OutboundConnector 'DANE partners' -TlsValidationMode Mandatory
Show "Get-OutboundConnector 'DANE partners' | Format-List Name, RecipientDomains, SmtpDaneMode, MtaStsMode, TlsValidationMode"
Get-OutboundConnector 'DANE partners' | Format-List Name, RecipientDomains, SmtpDaneMode, MtaStsMode, TlsValidationMode | Out-Host

Step '4. Validate the switched connector with a real message' @"
Validate-OutboundConnector judges the connector's policy and sends a short test message over the
very TLS session it judged. Postfix in the lab delivers it into the partner's maildir.
"@
$since = Get-Date
Show "Validate-OutboundConnector 'DANE partners' -Recipients postmaster@$($safe[0])"
$validation = Validate-OutboundConnector 'DANE partners' -Recipients "postmaster@$($safe[0])" @lab
$validation | Format-List Recipient, Outcome, Security, MxHost, Address, Sent, ServerReply, MessageId | Out-Host
Start-Sleep -Seconds 1
$delivered = Get-LabMaildirMessage -Domain $safe[0] -Since $since | Select-Object -First 1
if ($delivered) {
    Write-Host "Delivered into the lab maildir of $($safe[0]):" -ForegroundColor Green
    ($delivered.Text -split "`n" | Where-Object { $_ -match '^(Message-Id|Subject|From|To):' }) | ForEach-Object { Write-Host "  $_" }
}

Step '5. The evidence behind a verdict' 'Format-List shows what was seen: TLSA records, which matched at which depth, the chain.'
Show "Test-OutboundTlsPolicy dane-ta-good.test -TlsValidationMode Mandatory | Format-List"
Test-OutboundTlsPolicy dane-ta-good.test -TlsValidationMode Mandatory @lab | Format-List | Out-Host

Step 'Done' @"
Try it on your own partners (no lab needed):
  Test-OutboundTlsPolicy -Connector <your connector> -TlsValidationMode Mandatory
The lab stops now; nothing it started keeps running.
"@
