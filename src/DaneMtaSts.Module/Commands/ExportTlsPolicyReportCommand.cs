using System.Management.Automation;
using System.Text;
using DaneMtaSts.Engine.Reporting;

namespace DaneMtaSts.Module.Commands;

/// <summary>
/// Export-TlsPolicyReport: writes the impact report of the results piped in (a summary chart per
/// connector and mode, the partners that would queue, per partner verdicts, evidence and the fix)
/// as one self-contained HTML page or as Markdown.
/// </summary>
[Cmdlet(VerbsData.Export, "TlsPolicyReport", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportTlsPolicyReportCommand : PSCmdlet
{
    private readonly List<TlsPolicyResult> _results = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowEmptyCollection]
    public TlsPolicyResult[] InputObject { get; set; } = [];

    /// <summary>The report file to write (replaced if it exists).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    [ValidateSet("Html", "Markdown")]
    public string Format { get; set; } = "Html";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Title { get; set; } = "Outbound TLS policy impact report";

    protected override void ProcessRecord() => _results.AddRange(InputObject.Where(r => r is not null));

    protected override void EndProcessing()
    {
        string file = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(file, $"Write the {Format} TLS policy report of {_results.Count} result(s)"))
        {
            return;
        }

        var report = TlsPolicyReport.Build(_results, new TlsPolicyReportOptions
        {
            ModuleVersion = MyInvocation.MyCommand.Module?.Version?.ToString() ?? typeof(ExportTlsPolicyReportCommand).Assembly.GetName().Version?.ToString() ?? "unknown",
            GeneratedAt = DateTimeOffset.UtcNow,
            ComputerName = Environment.MachineName,
            Title = Title,
        });
        string text = string.Equals(Format, "Markdown", StringComparison.OrdinalIgnoreCase) ? report.ToMarkdown() : report.ToHtml();
        string temp = file + ".tmp";
        try
        {
            string? folder = System.IO.Path.GetDirectoryName(file);
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }

            File.WriteAllText(temp, text, new UTF8Encoding(false));
            File.Move(temp, file, overwrite: true);
            WriteObject(new FileInfo(file));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            WriteError(new ErrorRecord(ex, "TlsPolicyReportWriteFailed", ErrorCategory.WriteError, file));
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The write error is what matters; a left-over temp file is named beside it.
        }
    }
}
