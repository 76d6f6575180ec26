using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneMtaSts.Engine.Pkix;

/// <summary>Builds <see cref="CertificateSummary"/> objects from served chains.</summary>
public static class CertificateSummaries
{
    public static CertificateSummary Create(X509Certificate2 certificate, int depth) => new()
    {
        Depth = depth,
        Subject = certificate.Subject,
        Issuer = certificate.Issuer,
        NotBeforeUtc = certificate.NotBefore.ToUniversalTime(),
        NotAfterUtc = certificate.NotAfter.ToUniversalTime(),
        SpkiSha256 = Convert.ToHexString(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo())),
        CertificateSha256 = Convert.ToHexString(SHA256.HashData(certificate.RawData)),
        DnsNames = CertificateNames.GetDnsSubjectAltNames(certificate),
        KeyAlgorithm = certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value ?? "",
    };

    public static IReadOnlyList<CertificateSummary> Create(IReadOnlyList<X509Certificate2> chain) =>
        chain.Select((c, i) => Create(c, i)).ToList();
}
