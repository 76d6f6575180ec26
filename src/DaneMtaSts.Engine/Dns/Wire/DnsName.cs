using System.Globalization;
using System.Text;

namespace DaneMtaSts.Engine.Dns.Wire;

/// <summary>
/// A domain name as a sequence of labels, each kept as the octets received (RFC 1035 §3.1), without
/// the root label. Equality and hashing ignore ASCII letter case only (RFC 4343); the canonical wire
/// form lowercases ASCII letters only (RFC 4034 §6.2). Bounded: at most 63 octets a label and 255
/// octets in wire form.
/// </summary>
public sealed class DnsName : IEquatable<DnsName>
{
    public const int MaxWireLength = 255;
    public const int MaxLabelLength = 63;

    private readonly byte[][] _labels;

    private DnsName(byte[][] labels)
    {
        _labels = labels;
        WireLength = 1;
        foreach (byte[] label in labels)
        {
            WireLength += label.Length + 1;
        }
    }

    /// <summary>The root name ".".</summary>
    public static DnsName Root { get; } = new([]);

    /// <summary>Labels, leftmost first, as received.</summary>
    public IReadOnlyList<byte[]> Labels => _labels;

    /// <summary>Number of labels, not counting the root.</summary>
    public int LabelCount => _labels.Length;

    /// <summary>Octets in wire form, including the root's zero octet.</summary>
    public int WireLength { get; }

    public bool IsRoot => _labels.Length == 0;

    /// <summary>True when the leftmost label is "*" (RFC 4592).</summary>
    public bool IsWildcard => _labels.Length > 0 && _labels[0] is [(byte)'*'];

    /// <summary>
    /// The labels field of an RRSIG over this name (RFC 4034 §3.1.3): the label count without the
    /// root and without a leading "*".
    /// </summary>
    public int SignatureLabelCount => IsWildcard ? _labels.Length - 1 : _labels.Length;

    /// <summary>
    /// A name from labels the caller built for it alone and already checked (1–63 octets each, at most
    /// 255 octets in all): the wire reader's, which need neither a copy nor a second check.
    /// </summary>
    internal static DnsName FromCheckedLabels(byte[][] labels) => labels.Length == 0 ? Root : new DnsName(labels);

    /// <summary>Builds a name from labels; <see cref="ArgumentException"/> for an empty or over-long label or name.</summary>
    public static DnsName FromLabels(IEnumerable<byte[]> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        byte[][] copy = [.. labels.Select(l => (byte[])l.Clone())];
        int length = 1;
        foreach (byte[] label in copy)
        {
            if (label.Length is 0 or > MaxLabelLength)
            {
                throw new ArgumentException("A label is empty or longer than 63 octets.", nameof(labels));
            }

            length += label.Length + 1;
        }

        if (length > MaxWireLength)
        {
            throw new ArgumentException("The name is longer than 255 octets.", nameof(labels));
        }

        return new DnsName(copy);
    }

