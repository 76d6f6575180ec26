namespace DaneMtaSts.Engine.Smtp;

/// <summary>One complete SMTP reply (RFC 5321 §4.2): a three-digit code and one or more text lines.</summary>
public sealed record SmtpReply(int Code, IReadOnlyList<string> Lines)
{
    /// <summary>A reply as MailKit's API hands it over: its code, and its text with one line per "\n".</summary>
    internal static SmtpReply FromMailKit(int code, string? text) =>
        new(code, (text ?? "").Split('\n', StringSplitOptions.TrimEntries));

    /// <summary>2xx.</summary>
    public bool IsPositive => Code is >= 200 and < 400;

    /// <summary>4xx: try again later.</summary>
    public bool IsTransient => Code is >= 400 and < 500;

    /// <summary>5xx: do not retry.</summary>
    public bool IsPermanent => Code is >= 500 and < 600;

    /// <summary>The text after the code of every line, joined by a space.</summary>
    public string Text => string.Join(" ", Lines.Where(l => l.Length > 0));

    /// <summary>"454 4.7.0 TLS not available" (multi-line replies are joined with " / ").</summary>
    public override string ToString() => Lines.Count == 0 ? Code.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Code} {string.Join(" / ", Lines)}";

    /// <summary>The first words of the EHLO lines after the greeting line (RFC 5321 §4.1.1.1), upper-case; empty unless positive.</summary>
    internal IReadOnlyList<string> Keywords()
    {
        if (!IsPositive || Lines.Count < 2)
        {
            return [];
        }

        return Lines.Skip(1)
            .Select(l => l.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "")
            .Where(k => k.Length > 0)
            .Select(k => k.ToUpperInvariant())
            .ToArray();
    }
}

internal static class SmtpReplyExtensions
{
    /// <summary>The EHLO keywords of a reply that may be missing.</summary>
    public static IReadOnlyList<string> EhloKeywords(this SmtpReply? reply) => reply is null ? [] : reply.Keywords();
}
