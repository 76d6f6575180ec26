using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Dane;

/// <summary>Builds TLSA records from certificates and DANE checks with the usual reference names.</summary>
internal static class DaneTestData
{
    public const string MxName = "mx.example.test";

    public static readonly string[] ReferenceNames = [MxName, "mx-original.example.test", "example.test"];

    public static TlsaRecord Record(byte usage, byte selector, byte matchingType, X509Certificate2 cert)
    {
        byte[] selected = selector == 0 ? cert.RawData : cert.PublicKey.ExportSubjectPublicKeyInfo();
        byte[] data = matchingType switch
        {
            0 => selected,
            1 => SHA256.HashData(selected),
            2 => SHA512.HashData(selected),
            _ => SHA256.HashData(selected),
        };
        return new TlsaRecord(usage, selector, matchingType, data);
    }

    public static TlsaRecord Random(byte usage, byte selector, byte matchingType, int length) =>
        new(usage, selector, matchingType, RandomNumberGenerator.GetBytes(length));

    public static DaneCheck Check(IReadOnlyList<X509Certificate2> chain, params TlsaRecord[] records) => new()
    {
        ServedChain = chain,
        Records = records,
        ReferenceNames = ReferenceNames,
        AsOf = DateTimeOffset.UtcNow,
    };

    public static DaneResult Evaluate(IReadOnlyList<X509Certificate2> chain, params TlsaRecord[] records) =>
        DaneAuthenticator.Evaluate(Check(chain, records));

    /// <summary>root → intermediate → leaf for <see cref="MxName"/>.</summary>
    public static (X509Certificate2 Leaf, X509Certificate2 Intermediate, X509Certificate2 Root) Chain(TestKeyType keyType = TestKeyType.EcdsaP256) =>
        TestPki.CreateChain(MxName, keyType);

    public static X509Certificate2 Ca(X509Certificate2? issuer, string name, TestCertificateOptions? options = null) =>
        TestPki.CreateCertificate(issuer, name, (options ?? new TestCertificateOptions()) with { IsCa = true });

    public static X509Certificate2 Leaf(X509Certificate2? issuer, params string[] dnsNames) =>
        TestPki.CreateCertificate(issuer, dnsNames.Length > 0 ? dnsNames[0] : MxName, new TestCertificateOptions { DnsNames = dnsNames });
}
