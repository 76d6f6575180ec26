using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace DaneMtaSts.Engine.Dane;

/// <summary>A DANE-TA trust anchor: a served certificate at depth ≥ 1, or a certificate or bare key from a "2 0 0" / "2 1 0" record absent from the chain.</summary>
internal sealed class TrustAnchor
{
    /// <summary>Index in the served chain; -1 when the anchor comes from DNS only.</summary>
    public required int ChainIndex { get; init; }

    /// <summary>The anchor certificate (served, or from a "2 0 0" record); null for a bare key.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The key of a DNS-only anchor (from the "2 0 0" certificate or the "2 1 0" SPKI).</summary>
    public AsymmetricKeyParameter? ExternalKey { get; init; }
}

/// <summary>The best path found from the leaf to one trust anchor.</summary>
internal sealed class PathOutcome
{
    public bool Found { get; init; }

    /// <summary>Served-chain indices from the leaf upward; ends with the anchor when the anchor was served.</summary>
    public IReadOnlyList<int> Path { get; init; } = [];

    /// <summary>Why no path was found.</summary>
    public string? FailureReason { get; init; }

    /// <summary>The first certificate below the anchor outside its validity at AsOf, or -1.</summary>
    public int OutOfValidityIndex { get; init; } = -1;

    /// <summary>Earliest NotAfter among the certificates below the anchor.</summary>
    public DateTimeOffset ValidUntil { get; init; }
}

/// <summary>
/// Builds a certification path from the leaf to a DANE-TA anchor over the served certificates as
/// OpenSSL does for DANE-TA(2) (RFC 7671 §5.2.2, docs/verdicts.md#dane-ta-path): issuer and subject
/// names compared by their DER encoding and real signatures, served certificates in any order and
/// unrelated ones ignored, basicConstraints CA, keyCertSign, pathLenConstraint and serverAuth EKU
/// enforced, unknown critical extensions rejected and name constraints honoured
/// (<see cref="PathConstraints"/>), validity dates of every certificate below the anchor judged at
/// AsOf (the anchor's own dates are ignored). Work is bounded: signature checks are cached per
/// (child, issuer) pair and the search has a step budget and a depth limit.
/// </summary>
internal sealed class TrustAnchorPathBuilder
{
    /// <summary>Most intermediate certificates between the leaf and the anchor, as Postfix's smtp_tls_scert_verifydepth default (9).</summary>
    public const int MaxIntermediates = 9;

    private const int StepBudget = 5000;
    private const int MaxPathsCollected = 32;
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    private readonly IReadOnlyList<X509Certificate2> chain;
    private readonly BcCertificate?[] parsed;
    private readonly Dictionary<(int Child, int Issuer), string?> linkCache = [];
    private readonly DateTimeOffset asOf;
    private int steps;

    public TrustAnchorPathBuilder(IReadOnlyList<X509Certificate2> chain, DateTimeOffset asOf)
    {
        this.chain = chain;
        this.asOf = asOf;
        parsed = new BcCertificate?[chain.Count];
        for (int i = 0; i < chain.Count; i++)
        {
            parsed[i] = SignatureVerifier.TryParse(chain[i]);
        }
    }

    public PathOutcome FindPath(TrustAnchor anchor)
    {
        // The budget is per anchor, so one pathological record cannot starve the others.
        steps = 0;
        X509Certificate2 leaf = chain[0];
        if (!HasServerAuth(leaf))
        {
            return new PathOutcome { FailureReason = "the leaf's extended key usage does not include serverAuth" };
        }

        if (PathConstraints.UnknownCriticalExtension(leaf) is { } critical)
        {
            return new PathOutcome { FailureReason = $"the leaf has a critical extension this validator does not implement ({critical})" };
        }

        var found = new List<List<int>>();
        var failure = new DeepestFailure();
        Search([0], anchor, found, failure);
        if (found.Count == 0)
        {
            string reason = failure.Reason ?? "the leaf does not chain to it";
            if (steps >= StepBudget)
            {
                reason += string.Create(CultureInfo.InvariantCulture, $" (the path search stopped after {StepBudget} steps)");
            }

            return new PathOutcome { FailureReason = reason };
        }

        // Prefer a path whose certificates are all within their validity, and among those the one
        // that stays valid longest; otherwise report the first path and its expired certificate.
        PathOutcome? best = null;
        foreach (var path in found)
        {
            var outcome = Judge(path, anchor);
            if (best is null ||
                (outcome.OutOfValidityIndex < 0 && best.OutOfValidityIndex >= 0) ||
                (outcome.OutOfValidityIndex < 0 && best.OutOfValidityIndex < 0 && outcome.ValidUntil > best.ValidUntil))
            {
                best = outcome;
            }
        }

        return best!;
    }

