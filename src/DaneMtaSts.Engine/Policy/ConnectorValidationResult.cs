using DaneMtaSts.Engine.Smtp;

namespace DaneMtaSts.Engine.Policy;

/// <summary>What happened to one recipient's test message.</summary>
public sealed record ConnectorValidationResult
{
    public required string Connector { get; init; }

    public required string Recipient { get; init; }

    /// <summary>Deliver when the server accepted the message; Queue/Reject from the verdict or the server's reply.</summary>
    public required Outcome Outcome { get; init; }

    public string? StatusCode { get; init; }

    public string? StatusText { get; init; }

    /// <summary>The verdict's kind when nothing was sent; SmtpRefused / SmtpTemporaryFailure when the server refused the test message.</summary>
    public FailureKind Kind { get; init; }

    public TransportSecurity? Security { get; init; }

    public string? MxHost { get; init; }

    public string? Address { get; init; }

    public bool Sent { get; init; }

    /// <summary>The server's final reply to the message (or to the recipient).</summary>
    public string? ServerReply { get; init; }

    public string? MessageId { get; init; }

    public required string Reason { get; init; }

    /// <summary>The dry-run verdict the decision to send was based on.</summary>
    public required TlsPolicyResult Verdict { get; init; }

    public override string ToString() => $"{Recipient}: {Outcome}{(Sent ? " (sent, " + MessageId + ")" : "")}";
}
