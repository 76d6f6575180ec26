// Differential fuzz of the store's hand-written read path (StoreDocumentReader, docs/architecture.md#store-read)
// against the source-generated serializer it stands in for (StoreJsonContext), which still writes the store.
// Inputs: store documents built from the schema, each property present or not, in any order, repeated,
// misspelt in case, or unknown; each value from a pool of valid and invalid JSON for its type (enum
// names in any case, numbers and numeric strings, flag lists, GUIDs in every format, ISO 8601 dates with
// and without offsets, impossible dates, nulls, wrong kinds); connector and array elements that are null
// or of the wrong kind; the root's SchemaVersion in every form.
// Property: for every input both readers reject it, or both accept it and give the same document (the
// serializer's output of both is byte for byte the same).
using System.Text;
using System.Text.Json;
using CsCheck;
using DaneMtaSts.Engine.Connectors;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class StoreDocumentReaderFuzz(ITestOutputHelper output)
{
    private static readonly string[] BoolValues = ["true", "false", "\"true\"", "1", "0", "null", "\"True\""];

    private static readonly string[] StringValues = ["\"contoso\"", "\"\"", "null", "1", "true", "[]", "{}", "\"a\\u0000b\"", "\"\\u00fcn\\u00efcode\"", "\"x\\\"y\""];

    private static readonly string[] StringArrayValues = ["[]", "[\"contoso.example\"]", "[\"a\",\"b\"]", "[\"a\",null]", "null", "\"a\"", "[1]", "[[]]", "{}", "[true]"];

    private static readonly string[] EnumSuffixes = ["", " ", ",None", ", None"];

    private static readonly string[] GuidValues =
    [
        "\"0f8fad5b-d9cb-469f-a165-70867728950e\"", "\"0F8FAD5B-D9CB-469F-A165-70867728950E\"", "\"0f8fad5bd9cb469fa16570867728950e\"",
        "\"{0f8fad5b-d9cb-469f-a165-70867728950e}\"", "\"(0f8fad5b-d9cb-469f-a165-70867728950e)\"", "\"00000000-0000-0000-0000-000000000000\"",
        "\" 0f8fad5b-d9cb-469f-a165-70867728950e\"", "\"0f8fad5b-d9cb-469f-a165-70867728950\"", "\"not-a-guid\"", "\"\"", "null", "1", "{}",
    ];

    private static readonly string[] DateValues =
    [
        "\"2026-12-02T07:00:00Z\"", "\"2026-12-02T07:00:00\"", "\"2026-12-02T07:00:00+02:00\"", "\"2026-12-02T07:00:00.1234567Z\"",
        "\"2026-12-02T07:00:00.12345678Z\"", "\"2026-12-02\"", "\"2026-12-02 07:00:00\"", "\"2026-13-02T00:00:00Z\"", "\"2026-02-30T00:00:00Z\"",
        "\"12/02/2026\"", "\"2026-12-02T24:00:00Z\"", "\"0001-01-01T00:00:00\"", "\"\"", "null", "0", "\"2026-12-02T07:00Z\"",
    ];

    private static readonly string[] VersionValues = ["1", "1.0", "1.5", "\"1\"", "null", "4294967296", "-1", "1e0", "2", "0"];

    private static readonly (string Name, Func<Gen<string>> Value)[] Properties =
    [
        ("Enabled", Bools), ("UseMXRecord", Bools), ("Comment", Strings), ("ConnectorType", () => Enums("Partner", "OnPremises")),
        ("ConnectorSource", () => Enums("Default", "Migrated", "HybridWizard", "AdminUI")), ("RecipientDomains", StringArrays), ("SmartHosts", StringArrays),
        ("TlsDomain", Strings), ("TlsSettings", () => Enums("EncryptionOnly", "CertificateValidation", "DomainValidation")), ("IsTransportRuleScoped", Bools),
        ("RouteAllMessagesViaOnPremises", Bools), ("CloudServicesMailEnabled", Bools), ("AllAcceptedDomains", Bools), ("SenderRewritingEnabled", Bools),
        ("MtaStsMode", () => Enums("Opportunistic", "None")), ("SmtpDaneMode", () => Enums("Opportunistic", "Mandatory", "None")), ("TestMode", Bools),
        ("LinkForModifiedConnector", Guids), ("ValidationRecipients", StringArrays), ("IsValidated", Bools), ("LastValidationTimestamp", Dates),
        ("Name", Strings), ("Guid", Guids), ("WhenCreatedUTC", Dates), ("WhenChangedUTC", Dates),
        ("Identity", Strings), ("TlsValidationMode", () => Enums("Custom", "Opportunistic")), ("SomethingElse", Strings),
    ];

    private static Gen<string> Bools() => Gen.OneOf(BoolValues);

    private static Gen<string> Strings() => Gen.OneOf(StringValues);

    private static Gen<string> StringArrays() => Gen.OneOf(StringArrayValues);

    private static Gen<string> Guids() => Gen.OneOf(GuidValues);

    private static Gen<string> Dates() => Gen.OneOf(DateValues);

    // Mostly names, in their case or another, with a space or a flag list; sometimes numbers, numeric
    // strings, the empty string, null or another kind.
    private static Gen<string> Enums(params string[] names) => Gen.Frequency(
        (6, Gen.Select(Gen.OneOf(names), Gen.Int[0, 2], Gen.OneOf(EnumSuffixes), Gen.Int[0, 3], (name, casing, suffix, useSuffix) =>
        {
            string written = casing switch { 1 => name.ToLowerInvariant(), 2 => name.ToUpperInvariant(), _ => name };
            return "\"" + written + (useSuffix == 0 ? suffix : "") + "\"";
        })),
        (2, Gen.OneOf("0", "1", "\"0\"", "\"1\"", "\"-1\"", "\"\"", "null", "true", "\" Partner\"", "\"None,Opportunistic\"")));

    private static readonly Gen<string> PropertyNameCase = Gen.OneOf("exact", "exact", "exact", "exact", "exact", "exact", "lower");

    private static readonly Gen<string> Member = Gen.Int[0, Properties.Length - 1].SelectMany(i => Gen.Select(Properties[i].Value(), PropertyNameCase, (value, casing) =>
        "\"" + (casing == "lower" ? Properties[i].Name.ToLowerInvariant() : Properties[i].Name) + "\":" + value));

    private static readonly string[] SchemaNames = [.. Properties.Select(p => p.Name).Where(n => n is not "Identity" and not "TlsValidationMode" and not "SomethingElse")];

    // What OutboundConnector holds when the JSON leaves a property out, as the serializer writes it.
    private static readonly Dictionary<string, string> Defaults = ReadDefaults();

    private static Dictionary<string, string> ReadDefaults()
    {
        string json = JsonSerializer.Serialize(new StoreDocument { Connectors = [new OutboundConnector { Name = "x", Guid = Guid.Empty }] }, StoreJsonContext.Default.StoreDocument);
        using JsonDocument parsed = JsonDocument.Parse(json);
        return parsed.RootElement.GetProperty("Connectors")[0].EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
    }

    private sealed record ConnectorText(string Written, string Completed, int Missing);

    // Every schema property, or (partial) each with a chance of being left out; Name and Guid usually
    // valid; then a few extra members (repeats, other case, unknown names); in a shuffled order.
    // Completed: the same members plus, for each schema property left out, its default value.
    private static readonly string[][] Pools = [.. SchemaNames.Select(PoolOf)];

    // Values every reader must accept, so that whole connectors are often valid (a pick from the full
    // pool for each of 25 properties would almost never be).
    private static readonly string[][] ValidPools = [.. SchemaNames.Select(ValidPoolOf)];

    private static string[] ValidPoolOf(string name) => name switch
    {
        "Comment" or "TlsDomain" => ["\"contoso\"", "\"\"", "null", "\"\\u00fcn\""],
        "Name" => ["\"contoso\""],
        "RecipientDomains" or "SmartHosts" or "ValidationRecipients" => ["[]", "[\"contoso.example\"]", "[\"a\",\"b\"]"],
        "LinkForModifiedConnector" or "Guid" => [GuidValues[0], GuidValues[1], GuidValues[5]],
        "LastValidationTimestamp" => [DateValues[0], DateValues[1], DateValues[2], DateValues[3], "null"],
        "WhenCreatedUTC" or "WhenChangedUTC" => [DateValues[0], DateValues[1], DateValues[2], DateValues[3]],
        "TlsSettings" => ["null", "\"EncryptionOnly\"", "\"CertificateValidation\"", "\"DomainValidation\""],
        _ when PoolOf(name) == BoolValues => ["true", "false"],
        _ => [.. PoolOf(name).Where(v => v.Length > 2 && char.IsUpper(v[1]) && !v.Contains(' ', StringComparison.Ordinal) && !v.Contains(',', StringComparison.Ordinal) && v[1..^1].Any(char.IsLower))],
    };

    // A property's values: the same choice as its generator, spelt out so that a sample can pick one per property.
    private static string[] PoolOf(string name) => name switch
    {
        "Enabled" or "UseMXRecord" or "IsTransportRuleScoped" or "RouteAllMessagesViaOnPremises" or "CloudServicesMailEnabled" or "AllAcceptedDomains"
            or "SenderRewritingEnabled" or "TestMode" or "IsValidated" => BoolValues,
        "Comment" or "TlsDomain" or "Name" => StringValues,
        "RecipientDomains" or "SmartHosts" or "ValidationRecipients" => StringArrayValues,
        "LinkForModifiedConnector" or "Guid" => GuidValues,
        "LastValidationTimestamp" or "WhenCreatedUTC" or "WhenChangedUTC" => DateValues,
        "ConnectorType" => EnumPool("Partner", "OnPremises"),
        "ConnectorSource" => EnumPool("Default", "Migrated", "HybridWizard", "AdminUI"),
        "TlsSettings" => EnumPool("EncryptionOnly", "CertificateValidation", "DomainValidation"),
        "MtaStsMode" => EnumPool("Opportunistic", "None"),
        "SmtpDaneMode" => EnumPool("Opportunistic", "Mandatory", "None"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static string[] EnumPool(params string[] names)
    {
        var pool = new List<string>();
        foreach (string name in names)
        {
            // The names as written weigh most: several copies of each.
            pool.AddRange(Enumerable.Repeat("\"" + name + "\"", 4));
            pool.Add("\"" + name.ToLowerInvariant() + "\"");
            pool.Add("\"" + name.ToUpperInvariant() + "\"");
            pool.AddRange(EnumSuffixes.Where(x => x.Length > 0).Select(x => "\"" + name + x + "\""));
        }

        pool.AddRange(["0", "1", "\"0\"", "\"1\"", "\"-1\"", "\"\"", "null", "true", "\" Partner\"", "\"None,Opportunistic\""]);
        return [.. pool];
    }

    private static Gen<ConnectorText> Connector(bool partial) => Gen.Select(
        Gen.Int[0, int.MaxValue].Array[SchemaNames.Length], Gen.Int[0, 9].Array[SchemaNames.Length],
        Gen.Int[0, 19], Gen.Int[0, 19], Member.Array[0, 2], Gen.Int[0, 99999],
        (picks, keeps, nameMode, guidMode, extras, seed) =>
        {
            var members = new List<string>();
            for (int i = 0; i < SchemaNames.Length; i++)
            {
                string name = SchemaNames[i];
                string written = name switch
                {
                    "Name" when nameMode > 2 => $"\"Connector {seed}\"",
                    "Guid" when guidMode > 2 => $"\"{new Guid(seed, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10):D}\"",
                    _ when picks[i] % 100 < 97 => ValidPools[i][(picks[i] / 100) % ValidPools[i].Length],
                    _ => Pools[i][(picks[i] / 100) % Pools[i].Length],
                };
                bool drop = name switch { "Name" => nameMode == 0, "Guid" => guidMode == 0, _ => partial && keeps[i] >= 7 };
                if (!drop)
                {
                    members.Add($"\"{name}\":{written}");
                }
            }

            members.AddRange(extras);
            return members;
        }).SelectMany(members => Gen.Shuffle(members.ToArray())).Select(members =>
        {
            var present = members.Select(m => m[1..m.IndexOf('"', 1)]).ToHashSet(StringComparer.Ordinal);
            string[] filled = [.. SchemaNames.Where(n => n is not "Name" and not "Guid" && !present.Contains(n)).Select(n => $"\"{n}\":{Defaults[n]}")];
            return new ConnectorText("{" + string.Join(",", members) + "}", "{" + string.Join(",", members.Concat(filled)) + "}", filled.Length);
        });

    private static readonly Gen<ConnectorText> OtherElement = Gen.OneOf("null", "1", "\"x\"", "[]").Select(t => new ConnectorText(t, t, 0));

    private sealed record DocumentText(string Written, string Completed, int Missing);

    private static Gen<DocumentText> Document(bool partial) => Gen.Select(
        Gen.OneOf(VersionValues), Gen.Int[0, 9], Gen.Frequency((12, Connector(partial)), (1, OtherElement)).Array[0, 3], Gen.Int[0, 5],
        (version, versionMode, connectors, connectorsMode) =>
        {
            string Build(Func<ConnectorText, string> pick)
            {
                var members = new List<string>();
                if (versionMode > 0)
                {
                    members.Add("\"SchemaVersion\":" + (versionMode > 3 ? "1" : version));
                }

                string list = string.Join(",", connectors.Select(pick));
                members.Add(connectorsMode switch
                {
                    0 => "\"Connectors\":null",
                    1 => "\"MtaStsPolicies\":[{\"Domain\":\"x\"}],\"Connectors\":[" + list + "]",
                    _ => "\"Connectors\":[" + list + "]",
                });
                return "{" + string.Join(",", members) + "}";
            }

            return new DocumentText(Build(c => c.Written), Build(c => c.Completed), connectors.Sum(c => c.Missing));
        });

    [Fact]
    public void The_hand_reader_and_the_serializer_agree_on_every_document()
    {
        var cases = new Support.CaseCounter(output, "StoreDocumentReader vs serializer");
        Document(partial: false).Check(doc => Compare(doc.Written, doc.Written, cases), output, "StoreDocumentReader vs serializer",
            reach: new FuzzReach(cases, 0.02, ["both rejected", "both accepted", "connectors read"]));
    }

    // A property the JSON leaves out is OutboundConnector's default (Enabled and UseMXRecord true,
    // lists empty), whatever the serializer would do with it (it leaves an init-only property it does
    // not see at the type's zero value: null lists, false flags): the hand reader on the document as
    // written equals the serializer on the document completed with the defaults.
    [Fact]
    public void A_property_left_out_is_the_connectors_default()
    {
        var cases = new Support.CaseCounter(output, "StoreDocumentReader defaults");
        Document(partial: true).Check(doc =>
        {
            if (Compare(doc.Completed, doc.Written, cases) && doc.Missing > 0)
            {
                cases.Hit("properties left out");
            }
        }, output, "StoreDocumentReader defaults", reach: new FuzzReach(cases, 0.02, ["both rejected", "both accepted", "connectors read", "properties left out"]));
    }

    // Returns whether both readers accepted the document.
    private static bool Compare(string forSerializer, string forHand, Support.CaseCounter cases)
    {
        cases.Sample();
        (StoreDocument? bySerializer, Exception? serializerError) = Run(() => JsonSerializer.Deserialize(Encoding.UTF8.GetBytes(forSerializer), StoreJsonContext.Default.StoreDocument));
        (StoreDocument? byHand, Exception? handError) = Run(() =>
        {
            using JsonDocument parsed = JsonDocument.Parse(forHand);
            return StoreDocumentReader.Read(parsed.RootElement);
        });

        // The one difference by design: a list of enum names, which the serializer ORs into a value
        // (even an undefined one) and the hand reader refuses (docs/architecture.md#store-read).
        if (serializerError is null && handError is JsonException listed && listed.Message.Contains("must be one of", StringComparison.Ordinal) && listed.Message.Contains(',', StringComparison.Ordinal) &&
            EnumListIn(forHand))
        {
            cases.Hit("enum list refused");
            return false;
        }

        if (serializerError is not null || handError is not null)
        {
            Assert.True(serializerError is not null && handError is not null,
                $"Only one reader rejected {forHand}: serializer {serializerError?.GetType().Name}: {serializerError?.Message} | hand {handError?.GetType().Name}: {handError?.Message}");
            Assert.IsType<JsonException>(handError);
            cases.Hit("both rejected");
            return false;
        }

        string expected = JsonSerializer.Serialize(bySerializer!, StoreJsonContext.Default.StoreDocument);
        string actual = JsonSerializer.Serialize(byHand!, StoreJsonContext.Default.StoreDocument);
        Assert.True(expected == actual, $"The readers differ on {forHand}:\nserializer {expected}\nhand       {actual}");
        cases.Hit("both accepted");
        if (byHand!.Connectors.Count > 0 && byHand.Connectors.All(c => c is not null))
        {
            cases.Hit("connectors read");
        }

        return true;
    }

    // Some enum-typed property holds a comma.
    private static bool EnumListIn(string json)
    {
        using JsonDocument parsed = JsonDocument.Parse(json);
        string[] enums = ["ConnectorType", "ConnectorSource", "TlsSettings", "MtaStsMode", "SmtpDaneMode"];
        return parsed.RootElement.TryGetProperty("Connectors", out JsonElement list) && list.ValueKind == JsonValueKind.Array &&
            list.EnumerateArray().Any(c => c.ValueKind == JsonValueKind.Object && c.EnumerateObject().Any(p =>
                enums.Contains(p.Name, StringComparer.Ordinal) && p.Value.ValueKind == JsonValueKind.String && p.Value.GetString()!.Contains(',', StringComparison.Ordinal)));
    }

    private static (StoreDocument? Result, Exception? Error) Run(Func<StoreDocument?> read)
    {
        try
        {
            return (read(), null);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or ArgumentException or NotSupportedException)
        {
            return (null, ex);
        }
    }
}
