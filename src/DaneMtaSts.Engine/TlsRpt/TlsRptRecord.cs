using System.Collections.ObjectModel;

namespace DaneMtaSts.Engine.TlsRpt;

/// <summary>
/// The <c>_smtp._tls.&lt;domain&gt;</c> TXT record (RFC 8460 §3):
/// <code>
/// tlsrpt-record   = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
/// field-delim     = *WSP ";" *WSP
/// tlsrpt-version  = %s"v=TLSRPTv1"
/// tlsrpt-rua      = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
/// tlsrpt-uri      = URI          ; "mailto:" or "https:" (',' and ';' inside must be %-encoded)
/// tlsrpt-extension = tlsrpt-ext-name "=" tlsrpt-ext-value
/// </code>
/// </summary>
public sealed record TlsRptRecord
{
    private const string Version = "v=TLSRPTv1";

    /// <summary>True when exactly one TLSRPTv1 record was found, it is well-formed and names at least one usable rua URI.</summary>
    public required bool IsValid { get; init; }

    /// <summary>The TLSRPTv1 record text (the single one, or the first of several), null when none.</summary>
    public string? RecordText { get; init; }

    public int TlsRptRecordCount { get; init; }

    /// <summary>The mailto: and https: URIs of rua, in record order.</summary>
    public IReadOnlyList<Uri> ReportUris { get; init; } = [];

    /// <summary>rua entries that were skipped (unsupported scheme), with why.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public IReadOnlyDictionary<string, string> Extensions { get; init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>One sentence: what was found and, if not valid, why reports would not be sent.</summary>
    public required string Diagnosis { get; init; }

    /// <summary>Selects and parses the TLSRPTv1 record among the TXT records of <c>_smtp._tls.&lt;domain&gt;</c> (each already concatenated).</summary>
    public static TlsRptRecord Parse(IReadOnlyList<string> txtRecords)
    {
        ArgumentNullException.ThrowIfNull(txtRecords);

        // RFC 8460 §3: records that do not begin with "v=TLSRPTv1;" are discarded; not exactly one left → no TLSRPT.
        var candidates = txtRecords.Where(IsTlsRptRecord).ToList();
        if (candidates.Count == 0)
        {
            return new TlsRptRecord { IsValid = false, Diagnosis = "There is no TXT record starting with \"v=TLSRPTv1\": the domain asks for no TLS reports." };
        }

        if (candidates.Count > 1)
        {
            return new TlsRptRecord
            {
                IsValid = false,
                TlsRptRecordCount = candidates.Count,
                RecordText = candidates[0],
                Diagnosis = $"There is more than one TLSRPTv1 record ({candidates.Count}); RFC 8460 §3 says to treat this as no TLS reporting. Publish exactly one.",
            };
        }

        string record = candidates[0];
        var uris = new List<Uri>();
        var warnings = new List<string>();
        var extensions = new Dictionary<string, string>(StringComparer.Ordinal);
        string? error = ParseFields(record, uris, warnings, extensions);
        if (error is null && uris.Count == 0)
        {
            error = "rua names no mailto: or https: URI";
        }

        if (error is not null)
        {
            return new TlsRptRecord
            {
                IsValid = false,
                TlsRptRecordCount = 1,
                RecordText = record,
                Warnings = warnings,
                Diagnosis = $"The TLSRPTv1 record \"{DomainName.Printable(record)}\" is invalid ({error}); RFC 8460 §3 says to treat this as no TLS reporting.",
            };
        }

        return new TlsRptRecord
        {
            IsValid = true,
            TlsRptRecordCount = 1,
            RecordText = record,
            ReportUris = uris,
            Warnings = warnings,
            Extensions = extensions,
            Diagnosis = $"One valid TLSRPTv1 record; reports go to {string.Join(", ", uris.Select(u => u.OriginalString))}.",
        };
    }

    internal static bool IsTlsRptRecord(string record) => TagValueList.StartsWithVersion(record, Version, allowBare: true);

    private static string? ParseFields(string record, List<Uri> uris, List<string> warnings, Dictionary<string, string> extensions)
    {
        // ';' never occurs unencoded inside a rua URI (RFC 8460 §3), so splitting on it is exact.
        if (!TagValueList.TrySplit(record, out var fields, out string? error))
        {
            return error;
        }

        bool sawRua = false;
        foreach (var (name, value) in fields)
        {
            if (name == "rua")
            {
                if (sawRua)
                {
                    return "it has more than one rua field";
                }

                sawRua = true;
                string? uriError = ParseRua(value, uris, warnings);
                if (uriError is not null)
                {
                    return uriError;
                }

                continue;
            }

            if (TagValueList.CheckExtension(name, value) is { } invalid)
            {
                return invalid;
            }

            extensions.TryAdd(name, value);
        }

        return sawRua ? null : "the required rua field is missing";
    }

    private static string? ParseRua(string value, List<Uri> uris, List<string> warnings)
    {
        foreach (string part in value.Split(','))
        {
            string text = part.Trim(' ', '\t');
            if (text.Length == 0)
            {
                return "rua has an empty URI (a stray ',')";
            }

            if (text.Any(c => c <= ' ' || c == '\x7F'))
            {
                return $"the rua URI \"{DomainName.Printable(text)}\" contains white space or a control character";
            }

            if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri))
            {
                return $"\"{DomainName.Printable(text)}\" is not a URI";
            }

            if (uri.Scheme == Uri.UriSchemeMailto)
            {
                string address = text["mailto:".Length..];
                int query = address.IndexOf('?', StringComparison.Ordinal);
                address = query >= 0 ? address[..query] : address;
                int at = address.LastIndexOf('@');
                if (at <= 0 || at == address.Length - 1)
                {
                    return $"\"{DomainName.Printable(text)}\" is not a mailto: URI with an address";
                }

                uris.Add(uri);
            }
            else if (uri.Scheme == Uri.UriSchemeHttps)
            {
                if (string.IsNullOrEmpty(uri.Host))
                {
                    return $"\"{DomainName.Printable(text)}\" is an https: URI without a host";
                }

                uris.Add(uri);
            }
            else
            {
                // RFC 8460 §3 defines only mailto and https; other schemes cannot be used, so they are skipped.
                warnings.Add($"The rua URI \"{DomainName.Printable(text)}\" uses the scheme '{uri.Scheme}'; only mailto: and https: are defined (RFC 8460 §3), so it is ignored.");
            }
        }

        return null;
    }
}
