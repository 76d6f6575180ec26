using System.Globalization;
using System.Text.Json;
using DaneMtaSts.Shared;

namespace DaneMtaSts.Engine.Connectors;

/// <summary>
/// The store's read path (docs/architecture.md#store-read): the document <see cref="StoreJsonContext"/>
/// writes, read from the parsed <see cref="JsonDocument"/> by hand, so that a process's first
/// <c>Get-OutboundConnector</c> does not build and JIT-compile the serializer's metadata (about 600
/// methods, most of that command's cost). Writes still go through the serializer. The rules are the
/// serializer's, and a differential property test holds the two to the same answers: properties by
/// exact name, unknown ones skipped, the last of a repeated one wins; <c>Name</c> and <c>Guid</c>
/// required; null only where the property is nullable (an array may hold null elements); enums
/// by name, never by number (and never as a list of names, which the serializer reads as flags);
/// GUIDs, dates and numbers as the JSON reader reads them.
/// </summary>
internal static class StoreDocumentReader
{
    /// <summary>Reads the document; throws <see cref="JsonException"/> naming the JSON path of what is wrong.</summary>
    public static StoreDocument Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Wrong("$", "an object", root);
        }

        var doc = new StoreDocument();
        foreach (JsonProperty property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case nameof(StoreDocument.SchemaVersion):
                    doc.SchemaVersion = property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out int version)
                        ? version
                        : throw Wrong("$.SchemaVersion", "a 32-bit integer", property.Value);
                    break;
                case nameof(StoreDocument.Connectors):
                    doc.Connectors = ReadConnectors(property.Value);
                    break;
            }
        }

        return doc;
    }

    private static List<OutboundConnector> ReadConnectors(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Wrong("$.Connectors", "an array", value);
        }

        var connectors = new List<OutboundConnector>(value.GetArrayLength());
        int index = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            // A null element is kept, as the serializer keeps it; the store's checks reject it.
            connectors.Add(item.ValueKind == JsonValueKind.Null ? null! : ReadConnector(item, $"$.Connectors[{index}]"));
            index++;
        }

        return connectors;
    }

    private static OutboundConnector ReadConnector(JsonElement value, string at)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Wrong(at, "an object", value);
        }

        // The defaults are OutboundConnector's own: start from a connector with placeholders for the
        // required members and replace every property the JSON has.
        var c = new OutboundConnector { Name = "", Guid = Guid.Empty };
        bool name = false, guid = false;
        foreach (JsonProperty property in value.EnumerateObject())
        {
            string path = $"{at}.{property.Name}";
            JsonElement v = property.Value;
            switch (property.Name)
            {
                case nameof(OutboundConnector.Enabled): c = c with { Enabled = Bool(v, path) }; break;
                case nameof(OutboundConnector.UseMXRecord): c = c with { UseMXRecord = Bool(v, path) }; break;
                case nameof(OutboundConnector.Comment): c = c with { Comment = NullableString(v, path) }; break;
                case nameof(OutboundConnector.ConnectorType): c = c with { ConnectorType = (ConnectorType)EnumValue(v, path, typeof(ConnectorType)) }; break;
                case nameof(OutboundConnector.ConnectorSource): c = c with { ConnectorSource = (ConnectorSource)EnumValue(v, path, typeof(ConnectorSource)) }; break;
                case nameof(OutboundConnector.RecipientDomains): c = c with { RecipientDomains = Strings(v, path) }; break;
                case nameof(OutboundConnector.SmartHosts): c = c with { SmartHosts = Strings(v, path) }; break;
                case nameof(OutboundConnector.TlsDomain): c = c with { TlsDomain = NullableString(v, path) }; break;
                case nameof(OutboundConnector.TlsSettings): c = c with { TlsSettings = v.ValueKind == JsonValueKind.Null ? null : (TlsAuthLevel)EnumValue(v, path, typeof(TlsAuthLevel)) }; break;
                case nameof(OutboundConnector.IsTransportRuleScoped): c = c with { IsTransportRuleScoped = Bool(v, path) }; break;
                case nameof(OutboundConnector.RouteAllMessagesViaOnPremises): c = c with { RouteAllMessagesViaOnPremises = Bool(v, path) }; break;
                case nameof(OutboundConnector.CloudServicesMailEnabled): c = c with { CloudServicesMailEnabled = Bool(v, path) }; break;
                case nameof(OutboundConnector.AllAcceptedDomains): c = c with { AllAcceptedDomains = Bool(v, path) }; break;
                case nameof(OutboundConnector.SenderRewritingEnabled): c = c with { SenderRewritingEnabled = Bool(v, path) }; break;
                case nameof(OutboundConnector.MtaStsMode): c = c with { MtaStsMode = (MtaStsMode)EnumValue(v, path, typeof(MtaStsMode)) }; break;
                case nameof(OutboundConnector.SmtpDaneMode): c = c with { SmtpDaneMode = (SmtpDaneMode)EnumValue(v, path, typeof(SmtpDaneMode)) }; break;
                case nameof(OutboundConnector.TestMode): c = c with { TestMode = Bool(v, path) }; break;
                case nameof(OutboundConnector.LinkForModifiedConnector): c = c with { LinkForModifiedConnector = GuidValue(v, path) }; break;
                case nameof(OutboundConnector.ValidationRecipients): c = c with { ValidationRecipients = Strings(v, path) }; break;
                case nameof(OutboundConnector.IsValidated): c = c with { IsValidated = Bool(v, path) }; break;
                case nameof(OutboundConnector.LastValidationTimestamp): c = c with { LastValidationTimestamp = v.ValueKind == JsonValueKind.Null ? null : Date(v, path) }; break;
                case nameof(OutboundConnector.Name): c = c with { Name = NullableString(v, path) ?? throw Wrong(path, "a string", v) }; name = true; break;
                case nameof(OutboundConnector.Guid): c = c with { Guid = GuidValue(v, path) }; guid = true; break;
                case nameof(OutboundConnector.WhenCreatedUTC): c = c with { WhenCreatedUTC = Date(v, path) }; break;
                case nameof(OutboundConnector.WhenChangedUTC): c = c with { WhenChangedUTC = Date(v, path) }; break;
            }
        }

        if (!name || !guid)
        {
            throw new JsonException($"{at}: the required {(name ? "Guid" : guid ? "Name" : "Name and Guid")} {(name || guid ? "is" : "are")} missing.");
        }

        return c;
    }

    private static bool Bool(JsonElement v, string path) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Wrong(path, "true or false", v),
    };

    private static string? NullableString(JsonElement v, string path) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Null => null,
        _ => throw Wrong(path, "a string", v),
    };

    private static string[] Strings(JsonElement v, string path)
    {
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Wrong(path, "an array of strings", v);
        }

        var list = new string[v.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in v.EnumerateArray())
        {
            list[i] = NullableString(item, $"{path}[{i}]")!;
            i++;
        }

        return list;
    }

    private static Guid GuidValue(JsonElement v, string path) =>
        v.ValueKind == JsonValueKind.String && v.TryGetGuid(out Guid g) ? g : throw Wrong(path, "a GUID string", v);

    private static DateTime Date(JsonElement v, string path) =>
        v.ValueKind == JsonValueKind.String && v.TryGetDateTime(out DateTime d) ? d : throw Wrong(path, "an ISO 8601 date string", v);

    /// <summary>
    /// An enum by its name, as the serializer reads one: white space around it ignored, the exact name,
    /// else the name that matches ignoring case; never a number. Unlike the serializer, a list of names
    /// ("None,Mandatory", its syntax for flags) is refused: none of these enums is a set, and the
    /// serializer would make an undefined value of it.
    /// </summary>
    // Not generic: an instantiation per enum would be JIT-compiled at a process's first read.
    private static int EnumValue(JsonElement v, string path, Type enumType)
    {
        string[] names = System.Enum.GetNames(enumType);
        if (v.ValueKind == JsonValueKind.String)
        {
            string text = v.GetString()!.Trim();
            int found = Array.FindIndex(names, n => string.Equals(n, text, StringComparison.Ordinal));
            if (found < 0)
            {
                found = Array.FindIndex(names, n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            }

            if (found >= 0)
            {
                return Convert.ToInt32(System.Enum.Parse(enumType, names[found]), CultureInfo.InvariantCulture);
            }
        }

        throw Wrong(path, "one of " + string.Join(", ", names), v);
    }

    private static JsonException Wrong(string path, string expected, JsonElement got)
    {
        string shown = got.ValueKind switch
        {
            JsonValueKind.String => "\"" + DomainName.Printable(Truncate(got.GetString() ?? "")) + "\"",
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            _ => Truncate(got.GetRawText()),
        };
        return new JsonException(string.Create(CultureInfo.InvariantCulture, $"{path} must be {expected}, not {shown}"));
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
