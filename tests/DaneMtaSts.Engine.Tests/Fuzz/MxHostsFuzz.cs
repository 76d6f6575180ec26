// Fuzzes the MX helpers that read names straight from DNS answers: MxResolver.IsIpLiteral and
// MxResolver.ClassifyHosts (with DnsResolver.NormalizeExchange) on random exchanges, IP literals in
// every spelling (dotted quad, short IPv4 forms, IPv6, bracketed, with zone ids) and host names.
// Properties: never throws; a dotted quad, any IPv6 address and any bracketed address is an IP
// literal, a host name never is; ClassifyHosts sorts by preference (stable), keeps each name once,
// flags "." as the root target and IP literals as non-candidates. Each property counts the
// cases it is about (literal or not; duplicates, root targets, IP literals, candidates, reordering)
// and asserts a minimum share of each.
using System.Net;
using CsCheck;
using DaneMtaSts.Engine.Dns;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class MxHostsFuzz(ITestOutputHelper output)
{
    private static readonly Gen<string> IPv4 = Gen.Byte.Array[4].Select(b => new IPAddress(b).ToString());

    private static readonly Gen<string> IPv6 = Gen.Byte.Array[16].Select(b => new IPAddress(b).ToString());

    private static readonly Gen<string> Exchange = Gen.OneOf(
        FuzzGen.AnyString, FuzzGen.HostName, IPv4, IPv6, IPv4.Select(a => "[" + a + "]"), IPv6.Select(a => "[" + a + "]"),
        IPv6.Select(a => a + "%eth0"), Gen.Const("."), Gen.Const(""), Gen.Const("1"), Gen.Const("1.2"), Gen.Const("0x7f.1"), Gen.Const("[]"),
        FuzzGen.Mutated(IPv4), FuzzGen.Mutated(IPv6));

    [Fact]
    public void IsIpLiteral_never_throws_and_recognises_every_address_spelling()
    {
        var cases = new Support.CaseCounter(output, "MxResolver.IsIpLiteral");
        Gen.Select(Exchange, IPv4, IPv6, FuzzGen.HostName).Check((random, v4, v6, host) =>
        {
            bool literal = FuzzRun.Timed(() => MxResolver.IsIpLiteral(random));
            cases.Hit(literal ? "an IP literal" : "not an IP literal");
            if (literal)
            {
                Assert.True(IPAddress.TryParse(random.Trim('[', ']'), out _), random);
            }

            Assert.True(MxResolver.IsIpLiteral(v4));
            Assert.True(MxResolver.IsIpLiteral(v6));
            Assert.True(MxResolver.IsIpLiteral("[" + v4 + "]"));
            Assert.True(MxResolver.IsIpLiteral("[" + v6 + "]"));
            Assert.False(MxResolver.IsIpLiteral(host));
        }, output, "MxResolver.IsIpLiteral", reach: new FuzzReach(cases, 0.15, ["an IP literal", "not an IP literal"]));
    }

    [Fact]
    public void ClassifyHosts_sorts_deduplicates_and_flags()
    {
        var cases = new Support.CaseCounter(output, "MxResolver.ClassifyHosts");
        Gen.Select(Gen.Int[0, 65535], Gen.OneOf(Exchange, Gen.Const((string)null!))).Array[0, 12].Check(pairs =>
        {
            var records = pairs.Select(p => new MxRecordData(p.Item1, p.Item2)).ToArray();
            List<MxHost> hosts = FuzzRun.Timed(() => MxResolver.ClassifyHosts(records));
            CountShapes(cases, records, hosts);
            Assert.Equal(hosts.Count, hosts.Select(h => h.Name).Distinct(StringComparer.Ordinal).Count());
            Assert.True(hosts.Select(h => h.Preference).SequenceEqual(hosts.Select(h => h.Preference).Order()));
            Assert.All(hosts, h =>
            {
                Assert.Equal(h.Name == ".", h.Flags.HasFlag(MxHostFlags.RootTarget));
                if (h.Flags.HasFlag(MxHostFlags.IpLiteral) || h.Name == ".")
                {
                    Assert.False(h.IsCandidate);
                }
            });
            Assert.Equal(
                records.Select(r => DnsResolver.NormalizeExchange(r.Exchange)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal),
                hosts.Select(h => h.Name).Order(StringComparer.Ordinal));
        }, output, "MxResolver.ClassifyHosts", reach: new FuzzReach(cases, 0.25, ["a name kept once of several", "a root target", "an IP literal flagged", "a candidate", "preferences reordered"]));
    }

    private static void CountShapes(Support.CaseCounter cases, MxRecordData[] records, List<MxHost> hosts)
    {
        if (hosts.Count < records.Length)
        {
            cases.Hit("a name kept once of several");
        }

        if (hosts.Any(h => h.Flags.HasFlag(MxHostFlags.RootTarget)))
        {
            cases.Hit("a root target");
        }

        if (hosts.Any(h => h.Flags.HasFlag(MxHostFlags.IpLiteral)))
        {
            cases.Hit("an IP literal flagged");
        }

        if (hosts.Any(h => h.IsCandidate))
        {
            cases.Hit("a candidate");
        }

        if (!records.Select(r => r.Preference).SequenceEqual(records.Select(r => r.Preference).Order()))
        {
            cases.Hit("preferences reordered");
        }
    }
}
