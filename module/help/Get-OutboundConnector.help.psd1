@{
    Synopsis     = 'Gets outbound connectors from the local store.'
    Description  = @'
Get-OutboundConnector returns the connectors in the local store, in the order they were created, as Exchange Online's cmdlet does: every property in Exchange Online's order, followed by the derived TlsValidationMode. The default view is a table of the columns you scan first; Format-List shows every property.

Without -Identity it returns every connector, up to -ResultSize (1000 by default; a warning says when more exist). -Identity takes a name (case-insensitive, wildcards allowed), a GUID or a piped connector. A name or GUID that matches nothing is the non-terminating error ConnectorNotFound.
'@
    Parameters   = @{
        Identity                  = 'The connector to get: a name (case-insensitive; wildcards such as Contoso* return every match), a GUID, or a connector from the pipeline. Tab completion offers the names in the store.'
        IncludeTestModeConnectors = 'Filters on test mode: $true returns only connectors in test mode, $false only connectors that are not. Without it, both are returned.'
        IsTransportRuleScoped     = 'Filters on transport-rule scope: $true returns only scoped connectors, $false only the others. Without it, both are returned.'
        ResultSize                = @{ Description = 'The most connectors to return: a positive number, or Unlimited. When more exist, a warning says so.'; Default = '1000' }
    }
    Examples     = @(
        @{
            Code    = 'Get-OutboundConnector'
            Remarks = 'Lists every connector: Name, Enabled, ConnectorType, RecipientDomains, SmartHosts, SmtpDaneMode and MtaStsMode.'
        }
        @{
            Code    = 'Get-OutboundConnector "Contoso" | Format-List'
            Remarks = 'Shows every property of the Contoso connector in Exchange Online''s order, with TlsValidationMode last.'
        }
        @{
            Code    = 'Get-OutboundConnector -ResultSize Unlimited | Where-Object TlsValidationMode -ne Mandatory | Select-Object Name, SmtpDaneMode, MtaStsMode'
            Remarks = 'Finds the connectors that do not require DANE yet.'
        }
    )
    Inputs       = @(
        @{ Type = 'System.String'; Description = 'A connector name or GUID, bound to -Identity.' }
        @{ Type = 'DaneMtaSts.Engine.Connectors.OutboundConnector'; Description = 'A connector, bound to -Identity (its current state is read again from the store).' }
    )
    Outputs      = @(
        @{ Type = 'DaneMtaSts.Engine.Connectors.OutboundConnector'; Description = 'The connectors (type name DaneMtaSts.OutboundConnector).' }
    )
    Notes        = 'Errors (FullyQualifiedErrorId prefix): ConnectorNotFound (non-terminating), StoreCorrupt, StoreSchemaTooNew, StoreReadFailed. Reading takes no lock: writers replace the file atomically.'
    RelatedLinks = @('New-OutboundConnector', 'Set-OutboundConnector', 'Remove-OutboundConnector')
}
