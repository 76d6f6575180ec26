namespace DaneMtaSts.Engine.Connectors;

/// <summary>
/// How a caller names a connector: by its GUID or by its name (case-insensitive), as Exchange
/// Online's -Identity does. A string that parses as a GUID matches a connector with that GUID first
/// and otherwise a connector with that name.
/// </summary>
public sealed record ConnectorIdentity
{
    private ConnectorIdentity(string? name, Guid? guid)
    {
        Name = name;
        Guid = guid;
    }

    public string? Name { get; }

    public Guid? Guid { get; }

    public static ConnectorIdentity FromName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new EngineException("InvalidConnectorIdentity", EngineErrorKind.InvalidArgument, "The connector identity is empty.", name);
        }

        return new ConnectorIdentity(name.Trim(), System.Guid.TryParse(name.Trim(), out Guid g) ? g : null);
    }

    public static ConnectorIdentity FromGuid(Guid guid) => new(null, guid);

    public bool Matches(OutboundConnector connector) =>
        (Guid is { } g && connector.Guid == g) ||
        (Name is not null && string.Equals(connector.Name, Name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The connector this identity names, or null. A GUID match wins over a name match.</summary>
    public OutboundConnector? FindIn(IEnumerable<OutboundConnector> connectors)
    {
        var list = connectors as IReadOnlyCollection<OutboundConnector> ?? connectors.ToList();
        if (Guid is { } g && list.FirstOrDefault(c => c.Guid == g) is { } byGuid)
        {
            return byGuid;
        }

        return Name is null ? null : list.FirstOrDefault(c => string.Equals(c.Name, Name, StringComparison.OrdinalIgnoreCase));
    }

    public override string ToString() => Name ?? Guid?.ToString() ?? string.Empty;
}
