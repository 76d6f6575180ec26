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

        // The three lists as instance properties, which come before the adapted ones: they show (and
        // Export-Csv writes them) as "a;b" while the object underneath stays typed
        // (docs/exchange-online.md#exports). Only these three: every instance property costs about
        // 5 µs per object (all 27 made Get-OutboundConnector of 1,000 connectors 167 ms instead of
        // 5 ms; these three, 19 ms), at the price that they lead Select-Object * and Export-Csv.
        foreach (var (name, getter) in ListProperties)
        {
            pso.Properties.Add(new PSNoteProperty(name, new ConnectorValueList(getter(connector) ?? [])));
        }

        return pso;
    }

    // Every string[] property of OutboundConnector, written out rather than found by reflection: the
    // table built with reflection and LINQ cost a process's first Get-OutboundConnector about 20
    // JIT-compiled methods. A list missing here would export as "System.String[]", which
    // TenantRoundTrip.Tests.ps1 checks never happens.
    private static readonly (string Name, Func<OutboundConnector, string[]?> Get)[] ListProperties =
    [
        (nameof(OutboundConnector.RecipientDomains), c => c.RecipientDomains),
        (nameof(OutboundConnector.SmartHosts), c => c.SmartHosts),
        (nameof(OutboundConnector.ValidationRecipients), c => c.ValidationRecipients),
    ];

    protected void ThrowEngineError(EngineException ex, object? input) => ThrowTerminatingError(EngineErrors.ToErrorRecord(ex, input));

    protected void WriteEngineError(EngineException ex, object? input) => WriteError(EngineErrors.ToErrorRecord(ex, input));

    /// <summary>
    /// The connector <paramref name="identity"/> names, or null after writing ConnectorNotFound as a
    /// non-terminating error (the pipeline goes on); any other store fault terminates the call.
    /// </summary>
    protected OutboundConnector? FindConnector(OutboundConnectorIdParameter identity)
    {
        try
        {
            return Store.GetConnector(identity.Value);
        }
        catch (EngineException ex) when (ex.ErrorId == "ConnectorNotFound")
        {
            WriteEngineError(ex, identity.RawIdentity);
            return null;
        }
        catch (EngineException ex)
        {
            ThrowEngineError(ex, identity.RawIdentity);
            return null;
        }
    }

    protected bool IsBound(string parameterName) => MyInvocation.BoundParameters.ContainsKey(parameterName);

    /// <summary>"connector 'X': RecipientDomains contoso.com; SmtpDaneMode Mandatory …" for ShouldProcess messages.</summary>
    protected static string Summarize(OutboundConnector c)
    {
        string destination = c.UseMXRecord ? "MX records" : "smart hosts " + string.Join(", ", c.SmartHosts);
        string scope = c.IsTransportRuleScoped ? "transport-rule scoped" : c.AllAcceptedDomains ? "all accepted domains" : "recipient domains " + string.Join(", ", c.RecipientDomains);
        return $"outbound connector '{c.Name}' ({scope}; via {destination}; SmtpDaneMode {c.SmtpDaneMode}, MtaStsMode {c.MtaStsMode}; Enabled {c.Enabled})";
    }
}

