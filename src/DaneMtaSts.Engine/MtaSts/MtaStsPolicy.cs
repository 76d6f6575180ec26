using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace DaneMtaSts.Engine.MtaSts;

/// <summary>
/// A parsed MTA-STS policy (RFC 8461 §3.2):
/// <code>
/// sts-policy-record      = sts-policy-field *WSP *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
/// sts-policy-field-delim = ":" *WSP
/// sts-policy-term        = LF / CRLF
/// sts-policy-mx-value    = ["*."] Domain
/// sts-policy-max-age-value = 1*10(DIGIT)
/// </code>
/// Choices where implementations differ: a max_age above 31557600 is capped (as postfix-tlspol does)
/// rather than rejected, with a warning; empty lines are tolerated with a warning (postfix-tlspol
/// rejects the policy) because a blank line or a trailing CRLF CRLF from a web server carries no
/// meaning, and turning it into "no policy" would silently drop the sender's protection; the first
/// of a repeated non-mx key wins; unknown keys are ignored; an extension value may contain ':'.
/// </summary>
public sealed record MtaStsPolicy
{
    /// <summary>The largest max_age RFC 8461 §3.2 allows (one year).</summary>
    public const long MaxAgeLimit = 31_557_600;

    public required string Version { get; init; }

    public required MtaStsPolicyMode Mode { get; init; }

    /// <summary>Seconds the policy may be cached, after capping to <see cref="MaxAgeLimit"/>.</summary>
    public required long MaxAgeSeconds { get; init; }

    /// <summary>The mx patterns, normalised (lower case, A-labels, no trailing dot; "*." kept for wildcards).</summary>
    public required IReadOnlyList<string> Mx { get; init; }

    /// <summary>Keys other than version, mode, max_age and mx (first occurrence), for display.</summary>
    public IReadOnlyDictionary<string, string> Extensions { get; init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Things the policy author should fix that did not make the policy invalid.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The policy body as parsed.</summary>
    public required string Text { get; init; }

    public TimeSpan MaxAge => TimeSpan.FromSeconds(MaxAgeSeconds);

    /// <summary>Parses a policy body; on failure <paramref name="error"/> says why in one sentence and <paramref name="policy"/> is null.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out MtaStsPolicy? policy, [NotNullWhen(false)] out string? error) =>
        TryParse(text, out policy, out error, out _);

    /// <summary>
    /// As <see cref="TryParse(string, out MtaStsPolicy?, out string?)"/>, and <paramref name="warnings"/>
    /// are what the parser forgave up to the point where it stopped (all of them for a valid policy).
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out MtaStsPolicy? policy, [NotNullWhen(false)] out string? error, out IReadOnlyList<string> warnings)
    {
        var found = new List<string>();
        warnings = found;
        return TryParse(text, found, out policy, out error);
    }

    private static bool TryParse(string text, List<string> warnings, [NotNullWhen(true)] out MtaStsPolicy? policy, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        policy = null;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var extensions = new Dictionary<string, string>(StringComparer.Ordinal);
        var mxValues = new List<string>();

        string body = text;
        if (body.Length > 0 && body[0] == '\uFEFF')
        {
            body = body[1..];
            warnings.Add("The policy starts with a byte order mark; it was ignored.");
        }

        // Lines end in LF or CRLF (RFC 8461 §3.2); a lone CR is not a terminator and stays in the line.
        string[] lines = body.Split('\n');
        int blankLines = 0;
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n];
            if (line.EndsWith('\r'))
            {
                line = line[..^1];
            }

            // Trailing WSP after a value is allowed by the grammar ("sts-policy-field *WSP").
            line = line.TrimEnd(' ', '\t');
            if (line.Length == 0)
            {
                if (n != lines.Length - 1)
                {
                    blankLines++;
                }

                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                error = $"Line {n + 1} (\"{Shorten(line)}\") is not a \"key: value\" field.";
                return false;
            }

            string key = line[..colon];
            string value = line[(colon + 1)..].TrimStart(' ', '\t');
            if (!TagValueList.IsExtensionName(key))
            {
                // Not a field name of the grammar (spaces, an empty key, non-ASCII): say so, ignore it.
                warnings.Add($"Line {n + 1} has an invalid key \"{Shorten(key)}\"; it was ignored.");
                continue;
            }

            if (value.Any(c => char.IsControl(c)))
            {
                error = $"The value of '{key}' on line {n + 1} contains a control character.";
                return false;
            }

            if (key == "mx")
            {
                mxValues.Add(value);
                continue;
            }

            if (key is "version" or "mode" or "max_age")
            {
                if (!fields.TryAdd(key, value))
                {
                    warnings.Add($"The key '{key}' appears more than once; the first value \"{Shorten(fields[key])}\" is used.");
                }

                continue;
            }

