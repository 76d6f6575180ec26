using System.Net;
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Dns;

/// <summary>
/// -DnssecValidation: which path decides each answer's DNSSEC status, against the scripted resolver.
/// The scripted resolver sends no RRSIG, DS or DNSKEY signatures, so wherever local validation runs
/// it can only conclude that the records were stripped (Indeterminate): that is the "neither can
/// establish it" case. Signed zones are the lab's (tests/LabDnssecPaths.Tests.ps1).
/// </summary>
public sealed class DnssecChoiceTests : IDisposable
{
    private readonly TestDnsServer _server = TestDnsServer.Start();

    public void Dispose() => _server.Dispose();

    private DnsResolver NewResolver(DnssecValidationMode mode) =>
        new(new DnsResolverOptions { Servers = [_server.EndPoint], Timeout = TestTimeouts.Success, Retries = 1, DnssecValidation = mode });

    private void ScriptMx(bool rootValidates)
    {
        _server.Answer(".", DnsType.Dnskey, secure: rootValidates, TestDnsRecord.Dnskey("."));
        _server.Answer("example.test", DnsType.Mx, secure: true, TestDnsRecord.Mx("example.test", 10, "mx.example.test"));
    }

    [Fact]
    public async Task Auto_trusts_the_AD_bit_of_a_resolver_shown_to_validate()
    {
        ScriptMx(rootValidates: true);
        using DnsResolver dns = NewResolver(DnssecValidationMode.Auto);

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Secure, answer.Status);
        Assert.Equal(DnssecValidator.Resolver, answer.ValidatedBy);
        Assert.Equal(DnssecValidator.Resolver, dns.Resolver.DnssecValidatedBy);
        Assert.True(dns.Resolver.Validates);
        Assert.DoesNotContain(_server.Queries, q => q.CheckingDisabled);
    }

    [Fact]
    public async Task Auto_validates_locally_behind_a_resolver_that_does_not_and_says_indeterminate_when_records_are_stripped()
    {
        ScriptMx(rootValidates: false);
        using DnsResolver dns = NewResolver(DnssecValidationMode.Auto);

        DnsAnswer<MxRecordData> answer = await dns.QueryMxAsync("example.test", CancellationToken.None);

        Assert.Equal(DnssecValidator.Local, dns.Resolver.DnssecValidatedBy);
        Assert.False(dns.Resolver.Validates);
        Assert.Equal(DnssecValidator.Local, answer.ValidatedBy);
        Assert.Equal(DnsSecStatus.Indeterminate, answer.Status); // the AD bit the server set is not believed
        Assert.Contains(answer.DnssecReason, new[] { DnssecReason.DnssecRecordsMissing, DnssecReason.LookupFailed }); // no signature anywhere, or the DS lookup REFUSED
        Assert.True(answer.IsUsable);
        Assert.Equal([new MxRecordData(10, "mx.example.test")], answer.Records);
        Assert.Contains("validated in-process through", answer.Failure, StringComparison.Ordinal);

        // Local validation asks with CD=1 and DO=1 (RFC 6840 §5.9), and looks for the chain (DS/DNSKEY).
        const ushort ds = 43;
        Assert.Contains(_server.Queries, q => q.Name == "example.test" && q.Type == DnsType.Mx && q.CheckingDisabled && q.DnssecOk);
        Assert.Contains(_server.Queries, q => q.Type is ds or DnsType.Dnskey && q.CheckingDisabled);
        Assert.True(dns.Counters.QueriesByType.Keys.Intersect(["DS", "DNSKEY"]).Any());
    }

    [Fact]
    public async Task Local_never_asks_whether_the_resolver_validates_and_Resolver_never_validates()
    {
        ScriptMx(rootValidates: true);
        using (DnsResolver local = NewResolver(DnssecValidationMode.Local))
        {
            DnsAnswer<MxRecordData> answer = await local.QueryMxAsync("example.test", CancellationToken.None);
            ResolverInfo info = await local.CheckValidationAsync(CancellationToken.None);

            Assert.Equal(DnssecValidator.Local, answer.ValidatedBy);
            Assert.Equal(DnsSecStatus.Indeterminate, answer.Status);
            Assert.Equal(DnssecValidator.Local, info.DnssecValidatedBy);
            Assert.Null(info.Validates);
            Assert.DoesNotContain(_server.Queries, q => q.Type == DnsType.Dnskey && !q.CheckingDisabled);
        }

        int before = _server.TotalQueries;
        using DnsResolver resolver = NewResolver(DnssecValidationMode.Resolver);
        DnsAnswer<MxRecordData> ad = await resolver.QueryMxAsync("example.test", CancellationToken.None);

        Assert.Equal(DnsSecStatus.Secure, ad.Status);
        Assert.Equal(DnssecValidator.Resolver, ad.ValidatedBy);
        Assert.DoesNotContain(_server.Queries.Skip(before), q => q.CheckingDisabled);
    }

    [Fact]
    public async Task Local_answers_are_shared_within_one_resolver()
    {
        ScriptMx(rootValidates: false);
        using DnsResolver dns = NewResolver(DnssecValidationMode.Local);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => dns.QueryMxAsync("example.test", CancellationToken.None)));

        Assert.Equal(1, _server.Queries.Count(q => q.Name == "example.test" && q.Type == DnsType.Mx));
        Assert.Equal(7, dns.Counters.CacheHits);
    }

    [Fact]
    public void Doh_with_Resolver_mode_is_refused_with_a_clear_error()
    {
        var ex = Assert.Throws<EngineException>(() => new DnsResolver(new DnsResolverOptions
        {
            DohServers = [new Uri("https://dns.example/dns-query")],
            DnssecValidation = DnssecValidationMode.Resolver,
        }));

        Assert.Equal("DohNeedsLocalValidation", ex.ErrorId);
    }

    [Theory]
    [InlineData("https://dns.example/dns-query", true)]
    [InlineData("https://[2001:db8::53]:8443/dns-query", true)]
    [InlineData("192.0.2.53", false)]
    [InlineData("[2001:db8::53]:5353", false)]
    public void Dns_server_text_is_an_address_or_a_doh_url(string text, bool doh)
    {
        Assert.Equal(doh, DryRunSession.TryParseDohServer(text, out Uri? url));
        Assert.Equal(doh, url is not null);
        if (!doh)
        {
            Assert.IsType<IPEndPoint>(DryRunSession.ParseDnsServer(text));
        }
    }

    [Theory]
    [InlineData("http://dns.example/dns-query")]
    [InlineData("https://user:pw@dns.example/dns-query")]
    [InlineData("tls://dns.example")]
    public void A_url_that_is_not_a_doh_endpoint_is_an_error_not_an_address(string text)
    {
        var ex = Assert.Throws<EngineException>(() => DryRunSession.TryParseDohServer(text, out _));
        Assert.Equal("InvalidDnsServer", ex.ErrorId);
        Assert.Contains("https://host[:port]/path", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_trust_anchor_file_is_an_error_naming_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"anchors-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, ". 3600 IN DS 20326 8 2 not-hex\n");
        try
        {
            var ex = Assert.Throws<EngineException>(() => DryRunSession.LoadTrustAnchors(path));
            Assert.Equal("InvalidTrustAnchorFile", ex.ErrorId);
            Assert.Equal(EngineErrorKind.InvalidData, ex.Kind);
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);

            var missing = Assert.Throws<EngineException>(() => DryRunSession.LoadTrustAnchors(path + ".absent"));
            Assert.Equal("InvalidTrustAnchorFile", missing.ErrorId);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
