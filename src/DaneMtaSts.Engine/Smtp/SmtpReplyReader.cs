using System.Globalization;
using System.Text;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>Why <see cref="SmtpReplyReader"/> returned no reply.</summary>
internal enum SmtpReplyFault
{
    None,

    /// <summary>The server closed the connection before the reply was complete.</summary>
    Closed,

    /// <summary>A line that is not an RFC 5321 §4.2 reply line.</summary>
    NotSmtp,

    /// <summary>The lines of a multi-line reply carry different codes (RFC 5321 §4.2.1).</summary>
    InconsistentCodes,

    /// <summary>A line longer than <see cref="SmtpReplyReader.MaxLineBytes"/>.</summary>
    LineTooLong,

    /// <summary>More than <see cref="SmtpReplyReader.MaxLinesPerReply"/> lines.</summary>
    TooManyLines,

    /// <summary>More than <see cref="SmtpReplyReader.MaxReplyBytes"/> bytes.</summary>
    TooLarge,
}

/// <summary>One reply, or why there is none.</summary>
internal readonly record struct SmtpReplyRead(SmtpReply? Reply, SmtpReplyFault Fault, string? Line)
{
    /// <summary>The lines the server sent for this reply so far (for the transcript), verbatim up to the fault.</summary>
    public IReadOnlyList<string> RawLines { get; init; } = [];
}

/// <summary>
/// Reads SMTP replies (RFC 5321 §4.2) from the probe's stream with hard bounds (docs/smtp.md#reply-bounds):
/// a line of at most <see cref="MaxLineBytes"/>, at most <see cref="MaxLinesPerReply"/> lines and
/// <see cref="MaxReplyBytes"/> bytes per reply. It never extends a deadline: the caller's token runs
/// per phase, so a server dribbling one byte a second is cut off at the phase's timeout like a silent one.
/// </summary>
internal sealed class SmtpReplyReader
{
    /// <summary>RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; real servers exceed it a little, never this much.</summary>
    public const int MaxLineBytes = 2048;

    public const int MaxLinesPerReply = 128;

    public const int MaxReplyBytes = 32 * 1024;

    private readonly Stream stream;
    private readonly byte[] buffer = new byte[MaxLineBytes + 2048];
    private int start;
    private int end;

    public SmtpReplyReader(Stream stream)
    {
        this.stream = stream;
    }

    /// <summary>Bytes the server sent that no reply has consumed yet.</summary>
    public int Buffered => end - start;

    /// <summary>
    /// Reads one complete reply. Throws <see cref="OperationCanceledException"/> for the token and
    /// the stream's own exceptions (IOException, SocketException) for a broken connection.
    /// </summary>
    public async Task<SmtpReplyRead> ReadAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var raw = new List<string>();
        int code = -1;
        int total = 0;
        while (true)
        {
            (string? line, SmtpReplyFault fault, int length) = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (fault != SmtpReplyFault.None)
            {
                return new SmtpReplyRead(null, fault, null) { RawLines = raw };
            }

            raw.Add(line!);
            total += length;
            if (total > MaxReplyBytes)
            {
                return new SmtpReplyRead(null, SmtpReplyFault.TooLarge, null) { RawLines = raw };
            }

            // Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
            bool replyLine = line!.Length >= 3 && char.IsAsciiDigit(line[0]) && char.IsAsciiDigit(line[1]) && char.IsAsciiDigit(line[2])
                && (line.Length == 3 || line[3] is ' ' or '-');
            if (!replyLine)
            {
                return new SmtpReplyRead(null, SmtpReplyFault.NotSmtp, line) { RawLines = raw };
            }

            int lineCode = int.Parse(line.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture);
            if (code >= 0 && lineCode != code)
            {
                return new SmtpReplyRead(null, SmtpReplyFault.InconsistentCodes, line) { RawLines = raw };
            }

            code = lineCode;
            lines.Add(line.Length > 4 ? line[4..] : "");
            if (line.Length <= 3 || line[3] == ' ')
            {
                return new SmtpReplyRead(new SmtpReply(code, lines), SmtpReplyFault.None, null) { RawLines = raw };
            }

            if (lines.Count >= MaxLinesPerReply)
            {
                return new SmtpReplyRead(null, SmtpReplyFault.TooManyLines, null) { RawLines = raw };
            }
        }
    }

    private async Task<(string? Line, SmtpReplyFault Fault, int Length)> ReadLineAsync(CancellationToken cancellationToken)
    {
        int scanned = 0;
        while (true)
        {
            int newline = Array.IndexOf(buffer, (byte)'\n', start + scanned, end - start - scanned);
            if (newline >= 0)
            {
                int length = newline - start + 1;
                if (length > MaxLineBytes)
                {
                    return (null, SmtpReplyFault.LineTooLong, length);
                }

                int textEnd = newline > start && buffer[newline - 1] == (byte)'\r' ? newline - 1 : newline;
                string line = Encoding.UTF8.GetString(buffer, start, textEnd - start);
                start = newline + 1;
                return (line, SmtpReplyFault.None, length);
            }

            scanned = end - start;
            if (scanned >= MaxLineBytes)
            {
                // Without waiting for the rest: a line this long is a fault however it ends.
                return (null, SmtpReplyFault.LineTooLong, scanned);
            }

            if (end == buffer.Length)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }

            int read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return (null, SmtpReplyFault.Closed, 0);
            }

            end += read;
        }
    }
}
