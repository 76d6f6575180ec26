namespace DaneMtaSts.Engine.Smtp;

/// <summary>What the server said to one RCPT TO.</summary>
public sealed record SmtpRecipientResult(string Address, bool Accepted, int ReplyCode, string ReplyText);

/// <summary>The outcome of sending one message over an open <see cref="SmtpSession"/>.</summary>
public sealed record SmtpSendResult
{
    /// <summary>True when the server accepted the message at the end of DATA (2xx) for at least one recipient.</summary>
    public required bool Accepted { get; init; }

    /// <summary>The reply that decided: the final DATA reply, or the MAIL FROM / RCPT TO / DATA rejection.</summary>
    public int? ReplyCode { get; init; }

    public string? ReplyText { get; init; }

    public IReadOnlyList<SmtpRecipientResult> Recipients { get; init; } = [];

    public IReadOnlyList<string> AcceptedRecipients => Recipients.Where(r => r.Accepted).Select(r => r.Address).ToArray();

    public IReadOnlyList<SmtpRecipientResult> RejectedRecipients => Recipients.Where(r => !r.Accepted).ToArray();

    /// <summary>The Message-Id header of the message sent.</summary>
    public string? MessageId { get; init; }

    /// <summary>Why the message was not accepted (null when accepted).</summary>
    public string? Failure { get; init; }

    /// <summary>True when the refusal was a 5xx reply.</summary>
    public bool PermanentFailure { get; init; }

    /// <summary>The dialogue of the send (MAIL FROM to the final reply; the body is left out).</summary>
    public IReadOnlyList<string> Transcript { get; init; } = [];

    public TimeSpan Elapsed { get; init; }
}
