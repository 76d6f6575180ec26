<#
.SYNOPSIS
    Switches an outbound connector to TlsValidationMode Mandatory only if no recipient domain would
    be queued by it.

.DESCRIPTION
    Dry-runs every recipient domain of the connector under Mandatory (SMTP DANE required, MTA-STS
    opportunistic). If every domain would still be delivered, the connector is switched; otherwise
    nothing changes, the domains that would break are listed with Exchange Online's status code and
    the reason, and the script exits with code 1 (so a pipeline or scheduled task notices).
    A domain whose verdict is Indeterminate (this machine could not find out, e.g. port 25 is
    blocked here) also stops the switch: run again with -SmtpProxy from such a machine.

.EXAMPLE
    ./Switch-ToMandatory.ps1 -Connector 'Contoso partners'

.EXAMPLE
    ./Switch-ToMandatory.ps1 -Connector 'Contoso partners' -SmtpProxy socks5://127.0.0.1:1080
    From a workstation whose port 25 is blocked, through "ssh -D 1080" to a host that can reach it.

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
    [int] $TimeoutSec = 10,

    # SOCKS5 proxy for the SMTP probes (socks5://host:port) when this machine cannot reach port 25.
    [string] $SmtpProxy,
    [pscredential] $SmtpProxyCredential
)

$ErrorActionPreference = 'Stop'
Import-Module DaneMtaSts -ErrorAction Stop

$network = @{ TimeoutSec = $TimeoutSec }
if ($DnsServer) { $network.DnsServer = $DnsServer }
if ($TrustedRootCertificate) { $network.TrustedRootCertificate = $TrustedRootCertificate }
if ($SmtpProxy) { $network.SmtpProxy = $SmtpProxy }
if ($SmtpProxyCredential) { $network.SmtpProxyCredential = $SmtpProxyCredential }

$current = Get-OutboundConnector -Identity $Connector
if ($current.TlsValidationMode -eq 'Mandatory') {
    Write-Host "Connector '$($current.Name)' is already Mandatory."
    exit 0
}

# Wildcard recipient domains cannot be tested; they are reported as errors and listed below.
$results = @(Test-OutboundTlsPolicy -Connector $current.Name -TlsValidationMode Mandatory @network -ErrorVariable notTestable -ErrorAction SilentlyContinue)
# Only Deliver allows the switch: Queue and Reject would break, Indeterminate is unknown from here.
$breaking = @($results | Where-Object Outcome -in 'Queue', 'Reject')
$unknown = @($results | Where-Object Outcome -eq 'Indeterminate')

if ($notTestable) {
    Write-Warning ("Not tested: " + (($notTestable | ForEach-Object { $_.TargetObject }) -join ', '))
}

if ($breaking.Count -gt 0 -or $unknown.Count -gt 0 -or $results.Count -eq 0) {
    if ($breaking.Count -gt 0) {
        Write-Host "Switching '$($current.Name)' to Mandatory would queue mail to $($breaking.Count) of $($results.Count) domain(s):"
        $breaking | Format-Table Domain, StatusCode, StatusText, Kind, MxHost, Reason -Wrap | Out-Host
    }
    if ($unknown.Count -gt 0) {
        Write-Host "Not switched: for $($unknown.Count) domain(s) this machine could not establish the verdict (Indeterminate):"
        $unknown | Format-Table Domain, Kind, MxHost, Reason -Wrap | Out-Host
    }
    exit 1
}

if ($PSCmdlet.ShouldProcess($current.Name, 'Set TlsValidationMode Mandatory')) {
    Set-OutboundConnector -Identity $current.Name -TlsValidationMode Mandatory -Confirm:$false
    Write-Host "Connector '$($current.Name)' is now Mandatory: all $($results.Count) domain(s) deliver with DANE."
}
exit 0
