using System.Globalization;
using System.Net;
using System.Text;

namespace DaneMtaSts.Engine;

/// <summary>
/// Domain-name normalisation shared by every part of the engine: lower case, trailing dot removed,
/// IDN U-labels converted to A-labels (UTS #46 via <see cref="IdnMapping"/>), then checked against
/// the RFC 1035 limits (label ≤ 63 octets, name ≤ 253) and the LDH rule.
/// </summary>
public static class DomainName
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    /// <summary>Normalises a host or domain name, or throws an <see cref="EngineException"/> (id InvalidDomainName).</summary>
    public static string Normalize(string? input)
    {
        if (TryNormalize(input, out string? normalized, out string? error))
        {
            return normalized;
        }

        throw new EngineException("InvalidDomainName", EngineErrorKind.InvalidArgument, error, input);
    }

    /// <summary>Normalises a host or domain name; on failure <paramref name="error"/> says why in one sentence.</summary>
    public static bool TryNormalize(string? input, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? normalized, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        normalized = null;
        if (string.IsNullOrWhiteSpace(input))
        {
            error = "The domain name is empty.";
            return false;
        }

        string name = input.Trim();
        if (name.Length != input.Length)
        {
            error = $"The domain name '{Printable(input)}' has leading or trailing white space.";
            return false;
        }

        if (name.EndsWith('.'))
        {
            name = name[..^1];
        }

        if (name.Length == 0 || name.StartsWith('.') || name.Contains("..", StringComparison.Ordinal))
        {
            error = $"The domain name '{Printable(input)}' has an empty label.";
            return false;
        }

        foreach (char c in name)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                error = $"The domain name '{Printable(input)}' contains white space or a control character.";
                return false;
            }
        }

        if (IPAddress.TryParse(name.Trim('[', ']'), out _) && (name.Contains(':', StringComparison.Ordinal) || name.Split('.').Length == 4))
        {
            error = $"'{Printable(input)}' is an IP address, not a domain name.";
            return false;
        }

        string ascii;
        bool isAscii = name.All(char.IsAscii);
        try
        {
            ascii = isAscii ? name : Idn.GetAscii(name);
        }
        catch (ArgumentException ex)
        {
            error = $"The domain name '{Printable(input)}' is not a valid internationalised name: {ex.Message}";
            return false;
        }

        ascii = ascii.ToLowerInvariant();
        if (ascii.Length > 253)
        {
            error = $"The domain name '{Printable(input)}' is longer than 253 characters.";
            return false;
        }

        foreach (string label in ascii.Split('.'))
        {
            if (label.Length > 63)
            {
                error = $"The domain name '{Printable(input)}' has a label longer than 63 characters.";
                return false;
            }

            if (!IsLdhLabel(label))
            {
                error = $"The domain name '{Printable(input)}' has a label '{Printable(label)}' with characters other than letters, digits and hyphens, or a hyphen at its start or end.";
                return false;
            }

            // Every A-label must decode, whether it was typed or produced from Unicode here: .NET's
            // GetAscii accepts some labels (hyphens in positions 3-4) whose A-label does not round-trip.
            if (label.StartsWith("xn--", StringComparison.Ordinal))
            {
                try
                {
                    _ = Idn.GetUnicode(label);
                }
                catch (ArgumentException)
                {
                    error = $"The domain name '{Printable(input)}' has an A-label '{label}' that does not decode.";
                    return false;
                }
            }
        }

        normalized = ascii;
        error = null;
        return true;
    }

    /// <summary>The Unicode form of a normalised name, for display; the A-label form if it does not decode.</summary>
    public static string ToUnicode(string asciiName)
    {
        try
        {
            return Idn.GetUnicode(asciiName);
        }
        catch (ArgumentException)
        {
            return asciiName;
        }
    }

    /// <summary>True when the normalised name has a single label (a TLD, or the root once the dot is gone).</summary>
    public static bool IsSingleLabel(string normalizedName) => !normalizedName.Contains('.', StringComparison.Ordinal);

    /// <summary>Case-insensitive equality of two names, ignoring one trailing dot.</summary>
    public static bool EqualNames(string? a, string? b) =>
        string.Equals(a?.TrimEnd('.'), b?.TrimEnd('.'), StringComparison.OrdinalIgnoreCase);

    /// <summary>Escapes control characters so that hostile input can be shown in a message.</summary>
    public static string Printable(string value)
    {
        var sb = new StringBuilder(Math.Min(value.Length, 300));
        foreach (char c in value.Length > 300 ? value[..300] : value)
        {
            if (char.IsControl(c))
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                sb.Append(c);
            }
        }

        if (value.Length > 300)
        {
            sb.Append('…');
        }

        return sb.ToString();
    }

    private static bool IsLdhLabel(string label)
    {
        if (label.Length == 0 || label[0] == '-' || label[^1] == '-')
        {
            return false;
        }

        foreach (char c in label)
        {
            bool ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
