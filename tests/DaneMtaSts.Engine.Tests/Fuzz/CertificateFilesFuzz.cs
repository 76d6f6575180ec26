// Fuzzes CertificateFiles.LoadChain(bytes), the reader of certificate files given for offline
// judging: random bytes, a valid PEM chain and a valid DER chain with one to three byte-level
// edits (flips, deletions, insertions, truncation), PEM with damaged base64 or labels.
// Properties: the only exception is EngineException(InvalidCertificateFile); a successful load
// returns 1..64 certificates; the unmodified PEM and DER chains load in order. The run counts
// loads and typed errors and asserts a minimum share of each.
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CsCheck;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Tests.Support;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class CertificateFilesFuzz(ITestOutputHelper output)
{
    private static readonly Lazy<(X509Certificate2 Leaf, X509Certificate2 Intermediate, X509Certificate2 Root)> Chain = new(() => TestPki.CreateChain("mx.example"));

    [Fact]
    public void Only_the_typed_error_escapes_and_valid_chains_load_in_order()
    {
        var (leaf, intermediate, root) = Chain.Value;
        byte[] pem = Encoding.ASCII.GetBytes(TestPki.ToPem(leaf, intermediate, root));
        byte[] der = [.. leaf.RawData, .. intermediate.RawData, .. root.RawData];
        Assert.Equal(3, CertificateFiles.LoadChain(pem).Count);
        Assert.Equal([leaf.RawData, intermediate.RawData, root.RawData], CertificateFiles.LoadChain(der).Select(c => c.RawData));

        var edit = Gen.Select(Gen.Int[0, 4], Gen.Int[0, int.MaxValue], Gen.Byte);
        var mutated = Gen.Select(Gen.OneOf(Gen.Const(pem), Gen.Const(der), Gen.Const(leaf.RawData)), edit.Array[1, 3], (bytes, edits) =>
        {
            byte[] b = [.. bytes];
            foreach (var (op, at, value) in edits)
            {
                int i = b.Length == 0 ? 0 : at % b.Length;
                b = op switch
                {
                    0 when b.Length > 0 => [.. b[..i], value, .. b[(i + 1)..]],
                    1 when b.Length > 0 => [.. b[..i], .. b[(i + 1)..]],
                    2 => [.. b[..i], value, .. b[i..]],
                    3 => b[..i],
                    _ => [.. b[..i], .. Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\n"), .. b[i..]],
                };
            }

            return b;
        });
        var cases = new CaseCounter(output, "CertificateFiles.LoadChain");
        Gen.OneOf(Gen.Byte.Array[0, 400], mutated).Check(bytes =>
        {
            try
            {
                IReadOnlyList<X509Certificate2> loaded = FuzzRun.Timed(() => CertificateFiles.LoadChain(bytes));
                Assert.InRange(loaded.Count, 1, 64);
                cases.Hit("loaded");
            }
            catch (EngineException ex)
            {
                Assert.Equal(CertificateFiles.InvalidCertificateFileErrorId, ex.ErrorId);
                cases.Hit("the typed error");
            }
        }, output, "CertificateFiles.LoadChain", Math.Max(200, FuzzRun.Iterations / 4), reach: new FuzzReach(cases, 0.05, ["loaded", "the typed error"]));
    }
}
