// Signed test zones and an in-process "recursive resolver" that answers from them with DNSSEC
// records (answers with RRSIGs, denials with NSEC or NSEC3 chains computed from the zone's names),
// as BIND or Unbound would pass them through with DO=1 and CD=1. Its knobs (strip DNSSEC records,
// tamper with a response) serve the negative corpus.
using System.Collections.Concurrent;
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;

namespace DaneMtaSts.Engine.Tests.Dnssec;

public enum Denial
{
    Nsec,
    Nsec3,
}

/// <summary>One zone: its records, keys and how it is signed.</summary>
internal sealed class TestZone
{
    private readonly List<DnsRecord> _records = [];

    public TestZone(string apex, params TestKey[] keys)
    {
        Apex = DnsName.Parse(apex);
        Keys = [.. keys];
        Signed = keys.Length > 0;
        _records.Add(Rr.Soa(Apex));
        _records.Add(Rr.Make(Apex, DnsRecordType.NS, Apex.Prepend("ns"u8.ToArray()).ToWire()));
    }

    public DnsName Apex { get; }

    /// <summary>Keys published in the DNSKEY RRset; the first signs everything unless <see cref="SigningKeys"/> is set.</summary>
    public List<TestKey> Keys { get; }

    /// <summary>Keys that sign (default: the first key); lets a test publish a key that signs nothing or sign with an unpublished one.</summary>
    public List<TestKey>? SigningKeys { get; set; }

    public bool Signed { get; set; }

    public Denial Denial { get; set; } = Denial.Nsec;

    public ushort Nsec3Iterations { get; set; }

    public byte[] Nsec3Salt { get; set; } = [0xAB, 0xCD];

    public bool Nsec3OptOut { get; set; }

    public DateTimeOffset Inception { get; set; } = TestNetwork.Now.AddDays(-1);

    public DateTimeOffset Expiration { get; set; } = TestNetwork.Now.AddDays(14);

    public IReadOnlyList<DnsRecord> Records => _records;

    public TestZone Add(params DnsRecord[] records)
    {
        _records.AddRange(records);
        return this;
    }

    public TestZone Remove(DnsName owner, ushort type)
    {
        _records.RemoveAll(r => r.Owner.Equals(owner) && r.Type == type);
        return this;
    }

    /// <summary>Delegates <paramref name="child"/>: NS, and DS records for its keys unless <paramref name="withDs"/> is false.</summary>
    public TestZone Delegate(TestZone child, bool withDs = true, byte digestType = DsDigestType.Sha256)
    {
        _records.Add(Rr.Ns(child.Apex.ToString(), "ns." + child.Apex));
        if (withDs)
        {
            List<TestKey> entry = [.. child.Keys.Where(k => (k.Dnskey.Flags & 1) == 1)];
            foreach (TestKey key in entry.Count > 0 ? entry : child.Keys.Take(1))
            {
                _records.Add(Rr.Ds(child.Apex, key.Dnskey, digestType));
            }
        }

        return this;
    }

    public IEnumerable<DnsRecord> DnskeyRrset => Keys.Select(k => Rr.Dnskey(Apex, k.Dnskey));

    /// <summary>Names that are delegation points (NS below the apex).</summary>
    public IEnumerable<DnsName> Cuts => _records.Where(r => r.Type == DnsRecordType.NS && !r.Owner.Equals(Apex)).Select(r => r.Owner).Distinct();

    public DnsName? CutAbove(DnsName name) => Cuts.Where(c => name.IsProperSubdomainOf(c)).OrderBy(c => c.LabelCount).FirstOrDefault();

    public List<DnsRecord> RrsetAt(DnsName owner, ushort type)
    {
        if (type == DnsRecordType.DNSKEY && owner.Equals(Apex))
        {
            return [.. DnskeyRrset];
        }

        return [.. _records.Where(r => r.Owner.Equals(owner) && r.Type == type)];
    }

    /// <summary>Names with records in this zone (delegation points included, occluded names below them excluded).</summary>
    public List<DnsName> Names() =>
        [.. _records.Select(r => r.Owner).Distinct().Where(n => CutAbove(n) is null).OrderBy(n => n, Comparer<DnsName>.Create(DnsName.CompareCanonical))];

    public bool Exists(DnsName name) => Names().Any(n => n.IsSubdomainOf(name)); // a name with records, or an empty non-terminal

    public List<ushort> TypesAt(DnsName name)
    {
        var types = _records.Where(r => r.Owner.Equals(name)).Select(r => r.Type).Distinct().ToList();
        if (name.Equals(Apex) && Signed)
        {
            types.Add(DnsRecordType.DNSKEY);
        }

        bool unsignedCut = !name.Equals(Apex) && types.Contains(DnsRecordType.NS) && !types.Contains(DnsRecordType.DS);
        if (Signed && types.Count > 0 && !unsignedCut)
        {
            types.Add(DnsRecordType.RRSIG);
        }

        return types;
    }

