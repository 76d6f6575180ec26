using System.Diagnostics;
using System.Net;
using MailKit;
using MailKit.Net.Smtp;
using MimeKit;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>
/// An SMTP connection kept open after the probe so that Validate-OutboundConnector can judge the
/// captured certificate and then send its test message over that same TLS session: the message
/// goes to exactly the server whose certificate was judged, never over a second connection.
/// </summary>
public sealed class SmtpSession : IAsyncDisposable
{
    private readonly SmtpConnection connection;
    private readonly bool requireTls;
    private readonly string? notReady;

    private SmtpSession(SmtpConnection connection, bool requireTls, string? notReady)
    {
        this.connection = connection;
        this.requireTls = requireTls;
        this.notReady = notReady;
    }

    /// <summary>What the probe of this connection saw (judge <see cref="SmtpProbeResult.ServedChain"/> before sending).</summary>
    public SmtpProbeResult Probe => connection.Result;

    /// <summary>True when a message can be sent: connected, and over TLS when TLS was required.</summary>
    public bool IsOpen => notReady is null && connection.IsOpen;

    /// <summary>
    /// Connects and probes as <see cref="SmtpProber.ProbeAsync"/> does, but keeps the connection.
    /// With <paramref name="requireTls"/> a server that offers no STARTTLS is left at once (QUIT)
    /// and the session is not open. Never throws for network faults: check <see cref="IsOpen"/>
    /// and <see cref="Probe"/>.
    /// </summary>
    public static async Task<SmtpSession> OpenAsync(IPAddress address, string hostName, string? sni, SmtpProbeOptions options, bool requireTls, CancellationToken cancellationToken)
    {
        SmtpConnection connection = await SmtpConnection.OpenAsync(address, hostName, sni, options, cancellationToken);
        string? notReady = null;
        if (!connection.IsOpen)
        {
            notReady = connection.Result.Failure ?? "the connection is closed";
        }
        else if (requireTls && !connection.Result.TlsEstablished)
        {
            // Fail closed (RFC 7672 §2.2, RFC 8461 §5): never fall back to plaintext when TLS is required.
            notReady = "TLS is required and the server offers no STARTTLS";
            await connection.DisposeAsync();
        }

        return new SmtpSession(connection, requireTls, notReady);
    }

    /// <summary>
    /// Sends <paramref name="message"/> (envelope from its From/Sender and To/Cc/Bcc) over this
    /// session. Recipients refused with 4xx/5xx are reported per recipient; a refused sender, DATA or
    /// a network fault is reported in the result, not thrown.
    /// </summary>
    /// <exception cref="InvalidOperationException">The session is not open (see <see cref="IsOpen"/>).</exception>
    public async Task<SmtpSendResult> SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!IsOpen)
        {
            throw new InvalidOperationException("The SMTP session is not open: " + (notReady ?? "it was closed") + ".");
        }

        if (requireTls && !connection.Result.TlsEstablished)
        {
            throw new InvalidOperationException("The SMTP session is not protected by TLS.");
        }

        var stopwatch = Stopwatch.StartNew();
        int transcriptStart = connection.Transcript.Count;
        ProbingSmtpClient? client = null;
        string? messageId = message.MessageId;
        try
        {
            (client, _) = await connection.TakeOverAsync(cancellationToken);
            transcriptStart = connection.Transcript.Count;
            client.RecipientResults.Clear();
            client.SenderRejection = null;
            ProbingSmtpClient sender = client;
            // The final reply from MailKit's typed API, never from its protocol log: SendAsync returns
            // the server's text once the message was accepted, which MailKit does only on 250 to the
            // end of DATA (anything else is an SmtpCommandException carrying its code).
            string finalText = await connection.WithClockAsync(token => sender.SendAsync(message, token), cancellationToken);
            SmtpReply final = SmtpReply.FromMailKit((int)SmtpStatusCode.Ok, finalText);
            connection.Options.Counters?.CountMessageSent();
            return new SmtpSendResult
            {
                Accepted = true,
                ReplyCode = final.Code,
                ReplyText = final.Text,
                Recipients = client.RecipientResults.ToArray(),
                MessageId = messageId,
                Transcript = connection.Transcript.Skip(transcriptStart).ToArray(),
                Elapsed = stopwatch.Elapsed,
            };
        }
        catch (Exception ex) when (ex is not ArgumentException && ex is not InvalidOperationException || ex is ServiceNotConnectedException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // The refusing reply as MailKit's API gives it: the sender's rejection, or the command
            // exception's code and text.
            SmtpReply? reply = client?.SenderRejection
                ?? (ex is SmtpCommandException command ? SmtpReply.FromMailKit((int)command.StatusCode, command.Message) : null);
            IReadOnlyList<SmtpRecipientResult> recipients = client?.RecipientResults.ToArray() ?? [];
            string failure = ex switch
            {
                OperationCanceledException => $"no reply within {SmtpConnection.Seconds(connection.Options.CommandTimeout)}",
                SmtpCommandException { ErrorCode: SmtpErrorCode.SenderNotAccepted } => $"MAIL FROM answered {reply}",
                SmtpCommandException { ErrorCode: SmtpErrorCode.MessageNotAccepted } when recipients.Count > 0 && recipients.All(r => !r.Accepted) => "no recipient was accepted",
                SmtpCommandException { ErrorCode: SmtpErrorCode.MessageNotAccepted } => $"the message was refused: {reply}",
                SmtpCommandException => $"the server answered {reply}",
                _ => "the connection failed while sending: " + ex.Message,
            };
            bool permanent = ex is SmtpCommandException && reply?.IsPermanent == true
                || recipients.Count > 0 && recipients.All(r => !r.Accepted && r.ReplyCode >= 500);
            return new SmtpSendResult
            {
                Accepted = false,
                ReplyCode = reply?.Code,
                ReplyText = reply?.Text,
                Recipients = recipients,
                MessageId = messageId,
                Failure = failure,
                PermanentFailure = permanent,
                Transcript = connection.Transcript.Skip(transcriptStart).ToArray(),
                Elapsed = stopwatch.Elapsed,
            };
        }
    }

    /// <summary>Says QUIT and closes the connection.</summary>
    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
