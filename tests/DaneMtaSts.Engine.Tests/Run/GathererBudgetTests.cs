using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Engine.Tests.Policy;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Run;

// docs/dns.md#query-budget: a whole call of many domains on shared hosts keeps to the budget and
// finishes every domain (no domain waiting on shared work starves another of a slot).
public sealed class GathererBudgetTests : IAsyncDisposable
{
    private readonly GathererLab _lab = new();

    public ValueTask DisposeAsync() => _lab.DisposeAsync();

    [Fact]
    public async Task Sixty_domains_on_six_hosts_with_a_budget_of_four_all_deliver_and_never_exceed_it()
    {
        const int Budget = 4;
        var hosts = new List<string>();
        for (int h = 0; h < 6; h++)
        {
            string host = $"mx{h}.budget.test";
            X509Certificate2 leaf = GathererLab.Leaf(host);
            _lab.Host(host, GathererLab.GoodSmtp(leaf));
            _lab.TlsaEe(host, leaf);
            hosts.Add(host);
        }

        string[] domains = [.. Enumerable.Range(0, 60).Select(i => $"d{i}.budget.test")];
        for (int i = 0; i < domains.Length; i++)
        {
            _lab.Mx(domains[i], true, (10, hosts[i % hosts.Count]));
        }

        _lab.Timeout = TimeSpan.FromSeconds(30); // 60 domains at once on a loaded machine
        using DryRunSession session = _lab.Session(options: _lab.Options with { MaxDnsQueriesInFlight = Budget });
        DomainEvidence[] all = await Task.WhenAll(domains.Select(d => session.Gatherer.GatherMxAsync(d, CancellationToken.None))).WaitAsync(HangGuard.Limit);

        Assert.All(all, e => Assert.Equal(Outcome.Deliver, VerdictEngine.Judge(e, new JudgeOptions { SmtpDaneMode = SmtpDaneMode.Mandatory }).Outcome));
        Assert.InRange(_lab.Dns.PeakInFlight, 1, Budget);
        Assert.Equal(Budget, session.Dns.Budget.PeakInFlight);
        Assert.Equal(0, session.Dns.Budget.InFlight);
    }
}
