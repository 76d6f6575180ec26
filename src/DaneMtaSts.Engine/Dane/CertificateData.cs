using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneMtaSts.Engine.Dane;

/// <summary>The bytes TLSA selectors pick out of a certificate, and the matching-type digests (RFC 6698 §2.1.2–2.1.3).</summary>
internal static class CertificateData
{
    /// <summary>
    /// The DER SubjectPublicKeyInfo exactly as it appears in the certificate. Read from the
    /// certificate's own bytes rather than re-exported, because a re-encoding may differ from what
    /// the TLSA publisher hashed (e.g. explicit EC parameters).
    /// </summary>
    public static byte[] GetSpki(X509Certificate2 certificate)
    {
        try
        {
            var certificateSequence = new AsnReader(certificate.RawData, AsnEncodingRules.DER).ReadSequence();
            var tbs = certificateSequence.ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                _ = tbs.ReadEncodedValue(); // [0] version
            }

            _ = tbs.ReadEncodedValue(); // serialNumber
            _ = tbs.ReadEncodedValue(); // signature
            _ = tbs.ReadEncodedValue(); // issuer
            _ = tbs.ReadEncodedValue(); // validity
            _ = tbs.ReadEncodedValue(); // subject
            return tbs.ReadEncodedValue().ToArray();
        }
        catch (AsnContentException)
        {
            // .NET loaded it, so a BER oddity: fall back to the re-encoded form.
            return certificate.PublicKey.ExportSubjectPublicKeyInfo();
        }
    }

    /// <summary>The selected content of a certificate: selector 0 the whole DER certificate, 1 its SubjectPublicKeyInfo.</summary>
    public static byte[] Select(X509Certificate2 certificate, byte selector) =>
        selector == 0 ? certificate.RawData : GetSpki(certificate);

    /// <summary>The association data a record of this selector and matching type would hold for <paramref name="selected"/>.</summary>
    public static byte[] Digest(byte[] selected, byte matchingType) => matchingType switch
    {
        0 => selected,
        1 => SHA256.HashData(selected),
        2 => SHA512.HashData(selected),
        _ => [],
    };

    public static bool Matches(TlsaRecord record, X509Certificate2 certificate) =>
        Digest(Select(certificate, record.Selector), record.MatchingType).AsSpan().SequenceEqual(record.Data);

    /// <summary>"the leaf's SPKI SHA-256", "the certificate SHA-512 of the certificate at depth 2".</summary>
    public static string WhatIsMatched(TlsaRecord record) =>
        (record.Selector == 0 ? "certificate" : "SPKI") + " " + record.MatchingType switch
        {
            0 => "(full)",
            1 => "SHA-256",
            2 => "SHA-512",
            _ => "digest",
        };

    /// <summary>Parses a whole DER SubjectPublicKeyInfo (no trailing bytes).</summary>
    public static bool IsSubjectPublicKeyInfo(byte[] data)
    {
        try
        {
            _ = PublicKey.CreateFromSubjectPublicKeyInfo(data, out int read);
            return read == data.Length;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Parses a whole DER certificate, or returns null.</summary>
    public static X509Certificate2? TryLoadCertificate(byte[] data)
    {
        try
        {
            // The loader accepts trailing bytes; a TLSA "x 0 0" must be exactly one certificate.
            var reader = new AsnReader(data, AsnEncodingRules.DER);
            _ = reader.ReadEncodedValue();
            if (reader.HasData)
            {
                return null;
            }

            return X509CertificateLoader.LoadCertificate(data);
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            return null;
        }
    }
}