/// <summary>
/// The connector properties New- and Set- both take, with Exchange Online's names and types. Every
/// one of them (but our own -TlsValidationMode) also binds by property name, so that a tenant export
/// (Import-Clixml), ConvertFrom-Json rows or this module's own exports can be piped in.
/// </summary>
public abstract class ConnectorSettingsCmdletBase : ConnectorCmdletBase
{
    private HashSet<string> _commandLine = new(StringComparer.OrdinalIgnoreCase);

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [BooleanTextTransformation]
    public bool Enabled { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [BooleanTextTransformation]
    public bool UseMXRecord { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? Comment { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [EnumByNameTransformation]
    public ConnectorType ConnectorType { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [EnumByNameTransformation]
    public ConnectorSource ConnectorSource { get; set; }

    /// <summary>A list (replaces) or @{Add=…; Remove=…} (edits).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [MultiValuedTransformation(nameof(RecipientDomains))]
    public MultiValuedParameter? RecipientDomains { get; set; }

    /// <summary>A list (replaces) or @{Add=…; Remove=…} (edits).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [MultiValuedTransformation(nameof(SmartHosts))]
    public MultiValuedParameter? SmartHosts { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? TlsDomain { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [EnumByNameTransformation]
    public TlsAuthLevel? TlsSettings { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [BooleanTextTransformation]
    public bool IsTransportRuleScoped { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [BooleanTextTransformation]
    public bool RouteAllMessagesViaOnPremises { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [BooleanTextTransformation]
    public bool CloudServicesMailEnabled { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [BooleanTextTransformation]
    public bool AllAcceptedDomains { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [BooleanTextTransformation]
    public bool SenderRewritingEnabled { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [EnumByNameTransformation]
    public MtaStsMode MtaStsMode { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [EnumByNameTransformation]
    public SmtpDaneMode SmtpDaneMode { get; set; }

    // Custom is only ever read back (the modes match no shorthand), so it is not offered. Not bound
    // by property name: a piped connector carries the two modes themselves, and its derived
    // TlsValidationMode (possibly Custom) would only contradict them.
    [Parameter]
    [ValidateSet(nameof(DaneMtaSts.TlsValidationMode.None), nameof(DaneMtaSts.TlsValidationMode.Opportunistic), nameof(DaneMtaSts.TlsValidationMode.Mandatory))]
    public TlsValidationMode TlsValidationMode { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [BooleanTextTransformation]
    public bool TestMode { get; set; }

    protected override void BeginProcessing()
    {
        // Only the command line is bound before the first record: what is bound later came from the pipeline.
        _commandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
        base.BeginProcessing();
    }

    /// <summary>True when the parameter was given on the command line (not bound from a piped object).</summary>
    protected bool IsCommandLineBound(string parameterName) => _commandLine.Contains(parameterName);

    /// <summary>
    /// Whether a bound parameter is part of this record's change. <paramref name="pipedSettingsApply"/>
    /// false: only the command line counts (a piped connector of this store names the connector; its
    /// properties are what it already has, or stale). -TlsValidationMode on the command line wins over
    /// modes bound from a piped object.
    /// </summary>
    protected bool Takes(string parameterName, bool pipedSettingsApply)
    {
        if (!IsBound(parameterName))
        {
            return false;
        }

        if (IsCommandLineBound(parameterName))
        {
            return true;
        }

        if (!pipedSettingsApply)
        {
            return false;
        }

        return !(parameterName is nameof(SmtpDaneMode) or nameof(MtaStsMode) && IsCommandLineBound(nameof(TlsValidationMode)));
    }

    /// <summary>The changes the bound parameters describe: a parameter not given changes nothing.</summary>
    protected ConnectorChanges BuildChanges(bool pipedSettingsApply = true)
    {
        bool Has(string name) => Takes(name, pipedSettingsApply);
        var c = new ConnectorChanges();
        if (Has(nameof(Enabled))) { c.Enabled = new(Enabled); }
        if (Has(nameof(UseMXRecord))) { c.UseMXRecord = new(UseMXRecord); }
        if (Has(nameof(Comment))) { c.Comment = new(Comment); }
        if (Has(nameof(ConnectorType))) { c.ConnectorType = new(ConnectorType); }
        if (Has(nameof(ConnectorSource))) { c.ConnectorSource = new(ConnectorSource); }
        if (Has(nameof(RecipientDomains))) { (c.RecipientDomains, c.RecipientDomainsEdit) = ToChange(Bound(RecipientDomains, nameof(RecipientDomains))); }
        if (Has(nameof(SmartHosts))) { (c.SmartHosts, c.SmartHostsEdit) = ToChange(Bound(SmartHosts, nameof(SmartHosts))); }
        if (Has(nameof(TlsDomain))) { c.TlsDomain = new(TlsDomain); }
        if (Has(nameof(TlsSettings))) { c.TlsSettings = new(TlsSettings); }
        if (Has(nameof(IsTransportRuleScoped))) { c.IsTransportRuleScoped = new(IsTransportRuleScoped); }
        if (Has(nameof(RouteAllMessagesViaOnPremises))) { c.RouteAllMessagesViaOnPremises = new(RouteAllMessagesViaOnPremises); }
        if (Has(nameof(CloudServicesMailEnabled))) { c.CloudServicesMailEnabled = new(CloudServicesMailEnabled); }
        if (Has(nameof(AllAcceptedDomains))) { c.AllAcceptedDomains = new(AllAcceptedDomains); }
        if (Has(nameof(SenderRewritingEnabled))) { c.SenderRewritingEnabled = new(SenderRewritingEnabled); }
        if (Has(nameof(MtaStsMode))) { c.MtaStsMode = new(MtaStsMode); }
        if (Has(nameof(SmtpDaneMode))) { c.SmtpDaneMode = new(SmtpDaneMode); }
        if (Has(nameof(TlsValidationMode))) { c.TlsValidationMode = new(TlsValidationMode); }
        if (Has(nameof(TestMode))) { c.TestMode = new(TestMode); }
        return c;
    }

    /// <summary>A multi-valued parameter as its source means it: an empty string piped (an empty Import-Csv cell) is an empty list.</summary>
    protected MultiValuedParameter? Bound(MultiValuedParameter? value, string parameterName) =>
        value is not null && !IsCommandLineBound(parameterName) ? value.ForPipeline() : value;

    /// <summary>A list replaces the property; @{Add=…; Remove=…} edits it.</summary>
    protected static (Change<IReadOnlyList<string>?>? Replace, ListEdit? Edit) ToChange(MultiValuedParameter? value) => value switch
    {
        null => (new Change<IReadOnlyList<string>?>(null), null),
        { IsEdit: true } => (null, new ListEdit(value.Add, value.Remove)),
        _ => (new Change<IReadOnlyList<string>?>(value.Replace), null),
    };
}
