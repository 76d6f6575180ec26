using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Net.Sockets;

namespace DaneMtaSts.Engine.Connectors;

/// <summary>
/// Builds and checks connectors: normalises every value a caller gives and enforces the rules
/// between properties (docs/exchange-online.md#rules). Every violation is an <see cref="EngineException"/>
/// whose ErrorId names the rule; the ids are stable because scripts match on them.
/// </summary>
public static class ConnectorRules
{
    public const int MaxNameLength = 64;
    public const int MaxCommentLength = 1024;

    /// <summary>
    /// Makes the connector a New- call describes: Exchange Online's defaults, then the changes, then
    /// the rules. <paramref name="changes"/> must set the name.
    /// </summary>
    public static OutboundConnector CreateNew(ConnectorChanges changes, Guid guid, DateTime nowUtc)
    {
        if (changes.Name is null)
        {
            throw new EngineException("ConnectorNameRequired", EngineErrorKind.InvalidArgument, "A new connector needs a name.");
        }

        var blank = new OutboundConnector { Name = changes.Name.Value.Value, Guid = guid, WhenCreatedUTC = nowUtc, WhenChangedUTC = nowUtc };
        return Apply(blank, changes, nowUtc, isNew: true);
    }

    /// <summary>
    /// The connector as it is after <paramref name="changes"/>: only the given properties change, then
    /// the whole connector is validated (a Set- call must not leave an invalid connector behind).
    /// </summary>
    public static OutboundConnector Apply(OutboundConnector current, ConnectorChanges changes, DateTime nowUtc, bool isNew = false)
    {
        // docs/exchange-online.md#rule-6: the shorthand and the two modes in one call contradict each other.
        if (changes.TlsValidationMode is not null && (changes.SmtpDaneMode is not null || changes.MtaStsMode is not null))
        {
            throw new EngineException(
                "TlsValidationModeConflict",
                EngineErrorKind.InvalidArgument,
                "-TlsValidationMode sets both SmtpDaneMode and MtaStsMode; do not combine it with -SmtpDaneMode or -MtaStsMode in the same call.",
                changes.TlsValidationMode.Value.Value);
        }

        if ((changes.RecipientDomains is not null && changes.RecipientDomainsEdit is not null) ||
            (changes.SmartHosts is not null && changes.SmartHostsEdit is not null) ||
            (changes.ValidationRecipients is not null && changes.ValidationRecipientsEdit is not null))
        {
            throw new EngineException("MultiValuedConflict", EngineErrorKind.InvalidArgument, "A multi-valued property is either replaced by a list or edited with @{Add=…; Remove=…}, not both in one call.");
        }

        if (!isNew && changes.LinkForModifiedConnector is not null)
        {
            throw new EngineException("LinkForModifiedConnectorNotSettable", EngineErrorKind.InvalidArgument, "LinkForModifiedConnector can only be set when the connector is created.");
        }

        var c = current;
        if (changes.Name is { } name) { c = c with { Name = name.Value }; }
        if (changes.Enabled is { } enabled) { c = c with { Enabled = enabled.Value }; }
        if (changes.UseMXRecord is { } useMx) { c = c with { UseMXRecord = useMx.Value }; }
        if (changes.Comment is { } comment) { c = c with { Comment = string.IsNullOrEmpty(comment.Value) ? null : comment.Value }; }
        if (changes.ConnectorType is { } type) { c = c with { ConnectorType = type.Value }; }
        if (changes.ConnectorSource is { } source) { c = c with { ConnectorSource = source.Value }; }
        if (changes.RecipientDomains is { } domains) { c = c with { RecipientDomains = NormalizeList(domains.Value, NormalizeRecipientDomain) }; }
        if (changes.SmartHosts is { } hosts) { c = c with { SmartHosts = NormalizeList(hosts.Value, NormalizeSmartHost) }; }
        if (changes.RecipientDomainsEdit is { } domainEdit) { c = c with { RecipientDomains = EditList(c.RecipientDomains, domainEdit, NormalizeRecipientDomain) }; }
        if (changes.SmartHostsEdit is { } hostEdit) { c = c with { SmartHosts = EditList(c.SmartHosts, hostEdit, NormalizeSmartHost) }; }
        if (changes.TlsDomain is { } tlsDomain) { c = c with { TlsDomain = string.IsNullOrEmpty(tlsDomain.Value) ? null : NormalizeTlsDomain(tlsDomain.Value) }; }
        if (changes.TlsSettings is { } tlsSettings) { c = c with { TlsSettings = tlsSettings.Value }; }
        if (changes.IsTransportRuleScoped is { } scoped) { c = c with { IsTransportRuleScoped = scoped.Value }; }
        if (changes.RouteAllMessagesViaOnPremises is { } route) { c = c with { RouteAllMessagesViaOnPremises = route.Value }; }
        if (changes.CloudServicesMailEnabled is { } cloud) { c = c with { CloudServicesMailEnabled = cloud.Value }; }
        if (changes.AllAcceptedDomains is { } all) { c = c with { AllAcceptedDomains = all.Value }; }
        if (changes.SenderRewritingEnabled is { } srs) { c = c with { SenderRewritingEnabled = srs.Value }; }
        if (changes.SmtpDaneMode is { } dane) { c = c with { SmtpDaneMode = dane.Value }; }
        if (changes.MtaStsMode is { } sts) { c = c with { MtaStsMode = sts.Value }; }
        if (changes.TlsValidationMode is { } shorthand)
        {
            var (d, s) = OutboundConnector.ExpandTlsValidationMode(shorthand.Value);
            c = c with { SmtpDaneMode = d, MtaStsMode = s };
        }

        if (changes.TestMode is { } test) { c = c with { TestMode = test.Value }; }
        if (changes.LinkForModifiedConnector is { } link) { c = c with { LinkForModifiedConnector = link.Value }; }
        if (changes.ValidationRecipients is { } recipients) { c = c with { ValidationRecipients = NormalizeList(recipients.Value, NormalizeAddress) }; }
        if (changes.ValidationRecipientsEdit is { } recipientEdit) { c = c with { ValidationRecipients = EditList(c.ValidationRecipients, recipientEdit, NormalizeAddress) }; }
        if (changes.IsValidated is { } validated) { c = c with { IsValidated = validated.Value }; }
        if (changes.LastValidationTimestamp is { } stamp) { c = c with { LastValidationTimestamp = ToUtc(stamp.Value) }; }

        c = c with { WhenChangedUTC = nowUtc };
        Validate(c);
        return c;
    }

