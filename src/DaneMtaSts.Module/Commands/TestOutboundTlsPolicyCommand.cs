using System.Management.Automation;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Module.Infrastructure;

namespace DaneMtaSts.Module.Commands;

/// <summary>
/// Test-OutboundTlsPolicy: a dry run of what Exchange Online would do with a message to each
/// domain under each requested mode — deliver (and how protected), queue (with its status code) or
/// reject — and why. Nothing is sent.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "OutboundTlsPolicy", DefaultParameterSetName = ShorthandSet)]
[OutputType(typeof(TlsPolicyResult))]
[OutputType(typeof(bool))]
public sealed class TestOutboundTlsPolicyCommand : NetworkCmdletBase
{
    private const string ShorthandSet = "TlsValidationMode";
    private const string ExplicitSet = "ExplicitModes";

    private readonly Queue<PendingDomain> _pending = new();
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private readonly List<RunContext> _contexts = [];
    private readonly Dictionary<Guid, RunContext> _pipedConnectors = [];
    private RunContext? _default;
    private OutboundConnector? _connector;
    private DryRunSession? _session;
    private SemaphoreSlim? _throttle;
    private int _started;
    private int _done;
    private bool _sawDomainInput;

    /// <summary>
    /// Domains, or e-mail addresses (reduced to their domain). Rows bind by the property names Domain,
    /// RecipientDomain, RecipientAddress (message trace) or Recipients; each domain is tested once.
    /// </summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("RecipientDomain", "RecipientAddress", "Recipients")]
    [AllowEmptyCollection]
    public string[]? Domain { get; set; }

