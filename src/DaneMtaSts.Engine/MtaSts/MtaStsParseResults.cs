namespace DaneMtaSts.Engine.MtaSts;

/// <summary>
/// An MTA-STS policy body checked offline (RFC 8461 §3.2), as ConvertFrom-MtaStsPolicy shows it: the
/// fields when it is valid, and always the parser's warnings (where the RFC is silent and the parser
/// stayed lenient) and errors (why a sender would treat it as no policy).
/// </summary>
public sealed record MtaStsPolicyParseResult
{
    public required bool Valid { get; init; }

    public string? Version { get; init; }

    public MtaStsPolicyMode? Mode { get; init; }

    /// <summary>max_age in seconds, after capping to RFC 8461's maximum (31557600).</summary>
    public long? MaxAge { get; init; }

    /// <summary>The mx patterns, normalised (lower case, A-labels).</summary>
    public IReadOnlyList<string> Mx { get; init; } = [];

    /// <summary>Keys other than version, mode, max_age and mx.</summary>
    public IReadOnlyDictionary<string, string> Extensions { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Warnings { get; init; } = [];

    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>Where the text came from (a file path), null for text given directly.</summary>
    public string? Source { get; init; }

    /// <summary>The parsed policy (null unless valid), e.g. for Test-DaneCertificate -MtaStsPolicy.</summary>
    public MtaStsPolicy? Policy { get; init; }

    public static MtaStsPolicyParseResult Parse(string text, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!MtaStsPolicy.TryParse(text, out MtaStsPolicy? policy, out string? error, out IReadOnlyList<string> warnings))
        {
            return new MtaStsPolicyParseResult { Valid = false, Warnings = warnings, Errors = [error], Source = source };
        }

        return new MtaStsPolicyParseResult
        {
            Valid = true,
            Version = policy.Version,
            Mode = policy.Mode,
            MaxAge = policy.MaxAgeSeconds,
            Mx = policy.Mx,
            Extensions = policy.Extensions,
            Warnings = policy.Warnings,
            Source = source,
            Policy = policy,
        };
    }

    public override string ToString() => Valid
        ? $"mode {Mode}, max_age {MaxAge}, mx {string.Join(", ", Mx)}{(Warnings.Count > 0 ? $" ({Warnings.Count} warning(s))" : "")}"
        : $"invalid: {string.Join(" ", Errors)}";
}

/// <summary>
/// The TXT records of an <c>_mta-sts</c> name checked offline (RFC 8461 §3.1), as
/// ConvertFrom-MtaStsPolicy -TxtRecord shows them.
/// </summary>
public sealed record MtaStsTxtParseResult
{
    public required bool Valid { get; init; }

    /// <summary>The policy id (null unless valid).</summary>
    public string? Id { get; init; }

    /// <summary>How many of the records begin with "v=STSv1;" (the others were discarded before counting).</summary>
    public int StsRecordCount { get; init; }

    /// <summary>The STSv1 record that was parsed (the first when there are several).</summary>
    public string? Record { get; init; }

    public IReadOnlyDictionary<string, string> Extensions { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Warnings { get; init; } = [];

    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>One sentence: what was found and, if not valid, why there is no policy.</summary>
    public required string Diagnosis { get; init; }

    public static MtaStsTxtParseResult Parse(IReadOnlyList<string> txtRecords)
    {
        MtaStsTxtRecord record = MtaStsTxtRecord.Parse(txtRecords);
        return new MtaStsTxtParseResult
        {
            Valid = record.IsValid,
            Id = record.Id,
            StsRecordCount = record.StsRecordCount,
            Record = record.RecordText,
            Extensions = record.Extensions,
            Warnings = record.Warnings,
            Errors = record.IsValid ? [] : [record.Diagnosis],
            Diagnosis = record.Diagnosis,
        };
    }

    public override string ToString() => Diagnosis;
}
