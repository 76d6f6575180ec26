using System.Management.Automation;
using System.Text;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Reporting;

namespace DaneMtaSts.Module.Commands;

/// <summary>
/// Export-TlsRptReport: writes one RFC 8460 JSON report per policy domain from the results piped in
/// (pipe the results of one mode: each result counts as one session).
/// </summary>
[Cmdlet(VerbsData.Export, "TlsRptReport", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportTlsRptReportCommand : PSCmdlet
{
    private readonly List<TlsPolicyResult> _results = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public TlsPolicyResult[] InputObject { get; set; } = [];

    /// <summary>The folder the reports are written to (created if missing).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OrganizationName { get; set; } = "";

    /// <summary>An e-mail address or URI the report's recipient can reach the sender at.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string ContactInfo { get; set; } = "";

    /// <summary>Start of the reporting period (default: the start of today, UTC).</summary>
    [Parameter]
    public DateTime? StartDate { get; set; }

    /// <summary>End of the reporting period (default: the end of the start date's UTC day).</summary>
    [Parameter]
    public DateTime? EndDate { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SendingMtaIp { get; set; }

    /// <summary>The sending domain used in the report file names.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string SenderDomain { get; set; } = "danemtasts.invalid";

    protected override void ProcessRecord() => _results.AddRange(InputObject.Where(r => r is not null));

    protected override void EndProcessing()
    {
        DateTime start = (StartDate ?? DateTime.UtcNow.Date).ToUniversalTime();
        DateTime end = (EndDate ?? start.Date.AddDays(1).AddSeconds(-1)).ToUniversalTime();
        if (end < start)
        {
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("EndDate is before StartDate."), "InvalidDateRange", ErrorCategory.InvalidArgument, EndDate));
        }

        string folder = GetUnresolvedProviderPathFromPSPath(Path);
        IReadOnlyList<TlsRptReport> reports;
        try
        {
            reports = TlsRptReportBuilder.Build(_results, new TlsRptReportOptions
            {
                OrganizationName = OrganizationName,
                ContactInfo = ContactInfo,
                Start = new DateTimeOffset(start, TimeSpan.Zero),
                End = new DateTimeOffset(end, TimeSpan.Zero),
                SendingMtaIp = SendingMtaIp,
                SenderDomain = DomainName.Normalize(SenderDomain),
            });
        }
        catch (EngineException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.InvalidArgument, ex.Target));
            return;
        }

        if (reports.Count == 0)
        {
            WriteWarning("No report was written: the input holds no Deliver or Queue result (Reject results are not TLS sessions).");
            return;
        }

        foreach (TlsRptReport report in reports)
        {
            string file = System.IO.Path.Combine(folder, report.FileName);
            if (!ShouldProcess(file, $"Write the TLS-RPT report for {report.PolicyDomain} ({report.SuccessfulSessions} successful, {report.FailedSessions} failed sessions)"))
            {
                continue;
            }

            try
            {
                Directory.CreateDirectory(folder);
                string temp = file + ".tmp";
                File.WriteAllText(temp, report.Json, new UTF8Encoding(false));
                File.Move(temp, file, overwrite: true);
                WriteObject(new FileInfo(file));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                WriteError(new ErrorRecord(ex, "TlsRptReportWriteFailed", ErrorCategory.WriteError, file));
            }
        }
    }
}
