@{
    Synopsis     = 'Validate-OutboundConnector: sends a real test message through a connector, from this machine, enforcing its SmtpDaneMode, MtaStsMode and TlsSettings.'
    Description  = @'
Test-OutboundConnector is the cmdlet behind the alias Validate-OutboundConnector, Exchange Online's name for it; use either name. Validate-OutboundConnector does what Exchange Online's cmdlet of the same name does: for each recipient it judges the connector's TLS policy (as Test-OutboundTlsPolicy does, with the connector's modes, routing and TlsSettings) and, when the verdict is Deliver, sends a short test message over the very TLS session that was judged - never over a second connection that could land on another server. A queued or rejected verdict sends nothing and says why.

Each result reports the recipient, Outcome, StatusCode, Security, the MX host and address, the server's reply and the Message-Id of the test message. The connector is not changed: set IsValidated and LastValidationTimestamp yourself with Set-OutboundConnector, as in Exchange Online.

It tests from this machine, not from Exchange Online's servers: the DNS answers, the network path to port 25 and the source address are this machine's, and the partner sees a message from this machine's address with the EHLO name below. A delivery that works from here says nothing about Exchange Online's own connection, and a partner that only accepts Exchange Online's addresses refuses it.

The test message is real mail: -WhatIf shows, per recipient domain, what would be sent and sends nothing (no DNS or SMTP work is done); -Confirm asks before each domain. The sender is postmaster at the EHLO name unless -Sender is given; the EHLO name is this machine's host name when it is a fully qualified domain name, else danemtasts.invalid, unless -EhloName is given. Give both when the partner checks them (SPF, a resolvable EHLO name).

The verb Validate is Exchange Online's own, not an approved PowerShell verb: exported as a cmdlet it would make every Import-Module print a warning, so Validate-OutboundConnector is an alias of Test-OutboundConnector. Import-Module -Prefix prefixes both (Validate-LocalOutboundConnector).
'@
    Parameters   = @{
        Identity   = 'The connector to validate: a name, a GUID or a piped connector.'
        Recipients = 'The addresses to send the test message to; recipients of one domain share one judged SMTP session.'
        Sender     = 'The envelope sender and From address of the test message. Default: postmaster at the EHLO name (see -EhloName).'
        WhatIf     = 'Shows, for each recipient domain, the test message that would be sent (recipients, connector, sender, EHLO name), and sends nothing: no DNS or SMTP work is done.'
        Confirm    = 'Asks before sending the test message to each recipient domain.'
    }
    SharedParameters = 'Network.parameters.psd1'
    Examples     = @(
        @{
            Code    = 'Validate-OutboundConnector -Identity "Contoso" -Recipients postmaster@contoso.com'
            Remarks = 'Judges the Contoso connector''s policy for contoso.com and, if the verdict is Deliver, sends a test message over the judged TLS session.'
        }
        @{
            Code    = '$r = Validate-OutboundConnector Contoso -Recipients a@contoso.com, b@contoso.net; if (-not ($r | Where-Object { -not $_.Sent })) { Set-OutboundConnector Contoso -IsValidated $true -LastValidationTimestamp (Get-Date).ToUniversalTime() }'
            Remarks = 'Marks the connector validated only when every test message was accepted.'
        }
        @{
            Code    = 'Validate-OutboundConnector Contoso -Recipients postmaster@contoso.com -Sender postmaster@fabrikam.com -EhloName mail.fabrikam.com -WhatIf'
            Remarks = 'Shows what would be sent, from which sender and EHLO name, without sending anything.'
        }
    )
    Inputs       = @(
        @{ Type = 'System.String'; Description = 'A connector name or GUID, bound to -Identity.' }
        @{ Type = 'DaneMtaSts.Engine.Connectors.OutboundConnector'; Description = 'A connector, bound to -Identity.' }
    )
    Outputs      = @(
        @{ Type = 'DaneMtaSts.Engine.Policy.ConnectorValidationResult'; Description = 'One result per recipient: Recipient, Outcome, StatusCode, Security, MxHost, Address, Sent, ServerReply, MessageId, Reason, and the Verdict the decision was based on.' }
    )
    Notes        = 'Errors (FullyQualifiedErrorId prefix): ConnectorNotFound (terminating), InvalidRecipient (non-terminating), InvalidSender, InvalidDnsServer, InvalidCertificateFile, InvalidSmtpProxy, SmtpProxyCredentialWithoutProxy, DnsServerUnavailable (terminating). A recipient whose verdict is Indeterminate (for example every MX unreachable from here: use -SmtpProxy) is not sent to; its Kind says why.'
    RelatedLinks = @('Test-OutboundTlsPolicy', 'Set-OutboundConnector')
}
