using System.Management.Automation;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Module.Infrastructure;

namespace DaneMtaSts.Module.Commands;

/// <summary>Get-MtaStsPolicyCache: the MTA-STS policies cached beside the store, as the file holds them now.</summary>
[Cmdlet(VerbsCommon.Get, "MtaStsPolicyCache")]
[OutputType(typeof(MtaStsCachedPolicy))]
public sealed class GetMtaStsPolicyCacheCommand : CancellableCmdlet
{
    /// <summary>Policy domains to show (wildcards allowed); default: all.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Domain { get; set; }

    private IReadOnlyList<MtaStsCachedPolicy> _entries = [];

    protected override void BeginProcessing()
    {
        MtaStsPolicyCacheFile cache;
        try
        {
            cache = MtaStsPolicyCacheFile.OpenDefault();
        }
        catch (EngineException ex)
        {
            ThrowTerminatingError(EngineErrors.ToErrorRecord(ex, null));
            return;
        }

        WriteVerbose($"MTA-STS policy cache: {cache.Path}");
        _entries = cache.ReadAll();
        foreach (string warning in cache.DrainWarnings())
        {
            WriteWarning(warning);
        }
    }

    protected override void ProcessRecord()
    {
        foreach (MtaStsCachedPolicy entry in MtaStsPolicyCacheSelection.Select(_entries, Domain))
        {
            WriteObject(MtaStsPolicyCacheSelection.ToPSObject(entry));
        }
    }
}

/// <summary>Clear-MtaStsPolicyCache: forgets cached MTA-STS policies (all, or those of the given domains).</summary>
[Cmdlet(VerbsCommon.Clear, "MtaStsPolicyCache", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(MtaStsCachedPolicy))]
public sealed class ClearMtaStsPolicyCacheCommand : CancellableCmdlet
{
    /// <summary>Policy domains to forget (wildcards allowed); default: all.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? Domain { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private readonly List<string> _domains = [];
    private bool _all;

    protected override void ProcessRecord()
    {
        if (Domain is null)
        {
            _all = true;
        }
        else
        {
            _domains.AddRange(Domain);
        }
    }

    protected override void EndProcessing()
    {
        MtaStsPolicyCacheFile cache = MtaStsPolicyCacheFile.OpenDefault();
        string[]? patterns = _all ? null : [.. _domains];
        var chosen = MtaStsPolicyCacheSelection.Select(cache.ReadAll(), patterns).Select(e => e.Domain).ToHashSet(StringComparer.Ordinal);
        foreach (string warning in cache.DrainWarnings())
        {
            WriteWarning(warning);
        }

        if (chosen.Count == 0 || !ShouldProcess($"{chosen.Count} cached MTA-STS polic{(chosen.Count == 1 ? "y" : "ies")} ({string.Join(", ", chosen.Order(StringComparer.Ordinal))}) in {cache.Path}", "Clear"))
        {
            return;
        }

        IReadOnlyList<MtaStsCachedPolicy> removed;
        try
        {
            removed = cache.Clear(e => chosen.Contains(e.Domain), CancelToken);
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        foreach (string warning in cache.DrainWarnings())
        {
            WriteWarning(warning);
        }

        if (PassThru)
        {
            foreach (MtaStsCachedPolicy entry in removed)
            {
                WriteObject(MtaStsPolicyCacheSelection.ToPSObject(entry));
            }
        }
    }
}

internal static class MtaStsPolicyCacheSelection
{
    public const string PSTypeName = "DaneMtaSts.MtaStsCachedPolicy";

    /// <summary>The entries whose domain matches one of the patterns (a name in any form, or a wildcard); all when null.</summary>
    public static IEnumerable<MtaStsCachedPolicy> Select(IReadOnlyList<MtaStsCachedPolicy> entries, string[]? patterns)
    {
        if (patterns is null)
        {
            return entries;
        }

        var matchers = patterns.Select(p =>
        {
            if (WildcardPattern.ContainsWildcardCharacters(p))
            {
                var w = new WildcardPattern(p, WildcardOptions.IgnoreCase);
                return (Func<string, bool>)w.IsMatch;
            }

            string key = DomainName.TryNormalize(p, out string? n, out _) ? n : p;
            return d => string.Equals(d, key, StringComparison.OrdinalIgnoreCase);
        }).ToList();
        return entries.Where(e => matchers.Any(m => m(e.Domain)));
    }

    public static PSObject ToPSObject(MtaStsCachedPolicy entry)
    {
        var pso = new PSObject(entry);
        pso.TypeNames.Insert(0, PSTypeName);
        return pso;
    }
}
