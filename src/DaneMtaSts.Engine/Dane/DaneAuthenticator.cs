using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Pkix;

namespace DaneMtaSts.Engine.Dane;

/// <summary>
/// SMTP DANE authentication of a served certificate chain against a TLSA RRset (RFC 7672 §3,
/// RFC 7671, RFC 6698), with Postfix/OpenSSL semantics: only DANE-EE(3) and DANE-TA(2) are
/// usable, digest agility per (usage, selector), DANE-EE matches the leaf alone without any other
/// check, DANE-TA needs a signature path from the leaf to the anchor, valid dates below the anchor
/// and a name check. Never throws for hostile input: every problem is a reason in the result.
/// </summary>
public static class DaneAuthenticator
{
    /// <summary>Usability and digest agility of each record, before any handshake (no matching).</summary>
    public static IReadOnlyList<TlsaRecordResult> ClassifyRecords(IReadOnlyList<TlsaRecord> records) =>
        TlsaUsability.Classify(records).Select(c => new TlsaRecordResult
        {
            Record = c.Record,
            Usable = c.Usable,
            SupersededByStrongerDigest = c.Superseded,
            Detail = c.Detail,
        }).ToList();

    /// <summary>True when at least one record is usable for SMTP (then SNI is the TLSA base name, RFC 7672 §8.1).</summary>
    public static bool HasUsableRecords(IReadOnlyList<TlsaRecord> records) =>
        TlsaUsability.Classify(records).Any(c => c.Usable);

    /// <summary>
    /// True when the (secure) TLSA RRset is non-empty: usable or not, TLSA records make TLS
    /// mandatory for the host (RFC 7672 §2.2), even when nothing can be authenticated.
    /// </summary>
    public static bool TlsaRequiresTls(IReadOnlyList<TlsaRecord> records) => records.Count > 0;

