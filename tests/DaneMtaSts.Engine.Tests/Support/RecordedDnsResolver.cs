using System.Collections.Concurrent;
using System.Net;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Dns;

namespace DaneMtaSts.Engine.Tests.Support;

/// <summary>
/// An <see cref="IDnsResolver"/> that answers from a table of recorded answers (real
/// <see cref="DnsAnswer{T}"/> values, as DnsResolver would return them). Names not
/// in the table get an insecure NXDOMAIN. Every question is logged so tests can see who asked what.
/// </summary>
public sealed class RecordedDnsResolver : IDnsResolver
{
    private readonly ConcurrentDictionary<string, DnsAnswer<IPAddress>> _addresses = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DnsAnswer<string>> _txt = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DnsAnswer<MxRecordData>> _mx = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DnsAnswer<TlsaRecord>> _tlsa = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<string> _questions = new();

    public ResolverInfo Resolver { get; } = new() { Servers = ["recorded"], IsLoopback = true, Validates = true, Note = "recorded answers" };

    public DnsCounters Counters { get; } = new();

    /// <summary>Questions asked, as "TYPE name", in order.</summary>
    public IReadOnlyList<string> Questions => [.. _questions];

    public RecordedDnsResolver AddAddresses(string host, params IPAddress[] addresses)
    {
        _addresses[Key(host)] = new DnsAnswer<IPAddress> { Name = Key(host), Type = "A/AAAA", Status = DnsSecStatus.Insecure, Rcode = DnsRcode.NoError, Records = addresses, Server = "recorded" };
        return this;
    }

    public RecordedDnsResolver AddTxt(string name, params string[] records)
    {
        _txt[Key(name)] = new DnsAnswer<string> { Name = Key(name), Type = "TXT", Status = DnsSecStatus.Insecure, Rcode = DnsRcode.NoError, Records = records, Server = "recorded" };
        return this;
    }

    public RecordedDnsResolver SetTxt(DnsAnswer<string> answer)
    {
        _txt[Key(answer.Name)] = answer;
        return this;
    }

    public RecordedDnsResolver SetAddresses(DnsAnswer<IPAddress> answer)
    {
        _addresses[Key(answer.Name)] = answer;
        return this;
    }

    /// <summary>Makes <paramref name="name"/> answer SERVFAIL (Failed), as a broken or unreachable authority does.</summary>
    public RecordedDnsResolver FailTxt(string name) =>
        SetTxt(new DnsAnswer<string> { Name = Key(name), Type = "TXT", Status = DnsSecStatus.Failed, Rcode = DnsRcode.ServFail, Failure = "SERVFAIL from the resolver.", Server = "recorded" });

    public RecordedDnsResolver RemoveTxt(string name)
    {
        _txt.TryRemove(Key(name), out _);
        return this;
    }

    public Task<DnsAnswer<MxRecordData>> QueryMxAsync(string name, CancellationToken cancellationToken) => Answer(_mx, "MX", name, cancellationToken);

    public Task<DnsAnswer<IPAddress>> QueryAddressesAsync(string host, CancellationToken cancellationToken) => Answer(_addresses, "A/AAAA", host, cancellationToken);

    public Task<DnsAnswer<TlsaRecord>> QueryTlsaAsync(string name, CancellationToken cancellationToken) => Answer(_tlsa, "TLSA", name, cancellationToken);

    public Task<DnsAnswer<string>> QueryTxtAsync(string name, CancellationToken cancellationToken) => Answer(_txt, "TXT", name, cancellationToken);

    public Task<ResolverInfo> CheckValidationAsync(CancellationToken cancellationToken) => Task.FromResult(Resolver);

    private Task<DnsAnswer<T>> Answer<T>(ConcurrentDictionary<string, DnsAnswer<T>> table, string type, string name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Counters.CountQuery();
        _questions.Enqueue($"{type} {Key(name)}");
        if (table.TryGetValue(Key(name), out DnsAnswer<T>? answer))
        {
            return Task.FromResult(answer);
        }

        return Task.FromResult(new DnsAnswer<T> { Name = Key(name), Type = type, Status = DnsSecStatus.Insecure, Rcode = DnsRcode.NxDomain, Server = "recorded" });
    }

    private static string Key(string name) => name.TrimEnd('.').ToLowerInvariant();
}
