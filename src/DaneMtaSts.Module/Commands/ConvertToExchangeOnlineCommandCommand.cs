using System.Management.Automation;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Module.Infrastructure;

namespace DaneMtaSts.Module.Commands;

/// <summary>
/// ConvertTo-ExchangeOnlineCommand: the exact Exchange Online command that gives a tenant connector
/// the TLS settings of a local one. Exchange Online has no -TlsValidationMode (this module's own
/// shorthand): the two modes it stands for are always written out.
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "ExchangeOnlineCommand")]
[OutputType(typeof(string))]
public sealed class ConvertToExchangeOnlineCommandCommand : ConnectorCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConnectorNameCompleter))]
    public OutboundConnectorIdParameter Identity { get; set; } = null!;

    /// <summary>Also write -TlsSettings/-TlsDomain (the connector's certificate checks), not only the two modes.</summary>
    [Parameter]
    public SwitchParameter IncludeTlsSettings { get; set; }

    /// <summary>The noun prefix the tenant's commands were imported with (Connect-ExchangeOnline -Prefix).</summary>
    [Parameter]
    [ValidatePattern("^[A-Za-z0-9]*$")]
    public string Prefix { get; set; } = string.Empty;

    protected override void ProcessRecord()
    {
        if (FindConnector(Identity) is not { } connector)
        {
            return;
        }

        WriteObject(ExchangeOnlineCommand.SetTlsModes(connector, IncludeTlsSettings.IsPresent, Prefix));
    }
}

/// <summary>Exchange Online command lines, quoted for PowerShell.</summary>
public static class ExchangeOnlineCommand
{
    /// <summary>Set-OutboundConnector -Identity '…' -SmtpDaneMode … -MtaStsMode … [-TlsSettings … -TlsDomain …].</summary>
    public static string SetTlsModes(OutboundConnector connector, bool includeTlsSettings, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(connector);
        var parts = new List<string>
        {
            $"Set-{prefix}OutboundConnector",
            "-Identity", Quote(connector.Name),
            "-SmtpDaneMode", connector.SmtpDaneMode.ToString(),
            "-MtaStsMode", connector.MtaStsMode.ToString(),
        };
        if (includeTlsSettings)
        {
            parts.Add("-TlsSettings");
            parts.Add(connector.TlsSettings is { } level ? level.ToString() : "$null");
            parts.Add("-TlsDomain");
            parts.Add(connector.TlsDomain is { } domain ? Quote(domain) : "$null");
        }

        return string.Join(' ', parts);
    }

    /// <summary>
    /// A single-quoted PowerShell string: only the quote characters need doubling inside it (the
    /// tokenizer also takes the typographic single quotes U+2018–U+201B as quotes).
    /// </summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new System.Text.StringBuilder(value.Length + 2).Append('\'');
        foreach (char ch in value)
        {
            if (ch is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B')
            {
                sb.Append(ch);
            }

            sb.Append(ch);
        }

        return sb.Append('\'').ToString();
    }
}
