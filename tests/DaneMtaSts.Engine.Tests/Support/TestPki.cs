using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneMtaSts.Engine.Tests.Support;

/// <summary>Key type of a generated certificate.</summary>
public enum TestKeyType
{
    EcdsaP256,
    Rsa2048,
}

/// <summary>
/// Builds certificate hierarchies for tests: roots, intermediates, leaves with chosen names and
/// dates, all with private keys, generated fresh in memory (nothing is read from disk).
/// </summary>
public static class TestPki
{
    private static readonly DateTimeOffset DefaultNotBefore = DateTimeOffset.UtcNow.AddDays(-30);
    private static readonly DateTimeOffset DefaultNotAfter = DateTimeOffset.UtcNow.AddDays(365);

    /// <summary>A self-signed CA certificate.</summary>
    public static X509Certificate2 CreateRoot(string commonName = "Test Root CA", TestKeyType keyType = TestKeyType.EcdsaP256, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var request = NewRequest($"CN={commonName}", keyType, out AsymmetricAlgorithm key);
        using (key)
        {
            AddCaExtensions(request, pathLength: -1);
            var cert = request.CreateSelfSigned(notBefore ?? DefaultNotBefore.AddDays(-365), notAfter ?? DefaultNotAfter.AddDays(3650));
            return Reload(cert);
        }
    }

    /// <summary>A CA certificate signed by <paramref name="issuer"/>.</summary>
    public static X509Certificate2 CreateIntermediate(X509Certificate2 issuer, string commonName = "Test Intermediate CA", TestKeyType keyType = TestKeyType.EcdsaP256, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var request = NewRequest($"CN={commonName}", keyType, out AsymmetricAlgorithm key);
        using (key)
        {
            AddCaExtensions(request, pathLength: -1);
            return IssueAndAttachKey(request, issuer, key, notBefore ?? DefaultNotBefore.AddDays(-180), notAfter ?? DefaultNotAfter.AddDays(1825));
        }
    }

