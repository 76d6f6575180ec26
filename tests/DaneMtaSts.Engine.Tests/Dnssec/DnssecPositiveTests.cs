// Positive cases: every algorithm, both digests, every kind of denial, wildcards, aliases, and
// the insecure cases that must be proven (no DS, opt-out, unsupported algorithms).
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Dnssec;

public class DnssecPositiveTests(ITestOutputHelper output)
{
    private ValidatedResponse Show(ValidatedResponse r)
    {
        output.WriteLine($"{r.Name} {DnsRecordType.Name(r.Type)}: {r.Status} {r.Reason} {r.ReasonName} rcode={r.Rcode} records={r.Records.Count} chain={string.Join(" | ", r.Chain)}");
        return r;
    }

    [Theory]
    [InlineData(DnssecAlgorithm.RsaSha256)]
    [InlineData(DnssecAlgorithm.RsaSha512)]
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256)]
    [InlineData(DnssecAlgorithm.EcdsaP384Sha384)]
    [InlineData(DnssecAlgorithm.Ed25519)]
    [InlineData(DnssecAlgorithm.Ed448)]
    public void Every_algorithm_validates_a_signed_mx_from_the_root(byte algorithm)
    {
        var world = new DnssecWorld(algorithm);
        ValidatedResponse r = Show(world.Resolve("example.com", DnsRecordType.MX));
        Assert.Equal(DnsSecStatus.Secure, r.Status);
        Assert.Equal(DnssecReason.None, r.Reason);
        Assert.Equal(DnsRcode.NoError, r.Rcode);
        MxData mx = Assert.IsType<MxData>(Assert.Single(r.Records).Data);
        Assert.Equal(DnsName.Parse("mail.example.com"), mx.Exchange);
        Assert.Equal(["DNSKEY", "DS", "DNSKEY", "DS", "DNSKEY", "MX"], r.Chain.Select(c => c.What));
        Assert.Equal([".", ".", "com", "com", "example.com", "example.com"], r.Chain.Select(c => c.Zone.ToString()));
        Assert.All(r.Chain, c => Assert.Equal(algorithm, c.Algorithm));
        Assert.Equal(3600u, r.Ttl);
    }

    [Theory]
    [InlineData(DsDigestType.Sha256)]
    [InlineData(DsDigestType.Sha384)]
    public void Both_supported_ds_digests_validate(byte digestType)
    {
        var world = new DnssecWorld(digestType: digestType);
        Assert.Equal(DnsSecStatus.Secure, Show(world.Resolve("mail.example.com", DnsRecordType.A)).Status);
    }

    [Theory]
    [InlineData(Denial.Nsec)]
    [InlineData(Denial.Nsec3)]
    public void Nxdomain_is_proven_secure(Denial denial)
    {
        var world = new DnssecWorld(denial: denial);
        ValidatedResponse r = Show(world.Resolve("nothere.example.com", DnsRecordType.MX));
        Assert.Equal(DnsRcode.NxDomain, r.Rcode);
        Assert.Equal(DnsSecStatus.Secure, r.Status);
        Assert.Empty(r.Records);
    }

    [Theory]
    [InlineData(Denial.Nsec)]
    [InlineData(Denial.Nsec3)]
    public void Nodata_is_proven_secure(Denial denial)
    {
        var world = new DnssecWorld(denial: denial);
        ValidatedResponse r = Show(world.Resolve("mail.example.com", DnsRecordType.TLSA));
        Assert.Equal(DnsRcode.NoError, r.Rcode);
        Assert.Equal(DnsSecStatus.Secure, r.Status);
        Assert.Empty(r.Records);
    }

    [Theory]
    [InlineData(Denial.Nsec)]
    [InlineData(Denial.Nsec3)]
    public void Empty_non_terminal_nodata_is_proven_secure(Denial denial)
    {
        var world = new DnssecWorld(denial: denial);
        ValidatedResponse r = Show(world.Resolve("sub.example.com", DnsRecordType.A));
        Assert.Equal(DnsRcode.NoError, r.Rcode);
        Assert.Equal(DnsSecStatus.Secure, r.Status);
    }

    [Theory]
    [InlineData(Denial.Nsec)]
    [InlineData(Denial.Nsec3)]
    public void Wildcard_expansion_is_secure_with_its_proof(Denial denial)
    {
        var world = new DnssecWorld(denial: denial);
        ValidatedResponse r = Show(world.Resolve("anything.wild.example.com", DnsRecordType.MX));
        Assert.Equal(DnsSecStatus.Secure, r.Status);
        Assert.True(r.IsWildcardExpansion);
        Assert.Equal(DnsName.Parse("anything.wild.example.com"), Assert.Single(r.Records).Owner);
    }

    [Theory]
    [InlineData(Denial.Nsec)]
    [InlineData(Denial.Nsec3)]
    public void Wildcard_nodata_is_proven_secure(Denial denial)
    {
        var world = new DnssecWorld(denial: denial);
        ValidatedResponse r = Show(world.Resolve("anything.wild.example.com", DnsRecordType.TLSA));
        Assert.Equal(DnsRcode.NoError, r.Rcode);
        Assert.Equal(DnsSecStatus.Secure, r.Status);
        Assert.Empty(r.Records);
    }

    [Theory]
    [InlineData(Denial.Nsec, false)]
    [InlineData(Denial.Nsec3, false)]
    [InlineData(Denial.Nsec3, true)]
    public void An_unsigned_delegation_is_proven_insecure(Denial denial, bool optOut)
    {
        var world = new DnssecWorld(denial: denial, build: false);
        var unsigned = new TestZone("plain.com").Add(Rr.Mx("plain.com", 10, "mx.plain.com"), Rr.A("mx.plain.com", "192.0.2.30"));
        world.Com.Nsec3OptOut = optOut;
        world.Com.Delegate(unsigned, withDs: false);
        world.Network.Add(unsigned);
        world.Build();
        ValidatedResponse r = Show(world.Resolve("plain.com", DnsRecordType.MX));
        Assert.Equal(DnsSecStatus.Insecure, r.Status);
        Assert.Equal(optOut ? DnssecReason.OptOut : DnssecReason.NoDs, r.Reason);
        Assert.Single(r.Records);

        // A name below the unsigned zone is insecure too (found through the same proof).
        ValidatedResponse below = Show(world.Resolve("mx.plain.com", DnsRecordType.A));
        Assert.Equal(DnsSecStatus.Insecure, below.Status);
    }

    [Theory]
    [InlineData(5, DsDigestType.Sha256, DnssecReason.UnsupportedAlgorithm)]
    [InlineData(7, DsDigestType.Sha256, DnssecReason.UnsupportedAlgorithm)]
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256, DsDigestType.Sha1, DnssecReason.UnsupportedDigest)]
    [InlineData(DnssecAlgorithm.EcdsaP256Sha256, 3, DnssecReason.UnsupportedDigest)]
    public void A_ds_set_of_only_unsupported_algorithms_or_digests_is_insecure_not_bogus(byte dsAlgorithm, byte digestType, DnssecReason reason)
    {
        var world = new DnssecWorld(build: false);
        world.Root.Delegate(world.Com);
        world.Com.Add(Rr.Ns("example.com", "ns.example.com"));
        DnsRecord ds = Rr.Ds(world.Example.Apex, world.Example.Keys[0].Dnskey, digestType == 3 ? DsDigestType.Sha256 : digestType, dsAlgorithm);
        byte[] rdata = ds.UncompressedRData.ToArray();
        rdata[3] = digestType;
        world.Com.Add(Rr.Make(world.Example.Apex, DnsRecordType.DS, rdata));
        world.Network.Add(world.Root, world.Com, world.Example);
        ValidatedResponse r = Show(world.Resolve("example.com", DnsRecordType.MX));
        Assert.Equal(DnsSecStatus.Insecure, r.Status);
        Assert.Equal(reason, r.Reason);
    }

    [Fact]
    public void A_cname_chain_across_zones_validates_each_link_and_reports_the_first()
    {
        var world = new DnssecWorld(build: false);
        var other = new TestZone("other.com", TestKey.Get(DnssecAlgorithm.Ed25519)).Add(Rr.A("target.other.com", "192.0.2.40"));
        world.Com.Delegate(other);
        world.Example.Add(Rr.Cname("alias.example.com", "target.other.com"));
        world.Network.Add(other);
        world.Build();
        ValidatedResponse r = Show(world.Resolve("alias.example.com", DnsRecordType.A));
        Assert.Equal(DnsSecStatus.Secure, r.Status);
        Assert.Equal(DnsSecStatus.Secure, r.FirstLinkStatus);
        Assert.Equal([DnsName.Parse("target.other.com")], r.CnameChain);
        Assert.Single(r.Records);
        Assert.Contains(r.Chain, c => c.Zone.ToString() == "other.com" && c.What == "A");
    }

    [Fact]
    public void A_secure_cname_into_an_unsigned_zone_is_insecure_with_a_secure_first_link()
    {
        var world = new DnssecWorld(build: false);
        var unsigned = new TestZone("plain.com").Add(Rr.A("target.plain.com", "192.0.2.41"));
        world.Com.Delegate(unsigned, withDs: false);
        world.Example.Add(Rr.Cname("alias.example.com", "target.plain.com"));
        world.Network.Add(unsigned);
        world.Build();
        ValidatedResponse r = Show(world.Resolve("alias.example.com", DnsRecordType.A));
        Assert.Equal(DnsSecStatus.Insecure, r.Status);
        Assert.Equal(DnsSecStatus.Secure, r.FirstLinkStatus);
    }

    [Fact]
    public void A_dname_synthesises_the_cname_and_validates()
    {
        var world = new DnssecWorld(build: false);
        world.Example.Add(Rr.Dname("old.example.com", "example.com"));
        world.Build();
        ValidatedResponse r = Show(world.Resolve("mail.old.example.com", DnsRecordType.A));
        Assert.Equal(DnsSecStatus.Secure, r.Status);
        Assert.Equal([DnsName.Parse("mail.example.com")], r.CnameChain);
        Assert.Single(r.Records);
    }

    [Fact]
    public void A_resolver_that_strips_dnssec_records_gives_indeterminate_not_bogus()
    {
        var world = new DnssecWorld();
        world.Network.StripDnssec = true;
        ValidatedResponse r = Show(world.Resolve("example.com", DnsRecordType.MX));
        Assert.Equal(DnsSecStatus.Indeterminate, r.Status);
        Assert.Equal(DnssecReason.DnssecRecordsMissing, r.Reason);
        Assert.Single(r.Records);
    }

    [Theory]
    [InlineData(150, DnsSecStatus.Secure)]
    [InlineData(151, DnsSecStatus.Insecure)]
    [InlineData(500, DnsSecStatus.Insecure)]
    [InlineData(501, DnsSecStatus.Bogus)]
    public void Nsec3_iterations_follow_the_rfc9276_thresholds(ushort iterations, DnsSecStatus expected)
    {
        var world = new DnssecWorld(denial: Denial.Nsec3, build: false);
        world.Example.Nsec3Iterations = iterations;
        world.Build();
        ValidatedResponse r = Show(world.Resolve("nothere.example.com", DnsRecordType.A));
        Assert.Equal(expected, r.Status);
        if (expected != DnsSecStatus.Secure)
        {
            Assert.Equal(DnssecReason.Nsec3IterationsTooHigh, r.Reason);
        }
    }

    [Fact]
    public async Task Dnskey_and_ds_are_fetched_once_per_zone_per_validator()
    {
        var world = new DnssecWorld();
        using LocalDnssecValidator validator = world.Validator();
        foreach (string name in new[] { "example.com", "mail.example.com", "_25._tcp.mail.example.com", "nothere.example.com" })
        {
            Assert.NotEqual(DnsSecStatus.Bogus, (await validator.ResolveAsync(name, DnsRecordType.MX, CancellationToken.None)).Status);
        }

        output.WriteLine(string.Join("\n", world.Network.Questions));
        Assert.Equal(3, world.Network.Questions.Count(q => q.StartsWith("DNSKEY ", StringComparison.Ordinal)));
        Assert.Equal(1, world.Network.Questions.Count(q => q == "DS example.com"));
        Assert.Equal(1, world.Network.Questions.Count(q => q == "DS com"));
    }

    [Fact]
    public async Task Trust_anchors_as_dnskey_records_work_like_ds()
    {
        var world = new DnssecWorld();
        TrustAnchorSet anchors = TrustAnchorSet.FromRecords([], [world.Root.Keys[0].Dnskey], "test");
        using var validator = world.Network.Validator(anchors: anchors);
        Assert.Equal(DnsSecStatus.Secure, (await validator.ResolveAsync("example.com", DnsRecordType.MX, CancellationToken.None)).Status);
    }
}
