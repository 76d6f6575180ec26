using System.Management.Automation;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Connectors;

namespace DaneMtaSts.Module.Commands;

/// <summary>New-OutboundConnector: creates a connector in the store with Exchange Online's defaults.</summary>
[Cmdlet(VerbsCommon.New, "OutboundConnector", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(OutboundConnector))]
public sealed class NewOutboundConnectorCommand : ConnectorSettingsCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public Guid LinkForModifiedConnector { get; set; }

    protected override void ProcessRecord()
    {
        ConnectorChanges changes = BuildChanges();
        changes.Name = new(Name);
        if (IsBound(nameof(LinkForModifiedConnector)))
        {
            changes.LinkForModifiedConnector = new(LinkForModifiedConnector);
        }

        try
        {
            // Checked before ShouldProcess, so that -WhatIf reports a connector that could not be created.
            OutboundConnector preview = Store.PreviewNewConnector(changes);
            if (!ShouldProcess(Summarize(preview), "Create"))
            {
                return;
            }

            WriteConnector(Stoppable(token => Store.AddConnector(changes, token)));
        }
        catch (EngineException ex)
        {
            ThrowEngineError(ex, Name);
        }
    }
}
