@{
    Synopsis         = 'Changes an outbound connector in the local store; -TlsValidationMode switches SMTP DANE and MTA-STS in one step.'
    Description      = @'
Set-OutboundConnector changes only the parameters you give; every other property keeps its value. The connector is then checked as a whole, as it would be after the change, against every rule Exchange Online enforces. When a rule is broken nothing is written and the error id names the rule.

The connector is named by -Identity: its name (case-insensitive), its GUID, or a connector piped from Get-OutboundConnector. The change is made under the store's lock, so changes made at the same time from other PowerShell sessions are not lost.

A connector that does not exist is reported with the non-terminating error ConnectorNotFound, so a pipeline of several connectors carries on with the others.
'@
    SharedParameters = 'OutboundConnector.parameters.psd1'
    Parameters       = @{
        Identity                = 'The connector to change: its name (case-insensitive), its GUID, or a connector object from the pipeline. Tab completion offers the names in the store.'
        Name                    = 'A new name for the connector, at most 64 characters and unique without regard to case (ConnectorAlreadyExists).'
        ValidationRecipients    = 'The e-mail addresses Validate-OutboundConnector sends test messages to. The domains are stored as A-labels; an invalid address fails with InvalidValidationRecipient.'
        IsValidated             = 'Records whether the connector passed validation. Validate-OutboundConnector does not set it; set it yourself after a successful validation.'
        LastValidationTimestamp = 'When the connector was last validated. Kept in UTC; a time without a time zone is taken as local time.'
        PassThru                = 'Writes the changed connector to the pipeline. By default Set-OutboundConnector writes nothing.'
    }
    Examples         = @(
        @{
            Code    = @'
Set-OutboundConnector Contoso -TlsValidationMode Mandatory
Get-OutboundConnector Contoso | Format-List Name, SmtpDaneMode, MtaStsMode, TlsValidationMode
'@
            Remarks = 'Switches the Contoso connector to Mandatory: SmtpDaneMode becomes Mandatory and MtaStsMode Opportunistic.'
        }
        @{
            Code    = 'Get-OutboundConnector | Where-Object SmtpDaneMode -eq None | Set-OutboundConnector -SmtpDaneMode Opportunistic -PassThru'
            Remarks = 'Turns opportunistic DANE back on for every connector that had it off, and shows the changed connectors.'
        }
        @{
            Code    = 'Set-OutboundConnector Contoso -UseMXRecord $false -SmartHosts relay.contoso.com -WhatIf'
            Remarks = 'Checks the change (rule 3 needs smart hosts when MX records are not used) and describes it without writing anything.'
        }
    )
    Inputs           = @(
        @{ Type = 'DaneMtaSts.Engine.Connectors.OutboundConnector'; Description = 'A connector from Get-OutboundConnector, bound to -Identity.' }
        @{ Type = 'System.String'; Description = 'A connector name or GUID, bound to -Identity.' }
    )
    Outputs          = @(
        @{ Type = 'None'; Description = 'By default Set-OutboundConnector writes nothing.' }
        @{ Type = 'DaneMtaSts.Engine.Connectors.OutboundConnector'; Description = 'With -PassThru, the changed connector.' }
    )
    Notes            = @'
Errors (FullyQualifiedErrorId prefix): ConnectorNotFound (non-terminating), ConnectorAlreadyExists, every rule id listed under New-OutboundConnector, LinkForModifiedConnectorNotSettable, InvalidValidationRecipient, StoreCorrupt, StoreSchemaTooNew, StoreLocked, StoreNotWritable.
'@
    RelatedLinks     = @('Get-OutboundConnector', 'New-OutboundConnector', 'Remove-OutboundConnector')
}
