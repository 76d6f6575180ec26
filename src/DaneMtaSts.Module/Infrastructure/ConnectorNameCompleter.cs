using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using DaneMtaSts.Engine.Connectors;

namespace DaneMtaSts.Module.Infrastructure;

/// <summary>
/// Completes -Identity with the names of the connectors in the store. Names that PowerShell would
/// split or interpret (spaces, quotes, $, commas …) come back single-quoted.
/// </summary>
public sealed class ConnectorNameCompleter : IArgumentCompleter
{
    private static readonly char[] NeedsQuoting = [' ', '\t', '\'', '"', '`', '$', ',', ';', '(', ')', '{', '}', '[', ']', '@', '#', '|', '&', '<', '>', '\u2018', '\u2019', '\u201C', '\u201D'];

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<OutboundConnector> connectors;
        try
        {
            connectors = ConnectorStore.OpenDefault().GetConnectors();
        }
        catch (Engine.EngineException)
        {
            // No completions from a store that cannot be read; the command itself will report why.
            return [];
        }

        string typed = (wordToComplete ?? string.Empty).Trim('\'', '"', '\u2018', '\u2019', '\u201C', '\u201D');
        var pattern = new WildcardPattern(WildcardPattern.Escape(typed) + "*", WildcardOptions.IgnoreCase);
        return connectors
            .Where(c => pattern.IsMatch(c.Name))
            .OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase)
            .Select(c => new CompletionResult(Quote(c.Name), c.Name, CompletionResultType.ParameterValue, Describe(c)))
            .ToList();
    }

    /// <summary>The name as it must be typed on a command line.</summary>
    public static string Quote(string name) =>
        name.IndexOfAny(NeedsQuoting) >= 0 || name.StartsWith('-')
            ? "'" + CodeGeneration.EscapeSingleQuotedStringContent(name) + "'"
            : name;

    private static string Describe(OutboundConnector c)
    {
        string target = c.RecipientDomains.Length > 0 ? string.Join(", ", c.RecipientDomains) : c.IsTransportRuleScoped ? "transport-rule scoped" : "all accepted domains";
        return $"{c.Name}: {target} (SmtpDaneMode {c.SmtpDaneMode}, MtaStsMode {c.MtaStsMode}{(c.Enabled ? string.Empty : ", disabled")})";
    }
}
