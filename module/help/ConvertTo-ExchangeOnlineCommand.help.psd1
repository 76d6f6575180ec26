@{
    Synopsis     = 'Writes the exact Exchange Online command that gives a tenant connector the TLS settings of a local one.'
    Description  = @'
ConvertTo-ExchangeOnlineCommand is the way back to the tenant: once a dry run (Test-OutboundTlsPolicy) has shown which SmtpDaneMode and MtaStsMode a connector can take, it writes the Exchange Online command that sets them, for example:

Set-OutboundConnector -Identity 'Contoso' -SmtpDaneMode Mandatory -MtaStsMode Opportunistic

The connector name is single-quoted for PowerShell (a quote inside it is doubled), so the line can be pasted or run with Invoke-Expression in a session connected with Connect-ExchangeOnline. -TlsValidationMode is this module's own shorthand and does not exist in Exchange Online: the command always names the two modes it stands for. -IncludeTlsSettings adds -TlsSettings and -TlsDomain. -Prefix writes Set-<Prefix>OutboundConnector, for a session connected with Connect-ExchangeOnline -Prefix.

The command is text for you to review and run; nothing is sent to the tenant.
'@
    Parameters   = @{
        Identity           = 'The local connector: its name, its GUID, or a connector piped from Get-OutboundConnector.'
        IncludeTlsSettings = 'Also writes -TlsSettings and -TlsDomain ($null when the connector has none).'
        Prefix             = 'The prefix the Exchange Online commands were imported with (Connect-ExchangeOnline -Prefix Exo gives Set-ExoOutboundConnector). Letters and digits only.'
    }
    Examples     = @(
        @{
            Code    = 'Get-OutboundConnector Contoso | ConvertTo-ExchangeOnlineCommand'
            Remarks = "Writes: Set-OutboundConnector -Identity 'Contoso' -SmtpDaneMode Mandatory -MtaStsMode Opportunistic (for a connector switched to Mandatory)."
        }
        @{
            Code    = 'Get-OutboundConnector | ConvertTo-ExchangeOnlineCommand -Prefix Exo | Set-Content to-tenant.ps1'
            Remarks = 'Writes one command per local connector into a script to review, for a session connected with Connect-ExchangeOnline -Prefix Exo.'
        }
    )
    Inputs       = @(
        @{ Type = 'DaneMtaSts.Engine.Connectors.OutboundConnector'; Description = 'A connector from Get-OutboundConnector, bound to -Identity.' }
        @{ Type = 'System.String'; Description = 'A connector name or GUID, bound to -Identity.' }
    )
    Outputs      = @(
        @{ Type = 'System.String'; Description = 'One Exchange Online command line per connector.' }
    )
    Notes        = 'Errors (FullyQualifiedErrorId prefix): ConnectorNotFound (non-terminating), StoreCorrupt, StoreSchemaTooNew.'
    RelatedLinks = @('Get-OutboundConnector', 'Set-OutboundConnector', 'Test-OutboundTlsPolicy')
}
