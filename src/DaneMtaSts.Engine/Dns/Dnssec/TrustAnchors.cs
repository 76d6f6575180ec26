using System.Globalization;
using DaneMtaSts.Engine.Dns.Wire;

namespace DaneMtaSts.Engine.Dns.Dnssec;

/// <summary>A trust-anchor file that cannot be used; the message names the file and line.</summary>
public sealed class TrustAnchorException : Exception
{
    public TrustAnchorException()
    {
    }

    public TrustAnchorException(string message)
        : base(message)
    {
    }

    public TrustAnchorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The root's trust anchors: DS records (a DNSKEY of the root must match one by digest) and/or
/// DNSKEY records (a key of the root must equal one). <see cref="BuiltIn"/> holds the IANA root KSKs;
/// <see cref="Load"/> reads a file in presentation form that replaces them.
/// </summary>
public sealed class TrustAnchorSet
{
    private TrustAnchorSet(IReadOnlyList<DsData> ds, IReadOnlyList<DnskeyData> keys, string source)
    {
        Ds = ds;
        Keys = keys;
        Source = source;
    }

    public IReadOnlyList<DsData> Ds { get; }

    public IReadOnlyList<DnskeyData> Keys { get; }

    /// <summary>Where the anchors came from ("built-in" or the file's path), for evidence.</summary>
    public string Source { get; }

    /// <summary>
    /// The root zone KSKs as DS records, from IANA's https://data.iana.org/root-anchors/root-anchors.xml:
    /// KSK-2017 (key tag 20326, valid from 2017-02-02) and KSK-2024 (key tag 38696, valid from
    /// 2024-07-18), both RSASHA256 (8) with SHA-256 (2) digests.
    /// </summary>
    public static TrustAnchorSet BuiltIn { get; } = new(
        [
            new DsData(20326, DnssecAlgorithm.RsaSha256, DsDigestType.Sha256, Convert.FromHexString("E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D")),
            new DsData(38696, DnssecAlgorithm.RsaSha256, DsDigestType.Sha256, Convert.FromHexString("683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16")),
        ],
        [],
        "built-in");

    /// <summary>Anchors from records already in hand (tests, callers that build their own).</summary>
    public static TrustAnchorSet FromRecords(IEnumerable<DsData> ds, IEnumerable<DnskeyData> keys, string source)
    {
        var dsList = ds.ToList();
        var keyList = keys.ToList();
        if (dsList.Count + keyList.Count == 0)
        {
            throw new TrustAnchorException($"The trust anchors from {source} hold no DS or DNSKEY record.");
        }

        return new TrustAnchorSet(dsList, keyList, source);
    }

    /// <summary>Reads a trust-anchor file; <see cref="TrustAnchorException"/> for an unreadable or malformed one.</summary>
    public static TrustAnchorSet Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TrustAnchorException($"The trust-anchor file '{path}' cannot be read: {ex.Message}", ex);
        }

        return Parse(text, path);
    }

    /// <summary>
    /// Parses zone-file lines (RFC 1035 §5.1): owner, optional TTL and class in either order, DS or
    /// DNSKEY and the RDATA; ";" comments; "( … )" spanning lines. Only the root may be the owner.
    /// </summary>
    public static TrustAnchorSet Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ds = new List<DsData>();
        var keys = new List<DnskeyData>();
        foreach ((int line, List<string> tokens) in Entries(text, source))
        {
            string where = $"{source} line {line}";
            if (tokens[0] != ".")
            {
                throw new TrustAnchorException($"{where}: the owner is '{tokens[0]}'; only root ('.') trust anchors are supported.");
            }

            int at = 1;
            for (int i = 0; i < 2 && at < tokens.Count; i++)
            {
                if (tokens[at].Equals("IN", StringComparison.OrdinalIgnoreCase) || uint.TryParse(tokens[at], NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    at++;
                }
            }

            if (at >= tokens.Count)
            {
                throw new TrustAnchorException($"{where}: the record type (DS or DNSKEY) is missing.");
            }

            string type = tokens[at].ToUpperInvariant();
            List<string> rdata = tokens.GetRange(at + 1, tokens.Count - at - 1);
            try
            {
                switch (type)
                {
                    case "DS":
                        Need(rdata, 4, "DS needs a key tag, an algorithm, a digest type and a hexadecimal digest", where);
                        ds.Add(new DsData(
                            ushort.Parse(rdata[0], NumberStyles.None, CultureInfo.InvariantCulture),
                            byte.Parse(rdata[1], NumberStyles.None, CultureInfo.InvariantCulture),
                            byte.Parse(rdata[2], NumberStyles.None, CultureInfo.InvariantCulture),
                            Convert.FromHexString(string.Concat(rdata.Skip(3)))));
                        break;
                    case "DNSKEY":
                        Need(rdata, 4, "DNSKEY needs flags, protocol, algorithm and a Base64 public key", where);
                        var key = new DnskeyData(
                            ushort.Parse(rdata[0], NumberStyles.None, CultureInfo.InvariantCulture),
                            byte.Parse(rdata[1], NumberStyles.None, CultureInfo.InvariantCulture),
                            byte.Parse(rdata[2], NumberStyles.None, CultureInfo.InvariantCulture),
                            Convert.FromBase64String(string.Concat(rdata.Skip(3))));
                        if (!key.IsZoneKey || key.Protocol != 3)
                        {
                            throw new TrustAnchorException($"{where}: a DNSKEY trust anchor must have the zone-key flag (256 or 257) and protocol 3.");
                        }

                        keys.Add(key);
                        break;
                    default:
                        throw new TrustAnchorException($"{where}: the type '{tokens[at]}' is not DS or DNSKEY.");
                }
            }
            catch (FormatException ex)
            {
                throw new TrustAnchorException($"{where}: {ex.Message}", ex);
            }
            catch (OverflowException ex)
            {
                throw new TrustAnchorException($"{where}: a number is out of range ({ex.Message}).", ex);
            }
        }

        if (ds.Count + keys.Count == 0)
        {
            throw new TrustAnchorException($"{source} holds no DS or DNSKEY record.");
        }

        return new TrustAnchorSet(ds, keys, source);
    }

    private static void Need(List<string> rdata, int count, string what, string where)
    {
        if (rdata.Count < count)
        {
            throw new TrustAnchorException($"{where}: {what}.");
        }
    }

    /// <summary>Tokens of each entry, comments removed, parentheses joining lines; the line number where it started.</summary>
    private static IEnumerable<(int Line, List<string> Tokens)> Entries(string text, string source)
    {
        var tokens = new List<string>();
        int depth = 0;
        int startLine = 0;
        string[] lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n];
            int comment = line.IndexOf(';', StringComparison.Ordinal);
            if (comment >= 0)
            {
                line = line[..comment];
            }

            foreach (string raw in line.Replace("(", " ( ", StringComparison.Ordinal).Replace(")", " ) ", StringComparison.Ordinal)
                         .Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (raw == "(")
                {
                    depth++;
                    continue;
                }

                if (raw == ")")
                {
                    if (--depth < 0)
                    {
                        throw new TrustAnchorException($"{source} line {n + 1}: ')' without '('.");
                    }

                    continue;
                }

                if (tokens.Count == 0)
                {
                    startLine = n + 1;
                }

                tokens.Add(raw);
            }

            if (depth == 0 && tokens.Count > 0)
            {
                yield return (startLine, tokens);
                tokens = [];
            }
        }

        if (depth != 0)
        {
            throw new TrustAnchorException($"{source} line {startLine}: '(' is never closed.");
        }
    }
}
