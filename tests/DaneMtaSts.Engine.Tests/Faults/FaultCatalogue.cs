using System.Security.Cryptography.X509Certificates;
using System.Text;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Tests.MtaSts;
using DaneMtaSts.Engine.Tests.Policy;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Faults;

/// <summary>What one mode must decide.</summary>
internal sealed record Expect(Outcome Outcome, string? Code, TransportSecurity? Security = null)
{
    public static Expect Queue(string code) => new(Outcome.Queue, code);

    public static Expect Deliver(TransportSecurity security) => new(Outcome.Deliver, null, security);

    /// <summary>This run could not decide (e.g. no host reached on port 25): no status code.</summary>
    public static Expect Indeterminate() => new(Outcome.Indeterminate, null);

    public override string ToString() => Outcome == Outcome.Deliver ? $"Deliver {Security}" : $"{Outcome} {Code}";
}

/// <summary>What a case set up in the lab: the domain to gather, and the policy cache to use.</summary>
internal sealed record Arranged(string Domain, IMtaStsPolicyCache? Cache = null);

/// <summary>One injected fault and the verdict docs/verdicts.md documents for it.</summary>
internal sealed record FaultCase(
    string Area,
    string Fault,
    string Setup,
    Func<GathererLab, Arranged> Arrange,
    Expect Opportunistic,
    Expect Mandatory,
    Action<LabRun, GathererLab>? Check = null)
{
    public string Id => FaultCatalogue.Id(Area, Fault, Setup);

    public override string ToString() => Id;
}

/// <summary>The faults docs/verdicts.md#fail-closed guards against, each with its documented verdict.</summary>
internal static class FaultCatalogue
{
    public const string UsableTlsa = "usable TLSA";
    public const string NoDane = "no DANE";
    public const string NoCache = "MTA-STS enforce, no cached policy";
    public const string WithCache = "MTA-STS enforce, cached policy";

    private const string DnsDomain = "dns.fault.test";
    private const string DnsHost = "mx.dns.fault.test";
    private const string SmtpDomain = "smtp.fault.test";
    private const string SmtpHost = "mx.smtp.fault.test";
    private const string StsDomain = "sts.fault.test";
    private const string StsHost = "mx.sts.fault.test";

    private static readonly Lazy<(X509Certificate2 Leaf, ServedChain Served, X509Certificate2 Root)> DeepChain = new(() =>
    {
        // 20 certificates on the wire: leaf, 18 intermediates, root.
        X509Certificate2 root = TestPki.CreateRoot("Deep Root");
        var cas = new List<X509Certificate2>();
        X509Certificate2 issuer = root;
        for (int i = 1; i <= 18; i++)
        {
            issuer = TestPki.CreateIntermediate(issuer, $"Deep Intermediate {i}");
            cas.Add(issuer);
        }

        X509Certificate2 leaf = TestPki.CreateLeaf(issuer, SmtpHost, [SmtpHost]);
        cas.Reverse();
        return (leaf, new ServedChain(leaf, [leaf, .. cas, root]), root);
    });

    public static string Id(string area, string fault, string setup) => $"{area}: {fault} [{setup}]";

    public static IReadOnlyList<FaultCase> All { get; } = [.. DnsCases(), .. SmtpCases(), .. HttpsCases()];

    public static FaultCase Get(string id) => All.Single(c => c.Id == id);

    public static TheoryData<string> Ids(string area)
    {
        var data = new TheoryData<string>();
        foreach (FaultCase c in All.Where(c => c.Area == area))
        {
            data.Add(c.Id);
        }

        return data;
    }

    // ---- DNS -------------------------------------------------------------------------------

    /// <summary>A signed domain, a signed host with a matching DANE-EE record and a good server; the fault overrides one answer.</summary>
    private static Arranged SignedDaneDomain(GathererLab lab, Action<GathererLab, X509Certificate2>? fault)
    {
        X509Certificate2 leaf = GathererLab.Leaf(DnsHost);
        lab.Host(DnsHost, GathererLab.GoodSmtp(leaf));
        lab.Mx(DnsDomain, true, (10, DnsHost));
        lab.TlsaEe(DnsHost, leaf);
        fault?.Invoke(lab, leaf);
        return new Arranged(DnsDomain);
    }

