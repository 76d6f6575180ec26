using System.Collections.ObjectModel;

namespace DaneMtaSts.Engine.MtaSts;

/// <summary>
/// The <c>_mta-sts.&lt;domain&gt;</c> TXT record (RFC 8461 §3.1):
/// <code>
/// sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
/// sts-field-delim = *WSP ";" *WSP
/// sts-version     = %s"v=STSv1"
/// sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
/// sts-extension   = sts-ext-name "=" sts-ext-value
/// sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
/// sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
/// </code>
/// </summary>
public sealed record MtaStsTxtRecord
{
    private const string Version = "v=STSv1";

    /// <summary>True when exactly one STSv1 record was found and it is well-formed: a policy may be fetched.</summary>
    public required bool IsValid { get; init; }

    /// <summary>The policy id (null unless valid).</summary>
    public string? Id { get; init; }

    /// <summary>The STSv1 record text (the single one, or the first of several), null when none.</summary>
    public string? RecordText { get; init; }

    /// <summary>How many of the TXT records start with v=STSv1.</summary>
    public int StsRecordCount { get; init; }

    /// <summary>Extension fields, in record order (name → value).</summary>
    public IReadOnlyDictionary<string, string> Extensions { get; init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>
    /// Where RFC 8461 is silent and the parser stayed lenient (a repeated field, a discarded bare
    /// "v=STSv1"), one sentence each; empty when there was nothing to forgive.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>One sentence: what was found and, if not valid, why there is no policy.</summary>
    public required string Diagnosis { get; init; }

    /// <summary>Selects and parses the STSv1 record among the TXT records of <c>_mta-sts.&lt;domain&gt;</c> (each already concatenated).</summary>
    public static MtaStsTxtRecord Parse(IReadOnlyList<string> txtRecords)
    {
        ArgumentNullException.ThrowIfNull(txtRecords);

        // RFC 8461 §3.1: "Records that do not begin with "v=STSv1;" are discarded", before the records
        // are counted: a bare "v=STSv1" beside a valid record does not make two. WSP before the ';' is
        // allowed (sts-field-delim = *WSP ";" *WSP).
        var candidates = txtRecords.Where(IsStsRecord).ToList();
        var warnings = new List<string>();
        int bare = txtRecords.Count(r => r is not null && r.StartsWith(Version, StringComparison.Ordinal) && r.AsSpan(Version.Length).Trim(" \t").IsEmpty);
        if (bare > 0)
        {
            warnings.Add($"{bare} TXT record(s) \"v=STSv1\" without a ';' and fields were discarded (RFC 8461 §3.1: only records beginning with \"v=STSv1;\" count).");
        }
        if (candidates.Count == 0)
        {
            string others = txtRecords.Count == 0 ? "no TXT record" : $"{txtRecords.Count} TXT record(s), none starting with \"v=STSv1\"";
            return new MtaStsTxtRecord { IsValid = false, StsRecordCount = 0, Warnings = warnings, Diagnosis = $"There is {others}: the domain publishes no MTA-STS policy." };
        }

        if (candidates.Count > 1)
        {
            return new MtaStsTxtRecord
            {
                IsValid = false,
                StsRecordCount = candidates.Count,
                RecordText = candidates[0],
                Warnings = warnings,
                Diagnosis = $"There is more than one STSv1 record ({candidates.Count}); RFC 8461 §3.1 says to treat this as no MTA-STS policy. Publish exactly one.",
            };
        }

        string record = candidates[0];
        if (!TryParseFields(record, warnings, out string? id, out var extensions, out string? error))
        {
            return new MtaStsTxtRecord
            {
                IsValid = false,
                StsRecordCount = 1,
                RecordText = record,
                Warnings = warnings,
                Diagnosis = $"The STSv1 record \"{DomainName.Printable(record)}\" is invalid ({error}); RFC 8461 §3.1 says to treat this as no MTA-STS policy.",
            };
        }

        return new MtaStsTxtRecord
        {
            IsValid = true,
            Id = id,
            StsRecordCount = 1,
            RecordText = record,
            Extensions = extensions,
            Warnings = warnings,
            Diagnosis = $"One valid STSv1 record, policy id '{id}'.",
        };
    }

    /// <summary>True when the record begins with "v=STSv1" followed by WSP* ";".</summary>
    internal static bool IsStsRecord(string record) => TagValueList.StartsWithVersion(record, Version);

    private static bool TryParseFields(string record, List<string> warnings, out string? id, out IReadOnlyDictionary<string, string> extensions, out string? error)
    {
        id = null;
        var ext = new Dictionary<string, string>(StringComparer.Ordinal);
        extensions = ext;
        error = null;

        if (!TagValueList.TrySplit(record, out var fields, out error))
        {
            return false;
        }

        foreach (var (name, value) in fields)
        {
            if (name == "id")
            {
                if (value.Length is < 1 or > 32 || !value.All(TagValueList.IsAlnum))
                {
                    error = $"the id \"{DomainName.Printable(value)}\" must be 1 to 32 letters and digits";
                    return false;
                }

                // The RFC does not say what a repeated field means: the first one wins, and we say so.
                if (id is not null)
                {
                    warnings.Add($"The id field appears more than once; the first (\"{id}\") is used, \"{DomainName.Printable(value)}\" is ignored.");
                    continue;
                }

                id = value;
                continue;
            }

            error = TagValueList.CheckExtension(name, value);
            if (error is not null)
            {
                return false;
            }

            if (!ext.TryAdd(name, value))
            {
                warnings.Add($"The field \"{name}\" appears more than once; the first value is used.");
            }
        }

        if (id is null)
        {
            error = "the required id field is missing";
            return false;
        }

        return true;
    }
}
