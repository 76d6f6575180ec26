// Fuzzes the probe's bounded SMTP reply reader (Smtp/SmtpReplyReader, docs/smtp.md#reply-bounds):
// random bytes (invalid UTF-8, NUL, bare CR, lines over the 2048-byte bound, replies of hundreds of
// lines) delivered in random chunk sizes, and well-formed banner + multi-line EHLO replies
// (RFC 5321 §4.2) chunked the same way. Properties: never throws; each read consumes at most the
// reply bound plus one buffer; a reply code is three digits and a reply has at most the line bound;
// a well-formed dialogue is read with exactly its codes, lines and keywords however it is chunked.
using System.Text;
using CsCheck;
using DaneMtaSts.Engine.Smtp;
using DaneMtaSts.Engine.Tests.Support;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class SmtpReplyFuzz(ITestOutputHelper output)
{
    private static readonly Gen<string> Text = Gen.Char[' ', '~'].Array[0, 60].Select(a => new string(a).Trim());

    private static readonly Gen<string> Keyword = Gen.Select(Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZ"], Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"].Array[0, 12], Text,
        (first, rest, parameters) => first + new string(rest) + (parameters.Length > 0 ? " " + parameters : ""));

    [Fact]
    public void Random_server_bytes_never_throw_and_every_read_is_bounded()
    {
        var cases = new CaseCounter(output, "SmtpReplyReader random bytes");
        var line = Gen.OneOf(
            Gen.Byte.Array[0, 80],
            Gen.Select(Gen.Int[0, 999], Gen.OneOf(" ", "-", "", "x"), Text, (c, sep, t) => Encoding.UTF8.GetBytes($"{c:D3}{sep}{t}\r\n")),
            Gen.Const(Encoding.ASCII.GetBytes("220\r\n")),
            Gen.Const(new byte[5000]),
            Gen.Const(new byte[] { 0xC3, 0x28, 0xFF, 0xFE, (byte)'\r' }));
        // Mostly short dialogues; sometimes 450 continuation lines, past the 128-line bound.
        var many = Gen.Const(Enumerable.Repeat(Encoding.ASCII.GetBytes("250-x\r\n"), 450).ToArray());
        Gen.Select(Gen.Frequency((9, line.Array[0, 40]), (1, many)), Gen.Int[1, 700]).Check((lines, chunk) =>
        {
            cases.Sample();
            byte[] all = [.. lines.SelectMany(l => l)];
            using var stream = new ChunkedStream(all, chunk);
            var reader = new SmtpReplyReader(stream);
            FuzzRun.Timed(() =>
            {
                for (int reads = 0; reads < all.Length + 1; reads++)
                {
                    long before = stream.Position;
                    SmtpReplyRead read = reader.ReadAsync(CancellationToken.None).GetAwaiter().GetResult();
                    Assert.True(stream.Position - before <= SmtpReplyReader.MaxReplyBytes + SmtpReplyReader.MaxLineBytes + 2048, "one read consumed more than its bound");
                    if (read.Reply is { } reply)
                    {
                        cases.Hit("reply");
                        Assert.InRange(reply.Code, 0, 999);
                        Assert.InRange(reply.Lines.Count, 1, SmtpReplyReader.MaxLinesPerReply);
                        Assert.All(reply.Keywords(), k => Assert.True(k.Length > 0 && !k.Contains(' ', StringComparison.Ordinal) && string.Equals(k, k.ToUpperInvariant(), StringComparison.Ordinal)));
                        continue;
                    }

                    cases.Hit(read.Fault.ToString());
                    break;
                }

                return 0;
            });
        }, output, "SmtpReplyReader random bytes");
        cases.AssertReached(5, "reply", nameof(SmtpReplyFault.Closed), nameof(SmtpReplyFault.NotSmtp), nameof(SmtpReplyFault.LineTooLong), nameof(SmtpReplyFault.TooManyLines));
    }

    [Fact]
    public void Well_formed_replies_are_read_exactly_however_they_are_chunked()
    {
        var cases = new CaseCounter(output, "SmtpReplyReader well-formed replies");
        Gen.Select(Text, Keyword.Array[0, 8], Gen.Int[1, 64], Gen.Int[200, 599]).Check((greeting, keywords, chunk, bannerCode) =>
        {
            cases.Sample();
            var ehlo = new StringBuilder();
            string[] lines = ["mx.example greets you", .. keywords];
            for (int i = 0; i < lines.Length; i++)
            {
                ehlo.Append("250").Append(i == lines.Length - 1 ? ' ' : '-').Append(lines[i]).Append("\r\n");
            }

            using var stream = new ChunkedStream(Encoding.ASCII.GetBytes($"{bannerCode} {greeting}\r\n{ehlo}"), chunk);
            var reader = new SmtpReplyReader(stream);
            SmtpReply banner = Assert.IsType<SmtpReply>(reader.ReadAsync(CancellationToken.None).GetAwaiter().GetResult().Reply);
            SmtpReply reply = Assert.IsType<SmtpReply>(reader.ReadAsync(CancellationToken.None).GetAwaiter().GetResult().Reply);

            Assert.Equal(bannerCode, banner.Code);
            Assert.Equal([greeting], banner.Lines);
            Assert.Equal(250, reply.Code);
            Assert.Equal(lines, reply.Lines);
            Assert.Equal(keywords.Select(k => k.Split(' ')[0]), reply.Keywords());
            Assert.Equal(0, reader.Buffered);
            if (chunk < 8 && keywords.Length > 2)
            {
                cases.Hit("multi-line reply in small chunks");
            }
        }, output, "SmtpReplyReader well-formed replies");
        cases.AssertReached(20, "multi-line reply in small chunks");
    }
}
