namespace DaneMtaSts.Engine.MtaSts;

/// <summary>The mode field of an MTA-STS policy (RFC 8461 §3.2).</summary>
public enum MtaStsPolicyMode
{
    Enforce,
    Testing,
    None,
}

/// <summary>A cached policy as kept in the store (RFC 8461 §5.1).</summary>
public sealed record MtaStsCachedPolicy
{
    public required string Domain { get; init; }

    /// <summary>The id of the TXT record the policy was fetched under.</summary>
    public required string Id { get; init; }

    /// <summary>The policy body exactly as fetched.</summary>
    public required string PolicyText { get; init; }

    public required DateTime FetchedUtc { get; init; }

    /// <summary>FetchedUtc (or the last time the same id was seen) + max_age.</summary>
    public required DateTime ExpiresUtc { get; init; }
}

/// <summary>Persistent MTA-STS policy cache (the connector store implements it).</summary>
public interface IMtaStsPolicyCache
{
    MtaStsCachedPolicy? Get(string domain);

    void Put(MtaStsCachedPolicy policy);

    void Remove(string domain);
}
