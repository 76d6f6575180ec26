using System.Globalization;
using System.Net;

namespace DaneMtaSts.Engine.Dns;

/// <summary>What the MX lookup of a domain says about where its mail goes (docs/verdicts.md#domain-outcomes).</summary>
public enum MxResolutionKind
{
    /// <summary>MX records name at least one usable host.</summary>
    Mx,

    /// <summary>No MX records (NOERROR/NODATA) and the domain has or may have address records: the domain is its own host (RFC 5321 §5.1).</summary>
    ImplicitMx,

    /// <summary>The domain publishes "MX 0 ." alone (RFC 7505): it accepts no mail.</summary>
    NullMx,

    /// <summary>
    /// No mail host: NODATA for MX and NODATA/NXDOMAIN for the domain's addresses, or MX records that
    /// name no usable host (only "." or IP literals). Hosts still lists such records, flagged.
    /// </summary>
    NoMailHost,

    /// <summary>NXDOMAIN for the domain (at the end of its CNAME chain, if any).</summary>
    NxDomain,

    /// <summary>The MX lookup failed DNSSEC validation (SERVFAIL that the CD=1 retry answers).</summary>
    Bogus,

    /// <summary>The MX lookup failed (timeout, SERVFAIL also with CD=1, REFUSED, CNAME loop or depth).</summary>
    Failed,
}

/// <summary>Findings about one MX target that a report should show.</summary>
[Flags]
public enum MxHostFlags
{
    None = 0,

    /// <summary>The exchange is an IP address, not a host name (RFC 5321 §5.1 requires a name; Postfix ignores such records). Not a candidate.</summary>
    IpLiteral = 1,

    /// <summary>The exchange is a single label (a TLD or a bare name): almost certainly a mistake. Still a candidate.</summary>
    SingleLabel = 2,

    /// <summary>The exchange is the root "." in a set that is not a Null MX: it names no host. Not a candidate.</summary>
    RootTarget = 4,

    /// <summary>The root record is "MX 0 ." mixed with other MX records (RFC 7505 §3 forbids this); it is ignored.</summary>
    NullMxInMixedSet = 8,

    /// <summary>The exchange is itself an alias (RFC 2181 §10.3 forbids it); still used, as MTAs do.</summary>
    CnameTarget = 16,
}

/// <summary>One MX host, after de-duplication, in preference order.</summary>
public sealed record MxHost
{
    /// <summary>The exchange name, lower case without trailing dot; the root is ".".</summary>
    public required string Name { get; init; }

    public required int Preference { get; init; }

    public MxHostFlags Flags { get; init; }

    /// <summary>The host's A and AAAA answer (null when not looked up: IP literals, the root, or when host resolution was not asked for).</summary>
    public DnsAnswer<IPAddress>? Addresses { get; init; }

    /// <summary>One sentence per flag, for the report.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>False for records that name no host (the root, an IP literal): delivery skips them.</summary>
    public bool IsCandidate => (Flags & (MxHostFlags.IpLiteral | MxHostFlags.RootTarget)) == 0;
}

/// <summary>The outcome of resolving a domain's mail hosts.</summary>
public sealed record MxResolution
{
    /// <summary>The normalised domain asked for.</summary>
    public required string Domain { get; init; }

    public required MxResolutionKind Kind { get; init; }

    /// <summary>DNSSEC status of the MX RRset (or of its denial, for implicit MX and NXDOMAIN), including any CNAME chain.</summary>
    public required DnsSecStatus Status { get; init; }

    /// <summary>Hosts by preference (stable for equal preference), duplicates removed; for implicit MX the domain itself.</summary>
    public IReadOnlyList<MxHost> Hosts { get; init; } = [];

    /// <summary>The CNAME chain of the domain followed by the MX lookup.</summary>
    public IReadOnlyList<string> CnameChain { get; init; } = [];

    /// <summary>The raw MX answer behind this resolution.</summary>
    public required DnsAnswer<MxRecordData> MxAnswer { get; init; }

    /// <summary>One plain sentence: what was found and what it means.</summary>
    public required string Reason { get; init; }

    public IReadOnlyList<MxHost> CandidateHosts => [.. Hosts.Where(h => h.IsCandidate)];
}

/// <summary>Resolves a domain's MX hosts per RFC 5321 §5.1, RFC 7505 and docs/verdicts.md#domain-outcomes.</summary>
public static class MxResolver
{
    /// <summary>How many host address lookups run at once for a large MX set.</summary>
    private const int HostLookupConcurrency = 8;