    /// <summary>Checks every rule of docs/exchange-online.md#rules against a whole connector.</summary>
    public static void Validate(OutboundConnector c)
    {
        ValidateName(c.Name);

        if (c.Comment is { Length: > MaxCommentLength })
        {
            throw Invalid("CommentTooLong", $"The comment is {c.Comment.Length} characters long; at most {MaxCommentLength} are allowed.", c.Comment);
        }

        CheckDefined(c.ConnectorType, "InvalidConnectorType");
        CheckDefined(c.ConnectorSource, "InvalidConnectorSource");
        CheckDefined(c.SmtpDaneMode, "InvalidSmtpDaneMode");
        if (!Enum.IsDefined(c.MtaStsMode))
        {
            // docs/exchange-online.md#rule-6: Exchange Online has no MtaStsMode Mandatory (nor any other value).
            throw Invalid("InvalidMtaStsMode", $"MtaStsMode '{c.MtaStsMode}' does not exist; the values are Opportunistic and None.", c.MtaStsMode);
        }

        if (c.TlsSettings is { } level)
        {
            CheckDefined(level, "InvalidTlsSettings");
        }

        // docs/exchange-online.md#rule-1: a transport-rule-scoped connector is chosen by a rule, never by recipient domain.
        if (c.IsTransportRuleScoped)
        {
            if (c.RecipientDomains.Length > 0 || c.AllAcceptedDomains)
            {
                throw Invalid(
                    "TransportRuleScopedWithRecipientDomains",
                    $"Connector '{c.Name}' is transport-rule scoped (IsTransportRuleScoped $true), so it cannot have RecipientDomains or AllAcceptedDomains.",
                    c.Name);
            }
        }
        else if (c.RecipientDomains.Length == 0 && !c.AllAcceptedDomains)
        {
            throw Invalid(
                "RecipientDomainsRequired",
                $"Connector '{c.Name}' needs RecipientDomains (or AllAcceptedDomains $true on an OnPremises connector), unless it is transport-rule scoped.",
                c.Name);
        }

        // docs/exchange-online.md#rule-2: TlsDomain is the name DomainValidation checks; each needs the other.
        if (c.TlsDomain is not null && c.TlsSettings != TlsAuthLevel.DomainValidation)
        {
            throw Invalid("TlsDomainRequiresDomainValidation", $"TlsDomain '{c.TlsDomain}' can only be used with TlsSettings DomainValidation.", c.TlsDomain);
        }

        if (c.TlsSettings == TlsAuthLevel.DomainValidation && c.TlsDomain is null)
        {
            throw Invalid("DomainValidationRequiresTlsDomain", "TlsSettings DomainValidation needs a TlsDomain (the domain the certificate must match).", c.Name);
        }

        // docs/exchange-online.md#rule-3: mail goes either to the MX of the recipient domain or to the smart hosts.
        if (c.UseMXRecord && c.SmartHosts.Length > 0)
        {
            throw Invalid("SmartHostsWithMXRecord", $"Connector '{c.Name}' uses MX records (UseMXRecord $true), so it cannot have SmartHosts; set UseMXRecord $false to route to smart hosts.", c.Name);
        }

        if (!c.UseMXRecord && c.SmartHosts.Length == 0)
        {
            throw Invalid("SmartHostsRequired", $"Connector '{c.Name}' does not use MX records (UseMXRecord $false), so it needs SmartHosts.", c.Name);
        }

        // docs/exchange-online.md#rule-4: these settings describe hybrid routing and exist only on OnPremises connectors.
        if (c.ConnectorType != ConnectorType.OnPremises)
        {
            string[] onPremisesOnly =
            [
                .. c.AllAcceptedDomains ? new[] { nameof(c.AllAcceptedDomains) } : [],
                .. c.RouteAllMessagesViaOnPremises ? new[] { nameof(c.RouteAllMessagesViaOnPremises) } : [],
                .. c.CloudServicesMailEnabled ? new[] { nameof(c.CloudServicesMailEnabled) } : [],
                .. c.SenderRewritingEnabled ? new[] { nameof(c.SenderRewritingEnabled) } : [],
            ];
            if (onPremisesOnly.Length > 0)
            {
                throw Invalid(
                    "OnPremisesConnectorRequired",
                    $"{string.Join(", ", onPremisesOnly)} $true needs ConnectorType OnPremises; connector '{c.Name}' is {c.ConnectorType}.",
                    c.Name);
            }
        }

        // Stored values may come from an edited file: they must be normalised as well (docs/exchange-online.md#rule-5).
        foreach (string d in c.RecipientDomains)
        {
            if (NormalizeRecipientDomain(d) != d) { throw Invalid("InvalidRecipientDomain", $"Recipient domain '{d}' is not in normal form.", d); }
        }

        foreach (string h in c.SmartHosts)
        {
            if (NormalizeSmartHost(h) != h) { throw Invalid("InvalidSmartHost", $"Smart host '{h}' is not in normal form.", h); }
        }

        if (c.TlsDomain is not null && NormalizeTlsDomain(c.TlsDomain) != c.TlsDomain)
        {
            throw Invalid("InvalidTlsDomain", $"TlsDomain '{c.TlsDomain}' is not in normal form.", c.TlsDomain);
        }
    }

