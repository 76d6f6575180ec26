using MimeKit;
using MimeKit.Utils;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>The short message Validate-OutboundConnector sends through a connector.</summary>
public static class TestMessage
{
    /// <summary>
    /// A text/plain message from <paramref name="sender"/> to <paramref name="recipients"/> whose
    /// subject and headers say it is a test of connector <paramref name="connectorName"/>, with a
    /// unique Message-Id. <paramref name="subjectTag"/> (e.g. a run id) is appended to the subject
    /// so the recipient can find it.
    /// </summary>
    public static MimeMessage Create(string sender, IEnumerable<string> recipients, string connectorName, string subjectTag)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sender);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectorName);

        var to = recipients.Select(r => MailboxAddress.Parse(r)).ToList();
        if (to.Count == 0)
        {
            throw new ArgumentException("At least one recipient is needed.", nameof(recipients));
        }

        var from = MailboxAddress.Parse(sender);
        var message = new MimeMessage();
        message.From.Add(from);
        message.To.AddRange(to);
        message.Subject = string.IsNullOrWhiteSpace(subjectTag)
            ? $"DaneMtaSts test message via connector {connectorName}"
            : $"DaneMtaSts test message via connector {connectorName} [{subjectTag}]";
        message.Date = DateTimeOffset.UtcNow;
        string domain = from.Domain.Length > 0 ? from.Domain : "danemtasts.invalid";
        message.MessageId = MimeUtils.GenerateMessageId(domain);

        // Headers a filter or a person can key on: this is a test, nothing needs doing.
        message.Headers.Add("X-DaneMtaSts-Test", "connector validation");
        message.Headers.Add("X-DaneMtaSts-Connector", connectorName);
        message.Headers.Add(HeaderId.AutoSubmitted, "auto-generated");
        message.Headers.Add(HeaderId.Precedence, "bulk");

        message.Body = new TextPart("plain")
        {
            Text = $"This is a test message sent by DaneMtaSts (Validate-OutboundConnector) through the outbound connector \"{connectorName}\"\n"
                + $"at {message.Date.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC. It checks that the connector's TLS requirements are met and mail is accepted.\n"
                + "No action is needed; you may delete it.\n",
        };
        return message;
    }
}
