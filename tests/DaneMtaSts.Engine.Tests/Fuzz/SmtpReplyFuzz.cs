// Fuzzes the SMTP reply reader (Smtp/SmtpConversation.LogServer, fed the raw bytes a server sends)
// and SmtpConversation.Keywords: random bytes (invalid UTF-8, NUL, bare CR, lines over 4 KiB) cut
// into random chunks, and well-formed banner + multi-line EHLO replies (RFC 5321 §4.2) cut the same
// way. Properties: never throws; the transcript stays bounded (400 lines + 1, each line cut at 512
// characters); a reply code is always three digits; a well-formed dialogue is read with exactly its
// codes, lines and keywords however the bytes are chunked; keywords are upper-case single words.
using System.Text;
using CsCheck;
using DaneMtaSts.Engine.Smtp;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class SmtpReplyFuzz(ITestOutputHelper output)
{
    private static readonly Gen<string> Text = Gen.Char[' ', '~'].Array[0, 60].Select(a => new string(a).Trim());

    private static readonly Gen<string> Keyword = Gen.Select(Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZ"], Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"].Array[0, 12], Text,
        (first, rest, parameters) => first + new string(rest) + (parameters.Length > 0 ? " " + parameters : ""));

    [Fact]
    public void Random_server_bytes_never_throw_and_the_transcript_stays_bounded()
    {
        var line = Gen.OneOf(
            Gen.Byte.Array[0, 80],
            Gen.Select(Gen.Int[0, 999], Gen.OneOf(" ", "-", "", "x"), Text, (c, sep, t) => Encoding.UTF8.GetBytes($"{c:D3}{sep}{t}\r\n")),
            Gen.Const(Encoding.ASCII.GetBytes("220\r\n")),
            Gen.Const(new byte[5000]),
            Gen.Const(new byte[] { 0xC3, 0x28, 0xFF, 0xFE, (byte)'\r' }));
        // Mostly short dialogues; sometimes 450 reply lines, to reach the transcript's 400-line bound.
        var many = Gen.Const(Enumerable.Repeat(Encoding.ASCII.GetBytes("250-x\r\n"), 450).ToArray());
        Gen.Select(Gen.Frequency((9, line.Array[0, 40]), (1, many)), Gen.Int[1, 700], Gen.Bool).Check((lines, chunk, ehlo) =>
        {
            byte[] all = [.. lines.SelectMany(l => l)];
            var conversation = new SmtpConversation(new SmtpProbeOptions());
            if (ehlo)
            {
                byte[] command = Encoding.ASCII.GetBytes("EHLO danemtasts.invalid\r\n");
                conversation.LogClient(command, 0, command.Length);
            }

            FuzzRun.Timed(() =>
            {
                for (int at = 0; at < all.Length; at += chunk)
                {
                    conversation.LogServer(all, at, Math.Min(chunk, all.Length - at));
                }

                return 0;
            });
            IReadOnlyList<string> transcript = conversation.Transcript;
            Assert.InRange(transcript.Count, 0, 402);
            Assert.All(transcript, l => Assert.True(l.Length <= 3 + 512 + 1, $"transcript line of {l.Length} chars"));
            foreach (SmtpReply? reply in new[] { conversation.Banner, conversation.LastReply, conversation.FirstEhloReply })
            {
                if (reply is not null)
                {
                    Assert.InRange(reply.Code, 0, 999);
                    Assert.All(SmtpConversation.Keywords(reply), k => Assert.True(k.Length > 0 && !k.Contains(' ', StringComparison.Ordinal) && string.Equals(k, k.ToUpperInvariant(), StringComparison.Ordinal)));
                }
            }
        }, output, "SmtpConversation random bytes");
    }

    [Fact]
    public void Well_formed_replies_are_read_exactly_however_they_are_chunked()
    {
        Gen.Select(Text, Keyword.Array[0, 8], Gen.Int[1, 64], Gen.Int[200, 599]).Check((greeting, keywords, chunk, bannerCode) =>
        {
            var conversation = new SmtpConversation(new SmtpProbeOptions());
            Feed(conversation, Encoding.ASCII.GetBytes($"{bannerCode} {greeting}\r\n"), chunk);
            byte[] command = Encoding.ASCII.GetBytes("EHLO danemtasts.invalid\r\n");
            conversation.LogClient(command, 0, command.Length);
            var ehlo = new StringBuilder();
            string[] lines = ["mx.example greets you", .. keywords];
            for (int i = 0; i < lines.Length; i++)
            {
                ehlo.Append("250").Append(i == lines.Length - 1 ? ' ' : '-').Append(lines[i]).Append("\r\n");
            }

            Feed(conversation, Encoding.ASCII.GetBytes(ehlo.ToString()), chunk);

            Assert.NotNull(conversation.Banner);
            Assert.Equal(bannerCode, conversation.Banner.Code);
            Assert.Equal([greeting], conversation.Banner.Lines);
            Assert.NotNull(conversation.FirstEhloReply);
            Assert.Equal(250, conversation.FirstEhloReply.Code);
            Assert.Equal(lines, conversation.FirstEhloReply.Lines);
            Assert.Equal(keywords.Select(k => k.Split(' ')[0]), SmtpConversation.Keywords(conversation.FirstEhloReply));
            Assert.Null(conversation.NonSmtpLine);
        }, output, "SmtpConversation well-formed replies");
    }

    private static void Feed(SmtpConversation conversation, byte[] bytes, int chunk)
    {
        for (int at = 0; at < bytes.Length; at += chunk)
        {
            conversation.LogServer(bytes, at, Math.Min(chunk, bytes.Length - at));
        }
    }
}
