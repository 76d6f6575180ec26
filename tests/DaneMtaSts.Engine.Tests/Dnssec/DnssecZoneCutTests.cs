using System.Collections.Concurrent;
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Dnssec;

// docs/architecture.md#dnssec-trust: a signer's DS and DNSKEY RRsets are asked for side by side.
public sealed class DnssecZoneCutTests
{
    // Generous: a hang guard, never a speed assertion.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_signers_dnskey_is_asked_for_while_its_ds_is_still_unanswered()
    {
        // The transport answers "DS x" only once "DNSKEY x" has been asked (or after 20 s): a
        // validator that waits for the DS answer before asking for the keys is caught late.
        var world = new DnssecWorld();
        var transport = new KeysBeforeDsTransport(world.Network, Patience);
        using var validator = new LocalDnssecValidator(transport, world.Network.Anchors(), new FrozenClock(TestNetwork.Now));

        ValidatedResponse r = await validator.ResolveAsync("example.com", DnsRecordType.MX, CancellationToken.None).WaitAsync(HangGuard.Limit);

        Assert.Equal(DnsSecStatus.Secure, r.Status);
        Assert.Equal(["DS com", "DS example.com"], transport.DsAnswered.Order(StringComparer.Ordinal));
        Assert.Empty(transport.DsAnsweredBeforeKeys);
        Assert.Equal(1, world.Network.Questions.Count(q => q == "DNSKEY example.com"));
        Assert.Equal(1, world.Network.Questions.Count(q => q == "DNSKEY com"));
    }

    [Fact]
    public void Names_that_are_not_signers_get_no_speculative_dnskey_question()
    {
        // An unsigned delegation: its insecurity is proven from the parent's denial of a DS, and the
        // unsigned zone (no signer anywhere) is never asked for keys.
        var world = new DnssecWorld(build: false);
        var unsigned = new TestZone("plain.com").Add(Rr.Mx("plain.com", 10, "mx.plain.com"), Rr.A("mx.plain.com", "192.0.2.30"));
        world.Com.Delegate(unsigned, withDs: false);
        world.Network.Add(unsigned);
        world.Build();

        ValidatedResponse r = world.Resolve("plain.com", DnsRecordType.MX);

        Assert.Equal(DnsSecStatus.Insecure, r.Status);
        Assert.DoesNotContain(world.Network.Questions, q => q.StartsWith("DNSKEY plain.com", StringComparison.Ordinal));
        Assert.Equal(1, world.Network.Questions.Count(q => q == "DNSKEY com"));
    }

    private sealed class KeysBeforeDsTransport(TestNetwork inner, TimeSpan patience) : IDnsWireTransport
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _keysAsked = new();

        public string Server => inner.Server;

        public ConcurrentBag<string> DsAnswered { get; } = [];

        public ConcurrentBag<string> DsAnsweredBeforeKeys { get; } = [];

        public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
        {
            DnsQuestion q = DnsMessage.Parse(query.Span).Question!;
            string name = q.Name.ToString();
            if (q.Type == DnsRecordType.DNSKEY)
            {
                Asked(name).TrySetResult();
            }
            else if (q.Type == DnsRecordType.DS)
            {
                try
                {
                    await Asked(name).Task.WaitAsync(patience, cancellationToken);
                }
                catch (TimeoutException)
                {
                    DsAnsweredBeforeKeys.Add(name);
                }

                DsAnswered.Add($"DS {name}");
            }

            return await inner.ExchangeAsync(query, cancellationToken);
        }

        private TaskCompletionSource Asked(string name) =>
            _keysAsked.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