    /// <summary>
    /// Parses presentation form (RFC 1035 §5.1): labels separated by dots, an optional final dot,
    /// "\X" and "\DDD" escapes; "." or "" is the root. <see cref="FormatException"/> when malformed.
    /// </summary>
    public static DnsName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0 || text == ".")
        {
            return Root;
        }

        var labels = new List<byte[]>();
        var current = new List<byte>();
        int length = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '.')
            {
                AddLabel();
                if (i == text.Length - 1)
                {
                    break;
                }

                continue;
            }

            if (c == '\\')
            {
                if (i + 1 >= text.Length)
                {
                    throw new FormatException($"The name '{text}' ends in a lone backslash.");
                }

                if (char.IsAsciiDigit(text[i + 1]))
                {
                    if (i + 3 >= text.Length || !char.IsAsciiDigit(text[i + 2]) || !char.IsAsciiDigit(text[i + 3]))
                    {
                        throw new FormatException($"The name '{text}' has a \\DDD escape that is not three digits.");
                    }

                    int value = int.Parse(text.AsSpan(i + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture);
                    if (value > 255)
                    {
                        throw new FormatException($"The name '{text}' has a \\DDD escape over 255.");
                    }

                    current.Add((byte)value);
                    i += 3;
                }
                else
                {
                    current.Add(ToAsciiByte(text[i + 1], text));
                    i++;
                }

                continue;
            }

            current.Add(ToAsciiByte(c, text));
        }

        if (current.Count > 0 || !text.EndsWith('.'))
        {
            AddLabel();
        }

        return new DnsName([.. labels]);

        void AddLabel()
        {
            if (current.Count is 0 or > MaxLabelLength)
            {
                throw new FormatException($"The name '{text}' has an empty label or one longer than 63 octets.");
            }

            length += current.Count + 1;
            if (length > MaxWireLength)
            {
                throw new FormatException($"The name '{text}' is longer than 255 octets.");
            }

            labels.Add([.. current]);
            current.Clear();
        }
    }

    private static byte ToAsciiByte(char c, string text) =>
        c <= 0x7E && c > 0x20 ? (byte)c : throw new FormatException($"The name '{text}' has a character that is not printable ASCII; use a \\DDD escape or an A-label.");

    /// <summary>The name with the leftmost label removed; the root's parent is an error.</summary>
    public DnsName Parent() =>
        IsRoot ? throw new InvalidOperationException("The root has no parent.") : new DnsName(_labels[1..]);

    /// <summary>The rightmost <paramref name="labelCount"/> labels of this name.</summary>
    public DnsName Suffix(int labelCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(labelCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(labelCount, _labels.Length);
        return labelCount == _labels.Length ? this : new DnsName(_labels[(_labels.Length - labelCount)..]);
    }

    /// <summary>This name with <paramref name="label"/> put in front; <see cref="ArgumentException"/> when over-long.</summary>
    public DnsName Prepend(byte[] label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label.Length is 0 or > MaxLabelLength || WireLength + label.Length + 1 > MaxWireLength)
        {
            throw new ArgumentException("The label is empty, over 63 octets, or makes the name longer than 255 octets.", nameof(label));
        }

        return new DnsName([(byte[])label.Clone(), .. _labels]);
    }

    /// <summary>"*." and this name (RFC 4592 §2.1.1).</summary>
    public DnsName Wildcard() => Prepend([(byte)'*']);

    /// <summary>
    /// Replaces the suffix <paramref name="owner"/> of this name with <paramref name="target"/>
    /// (DNAME substitution, RFC 6672 §2.2); null when the result would exceed 255 octets (YXDOMAIN).
    /// </summary>
    public DnsName? ReplaceSuffix(DnsName owner, DnsName target)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(target);
        if (!IsSubdomainOf(owner))
        {
            throw new ArgumentException("The name is not below the suffix to replace.", nameof(owner));
        }

        byte[][] prefix = _labels[..(_labels.Length - owner.LabelCount)];
        int length = target.WireLength + prefix.Sum(l => l.Length + 1);
        return length > MaxWireLength ? null : new DnsName([.. prefix, .. target._labels]);
    }

    /// <summary>True when this name equals <paramref name="ancestor"/> or lies below it (ASCII case ignored).</summary>
    public bool IsSubdomainOf(DnsName ancestor)
    {
        ArgumentNullException.ThrowIfNull(ancestor);
        if (ancestor._labels.Length > _labels.Length)
        {
            return false;
        }

        int offset = _labels.Length - ancestor._labels.Length;
        for (int i = 0; i < ancestor._labels.Length; i++)
        {
            if (CompareLabel(_labels[offset + i], ancestor._labels[i]) != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when this name lies strictly below <paramref name="ancestor"/>.</summary>
    public bool IsProperSubdomainOf(DnsName ancestor) => LabelCount > ancestor.LabelCount && IsSubdomainOf(ancestor);

    /// <summary>The longest name that is an ancestor-or-self of both.</summary>
    public static DnsName CommonAncestor(DnsName a, DnsName b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int common = 0;
        while (common < a.LabelCount && common < b.LabelCount &&
               CompareLabel(a._labels[a.LabelCount - 1 - common], b._labels[b.LabelCount - 1 - common]) == 0)
        {
            common++;
        }

        return a.Suffix(common);
    }

    /// <summary>Wire form as received (RFC 1035 §3.1), uncompressed.</summary>
    public byte[] ToWire() => Write(lowercase: false);

    /// <summary>Canonical wire form: uncompressed, ASCII letters lowercased (RFC 4034 §6.2).</summary>
    public byte[] ToCanonicalWire() => Write(lowercase: true);

    internal void WriteTo(List<byte> output, bool lowercase)
    {
        foreach (byte[] label in _labels)
        {
            output.Add((byte)label.Length);
            foreach (byte b in label)
            {
                output.Add(lowercase ? AsciiLower(b) : b);
            }
        }

        output.Add(0);
    }

    private byte[] Write(bool lowercase)
    {
        var output = new List<byte>(WireLength);
        WriteTo(output, lowercase);
        return [.. output];
    }

    /// <summary>
    /// Canonical DNS name order (RFC 4034 §6.1): compare labels from the rightmost, each as octet
    /// strings with ASCII letters lowercased; a name sorts after its ancestors.
    /// </summary>
    public static int CompareCanonical(DnsName a, DnsName b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int shared = Math.Min(a.LabelCount, b.LabelCount);
        for (int i = 1; i <= shared; i++)
        {
            int c = CompareLabel(a._labels[a.LabelCount - i], b._labels[b.LabelCount - i]);
            if (c != 0)
            {
                return c;
            }
        }

        return a.LabelCount.CompareTo(b.LabelCount);
    }

    private static int CompareLabel(byte[] x, byte[] y)
    {
        int n = Math.Min(x.Length, y.Length);
        for (int i = 0; i < n; i++)
        {
            int c = AsciiLower(x[i]).CompareTo(AsciiLower(y[i]));
            if (c != 0)
            {
                return c;
            }
        }

        return x.Length.CompareTo(y.Length);
    }

    internal static byte AsciiLower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    public bool Equals(DnsName? other) =>
        other is not null && other.LabelCount == LabelCount && IsSubdomainOf(other);

    public override bool Equals(object? obj) => Equals(obj as DnsName);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (byte[] label in _labels)
        {
            hash.Add(label.Length);
            foreach (byte b in label)
            {
                hash.Add(AsciiLower(b));
            }
        }

        return hash.ToHashCode();
    }

    /// <summary>Presentation form without the final dot ("." for the root), escaping as RFC 4343 §2.1.</summary>
    public override string ToString()
    {
        if (IsRoot)
        {
            return ".";
        }

        var text = new StringBuilder(WireLength);
        foreach (byte[] label in _labels)
        {
            if (text.Length > 0)
            {
                text.Append('.');
            }

            foreach (byte b in label)
            {
                if (b is (byte)'.' or (byte)'\\' or (byte)'"' or (byte)'(' or (byte)')' or (byte)';' or (byte)'@' or (byte)'$')
                {
                    text.Append('\\').Append((char)b);
                }
                else if (b is <= 0x20 or >= 0x7F)
                {
                    text.Append('\\').Append(((int)b).ToString("D3", CultureInfo.InvariantCulture));
                }
                else
                {
                    text.Append((char)b);
                }
            }
        }

        return text.ToString();
    }
}
