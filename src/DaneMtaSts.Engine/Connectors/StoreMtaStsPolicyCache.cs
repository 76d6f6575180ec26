using DaneMtaSts.Engine.MtaSts;

namespace DaneMtaSts.Engine.Connectors;

/// <summary>
/// The MTA-STS policy cache (RFC 8461 §5.1) kept in the connector store, so that a policy survives
/// between commands and between sessions. Entries are keyed by the normalised policy domain.
/// Expiry is the caller's decision: <see cref="Get"/> returns the stored entry as it is.
/// </summary>
public sealed class StoreMtaStsPolicyCache : IMtaStsPolicyCache
{
    private readonly ConnectorStore _store;

    public StoreMtaStsPolicyCache(ConnectorStore store)
    {
        _store = store;
    }

    public MtaStsCachedPolicy? Get(string domain)
    {
        string key = DomainName.Normalize(domain);
        return _store.Read().MtaStsPolicies.FirstOrDefault(p => p.Domain == key);
    }

    public void Put(MtaStsCachedPolicy policy)
    {
        var entry = policy with { Domain = DomainName.Normalize(policy.Domain) };
        _store.Update(doc =>
        {
            doc.MtaStsPolicies.RemoveAll(p => p.Domain == entry.Domain);
            doc.MtaStsPolicies.Add(entry);
            return 0;
        });
    }

    public void Remove(string domain)
    {
        string key = DomainName.Normalize(domain);
        _store.Update(doc => doc.MtaStsPolicies.RemoveAll(p => p.Domain == key));
    }
}
