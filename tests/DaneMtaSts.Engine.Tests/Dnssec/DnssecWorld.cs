using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;

namespace DaneMtaSts.Engine.Tests.Dnssec;

/// <summary>The usual test tree: a signed root, "com", and "example.com" with mail records.</summary>
internal sealed class DnssecWorld
{
    public DnssecWorld(byte algorithm = DnssecAlgorithm.EcdsaP256Sha256, Denial denial = Denial.Nsec, byte digestType = DsDigestType.Sha256, bool build = true)
    {
        Root = new TestZone(".", TestKey.Get(algorithm)) { Denial = denial };
        Com = new TestZone("com", TestKey.Get(algorithm, 257, 1)) { Denial = denial };
        Example = new TestZone("example.com", TestKey.Get(algorithm, 257, 2)) { Denial = denial };
        Example.Add(
            Rr.Mx("example.com", 10, "mail.example.com"),
            Rr.A("mail.example.com", "192.0.2.25"),
            Rr.Aaaa("mail.example.com", "2001:db8::25"),
            Rr.Tlsa("_25._tcp.mail.example.com", 3, 1, 1, new byte[32]),
            Rr.Txt("_mta-sts.example.com", "v=STSv1; id=1"),
            Rr.A("host.deep.sub.example.com", "192.0.2.26"), // deep.sub and sub are empty non-terminals
            Rr.Mx("*.wild.example.com", 10, "mail.example.com"),
            Rr.Txt("*.wild.example.com", "wildcard"),
            Rr.A("exists.wild.example.com", "192.0.2.27"));
        DigestType = digestType;
        if (build)
        {
            Build();
        }
    }

    public TestZone Root { get; }

    public TestZone Com { get; }

    public TestZone Example { get; }

    public byte DigestType { get; }

    public TestNetwork Network { get; } = new();

    public DnssecWorld Build()
    {
        Root.Delegate(Com);
        Com.Delegate(Example, digestType: DigestType);
        Network.Add(Root, Com, Example);
        return this;
    }

    public LocalDnssecValidator Validator(DnssecLimits? limits = null) => Network.Validator(limits);

    public ValidatedResponse Resolve(string name, ushort type, DnssecLimits? limits = null)
    {
        using LocalDnssecValidator validator = Validator(limits);
        return validator.ResolveAsync(name, type, CancellationToken.None).GetAwaiter().GetResult();
    }

    public static DnsName N(string name) => DnsName.Parse(name);
}
