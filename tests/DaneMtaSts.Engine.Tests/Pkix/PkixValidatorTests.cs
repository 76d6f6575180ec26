using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Pkix;

public class PkixValidatorTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static PkixTrust Only(params X509Certificate2[] roots) => new() { ExtraRoots = roots, UseSystemRoots = false };

    [Fact]
    public void Chain_to_an_extra_root_with_the_right_name_is_valid()
    {
        var (leaf, intermediate, root) = TestPki.CreateChain("mta-sts.example.test");
        PkixResult result = PkixValidator.Validate([leaf, intermediate], "mta-sts.example.test", Only(root), Now);
        Assert.True(result.Valid, result.Detail);
        Assert.Equal(PkixFailure.None, result.Failure);
        Assert.True(result.NameMatches);
    }

    [Fact]
    public void Extra_roots_are_added_to_the_system_roots()
    {
        // System trust fails (unknown root), then the extra roots are tried: "system ∪ extra".
        var (leaf, intermediate, root) = TestPki.CreateChain("mta-sts.example.test");
        PkixResult result = PkixValidator.Validate([leaf, intermediate], "mta-sts.example.test", new PkixTrust { ExtraRoots = [root] }, Now);
        Assert.True(result.Valid, result.Detail);
    }

    [Fact]
    public void Unknown_root_with_system_roots_only_is_untrusted()
    {
        var (leaf, intermediate, _) = TestPki.CreateChain("mta-sts.example.test");
        PkixResult result = PkixValidator.Validate([leaf, intermediate], "mta-sts.example.test", new PkixTrust(), Now);
        Assert.False(result.Valid);
        Assert.Equal(PkixFailure.Untrusted, result.Failure);
        Assert.True(result.NameMatches);
        Assert.Contains("system's root store", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_different_extra_root_does_not_make_the_chain_trusted()
    {
        var (leaf, intermediate, _) = TestPki.CreateChain("mta-sts.example.test");
        var otherRoot = TestPki.CreateRoot("Other Root");
        PkixResult result = PkixValidator.Validate([leaf, intermediate], "mta-sts.example.test", new PkixTrust { ExtraRoots = [otherRoot] }, Now);
        Assert.Equal(PkixFailure.Untrusted, result.Failure);
    }

    [Fact]
    public void System_roots_off_and_no_extra_roots_trusts_nothing()
    {
        var (leaf, intermediate, _) = TestPki.CreateChain("mta-sts.example.test");
        PkixResult result = PkixValidator.Validate([leaf, intermediate], "mta-sts.example.test", new PkixTrust { UseSystemRoots = false }, Now);
        Assert.Equal(PkixFailure.Untrusted, result.Failure);
        Assert.Contains("system roots are off", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_intermediate_is_untrusted_because_nothing_is_downloaded()
    {
        var (leaf, _, root) = TestPki.CreateChain("mta-sts.example.test");
        PkixResult result = PkixValidator.Validate([leaf], "mta-sts.example.test", Only(root), Now);
        Assert.Equal(PkixFailure.Untrusted, result.Failure);
        Assert.Contains("intermediates", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Unordered_and_padded_served_chain_is_accepted()
    {
        var (leaf, intermediate, root) = TestPki.CreateChain("mta-sts.example.test");
        var unrelated = TestPki.CreateRoot("Unrelated");
        PkixResult result = PkixValidator.Validate([leaf, unrelated, root, intermediate], "mta-sts.example.test", Only(root), Now);
        Assert.True(result.Valid, result.Detail);
    }

    [Fact]
    public void Leaf_expired_at_asOf_is_expired()
    {
        var root = TestPki.CreateRoot();
        var leaf = TestPki.CreateLeaf(root, "mx.example.test", ["mx.example.test"], notBefore: Now.AddDays(-10), notAfter: Now.AddDays(5));
        Assert.True(PkixValidator.Validate([leaf], "mx.example.test", Only(root), Now).Valid);

        PkixResult later = PkixValidator.Validate([leaf], "mx.example.test", Only(root), Now.AddDays(6));
        Assert.Equal(PkixFailure.Expired, later.Failure);
        Assert.False(later.Valid);
        Assert.Contains("renewed", later.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Leaf_not_yet_valid_at_asOf_is_reported_as_a_validity_failure()
    {
        var root = TestPki.CreateRoot();
        var leaf = TestPki.CreateLeaf(root, "mx.example.test", ["mx.example.test"], notBefore: Now.AddDays(2), notAfter: Now.AddDays(30));
        Assert.Equal(PkixFailure.Expired, PkixValidator.Validate([leaf], "mx.example.test", Only(root), Now).Failure);
    }

    [Fact]
    public void Wrong_name_is_a_name_mismatch_naming_what_the_certificate_covers()
    {
        var (leaf, intermediate, root) = TestPki.CreateChain("www.example.test");
        PkixResult result = PkixValidator.Validate([leaf, intermediate], "mta-sts.example.test", Only(root), Now);
        Assert.Equal(PkixFailure.NameMismatch, result.Failure);
        Assert.False(result.NameMatches);
        Assert.Contains("www.example.test", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Wildcard_covers_one_label_only()
    {
        var root = TestPki.CreateRoot();
        var leaf = TestPki.CreateLeaf(root, "wild", ["*.example.test"]);
        Assert.True(PkixValidator.Validate([leaf], "mta-sts.example.test", Only(root), Now).Valid);
        Assert.Equal(PkixFailure.NameMismatch, PkixValidator.Validate([leaf], "example.test", Only(root), Now).Failure);
        Assert.Equal(PkixFailure.NameMismatch, PkixValidator.Validate([leaf], "a.mta-sts.example.test", Only(root), Now).Failure);
    }

    [Fact]
    public void Unicode_reference_name_matches_the_A_label_SAN()
    {
        var root = TestPki.CreateRoot();
        var leaf = TestPki.CreateLeaf(root, "idn", ["mta-sts.xn--bcher-kva.test"]);
        Assert.True(PkixValidator.Validate([leaf], "mta-sts.bücher.test", Only(root), Now).Valid);
    }

    [Fact]
    public void Leaf_without_an_EKU_extension_is_valid_for_server_authentication()
    {
        var root = TestPki.CreateRoot();
        var leaf = TestPki.CreateLeaf(root, "mx.example.test", ["mx.example.test"], serverAuth: false);
        Assert.True(PkixValidator.Validate([leaf], "mx.example.test", Only(root), Now).Valid);
    }

    [Fact]
    public void Leaf_for_client_authentication_only_is_not_valid()
    {
        var root = TestPki.CreateRoot();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mx.example.test", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("mx.example.test");
        request.CertificateExtensions.Add(san.Build());
        using var leaf = request.Create(root, Now.AddDays(-1), Now.AddDays(30), [1, 2, 3, 4]);

        PkixResult result = PkixValidator.Validate([leaf], "mx.example.test", Only(root), Now);
        Assert.False(result.Valid);
        Assert.Equal(PkixFailure.Other, result.Failure);
        Assert.Contains("NotValidForUsage", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Self_signed_leaf_is_untrusted_unless_it_is_an_extra_root()
    {
        var leaf = TestPki.CreateLeaf(null, "mx.example.test", ["mx.example.test"]);
        Assert.Equal(PkixFailure.Untrusted, PkixValidator.Validate([leaf], "mx.example.test", new PkixTrust(), Now).Failure);
        Assert.True(PkixValidator.Validate([leaf], "mx.example.test", Only(leaf), Now).Valid);
    }

    [Fact]
    public void Empty_chain_is_no_certificate()
    {
        var result = PkixValidator.Validate([], "mx.example.test", new PkixTrust(), Now);
        Assert.Equal(PkixFailure.NoCertificate, result.Failure);
        Assert.False(result.Valid);
    }
}
