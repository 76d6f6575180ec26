using System.Buffers.Binary;
using System.Security.Cryptography;
using DaneMtaSts.Engine.Dns.Wire;

namespace DaneMtaSts.Engine.Dns.Dnssec;

/// <summary>The DNSSEC algorithm numbers this validator implements (IANA "DNS Security Algorithm Numbers").</summary>
public static class DnssecAlgorithm
{
    public const byte RsaSha256 = 8;
    public const byte RsaSha512 = 10;
    public const byte EcdsaP256Sha256 = 13;
    public const byte EcdsaP384Sha384 = 14;
    public const byte Ed25519 = 15;
    public const byte Ed448 = 16;

    /// <summary>
    /// RFC 5702, RFC 6605, RFC 8080. RSAMD5 (1), DSA (3, 6), RSASHA1 (5, 7) and GOST (12) are not:
    /// RFC 8624 and RFC 9905 make the SHA-1 ones "MUST NOT validate", so a zone signed only with
    /// them is treated as unsigned (RFC 4035 §5.2).
    /// </summary>
    public static bool IsSupported(byte algorithm) => algorithm is RsaSha256 or RsaSha512 or EcdsaP256Sha256 or EcdsaP384Sha384 or Ed25519 or Ed448;
}

/// <summary>DS digest types (RFC 4034 §5.1.4, RFC 4509, RFC 6605): SHA-256 (2) and SHA-384 (4); SHA-1 (1) and GOST (3) are not supported.</summary>
public static class DsDigestType
{
    public const byte Sha1 = 1;
    public const byte Sha256 = 2;
    public const byte Sha384 = 4;

    public static bool IsSupported(byte digestType) => digestType is Sha256 or Sha384;
}

/// <summary>Key tags, DS digests and signature verification.</summary>
public static class DnssecCrypto
{
    /// <summary>The key tag of a DNSKEY RDATA (RFC 4034 Appendix B; algorithm 1 per B.1).</summary>
    public static ushort KeyTag(ReadOnlySpan<byte> dnskeyRData)
    {
        if (dnskeyRData.Length >= 4 && dnskeyRData[3] == 1)
        {
            // RSA/MD5: the third and second octets from the end of the modulus.
            return dnskeyRData.Length >= 3 ? BinaryPrimitives.ReadUInt16BigEndian(dnskeyRData[^3..]) : (ushort)0;
        }

        uint ac = 0;
        for (int i = 0; i < dnskeyRData.Length; i++)
        {
            ac += (i & 1) != 0 ? dnskeyRData[i] : (uint)dnskeyRData[i] << 8;
        }

        ac += (ac >> 16) & 0xFFFF;
        return (ushort)(ac & 0xFFFF);
    }

    /// <summary>The DS digest (RFC 4034 §5.1.4) of a key: digest(canonical owner | DNSKEY RDATA); null for an unsupported type.</summary>
    public static byte[]? DsDigest(DnsName owner, ReadOnlySpan<byte> dnskeyRData, byte digestType)
    {
        ArgumentNullException.ThrowIfNull(owner);
        byte[] input = [.. owner.ToCanonicalWire(), .. dnskeyRData];
        return digestType switch
        {
            DsDigestType.Sha256 => SHA256.HashData(input),
            DsDigestType.Sha384 => SHA384.HashData(input),
            _ => null,
        };
    }

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="data"/> with a DNSKEY public key
    /// (RFC 3110/5702 for RSA, RFC 6605 for ECDSA, RFC 8080 for EdDSA). False for a malformed key or
    /// signature, an RSA modulus outside 512–<paramref name="maxRsaBits"/> bits, or an unsupported algorithm.
    /// </summary>
    public static bool Verify(byte algorithm, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, int maxRsaBits = 4096)
    {
        using var key = new DnssecPublicKey(algorithm, publicKey, maxRsaBits);
        return key.Verify(data, signature);
    }

    /// <summary>RFC 3110 §2: exponent length (one octet, or zero and two octets), exponent, modulus.</summary>
    internal static bool TryReadRsaKey(ReadOnlySpan<byte> key, out RSAParameters parameters)
    {
        parameters = default;
        if (key.Length < 3)
        {
            return false;
        }

        int exponentLength = key[0];
        int at = 1;
        if (exponentLength == 0)
        {
            exponentLength = BinaryPrimitives.ReadUInt16BigEndian(key[1..]);
            at = 3;
        }

        // Exponents over 4 octets are legal but unused in practice and make verification slow.
        if (exponentLength is 0 or > 4 || at + exponentLength >= key.Length)
        {
            return false;
        }

        ReadOnlySpan<byte> exponent = key.Slice(at, exponentLength).TrimStart((byte)0);
        ReadOnlySpan<byte> modulus = key[(at + exponentLength)..].TrimStart((byte)0);
        if (exponent.IsEmpty || modulus.IsEmpty)
        {
            return false;
        }

        parameters = new RSAParameters { Exponent = exponent.ToArray(), Modulus = modulus.ToArray() };
        return true;
    }

