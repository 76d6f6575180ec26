// Fuzzes the DNS wire codec and the DNSSEC validator. The parser gets random octets, real signed
// responses from the in-process resolver, and those responses with bits flipped, octets cut or
// compression pointers planted; it may only throw DnsWireFormatException, and what it accepts must
// survive a write/parse round trip. The validator gets real signed MX responses with one random bit
// flipped: it may never call the result Secure unless the MX RRset it returns is exactly the signed
// one. Each property counts how many samples reached its interesting case and asserts a minimum.
using CsCheck;
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;
using DaneMtaSts.Engine.Tests.Dnssec;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class DnssecFuzz(ITestOutputHelper output)
{
    // The validator and the test resolver complete synchronously here (no I/O); CsCheck properties are synchronous.
    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private static readonly Lazy<byte[][]> Responses = new(() =>
    {
        // Real responses of every shape: positive with RRSIGs, NSEC and NSEC3 denials, wildcards, CNAME chains.
        var samples = new List<byte[]>();
        foreach (Denial denial in new[] { Denial.Nsec, Denial.Nsec3 })
        {
            var world = new DnssecWorld(denial: denial);
            foreach ((string name, ushort type) in new[] { ("example.com", DnsRecordType.MX), ("example.com", DnsRecordType.DNSKEY), ("com", DnsRecordType.DS), ("nothere.example.com", DnsRecordType.A), ("x.wild.example.com", DnsRecordType.MX), ("mail.example.com", DnsRecordType.TLSA), ("sub.example.com", DnsRecordType.A) })
            {
                samples.Add(Wait(world.Network.ExchangeAsync(DnsMessageWriter.BuildQuery(7, DnsName.Parse(name), type), CancellationToken.None)));
            }
        }

        return [.. samples];
    });

    private static Gen<byte[]> Mutated => Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue], (which, kind, at, value) =>
    {
        byte[] message = [.. Responses.Value[which % Responses.Value.Length]];
        int i = at % message.Length;
        switch (kind)
        {
            case 0:
                message[i] ^= (byte)(1 << (value % 8));
                return message;
            case 1:
                return message[..i];
            case 2:
                // A compression pointer planted anywhere, to anywhere.
                message[i] = (byte)(0xC0 | ((value >> 8) & 0x3F));
                if (i + 1 < message.Length)
                {
                    message[i + 1] = (byte)value;
                }

                return message;
            default:
                message[i] = (byte)value;
                return message;
        }
    });

    [Fact]
    public void The_parser_throws_only_its_own_exception_and_what_it_accepts_round_trips()
    {
        int parsed = 0;
        int refused = 0;
        Gen.OneOf(Gen.Byte.Array[0, 600], Mutated, Mutated, Mutated).Check(bytes =>
        {
            DnsMessage message;
            try
            {
                message = FuzzRun.Timed(() => DnsMessage.Parse(bytes));
            }
            catch (DnsWireFormatException)
            {
                Interlocked.Increment(ref refused);
                return;
            }

            Interlocked.Increment(ref parsed);
            byte[] written = DnsMessageWriter.Write(message.Id, message.Flags, message.Questions, message.Answers, message.Authorities, message.Additionals);
            DnsMessage again = DnsMessage.Parse(written);
            Assert.Equal(message.Answers.Count + message.Authorities.Count + message.Additionals.Count, again.Answers.Count + again.Authorities.Count + again.Additionals.Count);
            foreach ((DnsRecord a, DnsRecord b) in message.Answers.Concat(message.Authorities).Zip(again.Answers.Concat(again.Authorities)))
            {
                Assert.Equal(a.Owner.ToWire(), b.Owner.ToWire());
                Assert.Equal(a.Type, b.Type);
                Assert.Equal(a.CanonicalRData.ToArray(), b.CanonicalRData.ToArray());
                Assert.True(a.Owner.WireLength <= DnsName.MaxWireLength);
            }
        }, output, "DnsMessage.Parse");
        output.WriteLine($"parsed {parsed}, refused {refused}");
        Assert.True(parsed >= FuzzRun.Iterations / 20, $"only {parsed} samples parsed: the generator no longer reaches the accepting path");
        Assert.True(refused >= FuzzRun.Iterations / 20, $"only {refused} samples were refused: the generator no longer reaches the refusing path");
    }

    [Fact]
    public void A_bit_flipped_signed_answer_is_never_secure_unless_the_records_are_the_signed_ones()
    {
        var world = new DnssecWorld();
        byte[] original = Wait(world.Network.ExchangeAsync(DnsMessageWriter.BuildQuery(7, DnsName.Parse("example.com"), DnsRecordType.MX), CancellationToken.None));
        DnsRecord signed = DnsMessage.Parse(original).Answers.First(r => r.Type == DnsRecordType.MX);
        int flip = -1;
        world.Network.TamperBytes = (name, type, wire) =>
        {
            if (type != DnsRecordType.MX || flip < 0)
            {
                return wire;
            }

            byte[] changed = [.. wire];
            int i = DnsMessage.HeaderLength + (flip / 8 % (changed.Length - DnsMessage.HeaderLength)); // the ID and flags would only make it "no answer"
            changed[i] ^= (byte)(1 << (flip % 8));
            return changed;
        };

        using LocalDnssecValidator validator = world.Validator();
        Assert.Equal(DnsSecStatus.Secure, Wait(validator.ResolveAsync("example.com", DnsRecordType.MX, CancellationToken.None)).Status);
        int secure = 0;
        int notSecure = 0;
        Gen.Int[0, int.MaxValue].Check(bit =>
        {
            flip = bit;
            ValidatedResponse r = Wait(validator.ResolveAsync("example.com", DnsRecordType.MX, CancellationToken.None));
            if (r.Status == DnsSecStatus.Secure)
            {
                Interlocked.Increment(ref secure);
                DnsRecord mx = Assert.Single(r.Records);
                Assert.Equal(signed.CanonicalRData.ToArray(), mx.CanonicalRData.ToArray());
                Assert.Equal(signed.Owner, mx.Owner);
            }
            else
            {
                Interlocked.Increment(ref notSecure);
            }
        }, output, "LocalDnssecValidator bit flips", FuzzRun.Iterations / 4);
        output.WriteLine($"secure (harmless flips: TTL, letter case, unused bits) {secure}, not secure {notSecure}");
        Assert.True(notSecure >= FuzzRun.Iterations / 40, $"only {notSecure} flips were caught: the generator no longer reaches the signed octets");
    }

    [Fact]
    public void Random_names_and_types_against_a_signed_tree_end_bounded_with_a_reason()
    {
        var world = new DnssecWorld(denial: Denial.Nsec3);
        using LocalDnssecValidator validator = world.Validator();
        int nx = 0;
        // Names the validator may be asked for: the suffix must keep them within 253 characters (RFC 1035
        // §2.3.4; a longer one is rejected as a malformed name, which is not what this property is about).
        Gen.Select(FuzzGen.HostName.Where(h => h.Length + ".example.com".Length <= 253), Gen.Int[0, 4].Select(i => new[] { DnsRecordType.A, DnsRecordType.MX, DnsRecordType.TLSA, DnsRecordType.TXT, DnsRecordType.DS }[i]), (host, type) => (host + ".example.com", type)).Check(sample =>
        {
            ValidatedResponse r = Wait(validator.ResolveAsync(sample.Item1, sample.Item2, CancellationToken.None));
            Assert.Equal(r.Status == DnsSecStatus.Secure, r.Reason == DnssecReason.None);
            Assert.NotEqual(DnsSecStatus.Bogus, r.Status);
            if (r.Rcode == DaneMtaSts.Engine.Dns.DnsRcode.NxDomain && r.Status == DnsSecStatus.Secure)
            {
                Interlocked.Increment(ref nx);
            }
        }, output, "LocalDnssecValidator random names", FuzzRun.Iterations / 10);
        Assert.True(nx >= FuzzRun.Iterations / 40, $"only {nx} samples reached a secure NXDOMAIN proof");
    }
}
