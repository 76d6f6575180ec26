using System.Management.Automation;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Module.Infrastructure;

namespace DaneMtaSts.Module.Commands;

/// <summary>
/// Set-OutboundConnector: changes only the parameters given, then validates the connector as a
/// whole; when a rule is broken nothing is written.
/// </summary>
[Cmdlet(VerbsCommon.Set, "OutboundConnector", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(OutboundConnector))]
public sealed class SetOutboundConnectorCommand : ConnectorSettingsCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    public OutboundConnectorIdParameter Identity { get; set; } = null!;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>A list (replaces) or @{Add=…; Remove=…} (edits).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [MultiValuedTransformation(nameof(ValidationRecipients))]
    public MultiValuedParameter? ValidationRecipients { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [BooleanTextTransformation]
    public bool IsValidated { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [EmptyAsNullTransformation]
    public DateTime? LastValidationTimestamp { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        // A connector of this store piped in names the connector to change; its other properties are
        // what the connector has (or had when it was read) and change nothing. Any other object (a
        // tenant export, ConvertFrom-Json rows, a deserialised export of this module) carries settings.
        bool pipedSettingsApply = !Identity.IsConnectorObject;
        ConnectorChanges changes = BuildChanges(pipedSettingsApply);
        if (Takes(nameof(Name), pipedSettingsApply)) { changes.Name = new(Name); }
        if (Takes(nameof(ValidationRecipients), pipedSettingsApply)) { (changes.ValidationRecipients, changes.ValidationRecipientsEdit) = ToChange(Bound(ValidationRecipients, nameof(ValidationRecipients))); }
        if (Takes(nameof(IsValidated), pipedSettingsApply)) { changes.IsValidated = new(IsValidated); }
        if (Takes(nameof(LastValidationTimestamp), pipedSettingsApply)) { changes.LastValidationTimestamp = new(LastValidationTimestamp); }

        if (FindConnector(Identity) is not { } current)
        {
            return;
        }

        try
        {
            // The whole connector after the change is validated before anything is asked or written.
            // From here the connector is named by its GUID: the name may be what this call changes.
            var byGuid = ConnectorIdentity.FromGuid(current.Guid);
            OutboundConnector preview = Store.PreviewUpdateConnector(byGuid, changes);
            if (!ShouldProcess(Summarize(current), $"Set ({string.Join(", ", ChangedParameterNames(pipedSettingsApply))})"))
            {
                return;
            }

            OutboundConnector updated = Stoppable(token => Store.UpdateConnector(byGuid, changes, token));
            WriteVerbose($"Result: {Summarize(preview)}");
            if (PassThru)
            {
                WriteConnector(updated);
            }
        }
        catch (EngineException ex) when (ex.ErrorId == "ConnectorNotFound")
        {
            // Removed by another process between the read and the change.
            WriteEngineError(ex, Identity.RawIdentity);
        }
        catch (EngineException ex)
        {
            ThrowEngineError(ex, Identity.RawIdentity);
        }
    }

    private IEnumerable<string> ChangedParameterNames(bool pipedSettingsApply) =>
        MyInvocation.BoundParameters.Keys.Where(k => k is not (nameof(Identity) or nameof(PassThru)) && !CommonParameterNames.Contains(k) && Takes(k, pipedSettingsApply));

    private static readonly HashSet<string> CommonParameterNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable", "WarningVariable",
        "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm",
    };
}