    /// <summary>
    /// Looks up the MX records of <paramref name="domain"/> and classifies them; with
    /// <paramref name="resolveHosts"/> also each candidate host's addresses (needed to flag aliased
    /// targets; the resolver caches them for later use). Throws <see cref="EngineException"/> only for a
    /// malformed domain; DNS faults are in the result.
    /// </summary>
    public static async Task<MxResolution> ResolveAsync(IDnsResolver dns, string domain, CancellationToken cancellationToken, bool resolveHosts = true)
    {
        string name = DomainName.Normalize(domain);
        DnsAnswer<MxRecordData> mx = await dns.QueryMxAsync(name, cancellationToken).ConfigureAwait(false);
        string security = SecurityWords(mx.Status);

        MxResolution Result(MxResolutionKind kind, string reason, IReadOnlyList<MxHost>? hosts = null) => new()
        {
            Domain = name,
            Kind = kind,
            Status = mx.Status,
            Hosts = hosts ?? [],
            CnameChain = mx.CnameChain,
            MxAnswer = mx,
            Reason = reason,
        };

        switch (mx.Status)
        {
            case DnsSecStatus.Bogus:
                return Result(MxResolutionKind.Bogus, $"The MX lookup for {name} is DNSSEC-bogus: {mx.Failure}");
            case DnsSecStatus.Failed:
                return Result(MxResolutionKind.Failed, $"The MX lookup for {name} failed: {mx.Failure}");
        }

        string alias = mx.CnameChain.Count > 0 ? $" (an alias of {mx.CanonicalName})" : string.Empty;
        if (mx.IsNxDomain)
        {
            return Result(MxResolutionKind.NxDomain, $"The domain {name}{alias} does not exist (NXDOMAIN, {security}).");
        }

        if (mx.Records.Count == 0)
        {
            return await ResolveImplicitAsync(dns, name, alias, security, mx, cancellationToken).ConfigureAwait(false);
        }

        // RFC 7505 §3: a Null MX is exactly one record, preference 0, exchange ".".
        if (mx.Records.Count == 1 && mx.Records[0].Preference == 0 && mx.Records[0].Exchange == ".")
        {
            return Result(MxResolutionKind.NullMx, $"{name}{alias} publishes a Null MX (MX 0 \".\", RFC 7505): it accepts no mail ({security}).");
        }

        List<MxHost> hosts = ClassifyHosts(mx.Records);
        if (resolveHosts)
        {
            hosts = await ResolveHostAddressesAsync(dns, hosts, cancellationToken).ConfigureAwait(false);
        }

        int candidates = hosts.Count(h => h.IsCandidate);
        string flagged = hosts.Any(h => h.Flags != MxHostFlags.None) ? " Some targets are flagged; see their notes." : string.Empty;
        if (candidates == 0)
        {
            return Result(
                MxResolutionKind.NoMailHost,
                $"{name}{alias} publishes {Count(mx.Records.Count, "MX record")} ({security}) but none names a usable host (only \".\" or IP addresses).{flagged}",
                hosts);
        }

        MxHost best = hosts.First(h => h.IsCandidate);
        return Result(
            MxResolutionKind.Mx,
            string.Create(CultureInfo.InvariantCulture, $"{name}{alias} has {Count(candidates, "MX host")} ({security}); the most preferred is {best.Name} (preference {best.Preference}).{flagged}"),
            hosts);
    }

    /// <summary>Sorts by preference (stable: equal preferences keep DNS order, for reproducible reports), drops repeated names, flags odd targets.</summary>
    internal static List<MxHost> ClassifyHosts(IReadOnlyList<MxRecordData> records)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var hosts = new List<MxHost>();
        bool mixed = records.Count > 1;
        foreach (MxRecordData record in records.OrderBy(r => r.Preference))
        {
            string exchange = DnsResolver.NormalizeExchange(record.Exchange);
            if (!seen.Add(exchange))
            {
                continue;
            }

            var flags = MxHostFlags.None;
            var notes = new List<string>();
            if (exchange == ".")
            {
                flags |= MxHostFlags.RootTarget;
                if (record.Preference == 0 && mixed)
                {
                    flags |= MxHostFlags.NullMxInMixedSet;
                    notes.Add("A Null MX record (MX 0 \".\") is mixed with other MX records, which RFC 7505 §3 forbids; the null record is ignored.");
                }
                else
                {
                    notes.Add("The MX target \".\" names no host and this set is not a Null MX; the record is ignored.");
                }
            }
            else if (IsIpLiteral(exchange))
            {
                flags |= MxHostFlags.IpLiteral;
                notes.Add($"The MX target {exchange} is an IP address, not a host name (RFC 5321 §5.1 requires a name); the record is ignored, as Postfix does.");
            }
            else if (DomainName.IsSingleLabel(exchange))
            {
                flags |= MxHostFlags.SingleLabel;
                notes.Add($"The MX target '{exchange}' is a single label (a top-level domain or bare name), almost certainly a mistake.");
            }

            hosts.Add(new MxHost { Name = exchange, Preference = record.Preference, Flags = flags, Notes = notes });
        }

