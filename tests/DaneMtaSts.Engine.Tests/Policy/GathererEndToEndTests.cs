using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Engine.Tests.MtaSts;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Policy;

/// <summary>
/// The whole pipeline — DryRunSession → EvidenceGatherer → VerdictEngine — against the scripted
/// DNS, SMTP and HTTPS servers of <see cref="GathererLab"/>, no mocks (docs/verdicts.md end to end).
/// </summary>
public sealed class GathererEndToEndTests : IAsyncDisposable
{
    private readonly GathererLab _lab = new();

    public ValueTask DisposeAsync() => _lab.DisposeAsync();

    private static ScriptedSmtpConnection OnlyConnection(ScriptedSmtpServer? listener) => Assert.Single(Assert.IsType<ScriptedSmtpServer>(listener).Connections);

    /// <summary>A DNSSEC-signed domain whose one MX host publishes DANE-EE for the leaf it serves.</summary>
    private (IPAddress Address, X509Certificate2 Leaf) SignedDaneDomain(string domain, string host, bool tlsaMatches = true)
    {
        X509Certificate2 leaf = GathererLab.Leaf(host);
        IPAddress address = _lab.Host(host, GathererLab.GoodSmtp(leaf));
        _lab.Mx(domain, true, (10, host));
        _lab.TlsaEe(host, tlsaMatches ? leaf : GathererLab.Leaf(host));
        return (address, leaf);
    }

    [Fact]
    public async Task Dane_ee_match_delivers_with_security_Dane_in_both_dane_modes_and_sends_the_tlsa_base_name_as_sni()
    {
        (IPAddress address, _) = SignedDaneDomain("dane.test", "mx.dane.test");

        LabRun run = await _lab.RunAsync("dane.test");

        foreach (TlsPolicyResult result in new[] { run.Opportunistic, run.Mandatory })
        {
            Assert.Equal(Outcome.Deliver, result.Outcome);
            Assert.Equal(TransportSecurity.Dane, result.Security);
            Assert.Null(result.StatusCode);
            Assert.Equal("mx.dane.test", result.MxHost);
            Assert.Equal("tlsa", result.PolicyType);
        }

        HostEvidence host = Assert.Single(run.Evidence.Hosts);
        Assert.Equal(TlsaState.Usable, host.Tlsa);
        Assert.Equal("mx.dane.test", host.TlsaBaseName);
        Assert.True(run.Evidence.Resolver.Validates);
        ScriptedSmtpConnection seen = OnlyConnection(_lab.ListenerAt(address));
        Assert.Equal("mx.dane.test", seen.ReceivedSni);
        Assert.True(seen.TlsEstablished);
        Assert.Equal("probe.gatherer.test", seen.EhloName);

        // None for both modes looks nothing up and still uses STARTTLS.
        TlsPolicyResult none = run.NoValidation;
        Assert.Equal(Outcome.Deliver, none.Outcome);
        Assert.Equal(TransportSecurity.Tls, none.Security);
    }

    [Fact]
    public async Task Tlsa_that_matches_nothing_queues_4_7_323_and_never_falls_back()
    {
        SignedDaneDomain("wrong.test", "mx.wrong.test", tlsaMatches: false);

        LabRun run = await _lab.RunAsync("wrong.test");

        foreach (TlsPolicyResult result in new[] { run.Opportunistic, run.Mandatory })
        {
            Assert.Equal(Outcome.Queue, result.Outcome);
            Assert.Equal("4.7.323", result.StatusCode);
            Assert.Equal("tlsa-invalid", result.StatusText);
            Assert.Equal("mx.wrong.test", result.MxHost);
            Assert.Null(result.Security);
        }
    }