    public List<DnsRecord> Sign(IReadOnlyList<DnsRecord> rrset)
    {
        if (!Signed || rrset.Count == 0)
        {
            return [];
        }

        // Delegation NS and glue are not signed (RFC 4035 §2.2).
        DnsRecord first = rrset[0];
        if ((first.Type == DnsRecordType.NS && !first.Owner.Equals(Apex)) || CutAbove(first.Owner) is not null)
        {
            return [];
        }

        return [.. (SigningKeys ?? [Keys[0]]).Select(k => Rr.Rrsig(rrset, Apex, k, Inception, Expiration))];
    }

    // ---- NSEC ----

    public DnsRecord NsecAt(DnsName name)
    {
        List<DnsName> names = Names();
        int i = names.FindIndex(n => n.Equals(name));
        DnsName next = names[(i + 1) % names.Count];
        return Rr.Nsec(name, next, [.. TypesAt(name), DnsRecordType.NSEC]);
    }

    /// <summary>The NSEC whose span covers a name that does not exist.</summary>
    public DnsRecord NsecCovering(DnsName name)
    {
        List<DnsName> names = Names();
        DnsName owner = names.Last(n => DnsName.CompareCanonical(n, name) < 0);
        return NsecAt(owner);
    }

    // ---- NSEC3 ----

    public byte[] Hash(DnsName name) => DnssecCrypto.Nsec3Hash(name, Nsec3Salt, Nsec3Iterations);

    /// <summary>The names with an NSEC3: every name and empty non-terminal, less unsigned delegations under opt-out (RFC 5155 §7.1).</summary>
    public List<(byte[] Hash, DnsName Name)> Nsec3Chain()
    {
        var all = new HashSet<DnsName>();
        foreach (DnsName n in Names())
        {
            for (DnsName a = n; a.IsSubdomainOf(Apex); a = a.Parent())
            {
                all.Add(a);
                if (a.Equals(Apex))
                {
                    break;
                }
            }
        }

        return [.. all
            .Where(n => !(Nsec3OptOut && Cuts.Contains(n) && RrsetAt(n, DnsRecordType.DS).Count == 0))
            .Select(n => (Hash(n), n))
            .OrderBy(p => p.Item1, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b)))];
    }

    private DnsRecord Nsec3Record(int index, List<(byte[] Hash, DnsName Name)> chain)
    {
        (byte[] hash, DnsName name) = chain[index];
        byte[] next = chain[(index + 1) % chain.Count].Hash;
        DnsName owner = Apex.Prepend(System.Text.Encoding.ASCII.GetBytes(DnssecCrypto.Base32Hex(hash)));
        return Rr.Nsec3(owner, (byte)(Nsec3OptOut ? 1 : 0), Nsec3Iterations, Nsec3Salt, next, TypesAt(name));
    }

    public DnsRecord? Nsec3Matching(DnsName name)
    {
        List<(byte[] Hash, DnsName Name)> chain = Nsec3Chain();
        byte[] hash = Hash(name);
        int i = chain.FindIndex(p => p.Hash.AsSpan().SequenceEqual(hash));
        return i < 0 ? null : Nsec3Record(i, chain);
    }

    public DnsRecord Nsec3Covering(DnsName name)
    {
        List<(byte[] Hash, DnsName Name)> chain = Nsec3Chain();
        byte[] hash = Hash(name);
        int i = chain.FindLastIndex(p => p.Hash.AsSpan().SequenceCompareTo(hash) < 0);
        return Nsec3Record(i < 0 ? chain.Count - 1 : i, chain);
    }

    /// <summary>The closest existing ancestor of a name that does not exist.</summary>
    public DnsName ClosestEncloser(DnsName name)
    {
        DnsName candidate = name;
        while (!Exists(candidate))
        {
            candidate = candidate.Parent();
        }

        return candidate;
    }
}

