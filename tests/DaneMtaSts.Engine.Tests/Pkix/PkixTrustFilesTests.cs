using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Pkix;

public sealed class PkixTrustFilesTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "danemtasts-pkix-" + Guid.NewGuid().ToString("N"));

    public PkixTrustFilesTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Pem_with_several_certificates_and_der_files_are_all_loaded()
    {
        var a = TestPki.CreateRoot("Root A");
        var b = TestPki.CreateRoot("Root B");
        var c = TestPki.CreateRoot("Root C");
        string pem = Write("two.pem", TestPki.ToPem(a, b));
        string der = Path.Combine(_folder, "one.cer");
        File.WriteAllBytes(der, c.RawData);

        PkixTrust trust = PkixTrust.FromFiles([pem, der]);
        Assert.Equal([a.Thumbprint, b.Thumbprint, c.Thumbprint], trust.ExtraRoots.Select(r => r.Thumbprint));
        Assert.True(trust.UseSystemRoots);
    }

    [Fact]
    public void Loaded_roots_validate_a_chain()
    {
        var (leaf, intermediate, root) = TestPki.CreateChain("mta-sts.example.test");
        string pem = Write("root.pem", "comment before the block\n" + TestPki.ToPem(root));
        PkixTrust trust = PkixTrust.FromFiles([pem], useSystemRoots: false);
        Assert.True(PkixValidator.Validate([leaf, intermediate], "mta-sts.example.test", trust, DateTimeOffset.UtcNow).Valid);
    }

    [Theory]
    [InlineData("garbage.pem", "not a certificate at all")]
    [InlineData("key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")]
    [InlineData("broken.pem", "-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n")]
    [InlineData("empty.pem", "")]
    public void Bad_files_throw_InvalidCertificateFile_naming_the_file(string name, string content)
    {
        string path = Write(name, content);
        var ex = Assert.Throws<EngineException>(() => PkixTrust.FromFiles([path]));
        Assert.Equal("InvalidCertificateFile", ex.ErrorId);
        Assert.Equal(EngineErrorKind.InvalidData, ex.Kind);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_not_found()
    {
        string path = Path.Combine(_folder, "absent.pem");
        var ex = Assert.Throws<EngineException>(() => PkixTrust.FromFiles([path]));
        Assert.Equal("InvalidCertificateFile", ex.ErrorId);
        Assert.Equal(EngineErrorKind.ObjectNotFound, ex.Kind);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }
}
