using MailKit.Net.Smtp;
using MimeKit;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>
/// MailKit's SMTP client for sending test messages over a connection the probe driver opened (it
/// never negotiates TLS itself: docs/smtp.md#sending), with recipient rejections recorded instead of thrown.
/// </summary>
internal sealed class ProbingSmtpClient : SmtpClient
{
    public ProbingSmtpClient(SmtpConversation conversation)
        : base(conversation)
    {
    }

    public List<SmtpRecipientResult> RecipientResults { get; } = [];

    public SmtpReply? SenderRejection { get; set; }

    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
    {
        RecipientResults.Add(new SmtpRecipientResult(mailbox.Address, true, (int)response.StatusCode, response.Response));
    }

    protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
    {
        // Reported per recipient; the message still goes to the recipients that were accepted.
        RecipientResults.Add(new SmtpRecipientResult(mailbox.Address, false, (int)response.StatusCode, response.Response));
    }

    protected override void OnSenderNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
    {
        SenderRejection = SmtpReply.FromMailKit((int)response.StatusCode, response.Response);
        base.OnSenderNotAccepted(message, mailbox, response);
    }
}
