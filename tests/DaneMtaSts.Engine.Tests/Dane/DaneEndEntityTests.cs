using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Tests.Support;
using static DaneMtaSts.Engine.Tests.Dane.DaneTestData;

namespace DaneMtaSts.Engine.Tests.Dane;

/// <summary>docs/edge-cases.md#t3: DANE-EE(3) matches the leaf alone (RFC 7672 §3.1.1).</summary>
public class DaneEndEntityTests
{
    [Theory]
    [InlineData(0, 0, "certificate (full)")]
    [InlineData(0, 1, "certificate SHA-256")]
    [InlineData(0, 2, "certificate SHA-512")]
    [InlineData(1, 0, "SPKI (full)")]
    [InlineData(1, 1, "SPKI SHA-256")]
    [InlineData(1, 2, "SPKI SHA-512")]
    public void Matches_the_leaf_by_every_selector_and_matching_type(byte selector, byte matching, string what)
    {
        var (leaf, intermediate, _) = Chain();
        var result = Evaluate([leaf, intermediate], Record(3, selector, matching, leaf));

        Assert.True(result.Authenticated);
        Assert.Equal(DaneFailure.None, result.Failure);
        Assert.Equal(0, result.MatchedDepth);
        Assert.Null(result.ValidUntil);
        var record = Assert.Single(result.Records);
        Assert.True(record.Matched);
        Assert.Equal($"matched the leaf's {what}", record.Detail);
    }

    [Theory]
    [InlineData(TestKeyType.Rsa2048)]
    [InlineData(TestKeyType.EcdsaP256)]
    public void Works_for_rsa_and_ecdsa_keys(TestKeyType keyType)
    {
        var (leaf, intermediate, _) = Chain(keyType);
        Assert.True(Evaluate([leaf, intermediate], Record(3, 1, 1, leaf)).Authenticated);
        Assert.False(Evaluate([leaf, intermediate], Record(3, 1, 1, intermediate)).Authenticated);
    }

    [Fact]
    public void A_different_key_does_not_match_and_the_detail_shows_the_leaf_digest()
    {
        var (leaf, intermediate, _) = Chain();
        var other = Leaf(null);
        var result = Evaluate([leaf, intermediate], Record(3, 1, 1, other));

        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.NoMatch, result.Failure);
        string expected = Convert.ToHexString(TestPki.SpkiSha256(leaf))[..16];
        Assert.Contains(expected, result.Records[0].Detail, StringComparison.Ordinal);
        Assert.Contains("3 1 1", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Matching_an_issuer_is_not_a_dane_ee_match()
    {
        var (leaf, intermediate, root) = Chain();
        var result = Evaluate([leaf, intermediate, root], Record(3, 0, 1, intermediate), Record(3, 1, 1, root));
        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.NoMatch, result.Failure);
    }

    [Fact]
    public void Ignores_expiry_self_signature_and_names()
    {
        var leaf = TestPki.CreateCertificate(null, "unrelated.invalid", new TestCertificateOptions
        {
            DnsNames = ["unrelated.invalid"],
            NotBefore = DateTimeOffset.UtcNow.AddYears(-3),
            NotAfter = DateTimeOffset.UtcNow.AddYears(-2),
            ExtendedKeyUsages = ["1.3.6.1.5.5.7.3.2"], // clientAuth only: irrelevant for DANE-EE
        });
        var result = Evaluate([leaf], Record(3, 1, 1, leaf));
        Assert.True(result.Authenticated);
        Assert.Null(result.MatchedName);
        Assert.Null(DaneAuthenticator.StopsMatchingOn(Check([leaf], Record(3, 1, 1, leaf))));
    }

    [Fact]
    public void Only_the_first_served_certificate_is_the_leaf()
    {
        var (leaf, intermediate, _) = Chain();
        // Leaf record, but the server sends the intermediate first: no match.
        Assert.False(Evaluate([intermediate, leaf], Record(3, 1, 1, leaf)).Authenticated);
    }

    [Fact]
    public void An_empty_chain_is_no_certificate()
    {
        var (leaf, _, _) = Chain();
        var result = Evaluate([], Record(3, 1, 1, leaf), Record(2, 0, 1, leaf));
        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.NoCertificate, result.Failure);
        Assert.All(result.Records, r => Assert.False(r.Matched));
    }

    [Fact]
    public void Usable_records_decide_before_an_empty_chain_only_when_there_are_any()
    {
        var (leaf, _, _) = Chain();
        Assert.Equal(DaneFailure.NoUsableRecords, Evaluate([], Record(1, 1, 1, leaf)).Failure);
    }
}
