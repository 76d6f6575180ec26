using System.Security.Cryptography.X509Certificates;

namespace DaneMtaSts.Engine.Dane;

/// <summary>Why a DANE check did not authenticate the server.</summary>
public enum DaneFailure
{
    None,

    /// <summary>No usable record (RFC 7672 §2.2: TLS is still required, without authentication).</summary>
    NoUsableRecords,

    /// <summary>Usable records, none matched the served chain (4.7.323 tlsa-invalid).</summary>
    NoMatch,

    /// <summary>A DANE-TA path matched but a certificate below the anchor is outside its validity (4.7.322).</summary>
    Expired,

    /// <summary>A DANE-TA path matched but no name matches the reference identifiers (4.7.325).</summary>
    NameMismatch,

    /// <summary>No certificate was served.</summary>
    NoCertificate,
}

/// <summary>The fate of one TLSA record against one served chain.</summary>
public sealed record TlsaRecordResult
{
    public required TlsaRecord Record { get; init; }

    public required bool Usable { get; init; }

    /// <summary>Dropped by digest agility (a stronger matching type is published for the same usage and selector).</summary>
    public bool SupersededByStrongerDigest { get; init; }

    public bool Matched { get; init; }

    /// <summary>
    /// Chain depth of the matching certificate (0 = leaf); -1 for a "2 x 0" anchor absent from the chain.
    /// Also set for a DANE-TA anchor the leaf chains to when only the dates or the name failed
    /// (then <see cref="Matched"/> is false).
    /// </summary>
    public int? MatchedDepth { get; init; }

    /// <summary>One sentence: why it matched, or why not ("usage 1 (PKIX-EE) is unusable for SMTP", "no certificate at depth ≥ 1 has this SPKI SHA-256").</summary>
    public required string Detail { get; init; }
}

/// <summary>The outcome of DANE authentication of one served chain.</summary>
public sealed record DaneResult
{
    public required bool Authenticated { get; init; }

    public required DaneFailure Failure { get; init; }

    /// <summary>The record that authenticated the server (null unless <see cref="Authenticated"/>).</summary>
    public TlsaRecord? MatchedRecord { get; init; }

    public int? MatchedDepth { get; init; }

    /// <summary>The reference name that matched the leaf (DANE-TA only).</summary>
    public string? MatchedName { get; init; }

    public IReadOnlyList<TlsaRecordResult> Records { get; init; } = [];

    /// <summary>
    /// When authenticated through DANE-TA only: the earliest NotAfter among the certificates below
    /// the anchor on the matching path — after it the result turns into <see cref="DaneFailure.Expired"/>.
    /// Null for a DANE-EE match (dates never matter there) and for failures.
    /// </summary>
    public DateTimeOffset? ValidUntil { get; init; }

    /// <summary>One sentence a person can act on.</summary>
    public required string Detail { get; init; }
}

/// <summary>Inputs of a DANE check.</summary>
public sealed record DaneCheck
{
    /// <summary>The chain exactly as the server sent it (leaf first; may be unordered or padded after the leaf).</summary>
    public required IReadOnlyList<X509Certificate2> ServedChain { get; init; }

    public required IReadOnlyList<TlsaRecord> Records { get; init; }

    /// <summary>Reference identifiers for DANE-TA name checks: TLSA base name first, then the MX name, then the recipient domain.</summary>
    public required IReadOnlyList<string> ReferenceNames { get; init; }

    /// <summary>Dates of DANE-TA chains are judged at this instant.</summary>
    public required DateTimeOffset AsOf { get; init; }
}
