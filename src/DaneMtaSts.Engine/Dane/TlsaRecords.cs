using System.Globalization;
using System.Text;

namespace DaneMtaSts.Engine.Dane;

/// <summary>
/// TLSA presentation format (RFC 6698 §2.2) in and out: "3 1 1 ABCD…", optionally preceded by the
/// owner, TTL and class as zone files and dig print them, hex split by white space, several records
/// one per line, ';' comments, parentheses spanning lines (RFC 1035 §5.1) and the generic RFC 3597
/// form ("TYPE52 \# 35 030101…").
/// </summary>
public static class TlsaRecords
{
    /// <summary>The error id of every presentation parse failure.</summary>
    public const string InvalidTlsaRecordErrorId = "InvalidTlsaRecord";

    // Bounds keep hostile input cheap: no real TLSA data comes near them.
    private const int MaxInputLength = 1 << 20;
    private const int MaxDataBytes = 65535;

    /// <summary>Parses one or more records; throws an <see cref="EngineException"/> (id InvalidTlsaRecord) naming the offending line.</summary>
    public static IReadOnlyList<TlsaRecord> ParsePresentation(string text)
    {
        if (TryParsePresentation(text, out var records, out string? error))
        {
            return records;
        }

        throw new EngineException(InvalidTlsaRecordErrorId, EngineErrorKind.InvalidArgument, error, text);
    }

    /// <summary>Parses one or more records; on failure <paramref name="error"/> says which line and why.</summary>
    public static bool TryParsePresentation(string? text, out IReadOnlyList<TlsaRecord> records, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        records = [];
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "No TLSA record was given.";
            return false;
        }

        if (text.Length > MaxInputLength)
        {
            error = $"The TLSA text is longer than {MaxInputLength} characters.";
            return false;
        }

        var statements = new List<Statement>();
        if (!SplitStatements(text, statements, out string? splitError))
        {
            error = splitError ?? "The TLSA text could not be read.";
            return false;
        }

        var parsed = new List<TlsaRecord>(statements.Count);
        foreach (Statement statement in statements)
        {
            if (!ParseStatement(statement, out TlsaRecord? record, out string? reason))
            {
                error = $"{statement.Describe()}: {reason}";
                return false;
            }

            parsed.Add(record);
        }

        if (parsed.Count == 0)
        {
            error = "No TLSA record was given (only comments or blank lines).";
            return false;
        }

