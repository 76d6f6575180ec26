namespace DaneMtaSts.Engine.Smtp;

/// <summary>
/// Sits under <see cref="System.Net.Security.SslStream"/> and shows every byte the server sends to a
/// <see cref="TlsCertificateMessageParser"/> until the parser has what it wants (docs/smtp.md#served-chain).
/// Writes pass through untouched.
/// </summary>
internal sealed class RecordingStream : DelegatingStream
{
    public RecordingStream(Stream inner, TlsCertificateMessageParser parser)
        : base(inner)
    {
        Parser = parser;
    }

    public TlsCertificateMessageParser Parser { get; }

    public override int Read(Span<byte> buffer)
    {
        int read = Inner.Read(buffer);
        Record(buffer[..read]);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Record(buffer.Span[..read]);
        return read;
    }

    private void Record(ReadOnlySpan<byte> bytes)
    {
        if (Parser.WantsMore && !bytes.IsEmpty)
        {
            Parser.Feed(bytes);
        }
    }
}
