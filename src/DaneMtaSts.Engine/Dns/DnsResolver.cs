using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DaneMtaSts.Engine.Common;
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;
using System.Net.NetworkInformation;

namespace DaneMtaSts.Engine.Dns;

/// <summary>
/// <see cref="IDnsResolver"/> over the project's own wire codec and transports (<see cref="UdpTcpTransport"/>,
/// <see cref="DohTransport"/>, docs/dns.md#layers). It trusts the AD bit of the
/// resolvers it is given, as Postfix does (RFC 7672 §2.1), so every query sets RD and DO (RFC 3225),
/// and each answer is classified:
/// Secure (AD=1, NOERROR/NXDOMAIN), Insecure (no AD), Bogus (SERVFAIL that the same question with
/// CD=1 answers), Failed (no answer, REFUSED, SERVFAIL also with CD=1, a malformed answer or an answer
/// to another question). DNS faults never throw; cancellation does.
/// <para>
/// With <see cref="DnssecValidationMode.Local"/>, or <see cref="DnssecValidationMode.Auto"/> when the
/// resolver is not shown to validate (no AD on the root's DNSKEY), and always for DNS over HTTPS, the
/// status comes from <see cref="LocalDnssecValidator"/> instead, over the same transports. Each answer
/// says which path decided (<see cref="DnsAnswer{T}.ValidatedBy"/>).
/// </para>
/// </summary>
public sealed class DnsResolver : IDnsResolver, IDisposable
{
    /// <summary>How many CNAME links are followed before giving up (docs/verdicts.md#cname: depth ≤ 8).</summary>
    public const int MaxCnameLinks = 8;

    /// <summary>How many answers (name and type) one instance keeps; the least recently used go first.</summary>
    public const int MaxCachedAnswers = 16_384;

    /// <summary>EDNS UDP payload size recommended by DNS Flag Day 2020 (avoids IP fragmentation).</summary>
    public const int EdnsBufferSize = 1232;

    private readonly DnsResolverOptions _options;
    private readonly IReadOnlyList<IPEndPoint> _servers;
    private readonly UdpTcpTransport[] _wire;
    private readonly TimeSpan _queryBudget;
    private readonly SharedWork<(string Name, ushort Type), RawAnswer> _cache;
    private readonly SharedWork<(string Name, ushort Type), ValidatedResponse> _localCache;
    private readonly SharedWork<string, ResolverInfo> _validationCheck;
    private readonly List<DohTransport> _doh = [];
    private readonly LocalDnssecValidator? _validator;
    private readonly CancellationTokenSource _lifetime = new();
    private ResolverInfo _resolver;

    public DnsResolver(DnsResolverOptions? options = null)
    {
        _options = options ?? new DnsResolverOptions();

        // The answer cache is SharedWork (docs/architecture.md#shared-work) on the instance's
        // lifetime, bounded (docs/architecture.md#bounded-memory).
        _cache = new SharedWork<(string, ushort), RawAnswer>(capacity: MaxCachedAnswers, lifetime: _lifetime.Token);
        _localCache = new SharedWork<(string, ushort), ValidatedResponse>(capacity: MaxCachedAnswers, lifetime: _lifetime.Token);
        _validationCheck = new SharedWork<string, ResolverInfo>(StringComparer.Ordinal, lifetime: _lifetime.Token);
        _servers = _options.Servers.Count > 0 ? [.. _options.Servers] : SystemResolvers();
        if (_options.DohServers.Count > 0 && _options.Servers.Count == 0)
        {
            _servers = []; // DoH given alone: the system's resolvers are not asked
        }

        if (_options.DohServers.Count > 0 && _options.DnssecValidation == DnssecValidationMode.Resolver)
        {
            throw new EngineException("DohNeedsLocalValidation", EngineErrorKind.InvalidArgument,
                "DNS over HTTPS answers are validated in-process: use -DnssecValidation Auto or Local with an https:// DNS server, not Resolver.");
        }

        _resolver = new ResolverInfo
        {
            Servers = [.. _servers.Select(s => s.ToString()), .. _options.DohServers.Select(u => u.ToString())],
            IsLoopback = _servers.Count > 0 && _options.DohServers.Count == 0 && _servers.All(s => IPAddress.IsLoopback(s.Address)),
            Note = _servers.Count == 0 && _options.DohServers.Count == 0 ? "No DNS resolver is configured on this system." : null,
            Mode = _options.DnssecValidation,
            DnssecValidatedBy = _options.DnssecValidation switch
            {
                DnssecValidationMode.Resolver => DnssecValidator.Resolver,
                DnssecValidationMode.Local => DnssecValidator.Local,
                _ => _servers.Count == 0 && _options.DohServers.Count > 0 ? DnssecValidator.Local : null,
            },
        };

        // One query's whole budget: attempts × timeout, as the options give it.
        _queryBudget = _options.Timeout * (Math.Max(0, _options.Retries) + 1);
        Budget = new DnsQueryBudget(_options.MaxQueriesInFlight);
        // One transport per resolver: UDP re-sent on a short, growing schedule within the query's
        // budget, TCP when the answer is truncated (docs/dns.md#query-budget).
        TimeSpan wireBudget = _queryBudget;
        _wire = [.. _servers.Select(s => new UdpTcpTransport(s, wireBudget, Counters))];

        if (_options.DnssecValidation != DnssecValidationMode.Resolver && (_servers.Count > 0 || _options.DohServers.Count > 0))
        {
            TimeSpan budget = _queryBudget;
            var transports = new List<IDnsWireTransport>();
            transports.AddRange(_wire);
            foreach (Uri url in _options.DohServers)
            {
                var doh = new DohTransport(url, _options.DohTrust, budget);
                _doh.Add(doh);
                transports.Add(doh);
            }

            _validator = new LocalDnssecValidator(new BudgetedTransport(new CountingTransport(new FailoverTransport(transports), Counters), Budget), _options.TrustAnchors);
        }
    }

