using System.Management.Automation;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Module.Infrastructure;

namespace DaneMtaSts.Module.Commands;

/// <summary>Remove-OutboundConnector: deletes a connector from the store; asks first (ConfirmImpact High).</summary>
[Cmdlet(VerbsCommon.Remove, "OutboundConnector", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(OutboundConnector))]
public sealed class RemoveOutboundConnectorCommand : ConnectorCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    public OutboundConnectorIdParameter Identity { get; set; } = null!;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            OutboundConnector current = Store.GetConnector(Identity.Value);
            if (!ShouldProcess(Summarize(current), "Remove"))
            {
                return;
            }

            OutboundConnector removed = Stoppable(token => Store.RemoveConnector(ConnectorIdentity.FromGuid(current.Guid), token));
            if (PassThru)
            {
                WriteConnector(removed);
            }
        }
        catch (EngineException ex) when (ex.ErrorId == "ConnectorNotFound")
        {
            WriteEngineError(ex, Identity.RawIdentity);
        }
        catch (EngineException ex)
        {
            ThrowEngineError(ex, Identity.RawIdentity);
        }
    }
}
