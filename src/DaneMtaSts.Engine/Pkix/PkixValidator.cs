using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneMtaSts.Engine.Pkix;

/// <summary>
/// WebPKI validation of a served chain for a host name, as RFC 8461 §4.2 asks of an MTA-STS policy
/// host and of an MX host under an enforce policy: a chain to a trusted root that is valid at
/// <c>asOf</c>, usable for TLS server authentication, and a leaf whose names cover the host (RFC 6125).
/// </summary>
public static class PkixValidator
{
    // id-kp-serverAuth (RFC 5280 §4.2.1.12).
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    private const X509ChainStatusFlags UntrustedFlags = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain;

    private const X509ChainStatusFlags TimeFlags = X509ChainStatusFlags.NotTimeValid;

    private const X509ChainStatusFlags RevokedFlags = X509ChainStatusFlags.Revoked;

    // Revocation status is not known because we do not check it; never a failure.
    private const X509ChainStatusFlags IgnoredFlags = X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation;

    /// <summary>Validates <paramref name="servedChain"/> (leaf first, then what the server sent) for <paramref name="referenceHostName"/>.</summary>
    public static PkixResult Validate(IReadOnlyList<X509Certificate2> servedChain, string referenceHostName, PkixTrust trust, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(servedChain);
        ArgumentNullException.ThrowIfNull(trust);
        return servedChain.Count == 0
            ? NoCertificate
            : Validate(servedChain, referenceHostName, trust, asOf, BuildChainStatus(servedChain, trust, asOf));
    }

    /// <summary>
    /// The chain half of <see cref="Validate(IReadOnlyList{X509Certificate2}, string, PkixTrust, DateTimeOffset)"/>:
    /// whether the served chain leads to a trust anchor and is valid for TLS server authentication at
    /// <paramref name="asOf"/>. It reads no reference name, so every host that serves the same chain
    /// shares it (docs/architecture.md#chain-judgement).
    /// </summary>
    public static PkixChainStatus BuildChainStatus(IReadOnlyList<X509Certificate2> servedChain, PkixTrust trust, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(servedChain);
        ArgumentNullException.ThrowIfNull(trust);
        if (servedChain.Count == 0)
        {
            return new PkixChainStatus(X509ChainStatusFlags.PartialChain, null);
        }

        X509ChainStatusFlags status;
        string? elementDetail = null;
        if (trust.UseSystemRoots)
        {
            status = BuildChain(servedChain, customRoots: null, asOf, out elementDetail);
            if ((status & UntrustedFlags) != 0 && trust.ExtraRoots.Count > 0)
            {
                // The system store does not know the root; try the configured extra roots alone, so
                // that the trust anchors in effect are "system ∪ extra".
                status = BuildChain(servedChain, trust.ExtraRoots, asOf, out elementDetail);
            }
        }
        else
        {
            status = trust.ExtraRoots.Count == 0
                ? X509ChainStatusFlags.UntrustedRoot
                : BuildChain(servedChain, trust.ExtraRoots, asOf, out elementDetail);
        }

        return new PkixChainStatus(status & ~IgnoredFlags, elementDetail);
    }

