using System.Collections.Concurrent;
using DaneMtaSts.Engine.Common;
using System.Security.Cryptography;
using DaneMtaSts.Engine.Dns.Wire;

namespace DaneMtaSts.Engine.Dns.Dnssec;

/// <summary>
/// An in-process DNSSEC validator (RFC 4033–4035, 5155, 6840) over any recursive resolver that passes
/// DNSSEC records through: it asks every question with RD=1, CD=1 and DO=1 (RFC 6840 §5.9) through an
/// <see cref="IDnsWireTransport"/> and proves each answer from the root trust anchors.
/// <para>API overview:</para>
/// <list type="bullet">
/// <item><c>new LocalDnssecValidator(transport, TrustAnchorSet.BuiltIn or TrustAnchorSet.Load(path), timeProvider, limits)</c>: one per run (cmdlet call); DS and DNSKEY RRsets are validated once per instance and shared by concurrent lookups.</item>
/// <item><see cref="ResolveAsync(DnsName, ushort, CancellationToken)"/>: sends the question, follows CNAME/DNAME links, and returns a <see cref="ValidatedResponse"/>: rcode, the records of the type, the alias chain, <see cref="ValidatedResponse.Status"/> (Secure/Insecure/Bogus/Indeterminate, or Failed when the question itself got no usable answer), <see cref="ValidatedResponse.FirstLinkStatus"/> (RFC 7672 §2.2.2), a typed <see cref="DnssecReason"/> and the chain of signatures used.</item>
/// <item><see cref="ValidateAsync"/>: the same for a response message already in hand (fetched with CD=1 and DO=1).</item>
/// <item><see cref="Counters"/>: queries sent, signatures verified, NSEC3 hashes, for the benchmark and tests.</item>
/// </list>
/// Bounds (<see cref="DnssecLimits"/>) keep hostile zones cheap; exceeding one is Indeterminate
/// (<see cref="DnssecReason.BudgetExceeded"/>), never a hang. A missing RRSIG/DS/DNSKEY where the
/// response carries no DNSSEC record at all is Indeterminate (<see cref="DnssecReason.DnssecRecordsMissing"/>:
/// the resolver strips them); signatures present and wrong are Bogus.
/// </summary>
public sealed class LocalDnssecValidator : IDisposable
{
    private readonly IDnsWireTransport _transport;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SharedWork<DnsName, ZoneState> _zones;
    private bool _sawDnssecRecords;

    public LocalDnssecValidator(IDnsWireTransport transport, TrustAnchorSet? trustAnchors = null, TimeProvider? timeProvider = null, DnssecLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        TrustAnchors = trustAnchors ?? TrustAnchorSet.BuiltIn;
        _time = timeProvider ?? TimeProvider.System;
        Limits = limits ?? new DnssecLimits();

        // Zone states (DNSKEY and DS validated once) shared the one way every cache of a call is
        // (docs/architecture.md#shared-work), bounded (docs/architecture.md#bounded-memory).
        _zones = new SharedWork<DnsName, ZoneState>(capacity: MaxCachedNames, lifetime: _lifetime.Token);
    }

    /// <summary>How many names' zone states one instance keeps.</summary>
    public const int MaxCachedNames = 8192;

    public TrustAnchorSet TrustAnchors { get; }

    public DnssecLimits Limits { get; }

    public DnssecValidatorCounters Counters { get; } = new();

    /// <summary>The transport's server, for evidence.</summary>
    public string Server => _transport.Server;

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    /// <summary>Parses <paramref name="name"/> (presentation form) and resolves it; <see cref="ArgumentException"/> for a malformed name.</summary>
    public Task<ValidatedResponse> ResolveAsync(string name, ushort type, CancellationToken cancellationToken)
    {
        DnsName parsed;
        try
        {
            parsed = DnsName.Parse(name);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException(ex.Message, nameof(name), ex);
        }

        return ResolveAsync(parsed, type, cancellationToken);
    }