    /// <summary>
    /// A server certificate with the given DNS names as SANs (none: no SAN extension at all, so the
    /// CN is the only name). Self-signed when <paramref name="issuer"/> is null.
    /// </summary>
    public static X509Certificate2 CreateLeaf(X509Certificate2? issuer, string commonName, IEnumerable<string>? dnsNames = null, TestKeyType keyType = TestKeyType.EcdsaP256, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, bool serverAuth = true)
    {
        var request = NewRequest($"CN={commonName}", keyType, out AsymmetricAlgorithm key);
        using (key)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            if (serverAuth)
            {
                request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            }

            var names = dnsNames?.ToList() ?? [];
            if (names.Count > 0)
            {
                var san = new SubjectAlternativeNameBuilder();
                foreach (string name in names)
                {
                    san.AddDnsName(name);
                }

                request.CertificateExtensions.Add(san.Build());
            }

            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            DateTimeOffset from = notBefore ?? DefaultNotBefore;
            DateTimeOffset to = notAfter ?? DefaultNotAfter;
            if (issuer is null)
            {
                var self = request.CreateSelfSigned(from, to);
                return Reload(self);
            }

            return IssueAndAttachKey(request, issuer, key, from, to);
        }
    }

    /// <summary>A root, an intermediate and a leaf for <paramref name="hostName"/>: (leaf, intermediate, root).</summary>
    public static (X509Certificate2 Leaf, X509Certificate2 Intermediate, X509Certificate2 Root) CreateChain(string hostName, TestKeyType keyType = TestKeyType.EcdsaP256)
    {
        var root = CreateRoot(keyType: keyType);
        var intermediate = CreateIntermediate(root, keyType: keyType);
        var leaf = CreateLeaf(intermediate, hostName, [hostName], keyType);
        return (leaf, intermediate, root);
    }

    /// <summary>SHA-256 of the SubjectPublicKeyInfo (the data of a "x 1 1" TLSA record).</summary>
    public static byte[] SpkiSha256(X509Certificate2 cert) => SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo());

    /// <summary>SHA-512 of the SubjectPublicKeyInfo (the data of a "x 1 2" TLSA record).</summary>
    public static byte[] SpkiSha512(X509Certificate2 cert) => SHA512.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo());

    /// <summary>SHA-256 of the DER certificate (the data of a "x 0 1" TLSA record).</summary>
    public static byte[] CertSha256(X509Certificate2 cert) => SHA256.HashData(cert.RawData);

    /// <summary>The certificates as one PEM text.</summary>
    public static string ToPem(params X509Certificate2[] certs) =>
        string.Concat(certs.Select(c => c.ExportCertificatePem() + "\n"));

    /// <summary>
    /// A certificate with every knob exposed, signed by <paramref name="issuer"/> (its private key)
    /// or self-signed. Unlike the helpers above, nothing is clamped or checked: a child may outlive
    /// its issuer, a non-CA may sign, names may be wrong — tests need such chains.
    /// </summary>
    public static X509Certificate2 CreateCertificate(X509Certificate2? issuer, string subject, TestCertificateOptions? options = null)
    {
        options ??= new TestCertificateOptions();
        string subjectName = subject.Contains('=', StringComparison.Ordinal) ? subject : $"CN={subject}";
        AsymmetricAlgorithm key;
        CertificateRequest request;
        if (options.ReuseKeyOf is { } keySource)
        {
            // Same key, new certificate: cross-signed and re-issued CAs.
            if (keySource.GetECDsaPrivateKey() is { } ecKey)
            {
                key = ecKey;
                request = new CertificateRequest(subjectName, ecKey, HashAlgorithmName.SHA256);
            }
            else
            {
                var rsaKey = keySource.GetRSAPrivateKey() ?? throw new ArgumentException("No private key to reuse.", nameof(options));
                key = rsaKey;
                request = new CertificateRequest(subjectName, rsaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            }
        }
        else
        {
            request = NewRequest(subjectName, options.KeyType, out key);
        }

        using (key)
        {
            if (options.BasicConstraints)
            {
                request.CertificateExtensions.Add(new X509BasicConstraintsExtension(options.IsCa, options.PathLength >= 0, Math.Max(options.PathLength, 0), true));
            }

            X509KeyUsageFlags usage = options.KeyUsage ?? (options.IsCa
                ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature
                : X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment);
            if (usage != X509KeyUsageFlags.None)
            {
                request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
            }

            var ekus = options.ExtendedKeyUsages ?? (options.IsCa ? [] : ["1.3.6.1.5.5.7.3.1"]);
            if (ekus.Count > 0)
            {
                var collection = new OidCollection();
                foreach (string oid in ekus)
                {
                    collection.Add(new Oid(oid));
                }

                request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(collection, false));
            }

            if (options.DnsNames.Count > 0)
            {
                var san = new SubjectAlternativeNameBuilder();
                foreach (string name in options.DnsNames)
                {
                    san.AddDnsName(name);
                }

                request.CertificateExtensions.Add(san.Build());
            }

            foreach (X509Extension extra in options.ExtraExtensions)
            {
                request.CertificateExtensions.Add(extra);
            }

            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            DateTimeOffset from = options.NotBefore ?? DefaultNotBefore;
            DateTimeOffset to = options.NotAfter ?? DefaultNotAfter;
            byte[] serial = RandomNumberGenerator.GetBytes(16);
            serial[0] &= 0x7F;

            X509SignatureGenerator generator;
            X500DistinguishedName issuerName;
            if (issuer is null)
            {
                generator = SignatureGeneratorFor(key, options.RsaPss);
                issuerName = request.SubjectName;
            }
            else
            {
                AsymmetricAlgorithm issuerKey = (AsymmetricAlgorithm?)issuer.GetECDsaPrivateKey() ?? issuer.GetRSAPrivateKey()
                    ?? throw new ArgumentException("The issuer has no private key.", nameof(issuer));
                generator = SignatureGeneratorFor(issuerKey, options.RsaPss);
                issuerName = issuer.SubjectName;
            }

            using var signed = request.Create(issuerName, generator, from, to, serial);
            X509Certificate2 withKey = key switch
            {
                RSA rsa => signed.CopyWithPrivateKey(rsa),
                ECDsa ec => signed.CopyWithPrivateKey(ec),
                _ => throw new NotSupportedException(),
            };
            return Reload(withKey);
        }
    }

    /// <summary>SHA-512 of the DER certificate (the data of a "x 0 2" TLSA record).</summary>
    public static byte[] CertSha512(X509Certificate2 cert) => SHA512.HashData(cert.RawData);

    private static X509SignatureGenerator SignatureGeneratorFor(AsymmetricAlgorithm key, bool rsaPss) => key switch
    {
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, rsaPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1),
        ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
        _ => throw new NotSupportedException(),
    };

    private static CertificateRequest NewRequest(string subject, TestKeyType keyType, out AsymmetricAlgorithm key)
    {
        if (keyType == TestKeyType.Rsa2048)
        {
            var rsa = RSA.Create(2048);
            key = rsa;
            return new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        key = ec;
        return new CertificateRequest(subject, ec, HashAlgorithmName.SHA256);
    }

    private static void AddCaExtensions(CertificateRequest request, int pathLength)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, pathLength >= 0, Math.Max(pathLength, 0), true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
    }

    private static X509Certificate2 IssueAndAttachKey(CertificateRequest request, X509Certificate2 issuer, AsymmetricAlgorithm key, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        // A child may not outlive its issuer in CertificateRequest.Create: clamp to the issuer's window.
        DateTimeOffset from = notBefore < issuer.NotBefore.ToUniversalTime() ? issuer.NotBefore.ToUniversalTime() : notBefore;
        DateTimeOffset to = notAfter > issuer.NotAfter.ToUniversalTime() ? issuer.NotAfter.ToUniversalTime() : notAfter;
        if (to <= from)
        {
            to = from.AddSeconds(1);
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        var aki = X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false);
        request.CertificateExtensions.Add(aki);
        using var signed = request.Create(issuer, from, to, serial);
        X509Certificate2 withKey = key switch
        {
            RSA rsa => signed.CopyWithPrivateKey(rsa),
            ECDsa ec => signed.CopyWithPrivateKey(ec),
            _ => throw new NotSupportedException(),
        };
        return Reload(withKey);
    }

    // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
    private static X509Certificate2 Reload(X509Certificate2 cert)
    {
        byte[] pfx = cert.Export(X509ContentType.Pkcs12);
        cert.Dispose();
        return X509CertificateLoader.LoadPkcs12(pfx, null, X509KeyStorageFlags.Exportable);
    }
}