    [Theory]
    [InlineData(TestDnsFault.ServFail)]
    [InlineData(TestDnsFault.Bogus)]
    [InlineData(TestDnsFault.Refused)]
    public async Task Failed_tlsa_lookup_queues_4_7_324_even_with_a_passing_mta_sts_enforce_policy(TestDnsFault fault)
    {
        const string Domain = "tlsafail.test";
        const string Host = "mx.tlsafail.test";
        X509Certificate2 leaf = GathererLab.Leaf(Host);
        _lab.Host(Host, GathererLab.GoodSmtp(leaf));
        _lab.Mx(Domain, true, (10, Host));
        _lab.Dns.Fault(_lab.TlsaName(Host), DnsType.Tlsa, fault, false, TestDnsRecord.Tlsa(_lab.TlsaName(Host), 3, 1, 1, TestPki.SpkiSha256(leaf)));
        _lab.MtaSts(Domain, "20250101", TestHttpsServer.Policy(GathererLab.EnforcePolicy(Host)));

        LabRun run = await _lab.RunAsync(Domain);

        // The policy really was fetched and would pass on its own: the TLSA failure alone decides (docs/edge-cases.md#d9, docs/edge-cases.md#s9).
        Assert.NotNull(run.Evidence.MtaSts.Policy);
        Assert.Equal(MtaStsPolicyMode.Enforce, run.Evidence.MtaSts.Policy!.Mode);
        Assert.True(run.Evidence.Hosts[0].Addresses[0].Pkix!.Valid);
        Assert.Equal(TlsaState.LookupFailed, run.Evidence.Hosts[0].Tlsa);
        foreach (TlsPolicyResult result in new[] { run.Opportunistic, run.Mandatory })
        {
            Assert.Equal(Outcome.Queue, result.Outcome);
            Assert.Equal("4.7.324", result.StatusCode);
            Assert.Equal(Host, result.MxHost);
        }

        // With DANE off the same evidence is judged by MTA-STS alone.
        TlsPolicyResult stsOnly = run.Judge(SmtpDaneMode.None);
        Assert.Equal(Outcome.Deliver, stsOnly.Outcome);
        Assert.Equal(TransportSecurity.MtaSts, stsOnly.Security);
    }

    [Fact]
    public async Task Insecure_mx_delivers_over_unauthenticated_tls_without_any_tlsa_lookup_and_mandatory_queues_4_7_324()
    {
        const string Host = "mx.plain.test";
        _lab.Host(Host, GathererLab.GoodSmtp(GathererLab.Leaf(Host)), secure: false);
        _lab.Mx("plain.test", false, (10, Host));

        LabRun run = await _lab.RunAsync("plain.test");

        Assert.Equal(Outcome.Deliver, run.Opportunistic.Outcome);
        Assert.Equal(TransportSecurity.Tls, run.Opportunistic.Security);
        Assert.Equal(Outcome.Queue, run.Mandatory.Outcome);
        Assert.Equal("4.7.324", run.Mandatory.StatusCode);
        Assert.False(run.Evidence.Hosts[0].DaneApplicable);

        // RFC 7672 §2.2.1: with an insecure MX RRset no TLSA query is sent at all.
        Assert.Equal(0, _lab.Dns.QueryCount(_lab.TlsaName(Host), DnsType.Tlsa));
    }

    [Fact]
    public async Task Mta_sts_enforce_with_a_pkix_valid_matching_host_delivers_with_security_MtaSts()
    {
        const string Domain = "sts.test";
        const string Host = "mx.sts.test";
        _lab.Host(Host, GathererLab.GoodSmtp(GathererLab.Leaf(Host)), secure: false);
        _lab.Mx(Domain, false, (10, Host));
        TestHttpsServer https = _lab.MtaSts(Domain, "abc123", TestHttpsServer.Policy(GathererLab.EnforcePolicy("*.sts.test")));
        var cache = new InMemoryMtaStsPolicyCache();

        LabRun run = await _lab.RunAsync(Domain, cache);

        TlsPolicyResult result = run.Opportunistic;
        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.MtaSts, result.Security);
        Assert.Equal("sts", result.PolicyType);
        Assert.Equal("Fetched", run.Evidence.MtaSts.Source);
        Assert.Equal(["mta-sts.sts.test"], https.ServerNames);
        Assert.Equal("abc123", cache.Get(Domain)?.Id);