    public ResolverInfo Resolver => Volatile.Read(ref _resolver);

    public DnsCounters Counters { get; } = new();

    /// <summary>The queries in flight of this resolver (shared with the CD=1 re-asks and in-process validation).</summary>
    public DnsQueryBudget Budget { get; }

    public Task<DnsAnswer<MxRecordData>> QueryMxAsync(string name, CancellationToken cancellationToken) =>
        QueryTypedAsync(
            name,
            DnsRecordType.MX,
            d => d is MxData mx ? new MxRecordData(mx.Preference, NormalizeExchange(mx.Exchange.ToString())) : null,
            cancellationToken);

    public Task<DnsAnswer<Dane.TlsaRecord>> QueryTlsaAsync(string name, CancellationToken cancellationToken) =>
        QueryTypedAsync(
            name,
            DnsRecordType.TLSA,
            d => d is TlsaData t ? new Dane.TlsaRecord(t.Usage, t.Selector, t.MatchingType, [.. t.Association]) : null,
            cancellationToken);

    /// <summary>TXT records; each record's character-strings are joined without separators (RFC 7208 §3.3, RFC 8461 §3.1).</summary>
    public Task<DnsAnswer<string>> QueryTxtAsync(string name, CancellationToken cancellationToken) =>
        QueryTypedAsync(
            name,
            DnsRecordType.TXT,
            d => d is TxtData txt ? string.Concat(txt.Strings.Select(b => Encoding.UTF8.GetString(b))) : null,
            cancellationToken);

    public async Task<DnsAnswer<IPAddress>> QueryAddressesAsync(string host, CancellationToken cancellationToken)
    {
        Task<DnsAnswer<IPAddress>> v4 = QueryTypedAsync(host, DnsRecordType.A, AddressOf, cancellationToken);
        Task<DnsAnswer<IPAddress>> v6 = QueryTypedAsync(host, DnsRecordType.AAAA, AddressOf, cancellationToken);
        await Task.WhenAll(v4, v6).ConfigureAwait(false);
        return CombineAddressAnswers(await v4.ConfigureAwait(false), await v6.ConfigureAwait(false));
    }

    public Task<ResolverInfo> CheckValidationAsync(CancellationToken cancellationToken)
    {
        return _validationCheck.GetAsync(string.Empty, (_, ct) => RunValidationCheckAsync(ct), cancellationToken);
    }

