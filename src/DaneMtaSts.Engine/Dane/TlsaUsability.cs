using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace DaneMtaSts.Engine.Dane;

/// <summary>One record after the usability (RFC 7672 §3.1.3) and digest-agility (RFC 7671 §9) rules.</summary>
internal sealed class ClassifiedRecord
{
    public required TlsaRecord Record { get; init; }

    public required int Index { get; init; }

    public required bool Usable { get; init; }

    public bool Superseded { get; set; }

    public required string Detail { get; set; }

    /// <summary>For a usable "x 0 0" record: the certificate it carries.</summary>
    public X509Certificate2? FullCertificate { get; init; }

    /// <summary>Usable and not superseded: the record takes part in matching.</summary>
    public bool Active => Usable && !Superseded;
}

internal static class TlsaUsability
{
    public static List<ClassifiedRecord> Classify(IReadOnlyList<TlsaRecord> records)
    {
        var result = new List<ClassifiedRecord>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            result.Add(ClassifyOne(records[i], i));
        }

        ApplyDigestAgility(result);
        return result;
    }

    private static ClassifiedRecord ClassifyOne(TlsaRecord record, int index)
    {
        string? problem = UsabilityProblem(record, out X509Certificate2? fullCertificate);
        if (problem is not null)
        {
            return new ClassifiedRecord { Record = record, Index = index, Usable = false, Detail = problem };
        }

        string role = record.Usage == 3
            ? "usable DANE-EE record: must match the leaf certificate"
            : "usable DANE-TA record: must match a trust anchor the leaf chains to";
        return new ClassifiedRecord { Record = record, Index = index, Usable = true, Detail = role, FullCertificate = fullCertificate };
    }

    private static string? UsabilityProblem(TlsaRecord record, out X509Certificate2? fullCertificate)
    {
        fullCertificate = null;
        switch (record.Usage)
        {
            case 0:
            case 1:
                // RFC 7672 §3.1.3: PKIX usages are not for SMTP, and must not be treated as 2/3.
                return string.Create(CultureInfo.InvariantCulture, $"usage {record.Usage} ({TlsaRecords.UsageName(record.Usage)}) is unusable for SMTP (RFC 7672 §3.1.3)");
            case 2:
            case 3:
                break;
            case 255:
                return "usage 255 (PrivCert) is private and unusable (RFC 7672 §3.1.3)";
            default:
                return string.Create(CultureInfo.InvariantCulture, $"usage {record.Usage} is not defined; only 2 (DANE-TA) and 3 (DANE-EE) are usable for SMTP (RFC 7672 §3.1.3)");
        }

        if (record.Selector is not (0 or 1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"selector {record.Selector} is unusable; only 0 (Cert) and 1 (SPKI) are defined (RFC 6698 §2.1.2)");
        }

        switch (record.MatchingType)
        {
            case 0:
                if (record.Selector == 0)
                {
                    fullCertificate = CertificateData.TryLoadCertificate(record.Data);
                    return fullCertificate is null
                        ? "matching type 0 (Full) with selector 0 must hold a DER certificate, and this data does not parse as one"
                        : null;
                }

                return CertificateData.IsSubjectPublicKeyInfo(record.Data)
                    ? null
                    : "matching type 0 (Full) with selector 1 must hold a DER SubjectPublicKeyInfo, and this data does not parse as one";
            case 1:
                return record.Data.Length == 32
                    ? null
                    : string.Create(CultureInfo.InvariantCulture, $"a SHA2-256 digest is 32 bytes, this record holds {record.Data.Length} (malformed, unusable)");
            case 2:
                return record.Data.Length == 64
                    ? null
                    : string.Create(CultureInfo.InvariantCulture, $"a SHA2-512 digest is 64 bytes, this record holds {record.Data.Length} (malformed, unusable)");
            case 255:
                return "matching type 255 (PrivMatch) is private and unusable (RFC 7672 §3.1.3)";
            default:
                return string.Create(CultureInfo.InvariantCulture, $"matching type {record.MatchingType} is not defined; only 0, 1 and 2 are usable (RFC 6698 §2.1.3)");
        }
    }

    // RFC 7671 §9: per (usage, selector) the client uses only the strongest digest algorithm
    // published (SHA2-512 over SHA2-256), so a stale weaker digest cannot keep matching after a
    // rollover. Full (0) records are not digests and are always considered. Only usable records
    // count: a malformed SHA2-512 record must not silence a good SHA2-256 one.
    private static void ApplyDigestAgility(List<ClassifiedRecord> records)
    {
        foreach (var group in records.Where(r => r.Usable && r.Record.MatchingType != 0).GroupBy(r => (r.Record.Usage, r.Record.Selector)))
        {
            byte strongest = group.Max(r => r.Record.MatchingType);
            foreach (var record in group.Where(r => r.Record.MatchingType < strongest))
            {
                record.Superseded = true;
                record.Detail = string.Create(CultureInfo.InvariantCulture,
                    $"ignored: a {TlsaRecords.MatchingTypeName(strongest)} record is published for the same usage {record.Record.Usage} and selector {record.Record.Selector}, and only the strongest digest is used (digest agility, RFC 7671 §9)");
            }
        }
    }
}