    private static TestDnsRecord MxRecord => TestDnsRecord.Mx(DnsDomain, 10, DnsHost);

    private static TestDnsRecord TlsaRecord(GathererLab lab, X509Certificate2 leaf) =>
        TestDnsRecord.Tlsa(lab.TlsaName(DnsHost), 3, 1, 1, TestPki.SpkiSha256(leaf));

    private static FaultCase MxFault(string name, TestDnsFault fault, Expect both) =>
        new("DNS", $"{name} (MX)", UsableTlsa, lab => SignedDaneDomain(lab, (l, _) => l.Dns.Fault(DnsDomain, DnsType.Mx, fault, true, MxRecord)), both, both);

    private static FaultCase TlsaFault(string name, TestDnsFault fault, Expect both) =>
        new("DNS", $"{name} (TLSA)", UsableTlsa, lab => SignedDaneDomain(lab, (l, leaf) => l.Dns.Fault(l.TlsaName(DnsHost), DnsType.Tlsa, fault, true, TlsaRecord(l, leaf))), both, both,
            (run, _) => Assert.Equal(TlsaState.LookupFailed, run.Evidence.Hosts[0].Tlsa));

    private static IEnumerable<FaultCase> DnsCases()
    {
        Expect lookupFailed = Expect.Queue("4.4.312");
        Expect dnssecInvalid = Expect.Queue("4.7.324");
        Expect dane = Expect.Deliver(TransportSecurity.Dane);

        yield return MxFault("timeout", TestDnsFault.Timeout, lookupFailed);
        yield return TlsaFault("timeout", TestDnsFault.Timeout, dnssecInvalid);
        yield return MxFault("SERVFAIL", TestDnsFault.ServFail, lookupFailed);
        yield return TlsaFault("SERVFAIL", TestDnsFault.ServFail, dnssecInvalid);
        yield return MxFault("REFUSED", TestDnsFault.Refused, lookupFailed);
        yield return TlsaFault("REFUSED", TestDnsFault.Refused, dnssecInvalid);

        // Truncated over UDP: the same question over TCP answers, and DANE works as if nothing happened.
        yield return new FaultCase("DNS", "truncated UDP (MX)", UsableTlsa,
            lab => SignedDaneDomain(lab, (l, _) => l.Dns.Fault(DnsDomain, DnsType.Mx, TestDnsFault.TruncateUdp, true, MxRecord)), dane, dane,
            (run, lab) => Assert.Contains(lab.Dns.Queries, q => q.Name == DnsDomain && q.Type == DnsType.Mx && q.OverTcp));
        yield return new FaultCase("DNS", "truncated UDP (TLSA)", UsableTlsa,
            lab => SignedDaneDomain(lab, (l, leaf) => l.Dns.Fault(l.TlsaName(DnsHost), DnsType.Tlsa, TestDnsFault.TruncateUdp, true, TlsaRecord(l, leaf))), dane, dane,
            (run, lab) => Assert.Contains(lab.Dns.Queries, q => q.Name == lab.TlsaName(DnsHost) && q.Type == DnsType.Tlsa && q.OverTcp));

        yield return new FaultCase("DNS", "bogus signatures (MX)", UsableTlsa,
            lab => SignedDaneDomain(lab, (l, _) => l.Dns.Fault(DnsDomain, DnsType.Mx, TestDnsFault.Bogus, true, MxRecord)), dnssecInvalid, dnssecInvalid,
            (run, _) =>
            {
                Assert.Equal(MxOutcome.Bogus, run.Evidence.Mx.Outcome);

                // DNSSEC not in play (both modes None): the same failure is a plain DNS failure.
                Assert.Equal("4.4.312", run.NoValidation.StatusCode);
            });
        yield return new FaultCase("DNS", "bogus signatures (host A)", UsableTlsa,
            lab => SignedDaneDomain(lab, (l, _) => l.Dns.Fault(DnsHost, DnsType.A, TestDnsFault.Bogus, true, TestDnsRecord.A(DnsHost, "127.0.0.1"))), dnssecInvalid, dnssecInvalid);
        yield return TlsaFault("bogus signatures", TestDnsFault.Bogus, dnssecInvalid);

        yield return MxFault("answer for the wrong name", TestDnsFault.WrongName, lookupFailed);
        yield return TlsaFault("answer for the wrong name", TestDnsFault.WrongName, dnssecInvalid);

        yield return new FaultCase("DNS", "CNAME loop (domain)", UsableTlsa,
            lab => SignedDaneDomain(lab, (l, _) => l.Dns.Answer(DnsDomain, DnsType.Mx, true,
                TestDnsRecord.Cname(DnsDomain, "loop.fault.test"), TestDnsRecord.Cname("loop.fault.test", DnsDomain))),
            lookupFailed, lookupFailed,
            (run, _) => Assert.Contains("loop", run.Evidence.Mx.Failure, StringComparison.OrdinalIgnoreCase));
        yield return new FaultCase("DNS", "CNAME loop (MX host)", UsableTlsa,
            lab => SignedDaneDomain(lab, (l, _) =>
            {
                foreach (ushort type in new[] { DnsType.A, DnsType.Aaaa })
                {
                    l.Dns.Answer(DnsHost, type, true, TestDnsRecord.Cname(DnsHost, "loop.fault.test"), TestDnsRecord.Cname("loop.fault.test", DnsHost));
                }
            }),
            lookupFailed, lookupFailed,
            (run, _) => Assert.Contains("loop", run.Evidence.Hosts[0].AddressFailure, StringComparison.OrdinalIgnoreCase));

        yield return new FaultCase("DNS", "MX set of 100 hosts (99 refuse)", UsableTlsa, HundredHosts, dane, dane,
            (run, _) =>
            {
                Assert.Equal(100, run.Evidence.Hosts.Count);
                Assert.Equal("mx000.many.fault.test", run.Opportunistic.MxHost);
                Assert.Equal(100, run.SmtpConnects);
            });
    }