    private PathOutcome Judge(List<int> path, TrustAnchor anchor)
    {
        int belowAnchor = anchor.ChainIndex >= 0 ? path.Count - 1 : path.Count;
        int outOfValidity = -1;
        DateTimeOffset validUntil = DateTimeOffset.MaxValue;
        for (int p = 0; p < belowAnchor; p++)
        {
            X509Certificate2 cert = chain[path[p]];
            DateTimeOffset notBefore = new(cert.NotBefore.ToUniversalTime(), TimeSpan.Zero);
            DateTimeOffset notAfter = new(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero);
            if (notAfter < validUntil)
            {
                validUntil = notAfter;
            }

            if (outOfValidity < 0 && (asOf < notBefore || asOf > notAfter))
            {
                outOfValidity = path[p];
            }
        }

        return new PathOutcome { Found = true, Path = path, OutOfValidityIndex = outOfValidity, ValidUntil = validUntil };
    }

    private void Search(List<int> path, TrustAnchor anchor, List<List<int>> found, DeepestFailure failure)
    {
        if (found.Count >= MaxPathsCollected || steps >= StepBudget)
        {
            return;
        }

        int current = path[^1];
        int position = path.Count - 1;
        X509Certificate2 currentCert = chain[current];

        // A DNS-only anchor may sign whatever certificate the path has reached (RFC 7671 §5.2.3).
        if (anchor.ChainIndex < 0)
        {
            steps++;
            string? problem = ExternalAnchorProblem(current, position, path, anchor) ?? NameConstraintProblem(path, anchor.Certificate);
            if (problem is null)
            {
                found.Add([.. path]);
                return;
            }

            failure.Note(position, problem);
        }

        int intermediatesSoFar = position; // positions 1..position are intermediates
        bool anyNamedIssuer = false;
        for (int k = 1; k < chain.Count; k++)
        {
            if (steps >= StepBudget || found.Count >= MaxPathsCollected)
            {
                return;
            }

            if (path.Contains(k) || !SameName(chain[k].SubjectName, currentCert.IssuerName) ||
                path.Any(p => chain[p].RawData.AsSpan().SequenceEqual(chain[k].RawData)))
            {
                continue;
            }

            anyNamedIssuer = true;
            steps++;
            bool isAnchor = k == anchor.ChainIndex;
            if (!isAnchor && intermediatesSoFar + 1 > MaxIntermediates)
            {
                failure.Note(position + 1, string.Create(CultureInfo.InvariantCulture, $"the path would need more than {MaxIntermediates} intermediate certificates"));
                continue;
            }

            string? linkProblem = IssuerProblem(chain[k], path) ?? SignatureProblem(current, k);
            if (linkProblem is not null)
            {
                failure.Note(position + 1, $"{Name(k)} cannot be the issuer of {Name(current)}: {linkProblem}");
                continue;
            }

            path.Add(k);
            if (isAnchor)
            {
                if (NameConstraintProblem(path, null) is { } constraintProblem)
                {
                    failure.Note(position + 1, constraintProblem);
                }
                else
                {
                    found.Add([.. path]);
                }
            }
            else
            {
                Search(path, anchor, found, failure);
            }

            path.RemoveAt(path.Count - 1);
        }

        if (!anyNamedIssuer && anchor.ChainIndex >= 0)
        {
            failure.Note(position, $"no served certificate is named '{currentCert.Issuer}', the issuer of {Name(current)}");
        }
    }

    private string? ExternalAnchorProblem(int current, int position, List<int> path, TrustAnchor anchor)
    {
        if (anchor.ExternalKey is null)
        {
            return "the anchor's key could not be read";
        }

        if (anchor.Certificate is not null)
        {
            if (!SameName(anchor.Certificate.SubjectName, chain[current].IssuerName))
            {
                return $"the anchor certificate '{anchor.Certificate.Subject}' is not the issuer '{chain[current].Issuer}' of {Name(current)}";
            }

            string? issuerProblem = IssuerProblem(anchor.Certificate, path);
            if (issuerProblem is not null)
            {
                return $"the anchor certificate '{anchor.Certificate.Subject}' cannot issue certificates: {issuerProblem}";
            }
        }

        if (parsed[current] is not { } child)
        {
            return $"{Name(current)} could not be parsed for signature verification";
        }

        return SignatureVerifier.Verify(child, anchor.ExternalKey, out string? reason)
            ? null
            : $"{Name(current)} is not signed by the anchor key: {reason}";
    }

    private string? NameConstraintProblem(List<int> path, X509Certificate2? externalAnchor) =>
        PathConstraints.NameConstraintViolation([.. path.Select(i => chain[i])], externalAnchor);

    // RFC 5280 §4.2.1.9 / §4.2.1.3 / §6.1.4, with OpenSSL's leniency for v1 certificates.
    private string? IssuerProblem(X509Certificate2 issuer, List<int> pathBelow)
    {
        try
        {
            return CheckIssuerExtensions(issuer, pathBelow);
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            // A CA whose constraints cannot be read cannot be trusted to issue (fail closed).
            return "its basicConstraints or key usage extension is malformed";
        }
    }

