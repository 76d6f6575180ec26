using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DaneMtaSts.Engine.Dane;

namespace DaneMtaSts.Engine.Run;

/// <summary>
/// The keys under which a served chain's judgements are shared by the domains of a call
/// (docs/architecture.md#chain-judgement): what the computation reads, and nothing else, so two
/// domains share a result exactly when the computation could not tell them apart.
/// </summary>
internal static class ChainJudgement
{
    /// <summary>The instant, truncated to the whole second (certificate validity has no finer resolution, RFC 5280 §4.1.2.5).</summary>
    public static DateTimeOffset WholeSecond(DateTimeOffset asOf) =>
        new(asOf.UtcTicks - (asOf.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    /// <summary>The served chain (SHA-256 of each certificate, in the order served) and the instant it is judged at.</summary>
    public static string ChainKey(IReadOnlyList<X509Certificate2> chain, DateTimeOffset asOf) =>
        ChainKey(ChainHash(chain), asOf);

    /// <summary><see cref="ChainKey(IReadOnlyList{X509Certificate2}, DateTimeOffset)"/> from a chain's <see cref="ChainHash"/>, computed once per served chain.</summary>
    public static string ChainKey(string chainHash, DateTimeOffset asOf) =>
        string.Concat(asOf.UtcTicks.ToString(CultureInfo.InvariantCulture), chainHash);

    /// <summary>The certificates of a served chain, in the order served: "|" and the SHA-256 (hex) of each.</summary>
    public static string ChainHash(IReadOnlyList<X509Certificate2> chain)
    {
        var key = new StringBuilder(chain.Count * 65);
        foreach (X509Certificate2 certificate in chain)
        {
            key.Append('|').Append(certificate.GetCertHashString(HashAlgorithmName.SHA256));
        }

        return key.ToString();
    }

    /// <summary>PKIX reads the chain, one reference name and the trust (fixed for a gatherer); <paramref name="purpose"/> keeps the MX-host and TlsDomain checks apart.</summary>
    public static string PkixKey(string chainKey, string purpose, string referenceName) =>
        string.Concat(chainKey, "#", purpose, "#", referenceName.ToLowerInvariant());

    /// <summary>
    /// DANE reads the chain and the TLSA RRset, and the reference names only for DANE-TA records
    /// (RFC 7672 §3.2.3: a DANE-EE match checks no name), so the names are part of the key only when
    /// the RRset holds a usage-2 record; then domains with different names never share a result.
    /// </summary>
    public static string DaneKey(string chainKey, IReadOnlyList<TlsaRecord> records, IReadOnlyList<string> referenceNames)
    {
        var key = new StringBuilder(chainKey);
        key.Append("#tlsa");
        foreach (TlsaRecord record in records)
        {
            key.Append('|').Append(record.ToString());
        }

        if (records.Any(r => r.Usage == 2))
        {
            key.Append("#names");
            foreach (string name in referenceNames.Select(n => n.ToLowerInvariant()).Order(StringComparer.Ordinal))
            {
                key.Append('|').Append(name);
            }
        }

        return key.ToString();
    }
}
