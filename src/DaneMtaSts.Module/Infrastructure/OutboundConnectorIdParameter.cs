using System.Management.Automation;
using DaneMtaSts.Engine.Connectors;

namespace DaneMtaSts.Module.Infrastructure;

/// <summary>
/// The type of every -Identity parameter that names an outbound connector. PowerShell converts a
/// string (a name or a GUID), a [guid] or a piped connector to it through these constructors, as
/// Exchange Online's OutboundConnectorIdParameter does.
/// </summary>
public sealed class OutboundConnectorIdParameter
{
    public OutboundConnectorIdParameter(string identity)
    {
        Value = ConnectorIdentity.FromName(identity);
        RawIdentity = identity;
    }

    public OutboundConnectorIdParameter(Guid identity)
    {
        Value = ConnectorIdentity.FromGuid(identity);
        RawIdentity = identity.ToString();
    }

    /// <summary>A piped connector is named by its GUID, so it is found even if renamed meanwhile.</summary>
    public OutboundConnectorIdParameter(OutboundConnector connector)
    {
        Value = ConnectorIdentity.FromGuid(connector.Guid);
        RawIdentity = connector.Name;
        IsConnectorObject = true;
    }

    /// <summary>True when a connector object of this store was given (not a name, GUID or other object).</summary>
    public bool IsConnectorObject { get; }

    /// <summary>The identity as the engine matches it.</summary>
    public ConnectorIdentity Value { get; }

    /// <summary>What the user gave (a name, a GUID, or the piped connector's name).</summary>
    public string RawIdentity { get; }

    /// <summary>True when a name holds wildcard characters (only Get- treats them as a pattern).</summary>
    public bool IsWildcard => Value.Name is { } name && Value.Guid is null && WildcardPattern.ContainsWildcardCharacters(name);

    public override string ToString() => RawIdentity;
}
