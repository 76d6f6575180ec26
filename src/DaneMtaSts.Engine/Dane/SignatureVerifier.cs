using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;
using BcCertificateParser = Org.BouncyCastle.X509.X509CertificateParser;

namespace DaneMtaSts.Engine.Dane;

/// <summary>
/// Verifies certificate signatures with BouncyCastle, which covers RSA PKCS#1 v1.5, RSA-PSS,
/// ECDSA, Ed25519/Ed448 and DSA. Any failure — unknown algorithm, malformed key, bad signature —
/// is a "no" with a reason, never an exception (fail closed).
/// </summary>
internal static class SignatureVerifier
{
    public static BcCertificate? TryParse(X509Certificate2 certificate)
    {
        try
        {
            return new BcCertificateParser().ReadCertificate(certificate.RawData);
        }
        catch (Exception)
        {
            // BouncyCastle throws several unrelated exception types for malformed input.
            return null;
        }
    }

    public static AsymmetricKeyParameter? TryParseKey(byte[] subjectPublicKeyInfo)
    {
        try
        {
            return PublicKeyFactory.CreateKey(subjectPublicKeyInfo);
        }
        catch (Exception)
        {
            return null;
        }
    }

    public static AsymmetricKeyParameter? TryGetKey(BcCertificate certificate)
    {
        try
        {
            return certificate.GetPublicKey();
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="subject"/> carries a valid signature by <paramref name="issuerKey"/>; otherwise <paramref name="reason"/> says why not.</summary>
    public static bool Verify(BcCertificate subject, AsymmetricKeyParameter issuerKey, out string? reason)
    {
        try
        {
            subject.Verify(issuerKey);
            reason = null;
            return true;
        }
        catch (InvalidKeyException)
        {
            reason = "the signature does not verify with the issuer's key";
            return false;
        }
        catch (SignatureException)
        {
            reason = "the signature does not verify with the issuer's key";
            return false;
        }
        catch (Exception ex)
        {
            // Unsupported algorithm or parameters (e.g. unusual RSA-PSS settings), mismatched key type.
            reason = $"the signature could not be checked ({ex.GetType().Name}: {ex.Message})";
            return false;
        }
    }
}
