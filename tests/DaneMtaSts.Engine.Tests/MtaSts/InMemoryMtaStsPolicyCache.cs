using System.Collections.Concurrent;
using DaneMtaSts.Engine.MtaSts;

namespace DaneMtaSts.Engine.Tests.MtaSts;

/// <summary>A policy cache held in memory, for resolver tests (the store-backed one lives with the connector store).</summary>
public sealed class InMemoryMtaStsPolicyCache : IMtaStsPolicyCache
{
    private readonly ConcurrentDictionary<string, MtaStsCachedPolicy> _entries = new(StringComparer.OrdinalIgnoreCase);

    public int Puts { get; private set; }

    public int Removes { get; private set; }

    public MtaStsCachedPolicy? Get(string domain) => _entries.TryGetValue(domain, out var entry) ? entry : null;

    public void Put(MtaStsCachedPolicy policy)
    {
        Puts++;
        _entries[policy.Domain] = policy;
    }

    public void Remove(string domain)
    {
        Removes++;
        _entries.TryRemove(domain, out _);
    }
}
