namespace DaneMtaSts.Engine;

/// <summary>
/// The tag-value grammar the DNS TXT records of RFC 8461 §3.1 (MTA-STS) and RFC 8460 §3 (TLS-RPT)
/// share: a version, then fields separated by <c>*WSP ";" *WSP</c>, each <c>name=value</c>, with one
/// optional trailing delimiter:
/// <code>
/// record      = version 1*(field-delim field) [field-delim]
/// field-delim = *WSP ";" *WSP
/// ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
/// ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
/// </code>
/// What a field means, and which names are required, stays with each record's own parser.
/// </summary>
public static class TagValueList
{
    /// <summary>True when <paramref name="record"/> begins with <paramref name="version"/> followed by WSP* and then ';' (or, with <paramref name="allowBare"/>, the end).</summary>
    public static bool StartsWithVersion(string? record, string version, bool allowBare = false)
    {
        if (record is null || !record.StartsWith(version, StringComparison.Ordinal))
        {
            return false;
        }

        int i = version.Length;
        while (i < record.Length && IsWsp(record[i]))
        {
            i++;
        }

        return i < record.Length ? record[i] == ';' : allowBare;
    }

    /// <summary>
    /// Splits the fields after the version into (name, value) pairs in record order. False with a
    /// one-phrase <paramref name="error"/> when a field is empty (";;"), there is none, or one is not name=value.
    /// </summary>
    public static bool TrySplit(string record, out List<KeyValuePair<string, string>> fields, out string? error)
    {
        fields = [];
        error = null;

        // The version is the first piece; every later piece between ';' is one field with WSP around
        // it. ';' never occurs inside a value of either grammar (TLS-RPT URIs encode it), so a split is exact.
        string[] pieces = record.Split(';');
        for (int i = 1; i < pieces.Length; i++)
        {
            string field = pieces[i].Trim(' ', '\t');
            if (field.Length == 0)
            {
                if (i == pieces.Length - 1 && i > 1)
                {
                    break; // one trailing delimiter is allowed
                }

                error = i == pieces.Length - 1 ? "it has no fields after the version" : $"field {i} is empty (\";;\")";
                return false;
            }

            int eq = field.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                error = $"field \"{DomainName.Printable(field)}\" is not name=value";
                return false;
            }

            fields.Add(new(field[..eq], field[(eq + 1)..]));
        }

        return true;
    }

    /// <summary>Checks an extension field's name and value; null when both are well-formed, else why not.</summary>
    public static string? CheckExtension(string name, string value)
    {
        if (!IsExtensionName(name))
        {
            return $"\"{DomainName.Printable(name)}\" is not a valid field name";
        }

        return IsExtensionValue(value) ? null : $"the value of field \"{name}\" contains a space, '=', ';' or a non-printable character, or is empty";
    }

    public static bool IsWsp(char c) => c is ' ' or '\t';

    public static bool IsAlnum(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9');

    /// <summary>ext-name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".").</summary>
    public static bool IsExtensionName(string name) =>
        name.Length is >= 1 and <= 32 && IsAlnum(name[0]) && name.All(c => IsAlnum(c) || c is '_' or '-' or '.');

    /// <summary>ext-value: 1*(%x21-3A / %x3C / %x3E-7E), printable ASCII without '=', ';' and space.</summary>
    public static bool IsExtensionValue(string value) =>
        value.Length >= 1 && value.All(c => c is (>= '\x21' and <= '\x3A') or '\x3C' or (>= '\x3E' and <= '\x7E'));
}
