using DaneMtaSts.Engine.Dns.Wire;

namespace DaneMtaSts.Engine.Dns.Dnssec;

/// <summary>What a set of (already signature-checked) NSEC or NSEC3 records proves.</summary>
internal enum DenialKind
{
    /// <summary>The name exists (or is an empty non-terminal, or matches a wildcard) without the type.</summary>
    NoData,

    /// <summary>Neither the name nor a wildcard that could have produced it exists.</summary>
    NxDomain,

    /// <summary>Nothing can be proven securely: opt-out, an unsigned delegation above the name, too many NSEC3 iterations.</summary>
    Insecure,

    Bogus,

    Indeterminate,
}

/// <param name="Kind">What was proven.</param>
/// <param name="Reason">Why, when not proven.</param>
/// <param name="Name">The name the reason is about (the unsigned delegation, the opt-out name).</param>
/// <param name="Delegation">For NoData of a DS query: the name is a delegation (NS bit) without DS.</param>
internal sealed record DenialResult(DenialKind Kind, DnssecReason Reason = DnssecReason.None, DnsName? Name = null, bool Delegation = false)
{
    public static DenialResult Bogus(DnssecReason reason, DnsName? name) => new(DenialKind.Bogus, reason, name);
}

/// <summary>
/// Authenticated denial of existence: NSEC (RFC 4035 §5.4, RFC 6840 §4.1) and NSEC3 (RFC 5155 §8).
/// The records given must already have validated signatures from <c>zone</c>.
/// </summary>
internal sealed class DenialProofs(DnsName zone, IReadOnlyList<DnsRecord> nsec, IReadOnlyList<DnsRecord> nsec3, DnssecLimits limits)
{
    private readonly Dictionary<DnsName, byte[]> _hashes = [];
    private List<(byte[] Owner, Nsec3Data Data)>? _usable;
    private Nsec3Data? _parameters;

    /// <summary>Distinct names hashed so far (NSEC3), for the bound and for tests.</summary>
    public int HashesComputed => _hashes.Count;

    /// <summary>NXDOMAIN or NODATA for <paramref name="name"/>/<paramref name="type"/>.</summary>
    public DenialResult Prove(DnsName name, ushort type, bool nxDomain)
    {
        if (nsec.Count > 0)
        {
            return nxDomain ? NsecNxDomain(name) : NsecNoData(name, type);
        }

        if (nsec3.Count > 0)
        {
            DenialResult? parameters = Nsec3Parameters();
            if (parameters is not null)
            {
                return parameters;
            }

            return nxDomain ? Nsec3NxDomain(name) : Nsec3NoData(name, type);
        }

        return DenialResult.Bogus(DnssecReason.MissingDenialProof, name);
    }

    /// <summary>
    /// A wildcard expansion of <paramref name="name"/> from "*." + <paramref name="closestEncloser"/>
    /// needs the proof that the next closer name does not exist (RFC 4035 §5.3.4, RFC 5155 §8.8).
    /// </summary>
    public DenialResult ProveWildcardExpansion(DnsName name, DnsName closestEncloser)
    {
        DnsName nextCloser = name.Suffix(closestEncloser.LabelCount + 1);
        if (nsec.Count > 0)
        {
            return nsec.Any(r => ProvesNonExistence(r, nextCloser)) ? new DenialResult(DenialKind.NxDomain) : DenialResult.Bogus(DnssecReason.MissingWildcardProof, name);
        }

        if (nsec3.Count > 0)
        {
            DenialResult? parameters = Nsec3Parameters();
            if (parameters is not null)
            {
                return parameters;
            }

            if (!TryHash(nextCloser, out byte[]? hash))
            {
                return new DenialResult(DenialKind.Indeterminate, DnssecReason.BudgetExceeded, name);
            }

            return Nsec3Cover(hash) is not null ? new DenialResult(DenialKind.NxDomain) : DenialResult.Bogus(DnssecReason.MissingWildcardProof, name);
        }

        return DenialResult.Bogus(DnssecReason.MissingWildcardProof, name);
    }

