using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Smtp;

namespace DaneMtaSts.Engine.Run;

/// <summary>
/// Validate-OutboundConnector's engine: judge the connector's policy for each recipient domain,
/// and when the verdict is Deliver, send a short test message over the very TLS session that was
/// judged. It never changes the connector (Exchange Online behaviour).
/// </summary>
public static class ConnectorValidator
{
    public static async Task<IReadOnlyList<ConnectorValidationResult>> ValidateDomainAsync(
        OutboundConnector connector,
        string domain,
        IReadOnlyList<string> recipients,
        string sender,
        DryRunOptions options,
        MtaSts.IMtaStsPolicyCache? policyCache,
        CancellationToken cancellationToken)
    {
        SessionProbeSource? sessions = null;
        using DryRunSession session = DryRunSession.Create(options, policyCache, (probeOptions, _) => sessions = new SessionProbeSource(probeOptions));
        await using var _ = sessions!;
        DomainEvidence evidence = connector.UseMXRecord
            ? await session.Gatherer.GatherMxAsync(domain, cancellationToken)
            : await session.Gatherer.GatherSmartHostsAsync(domain, connector.SmartHosts, cancellationToken);
        TlsPolicyResult verdict = VerdictEngine.Judge(evidence, new JudgeOptions
        {
            SmtpDaneMode = connector.SmtpDaneMode,
            MtaStsMode = connector.MtaStsMode,
            TlsSettings = connector.TlsSettings,
            TlsDomain = connector.TlsDomain,
            ConnectorName = connector.Name,
        });

        var results = new List<ConnectorValidationResult>();
        if (verdict.Outcome != Outcome.Deliver)
        {
            foreach (string recipient in recipients)
            {
                results.Add(FromVerdict(connector, recipient, verdict, $"Nothing was sent: {verdict.Reason}"));
            }

            return results;
        }

        HostVerdict chosen = verdict.Hosts.First(h => h.Passed);
        HostEvidence host = evidence.Hosts.First(h => string.Equals(h.Name, chosen.Host, StringComparison.OrdinalIgnoreCase));
        AddressEvidence address = host.Addresses.First(a => a.Address.ToString() == chosen.Address);
        SmtpSession? smtp = sessions!.Find(address.Address, host.Name, address.Sni);
        if (smtp is null)
        {
            foreach (string recipient in recipients)
            {
                results.Add(FromVerdict(connector, recipient, verdict, "Nothing was sent: the judged SMTP session is no longer open.") with { Outcome = Outcome.Queue, Kind = FailureKind.SmtpTemporaryFailure, StatusCode = FailureKinds.CodeOf(FailureKind.SmtpTemporaryFailure), StatusText = FailureKinds.TextOf(FailureKind.SmtpTemporaryFailure) });
            }

            return results;
        }

        foreach (string recipient in recipients)
        {
            var message = TestMessage.Create(sender, [recipient], connector.Name, "validation");
            SmtpSendResult sent = await smtp.SendAsync(message, cancellationToken);
            bool accepted = sent.Accepted;
            results.Add(new ConnectorValidationResult
            {
                Connector = connector.Name,
                Recipient = recipient,
                Outcome = accepted ? Outcome.Deliver : sent.PermanentFailure ? Outcome.Reject : Outcome.Queue,
                StatusCode = accepted ? null : EnhancedCode(sent),
                StatusText = accepted ? null : sent.ReplyText ?? sent.Failure,
                Kind = accepted ? FailureKind.None : sent.PermanentFailure ? FailureKind.SmtpRefused : FailureKind.SmtpTemporaryFailure,
                Security = verdict.Security,
                MxHost = host.Name,
                Address = address.Address.ToString(),
                Sent = accepted,
                ServerReply = Reply(sent),
                MessageId = message.MessageId,
                Reason = accepted
                    ? $"Sent over the judged session to {host.Name} [{address.Address}] ({verdict.Security}): {verdict.Reason}"
                    : $"The server refused the test message: {Reply(sent)}",
                Verdict = verdict,
            });
        }

        return results;
    }

    private static ConnectorValidationResult FromVerdict(OutboundConnector connector, string recipient, TlsPolicyResult verdict, string reason) => new()
    {
        Connector = connector.Name,
        Recipient = recipient,
        Outcome = verdict.Outcome,
        StatusCode = verdict.StatusCode,
        StatusText = verdict.StatusText,
        Kind = verdict.Kind,
        Security = verdict.Security,
        MxHost = verdict.MxHost,
        Reason = reason,
        Verdict = verdict,
    };

    private static string? Reply(SmtpSendResult sent)
    {
        var rejected = sent.RejectedRecipients.Select(r => $"{r.Address}: {r.ReplyCode} {r.ReplyText}".TrimEnd()).ToList();
        string final = sent.ReplyCode is int code ? $"{code} {sent.ReplyText}".TrimEnd() : sent.Failure ?? "";
        return rejected.Count > 0 ? string.Join("; ", rejected.Append(final).Where(t => t.Length > 0)) : final;
    }

    // The enhanced status code at the start of the server's reply text ("5.1.1 ..."), else one
    // derived from the basic reply code.
    private static string? EnhancedCode(SmtpSendResult sent)
    {
        SmtpRecipientResult? firstRejected = sent.RejectedRecipients.Count > 0 ? sent.RejectedRecipients[0] : null;
        string? text = firstRejected?.ReplyText ?? sent.ReplyText;
        if (text is not null)
        {
            var match = System.Text.RegularExpressions.Regex.Match(text, @"^\s*([245]\.\d{1,3}\.\d{1,3})\b");
            if (match.Success)
            {
                return match.Groups[1].Value;
            }
        }

        int? code = firstRejected?.ReplyCode ?? sent.ReplyCode;
        return code is >= 500 ? "5.0.0" : code is >= 400 ? "4.0.0" : StatusCodes.SmtpFailure;
    }

    /// <summary>The domain part of an address, checked; throws InvalidRecipient.</summary>
    public static string RecipientDomain(string recipient)
    {
        int at = recipient.LastIndexOf('@');
        if (at <= 0 || at == recipient.Length - 1 || recipient.Any(char.IsControl) || recipient.Any(char.IsWhiteSpace))
        {
            throw new EngineException("InvalidRecipient", EngineErrorKind.InvalidArgument,
                $"'{DomainName.Printable(recipient)}' is not an e-mail address (local-part@domain).", recipient);
        }

        return RecipientDomainInput.Parse(recipient[(at + 1)..]);
    }
}
