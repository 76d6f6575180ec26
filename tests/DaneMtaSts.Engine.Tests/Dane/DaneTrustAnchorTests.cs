using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Tests.Support;
using static DaneMtaSts.Engine.Tests.Dane.DaneTestData;

namespace DaneMtaSts.Engine.Tests.Dane;

/// <summary>docs/edge-cases.md#t4, docs/edge-cases.md#t5, docs/edge-cases.md#t6, docs/edge-cases.md#t8: DANE-TA(2) (RFC 7672 §3.1.2, RFC 7671 §5.2).</summary>
public class DaneTrustAnchorTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void Matches_the_issuer_at_depth_1()
    {
        var (leaf, intermediate, root) = Chain();
        var result = Evaluate([leaf, intermediate, root], Record(2, 1, 1, intermediate));

        Assert.True(result.Authenticated, result.Detail);
        Assert.Equal(1, result.MatchedDepth);
        Assert.Equal(MxName, result.MatchedName);
        Assert.Equal(1, result.Records[0].MatchedDepth);
        Assert.Contains("matched the certificate at depth 1 ('CN=Test Intermediate CA') by its SPKI SHA-256", result.Records[0].Detail, StringComparison.Ordinal);
        // The anchor's dates do not count: the leaf's NotAfter is the earliest below it.
        Assert.Equal(new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), result.ValidUntil);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    public void Matches_the_root_at_depth_2(byte selector, byte matching)
    {
        var (leaf, intermediate, root) = Chain();
        var result = Evaluate([leaf, intermediate, root], Record(2, selector, matching, root));
        Assert.True(result.Authenticated, result.Detail);
        Assert.Equal(2, result.MatchedDepth);
    }

    [Fact]
    public void Works_with_rsa_keys_and_mixed_key_types()
    {
        var (leaf, intermediate, root) = Chain(TestKeyType.Rsa2048);
        Assert.True(Evaluate([leaf, intermediate, root], Record(2, 0, 1, root)).Authenticated);

        var rsaRoot = Ca(null, "RSA Root", new TestCertificateOptions { KeyType = TestKeyType.Rsa2048 });
        var ecIntermediate = Ca(rsaRoot, "EC Intermediate");
        var ecLeaf = Leaf(ecIntermediate, MxName);
        Assert.True(Evaluate([ecLeaf, ecIntermediate], Record(2, 1, 1, rsaRoot) with { MatchingType = 0, Data = rsaRoot.PublicKey.ExportSubjectPublicKeyInfo() }).Authenticated);
    }

    [Fact]
    public void Verifies_rsa_pss_signatures()
    {
        var root = Ca(null, "PSS Root", new TestCertificateOptions { KeyType = TestKeyType.Rsa2048, RsaPss = true });
        var intermediate = Ca(root, "PSS Intermediate", new TestCertificateOptions { KeyType = TestKeyType.Rsa2048, RsaPss = true });
        var leaf = TestPki.CreateCertificate(intermediate, MxName, new TestCertificateOptions { DnsNames = [MxName], RsaPss = true });
        var result = Evaluate([leaf, intermediate, root], Record(2, 0, 1, root));
        Assert.True(result.Authenticated, result.Detail);
    }

    [Fact]
    public void A_ta_record_matching_only_the_leaf_is_not_a_match()
    {
        var (leaf, intermediate, _) = Chain();
        var result = Evaluate([leaf, intermediate], Record(2, 1, 1, leaf));
        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.NoMatch, result.Failure);
        Assert.Contains("matches only the leaf", result.Records[0].Detail, StringComparison.Ordinal);
        Assert.Contains("never the leaf", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_self_signed_leaf_given_as_a_2_0_0_anchor_is_not_a_match()
    {
        var leaf = Leaf(null, MxName);
        var result = Evaluate([leaf], Record(2, 0, 0, leaf));
        Assert.False(result.Authenticated);
        Assert.Contains("only the leaf", result.Records[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void No_certificate_has_the_digest()
    {
        var (leaf, intermediate, _) = Chain();
        var result = Evaluate([leaf, intermediate], Random(2, 0, 1, 32));
        Assert.Equal(DaneFailure.NoMatch, result.Failure);
        Assert.Equal("no certificate at depth ≥ 1 has this certificate SHA-256", result.Records[0].Detail);
    }

    [Fact]
    public void Tolerates_an_unordered_chain()
    {
        var (leaf, intermediate, root) = Chain();
        var result = Evaluate([leaf, root, intermediate], Record(2, 0, 1, root));
        Assert.True(result.Authenticated, result.Detail);
        Assert.Equal(1, result.MatchedDepth); // the root's position as served
    }

    [Fact]
    public void An_unrelated_ca_in_a_padded_chain_does_not_authenticate_even_when_it_matches()
    {
        var (leaf, intermediate, root) = Chain();
        var unrelated = Ca(null, "Unrelated CA");
        var result = Evaluate([leaf, intermediate, root, unrelated], Record(2, 1, 1, unrelated));

        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.NoMatch, result.Failure);
        Assert.Contains("the certificate at depth 3 ('CN=Unrelated CA') by its SPKI SHA-256, but that certificate is not on the leaf's certification path", result.Records[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_padded_chain_still_authenticates_through_the_real_path()
    {
        var (leaf, intermediate, root) = Chain();
        var result = Evaluate([leaf, Ca(null, "Noise 1"), intermediate, Ca(null, "Noise 2"), root], Record(2, 0, 1, root));
        Assert.True(result.Authenticated, result.Detail);
        Assert.Equal(4, result.MatchedDepth);
    }

    [Fact]
    public void An_impostor_with_the_issuer_name_but_another_key_fails_on_the_signature()
    {
        var (leaf, _, _) = Chain();
        var impostor = Ca(null, "Test Intermediate CA"); // same subject name as the real issuer
        var result = Evaluate([leaf, impostor], Record(2, 1, 1, impostor));

        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.NoMatch, result.Failure);
        Assert.Contains("signature", result.Records[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_name_is_name_mismatch()
    {
        var (_, intermediate, root) = Chain();
        var leaf = Leaf(intermediate, "other.example.net", "www.example.net");
        var result = Evaluate([leaf, intermediate, root], Record(2, 0, 1, root));

        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.NameMismatch, result.Failure);
        Assert.Equal(2, result.Records[0].MatchedDepth);
        Assert.Contains("other.example.net, www.example.net", result.Detail, StringComparison.Ordinal);
        Assert.Contains(MxName, result.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mx-original.example.test")]
    [InlineData("example.test")]
    [InlineData("MX.Example.Test")]
    public void The_mx_name_and_recipient_domain_are_reference_names_too(string name)
    {
        var (_, intermediate, _) = Chain();
        var leaf = Leaf(intermediate, name);
        var result = Evaluate([leaf, intermediate], Record(2, 1, 1, intermediate));
        Assert.True(result.Authenticated, result.Detail);
        Assert.Equal(name.ToLowerInvariant(), result.MatchedName, ignoreCase: true);
    }

    [Theory]
    [InlineData("*.example.test", true)]
    [InlineData("*.test", false)]
    [InlineData("m*.example.test", false)]
    [InlineData("*.mx.example.test", false)]
    [InlineData("mx.*.test", false)]
    public void Wildcards_only_as_the_whole_leftmost_label(string presented, bool matches)
    {
        var (_, intermediate, _) = Chain();
        var leaf = TestPki.CreateCertificate(intermediate, "wildcard", new TestCertificateOptions { DnsNames = [presented] });
        var check = Check([leaf, intermediate], Record(2, 1, 1, intermediate)) with { ReferenceNames = [MxName] };
        var result = DaneAuthenticator.Evaluate(check);
        Assert.Equal(matches, result.Authenticated);
        Assert.Equal(matches ? DaneFailure.None : DaneFailure.NameMismatch, result.Failure);
    }

    [Fact]
    public void A_wildcard_does_not_cover_the_parent_domain()
    {
        var (_, intermediate, _) = Chain();
        var leaf = TestPki.CreateCertificate(intermediate, "wildcard", new TestCertificateOptions { DnsNames = ["*.example.test"] });
        var check = Check([leaf, intermediate], Record(2, 1, 1, intermediate)) with { ReferenceNames = ["example.test"] };
        Assert.Equal(DaneFailure.NameMismatch, DaneAuthenticator.Evaluate(check).Failure);
    }

    [Fact]
    public void The_common_name_counts_only_without_dns_sans()
    {
        var (_, intermediate, _) = Chain();
        var cnOnly = TestPki.CreateCertificate(intermediate, MxName);
        Assert.True(Evaluate([cnOnly, intermediate], Record(2, 1, 1, intermediate)).Authenticated);

        var cnAndOtherSan = TestPki.CreateCertificate(intermediate, MxName, new TestCertificateOptions { DnsNames = ["other.example.net"] });
        Assert.Equal(DaneFailure.NameMismatch, Evaluate([cnAndOtherSan, intermediate], Record(2, 1, 1, intermediate)).Failure);
    }

    [Fact]
    public void An_expired_intermediate_is_expired()
    {
        var root = Ca(null, "Root");
        var intermediate = Ca(root, "Old Intermediate", new TestCertificateOptions { NotBefore = Now.AddYears(-3), NotAfter = Now.AddDays(-1) });
        var leaf = Leaf(intermediate, MxName);
        var result = Evaluate([leaf, intermediate, root], Record(2, 0, 1, root));

        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.Expired, result.Failure);
        Assert.Contains("the certificate at depth 1 ('CN=Old Intermediate') is expired", result.Detail, StringComparison.Ordinal);
        Assert.Equal(2, result.Records[0].MatchedDepth);
        Assert.False(result.Records[0].Matched);
    }

    [Fact]
    public void An_expired_or_not_yet_valid_leaf_is_expired()
    {
        var (_, intermediate, _) = Chain();
        var expired = TestPki.CreateCertificate(intermediate, MxName, new TestCertificateOptions { DnsNames = [MxName], NotBefore = Now.AddDays(-100), NotAfter = Now.AddDays(-10) });
        var future = TestPki.CreateCertificate(intermediate, MxName, new TestCertificateOptions { DnsNames = [MxName], NotBefore = Now.AddDays(10), NotAfter = Now.AddDays(100) });
        Assert.Equal(DaneFailure.Expired, Evaluate([expired, intermediate], Record(2, 1, 1, intermediate)).Failure);
        var notYet = Evaluate([future, intermediate], Record(2, 1, 1, intermediate));
        Assert.Equal(DaneFailure.Expired, notYet.Failure);
        Assert.Contains("not yet valid", notYet.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_anchors_own_expiry_is_ignored()
    {
        var root = Ca(null, "Expired Root", new TestCertificateOptions { NotBefore = Now.AddYears(-10), NotAfter = Now.AddDays(-1) });
        var intermediate = Ca(root, "Intermediate");
        var leaf = Leaf(intermediate, MxName);
        var result = Evaluate([leaf, intermediate, root], Record(2, 0, 1, root));
        Assert.True(result.Authenticated, result.Detail);
    }

    [Fact]
    public void Dates_are_judged_at_as_of_and_the_stop_date_is_reported()
    {
        var (leaf, intermediate, root) = Chain();
        var check = Check([leaf, intermediate, root], Record(2, 0, 1, root));
        var leafEnd = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());

        Assert.Equal(leafEnd, DaneAuthenticator.StopsMatchingOn(check));
        Assert.False(DaneAuthenticator.WillStopMatching(check, leafEnd.AddSeconds(-1)));
        Assert.True(DaneAuthenticator.WillStopMatching(check, leafEnd.AddDays(1)));
        var later = DaneAuthenticator.Evaluate(check with { AsOf = leafEnd.AddDays(1) });
        Assert.Equal(DaneFailure.Expired, later.Failure);
    }

    [Fact]
    public void A_key_only_anchor_absent_from_the_chain_matches()
    {
        var (leaf, intermediate, root) = Chain();
        var anchor = Record(2, 1, 0, root);
        var result = Evaluate([leaf, intermediate], anchor);

        Assert.True(result.Authenticated, result.Detail);
        Assert.Equal(-1, result.MatchedDepth);
        Assert.Contains("did not send", result.Records[0].Detail, StringComparison.Ordinal);

        // The leaf signed directly by the anchor key.
        var direct = Leaf(root, MxName);
        Assert.True(Evaluate([direct], anchor).Authenticated);
    }

    [Fact]
    public void A_key_only_anchor_that_signed_nothing_served_does_not_match()
    {
        var (leaf, intermediate, _) = Chain();
        var otherRoot = Ca(null, "Test Root CA"); // same name, other key
        var result = Evaluate([leaf, intermediate], Record(2, 1, 0, otherRoot));
        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.NoMatch, result.Failure);
        Assert.Contains("not signed by the anchor key", result.Records[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_full_anchor_certificate_absent_from_the_chain_matches()
    {
        var (leaf, intermediate, root) = Chain();
        var result = Evaluate([leaf, intermediate], Record(2, 0, 0, root));
        Assert.True(result.Authenticated, result.Detail);
        Assert.Equal(-1, result.MatchedDepth);
    }

    [Fact]
    public void A_full_anchor_certificate_needs_the_issuer_name_and_ca_rights()
    {
        var (leaf, intermediate, root) = Chain();

        // Same key and name as the real root, but its basicConstraints say "not a CA".
        var sameKeyNotCa = TestPki.CreateCertificate(null, root.Subject, new TestCertificateOptions { ReuseKeyOf = root, IsCa = false, ExtendedKeyUsages = [] });
        var notCa = Evaluate([leaf, intermediate], Record(2, 0, 0, sameKeyNotCa));
        Assert.False(notCa.Authenticated);
        Assert.Equal(DaneFailure.NoMatch, notCa.Failure);
        Assert.Contains("not a CA", notCa.Records[0].Detail, StringComparison.Ordinal);

        // Same key, another name: the chain's top names a different issuer.
        var sameKeyOtherName = Ca(null, "Some Other Root", new TestCertificateOptions { ReuseKeyOf = root });
        var otherName = Evaluate([leaf, intermediate], Record(2, 0, 0, sameKeyOtherName));
        Assert.False(otherName.Authenticated);
        Assert.Contains("is not the issuer", otherName.Records[0].Detail, StringComparison.Ordinal);

        // The bare key of that same certificate does authenticate: a "2 1 0" carries no name.
        Assert.True(Evaluate([leaf, intermediate], Record(2, 1, 0, sameKeyOtherName)).Authenticated);
    }

    [Fact]
    public void An_intermediate_that_is_not_a_ca_breaks_the_path()
    {
        var root = Ca(null, "Root");
        var notCa = TestPki.CreateCertificate(root, "Not A CA", new TestCertificateOptions { IsCa = false, KeyUsage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, ExtendedKeyUsages = [] });
        var leaf = Leaf(notCa, MxName);
        var result = Evaluate([leaf, notCa, root], Record(2, 0, 1, root));
        Assert.False(result.Authenticated);
        Assert.Contains("not a CA", result.Records[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_intermediate_without_keycertsign_breaks_the_path()
    {
        var root = Ca(null, "Root");
        var intermediate = Ca(root, "Intermediate", new TestCertificateOptions { KeyUsage = X509KeyUsageFlags.DigitalSignature });
        var leaf = Leaf(intermediate, MxName);
        var result = Evaluate([leaf, intermediate, root], Record(2, 0, 1, root));
        Assert.False(result.Authenticated);
        Assert.Contains("keyCertSign", result.Records[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Path_length_constraints_are_respected()
    {
        var root = Ca(null, "Root", new TestCertificateOptions { PathLength = 0 });
        var intermediate = Ca(root, "Intermediate");
        var leaf = Leaf(intermediate, MxName);
        var viaRoot = Evaluate([leaf, intermediate, root], Record(2, 0, 1, root));
        Assert.False(viaRoot.Authenticated);
        Assert.Contains("pathLenConstraint 0", viaRoot.Records[0].Detail, StringComparison.Ordinal);

        // The same chain anchored at the intermediate: nothing is below it but the leaf.
        Assert.True(Evaluate([leaf, intermediate, root], Record(2, 0, 1, intermediate)).Authenticated);

        var root1 = Ca(null, "Root 1", new TestCertificateOptions { PathLength = 1 });
        var intermediate1 = Ca(root1, "Intermediate 1");
        Assert.True(Evaluate([Leaf(intermediate1, MxName), intermediate1, root1], Record(2, 0, 1, root1)).Authenticated);
    }

    [Fact]
    public void A_leaf_whose_eku_lacks_server_auth_fails()
    {
        var (_, intermediate, _) = Chain();
        var leaf = TestPki.CreateCertificate(intermediate, MxName, new TestCertificateOptions { DnsNames = [MxName], ExtendedKeyUsages = ["1.3.6.1.5.5.7.3.2"] });
        var result = Evaluate([leaf, intermediate], Record(2, 1, 1, intermediate));
        Assert.False(result.Authenticated);
        Assert.Contains("serverAuth", result.Records[0].Detail, StringComparison.Ordinal);

        var noEku = TestPki.CreateCertificate(intermediate, MxName, new TestCertificateOptions { DnsNames = [MxName], ExtendedKeyUsages = [] });
        Assert.True(Evaluate([noEku, intermediate], Record(2, 1, 1, intermediate)).Authenticated);
    }

    [Fact]
    public void Mixed_ee_and_ta_authenticates_through_ta_when_ee_fails()
    {
        var (leaf, intermediate, root) = Chain();
        var result = Evaluate([leaf, intermediate, root], Random(3, 1, 1, 32), Record(2, 0, 1, root));
        Assert.True(result.Authenticated, result.Detail);
        Assert.Equal(2, result.MatchedRecord!.Usage);
        Assert.False(result.Records[0].Matched);
        Assert.True(result.Records[1].Matched);
    }

    [Fact]
    public void Mixed_ee_and_ta_prefers_the_ee_match_even_when_ta_fails_on_the_name()
    {
        var (_, intermediate, root) = Chain();
        var leaf = Leaf(intermediate, "wrong.example.net");
        var result = Evaluate([leaf, intermediate, root], Record(2, 0, 1, root), Record(3, 1, 1, leaf));
        Assert.True(result.Authenticated);
        Assert.Equal(3, result.MatchedRecord!.Usage);
        Assert.Null(result.ValidUntil);
    }

    [Fact]
    public void The_most_specific_failure_wins_and_names_its_record()
    {
        var (_, intermediate, root) = Chain();
        var leaf = Leaf(intermediate, "wrong.example.net");
        var result = Evaluate([leaf, intermediate, root], Random(3, 1, 1, 32), Random(2, 1, 1, 32), Record(2, 0, 1, root));
        Assert.Equal(DaneFailure.NameMismatch, result.Failure);
        Assert.Contains("2 0 1", result.Detail, StringComparison.Ordinal);

        var expiredIntermediate = Ca(root, "Test Intermediate CA", new TestCertificateOptions { NotBefore = Now.AddYears(-2), NotAfter = Now.AddDays(-2) });
        var leaf2 = Leaf(expiredIntermediate, MxName);
        var expired = Evaluate([leaf2, expiredIntermediate, root], Random(2, 1, 1, 32), Record(2, 0, 1, root));
        Assert.Equal(DaneFailure.Expired, expired.Failure);
    }

    [Fact]
    public void Prefers_a_valid_path_over_an_expired_one_to_the_same_anchor()
    {
        // The intermediate was re-issued with the same name and key; the server still sends the
        // expired copy first. Either copy verifies the leaf; the valid one must be chosen.
        var root = Ca(null, "Root");
        var current = Ca(root, "Shared Intermediate");
        var expiredCopy = Ca(root, "Shared Intermediate", new TestCertificateOptions { ReuseKeyOf = current, NotBefore = Now.AddDays(-400), NotAfter = Now.AddDays(-1) });
        var leaf = Leaf(current, MxName);

        var result = Evaluate([leaf, expiredCopy, current, root], Record(2, 0, 1, root));
        Assert.True(result.Authenticated, result.Detail);

        // Without the valid copy the same chain is expired: the copy really is on a path.
        Assert.Equal(DaneFailure.Expired, Evaluate([leaf, expiredCopy, root], Record(2, 0, 1, root)).Failure);
    }

    [Fact]
    public void A_twenty_certificate_chain_is_bounded_work()
    {
        var (leaf, intermediate, root) = Chain();
        var padded = new List<X509Certificate2> { leaf };
        for (int i = 0; i < 18; i++)
        {
            padded.Add(Ca(null, "Test Intermediate CA")); // all claim to be the leaf's issuer
        }

        padded.Add(intermediate);
        var watch = Stopwatch.StartNew();
        var result = Evaluate(padded, Record(2, 1, 1, intermediate));
        Assert.True(result.Authenticated, result.Detail);
        Assert.Equal(19, result.MatchedDepth);
        Assert.Equal(20, padded.Count);
        _ = root;

        // A linear chain deeper than the verification depth fails cleanly.
        var top = Ca(null, "Deep Root");
        var issuer = top;
        var deep = new List<X509Certificate2>();
        for (int i = 0; i < 18; i++)
        {
            issuer = Ca(issuer, $"Deep {i}");
            deep.Insert(0, issuer);
        }

        var deepLeaf = Leaf(issuer, MxName);
        var deepResult = Evaluate([deepLeaf, .. deep, top], Record(2, 0, 1, top));
        Assert.False(deepResult.Authenticated);
        Assert.Contains("more than 9 intermediate", deepResult.Records[0].Detail, StringComparison.Ordinal);
        HangGuard.Check(watch.Elapsed, "the bounded path search");
    }

    [Fact]
    public void A_chain_of_mutually_signing_certificates_does_not_explode()
    {
        // Twenty re-issues of one CA (same name, same key): each verifies every other, so the
        // number of candidate paths is factorial; the search must stay bounded and fail closed.
        var first = Ca(null, "Loop CA");
        var copies = Enumerable.Range(0, 19).Select(_ => Ca(null, "Loop CA", new TestCertificateOptions { ReuseKeyOf = first })).ToList();
        var leaf = Leaf(first, MxName);
        var watch = Stopwatch.StartNew();

        // The anchor is served but unreachable: the search walks the copies until its budget ends.
        var unreachable = Ca(null, "Unreachable");
        var none = Evaluate([leaf, .. copies, unreachable], Record(2, 0, 1, unreachable));
        Assert.Equal(DaneFailure.NoMatch, none.Failure);
        Assert.Contains("not on the leaf's certification path", none.Records[0].Detail, StringComparison.Ordinal);

        var anchored = Evaluate([leaf, .. copies], Record(2, 0, 1, copies[^1]));
        Assert.True(anchored.Authenticated, anchored.Detail);
        HangGuard.Check(watch.Elapsed, "the bounded path search");
    }

    [Fact]
    public void D8_the_expanded_tlsa_base_name_and_the_original_mx_name_both_count_in_that_order()
    {
        var (_, intermediate, _) = Chain();
        string[] names = ["mx.provider.test", "mx.example.test", "example.test"];
        var original = Leaf(intermediate, "mx.example.test");
        var both = Leaf(intermediate, "mx.example.test", "mx.provider.test");
        var tlsa = Record(2, 1, 1, intermediate);

        var byOriginal = DaneAuthenticator.Evaluate(Check([original, intermediate], tlsa) with { ReferenceNames = names });
        Assert.Equal("mx.example.test", byOriginal.MatchedName);
        var byBase = DaneAuthenticator.Evaluate(Check([both, intermediate], tlsa) with { ReferenceNames = names });
        Assert.Equal("mx.provider.test", byBase.MatchedName);
        var noNames = DaneAuthenticator.Evaluate(Check([both, intermediate], tlsa) with { ReferenceNames = [] });
        Assert.Equal(DaneFailure.NameMismatch, noNames.Failure);
    }

    [Theory]
    [InlineData(TestKeyType.EcdsaP256)]
    [InlineData(TestKeyType.Rsa2048)]
    public void A_corrupted_signature_fails_the_link_without_an_exception(TestKeyType keyType)
    {
        var (leaf, intermediate, _) = Chain(keyType);
        byte[] der = leaf.RawData.ToArray();
        der[^3] ^= 0x5A; // inside the signature value
        var tampered = X509CertificateLoader.LoadCertificate(der);

        var result = Evaluate([tampered, intermediate], Record(2, 1, 1, intermediate));
        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.NoMatch, result.Failure);
        Assert.Contains("signature", result.Records[0].Detail, StringComparison.Ordinal);

        // DANE-EE does not care about the signature at all.
        Assert.True(Evaluate([tampered], Record(3, 1, 1, tampered)).Authenticated);
    }
}