    // ---- NSEC (RFC 4035 §5.4) ----

    private static NsecData Data(DnsRecord r) => (NsecData)r.Data!;

    /// <summary>The NSEC's owner sorts before the name and its next name after it (the last NSEC wraps to the apex).</summary>
    private static bool Covers(DnsRecord r, DnsName name)
    {
        DnsName next = Data(r).NextName;
        if (DnsName.CompareCanonical(r.Owner, name) >= 0)
        {
            return false;
        }

        return DnsName.CompareCanonical(r.Owner, next) < 0 ? DnsName.CompareCanonical(name, next) < 0 : true;
    }

    /// <summary>
    /// RFC 6840 §4.1: an NSEC at a delegation (NS without SOA) or at a DNAME says nothing of the names
    /// below it; it proves only that the name lies beneath that cut.
    /// </summary>
    private static bool IsAncestorCut(DnsRecord r, DnsName name) =>
        name.IsProperSubdomainOf(r.Owner) &&
        ((Data(r).Types.Contains(DnsRecordType.NS) && !Data(r).Types.Contains(DnsRecordType.SOA)) || Data(r).Types.Contains(DnsRecordType.DNAME));

    /// <summary>Covers the name, is not an empty non-terminal's NSEC (next name below the name), is not a cut above it.</summary>
    private bool ProvesNonExistence(DnsRecord r, DnsName name) =>
        name.IsSubdomainOf(zone) && Covers(r, name) && !Data(r).NextName.IsProperSubdomainOf(name) && !IsAncestorCut(r, name);

    /// <summary>The name lies below an unsigned delegation the zone's NSEC shows: Insecure; below a signed one: the answer should not come from here.</summary>
    private DenialResult? BelowCut(DnsName name)
    {
        DnsRecord? cut = nsec.FirstOrDefault(r => IsAncestorCut(r, name));
        if (cut is null)
        {
            return null;
        }

        return Data(cut).Types.Contains(DnsRecordType.DS) || Data(cut).Types.Contains(DnsRecordType.DNAME)
            ? DenialResult.Bogus(DnssecReason.BadDenialProof, name)
            : new DenialResult(DenialKind.Insecure, DnssecReason.NoDs, cut.Owner);
    }

    private DenialResult NsecNxDomain(DnsName name)
    {
        if (BelowCut(name) is { } cut)
        {
            return cut;
        }

        DnsRecord? covering = nsec.FirstOrDefault(r => ProvesNonExistence(r, name));
        if (covering is null)
        {
            return DenialResult.Bogus(DnssecReason.BadDenialProof, name);
        }

        DnsName a = DnsName.CommonAncestor(name, covering.Owner);
        DnsName b = DnsName.CommonAncestor(name, Data(covering).NextName);
        DnsName closestEncloser = a.LabelCount >= b.LabelCount ? a : b;
        if (!closestEncloser.IsSubdomainOf(zone))
        {
            return DenialResult.Bogus(DnssecReason.BadDenialProof, name);
        }

        if (closestEncloser.WireLength + 2 > DnsName.MaxWireLength)
        {
            return new DenialResult(DenialKind.NxDomain); // no wildcard can sit there
        }

        DnsName wildcard = closestEncloser.Wildcard();
        if (nsec.Any(r => r.Owner.Equals(wildcard)) || !nsec.Any(r => ProvesNonExistence(r, wildcard)))
        {
            return DenialResult.Bogus(DnssecReason.MissingWildcardProof, name);
        }

        return new DenialResult(DenialKind.NxDomain);
    }