    /// <summary>
    /// <see cref="Validate(IReadOnlyList{X509Certificate2}, string, PkixTrust, DateTimeOffset)"/> with the
    /// chain's status already built (<see cref="BuildChainStatus"/>, for the same chain, trust and
    /// instant): only the name check is made here.
    /// </summary>
    public static PkixResult Validate(IReadOnlyList<X509Certificate2> servedChain, string referenceHostName, PkixTrust trust, DateTimeOffset asOf, PkixChainStatus chainStatus)
    {
        ArgumentNullException.ThrowIfNull(servedChain);
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(chainStatus);
        if (servedChain.Count == 0)
        {
            return NoCertificate;
        }

        // Compare A-labels with A-labels; a reference name that does not normalise is compared as given (and will not match).
        string reference = DomainName.TryNormalize(referenceHostName, out string? normalized, out _) ? normalized : referenceHostName;
        X509Certificate2 leaf = servedChain[0];
        bool nameMatches = CertificateNames.Matches(leaf, reference);
        X509ChainStatusFlags status = chainStatus.Flags;
        string? elementDetail = chainStatus.ElementDetail;
        string subject = leaf.Subject;
        if ((status & UntrustedFlags) != 0)
        {
            string where = trust.UseSystemRoots
                ? (trust.ExtraRoots.Count > 0 ? "the system's root store or the configured extra roots" : "the system's root store")
                : (trust.ExtraRoots.Count > 0 ? "the configured extra roots (system roots are off)" : "any trust anchor: system roots are off and no extra roots are configured");
            return Fail(PkixFailure.Untrusted, nameMatches,
                $"The certificate chain of '{reference}' (leaf '{subject}', issuer '{leaf.Issuer}') does not lead to a root in {where}; the server must send its intermediates, or the root must be added to the trusted roots.");
        }

        if ((status & RevokedFlags) != 0)
        {
            return Fail(PkixFailure.Revoked, nameMatches, $"A certificate in the chain of '{reference}' is revoked{elementDetail}.");
        }

        if ((status & TimeFlags) != 0)
        {
            return Fail(PkixFailure.Expired, nameMatches,
                $"A certificate in the chain of '{reference}' is not valid on {asOf.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}{elementDetail}; it must be renewed.");
        }

        if (status != X509ChainStatusFlags.NoError)
        {
            return Fail(PkixFailure.Other, nameMatches,
                $"The certificate chain of '{reference}' is not valid for TLS server authentication ({Describe(status)}){elementDetail}.");
        }

        if (!nameMatches)
        {
            var presented = CertificateNames.GetPresentedNames(leaf, out bool fromCn);
            string names = presented.Count == 0 ? "no names" : string.Join(", ", presented);
            return Fail(PkixFailure.NameMismatch, false,
                $"The certificate of '{reference}' is trusted but names {(fromCn ? "(subject CN only) " : "")}{names}, none of which covers '{reference}'.");
        }

        return new PkixResult { Valid = true, Failure = PkixFailure.None, NameMatches = true, Detail = $"The certificate of '{reference}' is valid, trusted and names the host." };
    }

    private static readonly PkixResult NoCertificate = new() { Valid = false, Failure = PkixFailure.NoCertificate, Detail = "The server presented no certificate." };

    private static PkixResult Fail(PkixFailure failure, bool nameMatches, string detail) =>
        new() { Valid = false, Failure = failure, NameMatches = nameMatches, Detail = detail };

    private static X509ChainStatusFlags BuildChain(IReadOnlyList<X509Certificate2> servedChain, IReadOnlyList<X509Certificate2>? customRoots, DateTimeOffset asOf, out string? elementDetail)
    {
        using var chain = new X509Chain();
        X509ChainPolicy policy = chain.ChainPolicy;

        // Revocation is off: RFC 8461 does not require it, and a dry run must give the same answer
        // whether or not OCSP responders and CRL distribution points are reachable from here.
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true; // no AIA fetching either: only what the server sent counts
        policy.VerificationTime = asOf.UtcDateTime;
        policy.ApplicationPolicy.Add(new Oid(ServerAuthOid));
        for (int i = 1; i < servedChain.Count; i++)
        {
            policy.ExtraStore.Add(servedChain[i]);
        }

        if (customRoots is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(customRoots.ToArray());
        }

        X509ChainStatusFlags flags = X509ChainStatusFlags.NoError;
        elementDetail = null;
        try
        {
            bool ok = chain.Build(servedChain[0]);
            foreach (X509ChainStatus s in chain.ChainStatus)
            {
                flags |= s.Status;
            }

            if (!ok && flags == X509ChainStatusFlags.NoError)
            {
                flags = X509ChainStatusFlags.PartialChain;
            }

            for (int i = 0; i < chain.ChainElements.Count; i++)
            {
                X509ChainElement element = chain.ChainElements[i];
                X509ChainStatusFlags elementFlags = element.ChainElementStatus.Aggregate(X509ChainStatusFlags.NoError, (a, s) => a | s.Status) & ~IgnoredFlags;
                if (elementFlags != X509ChainStatusFlags.NoError && elementDetail is null)
                {
                    X509Certificate2 c = element.Certificate;
                    elementDetail = string.Create(CultureInfo.InvariantCulture,
                        $" (certificate '{c.Subject}', valid {c.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm:ss'Z'} to {c.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss'Z'}: {Describe(elementFlags)})");
                }

                element.Certificate.Dispose();
            }
        }
        catch (CryptographicException ex)
        {
            elementDetail = $" ({ex.Message})";
            flags = X509ChainStatusFlags.PartialChain;
        }

        return flags;
    }

    private static string Describe(X509ChainStatusFlags flags) =>
        flags.ToString();
}
