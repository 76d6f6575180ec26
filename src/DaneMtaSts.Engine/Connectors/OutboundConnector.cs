using System.Text.Json.Serialization;

namespace DaneMtaSts.Engine.Connectors;

/// <summary>
/// An Exchange Online outbound connector as this module keeps it. The properties are declared in
/// the order Exchange Online returns them (docs/exchange-online.md#connector-object) because
/// PowerShell shows them in declaration order; our derived <see cref="TlsValidationMode"/> comes last.
/// Instances are immutable: a change is a new instance made by <see cref="ConnectorRules.Apply"/>.
/// </summary>
public sealed record OutboundConnector
{
    /// <summary>The type name PowerShell's format file selects the views by.</summary>
    public const string PSTypeName = "DaneMtaSts.OutboundConnector";

    public bool Enabled { get; init; } = true;

    public bool UseMXRecord { get; init; } = true;

    public string? Comment { get; init; }

    public ConnectorType ConnectorType { get; init; } = ConnectorType.Partner;

    public ConnectorSource ConnectorSource { get; init; } = ConnectorSource.Default;

    /// <summary>Lower-case A-label domains, <c>*.domain</c> or <c>*</c>.</summary>
    public string[] RecipientDomains { get; init; } = [];

    /// <summary>FQDNs, IP addresses or CIDR ranges, in canonical form.</summary>
    public string[] SmartHosts { get; init; } = [];

    public string? TlsDomain { get; init; }

    /// <summary>Null means opportunistic TLS (Exchange Online's default).</summary>
    public TlsAuthLevel? TlsSettings { get; init; }

    public bool IsTransportRuleScoped { get; init; }

    public bool RouteAllMessagesViaOnPremises { get; init; }

    public bool CloudServicesMailEnabled { get; init; }

    public bool AllAcceptedDomains { get; init; }

    public bool SenderRewritingEnabled { get; init; }

    public MtaStsMode MtaStsMode { get; init; } = MtaStsMode.Opportunistic;

    public SmtpDaneMode SmtpDaneMode { get; init; } = SmtpDaneMode.Opportunistic;

    public bool TestMode { get; init; }

    public Guid LinkForModifiedConnector { get; init; }

    public string[] ValidationRecipients { get; init; } = [];

    public bool IsValidated { get; init; }

    public DateTime? LastValidationTimestamp { get; init; }

    public required string Name { get; init; }

    /// <summary>Exchange Online identifies a cloud connector by its name.</summary>
    [JsonIgnore]
    public string Identity => Name;

    public required Guid Guid { get; init; }

    public DateTime WhenCreatedUTC { get; init; }

    public DateTime WhenChangedUTC { get; init; }

    /// <summary>The shorthand of the two modes (docs/verdicts.md#modes); Custom when no row matches.</summary>
    [JsonIgnore]
    public TlsValidationMode TlsValidationMode => DeriveTlsValidationMode(SmtpDaneMode, MtaStsMode);

    /// <summary>docs/verdicts.md#modes: None/None → None, Opportunistic/Opportunistic → Opportunistic, Mandatory/Opportunistic → Mandatory, else Custom.</summary>
    public static TlsValidationMode DeriveTlsValidationMode(SmtpDaneMode dane, MtaStsMode mtaSts) => (dane, mtaSts) switch
    {
        (SmtpDaneMode.None, MtaStsMode.None) => TlsValidationMode.None,
        (SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic) => TlsValidationMode.Opportunistic,
        (SmtpDaneMode.Mandatory, MtaStsMode.Opportunistic) => TlsValidationMode.Mandatory,
        _ => TlsValidationMode.Custom,
    };

    /// <summary>The two modes a settable shorthand stands for.</summary>
    public static (SmtpDaneMode Dane, MtaStsMode MtaSts) ExpandTlsValidationMode(TlsValidationMode mode) => mode switch
    {
        TlsValidationMode.None => (SmtpDaneMode.None, MtaStsMode.None),
        TlsValidationMode.Opportunistic => (SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic),
        TlsValidationMode.Mandatory => (SmtpDaneMode.Mandatory, MtaStsMode.Opportunistic),
        _ => throw new EngineException(
            "TlsValidationModeCustomNotSettable",
            EngineErrorKind.InvalidArgument,
            $"TlsValidationMode '{mode}' cannot be set: Custom is only reported when SmtpDaneMode and MtaStsMode match no shorthand. Set -SmtpDaneMode and -MtaStsMode instead.",
            mode),
    };

    /// <summary>Exchange Online's connector objects print as their name.</summary>
    public override string ToString() => Name;

    // Arrays compare by content so that two reads of the same stored connector are equal.
    public bool Equals(OutboundConnector? other) =>
        other is not null &&
        Enabled == other.Enabled && UseMXRecord == other.UseMXRecord && Comment == other.Comment &&
        ConnectorType == other.ConnectorType && ConnectorSource == other.ConnectorSource &&
        RecipientDomains.SequenceEqual(other.RecipientDomains) && SmartHosts.SequenceEqual(other.SmartHosts) &&
        TlsDomain == other.TlsDomain && TlsSettings == other.TlsSettings &&
        IsTransportRuleScoped == other.IsTransportRuleScoped &&
        RouteAllMessagesViaOnPremises == other.RouteAllMessagesViaOnPremises &&
        CloudServicesMailEnabled == other.CloudServicesMailEnabled && AllAcceptedDomains == other.AllAcceptedDomains &&
        SenderRewritingEnabled == other.SenderRewritingEnabled && MtaStsMode == other.MtaStsMode &&
        SmtpDaneMode == other.SmtpDaneMode && TestMode == other.TestMode &&
        LinkForModifiedConnector == other.LinkForModifiedConnector &&
        ValidationRecipients.SequenceEqual(other.ValidationRecipients) && IsValidated == other.IsValidated &&
        LastValidationTimestamp == other.LastValidationTimestamp && Name == other.Name && Guid == other.Guid &&
        WhenCreatedUTC == other.WhenCreatedUTC && WhenChangedUTC == other.WhenChangedUTC;

    public override int GetHashCode() => HashCode.Combine(Guid, Name, WhenChangedUTC);
}
