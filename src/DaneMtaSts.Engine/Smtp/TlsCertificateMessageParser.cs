namespace DaneMtaSts.Engine.Smtp;

/// <summary>Where <see cref="SmtpProbeResult.ServedChain"/> came from (docs/smtp.md#served-chain).</summary>
public enum ServedChainSource
{
    /// <summary>No chain was captured (no TLS).</summary>
    None,

    /// <summary>
    /// Read from the server's Certificate handshake message as it crossed the wire (TLS 1.2 and
    /// below send it in the clear): every certificate in the order sent, duplicates and padding kept.
    /// </summary>
    HandshakeRecord,

    /// <summary>
    /// From the TLS stack's certificate callback (the leaf and <c>ChainPolicy.ExtraStore</c>): TLS 1.3
    /// encrypts the Certificate message. On .NET for Linux this is OpenSSL's peer chain, in the order sent.
    /// </summary>
    PlatformCallback,
}

/// <summary>How far <see cref="TlsCertificateMessageParser"/> got.</summary>
internal enum TlsFlightStatus
{
    /// <summary>Still waiting for the Certificate message.</summary>
    Reading,

    /// <summary>The Certificate message was read whole; <see cref="TlsCertificateMessageParser.Certificates"/> holds it.</summary>
    CertificateFound,

    /// <summary>The records turned encrypted (ChangeCipherSpec or application data: TLS 1.3) before any Certificate message.</summary>
    Encrypted,

    /// <summary>An alert came before the Certificate message: the server ended the handshake.</summary>
    Alert,

    /// <summary>The bytes are not TLS records as RFC 5246 §6.2 defines them.</summary>
    Malformed,

    /// <summary>More than <see cref="TlsCertificateMessageParser.MaxRecordedBytes"/> bytes, or more than <see cref="TlsCertificateMessageParser.MaxCertificates"/> certificates.</summary>
    TooLarge,
}

/// <summary>
/// Reads the server's side of a TLS handshake, byte chunk by byte chunk as it arrives, and picks out
/// the Certificate handshake message (RFC 5246 §7.4.2): the served chain exactly as sent, for
/// docs/smtp.md#served-chain. Records (RFC 5246 §6.2.1: type, version, 2-byte length) carry
/// handshake messages (§7.4: type, 3-byte length); a message may span several records and a record
/// may carry several messages. Bounded: it keeps at most <see cref="MaxRecordedBytes"/> bytes and
/// <see cref="MaxCertificates"/> certificates, and stops at the first encrypted or alert record.
/// Never throws for what it is fed.
/// </summary>
internal sealed class TlsCertificateMessageParser
{
    /// <summary>The most server bytes looked at; a Certificate message must end within them.</summary>
    public const int MaxRecordedBytes = 256 * 1024;

    /// <summary>The most certificates one Certificate message may hold.</summary>
    public const int MaxCertificates = 32;

    // RFC 5246 §6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes.
    private const int MaxRecordLength = (1 << 14) + 2048;

    private const byte ChangeCipherSpec = 20;
    private const byte AlertRecord = 21;
    private const byte HandshakeRecord = 22;
    private const byte ApplicationData = 23;
    private const byte CertificateMessage = 11;

    private readonly byte[] header = new byte[5];
    private byte[] messages = new byte[4096];
    private int messageBytes;
    private int headerFill;
    private int recordRemaining;
    private long fed;

    public TlsFlightStatus Status { get; private set; } = TlsFlightStatus.Reading;

    /// <summary>The DER of every certificate of the Certificate message, in the order sent (empty until <see cref="TlsFlightStatus.CertificateFound"/>).</summary>
    public IReadOnlyList<byte[]> Certificates { get; private set; } = [];

    /// <summary>What went wrong, for the transcript (null while reading or when found).</summary>
    public string? Problem { get; private set; }

    /// <summary>True while more bytes may still change the outcome.</summary>
    public bool WantsMore => Status == TlsFlightStatus.Reading;