    private DenialResult NsecNoData(DnsName name, ushort type)
    {
        DnsRecord? match = nsec.FirstOrDefault(r => r.Owner.Equals(name));
        if (match is not null)
        {
            return NoDataAt(Data(match).Types, name, type, isZoneApex: name.Equals(zone));
        }

        if (BelowCut(name) is { } cut)
        {
            return cut;
        }

        // An empty non-terminal (RFC 4035 §3.1.3.2 with RFC 5155 §7.2.3's definition): an NSEC whose
        // owner sorts before the name and whose next name lies below it.
        if (nsec.Any(r => DnsName.CompareCanonical(r.Owner, name) < 0 && Data(r).NextName.IsProperSubdomainOf(name) && name.IsSubdomainOf(zone)))
        {
            return new DenialResult(DenialKind.NoData);
        }

        // Wildcard NODATA: the name does not exist, the wildcard at its closest encloser does, without the type.
        DnsRecord? covering = nsec.FirstOrDefault(r => ProvesNonExistence(r, name));
        if (covering is not null)
        {
            DnsName a = DnsName.CommonAncestor(name, covering.Owner);
            DnsName b = DnsName.CommonAncestor(name, Data(covering).NextName);
            DnsName closestEncloser = a.LabelCount >= b.LabelCount ? a : b;
            if (closestEncloser.WireLength + 2 <= DnsName.MaxWireLength)
            {
                DnsName wildcard = closestEncloser.Wildcard();
                DnsRecord? atWildcard = nsec.FirstOrDefault(r => r.Owner.Equals(wildcard));
                if (atWildcard is not null && type != DnsRecordType.DS)
                {
                    return NoDataAt(Data(atWildcard).Types, name, type, isZoneApex: false);
                }
            }
        }

        return DenialResult.Bogus(DnssecReason.BadDenialProof, name);
    }

    /// <summary>The record at the name (NSEC or NSEC3 bitmap) lacks the type: NODATA, with RFC 4035 §5.2's delegation cases.</summary>
    private static DenialResult NoDataAt(DnsTypeBitmap types, DnsName name, ushort type, bool isZoneApex)
    {
        if (types.Contains(type) || (type != DnsRecordType.CNAME && types.Contains(DnsRecordType.CNAME)))
        {
            return DenialResult.Bogus(DnssecReason.BadDenialProof, name);
        }

        bool delegation = types.Contains(DnsRecordType.NS) && !types.Contains(DnsRecordType.SOA);
        if (type == DnsRecordType.DS)
        {
            // A DS denial must come from the parent side: the child's apex record (SOA bit) proves nothing of the DS.
            if (types.Contains(DnsRecordType.SOA) && !isZoneApex)
            {
                return DenialResult.Bogus(DnssecReason.BadDenialProof, name);
            }

            return types.Contains(DnsRecordType.SOA)
                ? DenialResult.Bogus(DnssecReason.BadDenialProof, name)
                : new DenialResult(DenialKind.NoData, Delegation: delegation);
        }

        if (delegation)
        {
            // The parent's record of a delegation cannot deny the child's data; without a DS the child is unsigned.
            return types.Contains(DnsRecordType.DS)
                ? DenialResult.Bogus(DnssecReason.BadDenialProof, name)
                : new DenialResult(DenialKind.Insecure, DnssecReason.NoDs, name);
        }

        return new DenialResult(DenialKind.NoData);
    }

    // ---- NSEC3 (RFC 5155 §8) ----

