using System.Text.Json;
using System.Text.Json.Serialization;
using DaneMtaSts.Engine.MtaSts;

namespace DaneMtaSts.Engine.Connectors;

/// <summary>
/// Source-generated JSON metadata of the store and of the MTA-STS policy cache file: no reflection
/// and no serializer code generation on a process's first read. Enums are written and read as
/// their names only; a number where a name belongs makes the file invalid, as it did before.
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters =
    [
        typeof(NamesOnlyEnumConverter<ConnectorType>),
        typeof(NamesOnlyEnumConverter<ConnectorSource>),
        typeof(NamesOnlyEnumConverter<TlsAuthLevel>),
        typeof(NamesOnlyEnumConverter<MtaStsMode>),
        typeof(NamesOnlyEnumConverter<SmtpDaneMode>),
    ])]
[JsonSerializable(typeof(StoreDocument))]
[JsonSerializable(typeof(MtaStsPolicyCacheDocument))]
internal sealed partial class StoreJsonContext : JsonSerializerContext
{
}

/// <summary>An enum as its name, never as a number.</summary>
internal sealed class NamesOnlyEnumConverter<TEnum> : JsonStringEnumConverter<TEnum>
    where TEnum : struct, Enum
{
    public NamesOnlyEnumConverter()
        : base(namingPolicy: null, allowIntegerValues: false)
    {
    }
}