    private string? CheckIssuerExtensions(X509Certificate2 issuer, List<int> pathBelow)
    {
        if (PathConstraints.UnknownCriticalExtension(issuer) is { } critical)
        {
            return $"it has a critical extension this validator does not implement ({critical})";
        }

        X509BasicConstraintsExtension? basic = null;
        X509KeyUsageExtension? keyUsage = null;
        foreach (X509Extension ext in issuer.Extensions)
        {
            switch (ext.Oid?.Value)
            {
                case "2.5.29.19":
                    basic = ext as X509BasicConstraintsExtension ?? new X509BasicConstraintsExtension(ext, ext.Critical);
                    break;
                case "2.5.29.15":
                    keyUsage = ext as X509KeyUsageExtension ?? new X509KeyUsageExtension(ext, ext.Critical);
                    break;
            }
        }

        if (basic is not null && !basic.CertificateAuthority)
        {
            return "its basicConstraints say it is not a CA";
        }

        if (basic is null && issuer.Version >= 3 && (keyUsage is null || (keyUsage.KeyUsages & X509KeyUsageFlags.KeyCertSign) == 0))
        {
            return "it has no basicConstraints extension marking it as a CA";
        }

        if (keyUsage is not null && (keyUsage.KeyUsages & X509KeyUsageFlags.KeyCertSign) == 0)
        {
            return "its key usage does not include keyCertSign";
        }

        if (basic is { HasPathLengthConstraint: true })
        {
            // Intermediates below this issuer, not counting the leaf or self-issued certificates.
            int below = 0;
            for (int p = 1; p < pathBelow.Count; p++)
            {
                X509Certificate2 intermediate = chain[pathBelow[p]];
                if (!SameName(intermediate.SubjectName, intermediate.IssuerName))
                {
                    below++;
                }
            }

            if (below > basic.PathLengthConstraint)
            {
                return string.Create(CultureInfo.InvariantCulture, $"its pathLenConstraint {basic.PathLengthConstraint} allows fewer than the {below} intermediate certificates below it");
            }
        }

        if (!HasServerAuth(issuer))
        {
            return "its extended key usage does not include serverAuth";
        }

        return null;
    }

    private string? SignatureProblem(int child, int issuer)
    {
        if (linkCache.TryGetValue((child, issuer), out string? cached))
        {
            return cached;
        }

        string? problem;
        if (parsed[child] is not { } childCert || parsed[issuer] is not { } issuerCert)
        {
            problem = "a certificate could not be parsed for signature verification";
        }
        else if (SignatureVerifier.TryGetKey(issuerCert) is not { } key)
        {
            problem = "its public key could not be read";
        }
        else
        {
            problem = SignatureVerifier.Verify(childCert, key, out string? reason) ? null : reason;
        }

        linkCache[(child, issuer)] = problem;
        return problem;
    }

    // OpenSSL's SSL server purpose: a certificate with an EKU must list serverAuth. An EKU that
    // cannot be decoded counts as one without serverAuth (fail closed).
    private static bool HasServerAuth(X509Certificate2 certificate)
    {
        try
        {
            return EkuAllowsServerAuth(certificate);
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            return false;
        }
    }

    private static bool EkuAllowsServerAuth(X509Certificate2 certificate)
    {
        foreach (X509Extension ext in certificate.Extensions)
        {
            if (ext.Oid?.Value != "2.5.29.37")
            {
                continue;
            }

            var eku = ext as X509EnhancedKeyUsageExtension ?? new X509EnhancedKeyUsageExtension(ext, ext.Critical);
            foreach (var oid in eku.EnhancedKeyUsages)
            {
                if (oid.Value == ServerAuthOid)
                {
                    return true;
                }
            }

            return false;
        }

        return true;
    }

    // Names are compared by their DER encoding, as OpenSSL's chain building does in practice (a CA
    // that re-encodes its own name breaks its chain there too); a case-insensitive comparison of
    // the rendered text would let a differently encoded name, or one that only renders the same,
    // stand in for the issuer.
    private static bool SameName(X500DistinguishedName a, X500DistinguishedName b) =>
        a.RawData.AsSpan().SequenceEqual(b.RawData);

    public string Name(int index) => index == 0
        ? $"the leaf ('{chain[0].Subject}')"
        : string.Create(CultureInfo.InvariantCulture, $"the certificate at depth {index} ('{chain[index].Subject}')");

    private sealed class DeepestFailure
    {
        private int position = -1;

        public string? Reason { get; private set; }

        public void Note(int at, string reason)
        {
            if (at > position)
            {
                position = at;
                Reason = reason;
            }
        }
    }
}
