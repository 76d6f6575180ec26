using System.Text;

namespace DaneMtaSts.Engine.Smtp;

/// <summary>
/// Lets MailKit take over a dialogue the probe driver already opened (docs/smtp.md#sending):
/// MailKit can only start a session by reading a greeting, so its first reads return the banner the
/// server sent at the start of this connection, then everything comes from the live stream (over TLS
/// when it was established). Writes go straight to the live stream.
/// </summary>
internal sealed class BannerReplayStream : DelegatingStream
{
    private readonly byte[] replay;
    private int replayed;

    public BannerReplayStream(Stream live, SmtpReply banner)
        : base(live)
    {
        var text = new StringBuilder();
        for (int i = 0; i < banner.Lines.Count; i++)
        {
            string separator = i == banner.Lines.Count - 1 ? " " : "-";
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{banner.Code}{separator}{banner.Lines[i]}\r\n");
        }

        if (banner.Lines.Count == 0)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{banner.Code}\r\n");
        }

        replay = Encoding.UTF8.GetBytes(text.ToString());
    }

    public override int Read(Span<byte> buffer) => TryReplay(buffer) is int n ? n : Inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        TryReplay(buffer.Span) is int n ? ValueTask.FromResult(n) : Inner.ReadAsync(buffer, cancellationToken);

    private int? TryReplay(Span<byte> buffer)
    {
        if (replayed >= replay.Length || buffer.IsEmpty)
        {
            return null;
        }

        int n = Math.Min(buffer.Length, replay.Length - replayed);
        replay.AsSpan(replayed, n).CopyTo(buffer);
        replayed += n;
        return n;
    }
}