    /// <summary>Takes the next bytes the server sent.</summary>
    public void Feed(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty && Status == TlsFlightStatus.Reading)
        {
            if (fed >= MaxRecordedBytes)
            {
                Stop(TlsFlightStatus.TooLarge, $"no Certificate message within the first {MaxRecordedBytes} bytes");
                return;
            }

            int room = (int)Math.Min(data.Length, MaxRecordedBytes - fed);
            int used = headerFill < header.Length ? TakeHeader(data[..room]) : TakeBody(data[..room]);
            fed += used;
            data = data[used..];
        }
    }

    private int TakeHeader(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(header.Length - headerFill, data.Length);
        data[..n].CopyTo(header.AsSpan(headerFill));
        headerFill += n;
        if (headerFill < header.Length)
        {
            return n;
        }

        byte type = header[0];
        int length = (header[3] << 8) | header[4];
        if (header[1] != 3)
        {
            Stop(TlsFlightStatus.Malformed, $"a record with version {header[1]}.{header[2]} (not TLS)");
        }
        else if (length > MaxRecordLength)
        {
            Stop(TlsFlightStatus.Malformed, $"a record of {length} bytes (RFC 5246 allows at most {MaxRecordLength})");
        }
        else if (type is ChangeCipherSpec or ApplicationData)
        {
            Stop(TlsFlightStatus.Encrypted, "the handshake turned encrypted before a Certificate message");
        }
        else if (type == AlertRecord)
        {
            Stop(TlsFlightStatus.Alert, "the server sent an alert before its Certificate message");
        }
        else if (type != HandshakeRecord)
        {
            Stop(TlsFlightStatus.Malformed, $"a record of unknown content type {type}");
        }
        else if (length == 0)
        {
            // RFC 5246 §6.2.1: zero-length fragments of handshake records MUST NOT be sent.
            Stop(TlsFlightStatus.Malformed, "a zero-length handshake record");
        }

        recordRemaining = length;
        return n;
    }

    private int TakeBody(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(recordRemaining, data.Length);
        if (messageBytes + n > messages.Length)
        {
            // Never beyond MaxRecordedBytes: fed bytes are capped, and only fed bytes land here.
            Array.Resize(ref messages, Math.Min(Math.Max(messages.Length * 2, messageBytes + n), MaxRecordedBytes));
        }

        data[..n].CopyTo(messages.AsSpan(messageBytes));
        messageBytes += n;
        recordRemaining -= n;
        if (recordRemaining == 0)
        {
            headerFill = 0;
        }

        ReadMessages();
        return n;
    }

    private void ReadMessages()
    {
        int offset = 0;
        while (Status == TlsFlightStatus.Reading && messageBytes - offset >= 4)
        {
            byte type = messages[offset];
            int length = (messages[offset + 1] << 16) | (messages[offset + 2] << 8) | messages[offset + 3];
            if (length > MaxRecordedBytes)
            {
                Stop(TlsFlightStatus.TooLarge, $"a handshake message of {length} bytes");
                return;
            }

            if (messageBytes - offset - 4 < length)
            {
                break;
            }

            if (type == CertificateMessage)
            {
                ReadCertificateMessage(messages.AsSpan(offset + 4, length));
                return;
            }

            // ServerHello, HelloRequest and the like: not what is looked for.
            offset += 4 + length;
        }

        if (offset > 0)
        {
            messages.AsSpan(offset, messageBytes - offset).CopyTo(messages);
            messageBytes -= offset;
        }
    }

    private void ReadCertificateMessage(ReadOnlySpan<byte> body)
    {
        // RFC 5246 §7.4.2: opaque ASN.1Cert<1..2^24-1>; ASN.1Cert certificate_list<0..2^24-1>.
        if (body.Length < 3 || Length24(body) != body.Length - 3)
        {
            Stop(TlsFlightStatus.Malformed, "a Certificate message whose list length does not match its size");
            return;
        }

        var certificates = new List<byte[]>();
        ReadOnlySpan<byte> list = body[3..];
        while (!list.IsEmpty)
        {
            if (list.Length < 3)
            {
                Stop(TlsFlightStatus.Malformed, "a Certificate message ending inside a certificate length");
                return;
            }

            int length = Length24(list);
            if (length == 0 || length > list.Length - 3)
            {
                Stop(TlsFlightStatus.Malformed, length == 0 ? "an empty certificate in the Certificate message" : "a certificate longer than its Certificate message");
                return;
            }

            if (certificates.Count == MaxCertificates)
            {
                Stop(TlsFlightStatus.TooLarge, $"more than {MaxCertificates} certificates in the Certificate message");
                return;
            }

            certificates.Add(list.Slice(3, length).ToArray());
            list = list[(3 + length)..];
        }

        Certificates = certificates;
        Status = TlsFlightStatus.CertificateFound;
        messages = [];
        messageBytes = 0;
    }

    private static int Length24(ReadOnlySpan<byte> b) => (b[0] << 16) | (b[1] << 8) | b[2];

    private void Stop(TlsFlightStatus status, string problem)
    {
        Status = status;
        Problem = problem;
        messages = [];
        messageBytes = 0;
    }
}