    /// <summary>Authenticates <see cref="DaneCheck.ServedChain"/> against <see cref="DaneCheck.Records"/>.</summary>
    public static DaneResult Evaluate(DaneCheck check)
    {
        var classified = TlsaUsability.Classify(check.Records);
        var chain = check.ServedChain;
        var outcomes = new RecordOutcome[classified.Count];

        if (!classified.Any(c => c.Usable))
        {
            string why = classified.Count == 0
                ? "no TLSA record was given"
                : string.Join("; ", classified.Select(c => $"{TlsaRecords.Describe(c.Record)}: {c.Detail}").Distinct().Take(5));
            return new DaneResult
            {
                Authenticated = false,
                Failure = DaneFailure.NoUsableRecords,
                Records = ToResults(classified, outcomes),
                Detail = $"No usable TLSA record ({why}); TLS is still required, but the server cannot be authenticated (RFC 7672 §2.2).",
            };
        }

        if (chain.Count == 0)
        {
            for (int i = 0; i < classified.Count; i++)
            {
                if (classified[i].Active)
                {
                    outcomes[i] = new RecordOutcome(Verdict.NoMatch, "not checked: the server sent no certificate");
                }
            }

            return new DaneResult
            {
                Authenticated = false,
                Failure = DaneFailure.NoCertificate,
                Records = ToResults(classified, outcomes),
                Detail = "The server sent no certificate, so no TLSA record can match.",
            };
        }

        // DANE-EE first (cheap, and RFC 7672 §3.1 lets either kind authenticate), then DANE-TA.
        for (int i = 0; i < classified.Count; i++)
        {
            if (classified[i].Active && classified[i].Record.Usage == 3)
            {
                outcomes[i] = MatchEndEntity(classified[i].Record, chain[0]);
            }
        }

        var builder = new TrustAnchorPathBuilder(chain, check.AsOf);
        for (int i = 0; i < classified.Count; i++)
        {
            if (classified[i].Active && classified[i].Record.Usage == 2)
            {
                outcomes[i] = MatchTrustAnchor(classified[i], check, builder);
            }
        }

        var results = ToResults(classified, outcomes);
        int winner = FirstIndex(classified, outcomes, 3, Verdict.Authenticated);
        if (winner < 0)
        {
            winner = FirstIndex(classified, outcomes, 2, Verdict.Authenticated);
        }

        if (winner >= 0)
        {
            var outcome = outcomes[winner]!;
            // Any DANE-EE match never expires; otherwise the latest-lasting DANE-TA path decides.
            DateTimeOffset? validUntil = classified.Where((c, i) => outcomes[i]?.Verdict == Verdict.Authenticated && c.Record.Usage == 3).Any()
                ? null
                : outcomes.Where(o => o?.Verdict == Verdict.Authenticated).Max(o => o!.ValidUntil);
            return new DaneResult
            {
                Authenticated = true,
                Failure = DaneFailure.None,
                MatchedRecord = classified[winner].Record,
                MatchedDepth = outcome.Depth,
                MatchedName = outcome.MatchedName,
                Records = results,
                ValidUntil = validUntil,
                Detail = $"DANE-authenticated by {TlsaRecords.Describe(classified[winner].Record)}: {outcome.Detail}.",
            };
        }

        // No record authenticated: report the most specific failure (RFC 7672 §3.2 codes).
        foreach (var (verdict, failure) in new[] { (Verdict.Expired, DaneFailure.Expired), (Verdict.NameMismatch, DaneFailure.NameMismatch) })
        {
            int index = FirstIndex(classified, outcomes, 2, verdict);
            if (index >= 0)
            {
                return new DaneResult
                {
                    Authenticated = false,
                    Failure = failure,
                    Records = results,
                    Detail = $"DANE-TA record {TlsaRecords.Describe(classified[index].Record)} {outcomes[index]!.Detail}.",
                };
            }
        }

        string details = string.Join("; ", classified.Select((c, i) => (c, i)).Where(x => x.c.Active)
            .Select(x => $"{TlsaRecords.Describe(x.c.Record)}: {outcomes[x.i]!.Detail}").Distinct().Take(6));
        int superseded = classified.Count(c => c.Superseded);
        string agility = superseded == 0
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $"; {superseded} weaker-digest record(s) ignored because a SHA2-512 record exists for the same usage and selector (RFC 7671 §9)");
        return new DaneResult
        {
            Authenticated = false,
            Failure = DaneFailure.NoMatch,
            Records = results,
            Detail = $"No usable TLSA record matches the served chain ({details}){agility}.",
        };
    }

    /// <summary>
    /// The instant after which an authenticated chain stops matching because a certificate below
    /// the DANE-TA anchor expires (the earliest NotAfter on the path); null when a DANE-EE record
    /// matches (dates never matter there) or the chain does not authenticate at all.
    /// </summary>
    public static DateTimeOffset? StopsMatchingOn(DaneCheck check) => Evaluate(check).ValidUntil;

    /// <summary>True when the chain authenticates at <see cref="DaneCheck.AsOf"/> but no longer at <paramref name="later"/> (for "this TLSA set stops matching on …" warnings).</summary>
    public static bool WillStopMatching(DaneCheck check, DateTimeOffset later) =>
        Evaluate(check).Authenticated && !Evaluate(check with { AsOf = later }).Authenticated;

    private enum Verdict
    {
        NoMatch,
        NameMismatch,
        Expired,
        Authenticated,
    }

    private sealed record RecordOutcome(Verdict Verdict, string Detail)
    {
        public int? Depth { get; init; }

        public string? MatchedName { get; init; }

        public DateTimeOffset? ValidUntil { get; init; }
    }

    private static int FirstIndex(List<ClassifiedRecord> classified, RecordOutcome?[] outcomes, byte usage, Verdict verdict)
    {
        for (int i = 0; i < classified.Count; i++)
        {
            if (classified[i].Record.Usage == usage && outcomes[i]?.Verdict == verdict)
            {
                return i;
            }
        }

        return -1;
    }

    // RFC 7672 §3.1.1: DANE-EE matches the leaf alone; names, dates, issuer and self-signature are irrelevant.
    private static RecordOutcome MatchEndEntity(TlsaRecord record, X509Certificate2 leaf)
    {
        string what = CertificateData.WhatIsMatched(record);
        if (CertificateData.Matches(record, leaf))
        {
            return new RecordOutcome(Verdict.Authenticated, $"matched the leaf's {what}") { Depth = 0 };
        }

        string actual = Convert.ToHexString(CertificateData.Digest(CertificateData.Select(leaf, record.Selector), record.MatchingType));
        string shown = actual.Length > 16 ? actual[..16] + "…" : actual;
        return new RecordOutcome(Verdict.NoMatch, $"the leaf's {what} is {shown}, not the record's data");
    }

    // RFC 7672 §3.1.2 and RFC 7671 §5.2.2–5.2.3.
    private static RecordOutcome MatchTrustAnchor(ClassifiedRecord record, DaneCheck check, TrustAnchorPathBuilder builder)
    {
        var chain = check.ServedChain;
        var tlsa = record.Record;
        string what = CertificateData.WhatIsMatched(tlsa);
        var anchors = new List<TrustAnchor>();
        bool leafMatches = CertificateData.Matches(tlsa, chain[0]);
        for (int j = 1; j < chain.Count; j++)
        {
            if (CertificateData.Matches(tlsa, chain[j]))
            {
                anchors.Add(new TrustAnchor { ChainIndex = j, Certificate = chain[j] });
            }
        }

        if (anchors.Count == 0 && !leafMatches && tlsa.MatchingType == 0)
        {
            // "2 0 0" / "2 1 0": the anchor itself is in DNS and may be absent from the chain (docs/edge-cases.md#t8).
            anchors.Add(tlsa.Selector == 0
                ? new TrustAnchor { ChainIndex = -1, Certificate = record.FullCertificate, ExternalKey = KeyOf(record.FullCertificate) }
                : new TrustAnchor { ChainIndex = -1, ExternalKey = SignatureVerifier.TryParseKey(tlsa.Data) });
        }

        if (anchors.Count == 0)
        {
            return new RecordOutcome(Verdict.NoMatch, leafMatches
                ? $"matches only the leaf's {what}; a DANE-TA (2) record must match an issuer certificate at depth ≥ 1, never the leaf (RFC 7672 §3.1.2)"
                : $"no certificate at depth ≥ 1 has this {what}");
        }

        RecordOutcome? best = null;
        foreach (var anchor in anchors)
        {
            var outcome = JudgeAnchor(anchor, tlsa, check, builder);
            if (best is null || outcome.Verdict > best.Verdict)
            {
                best = outcome;
            }

            if (best.Verdict == Verdict.Authenticated)
            {
                break;
            }
        }

        return best!;
    }

    private static RecordOutcome JudgeAnchor(TrustAnchor anchor, TlsaRecord tlsa, DaneCheck check, TrustAnchorPathBuilder builder)
    {
        var chain = check.ServedChain;
        string what = CertificateData.WhatIsMatched(tlsa);
        string anchorText = anchor.ChainIndex >= 0
            ? $"matched {builder.Name(anchor.ChainIndex)} by its {what}"
            : tlsa.Selector == 0
                ? $"gives a trust anchor certificate ('{anchor.Certificate?.Subject}') that the server did not send"
                : "gives a trust anchor key that the server did not send";

        var path = builder.FindPath(anchor);
        if (!path.Found)
        {
            string notOnPath = anchor.ChainIndex >= 0
                ? $"{anchorText}, but that certificate is not on the leaf's certification path: {path.FailureReason}"
                : $"{anchorText}, and the served chain does not lead to it: {path.FailureReason}";
            return new RecordOutcome(Verdict.NoMatch, notOnPath);
        }

        int depth = anchor.ChainIndex;
        string chained = anchor.ChainIndex >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"{anchorText}; the leaf chains to it through {path.Path.Count - 2} intermediate(s)")
            : string.Create(CultureInfo.InvariantCulture, $"{anchorText}; {builder.Name(path.Path[^1])} is signed by it (RFC 7671 §5.2.3 asks servers to send the anchor)");

        string? matchedName = CertificateNames.FindMatch(chain[0], check.ReferenceNames);
        string nameText;
        if (matchedName is null)
        {
            var presented = CertificateNames.GetPresentedNames(chain[0], out bool fromCn);
            string presentedText = presented.Count == 0 ? "none" : string.Join(", ", presented.Take(8));
            nameText = $"none of the leaf's {(fromCn ? "names (subject CN, no DNS SAN)" : "DNS SAN names")} ({presentedText}) matches the reference names ({(check.ReferenceNames.Count == 0 ? "none given" : string.Join(", ", check.ReferenceNames))})";
        }
        else
        {
            nameText = $"the leaf's name matches '{matchedName}'";
        }

        if (path.OutOfValidityIndex >= 0)
        {
            X509Certificate2 bad = chain[path.OutOfValidityIndex];
            string when = check.AsOf < new DateTimeOffset(bad.NotBefore.ToUniversalTime(), TimeSpan.Zero) ? "not yet valid" : "expired";
            string detail = string.Create(CultureInfo.InvariantCulture,
                $"{chained}, but {builder.Name(path.OutOfValidityIndex)} is {when} at {check.AsOf.UtcDateTime:yyyy-MM-dd HH:mm}Z (valid {bad.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm}Z to {bad.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm}Z)");
            if (matchedName is null)
            {
                detail += "; also " + nameText;
            }

            return new RecordOutcome(Verdict.Expired, detail) { Depth = depth };
        }

        if (matchedName is null)
        {
            return new RecordOutcome(Verdict.NameMismatch, $"{chained}, but {nameText}") { Depth = depth };
        }

        return new RecordOutcome(Verdict.Authenticated, $"{chained}; {nameText}")
        {
            Depth = depth,
            MatchedName = matchedName,
            ValidUntil = path.ValidUntil,
        };
    }

    private static Org.BouncyCastle.Crypto.AsymmetricKeyParameter? KeyOf(X509Certificate2? certificate) =>
        certificate is not null && SignatureVerifier.TryParse(certificate) is { } parsed ? SignatureVerifier.TryGetKey(parsed) : null;

    private static List<TlsaRecordResult> ToResults(List<ClassifiedRecord> classified, RecordOutcome?[] outcomes) =>
        classified.Select((c, i) => new TlsaRecordResult
        {
            Record = c.Record,
            Usable = c.Usable,
            SupersededByStrongerDigest = c.Superseded,
            Matched = outcomes[i]?.Verdict == Verdict.Authenticated,
            MatchedDepth = outcomes[i]?.Depth,
            Detail = outcomes[i]?.Detail ?? c.Detail,
        }).ToList();
}
