using System.Globalization;
using System.Text;
using MailKit;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>Where the client is in the dialogue; decides which timeout runs and how a failure is worded.</summary>
internal enum SmtpPhase
{
    Connect,
    Banner,
    Ehlo,
    StartTls,
    Handshake,
    EhloAfterTls,
    Command,
    MessageBody,
    Quit,
}

/// <summary>
/// Sees every byte MailKit writes and reads (MailKit calls it as its protocol logger) and turns it
/// into a transcript of complete replies. That is how the probe knows the banner, the EHLO keywords
/// and the STARTTLS reply verbatim, and in which phase a failure happened: MailKit performs banner,
/// EHLO, STARTTLS, handshake and the second EHLO inside one ConnectAsync call, so each phase change
/// observed here re-arms the phase's own timeout on <see cref="Clock"/> (CancelAfter resets the timer).
/// </summary>
internal sealed class SmtpConversation : IProtocolLogger
{
    private const int MaxTranscriptLines = 400;
    private const int MaxLineChars = 512;

    private readonly SmtpProbeOptions options;
    private readonly List<string> transcript = [];
    private readonly List<byte> serverLine = [];
    private readonly List<byte> clientLine = [];
    private readonly List<string> replyLines = [];
    private readonly Queue<string> awaitingReply = new();
    private long binaryBytesToSkip;
    private bool tlsRequested;
    private int transcriptDropped;

    public SmtpConversation(SmtpProbeOptions options)
    {
        this.options = options;
        awaitingReply.Enqueue("BANNER");
    }

    public IAuthenticationSecretDetector? AuthenticationSecretDetector { get; set; }

    /// <summary>The timer of the running operation; null between operations (an open session idles without a clock).</summary>
    public CancellationTokenSource? Clock { get; set; }

    public SmtpPhase Phase { get; private set; } = SmtpPhase.Connect;

    /// <summary>The timeout armed for <see cref="Phase"/>.</summary>
    public TimeSpan PhaseTimeout { get; private set; }

    public SmtpReply? Banner { get; private set; }

    public SmtpReply? FirstEhloReply { get; private set; }

    public SmtpReply? EhloAfterTlsReply { get; private set; }

    public SmtpReply? StartTlsReply { get; private set; }

    public SmtpReply? LastReply { get; private set; }

    /// <summary>The verb of the command <see cref="LastReply"/> answered ("BANNER" for the greeting).</summary>
    public string? LastReplyTo { get; private set; }

    /// <summary>A server line that was not an SMTP reply (the server speaks something else).</summary>
    public string? NonSmtpLine { get; private set; }

    /// <summary>True once the client wrote its first command over TLS: the handshake completed.</summary>
    public bool HandshakeCompleted { get; private set; }

    /// <summary>Raised once, when the first command goes over TLS.</summary>
    public event Action? TlsCommandStarted;

    public IReadOnlyList<string> Transcript
    {
        get
        {
            if (transcriptDropped == 0)
            {
                return transcript.ToArray();
            }

            return [.. transcript, $"-- {transcriptDropped} further lines not kept"];
        }
    }

    /// <summary>Moves to <paramref name="phase"/> and re-arms the clock with that phase's timeout.</summary>
    public void Enter(SmtpPhase phase)
    {
        Phase = phase;
        PhaseTimeout = phase switch
        {
            SmtpPhase.Connect => options.ConnectTimeout,
            SmtpPhase.Handshake => options.HandshakeTimeout,
            _ => options.CommandTimeout,
        };
        Clock?.CancelAfter(PhaseTimeout);
    }

    public void Note(string text) => Add("-- " + text);

    public void LogConnect(Uri uri) => Note($"connected (MailKit sees {uri})");

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

    /// <summary>The first words of the EHLO lines after the greeting line (RFC 5321 §4.1.1.1), upper-case.</summary>
    public static IReadOnlyList<string> Keywords(SmtpReply? ehlo)
    {
        if (ehlo is null || !ehlo.IsPositive || ehlo.Lines.Count < 2)
        {
            return [];
        }

        return ehlo.Lines.Skip(1)
            .Select(l => l.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "")
            .Where(k => k.Length > 0)
            .Select(k => k.ToUpperInvariant())
            .ToArray();
    }

    public void Dispose()
    {
    }

    private static string Decode(List<byte> bytes)
    {
        string line = Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r', '\n');
        return line.Length > MaxLineChars ? line[..MaxLineChars] + "…" : line;
    }

    private void ClientLineComplete(string line)
    {
        if (Phase == SmtpPhase.MessageBody)
        {
            if (line == ".")
            {
                Add("C: .");
                awaitingReply.Enqueue("DATA-END");
                Enter(SmtpPhase.Command);
            }

            return;
        }

        string verb = line.Split(' ', 2)[0].ToUpperInvariant();
        Add("C: " + line);
        awaitingReply.Enqueue(verb);
        if (tlsRequested && !HandshakeCompleted)
        {
            // Nothing is written after "220" to STARTTLS until the handshake is done.
            HandshakeCompleted = true;
            options.Counters?.CountHandshakeCompleted();
            Note("TLS handshake completed");
            TlsCommandStarted?.Invoke();
        }

        switch (verb)
        {
            case "EHLO" or "HELO":
                Enter(HandshakeCompleted ? SmtpPhase.EhloAfterTls : SmtpPhase.Ehlo);
                break;
            case "STARTTLS":
                Enter(SmtpPhase.StartTls);
                break;
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
        Add("S: " + line);

        // RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
        bool isReplyLine = line.Length >= 3 && char.IsAsciiDigit(line[0]) && char.IsAsciiDigit(line[1]) && char.IsAsciiDigit(line[2])
            && (line.Length == 3 || line[3] is ' ' or '-');
        if (!isReplyLine)
        {
            NonSmtpLine ??= line;
            return;
        }

        replyLines.Add(line.Length > 4 ? line[4..] : "");
        if (line.Length > 3 && line[3] == '-')
        {
            return;
        }

        var reply = new SmtpReply(int.Parse(line.AsSpan(0, 3), CultureInfo.InvariantCulture), replyLines.ToArray());
        replyLines.Clear();
        string answered = awaitingReply.Count > 0 ? awaitingReply.Dequeue() : "UNSOLICITED";
        LastReply = reply;
        LastReplyTo = answered;
        switch (answered)
        {
            case "BANNER":
                Banner = reply;
                break;
            case "EHLO" or "HELO" when HandshakeCompleted:
                EhloAfterTlsReply ??= reply;
                break;
            case "EHLO":
                FirstEhloReply ??= reply;
                break;
            case "STARTTLS":
                StartTlsReply = reply;
                if (reply.Code == 220)
                {
                    // RFC 3207 §4: after 220 the client starts the TLS negotiation at once.
                    tlsRequested = true;
                    options.Counters?.CountHandshakeStarted();
                    Enter(SmtpPhase.Handshake);
                }

                break;
            case "DATA" when reply.Code == 354:
                Enter(SmtpPhase.MessageBody);
                break;
        }
    }

    private void Add(string line)
    {
        if (transcript.Count < MaxTranscriptLines)
        {
            transcript.Add(line);
        }
        else
        {
            transcriptDropped++;
        }
    }
}
