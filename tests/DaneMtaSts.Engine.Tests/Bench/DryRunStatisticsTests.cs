using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Policy;
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
    public void EndingASessionPublishesItsCountersOnce()
    {
        DryRunSession session = DryRunSession.Create(new DryRunOptions { DnsServers = ["127.0.0.1:9"], MtaSts = false }, policyCache: null);
        session.Dns.Counters.CountQuery("A");
        session.Dispose();
        DryRunSnapshot? published = DryRunStatistics.Last;

        Assert.NotNull(published);
        Assert.Equal(1, published.DnsQueriesSent);
        Assert.Equal(1, published.DnsQueriesByType["A"]);
        Assert.Equal(0, published.SmtpConnectAttempts);
        Assert.True(published.Ended >= published.Started);

        // A second Dispose publishes nothing new.
        session.Dispose();
        Assert.Same(published, DryRunStatistics.Last);
    }
}
