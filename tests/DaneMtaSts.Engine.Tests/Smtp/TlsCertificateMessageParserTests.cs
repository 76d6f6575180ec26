using CsCheck;
using DaneMtaSts.Engine.Smtp;
using DaneMtaSts.Engine.Tests.Fuzz;
using DaneMtaSts.Engine.Tests.Support;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Smtp;

/// <summary>
/// The served chain as recorded from the TLS ≤ 1.2 Certificate message (docs/smtp.md#served-chain):
/// records and handshake messages built by hand after RFC 5246 §6.2.1, §7.4 and §7.4.2.
/// </summary>
public sealed class TlsCertificateMessageParserTests(ITestOutputHelper output)
{
    private static readonly byte[] ServerHello = Handshake(2, [3, 3, .. new byte[32], 0, 0xC0, 0x2B, 0]);
    private static readonly byte[] ServerHelloDone = Handshake(14, []);

    private static byte[] Len24(int n) => [(byte)(n >> 16), (byte)(n >> 8), (byte)n];

    private static byte[] Handshake(byte type, byte[] body) => [type, .. Len24(body.Length), .. body];

    private static byte[] Record(byte type, byte[] body) => [type, 3, 3, (byte)(body.Length >> 8), (byte)body.Length, .. body];

    private static byte[] CertificateMessage(params byte[][] certificates)
    {
        byte[] list = [.. certificates.SelectMany(c => (byte[])[.. Len24(c.Length), .. c])];
        return Handshake(11, [.. Len24(list.Length), .. list]);
    }

    /// <summary>Cuts the handshake messages into handshake records of at most <paramref name="size"/> bytes.</summary>
    private static byte[] Records(byte[] messages, int size) =>
        [.. messages.Chunk(size).SelectMany(part => Record(22, part))];

    private static TlsCertificateMessageParser Parse(byte[] wire, int chunk = int.MaxValue)
    {
        var parser = new TlsCertificateMessageParser();
        foreach (byte[] part in wire.Chunk(Math.Min(chunk, Math.Max(1, wire.Length))))
        {
            parser.Feed(part);
        }

        return parser;
    }

    private static byte[] Der(byte tag) => [0x30, 3, tag, tag, tag];

