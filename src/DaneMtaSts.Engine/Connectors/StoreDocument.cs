using DaneMtaSts.Engine.MtaSts;

namespace DaneMtaSts.Engine.Connectors;

/// <summary>
/// The whole store as one JSON document. <see cref="SchemaVersion"/> comes first so that an older
/// module can refuse a newer file before it misreads it.
/// </summary>
public sealed class StoreDocument
{
    /// <summary>The schema this module writes and the newest it reads.</summary>
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; set; } = CurrentSchemaVersion;

    public List<OutboundConnector> Connectors { get; set; } = [];

    /// <summary>The MTA-STS policy cache (RFC 8461 §5.1), one entry per policy domain.</summary>
    public List<MtaStsCachedPolicy> MtaStsPolicies { get; set; } = [];
}