    /// <summary>
    /// Picks the usable NSEC3 records (RFC 5155 §8.1–8.2: SHA-1, flags 0 or 1, owner one label below
    /// the zone, the parameters of the first one) and applies the RFC 9276 iteration limits.
    /// </summary>
    private DenialResult? Nsec3Parameters()
    {
        if (_usable is not null)
        {
            return null;
        }

        var usable = new List<(byte[], Nsec3Data)>();
        foreach (DnsRecord r in nsec3)
        {
            if (r.Data is not Nsec3Data d || d.HashAlgorithm != 1 || d.Flags > 1 || d.NextHashedOwner.Length != 20 ||
                r.Owner.LabelCount != zone.LabelCount + 1 || !r.Owner.Parent().Equals(zone))
            {
                continue;
            }

            byte[]? owner = DnssecCrypto.FromBase32Hex(r.Owner.Labels[0]);
            if (owner is not { Length: 20 })
            {
                continue;
            }

            _parameters ??= d;
            if (d.Iterations == _parameters.Iterations && d.Salt.AsSpan().SequenceEqual(_parameters.Salt) && usable.Count < limits.MaxNsec3RecordsPerResponse)
            {
                usable.Add((owner, d));
            }
        }

        if (usable.Count == 0)
        {
            // RFC 5155 §8.1: NSEC3 with only unknown hash algorithms: the zone is treated as unsigned.
            return new DenialResult(DenialKind.Insecure, DnssecReason.UnsupportedAlgorithm, zone);
        }

        if (_parameters!.Iterations > limits.Nsec3BogusIterations)
        {
            return DenialResult.Bogus(DnssecReason.Nsec3IterationsTooHigh, zone);
        }

        if (_parameters.Iterations > limits.Nsec3InsecureIterations)
        {
            return new DenialResult(DenialKind.Insecure, DnssecReason.Nsec3IterationsTooHigh, zone);
        }

        _usable = usable;
        return null;
    }

    private bool TryHash(DnsName name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? hash)
    {
        if (_hashes.TryGetValue(name, out hash))
        {
            return true;
        }

        if (_hashes.Count >= limits.MaxNsec3HashesPerResponse)
        {
            hash = null;
            return false;
        }

        hash = DnssecCrypto.Nsec3Hash(name, _parameters!.Salt, _parameters.Iterations);
        _hashes[name] = hash;
        return true;
    }

    private Nsec3Data? Nsec3Match(byte[] hash) =>
        _usable!.FirstOrDefault(u => u.Owner.AsSpan().SequenceEqual(hash)).Data;

    /// <summary>The hash lies strictly between an NSEC3's owner hash and its next hash (the last one wraps).</summary>
    private Nsec3Data? Nsec3Cover(byte[] hash)
    {
        foreach ((byte[] owner, Nsec3Data d) in _usable!)
        {
            int afterOwner = hash.AsSpan().SequenceCompareTo(owner);
            int beforeNext = hash.AsSpan().SequenceCompareTo(d.NextHashedOwner);
            bool wraps = d.NextHashedOwner.AsSpan().SequenceCompareTo(owner) <= 0;
            if (wraps ? afterOwner > 0 || beforeNext < 0 : afterOwner > 0 && beforeNext < 0)
            {
                return d;
            }
        }

        return null;
    }

    /// <summary>
    /// The closest encloser proof (RFC 5155 §8.3): the longest existing ancestor matches an NSEC3, the
    /// next closer name is covered by one. Null Result means proven; a non-null one is the failure.
    /// </summary>
    private (DenialResult? Failure, DnsName ClosestEncloser, Nsec3Data? NextCloserCover) ClosestEncloserProof(DnsName name)
    {
        if (!name.IsSubdomainOf(zone))
        {
            return (DenialResult.Bogus(DnssecReason.BadDenialProof, name), zone, null);
        }

        if (name.LabelCount - zone.LabelCount + 1 > limits.MaxNsec3HashesPerResponse)
        {
            return (new DenialResult(DenialKind.Indeterminate, DnssecReason.BudgetExceeded, name), zone, null);
        }

        DnsName candidate = name;
        DnsName? nextCloser = null;
        while (true)
        {
            if (!TryHash(candidate, out byte[]? hash))
            {
                return (new DenialResult(DenialKind.Indeterminate, DnssecReason.BudgetExceeded, name), zone, null);
            }

            Nsec3Data? match = Nsec3Match(hash);
            if (match is not null)
            {
                bool cut = match.Types.Contains(DnsRecordType.NS) && !match.Types.Contains(DnsRecordType.SOA);
                if (nextCloser is not null && (cut || match.Types.Contains(DnsRecordType.DNAME)))
                {
                    // The closest encloser is a delegation or a DNAME: the name lies beneath it (RFC 5155 §8.3).
                    return match.Types.Contains(DnsRecordType.DS) || match.Types.Contains(DnsRecordType.DNAME)
                        ? (DenialResult.Bogus(DnssecReason.BadDenialProof, name), candidate, null)
                        : (new DenialResult(DenialKind.Insecure, DnssecReason.NoDs, candidate), candidate, null);
                }

                break;
            }

            if (candidate.Equals(zone))
            {
                return (DenialResult.Bogus(DnssecReason.BadDenialProof, name), zone, null);
            }

            nextCloser = candidate;
            candidate = candidate.Parent();
        }

        if (nextCloser is null)
        {
            // The name itself matched: it exists.
            return (null, candidate, null);
        }

        if (!TryHash(nextCloser, out byte[]? nextHash))
        {
            return (new DenialResult(DenialKind.Indeterminate, DnssecReason.BudgetExceeded, name), zone, null);
        }

        Nsec3Data? cover = Nsec3Cover(nextHash);
        return cover is null ? (DenialResult.Bogus(DnssecReason.BadDenialProof, name), candidate, null) : (null, candidate, cover);
    }

