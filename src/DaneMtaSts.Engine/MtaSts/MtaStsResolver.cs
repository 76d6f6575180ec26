using System.Globalization;
using DaneMtaSts.Engine.Dns;

namespace DaneMtaSts.Engine.MtaSts;

/// <summary>
/// MTA-STS policy discovery with the cache rules of RFC 8461 §5.1 as docs/verdicts.md#mta-sts-1 (TXT) and docs/verdicts.md#mta-sts-4 (cache) fix
/// them: a cached policy survives DNS failures, a vanished TXT record and failed refetches until it
/// expires; the same id extends it without HTTPS; a fetched mode none clears it.
/// </summary>
public static class MtaStsResolver
{
    /// <summary>Discovers the MTA-STS policy of <paramref name="domain"/>. Never throws for DNS or HTTPS faults.</summary>
    public static async Task<MtaStsEvidence> ResolveAsync(string domain, IDnsResolver dns, MtaStsPolicyFetcher fetcher, IMtaStsPolicyCache? cache, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentNullException.ThrowIfNull(fetcher);
        string name = DomainName.Normalize(domain);
        string txtName = "_mta-sts." + name;
        DateTime nowUtc = now.UtcDateTime;
        var failures = new List<string>();
        var notes = new List<string>();

        // The cached policy counts only while unexpired and still parseable.
        MtaStsCachedPolicy? cached = cache?.Get(name);
        MtaStsPolicy? cachedPolicy = null;
        if (cached is not null)
        {
            if (cached.ExpiresUtc <= nowUtc)
            {
                notes.Add($"The cached policy (id '{cached.Id}') expired at {Stamp(cached.ExpiresUtc)} and is not used.");
                cached = null;
            }
            else if (!MtaStsPolicy.TryParse(cached.PolicyText, out cachedPolicy, out string? cacheError))
            {
                notes.Add($"The cached policy (id '{cached.Id}') no longer parses ({cacheError}) and is not used.");
                cached = null;
            }
        }

        DnsAnswer<string> txt = await dns.QueryTxtAsync(txtName, cancellationToken).ConfigureAwait(false);
        if (txt.CnameChain.Count > 0)
        {
            notes.Add($"{txtName} is an alias (CNAME to {string.Join(" → ", txt.CnameChain)}): the TXT record is delegated.");
        }

        MtaStsEvidence Evidence(string diagnosis, string? record, MtaStsPolicy? policy, MtaStsPolicySource source, string? id, DateTime? expires, MtaStsCacheAction action, MtaStsFetchResult? fetch = null) => new()
        {
            Domain = name,
            TxtName = txtName,
            TxtStatus = txt.Status,
            TxtRcode = txt.Rcode,
            TxtCnameChain = txt.CnameChain,
            TxtRecord = record,
            TxtDiagnosis = diagnosis,
            Policy = policy,
            Source = source,
            PolicyId = id,
            PolicyFetchedUtc = source switch { MtaStsPolicySource.Cached => cached?.FetchedUtc, MtaStsPolicySource.Fetched => nowUtc, _ => null },
            ExpiresUtc = expires,
            Failures = failures,
            Notes = notes,
            Fetch = fetch,
            CacheAction = action,
            FailureType = fetch?.ResultType,
        };

        MtaStsEvidence KeepCachedOrNone(string diagnosis, string? record, MtaStsFetchResult? fetch = null)
        {
            if (cached is not null && cachedPolicy is not null)
            {
                notes.Add($"The cached policy (id '{cached.Id}') stays in effect until {Stamp(cached.ExpiresUtc)}.");
                return Evidence(diagnosis, record, cachedPolicy, MtaStsPolicySource.Cached, cached.Id, cached.ExpiresUtc, MtaStsCacheAction.Kept, fetch);
            }

            return Evidence(diagnosis, record, null, MtaStsPolicySource.None, null, null, MtaStsCacheAction.None, fetch);
        }

        // docs/verdicts.md#mta-sts-1: a failed TXT lookup is temporary: it says nothing about the policy, the cache decides.
        if (txt.Status is DnsSecStatus.Bogus or DnsSecStatus.Failed || txt.Rcode is not (DnsRcode.NoError or DnsRcode.NxDomain))
        {
            string diagnosis = $"The TXT lookup of {txtName} failed ({txt.Status}, {txt.Rcode}){(txt.Failure is null ? "" : ": " + txt.Failure.TrimEnd('.'))}.";
            failures.Add(diagnosis + (cached is null ? " No unexpired cached policy exists, so no policy applies." : " The cached policy is used."));
            return KeepCachedOrNone(diagnosis, null);
        }

        if (txt.IsNxDomain || txt.Records.Count == 0)
        {
            // docs/verdicts.md#mta-sts-4: TXT gone → keep an unexpired cached policy until max_age.
            string diagnosis = txt.IsNxDomain ? $"{txtName} does not exist (NXDOMAIN)." : $"{txtName} has no TXT record.";
            return KeepCachedOrNone(diagnosis + (cached is null ? " The domain publishes no MTA-STS policy." : ""), null);
        }

        MtaStsTxtRecord record = MtaStsTxtRecord.Parse(txt.Records);
        notes.AddRange(record.Warnings.Select(w => "TXT record: " + w));
        if (!record.IsValid)
        {
            // An invalid or ambiguous record means "no policy available" (RFC 8461 §3.1): like a missing record, a cached policy stays until it expires.
            if (record.StsRecordCount > 0)
            {
                failures.Add(record.Diagnosis);
            }

            return KeepCachedOrNone(record.Diagnosis, record.RecordText);
        }

        string id = record.Id!;
        if (cached is not null && cachedPolicy is not null && string.Equals(cached.Id, id, StringComparison.Ordinal))
        {
            // Same id: the policy has not changed; no HTTPS fetch, and the cache lifetime restarts (RFC 8461 §5.1).
            DateTime expires = nowUtc + cachedPolicy.MaxAge;
            cache!.Put(cached with { ExpiresUtc = expires });
            notes.Add($"The TXT id '{id}' equals the cached id: the cached policy is used and now expires at {Stamp(expires)}.");
            return Evidence(record.Diagnosis, record.RecordText, cachedPolicy, MtaStsPolicySource.Cached, id, expires, MtaStsCacheAction.Extended);
        }

        if (cached is not null)
        {
            notes.Add($"The TXT id '{id}' differs from the cached id '{cached.Id}': the policy is fetched again.");
        }

        MtaStsFetchResult fetch = await fetcher.FetchAsync(name, cancellationToken).ConfigureAwait(false);
        if (!fetch.Succeeded)
        {
            failures.Add(fetch.Detail);
            return KeepCachedOrNone(record.Diagnosis, record.RecordText, fetch);
        }

        MtaStsPolicy policy = fetch.Policy!;
        foreach (string warning in policy.Warnings)
        {
            notes.Add("Policy: " + warning);
        }

        if (policy.Mode == MtaStsPolicyMode.None)
        {
            // A published mode none withdraws the policy (RFC 8461 §8.3): forget the cached one.
            MtaStsCacheAction action = MtaStsCacheAction.None;
            if (cache?.Get(name) is not null)
            {
                cache.Remove(name);
                action = MtaStsCacheAction.Cleared;
                notes.Add("The fetched policy has mode none: the cached policy was removed.");
            }

            return Evidence(record.Diagnosis, record.RecordText, policy, MtaStsPolicySource.Fetched, id, null, action, fetch);
        }

        DateTime expiry = nowUtc + policy.MaxAge;
        MtaStsCacheAction stored = MtaStsCacheAction.None;
        if (cache is not null)
        {
            cache.Put(new MtaStsCachedPolicy { Domain = name, Id = id, PolicyText = policy.Text, FetchedUtc = nowUtc, ExpiresUtc = expiry });
            stored = MtaStsCacheAction.Stored;
        }

        return Evidence(record.Diagnosis, record.RecordText, policy, MtaStsPolicySource.Fetched, id, cache is null ? null : expiry, stored, fetch);
    }

    private static string Stamp(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
