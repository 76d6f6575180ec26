<#
.SYNOPSIS
    Switches an outbound connector to TlsValidationMode Mandatory only if no recipient domain would
    be queued by it.

.DESCRIPTION
    Dry-runs every recipient domain of the connector under Mandatory (SMTP DANE required, MTA-STS
    opportunistic). If every domain would still be delivered, the connector is switched; otherwise
    nothing changes, the domains that would break are listed with Exchange Online's status code and
    the reason, and the script exits with code 1 (so a pipeline or scheduled task notices).

.EXAMPLE
    ./Switch-ToMandatory.ps1 -Connector 'Contoso partners'

.EXAMPLE
    ./Switch-ToMandatory.ps1 -Connector 'Contoso partners' -WhatIf
    Shows whether the switch would happen without changing the connector.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)]
    [string] $Connector,

    # Passed to Test-OutboundTlsPolicy: resolvers, extra trusted roots, timeouts.
    [string[]] $DnsServer,
    [string[]] $TrustedRootCertificate,
    [int] $TimeoutSec = 10
)

$ErrorActionPreference = 'Stop'
Import-Module DaneMtaSts -ErrorAction Stop

$network = @{ TimeoutSec = $TimeoutSec }
if ($DnsServer) { $network.DnsServer = $DnsServer }
if ($TrustedRootCertificate) { $network.TrustedRootCertificate = $TrustedRootCertificate }

$current = Get-OutboundConnector -Identity $Connector
if ($current.TlsValidationMode -eq 'Mandatory') {
    Write-Host "Connector '$($current.Name)' is already Mandatory."
    exit 0
}

# Wildcard recipient domains cannot be tested; they are reported as errors and listed below.
$results = @(Test-OutboundTlsPolicy -Connector $current.Name -TlsValidationMode Mandatory @network -ErrorVariable notTestable -ErrorAction SilentlyContinue)
$breaking = @($results | Where-Object Outcome -ne 'Deliver')

if ($notTestable) {
    Write-Warning ("Not tested: " + (($notTestable | ForEach-Object { $_.TargetObject }) -join ', '))
}

if ($breaking.Count -gt 0 -or $results.Count -eq 0) {
    Write-Host "Switching '$($current.Name)' to Mandatory would queue mail to $($breaking.Count) of $($results.Count) domain(s):"
    $breaking | Format-Table Domain, StatusCode, StatusText, MxHost, Reason -Wrap | Out-Host
    exit 1
}

if ($PSCmdlet.ShouldProcess($current.Name, 'Set TlsValidationMode Mandatory')) {
    Set-OutboundConnector -Identity $current.Name -TlsValidationMode Mandatory -Confirm:$false
    Write-Host "Connector '$($current.Name)' is now Mandatory: all $($results.Count) domain(s) deliver with DANE."
}
exit 0
