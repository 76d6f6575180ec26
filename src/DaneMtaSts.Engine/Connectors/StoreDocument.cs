namespace DaneMtaSts.Engine.Connectors;

/// <summary>
/// The whole store as one JSON document. <see cref="SchemaVersion"/> comes first so that an older
/// module can refuse a newer file before it misreads it. The MTA-STS policy cache, once kept here
/// as "MtaStsPolicies", has its own file (<see cref="MtaStsPolicyCacheFile"/>): such an
/// entry in an older store is ignored on reading and dropped at the next change.
/// </summary>
public sealed class StoreDocument
{
    /// <summary>The schema this module writes and the newest it reads.</summary>
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; set; } = CurrentSchemaVersion;

    public List<OutboundConnector> Connectors { get; set; } = [];
}
