using System.Security.Cryptography.X509Certificates;
using CsCheck;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Tests.Support;
using Xunit.Abstractions;
using static DaneMtaSts.Engine.Tests.Dane.DaneTestData;

namespace DaneMtaSts.Engine.Tests.Dane;

/// <summary>docs/edge-cases.md#t1, docs/edge-cases.md#t2, docs/edge-cases.md#t7, docs/edge-cases.md#t9: which records take part (RFC 7672 §3.1.3, RFC 7671 §9).</summary>
public class TlsaUsabilityTests
{
    [Theory]
    [InlineData(0, "PKIX-TA")]
    [InlineData(1, "PKIX-EE")]
    public void Pkix_usages_are_unusable_and_never_treated_as_dane_usages(byte usage, string name)
    {
        var (leaf, intermediate, root) = Chain();
        // Data that would match as 3 1 1 / 2 0 1: must still not authenticate.
        var result = Evaluate([leaf, intermediate, root], Record(usage, 1, 1, leaf), Record(usage, 0, 1, intermediate));

        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.NoUsableRecords, result.Failure);
        Assert.All(result.Records, r => Assert.False(r.Usable));
        Assert.Contains($"usage {usage} ({name}) is unusable for SMTP (RFC 7672 §3.1.3)", result.Records[0].Detail, StringComparison.Ordinal);
        Assert.Contains("TLS is still required", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Private_matching_type_255_is_unusable()
    {
        var (leaf, intermediate, _) = Chain();
        var result = Evaluate([leaf, intermediate], Record(3, 1, 1, leaf) with { MatchingType = 255 });
        Assert.Equal(DaneFailure.NoUsableRecords, result.Failure);
        Assert.Contains("255 (PrivMatch)", result.Records[0].Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3, 2, 1, 32, "selector 2")]
    [InlineData(4, 1, 1, 32, "usage 4 is not defined")]
    [InlineData(255, 1, 1, 32, "PrivCert")]
    [InlineData(3, 1, 3, 32, "matching type 3 is not defined")]
    [InlineData(3, 1, 1, 31, "SHA2-256 digest is 32 bytes, this record holds 31")]
    [InlineData(3, 1, 1, 64, "this record holds 64")]
    [InlineData(2, 0, 2, 32, "SHA2-512 digest is 64 bytes, this record holds 32")]
    [InlineData(3, 0, 0, 40, "does not parse as one")]
    [InlineData(2, 1, 0, 40, "SubjectPublicKeyInfo")]
    public void Undefined_or_malformed_records_are_unusable_with_a_reason(byte usage, byte selector, byte matching, int length, string reason)
    {
        var classified = Assert.Single(DaneAuthenticator.ClassifyRecords([Random(usage, selector, matching, length)]));
        Assert.False(classified.Usable);
        Assert.Contains(reason, classified.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Full_records_must_parse_as_a_certificate_or_key()
    {
        var (leaf, _, _) = Chain();
        var classified = DaneAuthenticator.ClassifyRecords([Record(3, 0, 0, leaf), Record(2, 1, 0, leaf), new TlsaRecord(3, 0, 0, [.. leaf.RawData, 0])]);
        Assert.True(classified[0].Usable);
        Assert.True(classified[1].Usable);
        Assert.False(classified[2].Usable); // trailing garbage after the certificate
    }

    [Fact]
    public void Requires_tls_whenever_tlsa_exists_but_usable_only_for_usage_2_and_3()
    {
        var (leaf, _, _) = Chain();
        TlsaRecord[] unusable = [Record(1, 1, 1, leaf), Random(3, 1, 1, 20)];
        Assert.True(DaneAuthenticator.TlsaRequiresTls(unusable));
        Assert.False(DaneAuthenticator.HasUsableRecords(unusable));
        Assert.True(DaneAuthenticator.HasUsableRecords([.. unusable, Record(2, 0, 1, leaf)]));
        Assert.False(DaneAuthenticator.TlsaRequiresTls([]));
    }

    [Fact]
    public void Digest_agility_ignores_a_matching_sha256_when_a_sha512_is_published_for_the_same_usage_and_selector()
    {
        var (leaf, intermediate, _) = Chain();
        var result = Evaluate([leaf, intermediate], Record(3, 1, 1, leaf), Random(3, 1, 2, 64));

        Assert.False(result.Authenticated);
        Assert.Equal(DaneFailure.NoMatch, result.Failure);
        Assert.True(result.Records[0].Usable);
        Assert.True(result.Records[0].SupersededByStrongerDigest);
        Assert.False(result.Records[0].Matched);
        Assert.Contains("RFC 7671 §9", result.Records[0].Detail, StringComparison.Ordinal);
        Assert.False(result.Records[1].SupersededByStrongerDigest);
    }

    [Fact]
    public void Digest_agility_lets_a_matching_sha512_win_over_a_stale_sha256()
    {
        var (leaf, intermediate, _) = Chain();
        var result = Evaluate([leaf, intermediate], Random(3, 1, 1, 32), Record(3, 1, 2, leaf));

        Assert.True(result.Authenticated);
        Assert.Equal(Record(3, 1, 2, leaf), result.MatchedRecord);
        Assert.True(result.Records[0].SupersededByStrongerDigest);
    }

    [Fact]
    public void Digest_agility_is_per_usage_and_selector_and_never_drops_full_records()
    {
        var (leaf, intermediate, _) = Chain();
        Assert.True(Evaluate([leaf, intermediate], Record(3, 1, 1, leaf), Random(3, 0, 2, 64)).Authenticated);
        Assert.True(Evaluate([leaf, intermediate], Record(3, 1, 1, leaf), Random(2, 1, 2, 64)).Authenticated);
        var full = Evaluate([leaf, intermediate], Record(3, 1, 0, leaf), Random(3, 1, 2, 64));
        Assert.True(full.Authenticated);
        Assert.False(full.Records[0].SupersededByStrongerDigest);
    }

    [Fact]
    public void A_malformed_sha512_does_not_silence_a_good_sha256()
    {
        var (leaf, intermediate, _) = Chain();
        var result = Evaluate([leaf, intermediate], Record(3, 1, 1, leaf), Random(3, 1, 2, 63));
        Assert.True(result.Authenticated);
        Assert.False(result.Records[1].Usable);
    }

    [Fact]
    public void Duplicate_identical_records_are_harmless()
    {
        var (leaf, intermediate, root) = Chain();
        var ee = Record(3, 1, 1, leaf);
        var result = Evaluate([leaf, intermediate, root], ee, ee, Record(2, 0, 1, root), Record(2, 0, 1, root));
        Assert.True(result.Authenticated);
        Assert.Equal(4, result.Records.Count);
        Assert.All(result.Records, r => Assert.True(r.Matched));
    }
}

public class DaneRobustnessTests(ITestOutputHelper output)
{
    [Fact]
    public void Arbitrary_records_never_throw_and_every_record_gets_a_result()
    {
        var (leaf, intermediate, root) = Chain();
        X509Certificate2[] chain = [leaf, root, intermediate];
        var small = Gen.Byte[0, 4];
        var field = Gen.OneOf(small, Gen.Byte);
        var data = Gen.OneOf(Gen.Byte.Array[0, 80], Gen.Const(leaf.RawData), Gen.Const(intermediate.PublicKey.ExportSubjectPublicKeyInfo()), Gen.Const(TestPki.SpkiSha256(root)));
        var random = Gen.Select(field, field, field, data).Select((u, s, m, d) => new TlsaRecord(u, s, m, d));

        // Records that match this chain (DANE-EE of the leaf, DANE-TA of the intermediate or the
        // root), mixed in so that the authenticated case is reached often.
        var matching = Gen.OneOf(
            Gen.Const(new TlsaRecord(3, 0, 0, leaf.RawData)),
            Gen.Const(new TlsaRecord(2, 1, 0, intermediate.PublicKey.ExportSubjectPublicKeyInfo())),
            Gen.Const(new TlsaRecord(2, 1, 1, TestPki.SpkiSha256(root))));
        var unrelated = Gen.Byte.Array[32].Select(d => new TlsaRecord(3, 1, 1, d));
        var record = Gen.Frequency((4, random), (1, matching), (2, unrelated));
        var counter = new CaseCounter(output, "arbitrary TLSA sets");
        record.Array[0, 6].Sample(records =>
        {
            counter.Sample();
            var result = DaneAuthenticator.Evaluate(Check(chain, records));
            counter.Hit(result.Authenticated ? "authenticated" : result.Failure == DaneFailure.NoUsableRecords ? "no usable record" : "usable records, no match");
            Assert.Equal(records.Length, result.Records.Count);
            Assert.False(string.IsNullOrWhiteSpace(result.Detail));
            Assert.Equal(result.Authenticated, result.Failure == DaneFailure.None);
            Assert.Equal(result.Authenticated, result.Records.Any(r => r.Matched));
        }, iter: 300, threads: 1);
        counter.AssertReached(10, "authenticated", "no usable record", "usable records, no match");
    }
}