    private DenialResult Nsec3NxDomain(DnsName name)
    {
        (DenialResult? failure, DnsName closestEncloser, Nsec3Data? cover) = ClosestEncloserProof(name);
        if (failure is not null)
        {
            return failure;
        }

        if (cover is null)
        {
            return DenialResult.Bogus(DnssecReason.BadDenialProof, name); // the name exists
        }

        if (cover.OptOut)
        {
            // An opt-out span may hide an unsigned delegation above the name: not provable (RFC 5155 §9.2).
            return new DenialResult(DenialKind.Insecure, DnssecReason.OptOut, name);
        }

        return WildcardAbsent(closestEncloser, name);
    }

    private DenialResult WildcardAbsent(DnsName closestEncloser, DnsName name)
    {
        if (closestEncloser.WireLength + 2 > DnsName.MaxWireLength)
        {
            return new DenialResult(DenialKind.NxDomain);
        }

        if (!TryHash(closestEncloser.Wildcard(), out byte[]? wildcardHash))
        {
            return new DenialResult(DenialKind.Indeterminate, DnssecReason.BudgetExceeded, name);
        }

        return Nsec3Cover(wildcardHash) is not null ? new DenialResult(DenialKind.NxDomain) : DenialResult.Bogus(DnssecReason.MissingWildcardProof, name);
    }

    private DenialResult Nsec3NoData(DnsName name, ushort type)
    {
        if (!TryHash(name, out byte[]? hash))
        {
            return new DenialResult(DenialKind.Indeterminate, DnssecReason.BudgetExceeded, name);
        }

        Nsec3Data? match = Nsec3Match(hash);
        if (match is not null)
        {
            return NoDataAt(match.Types, name, type, isZoneApex: name.Equals(zone));
        }

        (DenialResult? failure, DnsName closestEncloser, Nsec3Data? cover) = ClosestEncloserProof(name);
        if (failure is not null)
        {
            return failure;
        }

        if (type == DnsRecordType.DS)
        {
            // RFC 5155 §8.6: no NSEC3 matches the DS name; the next closer name is covered by an opt-out NSEC3.
            return cover is { OptOut: true } ? new DenialResult(DenialKind.Insecure, DnssecReason.OptOut, name) : DenialResult.Bogus(DnssecReason.BadDenialProof, name);
        }

        // RFC 5155 §8.7: wildcard NODATA.
        if (closestEncloser.WireLength + 2 > DnsName.MaxWireLength || !TryHash(closestEncloser.Wildcard(), out byte[]? wildcardHash))
        {
            return new DenialResult(DenialKind.Indeterminate, DnssecReason.BudgetExceeded, name);
        }

        Nsec3Data? atWildcard = Nsec3Match(wildcardHash);
        return atWildcard is null ? DenialResult.Bogus(DnssecReason.BadDenialProof, name) : NoDataAt(atWildcard.Types, name, type, isZoneApex: false);
    }
}
