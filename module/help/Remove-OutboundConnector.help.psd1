@{
    Synopsis     = 'Removes an outbound connector from the local store.'
    Description  = @'
Remove-OutboundConnector deletes a connector from the local store. It asks for confirmation first (ConfirmImpact High); use -Confirm:$false in scripts. The connector is named by -Identity: its name (case-insensitive), its GUID, or a connector piped from Get-OutboundConnector.

A connector that does not exist is reported with the non-terminating error ConnectorNotFound.
'@
    Parameters   = @{
        Identity = 'The connector to remove: its name (case-insensitive), its GUID, or a connector object from the pipeline. Tab completion offers the names in the store.'
        PassThru = 'Writes the removed connector to the pipeline, for a record of what was deleted. By default nothing is written.'
    }
    Examples     = @(
        @{
            Code    = 'Remove-OutboundConnector "Contoso"'
            Remarks = 'Removes the Contoso connector after asking for confirmation.'
        }
        @{
            Code    = 'Get-OutboundConnector -IncludeTestModeConnectors $true | Remove-OutboundConnector -Confirm:$false -PassThru | Export-Csv removed.csv'
            Remarks = 'Removes every connector in test mode without prompting and keeps a record of them.'
        }
    )
    Inputs       = @(
        @{ Type = 'DaneMtaSts.Engine.Connectors.OutboundConnector'; Description = 'A connector from Get-OutboundConnector, bound to -Identity.' }
        @{ Type = 'System.String'; Description = 'A connector name or GUID, bound to -Identity.' }
    )
    Outputs      = @(
        @{ Type = 'None'; Description = 'By default Remove-OutboundConnector writes nothing.' }
        @{ Type = 'DaneMtaSts.Engine.Connectors.OutboundConnector'; Description = 'With -PassThru, the removed connector.' }
    )
    Notes        = 'Errors (FullyQualifiedErrorId prefix): ConnectorNotFound (non-terminating), StoreCorrupt, StoreSchemaTooNew, StoreLocked, StoreNotWritable.'
    RelatedLinks = @('Get-OutboundConnector', 'New-OutboundConnector', 'Set-OutboundConnector')
}
