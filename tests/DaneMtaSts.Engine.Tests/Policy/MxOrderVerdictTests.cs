using DaneMtaSts.Engine.Policy;
using static DaneMtaSts.Engine.Tests.Policy.VerdictPki;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>docs/verdicts.md#mx-order: the first passing host decides Deliver; else the most preferred host's failure.</summary>
public class MxOrderVerdictTests
{
    private const string Mx1 = "mx1.example.test";
    private const string Mx2 = "mx2.example.test";
    private const string Mx3 = "mx3.example.test";

    [Fact]
    public void The_first_passing_host_decides_deliver()
    {
        var ev = EvidenceBuilder.Mx()
            .Host(Mx1, 10, h => h.Tlsa(UnrelatedEe()).Address(Probe.Tls(Chain(Mx1))))
            .Host(Mx2, 20, h => h.Tlsa(Tlsa(3, 1, 1, Leaf(Mx2))).Address(Probe.Tls(Chain(Mx2))))
            .Host(Mx3, 30, h => h.Tlsa(Tlsa(3, 1, 1, Leaf(Mx3))).Address(Probe.Tls(Chain(Mx3))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Equal(Mx2, result.MxHost);
        Assert.Contains($"The more preferred {Mx1} failed: 4.7.323", result.Reason, StringComparison.Ordinal);
        Assert.Equal([Mx1, Mx2, Mx3], result.Hosts.Select(h => h.Host));
        Assert.False(result.Hosts[0].Passed);
        Assert.True(result.Hosts[1].Passed);
    }

    [Fact]
    public void When_no_host_passes_the_most_preferred_hosts_failure_decides()
    {
        var ev = EvidenceBuilder.Mx()
            .Host(Mx1, 10, h => h.Tlsa(UnrelatedEe()).Address(Probe.Tls(Chain(Mx1))))
            .Host(Mx2, 20, h => h.Tlsa(Tlsa(3, 1, 1, Leaf(Mx2))).Address(Probe.NoStartTls()))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal("4.7.323", result.StatusCode);
        Assert.Equal(Mx1, result.MxHost);
        Assert.Contains("The other 1 host(s) failed too.", result.Reason, StringComparison.Ordinal);
        Assert.Equal("4.7.321", result.Hosts[1].StatusCode);
    }

    [Fact]
    public void Preference_decides_not_the_order_the_evidence_lists_the_hosts_in()
    {
        // The engine promises "in preference order" (RFC 5321 §5.1); evidence may come from
        // offline judging or be re-ordered, so the verdict must not depend on list order.
        var ev = EvidenceBuilder.Mx()
            .Host(Mx2, 20, h => h.Tlsa(Tlsa(3, 1, 1, Leaf(Mx2))).Address(Probe.NoStartTls()))
            .Host(Mx1, 10, h => h.Tlsa(UnrelatedEe()).Address(Probe.Tls(Chain(Mx1))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal(Mx1, result.MxHost);
        Assert.Equal("4.7.323", result.StatusCode);
    }

    [Fact]
    public void A_lower_preference_host_without_dane_may_deliver_when_a_dane_host_fails()
    {
        // docs/edge-cases.md#d12 (mixed MX set): each host is judged on its own; mx2 has no TLSA (secure NODATA).
        var ev = EvidenceBuilder.Mx()
            .Host(Mx1, 10, h => h.TlsaFails().Address(Probe.Tls(Chain(Mx1))))
            .Host(Mx2, 20, h => h.NoTlsa().Address(Probe.Tls(Chain(Mx2))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Tls, result.Security);
        Assert.Equal(Mx2, result.MxHost);
        Assert.Contains("4.7.324", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Under_mandatory_a_mixed_mx_set_delivers_only_through_the_dane_host()
    {
        var ev = EvidenceBuilder.Mx()
            .Host(Mx1, 10, h => h.Insecure().Address(Probe.Tls(Chain(Mx1))))
            .Host(Mx2, 20, h => h.Tlsa(Tlsa(2, 1, 1, Intermediate)).Address(Probe.Tls(Chain(Mx2))))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Mandatory);

        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Equal(Mx2, result.MxHost);
    }

    [Fact]
    public void Hosts_after_the_deciding_one_are_listed_as_not_needed()
    {
        var ev = EvidenceBuilder.Mx()
            .Host(Mx1, 10, h => h.Address(Probe.Tls(Chain(Mx1))))
            .Host(Mx2, 20, h => h.Address(Probe.NoStartTls()))
            .Build();

        var result = VerdictEngine.Judge(ev, Modes.Opportunistic);

        Assert.Equal(Mx1, result.MxHost);
        Assert.Equal(2, result.Hosts.Count);
        Assert.StartsWith("Not needed", result.Hosts[1].Reason, StringComparison.Ordinal);
    }
}
