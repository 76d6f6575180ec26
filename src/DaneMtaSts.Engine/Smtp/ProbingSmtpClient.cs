using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MimeKit;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>
/// MailKit's SMTP client with the TLS options a DANE / MTA-STS probe needs, and with recipient
/// rejections recorded instead of thrown.
/// </summary>
internal sealed class ProbingSmtpClient : SmtpClient
{
    private readonly string? sni;

    public ProbingSmtpClient(SmtpConversation conversation, string? sni)
        : base(conversation)
    {
        this.sni = sni;
    }

    public List<SmtpRecipientResult> RecipientResults { get; } = [];

    public SmtpReply? SenderRejection { get; set; }

    protected override SslClientAuthenticationOptions GetSslClientAuthenticationOptions(string host, RemoteCertificateValidationCallback remoteCertificateValidationCallback)
    {
        SslClientAuthenticationOptions tls = base.GetSslClientAuthenticationOptions(host, remoteCertificateValidationCallback);

        // RFC 7672 §8.1 / RFC 8461 §5: SNI carries the name the certificate will be judged against
        // (the TLSA base name, the MX host name). No name: an empty TargetHost makes SslStream send
        // no server_name extension at all, which is what a probe without a reference name should do.
        tls.TargetHost = sni ?? string.Empty;

        // Every probe must see a full handshake and the whole chain as served: a resumed session
        // carries no Certificate message.
        tls.AllowTlsResume = false;

        // The chain SslStream builds before our callback must not reach the network (AIA fetches of
        // missing intermediates, OCSP/CRL): nothing may leave the machine that the probe did not ask
        // for, and a fetched intermediate would hide that the server failed to send it.
        tls.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;
        tls.CertificateChainPolicy = new X509ChainPolicy
        {
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };

        // Whatever the platform allows: a probe must see what the server negotiates.
        tls.EnabledSslProtocols = System.Security.Authentication.SslProtocols.None;
        return tls;
    }

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
        SenderRejection = new SmtpReply((int)response.StatusCode, [response.Response]);
        base.OnSenderNotAccepted(message, mailbox, response);
    }
}
