using System.Security.Cryptography;
using System.Text;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Tests.Support;
using static DaneMtaSts.Engine.Tests.Dane.DaneTestData;

namespace DaneMtaSts.Engine.Tests.Dane;

/// <summary>Offline judging (docs/verdicts.md#offline-check): chains read from files, then judged at chosen dates (docs/edge-cases.md#t13).</summary>
public class CertificateFilesTests
{
    [Fact]
    public void Reads_pem_certificates_in_file_order_and_skips_other_blocks()
    {
        var (leaf, intermediate, root) = Chain();
        using var key = ECDsa.Create();
        string pem = "subject=CN=mx.example.test\n" + TestPki.ToPem(leaf) + key.ExportPkcs8PrivateKeyPem() + "\n" + TestPki.ToPem(root, intermediate);

        var chain = CertificateFiles.LoadChain(Encoding.ASCII.GetBytes(pem));
        Assert.Equal([leaf.Thumbprint, root.Thumbprint, intermediate.Thumbprint], chain.Select(c => c.Thumbprint));
    }

    [Fact]
    public void Reads_der_single_and_concatenated()
    {
        var (leaf, intermediate, _) = Chain();
        Assert.Equal(leaf.Thumbprint, Assert.Single(CertificateFiles.LoadChain(leaf.RawData)).Thumbprint);
        var both = CertificateFiles.LoadChain([.. leaf.RawData, .. intermediate.RawData]);
        Assert.Equal([leaf.Thumbprint, intermediate.Thumbprint], both.Select(c => c.Thumbprint));
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")]
    public void Garbage_is_a_typed_error(string text)
    {
        var ex = Assert.Throws<EngineException>(() => CertificateFiles.LoadChain(Encoding.ASCII.GetBytes(text)));
        Assert.Equal(CertificateFiles.InvalidCertificateFileErrorId, ex.ErrorId);
    }

    [Fact]
    public void Truncated_der_is_a_typed_error()
    {
        var (leaf, _, _) = Chain();
        var ex = Assert.Throws<EngineException>(() => CertificateFiles.LoadChain(leaf.RawData.AsSpan(0, leaf.RawData.Length - 10)));
        Assert.Equal(CertificateFiles.InvalidCertificateFileErrorId, ex.ErrorId);
    }

    [Fact]
    public void Reads_a_file_and_names_a_missing_one()
    {
        var (leaf, intermediate, root) = Chain();
        string dir = Directory.CreateTempSubdirectory("dane-certs-").FullName;
        try
        {
            string path = Path.Combine(dir, "chain.pem");
            File.WriteAllText(path, TestPki.ToPem(leaf, intermediate));
            var chain = CertificateFiles.LoadChain(path);
            Assert.Equal(2, chain.Count);

            // Judged offline against a "2 1 0" key-only anchor at two dates.
            var check = Check(chain, Record(2, 1, 0, root));
            Assert.True(DaneAuthenticator.Evaluate(check).Authenticated);
            Assert.Equal(new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), DaneAuthenticator.StopsMatchingOn(check));

            var missing = Assert.Throws<EngineException>(() => CertificateFiles.LoadChain(Path.Combine(dir, "absent.pem")));
            Assert.Equal("CertificateFileNotFound", missing.ErrorId);
            Assert.Equal(EngineErrorKind.ObjectNotFound, missing.Kind);

            string bad = Path.Combine(dir, "bad.pem");
            File.WriteAllText(bad, "not a certificate");
            var invalid = Assert.Throws<EngineException>(() => CertificateFiles.LoadChain(bad));
            Assert.Contains("bad.pem", invalid.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