/// <summary>
/// The in-process resolver: answers every question from the deepest zone that holds it, like a
/// recursive resolver passing DNSSEC records through. Counts the questions it gets.
/// </summary>
internal sealed class TestNetwork : IDnsWireTransport
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<TestZone> _zones = [];
    private readonly ConcurrentQueue<string> _questions = new();

    public string Server => "in-process";

    /// <summary>Drop every RRSIG, NSEC and NSEC3 (a resolver asking upstream without EDNS).</summary>
    public bool StripDnssec { get; set; }

    /// <summary>Applied to each response before it is sent: (question name, type, sections) → changed sections.</summary>
    public Func<DnsName, ushort, Response, Response>? Tamper { get; set; }

    /// <summary>Names whose queries fail at the transport (no answer).</summary>
    public HashSet<(DnsName, ushort)> Unreachable { get; } = [];

    public IReadOnlyList<string> Questions => [.. _questions];

    public TestNetwork Add(params TestZone[] zones)
    {
        _zones.AddRange(zones);
        return this;
    }

    /// <summary>Trust anchors for the test root's keys (DS form).</summary>
    public TrustAnchorSet Anchors()
    {
        TestZone root = _zones.First(z => z.Apex.IsRoot);
        return TrustAnchorSet.FromRecords(root.Keys.Select(k => (DsData)Rr.Ds(DnsName.Root, k.Dnskey).Data!), [], "test root");
    }

    public LocalDnssecValidator Validator(DnssecLimits? limits = null, TrustAnchorSet? anchors = null) =>
        new(this, anchors ?? Anchors(), new FrozenClock(Now), limits);

    public sealed record Response(int Rcode, List<DnsRecord> Answers, List<DnsRecord> Authorities);

    public Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        DnsMessage message = DnsMessage.Parse(query.Span);
        DnsQuestion question = message.Question!;
        _questions.Enqueue($"{DnsRecordType.Name(question.Type)} {question.Name}");
        Assert.True(message.CheckingDisabled, "every validator query sets CD=1");
        Assert.True(message.RecursionDesired, "every validator query sets RD=1");
        Assert.True(message.Opt is { DnssecOk: true }, "every validator query sets DO=1");
        if (Unreachable.Contains((question.Name, question.Type)))
        {
            throw new DnsTransportException("unreachable in this test");
        }

        Response response = Answer(question.Name, question.Type, 0);
        if (Tamper is not null)
        {
            response = Tamper(question.Name, question.Type, response);
        }

        if (StripDnssec)
        {
            static bool Keep(DnsRecord r) => r.Type is not (DnsRecordType.RRSIG or DnsRecordType.NSEC or DnsRecordType.NSEC3);
            response = response with { Answers = [.. response.Answers.Where(Keep)], Authorities = [.. response.Authorities.Where(Keep)] };
        }

        ushort flags = (ushort)(DnsMessageWriter.FlagResponse | DnsMessageWriter.FlagRecursionDesired | DnsMessageWriter.FlagRecursionAvailable | DnsMessageWriter.FlagCheckingDisabled | response.Rcode);
        return Task.FromResult(DnsMessageWriter.Write(message.Id, flags, [question], response.Answers, response.Authorities, []));
    }

    private TestZone? ZoneFor(DnsName name, ushort type)
    {
        IEnumerable<TestZone> candidates = _zones.Where(z => name.IsSubdomainOf(z.Apex));
        if (type == DnsRecordType.DS)
        {
            // The DS lives on the parent side of a cut.
            candidates = candidates.Where(z => !z.Apex.Equals(name));
        }

        return candidates.OrderByDescending(z => z.Apex.LabelCount).FirstOrDefault();
    }

    public Response Answer(DnsName name, ushort type, int depth)
    {
        TestZone? zone = ZoneFor(name, type);
        if (zone is null)
        {
            return new Response(5, [], []); // REFUSED
        }

        var answers = new List<DnsRecord>();
        var authority = new List<DnsRecord>();

        List<DnsRecord> rrset = zone.RrsetAt(name, type);
        if (rrset.Count > 0 && zone.CutAbove(name) is null && !(type == DnsRecordType.NS && zone.Cuts.Contains(name)))
        {
            answers.AddRange(rrset);
            answers.AddRange(zone.Sign(rrset));
            return new Response(0, answers, authority);
        }

        if (type != DnsRecordType.CNAME)
        {
            List<DnsRecord> cname = zone.RrsetAt(name, DnsRecordType.CNAME);
            if (cname.Count > 0)
            {
                answers.AddRange(cname);
                answers.AddRange(zone.Sign(cname));
                return Chase(((NameData)cname[0].Data!).Target, type, depth, answers);
            }

            DnsRecord? dname = zone.Records.Where(r => r.Type == DnsRecordType.DNAME && name.IsProperSubdomainOf(r.Owner)).OrderByDescending(r => r.Owner.LabelCount).FirstOrDefault();
            if (dname is not null)
            {
                List<DnsRecord> dnameSet = zone.RrsetAt(dname.Owner, DnsRecordType.DNAME);
                answers.AddRange(dnameSet);
                answers.AddRange(zone.Sign(dnameSet));
                DnsName target = name.ReplaceSuffix(dname.Owner, ((NameData)dname.Data!).Target)!;
                answers.Add(Rr.Make(name, DnsRecordType.CNAME, target.ToWire(), dname.Ttl)); // synthesised, unsigned (RFC 6672 §3.4)
                return Chase(target, type, depth, answers);
            }
        }

        authority.Add(zone.RrsetAt(zone.Apex, DnsRecordType.SOA)[0]);
        authority.AddRange(zone.Sign(zone.RrsetAt(zone.Apex, DnsRecordType.SOA)));
        if (zone.Exists(name))
        {
            // NODATA (and the parent side of a delegation for DS).
            Deny(zone, authority, zone.Denial == Denial.Nsec ? NsecNoData(zone, name) : Nsec3NoData(zone, name));
            return new Response(0, answers, authority);
        }

        DnsName encloser = zone.ClosestEncloser(name);
        DnsName wildcard = encloser.Wildcard();
        if (zone.CutAbove(name) is null && zone.Exists(wildcard))
        {
            List<DnsRecord> source = zone.RrsetAt(wildcard, type);
            DnsName nextCloser = name.Suffix(encloser.LabelCount + 1);
            List<DnsRecord> proof = zone.Denial == Denial.Nsec ? [zone.NsecCovering(name)] : [zone.Nsec3Covering(nextCloser)];
            if (source.Count > 0)
            {
                // RFC 4035 §5.3.4: the signature over *.encloser, the owner rewritten to the query name.
                answers.AddRange(source.Select(r => Rr.Make(name, r.Type, r.UncompressedRData.ToArray(), r.Ttl)));
                answers.AddRange(zone.Sign(source).Select(s => Rr.Make(name, s.Type, s.UncompressedRData.ToArray(), s.Ttl)));
                Deny(zone, authority, proof);
                authority.RemoveAll(r => r.Type is DnsRecordType.SOA || (r.Type == DnsRecordType.RRSIG && ((RrsigData)r.Data!).TypeCovered == DnsRecordType.SOA));
                return new Response(0, answers, authority);
            }

            // Wildcard NODATA.
            List<DnsRecord> atWildcard = zone.Denial == Denial.Nsec ? [zone.NsecAt(wildcard)] : [zone.Nsec3Matching(encloser)!, zone.Nsec3Matching(wildcard)!];
            Deny(zone, authority, [.. proof, .. atWildcard]);
            return new Response(0, answers, authority);
        }

        if (zone.CutAbove(name) is { } cut)
        {
            // Below a delegation this resolver does not host: it cannot answer.
            return new Response(2, [], []);
        }

        // NXDOMAIN: the name and the wildcard do not exist.
        List<DnsRecord> nx = zone.Denial == Denial.Nsec
            ? [zone.NsecCovering(name), zone.NsecCovering(wildcard)]
            : [zone.Nsec3Matching(encloser)!, zone.Nsec3Covering(name.Suffix(encloser.LabelCount + 1)), zone.Nsec3Covering(wildcard)];
        Deny(zone, authority, nx);
        return new Response(3, answers, authority);
    }

    private static List<DnsRecord> NsecNoData(TestZone zone, DnsName name) =>
        zone.Names().Any(n => n.Equals(name)) ? [zone.NsecAt(name)] : [zone.NsecCovering(name)]; // the latter: an empty non-terminal

    private static List<DnsRecord> Nsec3NoData(TestZone zone, DnsName name)
    {
        DnsRecord? match = zone.Nsec3Matching(name);
        if (match is not null)
        {
            return [match];
        }

        // An opted-out unsigned delegation: closest encloser and the opt-out span over the name (RFC 5155 §7.2.4).
        DnsName encloser = name.Parent();
        while (zone.Nsec3Matching(encloser) is null)
        {
            encloser = encloser.Parent();
        }

        return [zone.Nsec3Matching(encloser)!, zone.Nsec3Covering(name.Suffix(encloser.LabelCount + 1))];
    }

    private static void Deny(TestZone zone, List<DnsRecord> authority, IEnumerable<DnsRecord> records)
    {
        foreach (IGrouping<DnsName, DnsRecord> group in records.GroupBy(r => r.Owner))
        {
            if (authority.Any(a => a.Owner.Equals(group.Key) && a.Type == group.First().Type))
            {
                continue;
            }

            DnsRecord record = group.First();
            authority.Add(record);
            authority.AddRange(zone.Sign([record]));
        }
    }

    private Response Chase(DnsName target, ushort type, int depth, List<DnsRecord> answers)
    {
        if (depth > 10 || ZoneFor(target, type) is null)
        {
            return new Response(0, answers, []);
        }

        Response rest = Answer(target, type, depth + 1);
        return new Response(rest.Rcode, [.. answers, .. rest.Answers], rest.Authorities);
    }
}

/// <summary>A clock frozen at one instant.</summary>
internal sealed class FrozenClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
