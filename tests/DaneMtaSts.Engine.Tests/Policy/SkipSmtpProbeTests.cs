using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>
/// -SkipSmtpProbe through the whole engine (docs/verdicts.md#indeterminate-skip-probe): what DNS and
/// the MTA-STS policy decide stays decided, what needs the served chain is Indeterminate, and not
/// one SMTP connection is made (counted by the prober and by the listening servers).
/// </summary>
public sealed class SkipSmtpProbeTests : IAsyncDisposable
{
    private readonly GathererLab _lab = new();

    public ValueTask DisposeAsync() => _lab.DisposeAsync();

    private async Task<(TlsPolicyResult Opportunistic, TlsPolicyResult Mandatory, long Connects)> SkippedAsync(string domain)
    {
        using DryRunSession session = _lab.Session(options: _lab.Options with { SkipSmtpProbe = true });
        DomainEvidence evidence = await session.Gatherer.GatherMxAsync(domain, CancellationToken.None);
        var opportunistic = VerdictEngine.Judge(evidence, new JudgeOptions { Port25Reached = session.Port25Reached });
        var mandatory = VerdictEngine.Judge(evidence, new JudgeOptions { SmtpDaneMode = SmtpDaneMode.Mandatory, Port25Reached = session.Port25Reached });
        return (opportunistic, mandatory, session.SmtpCounters.ConnectAttempts);
    }

    [Fact]
    public async Task Dns_decided_verdicts_stay_decided_and_the_rest_is_indeterminate_with_no_smtp_connection()
    {
        // A DANE host: its verdict needs the served chain.
        var daneLeaf = GathererLab.Leaf("mx.dane.skip.test");
        _lab.Host("mx.dane.skip.test", GathererLab.GoodSmtp(daneLeaf));
        _lab.Mx("dane.skip.test", true, (10, "mx.dane.skip.test"));
        _lab.TlsaEe("mx.dane.skip.test", daneLeaf);

        // Unsigned MX: Mandatory decides 4.7.324 from DNS alone.
        _lab.Host("mx.unsigned.skip.test", GathererLab.GoodSmtp(GathererLab.Leaf("mx.unsigned.skip.test")), secure: false);
        _lab.Mx("unsigned.skip.test", false, (10, "mx.unsigned.skip.test"));

        // Signed, no TLSA: Mandatory decides 4.7.323 from DNS alone.
        _lab.Host("mx.notlsa.skip.test", GathererLab.GoodSmtp(GathererLab.Leaf("mx.notlsa.skip.test")));
        _lab.Mx("notlsa.skip.test", true, (10, "mx.notlsa.skip.test"));

        // Bogus MX: 4.7.324 with DANE on.
        _lab.Dns.Fault("bogus.skip.test", DnsType.Mx, TestDnsFault.Bogus, false, TestDnsRecord.Mx("bogus.skip.test", 10, "mx.bogus.skip.test"));

        // Null MX and NXDOMAIN: Reject.
        _lab.Dns.Answer("nullmx.skip.test", DnsType.Mx, true, TestDnsRecord.Mx("nullmx.skip.test", 0, "."));
        _lab.Dns.NxDomain("gone.skip.test", DnsType.Mx, true);

        var dane = await SkippedAsync("dane.skip.test");
        var unsigned = await SkippedAsync("unsigned.skip.test");
        var noTlsa = await SkippedAsync("notlsa.skip.test");
        var bogus = await SkippedAsync("bogus.skip.test");
        var nullMx = await SkippedAsync("nullmx.skip.test");
        var gone = await SkippedAsync("gone.skip.test");

        Assert.Equal((Outcome.Indeterminate, FailureKind.ProbeSkipped), (dane.Opportunistic.Outcome, dane.Opportunistic.Kind));
        Assert.Equal((Outcome.Indeterminate, FailureKind.ProbeSkipped), (dane.Mandatory.Outcome, dane.Mandatory.Kind));
        Assert.Null(dane.Mandatory.StatusCode);
        Assert.Contains("-SkipSmtpProbe", dane.Mandatory.Reason, StringComparison.Ordinal);

        Assert.Equal(Outcome.Indeterminate, unsigned.Opportunistic.Outcome);
        Assert.Equal((Outcome.Queue, "4.7.324", FailureKind.DnssecInsecure), (unsigned.Mandatory.Outcome, unsigned.Mandatory.StatusCode, unsigned.Mandatory.Kind));

        Assert.Equal(Outcome.Indeterminate, noTlsa.Opportunistic.Outcome);
        Assert.Equal((Outcome.Queue, "4.7.323", FailureKind.NoUsableTlsa), (noTlsa.Mandatory.Outcome, noTlsa.Mandatory.StatusCode, noTlsa.Mandatory.Kind));

        Assert.Equal((Outcome.Queue, "4.7.324", FailureKind.DnssecBogus), (bogus.Opportunistic.Outcome, bogus.Opportunistic.StatusCode, bogus.Opportunistic.Kind));
        Assert.Equal((Outcome.Reject, "5.1.10", FailureKind.NullMx), (nullMx.Mandatory.Outcome, nullMx.Mandatory.StatusCode, nullMx.Mandatory.Kind));
        Assert.Equal((Outcome.Reject, "5.4.310", FailureKind.DomainNotFound), (gone.Opportunistic.Outcome, gone.Opportunistic.StatusCode, gone.Opportunistic.Kind));

        // Facts, not guesses: the prober counted no attempt and no server saw a connection.
        Assert.Equal(0, dane.Connects + unsigned.Connects + noTlsa.Connects + bogus.Connects + nullMx.Connects + gone.Connects);
        Assert.All(_lab.Listeners, l => Assert.Empty(l.Connections));
        Assert.Equal(3, _lab.Listeners.Count());
    }

    [Fact]
    public async Task Mta_sts_enforce_without_a_matching_mx_is_decided_by_the_policy()
    {
        _lab.Host("mx.sts.skip.test", GathererLab.GoodSmtp(GathererLab.Leaf("mx.sts.skip.test")), secure: false);
        _lab.Mx("sts.skip.test", false, (10, "mx.sts.skip.test"));
        _lab.MtaSts("sts.skip.test", "20261202", TestHttpsServer.Policy(GathererLab.EnforcePolicy("*.elsewhere.test")));

        var result = await SkippedAsync("sts.skip.test");

        Assert.Equal((Outcome.Queue, "4.4.8", FailureKind.StsMxMismatch), (result.Opportunistic.Outcome, result.Opportunistic.StatusCode, result.Opportunistic.Kind));
        Assert.Equal(0, result.Connects);
        Assert.All(_lab.Listeners, l => Assert.Empty(l.Connections));
    }
}
