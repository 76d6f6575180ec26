using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Engine.Tests.Policy;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Run;

// docs/architecture.md#chain-judgement: each served chain judged once, name checks never mixed.
public sealed class ChainJudgementTests : IAsyncDisposable
{
    private readonly GathererLab _lab = new();

    public ValueTask DisposeAsync() => _lab.DisposeAsync();

    [Fact]
    public async Task Twenty_hosts_with_ten_domains_each_cost_twenty_pkix_validations_and_twenty_dane_evaluations()
    {
        const int Hosts = 20;
        const int DomainsPerHost = 10;
        var domains = new List<string>();
        for (int h = 0; h < Hosts; h++)
        {
            string host = $"mx{h}.shared.test";
            X509Certificate2 leaf = GathererLab.Leaf(host);
            _lab.Host(host, GathererLab.GoodSmtp(leaf));
            _lab.TlsaEe(host, leaf);
            for (int d = 0; d < DomainsPerHost; d++)
            {
                string domain = $"d{d}-h{h}.shared.test";
                _lab.Mx(domain, true, (10, host));
                domains.Add(domain);
            }
        }

        // One as-of instant for the call (-AsOf), so the count does not depend on which second each
        // domain started in; a generous timeout, as 20 handshakes at once on a loaded machine are slow.
        _lab.Timeout = TimeSpan.FromSeconds(30);
        using DryRunSession session = _lab.Session(options: _lab.Options with { AsOf = DateTimeOffset.UtcNow });
        DomainEvidence[] all = await Task.WhenAll(domains.Select(d => session.Gatherer.GatherMxAsync(d, CancellationToken.None))).WaitAsync(HangGuard.Limit);

        Assert.All(all, e => Assert.Equal(Outcome.Deliver, VerdictEngine.Judge(e, new JudgeOptions { SmtpDaneMode = SmtpDaneMode.Mandatory }).Outcome));
        Assert.All(all, e => Assert.True(Assert.Single(Assert.Single(e.Hosts).Addresses).Pkix!.Valid));
        Assert.Equal(Hosts, session.SmtpCounters.HandshakesCompleted);
        Assert.Equal(Hosts, session.Gatherer.PkixValidations);
        Assert.Equal(Hosts, session.Gatherer.PkixChainBuilds);
        Assert.Equal(Hosts, session.Gatherer.DaneEvaluations);

        // The certificate summaries on the evidence are made once per served chain too: the ten
        // domains of a host carry the very same list, and different hosts different ones.
        var summaries = all.Select(e => e.Hosts[0].Addresses[0].Chain).ToList();
        Assert.All(summaries, c => Assert.Equal(0, c[0].Depth));
        Assert.Equal(Hosts, summaries.Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.All(all.GroupBy(e => e.Hosts[0].Name), g => Assert.Single(g.Select(e => e.Hosts[0].Addresses[0].Chain).Distinct(ReferenceEqualityComparer.Instance)));
    }

    [Fact]
    public async Task Dane_ta_name_checks_of_two_domains_on_one_host_are_judged_apart()
    {
        // The leaf names only one of the two recipient domains, not the host: under DANE-TA the
        // recipient domain is a reference name (RFC 7672 §3.2.3), so one domain authenticates and
        // the other does not, from one probe of the shared host.
        const string Host = "mx.ta.test";
        X509Certificate2 leaf = GathererLab.Leaf("good.ta.test");
        _lab.Host(Host, GathererLab.GoodSmtp(leaf));
        byte[] anchor = SHA256.HashData(GathererLab.Intermediate.RawData);
        _lab.Dns.Answer(_lab.TlsaName(Host), DnsType.Tlsa, true, TestDnsRecord.Tlsa(_lab.TlsaName(Host), 2, 0, 1, anchor));
        _lab.Mx("good.ta.test", true, (10, Host));
        _lab.Mx("other.ta.test", true, (10, Host));

        _lab.Timeout = TimeSpan.FromSeconds(30);
        using DryRunSession session = _lab.Session(options: _lab.Options with { AsOf = DateTimeOffset.UtcNow });
        DomainEvidence[] both = await Task.WhenAll(
            session.Gatherer.GatherMxAsync("good.ta.test", CancellationToken.None),
            session.Gatherer.GatherMxAsync("other.ta.test", CancellationToken.None)).WaitAsync(HangGuard.Limit);

        Assert.True(both[0].Hosts[0].Addresses[0].Dane!.Authenticated);
        Assert.False(both[1].Hosts[0].Addresses[0].Dane!.Authenticated);
        Assert.Equal(1, session.SmtpCounters.HandshakesCompleted);
        Assert.Equal(2, session.Gatherer.DaneEvaluations);
        Assert.Equal(1, session.Gatherer.PkixValidations); // PKIX checks the host name, the same for both
        Assert.Equal(1, session.Gatherer.PkixChainBuilds);
    }

    [Fact]
    public async Task Hosts_that_serve_one_certificate_share_its_path_build_and_keep_their_own_name_checks()
    {
        // A provider's MX hosts commonly serve one wildcard certificate. The path is built once; the
        // name is checked per host, so the host the wildcard does not cover fails on its name alone.
        X509Certificate2 leaf = GathererLab.Leaf("*.pool.test");
        string[] covered = ["a.pool.test", "b.pool.test", "c.pool.test"];
        const string Uncovered = "mx.elsewhere.test";
        foreach (string host in covered.Append(Uncovered))
        {
            _lab.Host(host, GathererLab.GoodSmtp(leaf));
            _lab.Mx("to-" + host, true, (10, host));
        }

        _lab.Timeout = TimeSpan.FromSeconds(30);
        using DryRunSession session = _lab.Session(options: _lab.Options with { AsOf = DateTimeOffset.UtcNow });
        DomainEvidence[] all = await Task.WhenAll(covered.Append(Uncovered).Select(h => session.Gatherer.GatherMxAsync("to-" + h, CancellationToken.None))).WaitAsync(HangGuard.Limit);

        Assert.Equal(4, session.SmtpCounters.HandshakesCompleted);
        Assert.Equal(4, session.Gatherer.PkixValidations);
        Assert.Equal(1, session.Gatherer.PkixChainBuilds);
        for (int i = 0; i < covered.Length; i++)
        {
            Assert.True(all[i].Hosts[0].Addresses[0].Pkix!.Valid, all[i].Hosts[0].Addresses[0].Pkix!.Detail);
        }

        var other = all[^1].Hosts[0].Addresses[0].Pkix!;
        Assert.False(other.Valid);
        Assert.Equal(PkixFailure.NameMismatch, other.Failure);
        Assert.Contains(Uncovered, other.Detail, StringComparison.Ordinal);
    }
}