    /// <summary>
    /// The start-of-call question whose answer proves that a resolver answers at all: any rcode but
    /// REFUSED (and no answer) does (docs/smtp.md#no-resolver). Where the DNSSEC check
    /// (<see cref="CheckValidationAsync"/>) will ask the resolvers, this is that check's DNSKEY query,
    /// put on the wire once for both (with the cache on), so the call's first round trip serves both
    /// questions; otherwise (DNS over HTTPS only, or -DnssecValidation Local) the root's TXT set.
    /// </summary>
    public async Task<(DnsRcode Rcode, string? Failure)> QueryAnyAnswerAsync(CancellationToken cancellationToken)
    {
        if (ValidationCheckAsksResolvers && TryNormalizeQueryName(_options.KnownSignedName, out string? name, out _))
        {
            long tcpBefore = Counters.TcpFallbacks;
            RawAnswer dnskey = await LookupAsync(name, DnsRecordType.DNSKEY, cancellationToken).ConfigureAwait(false);
            if (dnskey.Rcode != DnsRcode.None || Counters.TcpFallbacks == tcpBefore)
            {
                return (dnskey.Rcode, dnskey.Failure);
            }

            // A resolver did answer: truncated over UDP, and the TCP retry failed (TCP/53 blocked
            // on the way, say). That says nothing yet about smaller answers: ask the small question.
        }

        DnsAnswer<string> txt = await QueryTxtAsync(".", cancellationToken).ConfigureAwait(false);
        return (txt.Rcode, txt.Failure);
    }

    // Mirrors RunValidationCheckAsync's two early returns: it asks the resolvers (DNSKEY of
    // KnownSignedName) unless they are DNS over HTTPS only or the AD bit is not used at all.
    private bool ValidationCheckAsksResolvers =>
        _servers.Count > 0 && !(_options.DnssecValidation == DnssecValidationMode.Local && _validator is not null);

