using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Tests.Policy;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Faults;

/// <summary>
/// docs/verdicts.md#fail-closed: each fault of <see cref="FaultCatalogue"/> runs the whole engine against the lab and
/// must give the documented verdict in each mode, end (a hang guard far above the lab's timeout: a
/// fault that made the engine wait per byte, per host or forever would pass it by minutes), and never
/// Deliver under SmtpDaneMode Mandatory or for a host with usable TLSA unless DANE authenticated it.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class FaultInjectionTests(FaultVerdictTable table, ITestOutputHelper output)
{
    public static TheoryData<string> DnsFaults => FaultCatalogue.Ids("DNS");

    public static TheoryData<string> SmtpFaults => FaultCatalogue.Ids("SMTP");

    public static TheoryData<string> HttpsFaults => FaultCatalogue.Ids("HTTPS");

    [Theory]
    [MemberData(nameof(DnsFaults))]
    public Task Dns_fault_gives_the_documented_verdict_in_bounded_time(string fault) => RunAsync(fault);

    [Theory]
    [MemberData(nameof(SmtpFaults))]
    public Task Smtp_fault_gives_the_documented_verdict_in_bounded_time(string fault) => RunAsync(fault);

    [Theory]
    [MemberData(nameof(HttpsFaults))]
    public Task Https_fault_gives_the_documented_verdict_in_bounded_time(string fault) => RunAsync(fault);

    [Fact]
    public void Catalogue_covers_every_fault_of_the_fail_closed_rule()
    {
        string[] expected =
        [
            "timeout", "SERVFAIL", "REFUSED", "truncated UDP", "bogus signatures", "answer for the wrong name", "CNAME loop", "MX set of 100 hosts",
            "connection refused", "reset during the banner", "banner never comes", "421 banner", "554 banner", "451 to EHLO", "550 to EHLO",
            "answered 454", "handshake aborted", "chain of 20 certificates", "garbage instead of SMTP",
            "hang", "drips one byte a second", "redirect", "64 KiB + 1", "wrong media type", "wrong certificate", "HTTP 500",
        ];
        Assert.All(expected, e => Assert.Contains(FaultCatalogue.All, c => c.Fault.Contains(e, StringComparison.Ordinal)));
        Assert.Equal(FaultCatalogue.All.Count, FaultCatalogue.All.Select(c => c.Id).Distinct().Count());
    }

    private async Task RunAsync(string id)
    {
        FaultCase fault = FaultCatalogue.Get(id);
        // Several faults are a silent or stalled server: the engine's timeout is short here, and the
        // case is proved by the verdict, never by the time it took.
        await using var lab = new GathererLab { Timeout = Support.TestTimeouts.Fault };
        Arranged arranged = fault.Arrange(lab);

        LabRun run = await lab.RunAsync(arranged.Domain, arranged.Cache);

        var verdicts = new (string Mode, TlsPolicyResult Result, Expect Expected)[]
        {
            ("Opportunistic", run.Opportunistic, fault.Opportunistic),
            ("Mandatory", run.Mandatory, fault.Mandatory),
        };
        foreach (var (mode, result, _) in verdicts)
        {
            var row = new FaultRow(fault.Area, fault.Fault, fault.Setup, mode, result.Outcome, result.StatusCode, result.Security, run.Elapsed);
            table.Add(row);
            output.WriteLine($"{mode}: {result} — {result.Reason}");
        }

        output.WriteLine($"gathered in {run.Elapsed.TotalSeconds:0.00} s, {run.DnsQueries} DNS queries, {run.SmtpConnects} SMTP connects");
        output.WriteLine(run.Opportunistic.FormatEvidence());

        Support.HangGuard.Check(run.Elapsed, $"{id}: gathering");
        foreach (var (mode, result, expected) in verdicts)
        {
            Assert.True(
                expected.Outcome == result.Outcome && expected.Code == result.StatusCode && expected.Security == result.Security,
                $"{id} [{mode}]: expected {expected}, got {result} — {result.Reason}");
            AssertFailsClosed(result);
        }

        fault.Check?.Invoke(run, lab);

        // Whatever the fault, the engine let go of every SMTP connection it opened.
        await GathererEndToEndTests.WaitUntilAsync(() => lab.Listeners.All(l => l.OpenConnections == 0), Support.HangGuard.Limit);
    }

    /// <summary>The invariant of docs/verdicts.md#fail-closed: no fault turns into Deliver where DANE applies.</summary>
    internal static void AssertFailsClosed(TlsPolicyResult result)
    {
        if (result.Outcome != Outcome.Deliver)
        {
            return;
        }

        if (result.SmtpDaneMode == SmtpDaneMode.Mandatory)
        {
            Assert.Equal(TransportSecurity.Dane, result.Security);
        }

        HostEvidence host = result.Evidence.Hosts.Single(h => h.Name == result.MxHost);
        if (result.SmtpDaneMode != SmtpDaneMode.None && host.DaneApplicable && host.Tlsa == TlsaState.Usable)
        {
            Assert.Equal(TransportSecurity.Dane, result.Security);
            Assert.Contains(host.Addresses, a => a.Dane is { Authenticated: true });
        }

        if (result.Security == TransportSecurity.Dane)
        {
            Assert.True(host.DaneApplicable && host.Tlsa == TlsaState.Usable && host.TlsaStatus == DnsSecStatus.Secure);
        }
    }
}