        return hosts;
    }

    /// <summary>True for an exchange that is a dotted-quad IPv4 address, an IPv6 address or a bracketed literal.</summary>
    internal static bool IsIpLiteral(string exchange)
    {
        string bare = exchange.Trim('[', ']');
        if (!IPAddress.TryParse(bare, out IPAddress? address))
        {
            return false;
        }

        // IPAddress.TryParse also accepts "1" or "1.2"; only four numeric labels are an IPv4 literal.
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ||
            bare.Split('.').Length == 4 || exchange.StartsWith('[');
    }

    private static async Task<MxResolution> ResolveImplicitAsync(IDnsResolver dns, string name, string alias, string security, DnsAnswer<MxRecordData> mx, CancellationToken cancellationToken)
    {
        // RFC 5321 §5.1: no MX records → the domain itself is the host, if it has addresses.
        DnsAnswer<IPAddress> addresses = await dns.QueryAddressesAsync(name, cancellationToken).ConfigureAwait(false);
        bool noAddresses = addresses.IsUsable && addresses.Records.Count == 0;
        MxResolution Result(MxResolutionKind kind, string reason, IReadOnlyList<MxHost> hosts) => new()
        {
            Domain = name,
            Kind = kind,
            Status = mx.Status,
            Hosts = hosts,
            CnameChain = mx.CnameChain,
            MxAnswer = mx,
            Reason = reason,
        };

        if (noAddresses)
        {
            return Result(
                MxResolutionKind.NoMailHost,
                $"{name}{alias} has no MX records (NODATA, {security}) and no address records ({(addresses.IsNxDomain ? "NXDOMAIN" : "NODATA")}): no host accepts its mail.",
                []);
        }

        var host = new MxHost
        {
            Name = name,
            Preference = 0,
            Addresses = addresses,
        };
        string addressState = addresses.Status switch
        {
            DnsSecStatus.Bogus => $"; its address lookup is DNSSEC-bogus: {addresses.Failure}",
            DnsSecStatus.Failed => $"; its address lookup failed: {addresses.Failure}",
            _ => string.Empty,
        };
        return Result(
            MxResolutionKind.ImplicitMx,
            $"{name}{alias} has no MX records (NODATA, {security}); the domain itself is the mail host (implicit MX, RFC 5321 §5.1){addressState}",
            [host]);
    }

    private static async Task<List<MxHost>> ResolveHostAddressesAsync(IDnsResolver dns, List<MxHost> hosts, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(HostLookupConcurrency);
        Task<MxHost>[] lookups = [.. hosts.Select(async host =>
        {
            if (!host.IsCandidate)
            {
                return host;
            }

            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                DnsAnswer<IPAddress> addresses = await dns.QueryAddressesAsync(host.Name, cancellationToken).ConfigureAwait(false);
                if (addresses.CnameChain.Count == 0)
                {
                    return host with { Addresses = addresses };
                }

                return host with
                {
                    Addresses = addresses,
                    Flags = host.Flags | MxHostFlags.CnameTarget,
                    Notes = [.. host.Notes, $"The MX target {host.Name} is an alias (CNAME to {addresses.CanonicalName}), which RFC 2181 §10.3 forbids; it is still used, as MTAs do."],
                };
            }
            finally
            {
                gate.Release();
            }
        })];
        return [.. await Task.WhenAll(lookups).ConfigureAwait(false)];
    }

    private static string SecurityWords(DnsSecStatus status) => status switch
    {
        DnsSecStatus.Secure => "DNSSEC-secure",
        DnsSecStatus.Insecure => "not DNSSEC-secure",
        DnsSecStatus.Bogus => "DNSSEC-bogus",
        _ => "lookup failed",
    };

    private static string Count(int n, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? string.Empty : "s")}");
}
