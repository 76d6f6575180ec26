// Published test vectors, with the clock frozen where it matters. Sources:
// - RFC 5702 §6.1 and §6.2: RSA/SHA-256 (key tag 9033) and RSA/SHA-512 (key tag 3740) signatures
//   over "www.example.net. 3600 IN A 192.0.2.91", inception 2000-01-01, expiration 2030-01-01.
// - RFC 6605 §6.1 and §6.2: ECDSA P-256 (key tag 55648) and P-384 (key tag 10771) signatures over
//   "www.example.net. 3600 IN A 192.0.2.1".
// - RFC 8080 §6.1 and §6.2 with verified Errata 4935 (labels 2, algorithm 15/16): Ed25519 keys
//   (tags 3613, 35217) with their DS digests, and Ed448 (tag 9713), over
//   "example.com. 3600 IN MX 10 mail.example.com."; EdDSA is deterministic, so signing with the
//   RFC's private keys must reproduce the errata signatures byte for byte.
// - RFC 5155 Appendix A: NSEC3 hashes of the example zone (SHA-1, 12 iterations, salt AABBCCDD).
// - RFC 4034 §5.4: the key tag 60485 of dskey.example.com.
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;
using Org.BouncyCastle.Crypto.Parameters;

namespace DaneMtaSts.Engine.Tests.Dnssec;

public class DnssecRfcVectorTests
{
    private static DnsRecord WwwExampleNet(string address) => Rr.A("www.example.net", address);

    private static RrsigData Sig(ushort type, byte algorithm, byte labels, uint expiration, uint inception, ushort tag, string signer, string signature) =>
        new(type, algorithm, labels, 3600, expiration, inception, tag, DnsName.Parse(signer), Convert.FromBase64String(signature));

