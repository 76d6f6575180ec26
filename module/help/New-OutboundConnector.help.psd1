@{
    Synopsis         = 'Creates an Exchange Online outbound connector in the local store, with the SMTP DANE and MTA-STS modes.'
    Description      = @'
New-OutboundConnector creates an outbound connector with Exchange Online's parameters and defaults: Enabled, UseMXRecord, Partner type, and SmtpDaneMode and MtaStsMode both Opportunistic. The connector is kept in the local store (the file named by $env:DANEMTASTS_STORE, else store.json in your per-user data folder), where the other DaneMtaSts commands read it.

Every rule Exchange Online enforces between parameters is checked before anything is written; a broken rule is a terminating error whose id names the rule (for example SmartHostsWithMXRecord or TlsValidationModeConflict). Domain names are stored normalised: lower case, no trailing dot, internationalised names as A-labels.

Use -TlsValidationMode for the common combinations of the two modes, or -SmtpDaneMode and -MtaStsMode for any other.
'@
    SharedParameters = 'OutboundConnector.parameters.psd1'
    Parameters       = @{
        Name                     = 'The unique name of the connector, at most 64 characters. Names are compared without regard to case; a name in use fails with ConnectorAlreadyExists.'
        LinkForModifiedConnector = 'The GUID of a connector this one replaces (Exchange Online''s connector migration). Can only be set when the connector is created.'
    }
    Examples         = @(
        @{
            Code    = 'New-OutboundConnector -Name "Contoso" -RecipientDomains contoso.com, *.contoso.com'
            Remarks = 'Creates a partner connector for contoso.com and its subdomains, delivered through their MX hosts, with both modes Opportunistic (Exchange Online''s defaults).'
        }
        @{
            Code    = 'New-OutboundConnector "Fabrikam relay" -RecipientDomains fabrikam.com -UseMXRecord $false -SmartHosts relay.fabrikam.com -TlsSettings DomainValidation -TlsDomain relay.fabrikam.com -TlsValidationMode Mandatory'
            Remarks = 'Creates a connector that sends fabrikam.com mail to a smart host, requires its certificate to match relay.fabrikam.com, and requires DANE (SmtpDaneMode Mandatory, MtaStsMode Opportunistic).'
        }
        @{
            Code    = 'New-OutboundConnector "Contoso" -RecipientDomains contoso.com -WhatIf'
            Remarks = 'Checks every rule and shows what would be created, without writing the store.'
        }
    )
    Inputs           = @(
        @{ Type = 'None'; Description = 'New-OutboundConnector takes no pipeline input.' }
    )
    Outputs          = @(
        @{ Type = 'DaneMtaSts.Engine.Connectors.OutboundConnector'; Description = 'The new connector (type name DaneMtaSts.OutboundConnector), with Exchange Online''s properties in Exchange Online''s order and the derived TlsValidationMode.' }
    )
    Notes            = @'
Errors (FullyQualifiedErrorId prefix): ConnectorAlreadyExists, InvalidConnectorName, CommentTooLong, RecipientDomainsRequired, TransportRuleScopedWithRecipientDomains, TlsDomainRequiresDomainValidation, DomainValidationRequiresTlsDomain, SmartHostsWithMXRecord, SmartHostsRequired, OnPremisesConnectorRequired, InvalidRecipientDomain, InvalidSmartHost, InvalidTlsDomain, TlsValidationModeConflict, TlsValidationModeCustomNotSettable, StoreCorrupt, StoreSchemaTooNew, StoreLocked, StoreNotWritable.
'@
    RelatedLinks     = @('Get-OutboundConnector', 'Set-OutboundConnector', 'Remove-OutboundConnector')
}