    /// <summary>Cancels queries still in flight (shared, cached queries run on the instance's lifetime).</summary>
    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
        _validator?.Dispose();
        foreach (DohTransport doh in _doh)
        {
            doh.Dispose();
        }
    }

    /// <summary>
    /// Names from DNS as the engine keeps them: lower case, no trailing dot; the root is ".".
    /// An MX exchange of "." (Null MX, RFC 7505) therefore stays ".", never an empty string.
    /// </summary>
    internal static string NormalizeExchange(string? name)
    {
        if (string.IsNullOrEmpty(name) || name == ".")
        {
            return ".";
        }

        return name.TrimEnd('.').ToLowerInvariant();
    }

    /// <summary>The weaker of two DNSSEC statuses: Secure &lt; Insecure &lt; Indeterminate &lt; Bogus &lt; Failed.</summary>
    internal static DnsSecStatus Weaker(DnsSecStatus a, DnsSecStatus b) => Rank(a) >= Rank(b) ? a : b;

    private static int Rank(DnsSecStatus status) => status switch
    {
        DnsSecStatus.Secure => 0,
        DnsSecStatus.Insecure => 1,
        DnsSecStatus.Indeterminate => 2,
        DnsSecStatus.Bogus => 3,
        _ => 4,
    };

    private static IPAddress? AddressOf(DnsRecordData data) => data is AddressData a ? a.Address : null;

    internal static DnsAnswer<IPAddress> CombineAddressAnswers(DnsAnswer<IPAddress> v4, DnsAnswer<IPAddress> v6)
    {
        string name = v4.Name;
        IReadOnlyList<string> chain = v4.CnameChain.Count > 0 ? v4.CnameChain : v6.CnameChain;
        DnsSecStatus? firstLink = (v4.FirstLinkStatus, v6.FirstLinkStatus) switch
        {
            (null, null) => null,
            ({ } a, null) => a,
            (null, { } b) => b,
            ({ } a, { } b) => Weaker(a, b),
        };

        // Who decided, and the proof, follow the weaker family (the one that decides the host's status).
        DnsAnswer<IPAddress> proof = Rank(v6.Status) > Rank(v4.Status) ? v6 : v4;

        // The whole host takes the status of a family that failed with it; its records are unusable.
        DnsAnswer<IPAddress> Degraded(DnsSecStatus status) => new()
        {
            ValidatedBy = proof.ValidatedBy,
            DnssecReason = proof.DnssecReason,
            DnssecReasonZone = proof.DnssecReasonZone,
            DnssecReasonText = proof.DnssecReasonText,
            DnssecChain = proof.DnssecChain,
            Name = name,
            Type = "A+AAAA",
            Status = status,
            Rcode = v4.Status == status ? v4.Rcode : v6.Rcode,
            CnameChain = chain,
            FirstLinkStatus = firstLink,
            Server = v4.Server ?? v6.Server,
            Failure = JoinFailures(v4.Status == status ? v4.Failure : null, v6.Status == status ? v6.Failure : null),
        };

        // A bogus family is a validation failure (possibly an attack): the whole host is bogus.
        if (v4.Status == DnsSecStatus.Bogus || v6.Status == DnsSecStatus.Bogus)
        {
            return Degraded(DnsSecStatus.Bogus);
        }

        // One family failed outright while the other has addresses: deliver over the family that
        // worked (Postfix's dns_lookup_v succeeds when any type does). Its status is not raised by
        // this: the failed family could only have made the host weaker, never stronger, and DANE
        // still applies to the addresses used only if their own records are secure.
        bool v4Good = v4.IsUsable && v4.Records.Count > 0;
        bool v6Good = v6.IsUsable && v6.Records.Count > 0;
        if ((v4.Status == DnsSecStatus.Failed && v6Good) || (v6.Status == DnsSecStatus.Failed && v4Good))
        {
            DnsAnswer<IPAddress> good = v4Good ? v4 : v6;
            DnsAnswer<IPAddress> failed = v4Good ? v6 : v4;
            return good with
            {
                Type = "A+AAAA",
                FirstLinkStatus = good.FirstLinkStatus,
                Failure = $"The {failed.Type} lookup failed ({failed.Failure?.TrimEnd('.')}); only the {good.Type} records are used.",
            };
        }

        if (v4.Status == DnsSecStatus.Failed || v6.Status == DnsSecStatus.Failed)
        {
            return Degraded(DnsSecStatus.Failed);
        }

        return new DnsAnswer<IPAddress>
        {
            ValidatedBy = proof.ValidatedBy,
            DnssecReason = proof.DnssecReason,
            DnssecReasonZone = proof.DnssecReasonZone,
            DnssecReasonText = proof.DnssecReasonText,
            DnssecChain = proof.DnssecChain,
            Name = name,
            Type = "A+AAAA",
            Status = Weaker(v4.Status, v6.Status),
            Rcode = v4.Rcode == DnsRcode.NxDomain && v6.Rcode == DnsRcode.NxDomain ? DnsRcode.NxDomain : DnsRcode.NoError,
            Records = [.. v4.Records, .. v6.Records],
            CnameChain = chain,
            FirstLinkStatus = firstLink,
            Server = v4.Server ?? v6.Server,
        };
    }

    private static string? JoinFailures(string? a, string? b) =>
        (a, b) switch
        {
            (null, null) => null,
            ({ } x, null) => x,
            (null, { } y) => y,
            ({ } x, { } y) => x + " " + y,
        };

    private static IReadOnlyList<IPEndPoint> SystemResolvers()
    {
        try
        {
            // resolv.conf first where there is one: it is what the system resolver uses, also when
            // the only interface is loopback (containers, namespaces), which the interface view skips.
            if (!OperatingSystem.IsWindows() && ResolvConf.Read() is { Count: > 0 } configured)
            {
                return configured;
            }

            // Never fall back to a public resolver: the trust model is the configured (ideally local) validator.
            return InterfaceResolvers();
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or NotSupportedException or FormatException or NetworkInformationException)
        {
            return [];
        }
    }

    /// <summary>
    /// The DNS servers of the interfaces that are up (Windows keeps them per interface), in interface
    /// order, without duplicates and without the deprecated IPv6 site-local defaults (fec0::/10,
    /// RFC 3879), which are placeholders rather than configured servers.
    /// </summary>
    internal static IReadOnlyList<IPEndPoint> InterfaceResolvers()
    {
        var servers = new List<IPEndPoint>();
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up)
            {
                continue;
            }

            foreach (IPAddress address in nic.GetIPProperties().DnsAddresses)
            {
                if (address.IsIPv6SiteLocal)
                {
                    continue;
                }

                var server = new IPEndPoint(address, 53);
                if (!servers.Contains(server))
                {
                    servers.Add(server);
                }
            }
        }

        return servers;
    }

    private static string Describe(string name, ushort type) =>
        string.Create(CultureInfo.InvariantCulture, $"{(name == "." ? "." : name)} {DnsRecordType.Name(type)}");

    private async Task<DnsAnswer<T>> QueryTypedAsync<T>(string name, ushort type, Func<DnsRecordData, T?> map, CancellationToken cancellationToken)
        where T : class
    {
        string typeName = DnsRecordType.Name(type);
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryNormalizeQueryName(name, out string? current, out string? nameError))
        {
            return new DnsAnswer<T> { Name = name, Type = typeName, Status = DnsSecStatus.Failed, Rcode = DnsRcode.None, Failure = nameError };
        }

        if (await UsesLocalValidationAsync(cancellationToken).ConfigureAwait(false))
        {
            return await QueryLocalAsync(current, type, typeName, map, cancellationToken).ConfigureAwait(false);
        }

        string queryName = current;
        var chain = new List<string>();
        var visited = new HashSet<string>(StringComparer.Ordinal) { current };
        DnsSecStatus status = DnsSecStatus.Secure;
        while (true)
        {
            RawAnswer raw = await LookupAsync(current, type, cancellationToken).ConfigureAwait(false);
            status = Weaker(status, raw.Status);
            if (raw.Status is DnsSecStatus.Bogus or DnsSecStatus.Failed)
            {
                string? failure = chain.Count > 0 ? $"{raw.Failure} (reached through the CNAME chain {queryName} → {string.Join(" → ", chain)})" : raw.Failure;
                return Result(raw.Status, raw.Rcode, [], raw.Server, failure);
            }

            // Follow the CNAME links inside this answer (RFC 1034 §3.6.2, RFC 2181 §10.1).
            string owner = current;
            DnsName ownerName = CheckingDisabledQuery.WireName(current); // it was asked, so it encodes
            while (true)
            {
                List<T> records = [.. raw.Records
                    .Where(r => r.Type == type && r.Owner.Equals(ownerName) && r.Data is not null)
                    .Select(r => map(r.Data!))
                    .OfType<T>()];
                if (records.Count > 0)
                {
                    return await WithFirstLinkAsync(Result(status, DnsRcode.NoError, records, raw.Server, null)).ConfigureAwait(false);
                }

                DnsName? link = CnameTarget(raw.Records, ownerName);
                if (link is null)
                {
                    break;
                }

                string target = NormalizeExchange(link.ToString());
                if (!visited.Add(target))
                {
                    return Result(DnsSecStatus.Failed, DnsRcode.Other, [], raw.Server, $"CNAME loop for {Describe(queryName, type)}: {queryName} → {string.Join(" → ", chain)} → {target}.");
                }

                if (chain.Count >= MaxCnameLinks)
                {
                    return Result(DnsSecStatus.Failed, DnsRcode.Other, [], raw.Server, $"The CNAME chain of {queryName} is longer than {MaxCnameLinks} links ({queryName} → {string.Join(" → ", chain)} → {target} …); it is not followed further.");
                }

                chain.Add(target);
                owner = target;
                ownerName = link;
            }

            if (raw.Rcode == DnsRcode.NxDomain || owner == current)
            {
                // NXDOMAIN after a CNAME applies to the last target (RFC 6604 §3); NODATA likewise.
                return await WithFirstLinkAsync(Result(status, raw.Rcode, [], raw.Server, null)).ConfigureAwait(false);
            }

            // The answer ended in a CNAME without the target's records (a resolver that stopped early,
            // or NODATA at the target): ask for the target itself. Bounded: every round grows the chain.
            current = owner;
        }

        DnsAnswer<T> Result(DnsSecStatus s, DnsRcode rcode, IReadOnlyList<T> records, string? server, string? failure) => new()
        {
            Name = queryName,
            Type = typeName,
            Status = s,
            Rcode = rcode,
            Records = records,
            CnameChain = [.. chain],
            Server = server,
            Failure = failure,
        };

        async Task<DnsAnswer<T>> WithFirstLinkAsync(DnsAnswer<T> answer)
        {
            if (answer.CnameChain.Count == 0)
            {
                return answer;
            }

            if (answer.Status == DnsSecStatus.Secure)
            {
                return answer with { FirstLinkStatus = DnsSecStatus.Secure };
            }

            // RFC 7672 §2.2.2: an alias whose first link is secure still gets a TLSA lookup at the
            // original name, so learn the first link's status on its own (only when needed).
            RawAnswer firstLink = await LookupAsync(queryName, DnsRecordType.CNAME, cancellationToken).ConfigureAwait(false);
            DnsSecStatus linkStatus = firstLink.Status;
            bool linkPresent = CnameTarget(firstLink.Records, CheckingDisabledQuery.WireName(queryName)) is { } linked &&
                NormalizeExchange(linked.ToString()) == answer.CnameChain[0];
            if (linkStatus == DnsSecStatus.Secure && !linkPresent)
            {
                // A secure answer that does not hold the link we followed proves nothing about it.
                linkStatus = DnsSecStatus.Insecure;
            }

            return answer with { FirstLinkStatus = linkStatus };
        }
    }

    /// <summary>
    /// The choice (-DnssecValidation): Local and DoH always validate in-process, Resolver never;
    /// Auto trusts the AD bit only once the resolver has been shown to validate.
    /// </summary>
    private async ValueTask<bool> UsesLocalValidationAsync(CancellationToken cancellationToken)
    {
        if (_validator is null)
        {
            return false;
        }

        if (_options.DnssecValidation == DnssecValidationMode.Local || _servers.Count == 0)
        {
            return true;
        }

        ResolverInfo info = await CheckValidationAsync(cancellationToken).ConfigureAwait(false);
        return info.DnssecValidatedBy != DnssecValidator.Resolver;
    }

    private async Task<DnsAnswer<T>> QueryLocalAsync<T>(string name, ushort type, string typeName, Func<DnsRecordData, T?> map, CancellationToken cancellationToken)
        where T : class
    {
        ValidatedResponse response;
        if (_options.UseCache)
        {
            Task<ValidatedResponse> shared = _localCache.GetAsync((name, type), (k, ct) => ResolveLocallyAsync(k.Name, k.Type, ct), cancellationToken, out bool joined);
            if (joined)
            {
                Counters.CountCacheHit();
            }

            response = await shared.ConfigureAwait(false);
        }
        else
        {
            response = await ResolveLocallyAsync(name, type, cancellationToken).ConfigureAwait(false);
        }

        string? failure = response.Status is DnsSecStatus.Bogus or DnsSecStatus.Failed or DnsSecStatus.Indeterminate
            ? $"{response.ReasonText?.TrimEnd('.') ?? "Validation failed"} ({Describe(name, type)}, validated in-process through {_validator!.Server})."
            : null;
        List<T> records = response.Status is DnsSecStatus.Bogus or DnsSecStatus.Failed
            ? []
            : [.. response.Records.Where(r => r.Type == type).Select(r => r.Data).OfType<DnsRecordData>().Select(map).OfType<T>()];
        return new DnsAnswer<T>
        {
            Name = name,
            Type = typeName,
            Status = response.Status,
            Rcode = response.Rcode,
            Records = records,
            CnameChain = [.. response.CnameChain.Select(n => NormalizeExchange(n.ToString()))],
            FirstLinkStatus = response.CnameChain.Count > 0 ? response.FirstLinkStatus : null,
            Server = _validator!.Server,
            Failure = failure,
            ValidatedBy = DnssecValidator.Local,
            DnssecReason = response.Reason,
            DnssecReasonZone = response.ReasonName is null ? null : NormalizeExchange(response.ReasonName.ToString()),
            DnssecReasonText = response.ReasonText,
            DnssecChain = response.Chain,
        };
    }

    private Task<ValidatedResponse> ResolveLocallyAsync(string name, ushort type, CancellationToken cancellationToken) =>
        _validator!.ResolveAsync(name == "." ? "." : name + ".", type, cancellationToken);

    private static bool TryNormalizeQueryName(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? normalized, out string? error)
    {
        if (name == ".")
        {
            normalized = ".";
            error = null;
            return true;
        }

        if (DomainName.TryNormalize(name, out normalized, out error))
        {
            return true;
        }

        error = $"Not looked up: {error}";
        return false;
    }

    /// <summary>The target of the CNAME record owned by <paramref name="owner"/>, if the records hold one.</summary>
    private static DnsName? CnameTarget(IReadOnlyList<DnsRecord> records, DnsName owner)
    {
        foreach (DnsRecord record in records)
        {
            if (record.Type == DnsRecordType.CNAME && record.Data is NameData link && record.Owner.Equals(owner))
            {
                return link.Target;
            }
        }

        return null;
    }

    private Task<RawAnswer> LookupAsync(string name, ushort type, CancellationToken cancellationToken)
    {
        if (!_options.UseCache)
        {
            return LookupOnWireAsync(name, type, cancellationToken);
        }

        // Shared by every caller asking the same name and type, also while the query is in flight;
        // each caller waits on its own token, and the query is cancelled only when all have given up.
        Task<RawAnswer> shared = _cache.GetAsync((name, type), (k, ct) => LookupOnWireAsync(k.Name, k.Type, ct), cancellationToken, out bool joined);
        if (joined)
        {
            Counters.CountCacheHit();
        }

        return shared;
    }

    private async Task<RawAnswer> LookupOnWireAsync(string name, ushort type, CancellationToken cancellationToken)
    {
        if (_wire.Length == 0)
        {
            return RawAnswer.Fail(name, type, DnsRcode.None, null, $"{Describe(name, type)} was not looked up: no DNS resolver is configured.");
        }

        RawAnswer? firstFailure = null;
        int failures = 0;
        for (int i = 0; i < _wire.Length; i++)
        {
            IPEndPoint server = _servers[i];
            RawAnswer answer = await QueryServerAsync(_wire[i], server, name, type, cancellationToken).ConfigureAwait(false);
            if (answer.Rcode == DnsRcode.ServFail)
            {
                answer = await ClassifyServFailAsync(server, answer, cancellationToken).ConfigureAwait(false);
            }

            // A usable answer is final. So is Bogus: a validating resolver found the signatures
            // wrong, and asking another resolver could only turn that into a weaker answer.
            if (answer.Status != DnsSecStatus.Failed)
            {
                return answer;
            }

            firstFailure ??= answer;
            failures++;
        }

        return failures > 1
            ? firstFailure! with { Failure = $"{firstFailure!.Failure} The other {failures - 1} configured resolver(s) failed as well." }
            : firstFailure!;
    }

    /// <summary>RFC 4035 §5.5: SERVFAIL from a validator that the CD=1 question answers is a bogus answer.</summary>
    private async Task<RawAnswer> ClassifyServFailAsync(IPEndPoint server, RawAnswer servFail, CancellationToken cancellationToken)
    {
        DnsRcode withCd;
        using (await Budget.AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            withCd = await CheckingDisabledQuery.QueryRcodeAsync(
                server, servFail.Name, servFail.Type, _options.Timeout, _options.Retries, EdnsBufferSize, Counters, cancellationToken).ConfigureAwait(false);
        }

        string what = Describe(servFail.Name, servFail.Type);
        if (withCd is DnsRcode.NoError or DnsRcode.NxDomain)
        {
            return servFail with
            {
                Status = DnsSecStatus.Bogus,
                Failure = $"SERVFAIL from {server} for {what}; the answer validates with CD=1 (checking disabled), so its DNSSEC signatures are bogus.",
            };
        }

        string cdOutcome = withCd == DnsRcode.None ? "no answer" : RcodeText(withCd);
        return servFail with
        {
            Status = DnsSecStatus.Failed,
            Failure = $"SERVFAIL from {server} for {what}, and {cdOutcome} with CD=1 (checking disabled) too: the lookup fails for a reason other than DNSSEC validation.",
        };
    }

    private async Task<RawAnswer> QueryServerAsync(UdpTcpTransport transport, IPEndPoint server, string name, ushort type, CancellationToken cancellationToken)
    {
        string what = Describe(name, type);
        byte[] query;
        try
        {
            // RD, DO, EDNS buffer 1232; CD clear: the resolver's own validation is what is asked for.
            query = DnsMessageWriter.BuildQuery(0, CheckingDisabledQuery.EncodeQuestion(name, type), EdnsBufferSize, checkingDisabled: false);
        }
        catch (ArgumentException ex)
        {
            return RawAnswer.Fail(name, type, DnsRcode.None, null, $"{what} was not looked up: {ex.Message}");
        }

        byte[] response;
        using (await Budget.AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            Counters.CountQuery(DnsRecordType.Name(type));
            try
            {
                response = await transport.ExchangeAsync(query, cancellationToken).ConfigureAwait(false);
            }
            catch (DnsTransportException ex) when (cancellationToken.IsCancellationRequested)
            {
                // A socket fault while the caller gave up: callers expect the standard exception.
                throw new OperationCanceledException("The DNS query was cancelled.", ex, cancellationToken);
            }
            catch (DnsTransportException ex) when (ex.NoAnswer && !ex.TruncatedOverUdp)
            {
                string ignored = ex.DatagramsIgnored > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"; {ex.DatagramsIgnored} datagram(s) that did not answer the question (another message ID or question) were ignored")
                    : string.Empty;
                return RawAnswer.Fail(name, type, DnsRcode.None, server.ToString(), string.Create(
                    CultureInfo.InvariantCulture,
                    $"No answer from {server} for {what} within {_queryBudget.TotalSeconds:0.#} s ({ex.DatagramsSent} datagram(s) sent{ignored})."));
            }
            catch (DnsTransportException ex)
            {
                return RawAnswer.Fail(name, type, DnsRcode.None, server.ToString(), $"The query to {server} for {what} failed: {ex.Message}");
            }
        }

        // The transport returns only a response that repeats our ID and question (RFC 5452 §4.2).
        DnsMessage message;
        try
        {
            message = DnsMessage.Parse(response);
        }
        catch (DnsWireFormatException ex)
        {
            return RawAnswer.Fail(name, type, DnsRcode.None, server.ToString(), $"The answer from {server} for {what} is malformed and cannot be read: {ex.Message}");
        }

        DnsRcode rcode = CheckingDisabledQuery.MapRcode(message.Rcode);
        switch (rcode)
        {
            case DnsRcode.NoError:
            case DnsRcode.NxDomain:
                return new RawAnswer(
                    name,
                    type,
                    message.AuthenticatedData ? DnsSecStatus.Secure : DnsSecStatus.Insecure,
                    rcode,
                    message.Answers,
                    server.ToString(),
                    null);
            case DnsRcode.ServFail:
                return RawAnswer.Fail(name, type, rcode, server.ToString(), $"SERVFAIL from {server} for {what}.");
            default:
                return RawAnswer.Fail(name, type, rcode, server.ToString(), $"{RcodeText(rcode)} from {server} for {what}.");
        }
    }

    private static string RcodeText(DnsRcode rcode) => rcode switch
    {
        DnsRcode.NoError => "NOERROR",
        DnsRcode.NxDomain => "NXDOMAIN",
        DnsRcode.ServFail => "SERVFAIL",
        DnsRcode.Refused => "REFUSED",
        DnsRcode.FormErr => "FORMERR",
        DnsRcode.NotImp => "NOTIMP",
        DnsRcode.None => "no answer",
        _ => "an unexpected response code",
    };

    private async Task<ResolverInfo> RunValidationCheckAsync(CancellationToken cancellationToken)
    {
        if (_servers.Count == 0 && _options.DohServers.Count > 0)
        {
            return Publish(null, "DNS over HTTPS: every answer is validated in-process from the trust anchors.");
        }

        if (_options.DnssecValidation == DnssecValidationMode.Local && _validator is not null)
        {
            // No need to ask: the AD bit is not used.
            return Publish(null, "-DnssecValidation Local: every answer is validated in-process from the trust anchors.");
        }

        string signedName = _options.KnownSignedName;
        if (!TryNormalizeQueryName(signedName, out string? name, out string? error))
        {
            return Publish(null, $"The DNSSEC check could not run: {error}");
        }

        RawAnswer answer = await LookupAsync(name, DnsRecordType.DNSKEY, cancellationToken).ConfigureAwait(false);
        string servers = string.Join(", ", _servers.Select(s => s.ToString()));
        string zone = name == "." ? "the signed root" : $"the signed zone {name}";
        bool auto = _options.DnssecValidation == DnssecValidationMode.Auto && _validator is not null;
        string instead = auto ? " DNSSEC is validated in-process instead." : " DANE cannot be verified.";
        return answer.Status switch
        {
            DnsSecStatus.Secure when answer.Rcode == DnsRcode.NoError => Publish(true, null),
            DnsSecStatus.Insecure or DnsSecStatus.Secure =>
                Publish(false, $"Resolver {servers} does not validate DNSSEC: no AD bit on {zone}'s DNSKEY;{instead}"),
            _ => Publish(null, $"Could not learn whether resolver {servers} validates DNSSEC: {answer.Failure}{(auto ? " DNSSEC is validated in-process instead." : "")}"),
        };

        ResolverInfo Publish(bool? validates, string? note)
        {
            DnssecValidator by = _options.DnssecValidation switch
            {
                DnssecValidationMode.Resolver => DnssecValidator.Resolver,
                DnssecValidationMode.Local => DnssecValidator.Local,
                _ => validates == true || _validator is null ? DnssecValidator.Resolver : DnssecValidator.Local,
            };
            ResolverInfo info = Resolver with { Validates = validates, Note = note, DnssecValidatedBy = by };
            Volatile.Write(ref _resolver, info);
            return info;
        }
    }

    /// <summary>One exchange with the resolvers for one name and type, before CNAME processing and typing.</summary>
    internal sealed record RawAnswer(
        string Name,
        ushort Type,
        DnsSecStatus Status,
        DnsRcode Rcode,
        IReadOnlyList<DnsRecord> Records,
        string? Server,
        string? Failure)
    {
        public static RawAnswer Fail(string name, ushort type, DnsRcode rcode, string? server, string failure) =>
            new(name, type, DnsSecStatus.Failed, rcode, [], server, failure);
    }
}
