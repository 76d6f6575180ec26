using System.Management.Automation;
using System.Text;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Module.Infrastructure;

namespace DaneMtaSts.Module.Commands;

/// <summary>
/// ConvertFrom-MtaStsPolicy: parses an MTA-STS policy body (RFC 8461 §3.2) or the TXT records of an
/// <c>_mta-sts</c> name (RFC 8461 §3.1) offline, with the dry run's own parser, and shows what a
/// sender would read: the fields, the parser's warnings and, for an invalid one, why it is no policy.
/// </summary>
[Cmdlet(VerbsData.ConvertFrom, "MtaStsPolicy", DefaultParameterSetName = TextSet)]
[OutputType(typeof(MtaStsPolicyParseResult), ParameterSetName = [TextSet, PathSet])]
[OutputType(typeof(MtaStsTxtParseResult), ParameterSetName = [TxtSet])]
public sealed class ConvertFromMtaStsPolicyCommand : PSCmdlet
{
    private const string TextSet = "Text";
    private const string PathSet = "Path";
    private const string TxtSet = "TxtRecord";

    /// <summary>Policy bodies larger than this are refused: RFC 8461 §3.3 lets senders stop at 64 KiB.</summary>
    public const int MaxPolicyBytes = 64 * 1024;

    private readonly StringBuilder _text = new();
    private bool _sawText;

    /// <summary>
    /// The policy text. Piped strings are joined with LF into one policy (as Get-Content gives the
    /// lines of a file) and parsed once at the end; a string's own CRLF or LF line ends are kept.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = TextSet)]
    [AllowEmptyString]
    public string Policy { get; set; } = string.Empty;

    /// <summary>Files holding one policy each (the body of https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>The TXT records of _mta-sts.&lt;domain&gt;, each one record (its strings already joined), e.g. 'v=STSv1; id=20260101'.</summary>
    [Parameter(Mandatory = true, ParameterSetName = TxtSet)]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public string[] TxtRecord { get; set; } = [];

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case TextSet:
                if (_sawText)
                {
                    _text.Append('\n');
                }

                _text.Append(Policy);
                _sawText = true;
                if (_text.Length > MaxPolicyBytes)
                {
                    ThrowTerminatingError(TooLarge(null));
                }

                break;
            case PathSet:
                foreach (string path in Path)
                {
                    WritePolicyFile(path);
                }

                break;
        }
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName == TextSet && _sawText)
        {
            WriteObject(MtaStsPolicyParseResult.Parse(_text.ToString()));
        }
        else if (ParameterSetName == TxtSet)
        {
            WriteObject(MtaStsTxtParseResult.Parse(TxtRecord));
        }
    }

    private void WritePolicyFile(string path)
    {
        string resolved = GetUnresolvedProviderPathFromPSPath(path);
        byte[] bytes;
        try
        {
            var info = new FileInfo(resolved);
            if (info.Exists && info.Length > MaxPolicyBytes)
            {
                WriteError(TooLarge(resolved));
                return;
            }

            bytes = File.ReadAllBytes(resolved);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(ex, "PolicyFileUnreadable", ErrorCategory.ReadError, path));
            return;
        }

        // RFC 8461 §3.2: the policy is text; a byte that is not UTF-8 becomes U+FFFD, which the
        // parser reports as an invalid key or value instead of the file failing to load.
        WriteObject(MtaStsPolicyParseResult.Parse(new UTF8Encoding(false, false).GetString(bytes), resolved));
    }

    private static ErrorRecord TooLarge(string? path) => new(
        new EngineException("PolicyTooLarge", EngineErrorKind.InvalidArgument,
            $"The policy{(path is null ? "" : $" '{path}'")} is larger than {MaxPolicyBytes / 1024} KiB; senders need not read more (RFC 8461 §3.3), so it is not parsed.", path),
        "PolicyTooLarge", ErrorCategory.InvalidData, path);
}
