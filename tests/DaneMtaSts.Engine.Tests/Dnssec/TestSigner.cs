// A real DNSSEC signer for the unit tests: keys made with .NET (RSA, ECDSA) and BouncyCastle
// (Ed25519, Ed448), RRSIGs computed over RFC 4034 §6 canonical data. Nothing here is a mock: the
// validator checks these signatures with the same public-key algorithms a real zone would use.
using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace DaneMtaSts.Engine.Tests.Dnssec;

/// <summary>One DNSSEC key pair: the DNSKEY it publishes and a signing function.</summary>
internal sealed class TestKey
{
    private readonly Func<byte[], byte[]> _sign;

    private TestKey(ushort flags, byte algorithm, byte[] publicKey, Func<byte[], byte[]> sign)
    {
        Dnskey = new DnskeyData(flags, 3, algorithm, publicKey);
        _sign = sign;
    }

    public DnskeyData Dnskey { get; private set; }

    public ushort Tag => DnssecCrypto.KeyTag(Dnskey.ToRData());

    public byte Algorithm => Dnskey.Algorithm;

    public byte[] Sign(byte[] data) => _sign(data);

    /// <summary>The same key with other DNSKEY fields (flags, protocol): for the zone-key, REVOKE and protocol cases.</summary>
    public TestKey WithDnskey(ushort flags, byte protocol = 3) => new(flags, Dnskey.Algorithm, Dnskey.PublicKey, _sign) { Dnskey = new DnskeyData(flags, protocol, Dnskey.Algorithm, Dnskey.PublicKey) };

    /// <summary>Another DNSKEY (e.g. a decoy with a chosen key tag) that signs with this key's private key.</summary>
    public TestKey WithDnskeyData(DnskeyData dnskey) => new(dnskey.Flags, dnskey.Algorithm, dnskey.PublicKey, _sign) { Dnskey = dnskey };

    // Key generation is the slow part of these tests; keys are made once per algorithm and flag and shared.
    private static readonly Dictionary<(byte, ushort, int), TestKey> Cache = [];

