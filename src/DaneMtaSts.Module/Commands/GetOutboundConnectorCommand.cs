using System.Management.Automation;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Module.Infrastructure;

namespace DaneMtaSts.Module.Commands;

/// <summary>Get-OutboundConnector: reads connectors from the store, with Exchange Online's filters and -ResultSize.</summary>
[Cmdlet(VerbsCommon.Get, "OutboundConnector")]
[OutputType(typeof(OutboundConnector))]
public sealed class GetOutboundConnectorCommand : ConnectorCmdletBase
{
    private int _written;
    private int _withheld;

    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    public OutboundConnectorIdParameter? Identity { get; set; }

    [Parameter]
    public bool IncludeTestModeConnectors { get; set; }

    [Parameter]
    public bool IsTransportRuleScoped { get; set; }

    [Parameter]
    [ValidateNotNull]
    public ResultSize ResultSize { get; set; } = new(ResultSize.DefaultLimit);

    protected override void ProcessRecord()
    {
        IReadOnlyList<OutboundConnector> all;
        try
        {
            all = Store.GetConnectors();
        }
        catch (EngineException ex)
        {
            ThrowEngineError(ex, Identity?.RawIdentity ?? Store.Path);
            return;
        }

        IEnumerable<OutboundConnector> selected = all;
        if (Identity is not null)
        {
            if (Identity.IsWildcard && Identity.Value.FindIn(all) is null)
            {
                // A pattern matches any number of connectors, none included, as Get-Item does.
                var pattern = new WildcardPattern(Identity.Value.Name!, WildcardOptions.IgnoreCase);
                try
                {
                    selected = all.Where(c => pattern.IsMatch(c.Name)).ToList();
                }
                catch (WildcardPatternException)
                {
                    // '[x' or '*[' is no valid pattern and no connector's name: not found, not an unhandled exception.
                    WriteEngineError(NotFound(), Identity.RawIdentity);
                    return;
                }
            }
            else if (Identity.Value.FindIn(all) is { } found)
            {
                selected = [found];
            }
            else
            {
                WriteEngineError(NotFound(), Identity.RawIdentity);
                return;
            }
        }

        // Exchange Online: $true returns only connectors in test mode, $false only the others.
        if (IsBound(nameof(IncludeTestModeConnectors)))
        {
            selected = selected.Where(c => c.TestMode == IncludeTestModeConnectors);
        }

        if (IsBound(nameof(IsTransportRuleScoped)))
        {
            selected = selected.Where(c => c.IsTransportRuleScoped == IsTransportRuleScoped);
        }

        foreach (OutboundConnector connector in selected)
        {
            if (ResultSize.Limit is { } limit && _written >= limit)
            {
                _withheld++;
                continue;
            }

            WriteConnector(connector);
            _written++;
        }
    }

    private EngineException NotFound() =>
        new("ConnectorNotFound", EngineErrorKind.ObjectNotFound, $"The outbound connector '{Identity!.RawIdentity}' was not found.", Identity.RawIdentity);

    protected override void EndProcessing()
    {
        if (_withheld == 0)
        {
            return;
        }

        WriteWarning(IsBound(nameof(ResultSize))
            ? $"There are more results than the {ResultSize.Limit} shown ({_withheld} more). To see them, raise -ResultSize or use -ResultSize Unlimited."
            : $"By default only the first {ResultSize.DefaultLimit} items are returned ({_withheld} more exist). Use -ResultSize to return more, or -ResultSize Unlimited to return all.");
    }
}
