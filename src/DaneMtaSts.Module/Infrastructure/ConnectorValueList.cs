using System.Collections.ObjectModel;

namespace DaneMtaSts.Module.Infrastructure;

/// <summary>
/// A multi-valued connector property (RecipientDomains, SmartHosts, ValidationRecipients) as the
/// connector cmdlets show it: a read-only list whose text is its values joined with ';'. Export-Csv
/// writes a property's ToString(), so a CSV cell reads "a.example;b.example" instead of
/// "System.String[]", and the same cell binds back through Import-Csv | New-OutboundConnector
/// (<see cref="MultiValuedParameter"/> splits a string on ';'). ConvertTo-Json still writes an array.
/// </summary>
public sealed class ConnectorValueList : ReadOnlyCollection<string>
{
    /// <summary>What joins the values in text (CSV cells); names, hosts and addresses never contain it.</summary>
    public const char Separator = ';';

    public ConnectorValueList(IList<string> values)
        : base(values)
    {
    }

    public override string ToString() => string.Join(Separator, this);
}
