// Bounds against hostile zones (KeyTrap CVE-2023-50387, NSEC3 CVE-2023-50868): work is counted,
// never timed. And the per-run sharing of DNSKEY/DS work across concurrent lookups.
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Dnssec;

public class DnssecBoundsTests(ITestOutputHelper output)
{
    /// <summary>A DNSKEY of <paramref name="algorithm"/> with random key octets adjusted so its key tag is <paramref name="tag"/>.</summary>
    private static DnskeyData KeyWithTag(ushort tag, byte algorithm, int length, Random random)
    {
        byte[] key = new byte[length];
        random.NextBytes(key);
        for (int w = 0; w <= ushort.MaxValue; w++)
        {
            key[^2] = (byte)(w >> 8);
            key[^1] = (byte)w;
            var candidate = new DnskeyData(256, 3, algorithm, [.. key]);
            if (DnssecCrypto.KeyTag(candidate.ToRData()) == tag)
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("no key with that tag");
    }

    [Fact]
    public async Task Keytrap_many_colliding_keys_times_many_signatures_stays_within_the_bounds()
    {
        // The zone publishes 40 extra keys with the signing key's tag and algorithm and the MX carries
        // 40 bogus signatures with that tag: naive validation would try 40 × 41 verifications.
        var world = new DnssecWorld();
        TestKey real = world.Example.Keys[0];
        var random = new Random(7);
        for (int i = 0; i < 40; i++)
        {
            world.Example.Keys.Add(Clone(KeyWithTag(real.Tag, real.Algorithm, 64, random)));
        }

        world.Network.Tamper = (qname, qtype, response) =>
        {
            if (qtype != DnsRecordType.MX)
            {
                return response;
            }

            List<DnsRecord> rrset = [.. response.Answers.Where(r => r.Type == DnsRecordType.MX)];
            RrsigData good = (RrsigData)response.Answers.First(r => r.Type == DnsRecordType.RRSIG).Data!;
            var bogus = Enumerable.Range(0, 40).Select(i =>
            {
                byte[] sig = new byte[64];
                random.NextBytes(sig);
                return Rr.Make(qname, DnsRecordType.RRSIG, Rr.RrsigRData(good with { Signature = sig }));
            });
            return response with { Answers = [.. rrset, .. bogus] };
        };

        using LocalDnssecValidator validator = world.Validator();
        ValidatedResponse r = await validator.ResolveAsync("example.com", DnsRecordType.MX, CancellationToken.None);
        output.WriteLine($"{r.Status} {r.Reason}; verifications {validator.Counters.SignatureVerifications}");
        Assert.NotEqual(DnsSecStatus.Secure, r.Status);
        Assert.Contains(r.Status, new[] { DnsSecStatus.Bogus, DnsSecStatus.Indeterminate });

        // The MX RRset costs at most MaxVerificationsPerRrset; the chain above it (root, com, example
        // DNSKEY and DS sets) a handful more.
        Assert.InRange(validator.Counters.SignatureVerifications, DnssecLimits.DefaultMaxVerificationsPerRrset, DnssecLimits.DefaultMaxVerificationsPerRrset + 6);
    }

    private static TestKey Clone(DnskeyData key) => TestKey.Get(DnssecAlgorithm.EcdsaP256Sha256, 257, 2).WithDnskeyData(key);

    [Fact]
    public async Task Colliding_keys_on_the_dnskey_set_itself_are_bounded_per_ds()
    {
        // 30 keys sharing the DS's key tag: at most MaxKeysPerSignature of them are even digested.
        var world = new DnssecWorld();
        TestKey real = world.Example.Keys[0];
        var random = new Random(11);
        for (int i = 0; i < 30; i++)
        {
            world.Example.Keys.Insert(0, Clone(KeyWithTag(real.Tag, real.Algorithm, 64, random)));
        }

        world.Example.SigningKeys = [real];
        using LocalDnssecValidator validator = world.Validator();
        ValidatedResponse r = await validator.ResolveAsync("example.com", DnsRecordType.MX, CancellationToken.None);
        output.WriteLine($"{r.Status} {r.Reason}; verifications {validator.Counters.SignatureVerifications}");

        // The real key sits behind 30 decoys with its tag: it is never reached, so the zone is Bogus, cheaply.
        Assert.Equal(DnsSecStatus.Bogus, r.Status);
        Assert.InRange(validator.Counters.SignatureVerifications, 1, 12);
    }

    [Fact]
    public async Task Nsec3_hashing_per_response_is_bounded()
    {
        // A name 40 labels below an NSEC3 zone: the closest-encloser search would hash every ancestor.
        var world = new DnssecWorld(denial: Denial.Nsec3, build: false);
        world.Example.Nsec3Iterations = 100;
        world.Build();
        string deep = string.Join('.', Enumerable.Repeat("a", 40)) + ".example.com";
        using LocalDnssecValidator validator = world.Validator();
        ValidatedResponse r = await validator.ResolveAsync(deep, DnsRecordType.A, CancellationToken.None);
        output.WriteLine($"{r.Status} {r.Reason}; hashes {validator.Counters.Nsec3Hashes}");
        Assert.Equal(DnsSecStatus.Indeterminate, r.Status);
        Assert.Equal(DnssecReason.BudgetExceeded, r.Reason);
        Assert.InRange(validator.Counters.Nsec3Hashes, 0, DnssecLimits.DefaultMaxNsec3HashesPerResponse * 4);
    }

    [Fact]
    public void A_query_budget_ends_a_lookup_that_keeps_asking()
    {
        var world = new DnssecWorld();
        var limits = new DnssecLimits { MaxQueriesPerLookup = 0 };
        ValidatedResponse r = world.Resolve("example.com", DnsRecordType.MX, limits);
        Assert.Equal(DnsSecStatus.Indeterminate, r.Status);
        Assert.Equal(DnssecReason.BudgetExceeded, r.Reason);
        Assert.Empty(world.Network.Questions);
    }

    [Fact]
    public async Task Concurrent_lookups_share_one_key_fetch_and_one_callers_cancellation_does_not_cancel_the_others()
    {
        var world = new DnssecWorld();
        var gate = new GatedTransport(world.Network, DnsName.Parse("example.com"), DnsRecordType.DNSKEY);
        using var validator = new LocalDnssecValidator(gate, world.Network.Anchors(), new FrozenClock(TestNetwork.Now));
        using var first = new CancellationTokenSource();
        Task<ValidatedResponse> cancelled = validator.ResolveAsync("example.com", DnsRecordType.MX, first.Token);
        Task<ValidatedResponse> a = validator.ResolveAsync("mail.example.com", DnsRecordType.A, CancellationToken.None);
        Task<ValidatedResponse> b = validator.ResolveAsync("_25._tcp.mail.example.com", DnsRecordType.TLSA, CancellationToken.None);
        await gate.Reached.WaitAsync(TimeSpan.FromMinutes(2));
        await first.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        gate.Open();
        ValidatedResponse[] results = await Task.WhenAll(a, b).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.All(results, r => Assert.Equal(DnsSecStatus.Secure, r.Status));
        Assert.Equal(1, world.Network.Questions.Count(q => q == "DNSKEY example.com"));
    }

    /// <summary>Holds one question until <see cref="Open"/>; everything else passes straight through.</summary>
    private sealed class GatedTransport(TestNetwork inner, DnsName name, ushort type) : IDnsWireTransport
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Server => inner.Server;

        public Task Reached => _reached.Task;

        public void Open() => _open.TrySetResult();

        public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
        {
            DnsQuestion q = DnsMessage.Parse(query.Span).Question!;
            if (q.Name.Equals(name) && q.Type == type)
            {
                _reached.TrySetResult();
                await _open.Task.WaitAsync(cancellationToken);
            }

            return await inner.ExchangeAsync(query, cancellationToken);
        }
    }
}