    public static TestKey Get(byte algorithm, ushort flags = 257, int index = 0)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue((algorithm, flags, index), out TestKey? key))
            {
                key = Create(algorithm, flags);
                Cache[(algorithm, flags, index)] = key;
            }

            return key;
        }
    }

    public static TestKey Create(byte algorithm, ushort flags = 257)
    {
        switch (algorithm)
        {
            case DnssecAlgorithm.RsaSha256 or DnssecAlgorithm.RsaSha512:
            {
                var rsa = RSA.Create(algorithm == DnssecAlgorithm.RsaSha256 ? 2048 : 1024 + 1024);
                RSAParameters p = rsa.ExportParameters(false);

                // RFC 3110 §2: exponent length, exponent, modulus.
                byte[] key = [(byte)p.Exponent!.Length, .. p.Exponent, .. p.Modulus!];
                HashAlgorithmName hash = algorithm == DnssecAlgorithm.RsaSha256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA512;
                return new TestKey(flags, algorithm, key, data => rsa.SignData(data, hash, RSASignaturePadding.Pkcs1));
            }

            case DnssecAlgorithm.EcdsaP256Sha256 or DnssecAlgorithm.EcdsaP384Sha384:
            {
                bool p256 = algorithm == DnssecAlgorithm.EcdsaP256Sha256;
                var ecdsa = ECDsa.Create(p256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
                ECParameters p = ecdsa.ExportParameters(false);
                HashAlgorithmName hash = p256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384;
                return new TestKey(flags, algorithm, [.. p.Q.X!, .. p.Q.Y!], data => ecdsa.SignData(data, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
            }

            case DnssecAlgorithm.Ed25519:
            {
                var generator = new Ed25519KeyPairGenerator();
                generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
                var pair = generator.GenerateKeyPair();
                return FromEd25519((Ed25519PrivateKeyParameters)pair.Private, flags);
            }

            case DnssecAlgorithm.Ed448:
            {
                var generator = new Ed448KeyPairGenerator();
                generator.Init(new Ed448KeyGenerationParameters(new SecureRandom()));
                var pair = generator.GenerateKeyPair();
                return FromEd448((Ed448PrivateKeyParameters)pair.Private, flags);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "no test signer for this algorithm");
        }
    }

    public static TestKey FromEd25519(Ed25519PrivateKeyParameters privateKey, ushort flags) =>
        new(flags, DnssecAlgorithm.Ed25519, privateKey.GeneratePublicKey().GetEncoded(), data =>
        {
            var signer = new Ed25519Signer();
            signer.Init(true, privateKey);
            signer.BlockUpdate(data, 0, data.Length);
            return signer.GenerateSignature();
        });

    public static TestKey FromEd448(Ed448PrivateKeyParameters privateKey, ushort flags) =>
        new(flags, DnssecAlgorithm.Ed448, privateKey.GeneratePublicKey().GetEncoded(), data =>
        {
            var signer = new Ed448Signer([]);
            signer.Init(true, privateKey);
            signer.BlockUpdate(data, 0, data.Length);
            return signer.GenerateSignature();
        });
}

/// <summary>Record builders in wire form.</summary>
internal static class Rr
{
    public static DnsName N(string name) => DnsName.Parse(name);

    public static DnsRecord Make(string owner, ushort type, byte[] rdata, uint ttl = 3600) => DnsRecord.Create(N(owner), type, ttl, rdata);

    public static DnsRecord Make(DnsName owner, ushort type, byte[] rdata, uint ttl = 3600) => DnsRecord.Create(owner, type, ttl, rdata);

    public static DnsRecord A(string owner, string address) => Make(owner, DnsRecordType.A, IPAddress.Parse(address).GetAddressBytes());

    public static DnsRecord Aaaa(string owner, string address) => Make(owner, DnsRecordType.AAAA, IPAddress.Parse(address).GetAddressBytes());

    public static DnsRecord Cname(string owner, string target) => Make(owner, DnsRecordType.CNAME, N(target).ToWire());

    public static DnsRecord Dname(string owner, string target) => Make(owner, DnsRecordType.DNAME, N(target).ToWire());

    public static DnsRecord Ns(string owner, string target) => Make(owner, DnsRecordType.NS, N(target).ToWire());

    public static DnsRecord Mx(string owner, ushort preference, string exchange) => Make(owner, DnsRecordType.MX, [(byte)(preference >> 8), (byte)preference, .. N(exchange).ToWire()]);

    public static DnsRecord Txt(string owner, string text) => Make(owner, DnsRecordType.TXT, [(byte)text.Length, .. System.Text.Encoding.ASCII.GetBytes(text)]);

    public static DnsRecord Tlsa(string owner, byte usage, byte selector, byte matching, byte[] data) => Make(owner, DnsRecordType.TLSA, [usage, selector, matching, .. data]);

    public static DnsRecord Soa(DnsName owner) =>
        Make(owner, DnsRecordType.SOA, [.. owner.Prepend("ns"u8.ToArray()).ToWire(), .. owner.Prepend("hostmaster"u8.ToArray()).ToWire(), 0, 0, 0, 1, 0, 0, 0x0E, 0x10, 0, 0, 0x07, 0x08, 0, 0x09, 0x3A, 0x80, 0, 0, 0x0E, 0x10], 3600);

    public static DnsRecord Dnskey(DnsName owner, DnskeyData key) => Make(owner, DnsRecordType.DNSKEY, key.ToRData());

    public static DnsRecord Ds(DnsName owner, DnskeyData key, byte digestType = DsDigestType.Sha256, byte? algorithm = null)
    {
        byte[] digest = digestType is DsDigestType.Sha256 or DsDigestType.Sha384
            ? DnssecCrypto.DsDigest(owner, key.ToRData(), digestType)!
            : WeakDigest([.. owner.ToCanonicalWire(), .. key.ToRData()]);
        ushort tag = DnssecCrypto.KeyTag(key.ToRData());
        return Make(owner, DnsRecordType.DS, [(byte)(tag >> 8), (byte)tag, algorithm ?? key.Algorithm, digestType, .. digest]);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "A SHA-1 DS (digest type 1) that the validator must treat as unsupported.")]
    private static byte[] WeakDigest(byte[] input) => SHA1.HashData(input);

    public static DnsRecord Nsec(DnsName owner, DnsName next, IEnumerable<ushort> types) =>
        Make(owner, DnsRecordType.NSEC, [.. next.ToWire(), .. DnsTypeBitmap.FromTypes(types).Wire.ToArray()]);

    public static DnsRecord Nsec3(DnsName owner, byte flags, ushort iterations, byte[] salt, byte[] nextHash, IEnumerable<ushort> types, byte algorithm = 1) =>
        Make(owner, DnsRecordType.NSEC3, [algorithm, flags, (byte)(iterations >> 8), (byte)iterations, (byte)salt.Length, .. salt, (byte)nextHash.Length, .. nextHash, .. DnsTypeBitmap.FromTypes(types).Wire.ToArray()]);

    /// <summary>An RRSIG over <paramref name="rrset"/> by <paramref name="key"/> of <paramref name="signer"/>; the fields can be bent for the negative corpus.</summary>
    public static DnsRecord Rrsig(IReadOnlyList<DnsRecord> rrset, DnsName signer, TestKey key, DateTimeOffset inception, DateTimeOffset expiration,
        byte? labels = null, ushort? typeCovered = null, ushort? keyTag = null, DnsName? ownerOverride = null, Func<byte[], byte[]>? tamper = null)
    {
        DnsRecord first = rrset[0];
        var unsigned = new RrsigData(typeCovered ?? first.Type, key.Algorithm, labels ?? (byte)first.Owner.SignatureLabelCount, first.Ttl,
            (uint)expiration.ToUnixTimeSeconds(), (uint)inception.ToUnixTimeSeconds(), keyTag ?? key.Tag, signer, []);
        byte[] signature = key.Sign(DnssecCrypto.SignedData(unsigned, rrset));
        if (tamper is not null)
        {
            signature = tamper(signature);
        }

        return Make(ownerOverride ?? first.Owner, DnsRecordType.RRSIG, RrsigRData(unsigned with { Signature = signature }), first.Ttl);
    }

    public static byte[] RrsigRData(RrsigData s)
    {
        byte[] head = new byte[18];
        BinaryPrimitives.WriteUInt16BigEndian(head, s.TypeCovered);
        head[2] = s.Algorithm;
        head[3] = s.Labels;
        BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(4), s.OriginalTtl);
        BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(8), s.Expiration);
        BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(12), s.Inception);
        BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(16), s.KeyTag);
        return [.. head, .. s.SignerName.ToWire(), .. s.Signature];
    }
}