        records = parsed;
        error = null;
        return true;
    }

    /// <summary>Presentation form "3 1 1 ABCD…"; with <paramref name="ownerName"/>, a zone-file line "owner. IN TLSA 3 1 1 ABCD…".</summary>
    public static string Format(TlsaRecord record, string? ownerName = null)
    {
        string rdata = record.ToString();
        if (string.IsNullOrEmpty(ownerName))
        {
            return rdata;
        }

        string owner = ownerName.EndsWith('.') ? ownerName : ownerName + ".";
        return $"{owner} IN TLSA {rdata}";
    }

    /// <summary>"3 1 1 (DANE-EE, SPKI, SHA2-256)" with the data shortened, for messages.</summary>
    public static string Describe(TlsaRecord record)
    {
        string hex = Convert.ToHexString(record.Data);
        string shortHex = hex.Length > 16 ? hex[..16] + "…" : hex;
        return string.Create(CultureInfo.InvariantCulture, $"{record.Usage} {record.Selector} {record.MatchingType} {shortHex} ({UsageName(record.Usage)}, {SelectorName(record.Selector)}, {MatchingTypeName(record.MatchingType)})");
    }

    /// <summary>RFC 7218 mnemonic of a certificate usage.</summary>
    public static string UsageName(byte usage) => usage switch
    {
        0 => "PKIX-TA",
        1 => "PKIX-EE",
        2 => "DANE-TA",
        3 => "DANE-EE",
        255 => "PrivCert",
        _ => string.Create(CultureInfo.InvariantCulture, $"usage {usage}"),
    };

    /// <summary>RFC 7218 mnemonic of a selector.</summary>
    public static string SelectorName(byte selector) => selector switch
    {
        0 => "Cert",
        1 => "SPKI",
        255 => "PrivSel",
        _ => string.Create(CultureInfo.InvariantCulture, $"selector {selector}"),
    };

    /// <summary>RFC 7218 mnemonic of a matching type.</summary>
    public static string MatchingTypeName(byte matchingType) => matchingType switch
    {
        0 => "Full",
        1 => "SHA2-256",
        2 => "SHA2-512",
        255 => "PrivMatch",
        _ => string.Create(CultureInfo.InvariantCulture, $"matching type {matchingType}"),
    };

    private sealed class Statement
    {
        public int FirstLine { get; init; }

        public int LastLine { get; set; }

        public List<string> Tokens { get; } = [];

        /// <summary>Index of the first TLSA/TYPE52 token, -1 while there is none; kept as tokens are added so that
        /// a long hex dump (one continuation line at a time) costs linear, not quadratic, time.</summary>
        public int TypeIndex { get; private set; } = -1;

        public void AddTokens(List<string> tokens)
        {
            if (TypeIndex < 0)
            {
                int found = FindTypeIndex(tokens);
                TypeIndex = found >= 0 ? Tokens.Count + found : -1;
            }

            Tokens.AddRange(tokens);
        }

        public StringBuilder Text { get; } = new();

        public string Describe()
        {
            string shown = DomainName.Printable(Text.ToString().Trim());
            if (shown.Length > 80)
            {
                shown = shown[..80] + "…";
            }

            string lines = FirstLine == LastLine
                ? string.Create(CultureInfo.InvariantCulture, $"Line {FirstLine}")
                : string.Create(CultureInfo.InvariantCulture, $"Lines {FirstLine}-{LastLine}");
            return $"{lines} ('{shown}')";
        }
    }

    // Groups lines into statements: parentheses join lines; a line that is only hexadecimal
    // continues the previous record while that record has no data yet, or when it cannot be the
    // start of a record (see LooksLikeRecordStart).
    private static bool SplitStatements(string text, List<Statement> statements, out string? error)
    {
        string[] lines = text.ReplaceLineEndings("\n").Split('\n');
        Statement? open = null; // inside parentheses
        int lineNumber = 0;
        foreach (string rawLine in lines)
        {
            lineNumber++;
            int comment = rawLine.IndexOf(';', StringComparison.Ordinal);
            string line = comment >= 0 ? rawLine[..comment] : rawLine;
            var tokens = Tokenize(line, out int parenDelta, out bool parenError);
            if (parenError)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"Line {lineNumber} ('{DomainName.Printable(rawLine.Trim())}'): unbalanced parentheses.");
                return false;
            }

            if (open is not null)
            {
                open.AddTokens(tokens);
                open.Text.Append(' ').Append(line.Trim());
                open.LastLine = lineNumber;
                if (parenDelta < 0)
                {
                    open = null;
                }
                else if (parenDelta > 0)
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"Line {lineNumber} ('{DomainName.Printable(rawLine.Trim())}'): nested parentheses.");
                    return false;
                }

                continue;
            }

            if (parenDelta < 0)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"Line {lineNumber} ('{DomainName.Printable(rawLine.Trim())}'): ')' without '('.");
                return false;
            }

            if (tokens.Count == 0)
            {
                if (parenDelta > 0)
                {
                    // "(" alone on a line continues the previous statement.
                    if (statements.Count == 0)
                    {
                        error = string.Create(CultureInfo.InvariantCulture, $"Line {lineNumber}: '(' before any record.");
                        return false;
                    }

                    open = statements[^1];
                }

                continue;
            }

            Statement? previous = statements.Count > 0 ? statements[^1] : null;
            bool continuation = previous is not null && tokens.All(IsHex) &&
                                (!HasData(previous) || !LooksLikeRecordStart(tokens));
            if (continuation)
            {
                previous!.AddTokens(tokens);
                previous.Text.Append(' ').Append(line.Trim());
                previous.LastLine = lineNumber;
                if (parenDelta > 0)
                {
                    open = previous;
                }

                continue;
            }

            var statement = new Statement { FirstLine = lineNumber, LastLine = lineNumber };
            statement.AddTokens(tokens);
            statement.Text.Append(line.Trim());
            statements.Add(statement);
            if (parenDelta > 0)
            {
                open = statement;
            }
        }

        if (open is not null)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"Line {open.FirstLine}: '(' is never closed.");
            return false;
        }

        error = null;
        return true;
    }

    // Splits a line on white space; parentheses are separators and counted (+1 open, -1 close,
    // 0 none or balanced on the line).
    private static List<string> Tokenize(string line, out int parenDelta, out bool parenError)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        int depth = 0;
        parenError = false;
        foreach (char c in line)
        {
            if (char.IsWhiteSpace(c) || c is '(' or ')')
            {
                if (current.Length > 0)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                }

                if (c == '(')
                {
                    depth++;
                }
                else if (c == ')')
                {
                    depth--;
                }

                if (depth > 1 || depth < -1)
                {
                    parenError = true;
                }

                continue;
            }

            current.Append(c);
        }

        if (current.Length > 0)
        {
            tokens.Add(current.ToString());
        }

        parenDelta = depth;
        return tokens;
    }

    private static bool HasData(Statement statement)
    {
        // A statement has data once it holds something after the three fields, or, in the RFC 3597
        // generic form ("\# <length> <hex>"), something after the length.
        int fieldsAt = statement.TypeIndex >= 0 ? statement.TypeIndex + 1 : 0;
        bool generic = statement.Tokens.Count > fieldsAt && statement.Tokens[fieldsAt] == "\\#";
        return statement.Tokens.Count > fieldsAt + (generic ? 2 : 3);
    }

    // "3 1 1 …" starts a record: three decimal fields in canonical form ("01" is not one, so a
    // hex dump line "30 82 01 0A" is read as data).
    private static bool LooksLikeRecordStart(List<string> tokens) =>
        tokens.Count >= 3 && tokens.Take(3).All(t => TryParseField(t, out _));

    private static int FindTypeIndex(List<string> tokens) =>
        tokens.FindIndex(t => t.Equals("TLSA", StringComparison.OrdinalIgnoreCase) || t.Equals("TYPE52", StringComparison.OrdinalIgnoreCase));

    private static bool ParseStatement(Statement statement, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TlsaRecord? record, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? reason)
    {
        record = null;
        var tokens = statement.Tokens;
        int typeAt = statement.TypeIndex;
        if (typeAt < 0 && tokens.Count > 0 && !tokens[0].All(char.IsAsciiDigit))
        {
            reason = "expected 'usage selector matching-type data' (e.g. '3 1 1 ABCD…'), optionally after 'owner TTL IN TLSA'.";
            return false;
        }

        if (typeAt > 3)
        {
            reason = "too many words before 'TLSA' (expected at most owner, TTL and class).";
            return false;
        }

        if (typeAt >= 0 && !ValidPrefix(tokens.Take(typeAt).ToList(), out string? prefixError))
        {
            reason = prefixError ?? "the words before 'TLSA' are not an owner, TTL and class.";
            return false;
        }

        var rdata = tokens.Skip(typeAt + 1).ToList();
        if (rdata.Count > 0 && rdata[0] == "\\#")
        {
            if (ParseGeneric(rdata, out TlsaRecord? generic, out string? genericError) && generic is not null)
            {
                record = generic;
                reason = null;
                return true;
            }

            reason = genericError ?? "the generic form is malformed.";
            return false;
        }

        if (rdata.Count < 3)
        {
            reason = "expected three numbers (usage, selector, matching type) and the data.";
            return false;
        }

        string[] fieldNames = ["certificate usage", "selector", "matching type"];
        byte[] fields = new byte[3];
        for (int i = 0; i < 3; i++)
        {
            if (!TryParseField(rdata[i], out fields[i]))
            {
                reason = $"the {fieldNames[i]} '{DomainName.Printable(Shorten(rdata[i]))}' is not a number from 0 to 255.";
                return false;
            }
        }

        if (rdata.Count == 3)
        {
            reason = "the certificate association data is missing.";
            return false;
        }

        if (!TryDecodeHex(rdata.Skip(3), out byte[]? data, out string? hexError))
        {
            reason = hexError ?? "the certificate association data is not hexadecimal.";
            return false;
        }

        record = new TlsaRecord(fields[0], fields[1], fields[2], data);
        reason = null;
        return true;
    }

    // RFC 3597: "\# <length> <hex>", the first three octets being usage, selector and matching type.
    private static bool ParseGeneric(List<string> rdata, out TlsaRecord? record, out string? reason)
    {
        record = null;
        if (rdata.Count < 3 || !int.TryParse(rdata[1], NumberStyles.None, CultureInfo.InvariantCulture, out int length))
        {
            reason = "the generic form needs '\\# <length> <hex>'.";
            return false;
        }

        if (!TryDecodeHex(rdata.Skip(2), out byte[]? bytes, out reason))
        {
            return false;
        }

        if (bytes.Length != length)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"the generic form announces {length} octets but holds {bytes.Length}.");
            return false;
        }

        if (bytes.Length < 4)
        {
            reason = "the generic form holds fewer than 4 octets (usage, selector, matching type and data).";
            return false;
        }

        record = new TlsaRecord(bytes[0], bytes[1], bytes[2], bytes[3..]);
        return true;
    }

    private static bool ValidPrefix(List<string> prefix, out string? reason)
    {
        // Owner, TTL and class may appear in any zone-file order; only their shape is checked.
        foreach (string token in prefix)
        {
            bool isClass = token.Equals("IN", StringComparison.OrdinalIgnoreCase) || token.Equals("CH", StringComparison.OrdinalIgnoreCase) ||
                           token.Equals("HS", StringComparison.OrdinalIgnoreCase) || token.StartsWith("CLASS", StringComparison.OrdinalIgnoreCase);
            bool isTtl = token.All(char.IsAsciiDigit) && token.Length <= 10;
            bool isOwner = token.All(c => c > ' ' && c < 0x7F);
            if (!isClass && !isTtl && !isOwner)
            {
                reason = $"'{DomainName.Printable(Shorten(token))}' before 'TLSA' is neither an owner name, a TTL nor a class.";
                return false;
            }
        }

        reason = null;
        return true;
    }

    private static bool TryParseField(string token, out byte value)
    {
        value = 0;
        if (token.Length is 0 or > 3 || !token.All(char.IsAsciiDigit) || (token.Length > 1 && token[0] == '0'))
        {
            return false;
        }

        int parsed = int.Parse(token, NumberStyles.None, CultureInfo.InvariantCulture);
        if (parsed > 255)
        {
            return false;
        }

        value = (byte)parsed;
        return true;
    }

    private static bool IsHex(string token) => token.Length > 0 && token.All(char.IsAsciiHexDigit);

    private static bool TryDecodeHex(IEnumerable<string> tokens, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? data, out string? reason)
    {
        data = null;
        var hex = new StringBuilder();
        foreach (string token in tokens)
        {
            if (!IsHex(token))
            {
                string bad = new(token.Where(c => !char.IsAsciiHexDigit(c)).Take(1).ToArray());
                reason = $"the certificate association data contains '{DomainName.Printable(bad)}', which is not a hexadecimal digit.";
                return false;
            }

            hex.Append(token);
        }

        if (hex.Length == 0)
        {
            reason = "the certificate association data is missing.";
            return false;
        }

        if (hex.Length % 2 != 0)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"the certificate association data has an odd number of hexadecimal digits ({hex.Length}).");
            return false;
        }

        if (hex.Length / 2 > MaxDataBytes)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"the certificate association data is longer than {MaxDataBytes} octets.");
            return false;
        }

        data = Convert.FromHexString(hex.ToString());
        reason = null;
        return true;
    }

    private static string Shorten(string token) => token.Length > 40 ? token[..40] + "…" : token;
}
