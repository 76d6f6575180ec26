using System.Globalization;
using System.Text;
using MailKit;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>Where MailKit is in sending a test message; decides which timeout runs.</summary>
internal enum SmtpPhase
{
    Command,
    MessageBody,
    Quit,
}

/// <summary>
/// The sending path's view of MailKit (docs/smtp.md#sending): MailKit calls it as its protocol
/// logger while it sends a test message over a connection the probe driver opened. It writes the
/// shared transcript and restarts the command clock as the body goes out. The send result's replies
/// come from MailKit's typed API (SendAsync's return, SmtpCommandException, the sender/recipient
/// callbacks), not from here. No probe fact comes from here: the probe's facts are the
/// driver's (<see cref="SmtpConnection"/>).
/// </summary>
internal sealed class SmtpConversation : IProtocolLogger
{
    private readonly SmtpProbeOptions options;
    private readonly SmtpTranscript transcript;
    private readonly List<byte> serverLine = [];
    private readonly List<byte> clientLine = [];
    private readonly List<string> replyLines = [];
    private long binaryBytesToSkip;

    public SmtpConversation(SmtpProbeOptions options, SmtpTranscript transcript)
    {
        this.options = options;
        this.transcript = transcript;
    }

    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    /// <summary>The timer of the running operation; null between operations (an open session idles without a clock).</summary>
    public CancellationTokenSource? Clock { get; set; }

    public SmtpPhase Phase { get; private set; } = SmtpPhase.Command;

    /// <summary>The timeout armed for <see cref="Phase"/>.</summary>
    public TimeSpan PhaseTimeout { get; private set; }

    public IReadOnlyList<string> Transcript => transcript.Lines;

    /// <summary>Moves to <paramref name="phase"/> and re-arms the clock with the command timeout.</summary>
    public void Enter(SmtpPhase phase)
    {
        Phase = phase;
        PhaseTimeout = options.CommandTimeout;
        Clock?.CancelAfter(PhaseTimeout);
    }

    public void LogConnect(Uri uri) => transcript.Note($"MailKit sees {uri}");

    public void LogClient(byte[] buffer, int offset, int count)
    {
        for (int i = offset; i < offset + count; i++)
        {
            if (binaryBytesToSkip > 0)
            {
                // BDAT chunk data (RFC 3030): raw octets, not lines.
                binaryBytesToSkip--;
                continue;
            }

            clientLine.Add(buffer[i]);
            if (buffer[i] == (byte)'\n')
            {
                ClientLineComplete(Decode(clientLine));
                clientLine.Clear();
            }
        }

        if (Phase == SmtpPhase.MessageBody)
        {
            // The body is written in chunks; each chunk is progress, so the clock restarts.
            Clock?.CancelAfter(PhaseTimeout);
        }
    }

    public void LogServer(byte[] buffer, int offset, int count)
    {
        for (int i = offset; i < offset + count; i++)
        {
            serverLine.Add(buffer[i]);
            if (buffer[i] == (byte)'\n' || serverLine.Count > 4096)
            {
                ServerLineComplete(Decode(serverLine));
                serverLine.Clear();
            }
        }
    }

    public void Dispose()
    {
    }

    private static string Decode(List<byte> bytes) => Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r', '\n');

    private void ClientLineComplete(string line)
    {
        if (Phase == SmtpPhase.MessageBody)
        {
            if (line == ".")
            {
                transcript.Client(".");
                Enter(SmtpPhase.Command);
            }

            return;
        }

        string verb = line.Split(' ', 2)[0].ToUpperInvariant();
        transcript.Client(line);
        switch (verb)
        {
            case "QUIT":
                Enter(SmtpPhase.Quit);
                break;
            case "BDAT":
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length > 1 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long size))
                {
                    binaryBytesToSkip = size;
                }

                Enter(SmtpPhase.Command);
                break;
            default:
                Enter(SmtpPhase.Command);
                break;
        }
    }

    private void ServerLineComplete(string line)
    {
        transcript.Server(line);

        // RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
        bool isReplyLine = line.Length >= 3 && char.IsAsciiDigit(line[0]) && char.IsAsciiDigit(line[1]) && char.IsAsciiDigit(line[2])
            && (line.Length == 3 || line[3] is ' ' or '-');
        if (!isReplyLine)
        {
            return;
        }

        replyLines.Add(line.Length > 4 ? line[4..] : "");
        if (line.Length > 3 && line[3] == '-')
        {
            return;
        }

        var reply = new SmtpReply(int.Parse(line.AsSpan(0, 3), CultureInfo.InvariantCulture), replyLines.ToArray());
        replyLines.Clear();
        if (reply.Code == 354)
        {
            Enter(SmtpPhase.MessageBody);
        }
    }
}
