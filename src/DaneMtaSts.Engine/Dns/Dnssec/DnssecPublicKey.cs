using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace DaneMtaSts.Engine.Dns.Dnssec;

/// <summary>
/// A DNSKEY public key (RFC 3110/5702 RSA, RFC 6605 ECDSA, RFC 8080 EdDSA) read once and imported
/// into the platform's verifier once, for every signature made with it: a zone's key signs every
/// RRset of the zone, and importing it for each signature cost about as much CPU as the
/// verification itself (docs/architecture.md#dnssec-trust). Safe to use from several threads: the
/// platform's RSA and ECDSA objects are not promised to be, so each verification rents one from a
/// small pool.
/// </summary>
internal sealed class DnssecPublicKey : IDisposable
{
    // More idle imported keys than threads verifying at once would never be used again.
    private const int MaxPooled = 8;

    // Signature checks remembered per key: a bound on memory whatever a zone serves.
    private const int MaxRemembered = 4096;

    private readonly byte _algorithm;
    private readonly int _signatureLength;
    private readonly RSAParameters _rsa;
    private readonly HashAlgorithmName _hash;
    private readonly ECParameters _ec;
    private readonly AsymmetricKeyParameter? _ed;
    private readonly ConcurrentBag<AsymmetricAlgorithm> _pool = [];
    private readonly ConcurrentDictionary<Checked, bool> _checked = new();
    private int _imports;
    private int _remembered;
    private bool _disposed;

    /// <summary>Reads <paramref name="publicKey"/> (the DNSKEY's public key field) for <paramref name="algorithm"/>; a malformed key, an RSA modulus outside 512–<paramref name="maxRsaBits"/> bits or an unsupported algorithm make a key that verifies nothing.</summary>
    public DnssecPublicKey(byte algorithm, ReadOnlySpan<byte> publicKey, int maxRsaBits)
    {
        _algorithm = algorithm;
        switch (algorithm)
        {
            case DnssecAlgorithm.RsaSha256:
            case DnssecAlgorithm.RsaSha512:
                if (DnssecCrypto.TryReadRsaKey(publicKey, out RSAParameters parameters))
                {
                    int bits = (parameters.Modulus!.Length * 8) - System.Numerics.BitOperations.LeadingZeroCount((uint)parameters.Modulus[0]) + 24;
                    if (bits >= 512 && bits <= maxRsaBits)
                    {
                        _rsa = parameters;
                        _hash = algorithm == DnssecAlgorithm.RsaSha256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA512;
                        _signatureLength = parameters.Modulus.Length;
                    }
                }

                break;

            case DnssecAlgorithm.EcdsaP256Sha256:
            case DnssecAlgorithm.EcdsaP384Sha384:
                // RFC 6605 §4: the key is Q = x | y, the signature r | s, each a fixed-size big-endian integer.
                int size = algorithm == DnssecAlgorithm.EcdsaP256Sha256 ? 32 : 48;
                if (publicKey.Length == 2 * size)
                {
                    _ec = new ECParameters
                    {
                        Curve = algorithm == DnssecAlgorithm.EcdsaP256Sha256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384,
                        Q = new ECPoint { X = publicKey[..size].ToArray(), Y = publicKey[size..].ToArray() },
                    };
                    _hash = algorithm == DnssecAlgorithm.EcdsaP256Sha256 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384;
                    _signatureLength = 2 * size;
                }

                break;

            case DnssecAlgorithm.Ed25519:
            case DnssecAlgorithm.Ed448:
                // RFC 8080 §3: the key is the 32- or 57-octet public key, the signature twice as long.
                bool ed448 = algorithm == DnssecAlgorithm.Ed448;
                int keySize = ed448 ? Ed448PublicKeyParameters.KeySize : Ed25519PublicKeyParameters.KeySize;
                if (publicKey.Length == keySize)
                {
                    byte[] raw = publicKey.ToArray();
                    try
                    {
                        _ed = ed448 ? new Ed448PublicKeyParameters(raw) : new Ed25519PublicKeyParameters(raw);
                        _signatureLength = 2 * keySize;
                    }
                    catch (ArgumentException)
                    {
                        // Not a key: it verifies nothing.
                    }
                }

                break;
        }
    }