/// <summary>Knobs of <see cref="TestPki.CreateCertificate"/>.</summary>
public sealed record TestCertificateOptions
{
    public TestKeyType KeyType { get; init; } = TestKeyType.EcdsaP256;

    public DateTimeOffset? NotBefore { get; init; }

    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>Whether a basicConstraints extension is present at all.</summary>
    public bool BasicConstraints { get; init; } = true;

    public bool IsCa { get; init; }

    /// <summary>pathLenConstraint; negative: none.</summary>
    public int PathLength { get; init; } = -1;

    /// <summary>Key usage; null: the usual one for a CA or a server; None: no extension.</summary>
    public X509KeyUsageFlags? KeyUsage { get; init; }

    /// <summary>EKU OIDs; null: serverAuth for a leaf, none for a CA; empty: no extension.</summary>
    public IReadOnlyList<string>? ExtendedKeyUsages { get; init; }

    public IReadOnlyList<string> DnsNames { get; init; } = [];

    /// <summary>Use the key of this certificate (it must carry its private key) instead of a new one.</summary>
    public X509Certificate2? ReuseKeyOf { get; init; }

    /// <summary>Sign with RSA-PSS (the issuer's key must be RSA).</summary>
    public bool RsaPss { get; init; }

    /// <summary>More extensions, as given (name constraints, unknown critical ones).</summary>
    public IReadOnlyList<X509Extension> ExtraExtensions { get; init; } = [];
}