    [Fact]
    public void Certificate_message_in_one_record_with_its_neighbours_gives_every_certificate_in_order()
    {
        byte[][] served = [Der(1), Der(9), Der(1), Der(5)];
        byte[] wire = Record(22, [.. ServerHello, .. CertificateMessage(served), .. ServerHelloDone]);

        TlsCertificateMessageParser parser = Parse(wire);

        Assert.Equal(TlsFlightStatus.CertificateFound, parser.Status);
        Assert.Equal(served, parser.Certificates);
        Assert.False(parser.WantsMore);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 7)]
    [InlineData(3, 1)]
    [InlineData(16384, 2)]
    public void Certificate_message_split_over_one_byte_records_and_fed_in_pieces_is_read_whole(int recordSize, int feedChunk)
    {
        byte[][] served = [Der(1), Der(2), Der(3)];
        byte[] wire = Records([.. ServerHello, .. CertificateMessage(served)], recordSize);

        TlsCertificateMessageParser parser = Parse(wire, feedChunk);

        Assert.Equal(TlsFlightStatus.CertificateFound, parser.Status);
        Assert.Equal(served, parser.Certificates);
    }

    [Fact]
    public void Truncated_flight_keeps_waiting_and_claims_nothing()
    {
        byte[] wire = Records([.. ServerHello, .. CertificateMessage(Der(1), Der(2))], 16384);

        TlsCertificateMessageParser parser = Parse(wire[..^3]);

        Assert.Equal(TlsFlightStatus.Reading, parser.Status);
        Assert.Empty(parser.Certificates);
    }

    [Fact]
    public void Bytes_after_the_certificate_message_change_nothing()
    {
        byte[][] served = [Der(1)];
        var parser = Parse(Records([.. ServerHello, .. CertificateMessage(served)], 100));
        parser.Feed(Record(21, [2, 40]));
        parser.Feed([0xFF, 0xFF, 0xFF]);

        Assert.Equal(TlsFlightStatus.CertificateFound, parser.Status);
        Assert.Equal(served, parser.Certificates);
    }

    [Theory]
    [InlineData(20, "Encrypted")]
    [InlineData(23, "Encrypted")]
    [InlineData(21, "Alert")]
    [InlineData(99, "Malformed")]
    public void A_non_handshake_record_before_the_certificate_ends_the_search(byte type, string expected)
    {
        // TLS 1.3: ServerHello in the clear, then ChangeCipherSpec (compatibility) or encrypted records.
        byte[] wire = [.. Record(22, ServerHello), .. Record(type, [1]), .. Records(CertificateMessage(Der(1)), 100)];

        TlsCertificateMessageParser parser = Parse(wire);

        Assert.Equal(expected, parser.Status.ToString());
        Assert.Empty(parser.Certificates);
        Assert.NotNull(parser.Problem);
    }

    [Fact]
    public void Smtp_text_instead_of_tls_is_malformed()
    {
        TlsCertificateMessageParser parser = Parse("220 mx.example ESMTP\r\n"u8.ToArray());

        Assert.Equal(TlsFlightStatus.Malformed, parser.Status);
    }

    [Fact]
    public void Record_longer_than_rfc_5246_allows_is_malformed()
    {
        TlsCertificateMessageParser parser = Parse([22, 3, 3, 0x48, 0x01, 1, 2, 3]);

        Assert.Equal(TlsFlightStatus.Malformed, parser.Status);
    }

    [Fact]
    public void Zero_length_handshake_record_is_malformed()
    {
        TlsCertificateMessageParser parser = Parse([.. Record(22, []), .. Records(CertificateMessage(Der(1)), 100)]);

        Assert.Equal(TlsFlightStatus.Malformed, parser.Status);
    }

    [Fact]
    public void Handshake_message_claiming_sixteen_mebibytes_is_refused_at_once()
    {
        TlsCertificateMessageParser parser = Parse(Record(22, [11, 0xFF, 0xFF, 0xFF, 0, 0]));

        Assert.Equal(TlsFlightStatus.TooLarge, parser.Status);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 9, 0, 0, 1, 7 })] // list length 9, only 4 bytes follow
    [InlineData(new byte[] { 0, 0, 3, 0, 0, 0 })] // a zero-length certificate
    [InlineData(new byte[] { 0, 0, 4, 0, 0, 5, 1 })] // a certificate longer than the message
    [InlineData(new byte[] { 0, 0, 2, 0, 0 })] // ends inside a certificate length
    [InlineData(new byte[] { 0, 0 })] // shorter than the list length
    public void Inconsistent_certificate_message_lengths_are_malformed(byte[] body)
    {
        TlsCertificateMessageParser parser = Parse(Record(22, Handshake(11, body)));

        Assert.Equal(TlsFlightStatus.Malformed, parser.Status);
        Assert.Empty(parser.Certificates);
    }

    [Fact]
    public void Empty_certificate_list_is_found_and_empty()
    {
        TlsCertificateMessageParser parser = Parse(Record(22, Handshake(11, [0, 0, 0])));

        Assert.Equal(TlsFlightStatus.CertificateFound, parser.Status);
        Assert.Empty(parser.Certificates);
    }

    [Fact]
    public void More_certificates_than_the_cap_are_refused()
    {
        byte[][] many = [.. Enumerable.Range(0, TlsCertificateMessageParser.MaxCertificates + 1).Select(i => Der((byte)i))];

        TlsCertificateMessageParser parser = Parse(Records(CertificateMessage(many), 16384));

        Assert.Equal(TlsFlightStatus.TooLarge, parser.Status);
        Assert.Empty(parser.Certificates);
    }

    [Fact]
    public void Exactly_the_cap_is_accepted()
    {
        byte[][] many = [.. Enumerable.Range(0, TlsCertificateMessageParser.MaxCertificates).Select(i => Der((byte)i))];

        TlsCertificateMessageParser parser = Parse(Records(CertificateMessage(many), 16384));

        Assert.Equal(TlsFlightStatus.CertificateFound, parser.Status);
        Assert.Equal(many, parser.Certificates);
    }

    [Fact]
    public void Nothing_beyond_the_recording_cap_is_looked_at()
    {
        // 20 handshake messages of 16 KiB of padding before the Certificate message: past 256 KiB.
        byte[] padding = [.. Enumerable.Range(0, 20).SelectMany(_ => Handshake(99, new byte[16000]))];
        byte[] wire = Records([.. padding, .. CertificateMessage(Der(1))], 16384);

        TlsCertificateMessageParser parser = Parse(wire, 4096);

        Assert.Equal(TlsFlightStatus.TooLarge, parser.Status);
        Assert.Empty(parser.Certificates);
    }

    [Fact]
    public void Any_certificate_list_in_any_record_split_and_feed_chunking_is_read_exactly()
    {
        var cases = new CaseCounter(output, "TLS Certificate message records");
        Gen<byte[]> certificate = Gen.Byte.Array[1, 400];
        Gen<byte[]> otherMessage = Gen.Select(Gen.Byte[0, 30].Where(t => t != 11), Gen.Byte.Array[0, 300], (t, body) => Handshake(t, body));
        Gen.Select(otherMessage.Array[0, 3], certificate.Array[0, 40], Gen.Int[1, 16384], Gen.Int[1, 5000]).Check((before, certificates, recordSize, feed) =>
        {
            cases.Sample();
            byte[] message = CertificateMessage(certificates);
            byte[] wire = Records([.. before.SelectMany(m => m), .. message, .. ServerHelloDone], recordSize);

            TlsCertificateMessageParser parser = FuzzRun.Timed(() => Parse(wire, feed));

            if (certificates.Length > TlsCertificateMessageParser.MaxCertificates)
            {
                cases.Hit("over the certificate cap");
                Assert.Equal(TlsFlightStatus.TooLarge, parser.Status);
                return;
            }

            Assert.Equal(TlsFlightStatus.CertificateFound, parser.Status);
            Assert.Equal(certificates, parser.Certificates);
            if (message.Length > recordSize)
            {
                cases.Hit("message fragmented across records");
            }

            if (recordSize > message.Length + 4 && before.Length > 0)
            {
                cases.Hit("several messages in one record");
            }
        }, output, "TLS Certificate message records", iterations: 500);
        cases.AssertReached(20, "over the certificate cap", "message fragmented across records", "several messages in one record");
    }

    [Fact]
    public void Mutated_and_truncated_flights_never_throw_and_stay_bounded()
    {
        var cases = new CaseCounter(output, "TLS Certificate message mutations");
        Gen<byte[]> certificate = Gen.Byte.Array[1, 200];
        Gen.Select(certificate.Array[1, 8], Gen.Int[1, 600], Gen.Frequency((1, Gen.Const(0)), (3, Gen.Int[1, 20])), Gen.Int, Gen.Int[1, 50]).Check((certificates, recordSize, flips, seed, feed) =>
        {
            cases.Sample();
            byte[] wire = Records([.. ServerHello, .. CertificateMessage(certificates)], recordSize);
            var random = new Random(seed);
            for (int i = 0; i < flips; i++)
            {
                wire[random.Next(wire.Length)] = (byte)random.Next(256);
            }

            if (random.Next(2) == 0)
            {
                wire = wire[..random.Next(wire.Length + 1)];
            }

            TlsCertificateMessageParser parser = FuzzRun.Timed(() => Parse(wire, feed));

            Assert.InRange(parser.Certificates.Count, 0, TlsCertificateMessageParser.MaxCertificates);
            Assert.Equal(parser.Status == TlsFlightStatus.Reading, parser.WantsMore);
            Assert.True(parser.Status is TlsFlightStatus.CertificateFound == parser.Problem is null || parser.Status == TlsFlightStatus.Reading);
            cases.Hit(parser.Status.ToString());
        }, output, "TLS Certificate message mutations", iterations: 2000);
        cases.AssertReached(10, nameof(TlsFlightStatus.Reading), nameof(TlsFlightStatus.Malformed), nameof(TlsFlightStatus.CertificateFound));
    }
}
