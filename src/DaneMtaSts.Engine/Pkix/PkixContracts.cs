using System.Security.Cryptography.X509Certificates;

namespace DaneMtaSts.Engine.Pkix;

/// <summary>Why a WebPKI check failed.</summary>
public enum PkixFailure
{
    None,
    NoCertificate,
    Untrusted,
    Expired,
    NameMismatch,
    Revoked,
    Other,
}

/// <summary>The outcome of a PKIX (WebPKI) check of a chain for a host name.</summary>
public sealed record PkixResult
{
    public required bool Valid { get; init; }

    public required PkixFailure Failure { get; init; }

    /// <summary>True when the leaf's names cover the reference name (checked even if the chain is untrusted).</summary>
    public bool NameMatches { get; init; }

    /// <summary>One sentence a person can act on.</summary>
    public required string Detail { get; init; }
}

/// <summary>
/// What path building found for a served chain, before any name is checked: the chain status flags
/// (revocation flags removed, as revocation is never checked) and, for the first element that failed,
/// which certificate and why. Shared by every host that serves the same chain at the same instant.
/// </summary>
public sealed record PkixChainStatus(X509ChainStatusFlags Flags, string? ElementDetail);

/// <summary>Trust settings for PKIX checks: the system roots plus extra ones (private PKIs, the lab).</summary>
public sealed partial record PkixTrust
{
    public IReadOnlyList<X509Certificate2> ExtraRoots { get; init; } = [];

    /// <summary>When false, only <see cref="ExtraRoots"/> are trusted (tests); the default adds them to the system roots.</summary>
    public bool UseSystemRoots { get; init; } = true;
}
