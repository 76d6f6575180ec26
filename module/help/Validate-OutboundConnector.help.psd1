@{
    Synopsis     = 'Sends a real test message through a connector, enforcing its SmtpDaneMode, MtaStsMode and TlsSettings.'
    Description  = @'
Validate-OutboundConnector does what Exchange Online's cmdlet of the same name does: for each recipient it judges the connector's TLS policy (as Test-OutboundTlsPolicy does, with the connector's modes, routing and TlsSettings) and, when the verdict is Deliver, sends a short test message over the very TLS session that was judged - never over a second connection that could land on another server. A queued or rejected verdict sends nothing and says why.

Each result reports the recipient, Outcome, StatusCode, Security, the MX host and address, the server's reply and the Message-Id of the test message. The connector is not changed: set IsValidated and LastValidationTimestamp yourself with Set-OutboundConnector, as in Exchange Online.

The verb Validate is Exchange Online's own, not an approved PowerShell verb; the module keeps it for compatibility.
'@
    Parameters   = @{
        Identity   = 'The connector to validate: a name, a GUID or a piped connector.'
        Recipients = 'The addresses to send the test message to; recipients of one domain share one judged SMTP session.'
        Sender     = 'The envelope sender and From address of the test message. Default: postmaster at the EHLO name.'
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