    /// <summary>True when the key was read and can verify signatures of its algorithm.</summary>
    public bool Usable => _signatureLength > 0;

    /// <summary>How many checks were answered from an earlier check of the same data and signature.</summary>
    public int Remembered => Volatile.Read(ref _remembered);

    /// <summary>How many times the key was imported into a platform verifier (RSA, ECDSA): once, plus one per verification that ran while all imported ones were busy.</summary>
    public int Imports => Volatile.Read(ref _imports);

    /// <summary>Whether <paramref name="signature"/> is this key's over <paramref name="data"/>; false for a signature of the wrong size or one the platform rejects as malformed.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Usable || signature.Length != _signatureLength)
        {
            return false;
        }

        // The same RRset and signature come back in many answers (a zone's SOA and NSEC3 records in
        // every denial): the answer is a function of key, data and signature, so it is remembered
        // under the SHA-256 of data and signature (the signature's length is fixed, so the two
        // cannot be split another way), for at most MaxRemembered pairs per key.
        Checked digest = Digest(data, signature);
        if (_checked.TryGetValue(digest, out bool known))
        {
            Interlocked.Increment(ref _remembered);
            return known;
        }

        bool valid = VerifyOnce(data, signature);
        if (_checked.Count < MaxRemembered)
        {
            _checked.TryAdd(digest, valid);
        }

        return valid;
    }

    private bool VerifyOnce(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        try
        {
            switch (_algorithm)
            {
                case DnssecAlgorithm.Ed25519:
                case DnssecAlgorithm.Ed448:
                    // RFC 8080 §4: Ed448 with an empty context.
                    ISigner signer = _algorithm == DnssecAlgorithm.Ed448 ? new Ed448Signer([]) : new Ed25519Signer();
                    signer.Init(false, _ed);
                    signer.BlockUpdate(data);
                    return signer.VerifySignature(signature.ToArray());

                default:
                    AsymmetricAlgorithm verifier = Rent();
                    try
                    {
                        return verifier is RSA rsa
                            ? rsa.VerifyData(data, signature, _hash, RSASignaturePadding.Pkcs1)
                            : ((ECDsa)verifier).VerifyData(data, signature, _hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                    }
                    finally
                    {
                        Return(verifier);
                    }
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static Checked Digest(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(data);
        hash.AppendData(signature);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return new Checked(
            BinaryPrimitives.ReadUInt64LittleEndian(digest),
            BinaryPrimitives.ReadUInt64LittleEndian(digest[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(digest[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(digest[24..]));
    }

    public void Dispose()
    {
        _disposed = true;
        while (_pool.TryTake(out AsymmetricAlgorithm? idle))
        {
            idle.Dispose();
        }
    }

    private AsymmetricAlgorithm Rent()
    {
        if (_pool.TryTake(out AsymmetricAlgorithm? idle))
        {
            return idle;
        }

        Interlocked.Increment(ref _imports);
        if (_algorithm is DnssecAlgorithm.RsaSha256 or DnssecAlgorithm.RsaSha512)
        {
            var rsa = RSA.Create();
            try
            {
                rsa.ImportParameters(_rsa);
                return rsa;
            }
            catch
            {
                rsa.Dispose();
                throw;
            }
        }

        return ECDsa.Create(_ec);
    }

    private void Return(AsymmetricAlgorithm verifier)
    {
        if (_disposed || _pool.Count >= MaxPooled)
        {
            verifier.Dispose();
            return;
        }

        _pool.Add(verifier);
    }

    private readonly record struct Checked(ulong A, ulong B, ulong C, ulong D);
}