            if (!extensions.TryAdd(key, value))
            {
                warnings.Add($"The key '{key}' appears more than once; the first value is kept.");
            }
        }

        if (blankLines > 0)
        {
            warnings.Add($"The policy has {blankLines} empty line(s); RFC 8461 §3.2 does not allow them, some senders (postfix-tlspol) reject such a policy.");
        }

        if (!fields.TryGetValue("version", out string? version))
        {
            error = "The required field 'version' is missing.";
            return false;
        }

        if (version != "STSv1")
        {
            error = $"The version is \"{Shorten(version)}\"; only \"STSv1\" is defined (case-sensitive).";
            return false;
        }

        if (!fields.TryGetValue("mode", out string? modeText))
        {
            error = "The required field 'mode' is missing.";
            return false;
        }

        // %s in the grammar: the values are case-sensitive.
        MtaStsPolicyMode? mode = modeText switch
        {
            "enforce" => MtaStsPolicyMode.Enforce,
            "testing" => MtaStsPolicyMode.Testing,
            "none" => MtaStsPolicyMode.None,
            _ => null,
        };
        if (mode is null)
        {
            error = $"The mode \"{Shorten(modeText)}\" is not one of enforce, testing or none (lower case).";
            return false;
        }

        if (!fields.TryGetValue("max_age", out string? maxAgeText))
        {
            error = "The required field 'max_age' is missing.";
            return false;
        }

        if (maxAgeText.Length is < 1 or > 10 || !maxAgeText.All(char.IsAsciiDigit))
        {
            error = $"The max_age \"{Shorten(maxAgeText)}\" is not 1 to 10 digits.";
            return false;
        }

        long maxAge = long.Parse(maxAgeText, NumberStyles.None, CultureInfo.InvariantCulture);
        if (maxAge > MaxAgeLimit)
        {
            warnings.Add($"The max_age {maxAge} exceeds the RFC 8461 maximum of {MaxAgeLimit} seconds; it was capped to {MaxAgeLimit}.");
            maxAge = MaxAgeLimit;
        }

        var mx = new List<string>();
        foreach (string value in mxValues)
        {
            if (TryNormalizePattern(value, out string? pattern, out string? why))
            {
                if (!mx.Contains(pattern, StringComparer.Ordinal))
                {
                    mx.Add(pattern);
                }
            }
            else
            {
                warnings.Add($"The mx pattern \"{Shorten(value)}\" is invalid ({why}); it was ignored.");
            }
        }

        if (mode != MtaStsPolicyMode.None && mx.Count == 0)
        {
            error = mxValues.Count == 0
                ? $"A policy in mode {modeText} needs at least one 'mx' field."
                : $"None of the {mxValues.Count} mx pattern(s) is a valid host name or \"*.\" pattern.";
            return false;
        }

        policy = new MtaStsPolicy
        {
            Version = version,
            Mode = mode.Value,
            MaxAgeSeconds = maxAge,
            Mx = mx,
            Extensions = extensions,
            Warnings = warnings,
            Text = text,
        };
        error = null;
        return true;
    }

    /// <summary>
    /// True when <paramref name="host"/> matches an mx pattern (RFC 8461 §4.1): equal names
    /// (case-insensitive, trailing dot and U-/A-label form ignored), or "*.suffix" with exactly one
    /// label in place of '*' — never the suffix itself, never two labels.
    /// </summary>
    public bool MatchesMx(string host) => FindMatchingPattern(host) is not null;

    /// <summary>The first pattern that matches <paramref name="host"/>, else null.</summary>
    public string? FindMatchingPattern(string host)
    {
        if (!DomainName.TryNormalize(host, out string? name, out _))
        {
            return null;
        }

        foreach (string pattern in Mx)
        {
            if (PatternMatches(pattern, name))
            {
                return pattern;
            }
        }

        return null;
    }

    /// <summary>One normalised pattern against one normalised host name.</summary>
    internal static bool PatternMatches(string pattern, string normalizedHost)
    {
        if (!pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            return string.Equals(pattern, normalizedHost, StringComparison.Ordinal);
        }

        int firstDot = normalizedHost.IndexOf('.', StringComparison.Ordinal);
        return firstDot > 0 && string.Equals(normalizedHost[(firstDot + 1)..], pattern[2..], StringComparison.Ordinal);
    }

    /// <summary>Normalises an mx value: a host name, or "*." and a host name, IDN to A-labels.</summary>
    internal static bool TryNormalizePattern(string value, [NotNullWhen(true)] out string? pattern, [NotNullWhen(false)] out string? error)
    {
        pattern = null;
        bool wildcard = value.StartsWith("*.", StringComparison.Ordinal);
        string name = wildcard ? value[2..] : value;
        if (name.Contains('*', StringComparison.Ordinal))
        {
            error = "'*' is allowed only as the whole left-most label";
            return false;
        }

        if (!DomainName.TryNormalize(name, out string? normalized, out error))
        {
            return false;
        }

        if (DomainName.IsSingleLabel(normalized) && !wildcard)
        {
            error = "a single-label name cannot be an MX host";
            return false;
        }

        pattern = wildcard ? "*." + normalized : normalized;
        return true;
    }

    private static string Shorten(string value) => DomainName.Printable(value.Length > 80 ? value[..80] + "…" : value);
}