    /// <summary>
    /// What is piped: a domain or address string, a connector of the store (its recipient domains are
    /// tested with its modes), or a row whose Domain/RecipientDomain/RecipientAddress/Recipients bound -Domain.
    /// </summary>
    [Parameter(ValueFromPipeline = true, DontShow = true)]
    public PSObject? InputObject { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    public OutboundConnectorIdParameter? Connector { get; set; }

    [Parameter(ParameterSetName = ShorthandSet)]
    [ValidateSet("None", "Opportunistic", "Mandatory")]
    public TlsValidationMode[]? TlsValidationMode { get; set; }

    [Parameter(ParameterSetName = ExplicitSet)]
    public SmtpDaneMode SmtpDaneMode { get; set; }

    [Parameter(ParameterSetName = ExplicitSet)]
    public MtaStsMode MtaStsMode { get; set; }

    /// <summary>
    /// How many domains are gathered at once. The network work is bounded apart from it, by the
    /// call's DNS query budget and probe limit (docs/dns.md#query-budget), so a domain waiting on a
    /// lookup or probe another domain started holds no query slot.
    /// </summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int ThrottleLimit { get; set; } = 256;

    /// <summary>Write $true/$false per result (Outcome -eq 'Deliver') instead of objects; Indeterminate is $false.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <summary>No SMTP connection at all: decide what DNS (and MTA-STS) decides; the rest is Indeterminate.</summary>
    [Parameter]
    public SwitchParameter SkipSmtpProbe { get; set; }

    protected override void BeginProcessing()
    {
        _connector = Connector is null ? null : RequireConnector(Connector);
        if (SkipSmtpProbe.IsPresent && SmtpProxy is not null)
        {
            ThrowTerminatingError(new ErrorRecord(
                new PSArgumentException("-SkipSmtpProbe makes no SMTP connection, so -SmtpProxy has nothing to carry: give one or the other."),
                "SkipSmtpProbeWithProxy", ErrorCategory.InvalidArgument, null));
        }

        _throttle = new SemaphoreSlim(ThrottleLimit);
        _default = CreateContext(_connector);
        _session = _default.Session;
        WriteProgress(new ProgressRecord(1, Activity, "Checking that a DNS server answers") { PercentComplete = 0 });
        EnsureDnsServerAvailable(_session);
    }

    // One session per connector judged: the modes, routing and TlsDomain decide what it gathers.
    private RunContext CreateContext(OutboundConnector? connector)
    {
        List<JudgeOptions> modes = ResolveModes(connector);
        bool dane = modes.Any(m => m.SmtpDaneMode != SmtpDaneMode.None);
        bool sts = modes.Any(m => m.MtaStsMode != MtaStsMode.None) && (connector?.UseMXRecord ?? true);
        if (connector is { Enabled: false })
        {
            WriteWarningOnce($"Connector '{connector.Name}' is disabled: Exchange Online would not route mail through it. It is judged as if it were enabled.");
        }

        var context = new RunContext(CreateSession(dane, sts, connector?.TlsDomain, SkipSmtpProbe.IsPresent), modes, connector);
        _contexts.Add(context);
        return context;
    }

    protected override void ProcessRecord()
    {
        object? piped = InputObject?.BaseObject;
        if (Domain is not null && (InputObject is null || MyInvocation.BoundParameters.ContainsKey(nameof(Domain))))
        {
            _sawDomainInput = true;
            foreach (string input in Domain)
            {
                StartInput(input, _default!);
            }
        }
        else if (piped is string text)
        {
            _sawDomainInput = true;
            StartInput(text, _default!);
        }
        else if (piped is OutboundConnector pipedConnector)
        {
            // A piped connector is judged as -Connector would judge it, read afresh from the store.
            _sawDomainInput = true;
            OutboundConnector current = RequireConnector(new OutboundConnectorIdParameter(pipedConnector));
            if (!_pipedConnectors.TryGetValue(current.Guid, out RunContext? context))
            {
                context = CreateContext(current);
                _pipedConnectors[current.Guid] = context;
            }

            foreach (string recipientDomain in current.RecipientDomains)
            {
                StartInput(recipientDomain, context);
            }
        }
        else if (InputObject is not null)
        {
            WriteError(new ErrorRecord(
                new PSArgumentException($"A piped object needs a Domain, RecipientDomain, RecipientAddress or Recipients property (or is a domain string or a connector); this one has none: {InputObject}."),
                "NoDomainInInput", ErrorCategory.InvalidArgument, InputObject));
            return;
        }
        else
        {
            return;
        }

        Flush(block: false);
    }

    // Addresses are reduced to their domain; "a@x; b@y" lists split; each domain tested once per context.
    private void StartInput(string input, RunContext context)
    {
        foreach (string part in input.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string candidate = part.Trim('<', '>');
            int at = candidate.LastIndexOf('@');
            if (at >= 0)
            {
                candidate = candidate[(at + 1)..];
            }

            string key = DomainName.TryNormalize(candidate, out string? normalized, out _) ? normalized : candidate;
            if (context.Seen.Add(key))
            {
                Start(candidate, context);
            }
        }
    }

    protected override void EndProcessing()
    {
        if (!_sawDomainInput)
        {
            if (_connector is null)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new PSArgumentException("Give -Domain (or pipe domains), or -Connector to test the connector's recipient domains."),
                    "DomainRequired", ErrorCategory.InvalidArgument, null));
                return;
            }

