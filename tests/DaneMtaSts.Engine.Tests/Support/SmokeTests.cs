using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests;

public class TestPkiTests
{
    [Fact]
    public void Chain_leaf_is_signed_by_intermediate_and_has_its_name()
    {
        var (leaf, intermediate, root) = TestPki.CreateChain("mx.example.test");
        Assert.Equal(intermediate.SubjectName.Name, leaf.IssuerName.Name);
        Assert.Equal(root.SubjectName.Name, intermediate.IssuerName.Name);
        Assert.True(leaf.HasPrivateKey);
        Assert.Equal("mx.example.test", leaf.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.DnsName, false));
    }
}
