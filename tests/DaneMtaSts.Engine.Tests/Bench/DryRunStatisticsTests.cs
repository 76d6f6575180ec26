using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using Xunit;

namespace DaneMtaSts.Engine.Tests.Bench;

public sealed class DryRunStatisticsTests
{
    [Fact]
    public void CountsQueriesPerTypeAndInTotal()
    {
        var counters = new DnsCounters();
        counters.CountQuery("TLSA");
        counters.CountQuery("TLSA");
        counters.CountQuery("MX");
        counters.CountQuery();

        Assert.Equal(4, counters.QueriesSent);
        Assert.Equal(2, counters.QueriesByType["TLSA"]);
        Assert.Equal(1, counters.QueriesByType["MX"]);
        Assert.Equal(2, counters.QueriesByType.Count);
    }

    [Fact]
    public void EachSessionKeepsItsOwnCountersAndFreezesThemWhenItEnds()
    {
        DryRunSession first = DryRunSession.Create(new DryRunOptions { DnsServers = ["127.0.0.1:9"], MtaSts = false }, policyCache: null);
        DryRunSession second = DryRunSession.Create(new DryRunOptions { DnsServers = ["127.0.0.1:9"], MtaSts = false }, policyCache: null);
        first.Dns.Counters.CountQuery("A");
        second.Dns.Counters.CountQuery("MX");
        second.Dns.Counters.CountQuery("MX");
        Assert.Null(first.Final);
        Assert.Equal(1, first.Snapshot().DnsQueriesSent);

        first.Dispose();
        second.Dispose();
        DryRunSnapshot? ended = first.Final;

        Assert.NotNull(ended);
        Assert.Equal(1, ended.DnsQueriesSent);
        Assert.Equal(1, ended.DnsQueriesByType["A"]);
        Assert.False(ended.DnsQueriesByType.ContainsKey("MX"));
        Assert.Equal(0, ended.SmtpConnectAttempts);
        Assert.True(ended.Ended >= ended.Started);
        Assert.Equal(2, second.Final!.DnsQueriesByType["MX"]);

        // A second Dispose keeps the first snapshot.
        first.Dispose();
        Assert.Same(ended, first.Final);
    }
}
