using System.Management.Automation;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Module.Infrastructure;

namespace DaneMtaSts.Module.Commands;

/// <summary>What every connector cmdlet shares: the store, output wrapping and error records.</summary>
public abstract class ConnectorCmdletBase : CancellableCmdlet
{
    private ConnectorStore? _store;

    /// <summary>The store named by $env:DANEMTASTS_STORE (read when the cmdlet starts), else the per-user one.</summary>
    protected ConnectorStore Store => _store ?? throw new InvalidOperationException("BeginProcessing has not run.");

    protected override void BeginProcessing()
    {
        try
        {
            _store = ConnectorStore.OpenDefault();
        }
        catch (EngineException ex)
        {
            ThrowTerminatingError(EngineErrors.ToErrorRecord(ex, null));
        }
    }

    /// <summary>Writes a connector with the type name the format file's views are selected by.</summary>
    protected void WriteConnector(OutboundConnector connector) => WriteObject(ToPSObject(connector));

    internal static PSObject ToPSObject(OutboundConnector connector)
    {
        var pso = new PSObject(connector);
        pso.TypeNames.Insert(0, OutboundConnector.PSTypeName);
        return pso;
    }

    protected void ThrowEngineError(EngineException ex, object? input) => ThrowTerminatingError(EngineErrors.ToErrorRecord(ex, input));

    protected void WriteEngineError(EngineException ex, object? input) => WriteError(EngineErrors.ToErrorRecord(ex, input));

    protected bool IsBound(string parameterName) => MyInvocation.BoundParameters.ContainsKey(parameterName);

    /// <summary>"connector 'X': RecipientDomains contoso.com; SmtpDaneMode Mandatory …" for ShouldProcess messages.</summary>
    protected static string Summarize(OutboundConnector c)
    {
        string destination = c.UseMXRecord ? "MX records" : "smart hosts " + string.Join(", ", c.SmartHosts);
        string scope = c.IsTransportRuleScoped ? "transport-rule scoped" : c.AllAcceptedDomains ? "all accepted domains" : "recipient domains " + string.Join(", ", c.RecipientDomains);
        return $"outbound connector '{c.Name}' ({scope}; via {destination}; SmtpDaneMode {c.SmtpDaneMode}, MtaStsMode {c.MtaStsMode}; Enabled {c.Enabled})";
    }
}

/// <summary>The connector properties New- and Set- both take, with Exchange Online's names and types.</summary>
public abstract class ConnectorSettingsCmdletBase : ConnectorCmdletBase
{
    [Parameter]
    public bool Enabled { get; set; }

    [Parameter]
    public bool UseMXRecord { get; set; }

    [Parameter]
    [AllowNull]
    [AllowEmptyString]
    public string? Comment { get; set; }

    [Parameter]
    public ConnectorType ConnectorType { get; set; }

    [Parameter]
    public ConnectorSource ConnectorSource { get; set; }

    [Parameter]
    [AllowNull]
    [AllowEmptyCollection]
    public string[]? RecipientDomains { get; set; }

    [Parameter]
    [AllowNull]
    [AllowEmptyCollection]
    public string[]? SmartHosts { get; set; }

    [Parameter]
    [AllowNull]
    [AllowEmptyString]
    public string? TlsDomain { get; set; }

    [Parameter]
    [AllowNull]
    public TlsAuthLevel? TlsSettings { get; set; }

    [Parameter]
    public bool IsTransportRuleScoped { get; set; }

    [Parameter]
    public bool RouteAllMessagesViaOnPremises { get; set; }

    [Parameter]
    public bool CloudServicesMailEnabled { get; set; }

    [Parameter]
    public bool AllAcceptedDomains { get; set; }

    [Parameter]
    public bool SenderRewritingEnabled { get; set; }

    [Parameter]
    public MtaStsMode MtaStsMode { get; set; }

    [Parameter]
    public SmtpDaneMode SmtpDaneMode { get; set; }

    // Custom is only ever read back (the modes match no shorthand), so it is not offered.
    [Parameter]
    [ValidateSet(nameof(DaneMtaSts.TlsValidationMode.None), nameof(DaneMtaSts.TlsValidationMode.Opportunistic), nameof(DaneMtaSts.TlsValidationMode.Mandatory))]
    public TlsValidationMode TlsValidationMode { get; set; }

    [Parameter]
    public bool TestMode { get; set; }

    /// <summary>The changes the bound parameters describe: a parameter not given changes nothing.</summary>
    protected ConnectorChanges BuildChanges()
    {
        var c = new ConnectorChanges();
        if (IsBound(nameof(Enabled))) { c.Enabled = new(Enabled); }
        if (IsBound(nameof(UseMXRecord))) { c.UseMXRecord = new(UseMXRecord); }
        if (IsBound(nameof(Comment))) { c.Comment = new(Comment); }
        if (IsBound(nameof(ConnectorType))) { c.ConnectorType = new(ConnectorType); }
        if (IsBound(nameof(ConnectorSource))) { c.ConnectorSource = new(ConnectorSource); }
        if (IsBound(nameof(RecipientDomains))) { c.RecipientDomains = new(RecipientDomains); }
        if (IsBound(nameof(SmartHosts))) { c.SmartHosts = new(SmartHosts); }
        if (IsBound(nameof(TlsDomain))) { c.TlsDomain = new(TlsDomain); }
        if (IsBound(nameof(TlsSettings))) { c.TlsSettings = new(TlsSettings); }
        if (IsBound(nameof(IsTransportRuleScoped))) { c.IsTransportRuleScoped = new(IsTransportRuleScoped); }
        if (IsBound(nameof(RouteAllMessagesViaOnPremises))) { c.RouteAllMessagesViaOnPremises = new(RouteAllMessagesViaOnPremises); }
        if (IsBound(nameof(CloudServicesMailEnabled))) { c.CloudServicesMailEnabled = new(CloudServicesMailEnabled); }
        if (IsBound(nameof(AllAcceptedDomains))) { c.AllAcceptedDomains = new(AllAcceptedDomains); }
        if (IsBound(nameof(SenderRewritingEnabled))) { c.SenderRewritingEnabled = new(SenderRewritingEnabled); }
        if (IsBound(nameof(MtaStsMode))) { c.MtaStsMode = new(MtaStsMode); }
        if (IsBound(nameof(SmtpDaneMode))) { c.SmtpDaneMode = new(SmtpDaneMode); }
        if (IsBound(nameof(TlsValidationMode))) { c.TlsValidationMode = new(TlsValidationMode); }
        if (IsBound(nameof(TestMode))) { c.TestMode = new(TestMode); }
        return c;
    }
}