    public static TheoryData<string, byte, ushort, string, string, uint, uint, ushort> Vectors => new()
    {
        // RFC 5702 §6.1
        { "RFC 5702 6.1", DnssecAlgorithm.RsaSha256, 256, "AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=",
          "kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEacFYK/lPtPiVYP4bwg==", 1893456000, 946684800, 9033 },

        // RFC 5702 §6.2
        { "RFC 5702 6.2", DnssecAlgorithm.RsaSha512, 256, "AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnjJQujX/AyhqFDxj13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8gpMpztNFLpPBz1bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL",
          "tsb4wnjRUDnB1BUi+t6TMTXThjVnG+eCkWqjvvjhzQL1d0YRoOe0CbxrVDYd0xDtsuJRaeUw1ep94PzEWzr0iGYgZBWm/zpq+9fOuagYJRfDqfReKBzMweOLDiNa8iP5g9vMhpuv6OPlvpXwm9Sa9ZXIbNl1MBGk0fthPgxdDLw=", 1893456000, 946684800, 3740 },

        // RFC 6605 §6.1
        { "RFC 6605 6.1", DnssecAlgorithm.EcdsaP256Sha256, 257, "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
          "qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==", 1284026679, 1281607479, 55648 },

        // RFC 6605 §6.2
        { "RFC 6605 6.2", DnssecAlgorithm.EcdsaP384Sha384, 257, "xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
          "/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm", 1284027625, 1281608425, 10771 },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Published_rsa_and_ecdsa_signatures_verify_over_our_canonical_form(string source, byte algorithm, ushort flags, string key, string signature, uint expiration, uint inception, ushort tag)
    {
        var dnskey = new DnskeyData(flags, 3, algorithm, Convert.FromBase64String(key));
        Assert.True(DnssecCrypto.KeyTag(dnskey.ToRData()) == tag, $"{source}: key tag");
        string address = source.StartsWith("RFC 5702", StringComparison.Ordinal) ? "192.0.2.91" : "192.0.2.1";
        RrsigData sig = Sig(DnsRecordType.A, algorithm, 3, expiration, inception, tag, "example.net", signature);
        byte[] data = DnssecCrypto.SignedData(sig, [WwwExampleNet(address)]);
        Assert.True(DnssecCrypto.Verify(algorithm, dnskey.PublicKey, data, sig.Signature), $"{source}: the published signature verifies");

        // The same signature over anything else, or flipped, does not.
        Assert.False(DnssecCrypto.Verify(algorithm, dnskey.PublicKey, DnssecCrypto.SignedData(sig, [WwwExampleNet("192.0.2.2")]), sig.Signature));
        byte[] flipped = [.. sig.Signature];
        flipped[^1] ^= 1;
        Assert.False(DnssecCrypto.Verify(algorithm, dnskey.PublicKey, data, flipped));

        // Owner and signer case do not matter (canonical form lowercases them).
        RrsigData upperSigner = sig with { SignerName = DnsName.Parse("EXAMPLE.Net") };
        Assert.True(DnssecCrypto.Verify(algorithm, dnskey.PublicKey, DnssecCrypto.SignedData(upperSigner, [Rr.A("WWW.Example.NET", address)]), sig.Signature));
    }

    [Theory]
    [InlineData("ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=", "l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 3613,
        "oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==", "3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b")]
    [InlineData("DSSF3o0s0f+ElWzj9E/Osxw8hLpk55chkmx0LYN5WiY=", "zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=", 35217,
        "zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQoSm5poJ7gD7AQR0O7KuI5k2pcBg==", "401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c")]
    public void Rfc8080_ed25519_examples_are_reproduced_byte_for_byte(string privateKey, string publicKey, ushort tag, string signature, string dsDigest)
    {
        TestKey key = TestKey.FromEd25519(new Ed25519PrivateKeyParameters(Convert.FromBase64String(privateKey)), 257);
        Assert.Equal(Convert.FromBase64String(publicKey), key.Dnskey.PublicKey);
        Assert.Equal(tag, key.Tag);
        Assert.Equal(dsDigest, Convert.ToHexString(DnssecCrypto.DsDigest(DnsName.Parse("example.com"), key.Dnskey.ToRData(), DsDigestType.Sha256)!).ToLowerInvariant());

        RrsigData sig = Sig(DnsRecordType.MX, DnssecAlgorithm.Ed25519, 2, 1440021600, 1438207200, tag, "example.com", signature);
        DnsRecord[] rrset = [Rr.Mx("example.com", 10, "mail.example.com")];
        byte[] data = DnssecCrypto.SignedData(sig, rrset);
        Assert.Equal(sig.Signature, key.Sign(data));
        Assert.True(DnssecCrypto.Verify(DnssecAlgorithm.Ed25519, key.Dnskey.PublicKey, data, sig.Signature));
    }

    [Fact]
    public void Rfc8080_ed448_example_key_signs_and_verifies()
    {
        TestKey key = TestKey.FromEd448(new Ed448PrivateKeyParameters(Convert.FromBase64String("xZ+5Cgm463xugtkY5B0Jx6erFTXp13rYegst0qRtNsOYnaVpMx0Z/c5EiA9x8wWbDDct/U3FhYWA")), 257);
        Assert.Equal(Convert.FromBase64String("3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx1FYYUcJKm1MDpJtIA"), key.Dnskey.PublicKey);
        Assert.Equal(9713, key.Tag);
        var sig = new RrsigData(DnsRecordType.MX, DnssecAlgorithm.Ed448, 2, 3600, 1440021600, 1438207200, 9713, DnsName.Parse("example.com"), []);
        byte[] data = DnssecCrypto.SignedData(sig, [Rr.Mx("example.com", 10, "mail.example.com")]);
        byte[] signature = key.Sign(data);
        Assert.Equal(114, signature.Length);
        Assert.True(DnssecCrypto.Verify(DnssecAlgorithm.Ed448, key.Dnskey.PublicKey, data, signature));
        signature[0] ^= 1;
        Assert.False(DnssecCrypto.Verify(DnssecAlgorithm.Ed448, key.Dnskey.PublicKey, data, signature));
    }

    [Theory]
    [InlineData("example", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom")]
    [InlineData("a.example", "35mthgpgcu1qg68fab165klnsnk3dpvl")]
    [InlineData("ai.example", "gjeqe526plbf1g8mklp59enfd789njgi")]
    [InlineData("ns1.example", "2t7b4g4vsa5smi47k61mv5bv1a22bojr")]
    [InlineData("ns2.example", "q04jkcevqvmu85r014c7dkba38o0ji5r")]
    [InlineData("w.example", "k8udemvp1j2f7eg6jebps17vp3n8i58h")]
    [InlineData("*.w.example", "r53bq7cc2uvmubfu5ocmm6pers9tk9en")]
    [InlineData("x.w.example", "b4um86eghhds6nea196smvmlo4ors995")]
    [InlineData("y.w.example", "ji6neoaepv8b5o6k4ev33abha8ht9fgc")]
    [InlineData("x.y.w.example", "2vptu5timamqttgl4luu9kg21e0aor3s")]
    [InlineData("xx.example", "t644ebqk9bibcna874givr6joj62mlhv")]
    [InlineData("2t7b4g4vsa5smi47k61mv5bv1a22bojr.example", "kohar7mbb8dc2ce8a9qvl8hon4k53uhi")]
    [InlineData("A.EXAMPLE", "35mthgpgcu1qg68fab165klnsnk3dpvl")]
    public void Rfc5155_appendix_a_hashes(string name, string hash)
    {
        byte[] digest = DnssecCrypto.Nsec3Hash(DnsName.Parse(name), [0xAA, 0xBB, 0xCC, 0xDD], 12);
        Assert.Equal(hash, DnssecCrypto.Base32Hex(digest));
        Assert.Equal(digest, DnssecCrypto.FromBase32Hex(System.Text.Encoding.ASCII.GetBytes(hash.ToUpperInvariant())));
    }

    [Fact]
    public void Rfc4034_key_tag_example()
    {
        // RFC 4034 §5.4: dskey.example.com. 86400 IN DNSKEY 256 3 5 ( AQOeiiR0GOMY… ) ; key id = 60485
        byte[] key = Convert.FromBase64String("AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==");
        Assert.Equal(60485, DnssecCrypto.KeyTag(new DnskeyData(256, 3, 5, key).ToRData()));
    }

    [Theory]
    [InlineData(0x00000000u, "2026-06-01T12:00:00Z", "1970-01-01T00:00:00Z")] // RFC 1982: the instant nearest now, 56 years back rather than 80 ahead
    [InlineData(0xFFFFFFFFu, "2026-06-01T12:00:00Z", "1969-12-31T23:59:59Z")]
    [InlineData(0x10000000u, "2100-01-01T00:00:00Z", "2114-08-11T03:52:32Z")] // past 2106 the counter wraps: 2^32 + 2^28 seconds
    [InlineData(0x00000010u, "2106-02-07T00:00:00Z", "2106-02-07T06:28:32Z")]
    [InlineData(1780315200u, "2026-06-01T12:00:00Z", "2026-06-01T12:00:00Z")]
    [InlineData(1440021600u, "2026-06-01T12:00:00Z", "2015-08-19T22:00:00Z")]
    public void Rrsig_times_use_serial_number_arithmetic_around_now(uint serial, string now, string expected)
    {
        DateTimeOffset at = DnssecCrypto.SerialTime(serial, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), at);
    }

    [Fact]
    public void The_built_in_anchors_are_the_iana_root_ksks()
    {
        Assert.Equal([20326, 38696], TrustAnchorSet.BuiltIn.Ds.Select(d => (int)d.KeyTag));
        Assert.All(TrustAnchorSet.BuiltIn.Ds, d => Assert.Equal((DnssecAlgorithm.RsaSha256, DsDigestType.Sha256, 32), (d.Algorithm, d.DigestType, d.Digest.Length)));
    }
}
