using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Dnssec;

// docs/architecture.md#dnssec-trust: a zone's key is imported once and serves every signature.
public sealed class DnssecPublicKeyTests
{
    [Theory]
    [InlineData(DnssecAlgorithm.RsaSha256)]
    [InlineData(DnssecAlgorithm.RsaSha512)]
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256)]
    [InlineData(DnssecAlgorithm.EcdsaP384Sha384)]
    public void One_import_serves_every_signature_checked_one_after_another(byte algorithm)
    {
        TestKey key = TestKey.Get(algorithm);
        using var verifier = new DnssecPublicKey(algorithm, key.Dnskey.PublicKey, 4096);
        for (int i = 0; i < 50; i++)
        {
            byte[] data = [.. BitConverter.GetBytes(i), 1, 2, 3];
            byte[] signature = key.Sign(data);
            Assert.True(verifier.Verify(data, signature));
            signature[^1] ^= 1;
            Assert.False(verifier.Verify(data, signature));
        }

        Assert.Equal(1, verifier.Imports);
    }

    [Fact]
    public void A_check_repeated_with_the_same_data_and_signature_is_answered_from_memory()
    {
        TestKey key = TestKey.Get(DnssecAlgorithm.EcdsaP256Sha256);
        using var verifier = new DnssecPublicKey(DnssecAlgorithm.EcdsaP256Sha256, key.Dnskey.PublicKey, 4096);
        byte[] data = [1, 2, 3];
        byte[] good = key.Sign(data);
        byte[] bad = (byte[])good.Clone();
        bad[^1] ^= 1;

        Assert.True(verifier.Verify(data, good));
        Assert.False(verifier.Verify(data, bad));
        Assert.Equal(0, verifier.Remembered);
        Assert.True(verifier.Verify(data, good));
        Assert.False(verifier.Verify(data, bad));
        Assert.False(verifier.Verify([1, 2, 4], good)); // other data, same signature: checked anew
        Assert.Equal(2, verifier.Remembered);
    }

    [Fact]
    public void At_most_4096_checks_are_remembered_per_key()
    {
        TestKey key = TestKey.Get(DnssecAlgorithm.EcdsaP256Sha256);
        using var verifier = new DnssecPublicKey(DnssecAlgorithm.EcdsaP256Sha256, key.Dnskey.PublicKey, 4096);
        var signed = Enumerable.Range(0, 4096 + 8).Select(i => (Data: BitConverter.GetBytes(i), Signature: key.Sign(BitConverter.GetBytes(i)))).ToList();
        foreach ((byte[] data, byte[] signature) in signed)
        {
            Assert.True(verifier.Verify(data, signature));
        }

        // The first 4096 are remembered, the last 8 were checked when memory was full.
        foreach ((byte[] data, byte[] signature) in signed[^16..])
        {
            Assert.True(verifier.Verify(data, signature));
        }

        Assert.Equal(8, verifier.Remembered);
    }

    [Theory]
    [InlineData(DnssecAlgorithm.RsaSha256)]
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256)]
    [InlineData(DnssecAlgorithm.Ed25519)]
    [InlineData(DnssecAlgorithm.Ed448)]
    public async Task Threads_checking_signatures_with_one_key_at_once_each_get_the_right_answer(byte algorithm)
    {
        TestKey key = TestKey.Get(algorithm);
        using var verifier = new DnssecPublicKey(algorithm, key.Dnskey.PublicKey, 4096);
        var signed = Enumerable.Range(0, 64).Select(i => (Data: new byte[] { (byte)i, 7, 7 }, Signature: key.Sign([(byte)i, 7, 7]))).ToArray();
        using var start = new Barrier(4);

        // Dedicated threads (LongRunning): four blocked pool threads would wait for the pool to grow.
        bool[][] answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            var seen = new bool[signed.Length * 2];
            for (int i = 0; i < signed.Length; i++)
            {
                // Every thread checks every signature, and a tampered copy of it (another thread's index first).
                (byte[] data, byte[] signature) = signed[(i + (t * 16)) % signed.Length];
                seen[2 * i] = verifier.Verify(data, signature);
                byte[] tampered = (byte[])signature.Clone();
                tampered[0] ^= 0x80;
                seen[(2 * i) + 1] = verifier.Verify(data, tampered);
            }

            return seen;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))).WaitAsync(HangGuard.Limit);

        Assert.All(answers, seen => Assert.Equal(Enumerable.Range(0, seen.Length).Select(i => i % 2 == 0), seen));
        Assert.InRange(verifier.Imports, algorithm is DnssecAlgorithm.Ed25519 or DnssecAlgorithm.Ed448 ? 0 : 1, 4);
    }

    [Theory]
    [InlineData(DnssecAlgorithm.RsaSha256, new byte[] { 0 })]                 // no exponent, no modulus
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256, new byte[] { 1, 2, 3, 4 })]  // not 64 octets
    [InlineData(DnssecAlgorithm.Ed25519, new byte[] { 9 })]                   // not 32 octets
    [InlineData(7, new byte[] { 1, 2, 3 })]                                   // RSASHA1-NSEC3-SHA1: not validated
    public void A_key_that_cannot_be_read_verifies_nothing_and_is_never_imported(byte algorithm, byte[] publicKey)
    {
        using var verifier = new DnssecPublicKey(algorithm, publicKey, 4096);
        Assert.False(verifier.Usable);
        Assert.False(verifier.Verify([1, 2, 3], new byte[64]));
        Assert.Equal(0, verifier.Imports);
    }

    [Fact]
    public void An_rsa_key_above_the_modulus_limit_is_not_used()
    {
        TestKey key = TestKey.Get(DnssecAlgorithm.RsaSha256);
        byte[] data = [4, 5, 6];
        using var within = new DnssecPublicKey(DnssecAlgorithm.RsaSha256, key.Dnskey.PublicKey, 4096);
        using var over = new DnssecPublicKey(DnssecAlgorithm.RsaSha256, key.Dnskey.PublicKey, 1024);
        Assert.True(within.Verify(data, key.Sign(data)));
        Assert.False(over.Usable);
        Assert.False(over.Verify(data, key.Sign(data)));
    }
}
