using System.Net;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.Tests.Support;
using DaneMtaSts.Engine.TlsRpt;

namespace DaneMtaSts.Engine.Tests.MtaSts;

public sealed class MtaStsResolverTests : IAsyncDisposable
{
    private const string Domain = "example.test";
    private const string TxtName = "_mta-sts.example.test";
    private const string OldPolicy = "version: STSv1\nmode: enforce\nmx: old.example.test\nmax_age: 604800\n";
    private const string NewPolicy = "version: STSv1\nmode: testing\nmx: new.example.test\nmax_age: 86400\n";

    private static readonly DateTimeOffset Now = new(2030, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private readonly X509Certificate2 _root;
    private readonly RecordedDnsResolver _dns = new();
    private readonly InMemoryMtaStsPolicyCache _cache = new();
    private readonly TestHttpsServer _server;
    private readonly MtaStsPolicyFetcher _fetcher;

    public MtaStsResolverTests()
    {
        var (leaf, intermediate, root) = TestPki.CreateChain("mta-sts.example.test");
        _root = root;
        _server = new TestHttpsServer(leaf, [intermediate], TestHttpsServer.Policy(NewPolicy));
        _dns.AddAddresses("mta-sts.example.test", IPAddress.Loopback);
        _fetcher = new MtaStsPolicyFetcher(_dns, new MtaStsFetchOptions
        {
            Port = _server.Port,
            Trust = new PkixTrust { ExtraRoots = [_root], UseSystemRoots = false },
            Timeout = TestTimeouts.Success,
        });
    }

    public async ValueTask DisposeAsync()
    {
        _fetcher.Dispose();
        await _server.DisposeAsync();
    }

    private void CacheOld(string id = "old1", TimeSpan? expiresIn = null) =>
        _cache.Put(new MtaStsCachedPolicy
        {
            Domain = Domain,
            Id = id,
            PolicyText = OldPolicy,
            FetchedUtc = Now.UtcDateTime.AddDays(-1),
            ExpiresUtc = Now.UtcDateTime + (expiresIn ?? TimeSpan.FromDays(6)),
        });

    private Task<MtaStsEvidence> Resolve(IMtaStsPolicyCache? cache = null, DateTimeOffset? now = null) =>
        MtaStsResolver.ResolveAsync(Domain, _dns, _fetcher, cache ?? _cache, now ?? Now, CancellationToken.None);

    [Fact]
    public async Task New_domain_is_fetched_and_stored()
    {
        _dns.AddTxt(TxtName, "v=STSv1; id=new2");
        MtaStsEvidence e = await Resolve();

        Assert.Equal(MtaStsPolicySource.Fetched, e.Source);
        Assert.Equal(MtaStsCacheAction.Stored, e.CacheAction);
        Assert.Equal("new2", e.PolicyId);
        Assert.Equal(MtaStsPolicyMode.Testing, e.Policy!.Mode);
        Assert.True(e.HasActivePolicy);
        Assert.Empty(e.Failures);
        Assert.Null(e.FailureType);
        Assert.Equal(DnsSecStatus.Insecure, e.TxtStatus);
        Assert.Equal("v=STSv1; id=new2", e.TxtRecord);

        MtaStsCachedPolicy stored = _cache.Get(Domain)!;
        Assert.Equal("new2", stored.Id);
        Assert.Equal(NewPolicy, stored.PolicyText);
        Assert.Equal(Now.UtcDateTime.AddSeconds(86400), stored.ExpiresUtc);
        Assert.Equal(Now.UtcDateTime, stored.FetchedUtc);
    }

    [Fact]
    public async Task Same_id_extends_the_cached_policy_without_fetching()
    {
        CacheOld("same1", TimeSpan.FromHours(1));
        _dns.AddTxt(TxtName, "v=STSv1; id=same1");
        MtaStsEvidence e = await Resolve();

        Assert.Equal(MtaStsPolicySource.Cached, e.Source);
        Assert.Equal(MtaStsCacheAction.Extended, e.CacheAction);
        Assert.Equal(["old.example.test"], e.Policy!.Mx);
        Assert.Null(e.Fetch);
        Assert.Equal(0, _server.ConnectionCount);
        Assert.Equal(Now.UtcDateTime.AddSeconds(604800), _cache.Get(Domain)!.ExpiresUtc);
        Assert.Equal(Now.UtcDateTime.AddSeconds(604800), e.ExpiresUtc);
    }

    [Fact]
    public async Task New_id_refetches_and_replaces_the_cached_policy()
    {
        CacheOld("old1");
        _dns.AddTxt(TxtName, "v=STSv1; id=new2");
        MtaStsEvidence e = await Resolve();

        Assert.Equal(MtaStsPolicySource.Fetched, e.Source);
        Assert.Equal(MtaStsCacheAction.Stored, e.CacheAction);
        Assert.Equal(1, _server.ConnectionCount);
        Assert.Equal("new2", _cache.Get(Domain)!.Id);
        Assert.Equal(["new.example.test"], e.Policy!.Mx);
    }

    [Fact]
    public async Task Failed_refetch_keeps_the_old_policy_and_reports_the_failure()
    {
        CacheOld("old1");
        _dns.AddTxt(TxtName, "v=STSv1; id=new2");
        _server.Handler = TestHttpsServer.Respond(404, "text/plain", "gone", "Not Found");
        MtaStsEvidence e = await Resolve();

        Assert.Equal(MtaStsPolicySource.Cached, e.Source);
        Assert.Equal(MtaStsCacheAction.Kept, e.CacheAction);
        Assert.Equal("old1", e.PolicyId);
        Assert.Equal(["old.example.test"], e.Policy!.Mx);
        Assert.Equal(MtaStsFetchFailure.HttpStatus, e.Fetch!.Failure);
        Assert.Equal(TlsRptResultType.StsPolicyFetchError, e.FailureType);
        Assert.Contains(e.Failures, f => f.Contains("404", StringComparison.Ordinal));
        Assert.Equal("old1", _cache.Get(Domain)!.Id);
    }

    [Fact]
    public async Task Failed_fetch_without_cache_means_no_policy_with_the_failure_type()
    {
        _dns.AddTxt(TxtName, "v=STSv1; id=new2");
        _server.Handler = TestHttpsServer.Policy("version: STSv1\nmode: enforce\nmax_age: 1\n");
        MtaStsEvidence e = await Resolve();

        Assert.Equal(MtaStsPolicySource.None, e.Source);
        Assert.Null(e.Policy);
        Assert.Equal(TlsRptResultType.StsPolicyInvalid, e.FailureType);
        Assert.Null(_cache.Get(Domain));
    }

    [Fact]
    public async Task Txt_servfail_uses_the_cached_policy()
    {
        CacheOld("old1");
        _dns.FailTxt(TxtName);
        MtaStsEvidence e = await Resolve();

        Assert.Equal(MtaStsPolicySource.Cached, e.Source);
        Assert.Equal(MtaStsCacheAction.Kept, e.CacheAction);
        Assert.Equal(DnsSecStatus.Failed, e.TxtStatus);
        Assert.Equal(DnsRcode.ServFail, e.TxtRcode);
        Assert.NotEmpty(e.Failures);
        Assert.Equal(0, _server.ConnectionCount);
    }

    [Fact]
    public async Task Txt_servfail_without_cache_means_no_policy_and_no_fetch()
    {
        _dns.FailTxt(TxtName);
        MtaStsEvidence e = await Resolve();
        Assert.Equal(MtaStsPolicySource.None, e.Source);
        Assert.Contains(e.Failures, f => f.Contains("No unexpired cached policy", StringComparison.Ordinal));
        Assert.Equal(0, _server.ConnectionCount);
    }

    [Fact]
    public async Task Txt_gone_keeps_the_cached_policy_until_it_expires()
    {
        CacheOld("old1", TimeSpan.FromDays(2));
        MtaStsEvidence e = await Resolve(); // the recorded resolver answers NXDOMAIN

        Assert.Equal(MtaStsPolicySource.Cached, e.Source);
        Assert.Equal(MtaStsCacheAction.Kept, e.CacheAction);
        Assert.Equal(DnsRcode.NxDomain, e.TxtRcode);
        Assert.Equal(Now.UtcDateTime.AddDays(2), e.ExpiresUtc);

        // NODATA (other TXT records only) is the same.
        _dns.AddTxt(TxtName, "v=spf1 -all");
        Assert.Equal(MtaStsPolicySource.Cached, (await Resolve()).Source);

        // Once the expiry passes, there is no policy.
        MtaStsEvidence later = await Resolve(now: Now.AddDays(3));
        Assert.Equal(MtaStsPolicySource.None, later.Source);
        Assert.Null(later.Policy);
        Assert.Contains(later.Notes, n => n.Contains("expired", StringComparison.Ordinal));
        Assert.Equal(0, _server.ConnectionCount);
    }

    [Fact]
    public async Task Expired_cache_with_the_same_id_is_fetched_again_not_extended()
    {
        CacheOld("same1", TimeSpan.FromHours(-1));
        _dns.AddTxt(TxtName, "v=STSv1; id=same1");
        MtaStsEvidence e = await Resolve();
        Assert.Equal(MtaStsPolicySource.Fetched, e.Source);
        Assert.Equal(MtaStsCacheAction.Stored, e.CacheAction);
        Assert.Equal(1, _server.ConnectionCount);
    }

    [Fact]
    public async Task Fetched_mode_none_clears_the_cache()
    {
        CacheOld("old1");
        _dns.AddTxt(TxtName, "v=STSv1; id=gone3");
        _server.Handler = TestHttpsServer.Policy("version: STSv1\nmode: none\nmax_age: 86400\n");
        MtaStsEvidence e = await Resolve();

        Assert.Equal(MtaStsCacheAction.Cleared, e.CacheAction);
        Assert.Equal(MtaStsPolicySource.Fetched, e.Source);
        Assert.Equal(MtaStsPolicyMode.None, e.Policy!.Mode);
        Assert.False(e.HasActivePolicy);
        Assert.Null(_cache.Get(Domain));
    }

    [Fact]
    public async Task Two_STSv1_records_mean_no_new_policy()
    {
        _dns.AddTxt(TxtName, "v=STSv1; id=a", "v=STSv1; id=b");
        MtaStsEvidence e = await Resolve();
        Assert.Equal(MtaStsPolicySource.None, e.Source);
        Assert.Contains("more than one STSv1 record", e.TxtDiagnosis, StringComparison.Ordinal);
        Assert.Equal(0, _server.ConnectionCount);
    }

    [Fact]
    public async Task Delegated_txt_record_is_noted()
    {
        _dns.SetTxt(new DnsAnswer<string>
        {
            Name = TxtName,
            Type = "TXT",
            Status = DnsSecStatus.Insecure,
            Rcode = DnsRcode.NoError,
            Records = ["v=STSv1; id=new2"],
            CnameChain = ["example-test._mta-sts.provider.test"],
        });
        MtaStsEvidence e = await Resolve();
        Assert.Equal(["example-test._mta-sts.provider.test"], e.TxtCnameChain);
        Assert.Contains(e.Notes, n => n.Contains("CNAME", StringComparison.Ordinal));
        Assert.Equal(MtaStsPolicySource.Fetched, e.Source);
    }

    [Fact]
    public async Task Webpki_failure_is_reported_as_sts_webpki_invalid()
    {
        _dns.AddTxt(TxtName, "v=STSv1; id=new2");
        using var strictFetcher = new MtaStsPolicyFetcher(_dns, new MtaStsFetchOptions { Port = _server.Port, Trust = new PkixTrust { UseSystemRoots = false } });
        MtaStsEvidence e = await MtaStsResolver.ResolveAsync(Domain, _dns, strictFetcher, _cache, Now, CancellationToken.None);
        Assert.Equal(MtaStsPolicySource.None, e.Source);
        Assert.Equal(TlsRptResultType.StsWebPkiInvalid, e.FailureType);
    }

    [Fact]
    public async Task Works_without_a_cache()
    {
        _dns.AddTxt(TxtName, "v=STSv1; id=new2");
        MtaStsEvidence e = await MtaStsResolver.ResolveAsync("EXAMPLE.test.", _dns, _fetcher, null, Now, CancellationToken.None);
        Assert.Equal(MtaStsPolicySource.Fetched, e.Source);
        Assert.Equal(MtaStsCacheAction.None, e.CacheAction);
        Assert.Equal(Domain, e.Domain);
    }

    [Fact]
    public async Task Unparseable_cached_policy_is_not_used()
    {
        _cache.Put(new MtaStsCachedPolicy { Domain = Domain, Id = "old1", PolicyText = "garbage", FetchedUtc = Now.UtcDateTime, ExpiresUtc = Now.UtcDateTime.AddDays(1) });
        _dns.FailTxt(TxtName);
        MtaStsEvidence e = await Resolve();
        Assert.Equal(MtaStsPolicySource.None, e.Source);
        Assert.Contains(e.Notes, n => n.Contains("no longer parses", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalid_txt_record_keeps_an_unexpired_cached_policy_without_fetching()
    {
        CacheOld("old1");
        _dns.AddTxt(TxtName, "v=STSv1; id=2024-01-01");
        MtaStsEvidence e = await Resolve();
        Assert.Equal(MtaStsPolicySource.Cached, e.Source);
        Assert.Equal(MtaStsCacheAction.Kept, e.CacheAction);
        Assert.Contains("1 to 32", e.TxtDiagnosis, StringComparison.Ordinal);
        Assert.NotEmpty(e.Failures);
        Assert.Equal(0, _server.ConnectionCount);
    }

    [Fact]
    public async Task Mode_none_without_a_cached_entry_stores_nothing()
    {
        _dns.AddTxt(TxtName, "v=STSv1; id=gone3");
        _server.Handler = TestHttpsServer.Policy("version: STSv1\nmode: none\nmax_age: 86400\n");
        MtaStsEvidence e = await Resolve();
        Assert.Equal(MtaStsCacheAction.None, e.CacheAction);
        Assert.Equal(0, _cache.Puts);
        Assert.Null(_cache.Get(Domain));
    }
}
