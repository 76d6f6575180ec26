using System.Management.Automation;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Module.Infrastructure;

namespace DaneMtaSts.Module.Commands;

/// <summary>
/// Validate-OutboundConnector (Exchange Online's own name, an unapproved verb, so it is the alias
/// of Test-OutboundConnector: an exported cmdlet with that verb makes every Import-Module warn):
/// judges the connector's TLS policy for each recipient and, where the verdict is Deliver, sends a
/// short test message over the very TLS session that was judged. It does not change the connector.
/// It sends real mail from this machine, so it honours -WhatIf and -Confirm per recipient domain.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "OutboundConnector", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[Alias(ExchangeOnlineName)]
[OutputType(typeof(ConnectorValidationResult))]
public sealed class ValidateOutboundConnectorCommand : NetworkCmdletBase
{
    /// <summary>The name Exchange Online gives this cmdlet, exported as its alias.</summary>
    public const string ExchangeOnlineName = "Validate-OutboundConnector";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    public OutboundConnectorIdParameter Identity { get; set; } = null!;

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string[] Recipients { get; set; } = [];

    /// <summary>The envelope sender and From address of the test message (default: postmaster at the EHLO name).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Sender { get; set; }

    protected override void ProcessRecord()
    {
        OutboundConnector connector = RequireConnector(Identity);
        var byDomain = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (string recipient in Recipients)
        {
            try
            {
                string domain = ConnectorValidator.RecipientDomain(recipient);
                if (!byDomain.TryGetValue(domain, out var list))
                {
                    byDomain[domain] = list = [];
                }

                list.Add(recipient);
            }
            catch (EngineException ex)
            {
                WriteError(EngineErrors.ToErrorRecord(ex, recipient));
            }
        }

        DryRunOptions options;
        try
        {
            options = BuildDryRunOptions(connector.SmtpDaneMode != SmtpDaneMode.None, connector.MtaStsMode != MtaStsMode.None && connector.UseMXRecord, connector.TlsDomain);
        }
        catch (EngineException ex)
        {
            ThrowTerminatingError(EngineErrors.ToErrorRecord(ex, ex.Target));
            return;
        }

        string sender = Sender ?? $"postmaster@{options.EhloName}";
        try
        {
            _ = ConnectorValidator.RecipientDomain(sender);
        }
        catch (EngineException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "InvalidSender", ErrorCategory.InvalidArgument, sender));
        }

        if (byDomain.Count > 0)
        {
            // One terminating error for the call when no resolver answers, not one per domain.
            using DryRunSession check = DryRunSession.Create(options with { MtaSts = false }, null);
            EnsureDnsServerAvailable(check);
        }

        MtaStsPolicyCacheFile cache = PolicyCache;
        foreach (var (domain, recipients) in byDomain)
        {
            if (connector.UseMXRecord && !connector.RecipientDomains.Any(d => Covers(d, domain)) && connector.RecipientDomains.Length > 0)
            {
                WriteWarning($"{domain} is not among the RecipientDomains of connector '{connector.Name}' ({string.Join(", ", connector.RecipientDomains)}); it is validated through the connector anyway.");
            }

            // Everything before this point only reads; from here real mail may leave this machine.
            if (!ShouldProcess(
                $"{string.Join(", ", recipients)} through outbound connector '{connector.Name}', from {sender} (EHLO {options.EhloName}), sent from this machine",
                "Send a test message"))
            {
                continue;
            }

            WriteProgress(new ProgressRecord(2, $"Validating connector {connector.Name}", $"Testing {domain}"));
            IReadOnlyList<ConnectorValidationResult> results;
            try
            {
                results = RunSynchronously(token => ConnectorValidator.ValidateDomainAsync(connector, domain, recipients, sender, options, cache, token));
            }
            catch (EngineException ex)
            {
                WriteError(EngineErrors.ToErrorRecord(ex, domain));
                continue;
            }

            foreach (ConnectorValidationResult result in results)
            {
                foreach (string warning in result.Verdict.Warnings)
                {
                    WriteWarning($"{domain}: {warning}");
                }

                WriteObject(result);
            }

            WritePolicyCacheWarnings();
        }

        SavePolicyCache();

        WriteProgress(new ProgressRecord(2, $"Validating connector {connector.Name}", "Done") { RecordType = ProgressRecordType.Completed });
    }

    private static bool Covers(string pattern, string domain) =>
        pattern == "*" ||
        string.Equals(pattern, domain, StringComparison.OrdinalIgnoreCase) ||
        (pattern.StartsWith("*.", StringComparison.Ordinal) && domain.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase));
}
