namespace DaneMtaSts.Engine.Connectors;

/// <summary>A value the caller asked to set (it may be null: "clear this property").</summary>
public readonly record struct Change<T>(T Value);

/// <summary>
/// Exchange Online's <c>@{Add=…; Remove=…}</c> edit of a multi-valued property: values are
/// normalised and validated like any value, removed first, then added (each value once).
/// </summary>
public sealed record ListEdit(IReadOnlyList<string> Add, IReadOnlyList<string> Remove);

/// <summary>
/// The properties one New- or Set- call sets. A null property was not given and stays as it is; a
/// non-null <see cref="Change{T}"/> sets the value it holds, which may itself be null (clear).
/// Values are raw user input: <see cref="ConnectorRules.Apply"/> normalises and validates them.
/// </summary>
public sealed class ConnectorChanges
{
    public Change<string>? Name { get; set; }

    public Change<bool>? Enabled { get; set; }

    public Change<bool>? UseMXRecord { get; set; }

    public Change<string?>? Comment { get; set; }

    public Change<ConnectorType>? ConnectorType { get; set; }

    public Change<ConnectorSource>? ConnectorSource { get; set; }

    public Change<IReadOnlyList<string>?>? RecipientDomains { get; set; }

    /// <summary>An edit of RecipientDomains; may not be combined with <see cref="RecipientDomains"/>.</summary>
    public ListEdit? RecipientDomainsEdit { get; set; }

    public Change<IReadOnlyList<string>?>? SmartHosts { get; set; }

    /// <summary>An edit of SmartHosts; may not be combined with <see cref="SmartHosts"/>.</summary>
    public ListEdit? SmartHostsEdit { get; set; }

    public Change<string?>? TlsDomain { get; set; }

    public Change<TlsAuthLevel?>? TlsSettings { get; set; }

    public Change<bool>? IsTransportRuleScoped { get; set; }

    public Change<bool>? RouteAllMessagesViaOnPremises { get; set; }

    public Change<bool>? CloudServicesMailEnabled { get; set; }

    public Change<bool>? AllAcceptedDomains { get; set; }

    public Change<bool>? SenderRewritingEnabled { get; set; }

    public Change<MtaStsMode>? MtaStsMode { get; set; }

    public Change<SmtpDaneMode>? SmtpDaneMode { get; set; }

    /// <summary>Our shorthand; may not be combined with <see cref="SmtpDaneMode"/> or <see cref="MtaStsMode"/>.</summary>
    public Change<TlsValidationMode>? TlsValidationMode { get; set; }

    public Change<bool>? TestMode { get; set; }

    public Change<Guid>? LinkForModifiedConnector { get; set; }

    public Change<IReadOnlyList<string>?>? ValidationRecipients { get; set; }

    /// <summary>An edit of ValidationRecipients; may not be combined with <see cref="ValidationRecipients"/>.</summary>
    public ListEdit? ValidationRecipientsEdit { get; set; }

    public Change<bool>? IsValidated { get; set; }

    public Change<DateTime?>? LastValidationTimestamp { get; set; }
}