        // MTA-STS does not change a Mandatory outcome: the MX is not signed.
        Assert.Equal("4.7.324", run.Mandatory.StatusCode);
    }

    [Fact]
    public async Task Mta_sts_enforce_whose_mx_patterns_match_no_host_queues_4_4_8()
    {
        const string Domain = "mismatch.test";
        const string Host = "mx.mismatch.test";
        var address = _lab.Host(Host, GathererLab.GoodSmtp(GathererLab.Leaf(Host)), secure: false);
        _lab.Mx(Domain, false, (10, Host));
        _lab.MtaSts(Domain, "1", TestHttpsServer.Policy(GathererLab.EnforcePolicy("mail.elsewhere.test")));

        LabRun run = await _lab.RunAsync(Domain);

        TlsPolicyResult result = run.Opportunistic;
        Assert.Equal(Outcome.Queue, result.Outcome);
        Assert.Equal("4.4.8", result.StatusCode);
        Assert.Equal("MX hosts of mismatch.test failed MTA-STS validation", result.StatusText);
        Assert.False(Assert.Single(result.Hosts).Candidate);
        Assert.NotNull(_lab.ListenerAt(address));
    }

    [Fact]
    public async Task Cnamed_mx_host_uses_the_tlsa_records_and_sni_of_the_expanded_name_first()
    {
        const string Domain = "alias.test";
        const string Alias = "mx.alias.test";
        const string Target = "smtp.hoster.test";
        X509Certificate2 leaf = GathererLab.Leaf(Target);
        IPAddress address = _lab.NewAddress();
        _lab.Listen(address, GathererLab.GoodSmtp(leaf));
        _lab.Mx(Domain, true, (10, Alias));
        _lab.Dns.Answer(Alias, DnsType.A, true, TestDnsRecord.Cname(Alias, Target), TestDnsRecord.A(Target, address.ToString()));
        _lab.Dns.Answer(Alias, DnsType.Aaaa, true, TestDnsRecord.Cname(Alias, Target));
        _lab.Dns.Answer(Target, DnsType.Aaaa, true);

        // The expanded name's record matches; the original name's does not: only the first may be used.
        _lab.TlsaEe(Target, leaf);
        _lab.TlsaEe(Alias, GathererLab.Leaf(Alias));

        LabRun run = await _lab.RunAsync(Domain);

        Assert.Equal(Outcome.Deliver, run.Opportunistic.Outcome);
        Assert.Equal(TransportSecurity.Dane, run.Opportunistic.Security);
        HostEvidence host = Assert.Single(run.Evidence.Hosts);
        Assert.Equal(Target, host.TlsaBaseName);
        Assert.Equal([Target], host.CnameChain);
        Assert.Equal(Target, OnlyConnection(_lab.ListenerAt(address)).ReceivedSni);
    }

    [Fact]
    public async Task Cnamed_mx_host_with_a_failing_tlsa_lookup_at_the_expanded_name_does_not_fall_back_to_the_original_name()
    {
        const string Alias = "mx.alias2.test";
        const string Target = "smtp.hoster2.test";
        X509Certificate2 leaf = GathererLab.Leaf(Target);
        IPAddress address = _lab.NewAddress();
        _lab.Listen(address, GathererLab.GoodSmtp(leaf));
        _lab.Mx("alias2.test", true, (10, Alias));
        _lab.Dns.Answer(Alias, DnsType.A, true, TestDnsRecord.Cname(Alias, Target), TestDnsRecord.A(Target, address.ToString()));
        _lab.Dns.Answer(Alias, DnsType.Aaaa, true, TestDnsRecord.Cname(Alias, Target));
        _lab.Dns.Answer(Target, DnsType.Aaaa, true);
        _lab.Dns.Fault(_lab.TlsaName(Target), DnsType.Tlsa, TestDnsFault.ServFail);
        _lab.TlsaEe(Alias, leaf);

        LabRun run = await _lab.RunAsync("alias2.test");

        Assert.Equal(Outcome.Queue, run.Opportunistic.Outcome);
        Assert.Equal("4.7.324", run.Opportunistic.StatusCode);
        Assert.Equal(TlsaState.LookupFailed, run.Evidence.Hosts[0].Tlsa);
    }

    [Fact]
    public async Task Two_mx_hosts_with_the_preferred_one_refusing_deliver_through_the_second_and_say_why()
    {
        const string Domain = "two.test";
        X509Certificate2 leaf2 = GathererLab.Leaf("mx2.two.test");
        IPAddress first = _lab.Host("mx1.two.test", script: null);
        IPAddress second = _lab.Host("mx2.two.test", GathererLab.GoodSmtp(leaf2));
        _lab.Mx(Domain, true, (20, "mx2.two.test"), (10, "mx1.two.test"));
        _lab.TlsaEe("mx1.two.test", GathererLab.Leaf("mx1.two.test"));
        _lab.TlsaEe("mx2.two.test", leaf2);

        LabRun run = await _lab.RunAsync(Domain);

        TlsPolicyResult result = run.Mandatory;
        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Equal("mx2.two.test", result.MxHost);
        Assert.Contains("mx1.two.test failed", result.Reason, StringComparison.Ordinal);
        Assert.Equal(["mx1.two.test", "mx2.two.test"], run.Evidence.Hosts.Select(h => h.Name));
        Assert.False(run.Evidence.Hosts[0].Addresses[0].Connected);
        Assert.Null(_lab.ListenerAt(first));
        Assert.Single(_lab.ListenerAt(second)!.Connections);
    }

    [Fact]
    public async Task Host_shared_by_three_domains_is_looked_up_and_probed_once_per_call()
    {
        const string Host = "mx.shared.test";
        X509Certificate2 leaf = GathererLab.Leaf(Host);
        IPAddress address = _lab.Host(Host, GathererLab.GoodSmtp(leaf));
        _lab.TlsaEe(Host, leaf);
        string[] domains = ["one.test", "two.test", "three.test"];
        foreach (string domain in domains)
        {
            _lab.Mx(domain, true, (10, Host));
        }

        using DryRunSession session = _lab.Session();
        DomainEvidence[] all = await Task.WhenAll(domains.Select(d => session.Gatherer.GatherMxAsync(d, CancellationToken.None)));

        Assert.All(all, e => Assert.Equal(Outcome.Deliver, VerdictEngine.Judge(e, new JudgeOptions { SmtpDaneMode = SmtpDaneMode.Mandatory }).Outcome));
        Assert.Equal(1, _lab.Dns.QueryCount(_lab.TlsaName(Host), DnsType.Tlsa));
        Assert.Equal(1, _lab.Dns.QueryCount(Host, DnsType.A));
        Assert.Equal(1, _lab.Dns.QueryCount(Host, DnsType.Aaaa));
        Assert.Single(_lab.ListenerAt(address)!.Connections);
        Assert.Equal(1, session.SmtpCounters.ConnectAttempts);
        Assert.Equal(1, session.SmtpCounters.HandshakesCompleted);

        // Per domain: MX, _smtp._tls TXT, _mta-sts TXT; once per call: DNSKEY ., A, AAAA, TLSA.
        Assert.Equal(13, _lab.Dns.TotalQueries);
        Assert.Equal(_lab.Dns.TotalQueries, session.Dns.Counters.QueriesSent);
    }

    [Fact]
    public async Task Cancelling_a_gathering_stuck_on_a_silent_smtp_server_ends_it_promptly_and_closes_the_connection()
    {
        const string Host = "mx.silent.test";
        IPAddress address = _lab.Host(Host, async (c, ct) => await c.ReadLineAsync(ct));
        _lab.Mx("silent.test", true, (10, Host));
        _lab.Timeout = TimeSpan.FromSeconds(30);
        using DryRunSession session = _lab.Session();
        using var cts = new CancellationTokenSource();
        ScriptedSmtpServer listener = _lab.ListenerAt(address)!;

        Task<DomainEvidence> gathering = session.Gatherer.GatherMxAsync("silent.test", cts.Token);
        await WaitUntilAsync(() => !listener.Connections.IsEmpty, HangGuard.Limit);
        var watch = Stopwatch.StartNew();
        await cts.CancelAsync();

        // The exception is the proof: the 30 s timeout would have ended the gathering with evidence instead.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gathering);
        HangGuard.Check(watch.Elapsed, "cancelling the gathering");

        // The probe's socket is closed: the server sees the client go away.
        await WaitUntilAsync(() => listener.OpenConnections == 0, HangGuard.Limit);
    }

    [Fact]
    public async Task Cancelling_a_gathering_stuck_on_a_silent_dns_server_ends_it_promptly()
    {
        _lab.Dns.Fault("hang.test", DnsType.Mx, TestDnsFault.Timeout);
        _lab.Timeout = TimeSpan.FromSeconds(30);
        using DryRunSession session = _lab.Session();
        using var cts = new CancellationTokenSource();

        Task<DomainEvidence> gathering = session.Gatherer.GatherMxAsync("hang.test", cts.Token);
        await WaitUntilAsync(() => _lab.Dns.QueryCount("hang.test", DnsType.Mx) > 0, HangGuard.Limit);
        var watch = Stopwatch.StartNew();
        await cts.CancelAsync();

        // The exception is the proof: the 30 s timeout would have ended the gathering with evidence instead.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gathering);
        HangGuard.Check(watch.Elapsed, "cancelling the gathering");
    }

    // docs/verdicts.md#tls-settings: TlsSettings DomainValidation needs a trusted chain whose
    // name matches TlsDomain; a TlsDomain of "*.partner.test" covers a host one label below it.
    [Theory]
    [InlineData("relay.partner.test", true)]
    [InlineData("*.partner.test", true)]
    [InlineData("*.other.test", false)]
    [InlineData("partner.test", false)]
    public async Task Domain_validation_matches_the_certificate_against_tls_domain(string tlsDomain, bool delivers)
    {
        const string Relay = "relay.partner.test";
        _lab.Host(Relay, GathererLab.GoodSmtp(GathererLab.Leaf(Relay)), secure: false);
        using DryRunSession session = _lab.Session(options: _lab.Options with { TlsDomain = tlsDomain });

        DomainEvidence evidence = await session.Gatherer.GatherSmartHostsAsync("partner.test", [Relay], CancellationToken.None);
        TlsPolicyResult result = VerdictEngine.Judge(evidence, new JudgeOptions { TlsSettings = TlsAuthLevel.DomainValidation, TlsDomain = tlsDomain });

        Assert.Equal(delivers ? Outcome.Deliver : Outcome.Queue, result.Outcome);
        Assert.Equal(delivers ? null : "4.7.320", result.StatusCode);
    }

    [Fact]
    public async Task Smart_hosts_replace_the_mx_list_get_dane_by_their_own_address_records_and_skip_cidr_ranges()
    {
        const string Signed = "relay.partner.test";
        const string Unsigned = "relay2.partner.test";
        X509Certificate2 leaf = GathererLab.Leaf(Signed);
        IPAddress address = _lab.Host(Signed, GathererLab.GoodSmtp(leaf));
        _lab.TlsaEe(Signed, leaf);
        _lab.Host(Unsigned, GathererLab.GoodSmtp(GathererLab.Leaf(Unsigned)), secure: false);
        using DryRunSession session = _lab.Session();

        DomainEvidence evidence = await session.Gatherer.GatherSmartHostsAsync("partner.test", ["192.0.2.0/24", Signed, Unsigned], CancellationToken.None);
        DomainEvidence unsignedOnly = await session.Gatherer.GatherSmartHostsAsync("partner.test", [Unsigned], CancellationToken.None);

        TlsPolicyResult result = VerdictEngine.Judge(evidence, new JudgeOptions { SmtpDaneMode = SmtpDaneMode.Mandatory });
        Assert.Equal(Outcome.Deliver, result.Outcome);
        Assert.Equal(TransportSecurity.Dane, result.Security);
        Assert.Equal(Signed, result.MxHost);
        Assert.Equal([Signed, Unsigned], evidence.Hosts.Select(h => h.Name));
        Assert.Contains(evidence.Mx.Notes, n => n.Contains("192.0.2.0/24", StringComparison.Ordinal));
        Assert.False(evidence.MtaSts.Consulted);
        Assert.Equal(0, _lab.Dns.QueryCount("partner.test", DnsType.Mx));
        Assert.Equal(Signed, OnlyConnection(_lab.ListenerAt(address)).ReceivedSni);

        TlsPolicyResult mandatoryUnsigned = VerdictEngine.Judge(unsignedOnly, new JudgeOptions { SmtpDaneMode = SmtpDaneMode.Mandatory });
        Assert.Equal("4.7.324", mandatoryUnsigned.StatusCode);
        TlsPolicyResult opportunisticUnsigned = VerdictEngine.Judge(unsignedOnly, new JudgeOptions());
        Assert.Equal(TransportSecurity.Tls, opportunisticUnsigned.Security);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < limit, $"condition not met within {limit}");
            await Task.Delay(20);
        }
    }
}