    private static Arranged HundredHosts(GathererLab lab)
    {
        const string Domain = "many.fault.test";
        var mx = new List<(ushort, string)>();
        for (int i = 0; i < 100; i++)
        {
            string host = $"mx{i:000}.many.fault.test";
            if (i == 0)
            {
                X509Certificate2 leaf = GathererLab.Leaf(host);
                lab.Host(host, GathererLab.GoodSmtp(leaf));
                lab.TlsaEe(host, leaf);
            }
            else
            {
                lab.Host(host, script: null);
            }

            mx.Add(((ushort)(i + 1), host));
        }

        // Listed in reverse: the preference, not the order in the answer, decides.
        mx.Reverse();
        lab.Mx(Domain, true, [.. mx]);
        return new Arranged(Domain);
    }

    // ---- SMTP ------------------------------------------------------------------------------

    private delegate Func<ScriptedSmtpConnection, CancellationToken, Task>? SmtpScript(ServedChain tls);

    /// <summary>Answers every command with <paramref name="reply"/> until QUIT (answered 221).</summary>
    private static async Task AnswerEverythingAsync(ScriptedSmtpConnection c, string reply, CancellationToken ct)
    {
        while (await c.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("QUIT", StringComparison.OrdinalIgnoreCase))
            {
                await c.WriteLineAsync("221 2.0.0 Bye", ct);
                return;
            }

            await c.WriteLineAsync(reply, ct);
        }
    }

    /// <summary>Banner, EHLO offering STARTTLS, then <paramref name="onStartTls"/>; plain commands get 250.</summary>
    private static Func<ScriptedSmtpConnection, CancellationToken, Task> OffersStartTls(Func<ScriptedSmtpConnection, CancellationToken, Task<bool>> onStartTls) =>
        async (c, ct) =>
        {
            await c.WriteLineAsync("220 mx.smtp.fault.test ESMTP", ct);
            while (await c.ReadLineAsync(ct) is { } line)
            {
                string verb = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await c.WriteAsync("250-mx.smtp.fault.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n", ct);
                        break;
                    case "STARTTLS":
                        if (!await onStartTls(c, ct))
                        {
                            return;
                        }

                        break;
                    case "QUIT":
                        await c.WriteLineAsync("221 2.0.0 Bye", ct);
                        return;
                    default:
                        await c.WriteLineAsync("250 2.0.0 Ok", ct);
                        break;
                }
            }
        };

    private static IEnumerable<(string Fault, SmtpScript Script, Expect Dane, Expect NoDane)> SmtpFaults()
    {
        // A refused connection in a run that reached no other host on port 25 is not the partner's
        // failure: the cause may be this machine's network (docs/verdicts.md#indeterminate-vantage).
        Expect connectionFailed = Expect.Indeterminate();
        Expect smtpFailure = Expect.Queue("4.4.0");
        Expect noStartTls = Expect.Queue("4.7.321");
        Expect plaintext = Expect.Deliver(TransportSecurity.None);

        yield return ("connection refused", _ => null, connectionFailed, connectionFailed);
        yield return ("reset during the banner", _ => async (c, ct) =>
        {
            await c.WriteAsync("220-mx.smtp.fault.test ESMTP", ct);
            await Task.Delay(50, ct);
            c.Reset();
        }, smtpFailure, smtpFailure);
        yield return ("banner never comes", _ => async (c, ct) => await c.ReadLineAsync(ct), smtpFailure, smtpFailure);
        yield return ("421 banner", _ => async (c, ct) =>
        {
            await c.WriteLineAsync("421 4.3.2 Service not available, closing channel", ct);
            await AnswerEverythingAsync(c, "503 5.5.1 Bad sequence", ct);
        }, smtpFailure, smtpFailure);
        yield return ("554 banner", _ => async (c, ct) =>
        {
            await c.WriteLineAsync("554 5.3.2 No SMTP service here", ct);
            await AnswerEverythingAsync(c, "503 5.5.1 Bad sequence", ct);
        }, smtpFailure, smtpFailure);
        yield return ("451 to EHLO and HELO", _ => async (c, ct) =>
        {
            await c.WriteLineAsync("220 mx.smtp.fault.test ESMTP", ct);
            await AnswerEverythingAsync(c, "451 4.3.0 Try again later", ct);
        }, smtpFailure, smtpFailure);
        yield return ("550 to EHLO and HELO", _ => async (c, ct) =>
        {
            await c.WriteLineAsync("220 mx.smtp.fault.test ESMTP", ct);
            await AnswerEverythingAsync(c, "550 5.7.1 Go away", ct);
        }, smtpFailure, smtpFailure);
        yield return ("STARTTLS advertised, answered 454", _ => OffersStartTls(async (c, ct) =>
        {
            await c.WriteLineAsync("454 4.7.0 TLS not available due to temporary reason", ct);
            return true;
        }), noStartTls, plaintext);
        yield return ("TLS handshake aborted midway", _ => OffersStartTls(async (c, ct) =>
        {
            await c.WriteLineAsync("220 2.0.0 Ready to start TLS", ct);
            await c.ReadRawAsync(100, ct);
            c.Reset();
            return false;
        }), noStartTls, plaintext);
        yield return ("garbage instead of SMTP", _ => async (c, ct) =>
        {
            await c.WriteAsync("SSH-2.0-OpenSSH_9.6\r\n\u0001\u0002\u0003 not smtp at all\r\n", ct);
            while (await c.ReadLineAsync(ct) is not null)
            {
            }
        }, smtpFailure, smtpFailure);
    }

    private static IEnumerable<FaultCase> SmtpCases()
    {
        Expect dnssecInvalid = Expect.Queue("4.7.324");
        foreach (var (fault, script, dane, noDane) in SmtpFaults())
        {
            yield return new FaultCase("SMTP", fault, UsableTlsa, lab => SmtpDomainWith(lab, true, script), dane, dane);

            // Without DANE, Mandatory fails on the unsigned MX before any probe result counts.
            yield return new FaultCase("SMTP", fault, NoDane, lab => SmtpDomainWith(lab, false, script), noDane, dnssecInvalid);
        }

        // 20 certificates on the wire: a DANE-EE match still works, the DANE-TA path is longer than
        // the path builder follows (9 intermediates) and fails closed; without DANE it is just TLS.
        yield return new FaultCase("SMTP", "chain of 20 certificates", UsableTlsa + " (DANE-EE)",
            lab => SmtpDomainWith(lab, true, ServeDeepChain, TestPki.SpkiSha256(DeepChain.Value.Leaf), usage: 3, selector: 1),
            Expect.Deliver(TransportSecurity.Dane), Expect.Deliver(TransportSecurity.Dane),
            (run, _) => Assert.Equal(20, run.Evidence.Hosts[0].Addresses[0].Chain.Count));
        yield return new FaultCase("SMTP", "chain of 20 certificates", UsableTlsa + " (DANE-TA at the root)",
            lab => SmtpDomainWith(lab, true, ServeDeepChain, TestPki.CertSha256(DeepChain.Value.Root), usage: 2, selector: 0),
            Expect.Queue("4.7.323"), Expect.Queue("4.7.323"));
        yield return new FaultCase("SMTP", "chain of 20 certificates", NoDane,
            lab => SmtpDomainWith(lab, false, ServeDeepChain),
            Expect.Deliver(TransportSecurity.Tls), dnssecInvalid);
    }

    private static Func<ScriptedSmtpConnection, CancellationToken, Task> ServeDeepChain(ServedChain _) =>
        ScriptedSmtpServer.Esmtp(DeepChain.Value.Served);

    private static Arranged SmtpDomainWith(GathererLab lab, bool signed, SmtpScript script, byte[]? tlsaData = null, byte usage = 3, byte selector = 1)
    {
        X509Certificate2 leaf = GathererLab.Leaf(SmtpHost);
        lab.Host(SmtpHost, script(ServedChain.Of(leaf, GathererLab.Intermediate)), secure: signed);
        lab.Mx(SmtpDomain, signed, (10, SmtpHost));
        if (signed)
        {
            lab.Dns.Answer(lab.TlsaName(SmtpHost), DnsType.Tlsa, true,
                TestDnsRecord.Tlsa(lab.TlsaName(SmtpHost), usage, selector, 1, tlsaData ?? TestPki.SpkiSha256(leaf)));
        }

        return new Arranged(SmtpDomain);
    }

    // ---- HTTPS (MTA-STS) -------------------------------------------------------------------

    private static IEnumerable<(string Fault, Func<HttpExchange, Task> Handler, MtaStsFetchFailure Failure, bool WrongCertificate)> HttpsFaults()
    {
        yield return ("hang before the headers", async e => await Task.Delay(Timeout.Infinite, e.CancellationToken), MtaStsFetchFailure.Timeout, false);
        yield return ("body drips one byte a second", async e =>
        {
            await e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 200\r\nConnection: close\r\n\r\n");
            for (int i = 0; i < 200; i++)
            {
                await e.WriteAsync("v");
                await Task.Delay(1000, e.CancellationToken);
            }
        }, MtaStsFetchFailure.Timeout, false);
        yield return ("redirect (301)", TestHttpsServer.Respond(301, "text/plain", "moved", "Moved Permanently", "Location: https://mta-sts.sts.fault.test/other.txt"), MtaStsFetchFailure.Redirect, false);
        yield return ("64 KiB + 1 (Content-Length)", TestHttpsServer.Respond(200, "text/plain", Oversized(), "OK"), MtaStsFetchFailure.TooLarge, false);
        yield return ("64 KiB + 1 (streamed, no length)", async e =>
        {
            await e.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
            await e.WriteAsync(Encoding.ASCII.GetBytes(Oversized()));
        }, MtaStsFetchFailure.TooLarge, false);
        yield return ("wrong media type (text/html)", TestHttpsServer.Respond(200, "text/html", GathererLab.EnforcePolicy(StsHost), "OK"), MtaStsFetchFailure.MediaType, false);
        yield return ("wrong certificate (other name)", TestHttpsServer.Policy(GathererLab.EnforcePolicy(StsHost)), MtaStsFetchFailure.Tls, true);
        yield return ("HTTP 500", TestHttpsServer.Respond(500, "text/plain", "oops", "Internal Server Error"), MtaStsFetchFailure.HttpStatus, false);
    }

    /// <summary>A valid policy padded with comment-free filler to 64 KiB + 1 bytes.</summary>
    private static string Oversized()
    {
        string policy = GathererLab.EnforcePolicy(StsHost);
        return policy + new string('x', MtaStsPolicyFetcher.MaxBodyBytes + 1 - policy.Length);
    }

    private static IEnumerable<FaultCase> HttpsCases()
    {
        Expect dnssecInvalid = Expect.Queue("4.7.324");
        foreach (var (fault, handler, failure, wrongCertificate) in HttpsFaults())
        {
            yield return new FaultCase("HTTPS", fault, NoCache, lab => StsDomainWith(lab, handler, wrongCertificate, cached: false),
                Expect.Deliver(TransportSecurity.Tls), dnssecInvalid, (run, _) => CheckFetchFailed(run, failure, "None"));
            yield return new FaultCase("HTTPS", fault, WithCache, lab => StsDomainWith(lab, handler, wrongCertificate, cached: true),
                Expect.Deliver(TransportSecurity.MtaSts), dnssecInvalid, (run, _) => CheckFetchFailed(run, failure, "Cached"));
        }
    }

    private static void CheckFetchFailed(LabRun run, MtaStsFetchFailure failure, string source)
    {
        MtaStsStepEvidence sts = run.Evidence.MtaSts;
        MtaStsFetchResult fetch = Assert.IsType<MtaStsFetchResult>(sts.Detail?.Fetch);
        Assert.Equal(failure, fetch.Failure);
        Assert.Equal(source, sts.Source);
        Assert.Contains(fetch.Detail, sts.Failures);

        // What an admin reads says the fetch failed.
        Assert.Contains(fetch.Detail, run.Opportunistic.FormatEvidence(), StringComparison.Ordinal);
    }

    private static Arranged StsDomainWith(GathererLab lab, Func<HttpExchange, Task> handler, bool wrongCertificate, bool cached)
    {
        lab.Host(StsHost, GathererLab.GoodSmtp(GathererLab.Leaf(StsHost)), secure: false);
        lab.Mx(StsDomain, false, (10, StsHost));
        lab.MtaSts(StsDomain, "new1", handler, wrongCertificate ? GathererLab.Leaf("www.other.test") : null);
        if (!cached)
        {
            return new Arranged(StsDomain, new InMemoryMtaStsPolicyCache());
        }

        // An unexpired policy under an older id: the new id makes the engine refetch, and the
        // failed refetch must leave the cached policy in force (RFC 8461 §5.1).
        var cache = new InMemoryMtaStsPolicyCache();
        cache.Put(new MtaStsCachedPolicy
        {
            Domain = StsDomain,
            Id = "old1",
            PolicyText = GathererLab.EnforcePolicy(StsHost),
            FetchedUtc = DateTime.UtcNow.AddHours(-1),
            ExpiresUtc = DateTime.UtcNow.AddDays(1),
        });
        return new Arranged(StsDomain, cache);
    }
}
