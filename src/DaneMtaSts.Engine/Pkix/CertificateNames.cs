using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneMtaSts.Engine.Pkix;

/// <summary>
/// Server identity checks of RFC 6125 as RFC 7672 §3.2.3 and RFC 8461 §4.2 use them: DNS names from
/// the subjectAltName extension; the subject CN only when the certificate has no DNS SAN at all; a
/// wildcard only as the complete left-most label ("*.example.com" covers "mx.example.com", never
/// "example.com", "a.b.example.com" or "x*.example.com" forms).
/// </summary>
public static class CertificateNames
{
    private const string SubjectAltNameOid = "2.5.29.17";

    /// <summary>The DNS names of the subjectAltName extension, lower case, in certificate order.</summary>
    public static IReadOnlyList<string> GetDnsSubjectAltNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            try
            {
                var san = extension as X509SubjectAlternativeNameExtension ?? new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
                names.AddRange(san.EnumerateDnsNames().Select(n => n.TrimEnd('.').ToLowerInvariant()));
            }
            catch (Exception ex) when (ex is CryptographicException or AsnContentException)
            {
                // A malformed SAN gives no names: the certificate cannot be matched by name.
            }
        }

        return names;
    }

    /// <summary>The names that identify the server: the DNS SANs, else the subject CN (RFC 6125 §6.4.4).</summary>
    public static IReadOnlyList<string> GetPresentedNames(X509Certificate2 certificate, out bool fromCommonName)
    {
        var sans = GetDnsSubjectAltNames(certificate);
        if (sans.Count > 0)
        {
            fromCommonName = false;
            return sans;
        }

        fromCommonName = true;
        string cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return string.IsNullOrEmpty(cn) ? [] : [cn.TrimEnd('.').ToLowerInvariant()];
    }

    /// <summary>True when the certificate's presented names cover <paramref name="referenceName"/>.</summary>
    public static bool Matches(X509Certificate2 certificate, string referenceName) =>
        FindMatch(certificate, [referenceName]) is not null;

    /// <summary>The first reference name (in the order given) that a presented name covers, else null.</summary>
    public static string? FindMatch(X509Certificate2 certificate, IEnumerable<string> referenceNames)
    {
        var presented = GetPresentedNames(certificate, out _);
        foreach (string reference in referenceNames)
        {
            foreach (string name in presented)
            {
                if (NameMatches(name, reference))
                {
                    return reference;
                }
            }
        }

        return null;
    }

    /// <summary>One presented name against one reference name.</summary>
    public static bool NameMatches(string presentedName, string referenceName)
    {
        string presented = presentedName.TrimEnd('.');
        string reference = referenceName.TrimEnd('.');
        if (presented.Length == 0 || reference.Length == 0)
        {
            return false;
        }

        if (!presented.StartsWith("*.", StringComparison.Ordinal))
        {
            // A '*' anywhere else is not a wildcard: it matches nothing real.
            return !presented.Contains('*', StringComparison.Ordinal) &&
                   string.Equals(presented, reference, StringComparison.OrdinalIgnoreCase);
        }

        string suffix = presented[1..]; // ".example.com"
        if (suffix.Contains('*', StringComparison.Ordinal) || suffix.Count(c => c == '.') < 2)
        {
            // "*.com" and "*.*.example.com" are refused.
            return false;
        }

        int firstDot = reference.IndexOf('.', StringComparison.Ordinal);
        if (firstDot <= 0)
        {
            return false;
        }

        // Exactly one label replaces the '*'.
        return string.Equals(reference[firstDot..], suffix, StringComparison.OrdinalIgnoreCase);
    }
}