            foreach (string recipientDomain in _connector.RecipientDomains)
            {
                StartInput(recipientDomain, _default!);
            }
        }

        Flush(block: true);
        SavePolicyCache();
        WriteProgress(new ProgressRecord(1, Activity, "Done") { RecordType = ProgressRecordType.Completed });

        // What this call cost on the wire, for the benchmark and for support: a typed object on the
        // information stream (silent unless asked for, e.g. with -InformationVariable).
        if (_session is not null)
        {
            WriteInformation(_session.Snapshot(), [StatisticsTag]);
        }
    }

    private const string Activity = "Testing outbound TLS policy";

    /// <summary>The information-stream tag of the call's <see cref="DryRunSnapshot"/>.</summary>
    public const string StatisticsTag = "DaneMtaSts.DryRunStatistics";

    private List<JudgeOptions> ResolveModes(OutboundConnector? connector)
    {
        var pairs = new List<(SmtpDaneMode, MtaStsMode)>();
        if (TlsValidationMode is { Length: > 0 })
        {
            foreach (TlsValidationMode mode in TlsValidationMode.Distinct())
            {
                pairs.Add(OutboundConnector.ExpandTlsValidationMode(mode));
            }
        }
        else if (ParameterSetName == ExplicitSet)
        {
            SmtpDaneMode dane = MyInvocation.BoundParameters.ContainsKey(nameof(SmtpDaneMode)) ? SmtpDaneMode : connector?.SmtpDaneMode ?? SmtpDaneMode.Opportunistic;
            MtaStsMode sts = MyInvocation.BoundParameters.ContainsKey(nameof(MtaStsMode)) ? MtaStsMode : connector?.MtaStsMode ?? MtaStsMode.Opportunistic;
            pairs.Add((dane, sts));
        }
        else if (connector is not null)
        {
            pairs.Add((connector.SmtpDaneMode, connector.MtaStsMode));
        }
        else
        {
            pairs.Add((SmtpDaneMode.Opportunistic, MtaStsMode.Opportunistic));
        }

        return pairs.Select(p => new JudgeOptions
        {
            SmtpDaneMode = p.Item1,
            MtaStsMode = p.Item2,
            TlsSettings = connector?.TlsSettings,
            TlsDomain = connector?.TlsDomain,
            ConnectorName = connector?.Name,
        }).ToList();
    }

    private void Start(string input, RunContext context)
    {
        string domain;
        try
        {
            domain = RecipientDomainInput.Parse(input);
        }
        catch (EngineException ex)
        {
            WriteError(EngineErrors.ToErrorRecord(ex, input));
            return;
        }

        DryRunSession session = context.Session;
        SemaphoreSlim throttle = _throttle!;
        CancellationToken token = CancelToken;
        OutboundConnector? connector = context.Connector;
        Task<DomainEvidence> task = Task.Run(async () =>
        {
            await throttle.WaitAsync(token);
            try
            {
                return connector is { UseMXRecord: false }
                    ? await session.Gatherer.GatherSmartHostsAsync(domain, connector.SmartHosts, token)
                    : await session.Gatherer.GatherMxAsync(domain, token);
            }
            finally
            {
                throttle.Release();
            }
        }, token);
        _pending.Enqueue(new PendingDomain(input, domain, task, context));
        _started++;

        // Back-pressure: a stream of 10,000 domains must not start 10,000 gatherings at once. Keep
        // a bounded window in flight and emit (in order) before reading more input.
        while (_pending.Count > MaxInFlight)
        {
            FlushHead();
        }
    }

    private int MaxInFlight => Math.Max(64, ThrottleLimit * 2);

    // Results leave in input order, each as soon as it and everything before it is ready.
    //
    // A domain whose host failed at the connect stage on every address is the partner's failure
    // (ConnectFailed, 4.4.316) only if this call reached port 25 somewhere; until some probe has
    // connected, or every gathering started so far has ended, its verdict is not decided and it
    // waits (and, to keep the order, so does everything after it). So a streamed verdict never
    // changes after it was written. What it cannot see: input that has not arrived yet. A
    // connect-failed domain emitted when all in-flight work had ended without any connection stays
    // Indeterminate even if a later domain then reaches port 25.
    private void Flush(bool block)
    {
        while (_pending.Count > 0 && (block || IsDecided(_pending.Peek())))
        {
            FlushHead();
        }
    }

    private void FlushHead()
    {
        PendingDomain head = _pending.Peek();
        if (!IsDecided(head))
        {
            WaitWithProgress(head);
        }

        _pending.Dequeue();
        _done++;
        Emit(head);
    }

    private bool IsDecided(PendingDomain item) =>
        item.Evidence.IsCompleted &&
        (!item.Evidence.IsCompletedSuccessfully || !DependsOnReachability(item.Evidence.Result) || _contexts.Any(c => c.Session.Port25Reached) || _pending.All(p => p.Evidence.IsCompleted));

    private static bool DependsOnReachability(DomainEvidence evidence) =>
        !evidence.Hosts.Any(h => h.Addresses.Any(a => a.Connected)) &&
        evidence.Hosts.Any(h => h.Addresses.Count > 0 && h.Addresses.All(a => a.Stage == Engine.Smtp.SmtpProbeStage.Connect && !a.ProxyFailed));

    private void WaitWithProgress(PendingDomain head)
    {
        try
        {
            while (!IsDecided(head))
            {
                if (!head.Evidence.IsCompleted)
                {
                    head.Evidence.Wait(250, CancelToken);
                }
                else
                {
                    // Decided by any other gathering: wake when one ends (or a probe connects).
                    Task[] running = [.. _pending.Select(p => (Task)p.Evidence).Where(t => !t.IsCompleted)];
                    if (running.Length > 0)
                    {
                        Task.WaitAny(running, 250, CancelToken);
                    }
                }

                ReportProgress(head.Domain);
            }
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        catch (AggregateException)
        {
            // Observed in Emit.
        }
    }

    private void ReportProgress(string current)
    {
        int percent = _started == 0 ? 0 : Math.Min(100, _done * 100 / _started);
        WriteProgress(new ProgressRecord(1, Activity, $"{_done} of {_started} domains done") { CurrentOperation = current, PercentComplete = percent });
    }

    private void Emit(PendingDomain item)
    {
        ReportProgress(item.Domain);
        if (item.Evidence.IsCanceled || CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        if (item.Evidence.IsFaulted)
        {
            Exception ex = item.Evidence.Exception!.GetBaseException();
            WriteError(ex is EngineException ee
                ? EngineErrors.ToErrorRecord(ee, item.Input)
                : new ErrorRecord(ex, "DryRunFailed", ErrorCategory.NotSpecified, item.Input));
            return;
        }

        WritePolicyCacheWarnings();
        DomainEvidence evidence = item.Evidence.Result;
        bool reached = _contexts.Any(c => c.Session.Port25Reached);
        foreach (JudgeOptions mode in item.Context.Modes)
        {
            TlsPolicyResult result = VerdictEngine.Judge(evidence, mode with { Port25Reached = reached });
            foreach (string warning in result.Warnings)
            {
                WriteWarningOnce($"{result.Domain}: {warning}");
            }

            WarnOncePerCall(result);

            WriteObject(Quiet.IsPresent ? result.Outcome == Outcome.Deliver : result);
        }
    }

    // One warning per call, not one per domain, for what is about this machine rather than a partner.
    private void WarnOncePerCall(TlsPolicyResult result)
    {
        if (result.Hosts.Any(h => h.Kind == FailureKind.Unreachable))
        {
            WriteWarningOnce(SmtpProxy is null
                ? $"No host answered on port 25 from this machine in this call, so connection failures are not blamed on the partners: those verdicts are Indeterminate. The network here may block port 25 (many ISPs and clouds do); {VerdictText.PortAdvice}."
                : $"No host answered on port 25 through the SOCKS5 proxy {SmtpProxy} in this call, so connection failures are not blamed on the partners: those verdicts are Indeterminate. The proxy's side may block port 25, or the proxy may report connections it could not make (ssh -D does when its far side cannot connect): check port 25 from the proxy's host, or use -SkipSmtpProbe.");
        }

        if (result.Hosts.FirstOrDefault(h => h.Kind == FailureKind.ProxyFailed) is { } proxy)
        {
            // Once per call, whatever the host: the first failure's detail stands for all of them
            // (each result's Reason has its own).
            WriteWarningOnce($"The SOCKS5 proxy {SmtpProxy} failed, so verdicts that needed it are Indeterminate (the first: {proxy.Reason})", "ProxyFailed");
        }

        if (SkipSmtpProbe.IsPresent && result.Kind == FailureKind.ProbeSkipped)
        {
            WriteWarningOnce("-SkipSmtpProbe: no SMTP connection was made; verdicts that need the STARTTLS offer or the served certificate are Indeterminate, the ones DNS decides are decided.");
        }
    }

    // key: what makes two warnings the same one (default: the text).
    private void WriteWarningOnce(string text, string? key = null)
    {
        if (_warned.Add(key ?? text))
        {
            WriteWarning(text);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (RunContext context in _contexts)
            {
                context.Session.Dispose();
            }

            _throttle?.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed record PendingDomain(string Input, string Domain, Task<DomainEvidence> Evidence, RunContext Context);

    /// <summary>The session, modes and connector one group of domains is judged with; Seen: the domains started in it.</summary>
    private sealed record RunContext(DryRunSession Session, List<JudgeOptions> Modes, OutboundConnector? Connector)
    {
        public HashSet<string> Seen { get; } = new(StringComparer.OrdinalIgnoreCase);
    }
}