    /// <summary>A connector name: 1–64 characters, no control characters, no leading or trailing white space.</summary>
    public static void ValidateName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw Invalid("InvalidConnectorName", "The connector name is empty.", name);
        }

        if (name.Length > MaxNameLength)
        {
            throw Invalid("InvalidConnectorName", $"The connector name '{DomainName.Printable(name)}' is {name.Length} characters long; at most {MaxNameLength} are allowed.", name);
        }

        if (name.Trim().Length != name.Length || name.Any(char.IsControl))
        {
            throw Invalid("InvalidConnectorName", $"The connector name '{DomainName.Printable(name)}' has leading or trailing white space or a control character.", name);
        }
    }

    /// <summary>docs/exchange-online.md#rule-5 for RecipientDomains: a domain, a leading <c>*.</c> wildcard, or a bare <c>*</c>.</summary>
    public static string NormalizeRecipientDomain(string value)
    {
        if (value == "*")
        {
            return value;
        }

        return NormalizeWildcardDomain(value, "InvalidRecipientDomain", "Recipient domain");
    }

    /// <summary>docs/exchange-online.md#rule-5 for TlsDomain: a domain or a leading <c>*.</c> wildcard (a bare <c>*</c> names no certificate).</summary>
    public static string NormalizeTlsDomain(string value)
    {
        if (value == "*")
        {
            throw Invalid("InvalidTlsDomain", "TlsDomain cannot be '*': name the domain the certificate must match (a leading '*.' wildcard is allowed).", value);
        }

        return NormalizeWildcardDomain(value, "InvalidTlsDomain", "TlsDomain");
    }

    /// <summary>
    /// A smart host: an FQDN, an IPv4 or IPv6 address, or a CIDR range (address/prefix). Addresses
    /// are written in their canonical form; a range is reduced to its network address.
    /// </summary>
    public static string NormalizeSmartHost(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Invalid("InvalidSmartHost", "A smart host is empty.", value);
        }

        string v = value.Trim();
        int slash = v.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            string addressPart = v[..slash];
            string prefixPart = v[(slash + 1)..];
            if (!IPAddress.TryParse(addressPart, out IPAddress? network) || addressPart.Contains('%', StringComparison.Ordinal) ||
                !int.TryParse(prefixPart, NumberStyles.None, CultureInfo.InvariantCulture, out int prefix))
            {
                throw Invalid("InvalidSmartHost", $"Smart host '{DomainName.Printable(value)}' is not a valid CIDR range (address/prefix).", value);
            }

            int maxPrefix = network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            if (prefix > maxPrefix || !IsStrictAddress(addressPart, network))
            {
                throw Invalid("InvalidSmartHost", $"Smart host '{DomainName.Printable(value)}' is not a valid CIDR range: the prefix must be 0–{maxPrefix}.", value);
            }

            return $"{MaskTo(network, prefix)}/{prefix}";
        }

        string bare = v.StartsWith('[') && v.EndsWith(']') ? v[1..^1] : v;
        if (IPAddress.TryParse(bare, out IPAddress? address) && IsStrictAddress(bare, address))
        {
            if (bare.Contains('%', StringComparison.Ordinal))
            {
                throw Invalid("InvalidSmartHost", $"Smart host '{DomainName.Printable(value)}' has an IPv6 zone index, which a connector cannot use.", value);
            }

            return address.ToString();
        }

        if (bare.Contains(':', StringComparison.Ordinal))
        {
            throw Invalid("InvalidSmartHost", $"Smart host '{DomainName.Printable(value)}' is not a host name or an IP address (a port cannot be given).", value);
        }

        if (!DomainName.TryNormalize(v, out string? host, out string? error))
        {
            throw Invalid("InvalidSmartHost", $"Smart host '{DomainName.Printable(value)}' is not valid: {error}", value);
        }

        if (host.Contains('*', StringComparison.Ordinal) || DomainName.IsSingleLabel(host) || host.Split('.').All(l => l.All(char.IsAsciiDigit)))
        {
            throw Invalid("InvalidSmartHost", $"Smart host '{DomainName.Printable(value)}' must be a fully qualified domain name, an IP address or a CIDR range.", value);
        }

        return host;
    }

    /// <summary>An e-mail address for ValidationRecipients, with its domain in A-label form.</summary>
    public static string NormalizeAddress(string value)
    {
        if (string.IsNullOrWhiteSpace(value) || !MailAddress.TryCreate(value.Trim(), out MailAddress? parsed) ||
            parsed.Address != value.Trim() || !DomainName.TryNormalize(parsed.Host, out string? host, out _))
        {
            throw Invalid("InvalidValidationRecipient", $"'{DomainName.Printable(value ?? string.Empty)}' is not an e-mail address (local-part@domain).", value);
        }

        return $"{parsed.User}@{host}";
    }

    private static string NormalizeWildcardDomain(string value, string errorId, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Invalid(errorId, $"{what} is empty.", value);
        }

        bool wildcard = value.StartsWith("*.", StringComparison.Ordinal);
        string rest = wildcard ? value[2..] : value;
        if (rest.Contains('*', StringComparison.Ordinal))
        {
            throw Invalid(errorId, $"{what} '{DomainName.Printable(value)}' has a wildcard that is not a leading '*.'; only '*.domain' is allowed.", value);
        }

        if (!DomainName.TryNormalize(rest, out string? normalized, out string? error))
        {
            throw Invalid(errorId, $"{what} '{DomainName.Printable(value)}' is not valid: {error}", value);
        }

        return wildcard ? "*." + normalized : normalized;
    }

    /// <summary>@{Add=…; Remove=…}: every value normalised (so Remove 'Contoso.COM' removes contoso.com), removals first.</summary>
    private static string[] EditList(string[] current, ListEdit edit, Func<string, string> normalize)
    {
        var remove = NormalizeList(edit.Remove, normalize).ToHashSet(StringComparer.Ordinal);
        string[] add = NormalizeList(edit.Add, normalize);
        return NormalizeList([.. current.Where(v => !remove.Contains(v)), .. add], v => v);
    }

    private static string[] NormalizeList(IReadOnlyList<string>? values, Func<string, string> normalize)
    {
        if (values is null)
        {
            return [];
        }

        // Exchange Online's multi-valued properties hold each value once; order of first appearance is kept.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(values.Count);
        foreach (string v in values)
        {
            string n = normalize(v);
            if (seen.Add(n))
            {
                result.Add(n);
            }
        }

        return [.. result];
    }

    private static DateTime? ToUtc(DateTime? value) => value switch
    {
        null => null,
        { Kind: DateTimeKind.Utc } v => v,

        // An unspecified time is a local wall-clock time typed by a person, as in Get-Date.
        { } v => v.ToUniversalTime(),
    };

    private static bool IsStrictAddress(string text, IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ||
        (address.AddressFamily == AddressFamily.InterNetwork && text.Split('.').Length == 4 && text.Split('.').All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit)));

    private static IPAddress MaskTo(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }

        return new IPAddress(bytes);
    }

    private static void CheckDefined<T>(T value, string errorId)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw Invalid(errorId, $"'{value}' is not a valid {typeof(T).Name}.", value);
        }
    }

    private static EngineException Invalid(string errorId, string message, object? target) =>
        new(errorId, EngineErrorKind.InvalidArgument, message, target);
}