    /// <summary>
    /// The octets an RRSIG signs (RFC 4034 §3.1.8.1): the RRSIG RDATA without the signature (signer
    /// name canonical), then every RR of the set in canonical form and order (RFC 4034 §6.2, §6.3):
    /// owner lowercased (for a wildcard expansion, "*." and the rightmost Labels labels), type, class,
    /// the original TTL, the canonical RDATA; duplicates removed.
    /// </summary>
    public static byte[] SignedData(RrsigData rrsig, IReadOnlyList<DnsRecord> rrset)
    {
        ArgumentNullException.ThrowIfNull(rrsig);
        ArgumentNullException.ThrowIfNull(rrset);
        var output = new List<byte>(512);
        DnsMessageWriter.AddUInt16(output, rrsig.TypeCovered);
        output.Add(rrsig.Algorithm);
        output.Add(rrsig.Labels);
        DnsMessageWriter.AddUInt32(output, rrsig.OriginalTtl);
        DnsMessageWriter.AddUInt32(output, rrsig.Expiration);
        DnsMessageWriter.AddUInt32(output, rrsig.Inception);
        DnsMessageWriter.AddUInt16(output, rrsig.KeyTag);
        rrsig.SignerName.WriteTo(output, lowercase: true);
        if (rrset.Count == 0)
        {
            return [.. output];
        }

        DnsName owner = rrset[0].Owner;
        if (owner.SignatureLabelCount > rrsig.Labels)
        {
            owner = owner.Suffix(rrsig.Labels).Wildcard();
        }

        byte[][] rdatas = [.. rrset.Select(r => r.CanonicalRData.ToArray())];
        Array.Sort(rdatas, (a, b) => a.AsSpan().SequenceCompareTo(b));
        byte[]? previous = null;
        foreach (byte[] rdata in rdatas)
        {
            if (previous is not null && previous.AsSpan().SequenceEqual(rdata))
            {
                continue;
            }

            DnsMessageWriter.WriteRecord(output, owner, rrset[0].Type, rrset[0].Class, rrsig.OriginalTtl, rdata, lowercaseOwner: true);
            previous = rdata;
        }

        return [.. output];
    }

    /// <summary>
    /// A 32-bit RRSIG time (RFC 4034 §3.1.5) read as the instant nearest <paramref name="now"/>, by
    /// serial-number arithmetic (RFC 1982): valid within 68 years either side of now.
    /// </summary>
    public static DateTimeOffset SerialTime(uint serial, DateTimeOffset now)
    {
        long nowSeconds = now.ToUnixTimeSeconds();
        int delta = unchecked((int)(serial - (uint)nowSeconds));
        return DateTimeOffset.FromUnixTimeSeconds(nowSeconds + delta);
    }

    /// <summary>Iterated NSEC3 hash (RFC 5155 §5): H(x) = SHA-1(x | salt), repeated for each iteration over the previous digest.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "RFC 5155 defines the NSEC3 hash as SHA-1 (hash algorithm 1); it names records, it does not protect them.")]
    public static byte[] Nsec3Hash(DnsName name, ReadOnlySpan<byte> salt, int iterations)
    {
        ArgumentNullException.ThrowIfNull(name);
        byte[] input = [.. name.ToCanonicalWire(), .. salt];
        byte[] digest = SHA1.HashData(input);
        byte[] buffer = new byte[digest.Length + salt.Length];
        for (int i = 0; i < iterations; i++)
        {
            digest.CopyTo(buffer, 0);
            salt.CopyTo(buffer.AsSpan(digest.Length));
            digest = SHA1.HashData(buffer);
        }

        return digest;
    }

    private const string Base32HexAlphabet = "0123456789abcdefghijklmnopqrstuv";

    /// <summary>Base 32 with the extended hex alphabet, lowercase, no padding (RFC 4648 §7, RFC 5155 §3.3).</summary>
    public static string Base32Hex(ReadOnlySpan<byte> bytes)
    {
        var text = new System.Text.StringBuilder((bytes.Length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        foreach (byte b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Base32HexAlphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            text.Append(Base32HexAlphabet[(buffer << (5 - bits)) & 31]);
        }

        return text.ToString();
    }

    /// <summary>Decodes an NSEC3 owner label (case-insensitive); null when it is not base32hex.</summary>
    public static byte[]? FromBase32Hex(ReadOnlySpan<byte> label)
    {
        var output = new List<byte>(label.Length * 5 / 8);
        int buffer = 0;
        int bits = 0;
        foreach (byte c in label)
        {
            int v = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'a' and <= (byte)'v' => c - 'a' + 10,
                >= (byte)'A' and <= (byte)'V' => c - 'A' + 10,
                _ => -1,
            };
            if (v < 0)
            {
                return null;
            }

            buffer = ((buffer << 5) | v) & 0xFFFF;
            bits += 5;
            if (bits >= 8)
            {
                output.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return [.. output];
    }
}