    /// <summary>Asks <paramref name="name"/>/<paramref name="type"/> with CD=1, DO=1 and validates the answer. Throws only on cancellation.</summary>
    public async Task<ValidatedResponse> ResolveAsync(DnsName name, ushort type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        var budget = new Budget(Limits.MaxQueriesPerLookup, Limits.MaxVerificationsPerLookup);
        return await ResolveCoreAsync(name, type, budget, depth: 0, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Validates a response already fetched (with CD=1 and DO=1) for its own question.</summary>
    public async Task<ValidatedResponse> ValidateAsync(DnsMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        DnsQuestion question = response.Question ?? throw new ArgumentException("The response has no question.", nameof(response));
        var budget = new Budget(Limits.MaxQueriesPerLookup, Limits.MaxVerificationsPerLookup);
        return await ValidateMessageAsync(question.Name, question.Type, response, budget, depth: 0, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ValidatedResponse> ResolveCoreAsync(DnsName name, ushort type, Budget budget, int depth, CancellationToken cancellationToken)
    {
        (DnsMessage? message, DnssecReason failure) = await QueryAsync(name, type, budget, cancellationToken).ConfigureAwait(false);
        if (message is null)
        {
            return new ValidatedResponse
            {
                Name = name,
                Type = type,
                Rcode = DnsRcode.None,
                Status = failure == DnssecReason.BudgetExceeded ? DnsSecStatus.Indeterminate : DnsSecStatus.Failed,
                Reason = failure,
                ReasonName = name,
            };
        }

        return await ValidateMessageAsync(name, type, message, budget, depth, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ValidatedResponse> ValidateMessageAsync(DnsName qname, ushort qtype, DnsMessage message, Budget budget, int depth, CancellationToken cancellationToken)
    {
        DnsRcode rcode = CheckingDisabledQuery.MapRcode(message.Rcode);
        if (rcode is not (DnsRcode.NoError or DnsRcode.NxDomain))
        {
            return new ValidatedResponse { Name = qname, Type = qtype, Rcode = rcode, Status = DnsSecStatus.Failed, Reason = DnssecReason.LookupFailed, ReasonName = qname };
        }

        var outcome = new Outcome();
        var aliases = new List<DnsName>();
        DnsSecStatus? firstLink = null;
        DnsName current = qname;
        IReadOnlyList<DnsRecord> records = [];
        bool wildcard = false;
        uint? ttl = null;
        var visited = new HashSet<DnsName> { qname };
        for (int link = 0; ; link++)
        {
            List<DnsRecord> rrset = Rrset(message.Answers, current, qtype);
            if (rrset.Count > 0)
            {
                RrsetResult r = await ValidateRrsetAsync(rrset, message, budget, cancellationToken).ConfigureAwait(false);
                outcome.Add(r.Status, r.Reason, r.ReasonName, r.Chain);
                records = rrset;
                wildcard = r.Wildcard;
                ttl = r.Ttl;
                break;
            }

            if (qtype == DnsRecordType.CNAME || qtype == DnsRecordType.DNAME)
            {
                break;
            }

            DnsRecord? dname = message.Answers
                .Where(r => r.Type == DnsRecordType.DNAME && r.Class == DnsRecordType.ClassIN && current.IsProperSubdomainOf(r.Owner))
                .OrderByDescending(r => r.Owner.LabelCount)
                .FirstOrDefault();
            List<DnsRecord> cname = Rrset(message.Answers, current, DnsRecordType.CNAME);
            DnsName next;
            RrsetResult linkResult;
            if (dname is not null)
            {
                linkResult = await ValidateRrsetAsync(Rrset(message.Answers, dname.Owner, DnsRecordType.DNAME), message, budget, cancellationToken).ConfigureAwait(false);
                DnsName? synthesised = current.ReplaceSuffix(dname.Owner, ((NameData)dname.Data!).Target);
                if (synthesised is null || (cname.Count > 0 && !((NameData)cname[0].Data!).Target.Equals(synthesised)))
                {
                    linkResult = linkResult with { Status = DnsSecStatus.Bogus, Reason = DnssecReason.BadDname, ReasonName = current };
                }

                next = synthesised ?? current;
            }
            else if (cname.Count > 0)
            {
                linkResult = await ValidateRrsetAsync(cname, message, budget, cancellationToken).ConfigureAwait(false);
                next = ((NameData)cname[0].Data!).Target;
                if (cname.Count > 1)
                {
                    linkResult = linkResult with { Status = DnsSecStatus.Bogus, Reason = DnssecReason.BadSignature, ReasonName = current };
                }
            }
            else
            {
                break;
            }

            outcome.Add(linkResult.Status, linkResult.Reason, linkResult.ReasonName, linkResult.Chain);
            firstLink ??= linkResult.Status;
            if (link + 1 >= Limits.MaxChainLinks || !visited.Add(next))
            {
                outcome.Add(DnsSecStatus.Failed, DnssecReason.ChainTooLong, qname, []);
                return outcome.Result(qname, qtype, rcode, records, aliases, firstLink, wildcard, ttl);
            }

            aliases.Add(next);
            current = next;
        }

        if (records.Count == 0)
        {
            bool hasDenial = message.Authorities.Any(r => r.Type is DnsRecordType.SOA or DnsRecordType.NSEC or DnsRecordType.NSEC3);
            if (aliases.Count > 0 && !hasDenial && rcode == DnsRcode.NoError && depth < Limits.MaxChainLinks)
            {
                // The resolver stopped at an alias (its target lies elsewhere): ask for the target itself.
                ValidatedResponse rest = await ResolveCoreAsync(current, qtype, budget, depth + 1, cancellationToken).ConfigureAwait(false);
                outcome.Add(rest.Status, rest.Reason, rest.ReasonName, rest.Chain);
                return outcome.Result(qname, qtype, rest.Rcode, rest.Records, [.. aliases, .. rest.CnameChain], firstLink, rest.IsWildcardExpansion, rest.Ttl);
            }

            RrsetResult negative = await ValidateNegativeAsync(current, qtype, rcode == DnsRcode.NxDomain, message, budget, cancellationToken).ConfigureAwait(false);
            outcome.Add(negative.Status, negative.Reason, negative.ReasonName, negative.Chain);
        }

        return outcome.Result(qname, qtype, rcode, records, aliases, firstLink, wildcard, ttl);
    }

    /// <summary>The RRset of one owner and type in a section, duplicates dropped (RFC 2181 §5: a set has no duplicates).</summary>
    private static List<DnsRecord> Rrset(IEnumerable<DnsRecord> section, DnsName owner, ushort type) =>
        [.. section.Where(r => r.Type == type && r.Class == DnsRecordType.ClassIN && r.Owner.Equals(owner))
            .DistinctBy(r => Convert.ToHexString(r.CanonicalRData.Span))];

    private static List<DnsRecord> Signatures(IEnumerable<DnsRecord> section, DnsName owner, ushort type) =>
        [.. section.Where(r => r.Type == DnsRecordType.RRSIG && r.Owner.Equals(owner) && r.Data is RrsigData s && s.TypeCovered == type)];

    private static bool HasAnyDnssecRecord(DnsMessage message) =>
        message.Answers.Concat(message.Authorities).Any(r => r.Type is DnsRecordType.RRSIG or DnsRecordType.NSEC or DnsRecordType.NSEC3);

    /// <summary>
    /// The reason for a missing signature where the zone is proven signed. When neither this response
    /// nor any earlier one from this resolver carried a DNSSEC record, the resolver strips them: nothing
    /// can be proven (Indeterminate). Once the resolver has passed signatures, a missing one is Bogus.
    /// </summary>
    private (DnsSecStatus, DnssecReason) Missing(DnsMessage message, DnssecReason bogusReason) =>
        HasAnyDnssecRecord(message) || Volatile.Read(ref _sawDnssecRecords)
            ? (DnsSecStatus.Bogus, bogusReason)
            : (DnsSecStatus.Indeterminate, DnssecReason.DnssecRecordsMissing);

    // ---- RRsets ----

    private async Task<RrsetResult> ValidateRrsetAsync(List<DnsRecord> rrset, DnsMessage message, Budget budget, CancellationToken cancellationToken)
    {
        DnsName owner = rrset[0].Owner;
        ushort type = rrset[0].Type;
        List<DnsRecord> signatures = Signatures(message.Answers, owner, type);
        if (signatures.Count == 0)
        {
            // Unsigned: fine only where a signed parent proves the zone unsigned.
            return await UnsignedAsync(type == DnsRecordType.DS && !owner.IsRoot ? owner.Parent() : owner, owner, message, DnssecReason.MissingRrsig, cancellationToken).ConfigureAwait(false);
        }

        DnsName signer = ((RrsigData)signatures[0].Data!).SignerName;
        (ZoneState keys, RrsetResult? refused) = await SignerKeysAsync(owner, type, signer, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        Verified verified = Verify(rrset, signatures.Where(s => ((RrsigData)s.Data!).SignerName.Equals(signer)).ToList(), signer, keys.Keys, budget);
        if (verified.Reason != DnssecReason.None)
        {
            return new RrsetResult(DnssecReasons.StatusOf(verified.Reason), verified.Reason, owner, keys.Chain);
        }

        var chain = keys.Chain.Append(verified.Link!).ToList();
        RrsigData used = verified.Signature!;
        bool wildcard = used.Labels < owner.SignatureLabelCount;
        if (wildcard)
        {
            DenialResult proof = await ProveWithAuthorityAsync(signer, keys, message, budget, p => p.ProveWildcardExpansion(owner, owner.Suffix(used.Labels))).ConfigureAwait(false);
            if (proof.Kind != DenialKind.NxDomain)
            {
                DnssecReason reason = proof.Kind == DenialKind.Bogus ? proof.Reason : proof.Reason;
                DnsSecStatus status = proof.Kind switch
                {
                    DenialKind.Insecure => DnsSecStatus.Insecure,
                    DenialKind.Indeterminate => DnsSecStatus.Indeterminate,
                    _ => DnsSecStatus.Bogus,
                };
                return new RrsetResult(status, reason == DnssecReason.None ? DnssecReason.MissingWildcardProof : reason, owner, chain);
            }
        }

        uint ttl = rrset.Min(r => r.Ttl);
        ttl = Math.Min(ttl, used.OriginalTtl);
        long untilExpiry = (DnssecCrypto.SerialTime(used.Expiration, _time.GetUtcNow()) - _time.GetUtcNow()).Ticks / TimeSpan.TicksPerSecond;
        ttl = (uint)Math.Clamp(Math.Min(ttl, untilExpiry), 0, uint.MaxValue);
        return new RrsetResult(DnsSecStatus.Secure, DnssecReason.None, null, chain, ttl, wildcard);
    }

    /// <summary>Unsigned data (or denial) at a name: acceptable only where the zone holding <paramref name="zoneOf"/> is proven unsigned.</summary>
    private async Task<RrsetResult> UnsignedAsync(DnsName zoneOf, DnsName name, DnsMessage message, DnssecReason bogusReason, CancellationToken cancellationToken)
    {
        ZoneState zone = await EnclosingZoneAsync(zoneOf, cancellationToken).ConfigureAwait(false);
        if (zone.Status == DnsSecStatus.Secure)
        {
            (DnsSecStatus status, DnssecReason reason) = Missing(message, bogusReason);
            return new RrsetResult(status, reason, name, zone.Chain);
        }

        return new RrsetResult(zone.Status, zone.Reason, zone.ReasonName, zone.Chain);
    }

    /// <summary>
    /// The signer must be the owner or an ancestor (a proper one for DS, which lives in the parent,
    /// RFC 4035 §5.3.1) and a zone proven secure; otherwise the result to return instead.
    /// </summary>
    private async Task<(ZoneState Keys, RrsetResult? Refused)> SignerKeysAsync(DnsName owner, ushort type, DnsName signer, CancellationToken cancellationToken)
    {
        bool fits = type == DnsRecordType.DS ? owner.IsProperSubdomainOf(signer) : owner.IsSubdomainOf(signer);
        if (!fits)
        {
            return (ZoneState.Bogus(DnssecReason.WrongSigner, owner, []), new RrsetResult(DnsSecStatus.Bogus, DnssecReason.WrongSigner, owner, []));
        }

        ZoneState keys = await ZoneKeysAsync(signer, cancellationToken).ConfigureAwait(false);
        return keys.Status == DnsSecStatus.Secure ? (keys, null) : (keys, new RrsetResult(keys.Status, keys.Reason, keys.ReasonName, keys.Chain));
    }

    /// <summary>
    /// Checks the RRSIGs of one RRset against a zone's keys (RFC 4035 §5.3), within the per-RRset and
    /// per-lookup bounds. Returns the first signature that verifies, or the most telling failure.
    /// </summary>
    private Verified Verify(List<DnsRecord> rrset, List<DnsRecord> signatures, DnsName zone, IReadOnlyList<ZoneKey> keys, Budget budget)
    {
        DnsName owner = rrset[0].Owner;
        DateTimeOffset now = _time.GetUtcNow();
        DnssecReason failure = DnssecReason.NoMatchingKey;
        int attempts = 0;
        foreach (DnsRecord signatureRecord in signatures)
        {
            var sig = (RrsigData)signatureRecord.Data!;
            if (!sig.SignerName.Equals(zone) || sig.TypeCovered != rrset[0].Type || signatureRecord.Class != rrset[0].Class)
            {
                failure = Worse(failure, DnssecReason.WrongSigner);
                continue;
            }

            if (sig.Labels > owner.SignatureLabelCount)
            {
                failure = Worse(failure, DnssecReason.BadLabels);
                continue;
            }

            if (!DnssecAlgorithm.IsSupported(sig.Algorithm))
            {
                continue;
            }

            DateTimeOffset inception = DnssecCrypto.SerialTime(sig.Inception, now);
            DateTimeOffset expiration = DnssecCrypto.SerialTime(sig.Expiration, now);
            if (expiration + Limits.ClockSkew < now)
            {
                failure = Worse(failure, DnssecReason.SignatureExpired);
                continue;
            }

            if (inception - Limits.ClockSkew > now)
            {
                failure = Worse(failure, DnssecReason.SignatureNotYetValid);
                continue;
            }

            var candidates = keys.Where(k => k.Tag == sig.KeyTag && k.Key.Algorithm == sig.Algorithm).Take(Limits.MaxKeysPerSignature).ToList();
            if (candidates.Count == 0)
            {
                continue;
            }

            byte[] data = DnssecCrypto.SignedData(sig, rrset);
            foreach (ZoneKey key in candidates)
            {
                if (++attempts > Limits.MaxVerificationsPerRrset || !budget.TakeVerification())
                {
                    return new Verified(DnssecReason.BudgetExceeded, null, null);
                }

                Counters.CountVerification();
                if (key.Verifier.Verify(data, sig.Signature))
                {
                    var link = new DnssecChainLink(zone, key.Tag, sig.Algorithm, expiration, DnsRecordType.Name(sig.TypeCovered));
                    return new Verified(DnssecReason.None, sig, link);
                }

                failure = Worse(failure, DnssecReason.BadSignature);
            }
        }

        return new Verified(failure, null, null);
    }

    /// <summary>The more telling of two failures: a signature that was checked and failed beats one that could not be checked.</summary>
    private static DnssecReason Worse(DnssecReason a, DnssecReason b)
    {
        static int Rank(DnssecReason r) => r switch
        {
            DnssecReason.BadSignature => 6,
            DnssecReason.SignatureExpired => 5,
            DnssecReason.SignatureNotYetValid => 4,
            DnssecReason.BadLabels => 3,
            DnssecReason.WrongSigner => 2,
            DnssecReason.RevokedKey => 1,
            _ => 0,
        };

        return Rank(b) > Rank(a) ? b : a;
    }

    // ---- Negative answers ----

    private async Task<RrsetResult> ValidateNegativeAsync(DnsName name, ushort type, bool nxDomain, DnsMessage message, Budget budget, CancellationToken cancellationToken)
    {
        List<DnsRecord> signatures = [.. message.Authorities.Where(r => r.Type == DnsRecordType.RRSIG && r.Data is RrsigData)];
        if (signatures.Count == 0)
        {
            DnsRecord? soa = message.Authorities.FirstOrDefault(r => r.Type == DnsRecordType.SOA && name.IsSubdomainOf(r.Owner));
            DnsName lookAt = soa?.Owner ?? name;
            if (type == DnsRecordType.DS && lookAt.Equals(name) && !name.IsRoot)
            {
                lookAt = name.Parent();
            }

            return await UnsignedAsync(lookAt, name, message, DnssecReason.MissingDenialProof, cancellationToken).ConfigureAwait(false);
        }

        DnsName signer = ((RrsigData)signatures[0].Data!).SignerName;
        (ZoneState keys, RrsetResult? refused) = await SignerKeysAsync(name, type, signer, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        DenialResult proof = await ProveWithAuthorityAsync(signer, keys, message, budget, p => p.Prove(name, type, nxDomain)).ConfigureAwait(false);
        return proof.Kind switch
        {
            DenialKind.NoData or DenialKind.NxDomain => new RrsetResult(DnsSecStatus.Secure, DnssecReason.None, null, keys.Chain),
            DenialKind.Insecure => new RrsetResult(DnsSecStatus.Insecure, proof.Reason, proof.Name ?? name, keys.Chain),
            DenialKind.Indeterminate => new RrsetResult(DnsSecStatus.Indeterminate, proof.Reason, proof.Name ?? name, keys.Chain),
            _ => new RrsetResult(DnsSecStatus.Bogus, proof.Reason, proof.Name ?? name, keys.Chain),
        };
    }

    /// <summary>
    /// Validates the NSEC/NSEC3 RRsets of the authority section with the zone's keys (each must
    /// verify; RFC 4035 §5.4), then runs the proof over them.
    /// </summary>
    private Task<DenialResult> ProveWithAuthorityAsync(DnsName zone, ZoneState keys, DnsMessage message, Budget budget, Func<DenialProofs, DenialResult> prove)
    {
        var nsec = new List<DnsRecord>();
        var nsec3 = new List<DnsRecord>();
        int rrsets = 0;
        foreach (IGrouping<(DnsName Owner, ushort Type), DnsRecord> group in message.Authorities
                     .Where(r => r.Type is DnsRecordType.NSEC or DnsRecordType.NSEC3 && r.Class == DnsRecordType.ClassIN && r.Owner.IsSubdomainOf(zone))
                     .GroupBy(r => (r.Owner, r.Type)))
        {
            if (++rrsets > Limits.MaxNsec3RecordsPerResponse)
            {
                return Task.FromResult(new DenialResult(DenialKind.Indeterminate, DnssecReason.BudgetExceeded, zone));
            }

            List<DnsRecord> rrset = [.. group];
            List<DnsRecord> signatures = [.. Signatures(message.Authorities, group.Key.Owner, group.Key.Type).Where(s => ((RrsigData)s.Data!).SignerName.Equals(zone))];
            if (signatures.Count == 0)
            {
                continue; // an unsigned NSEC proves nothing; it is simply not used
            }

            Verified verified = Verify(rrset, signatures, zone, keys.Keys, budget);
            if (verified.Reason == DnssecReason.BudgetExceeded)
            {
                return Task.FromResult(new DenialResult(DenialKind.Indeterminate, DnssecReason.BudgetExceeded, zone));
            }

            if (verified.Reason != DnssecReason.None)
            {
                return Task.FromResult(DenialResult.Bogus(verified.Reason, group.Key.Owner));
            }

            // A denial record must not be a wildcard expansion (RFC 4035 §5.3.4 / RFC 5155 §7.2).
            if (verified.Signature!.Labels < group.Key.Owner.SignatureLabelCount)
            {
                return Task.FromResult(DenialResult.Bogus(DnssecReason.BadDenialProof, group.Key.Owner));
            }

            (group.Key.Type == DnsRecordType.NSEC ? nsec : nsec3).AddRange(rrset);
        }

        var proofs = new DenialProofs(zone, nsec, nsec3, Limits);
        DenialResult result = prove(proofs);
        Counters.CountNsec3Hashes(proofs.HashesComputed);
        return Task.FromResult(result);
    }

    // ---- Zones ----

    /// <summary>The keys of <paramref name="zone"/> as a signer: its enclosing zone must be the zone itself.</summary>
    private async Task<ZoneState> ZoneKeysAsync(DnsName zone, CancellationToken cancellationToken)
    {
        ZoneState state = await EnclosingZoneAsync(zone, cancellationToken, apex: true).ConfigureAwait(false);
        if (state.Status == DnsSecStatus.Secure && !state.Zone.Equals(zone))
        {
            // The signer claims to be a zone, but its secure parent proves no zone cut there.
            return state with { Status = DnsSecStatus.Bogus, Reason = DnssecReason.WrongSigner, ReasonName = zone };
        }

        return state;
    }

    /// <summary>
    /// The zone whose data lives at <paramref name="name"/> and whether it is proven secure, once per
    /// name per instance; concurrent callers await one task, each with its own cancellation.
    /// <paramref name="apex"/>: the name is a signer, so it claims to be a zone's apex, and its DNSKEY
    /// RRset is asked for beside its DS RRset instead of after it (one round trip per zone cut, not two).
    /// </summary>
    private Task<ZoneState> EnclosingZoneAsync(DnsName name, CancellationToken cancellationToken, bool apex = false)
    {
        return _zones.GetAsync(name, (n, ct) => Task.Run(() => ComputeEnclosingZoneAsync(n, apex, ct), CancellationToken.None), cancellationToken);
    }

    private async Task<ZoneState> ComputeEnclosingZoneAsync(DnsName name, bool apex, CancellationToken cancellationToken)
    {
        var budget = new Budget(4, Limits.MaxVerificationsPerZone);
        if (name.IsRoot)
        {
            return await RootKeysAsync(budget, cancellationToken).ConfigureAwait(false);
        }

        // Within the zone's own budget, as the DNSKEY query would be after a DS answer; when the DS
        // answer shows no secure delegation the answer goes unread (one query more for a signer that
        // has no DS, which only an island of security or a false signer claim makes).
        Task<(DnsMessage? Message, DnssecReason Failure)>? keysQuery = apex ? QueryAsync(name, DnsRecordType.DNSKEY, budget, cancellationToken) : null;
        try
        {
            return await ComputeEnclosingZoneAsync(name, keysQuery, budget, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            keysQuery?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task<ZoneState> ComputeEnclosingZoneAsync(DnsName name, Task<(DnsMessage? Message, DnssecReason Failure)>? keysQuery, Budget budget, CancellationToken cancellationToken)
    {
        (DnsMessage? message, DnssecReason failure) = await QueryAsync(name, DnsRecordType.DS, budget, cancellationToken).ConfigureAwait(false);
        if (message is null || CheckingDisabledQuery.MapRcode(message.Rcode) is not (DnsRcode.NoError or DnsRcode.NxDomain))
        {
            return ZoneState.Failed(message is null ? failure : DnssecReason.LookupFailed, name);
        }

        List<DnsRecord> ds = Rrset(message.Answers, name, DnsRecordType.DS);
        if (ds.Count > 0)
        {
            return await SecureDelegationAsync(name, ds, message, keysQuery, budget, cancellationToken).ConfigureAwait(false);
        }

        List<DnsRecord> signatures = [.. message.Authorities.Where(r => r.Type == DnsRecordType.RRSIG && r.Data is RrsigData)];
        if (signatures.Count == 0)
        {
            // Unsigned denial of the DS: only an insecure ancestor makes that acceptable.
            DnsRecord? soa = message.Authorities.FirstOrDefault(r => r.Type == DnsRecordType.SOA && name.IsProperSubdomainOf(r.Owner));
            ZoneState ancestor = await EnclosingZoneAsync(soa?.Owner ?? name.Parent(), cancellationToken).ConfigureAwait(false);
            if (ancestor.Status == DnsSecStatus.Secure)
            {
                (DnsSecStatus status, DnssecReason reason) = Missing(message, DnssecReason.MissingDenialProof);
                return ancestor with { Status = status, Reason = reason, ReasonName = name };
            }

            return ancestor;
        }

        DnsName signer = ((RrsigData)signatures[0].Data!).SignerName;
        if (!name.IsProperSubdomainOf(signer))
        {
            return ZoneState.Bogus(DnssecReason.WrongSigner, name, []);
        }

        ZoneState parent = await ZoneKeysAsync(signer, cancellationToken).ConfigureAwait(false);
        if (parent.Status != DnsSecStatus.Secure)
        {
            return parent;
        }

        DenialResult proof = await ProveWithAuthorityAsync(signer, parent, message, budget,
            p => p.Prove(name, DnsRecordType.DS, CheckingDisabledQuery.MapRcode(message.Rcode) == DnsRcode.NxDomain)).ConfigureAwait(false);
        return proof.Kind switch
        {
            // Proven: no DS at a delegation → an unsigned child; no delegation at all → the name is in the parent's zone.
            DenialKind.NoData when proof.Delegation => parent with { Status = DnsSecStatus.Insecure, Reason = DnssecReason.NoDs, ReasonName = name, Zone = name, Keys = [] },
            DenialKind.NoData or DenialKind.NxDomain => parent,
            DenialKind.Insecure => parent with { Status = DnsSecStatus.Insecure, Reason = proof.Reason, ReasonName = proof.Name ?? name, Keys = [] },
            DenialKind.Indeterminate => parent with { Status = DnsSecStatus.Indeterminate, Reason = proof.Reason, ReasonName = proof.Name ?? name, Keys = [] },
            _ => parent with { Status = DnsSecStatus.Bogus, Reason = proof.Reason, ReasonName = proof.Name ?? name, Keys = [] },
        };
    }

    /// <summary>A DS RRset for <paramref name="name"/>: validate it in the parent, then the child's DNSKEY RRset against it (RFC 4035 §5.2).</summary>
    private async Task<ZoneState> SecureDelegationAsync(DnsName name, List<DnsRecord> ds, DnsMessage message, Task<(DnsMessage? Message, DnssecReason Failure)>? keysQuery, Budget budget, CancellationToken cancellationToken)
    {
        List<DnsRecord> signatures = Signatures(message.Answers, name, DnsRecordType.DS);
        if (signatures.Count == 0)
        {
            ZoneState ancestor = await EnclosingZoneAsync(name.Parent(), cancellationToken).ConfigureAwait(false);
            if (ancestor.Status == DnsSecStatus.Secure)
            {
                (DnsSecStatus status, DnssecReason reason) = Missing(message, DnssecReason.MissingRrsig);
                return ancestor with { Status = status, Reason = reason, ReasonName = name, Keys = [] };
            }

            return ancestor;
        }

        DnsName signer = ((RrsigData)signatures[0].Data!).SignerName;
        if (!name.IsProperSubdomainOf(signer))
        {
            return ZoneState.Bogus(DnssecReason.WrongSigner, name, []);
        }

        ZoneState parent = await ZoneKeysAsync(signer, cancellationToken).ConfigureAwait(false);
        if (parent.Status != DnsSecStatus.Secure)
        {
            return parent;
        }

        Verified verified = Verify(ds, [.. signatures.Where(s => ((RrsigData)s.Data!).SignerName.Equals(signer))], signer, parent.Keys, budget);
        if (verified.Reason != DnssecReason.None)
        {
            return ZoneState.Bogus(verified.Reason, name, parent.Chain) with { Status = DnssecReasons.StatusOf(verified.Reason) };
        }

        List<DnssecChainLink> chain = [.. parent.Chain, verified.Link!];
        List<DsData> dsData = [.. ds.Select(r => (DsData)r.Data!)];
        return await ValidateKeysAsync(name, dsData, [], chain, budget, cancellationToken, keysQuery).ConfigureAwait(false);
    }

    private Task<ZoneState> RootKeysAsync(Budget budget, CancellationToken cancellationToken) =>
        ValidateKeysAsync(DnsName.Root, TrustAnchors.Ds, TrustAnchors.Keys, [], budget, cancellationToken);

    /// <summary>
    /// Fetches the zone's DNSKEY RRset and accepts it when a key that matches a supported DS (or equals
    /// an anchor key) signs it; the zone's usable keys are then every zone key of the set (RFC 4035 §5.2).
    /// </summary>
    private async Task<ZoneState> ValidateKeysAsync(DnsName zone, IReadOnlyList<DsData> ds, IReadOnlyList<DnskeyData> anchorKeys, List<DnssecChainLink> chain, Budget budget, CancellationToken cancellationToken, Task<(DnsMessage? Message, DnssecReason Failure)>? keysQuery = null)
    {
        List<DsData> supported = [.. ds.Where(d => DnssecAlgorithm.IsSupported(d.Algorithm) && DsDigestType.IsSupported(d.DigestType))];
        List<DnskeyData> supportedAnchors = [.. anchorKeys.Where(k => DnssecAlgorithm.IsSupported(k.Algorithm))];
        if (supported.Count == 0 && supportedAnchors.Count == 0)
        {
            // RFC 4035 §5.2, RFC 6840 §5.2: only unknown algorithms or digests: the zone is treated as unsigned.
            DnssecReason reason = ds.Any(d => DnssecAlgorithm.IsSupported(d.Algorithm)) ? DnssecReason.UnsupportedDigest : DnssecReason.UnsupportedAlgorithm;
            return new ZoneState(DnsSecStatus.Insecure, reason, zone, zone, [], chain);
        }

        (DnsMessage? message, DnssecReason failure) = await (keysQuery ?? QueryAsync(zone, DnsRecordType.DNSKEY, budget, cancellationToken)).ConfigureAwait(false);
        if (message is null || CheckingDisabledQuery.MapRcode(message.Rcode) is not (DnsRcode.NoError or DnsRcode.NxDomain))
        {
            return ZoneState.Failed(message is null ? failure : DnssecReason.LookupFailed, zone);
        }

        List<DnsRecord> keys = Rrset(message.Answers, zone, DnsRecordType.DNSKEY);
        if (keys.Count == 0)
        {
            (DnsSecStatus status, DnssecReason reason) = Missing(message, DnssecReason.NoDnskey);
            return new ZoneState(status, reason, zone, zone, [], chain);
        }

        List<DnsRecord> signatures = Signatures(message.Answers, zone, DnsRecordType.DNSKEY);
        if (signatures.Count == 0)
        {
            (DnsSecStatus status, DnssecReason reason) = Missing(message, DnssecReason.MissingRrsig);
            return new ZoneState(status, reason, zone, zone, [], chain);
        }

        // The zone's usable keys: zone-key flag, protocol 3, supported algorithm, not revoked (RFC 4034 §2.1.1, RFC 5011 §2.1).
        List<ZoneKey> zoneKeys = [.. keys.Select(r => (DnskeyData)r.Data!)
            .Where(k => k.IsZoneKey && k.Protocol == 3 && !k.IsRevoked && DnssecAlgorithm.IsSupported(k.Algorithm))
            .Select(k => new ZoneKey(k, DnssecCrypto.KeyTag(k.ToRData()), Limits.MaxRsaModulusBits))];

        // The keys the parent vouches for: a DS with the key's tag, algorithm and digest; bounded per DS (key-tag collisions).
        var entryKeys = new List<ZoneKey>();
        bool revokedMatch = false;
        foreach (DsData d in supported)
        {
            foreach (DnskeyData k in keys.Select(r => (DnskeyData)r.Data!).Where(k => k.Algorithm == d.Algorithm && DnssecCrypto.KeyTag(k.ToRData()) == d.KeyTag).Take(Limits.MaxKeysPerSignature))
            {
                byte[]? digest = DnssecCrypto.DsDigest(zone, k.ToRData(), d.DigestType);
                if (digest is null || !CryptographicOperations.FixedTimeEquals(digest, d.Digest))
                {
                    continue;
                }

                if (!k.IsZoneKey || k.Protocol != 3 || k.IsRevoked)
                {
                    revokedMatch |= k.IsRevoked;
                    continue;
                }

                entryKeys.Add(new ZoneKey(k, d.KeyTag, Limits.MaxRsaModulusBits));
            }
        }

        foreach (DnskeyData anchor in supportedAnchors)
        {
            foreach (DnskeyData k in keys.Select(r => (DnskeyData)r.Data!))
            {
                if (k.Algorithm == anchor.Algorithm && k.PublicKey.AsSpan().SequenceEqual(anchor.PublicKey) && k.Protocol == 3)
                {
                    if (!k.IsZoneKey || k.IsRevoked)
                    {
                        revokedMatch |= k.IsRevoked;
                        continue;
                    }

                    entryKeys.Add(new ZoneKey(k, DnssecCrypto.KeyTag(k.ToRData()), Limits.MaxRsaModulusBits));
                }
            }
        }

        if (entryKeys.Count == 0)
        {
            DnssecReason reason = revokedMatch ? DnssecReason.RevokedKey : zone.IsRoot ? DnssecReason.TrustAnchorMismatch : DnssecReason.DsDigestMismatch;
            return ZoneState.Bogus(reason, zone, chain);
        }

        Verified verified = Verify(keys, signatures, zone, entryKeys.DistinctBy(k => k.Key.PublicKey, ByteArrayComparer.Instance).ToList(), budget);
        if (verified.Reason != DnssecReason.None)
        {
            DnssecReason reason = verified.Reason == DnssecReason.NoMatchingKey ? (zone.IsRoot ? DnssecReason.TrustAnchorMismatch : DnssecReason.DsDigestMismatch) : verified.Reason;
            return ZoneState.Bogus(reason, zone, chain) with { Status = DnssecReasons.StatusOf(reason) };
        }

        return new ZoneState(DnsSecStatus.Secure, DnssecReason.None, null, zone, zoneKeys, [.. chain, verified.Link!]);
    }

    // ---- Queries ----

    private async Task<(DnsMessage? Message, DnssecReason Failure)> QueryAsync(DnsName name, ushort type, Budget budget, CancellationToken cancellationToken)
    {
        if (!budget.TakeQuery())
        {
            return (null, DnssecReason.BudgetExceeded);
        }

        ushort id = (ushort)RandomNumberGenerator.GetInt32(0, ushort.MaxValue + 1);
        byte[] query = DnsMessageWriter.BuildQuery(id, name, type);
        Counters.CountQuery(type);
        byte[] response;
        try
        {
            response = await _transport.ExchangeAsync(query, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsTransportException)
        {
            return (null, DnssecReason.LookupFailed);
        }

        try
        {
            DnsMessage message = DnsMessage.Parse(response);
            DnsMessage sent = DnsMessage.Parse(query);
            if (!message.IsResponseTo(sent))
            {
                return (null, DnssecReason.LookupFailed);
            }

            if (HasAnyDnssecRecord(message))
            {
                Volatile.Write(ref _sawDnssecRecords, true);
            }

            return (message, DnssecReason.None);
        }
        catch (DnsWireFormatException)
        {
            return (null, DnssecReason.LookupFailed);
        }
    }

    // ---- Small types ----

    /// <summary>A usable key of a zone, its tag, and its public key read and imported once for every signature it is asked to verify.</summary>
    internal sealed class ZoneKey(DnskeyData key, ushort tag, int maxRsaBits)
    {
        public DnskeyData Key { get; } = key;

        public ushort Tag { get; } = tag;

        public DnssecPublicKey Verifier { get; } = new(key.Algorithm, key.PublicKey, maxRsaBits);
    }

    /// <summary>The state of the zone enclosing a name: its name, whether proven secure, its usable keys, the chain that proved it.</summary>
    internal sealed record ZoneState(DnsSecStatus Status, DnssecReason Reason, DnsName? ReasonName, DnsName Zone, IReadOnlyList<ZoneKey> Keys, IReadOnlyList<DnssecChainLink> Chain)
    {
        public static ZoneState Failed(DnssecReason reason, DnsName name) => new(DnssecReasons.StatusOf(reason), reason, name, name, [], []);

        public static ZoneState Bogus(DnssecReason reason, DnsName name, IReadOnlyList<DnssecChainLink> chain) => new(DnsSecStatus.Bogus, reason, name, name, [], chain);
    }

    private sealed record RrsetResult(DnsSecStatus Status, DnssecReason Reason, DnsName? ReasonName, IReadOnlyList<DnssecChainLink> Chain, uint? Ttl = null, bool Wildcard = false);

    private sealed record Verified(DnssecReason Reason, RrsigData? Signature, DnssecChainLink? Link);

    /// <summary>Query and verification allowance of one lookup or one zone's key establishment.</summary>
    private sealed class Budget(int queries, int verifications)
    {
        private int _queries = queries;
        private int _verifications = verifications;

        public bool TakeQuery() => Interlocked.Decrement(ref _queries) >= 0;

        public bool TakeVerification() => Interlocked.Decrement(ref _verifications) >= 0;
    }

    /// <summary>Accumulates the weakest status over a lookup's links.</summary>
    private sealed class Outcome
    {
        private DnsSecStatus _status = DnsSecStatus.Secure;
        private DnssecReason _reason = DnssecReason.None;
        private DnsName? _reasonName;
        private readonly List<DnssecChainLink> _chain = [];

        private static int Rank(DnsSecStatus s) => s switch
        {
            DnsSecStatus.Secure => 0,
            DnsSecStatus.Insecure => 1,
            DnsSecStatus.Indeterminate => 2,
            DnsSecStatus.Failed => 3,
            _ => 4, // Bogus
        };

        public void Add(DnsSecStatus status, DnssecReason reason, DnsName? name, IReadOnlyList<DnssecChainLink> chain)
        {
            foreach (DnssecChainLink link in chain)
            {
                if (!_chain.Contains(link))
                {
                    _chain.Add(link);
                }
            }

            if (Rank(status) > Rank(_status))
            {
                _status = status;
                _reason = reason;
                _reasonName = name;
            }
        }

        public ValidatedResponse Result(DnsName name, ushort type, DnsRcode rcode, IReadOnlyList<DnsRecord> records, IReadOnlyList<DnsName> aliases, DnsSecStatus? firstLink, bool wildcard, uint? ttl) => new()
        {
            Name = name,
            Type = type,
            Rcode = rcode,
            Status = _status,
            Reason = _reason,
            ReasonName = _reasonName,
            Records = records,
            CnameChain = aliases,
            FirstLinkStatus = firstLink,
            Chain = _chain,
            IsWildcardExpansion = wildcard,
            Ttl = records.Count > 0 ? ttl : null,
        };
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}

/// <summary>Work done by one validator instance.</summary>
public sealed class DnssecValidatorCounters
{
    private long _queries;
    private long _verifications;
    private long _nsec3Hashes;
    private readonly ConcurrentDictionary<ushort, long> _byType = new();

    public long QueriesSent => Interlocked.Read(ref _queries);

    public long SignatureVerifications => Interlocked.Read(ref _verifications);

    public long Nsec3Hashes => Interlocked.Read(ref _nsec3Hashes);

    /// <summary>Queries per type name ("DS", "DNSKEY", "MX", …), a snapshot.</summary>
    public IReadOnlyDictionary<string, long> QueriesByType =>
        _byType.ToDictionary(p => DnsRecordType.Name(p.Key), p => p.Value, StringComparer.Ordinal);

    internal void CountQuery(ushort type)
    {
        Interlocked.Increment(ref _queries);
        _byType.AddOrUpdate(type, 1, (_, n) => n + 1);
    }

    internal void CountVerification() => Interlocked.Increment(ref _verifications);

    internal void CountNsec3Hashes(int count) => Interlocked.Add(ref _nsec3Hashes, count);
}
