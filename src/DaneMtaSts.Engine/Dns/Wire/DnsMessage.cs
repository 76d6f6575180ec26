using System.Buffers.Binary;
using System.Net;

namespace DaneMtaSts.Engine.Dns.Wire;

/// <summary>One question (RFC 1035 §4.1.2).</summary>
public sealed record DnsQuestion(DnsName Name, ushort Type, ushort Class);

/// <summary>
/// One resource record. <see cref="RData"/> is the RDATA as received (its names may hold compression
/// pointers into the message); <see cref="UncompressedRData"/> has every name written out as
/// received; <see cref="CanonicalRData"/> is the form signatures cover (RFC 4034 §6.2): names written
/// out, and lowercased for the types RFC 4034 §6.2 lists, less NSEC (RFC 6840 §5.1).
/// <see cref="Data"/> is the typed view for the types this codec knows, null for others.
/// </summary>
public sealed class DnsRecord
{
    internal DnsRecord(DnsName owner, ushort type, ushort @class, uint ttl, byte[] rdata, byte[] uncompressed, byte[] canonical, DnsRecordData? data)
    {
        Owner = owner;
        Type = type;
        Class = @class;
        Ttl = ttl;
        RData = rdata;
        UncompressedRData = uncompressed;
        CanonicalRData = canonical;
        Data = data;
    }

    public DnsName Owner { get; }

    public ushort Type { get; }

    public ushort Class { get; }

    public uint Ttl { get; }

    public ReadOnlyMemory<byte> RData { get; }

    public ReadOnlyMemory<byte> UncompressedRData { get; }

    public ReadOnlyMemory<byte> CanonicalRData { get; }

    public DnsRecordData? Data { get; }

    /// <summary>
    /// A record from uncompressed RDATA (for writers and tests); the RDATA is parsed like a received
    /// one, so <see cref="DnsWireFormatException"/> when it does not fit its type.
    /// </summary>
    public static DnsRecord Create(DnsName owner, ushort type, uint ttl, ReadOnlySpan<byte> rdata, ushort @class = DnsRecordType.ClassIN)
    {
        ArgumentNullException.ThrowIfNull(owner);
        byte[] bytes = rdata.ToArray();
        var reader = new DnsWireReader(bytes);
        return reader.ReadRData(owner, type, @class, ttl, 0, bytes.Length);
    }

    /// <summary>The same record with another TTL.</summary>
    public DnsRecord WithTtl(uint ttl) => new(Owner, Type, Class, ttl, RData.ToArray(), UncompressedRData.ToArray(), CanonicalRData.ToArray(), Data);

    public override string ToString() => $"{Owner} {Ttl} {DnsRecordType.Name(Type)} ({RData.Length} octets)";
}

/// <summary>
/// A parsed DNS message (RFC 1035 §4.1). <see cref="Parse"/> reads every section fully and throws
/// only <see cref="DnsWireFormatException"/>, whatever the bytes.
/// </summary>
public sealed class DnsMessage
{
    public const int HeaderLength = 12;

    internal DnsMessage(ushort id, ushort flags, IReadOnlyList<DnsQuestion> questions, IReadOnlyList<DnsRecord> answers, IReadOnlyList<DnsRecord> authorities, IReadOnlyList<DnsRecord> additionals)
    {
        Id = id;
        Flags = flags;
        Questions = questions;
        Answers = answers;
        Authorities = authorities;
        Additionals = additionals;
        Opt = additionals.FirstOrDefault(r => r.Type == DnsRecordType.OPT)?.Data as OptData;
    }

    public ushort Id { get; }

    /// <summary>The second header word: QR, Opcode, AA, TC, RD, RA, Z, AD, CD, RCODE.</summary>
    public ushort Flags { get; }

    public bool IsResponse => (Flags & 0x8000) != 0;

    public int Opcode => (Flags >> 11) & 0xF;

    public bool IsAuthoritative => (Flags & 0x0400) != 0;

    public bool IsTruncated => (Flags & 0x0200) != 0;

    public bool RecursionDesired => (Flags & 0x0100) != 0;

    public bool RecursionAvailable => (Flags & 0x0080) != 0;

    public bool AuthenticatedData => (Flags & 0x0020) != 0;

    public bool CheckingDisabled => (Flags & 0x0010) != 0;

    /// <summary>The full RCODE: the header's four bits and the OPT record's extended bits (RFC 6891 §6.1.3).</summary>
    public int Rcode => (Flags & 0xF) | ((Opt?.ExtendedRcode ?? 0) << 4);

    public IReadOnlyList<DnsQuestion> Questions { get; }

    public DnsQuestion? Question => Questions.Count > 0 ? Questions[0] : null;

    public IReadOnlyList<DnsRecord> Answers { get; }

    public IReadOnlyList<DnsRecord> Authorities { get; }

    public IReadOnlyList<DnsRecord> Additionals { get; }

    /// <summary>The EDNS OPT record, when the message has one.</summary>
    public OptData? Opt { get; }

    /// <summary>Reads a whole message; <see cref="DnsWireFormatException"/> for anything malformed.</summary>
    public static DnsMessage Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length > ushort.MaxValue)
        {
            throw new DnsWireFormatException("A DNS message is at most 65535 octets.");
        }

        byte[] bytes = message.ToArray();
        return new DnsWireReader(bytes).ReadMessage();
    }

    /// <summary>
    /// True when this is a response to <paramref name="query"/>: same ID, QR=1, one question equal
    /// up to ASCII letter case in the name (RFC 4343) and exactly equal in type and class.
    /// </summary>
    public bool IsResponseTo(DnsMessage query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return IsResponse && Id == query.Id && Questions.Count == 1 && query.Questions.Count == 1 &&
               Questions[0].Name.Equals(query.Questions[0].Name) &&
               Questions[0].Type == query.Questions[0].Type && Questions[0].Class == query.Questions[0].Class;
    }
}

/// <summary>Writes DNS messages (uncompressed): queries for the transports, responses for test servers.</summary>
public static class DnsMessageWriter
{
    /// <summary>The EDNS UDP payload size this project advertises (DNS Flag Day 2020).</summary>
    public const ushort DefaultEdnsBufferSize = 1232;

    public const ushort FlagResponse = 0x8000;
    public const ushort FlagAuthoritative = 0x0400;
    public const ushort FlagTruncated = 0x0200;
    public const ushort FlagRecursionDesired = 0x0100;
    public const ushort FlagRecursionAvailable = 0x0080;
    public const ushort FlagAuthenticatedData = 0x0020;
    public const ushort FlagCheckingDisabled = 0x0010;

    /// <summary>RFC 1035 §4.1.2: QNAME as labels, QTYPE, QCLASS.</summary>
    public static byte[] EncodeQuestion(DnsName name, ushort type, ushort @class = DnsRecordType.ClassIN)
    {
        ArgumentNullException.ThrowIfNull(name);
        var output = new List<byte>(name.WireLength + 4);
        name.WriteTo(output, lowercase: false);
        AddUInt16(output, type);
        AddUInt16(output, @class);
        return [.. output];
    }

    /// <summary>
    /// A query: header (RD, and CD unless told otherwise; QDCOUNT 1, ARCOUNT 1), the encoded question,
    /// and an EDNS OPT pseudo-record (RFC 6891 §6.1.2) with DO=1 (RFC 3225 §3) and the buffer size.
    /// </summary>
    public static byte[] BuildQuery(ushort id, ReadOnlySpan<byte> encodedQuestion, ushort ednsBufferSize = DefaultEdnsBufferSize, bool checkingDisabled = true, bool recursionDesired = true, bool dnssecOk = true)
    {
        byte[] message = new byte[DnsMessage.HeaderLength + encodedQuestion.Length + 11];
        Span<byte> span = message;
        BinaryPrimitives.WriteUInt16BigEndian(span, id);
        ushort flags = (ushort)((recursionDesired ? FlagRecursionDesired : 0) | (checkingDisabled ? FlagCheckingDisabled : 0));
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], 1);
        encodedQuestion.CopyTo(span[DnsMessage.HeaderLength..]);
        Span<byte> opt = span[(DnsMessage.HeaderLength + encodedQuestion.Length)..];
        opt[0] = 0; // owner: the root
        BinaryPrimitives.WriteUInt16BigEndian(opt[1..], DnsRecordType.OPT);
        BinaryPrimitives.WriteUInt16BigEndian(opt[3..], ednsBufferSize);
        BinaryPrimitives.WriteUInt32BigEndian(opt[5..], dnssecOk ? 0x0000_8000u : 0u); // extended RCODE 0, version 0, DO
        BinaryPrimitives.WriteUInt16BigEndian(opt[9..], 0);
        return message;
    }

    /// <summary>A query for <paramref name="name"/>/<paramref name="type"/> with RD=1, CD=1 and DO=1 (RFC 6840 §5.9).</summary>
    public static byte[] BuildQuery(ushort id, DnsName name, ushort type) => BuildQuery(id, EncodeQuestion(name, type));

    /// <summary>
    /// A whole message, names uncompressed. <paramref name="flags"/> is the second header word; records
    /// are written with their uncompressed RDATA.
    /// </summary>
    public static byte[] Write(ushort id, ushort flags, IReadOnlyList<DnsQuestion> questions, IReadOnlyList<DnsRecord> answers, IReadOnlyList<DnsRecord> authorities, IReadOnlyList<DnsRecord> additionals)
    {
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(authorities);
        ArgumentNullException.ThrowIfNull(additionals);
        var output = new List<byte>(512);
        AddUInt16(output, id);
        AddUInt16(output, flags);
        AddUInt16(output, (ushort)questions.Count);
        AddUInt16(output, (ushort)answers.Count);
        AddUInt16(output, (ushort)authorities.Count);
        AddUInt16(output, (ushort)additionals.Count);
        foreach (DnsQuestion q in questions)
        {
            output.AddRange(EncodeQuestion(q.Name, q.Type, q.Class));
        }

        foreach (DnsRecord record in answers.Concat(authorities).Concat(additionals))
        {
            WriteRecord(output, record.Owner, record.Type, record.Class, record.Ttl, record.UncompressedRData.Span, lowercaseOwner: false);
        }

        if (output.Count > ushort.MaxValue)
        {
            throw new ArgumentException("The message would be longer than 65535 octets.", nameof(answers));
        }

        return [.. output];
    }

    /// <summary>A record in wire form: owner, TYPE, CLASS, TTL, RDLENGTH, RDATA (RFC 1035 §4.1.3).</summary>
    internal static void WriteRecord(List<byte> output, DnsName owner, ushort type, ushort @class, uint ttl, ReadOnlySpan<byte> rdata, bool lowercaseOwner)
    {
        owner.WriteTo(output, lowercaseOwner);
        AddUInt16(output, type);
        AddUInt16(output, @class);
        AddUInt32(output, ttl);
        AddUInt16(output, (ushort)rdata.Length);
        output.AddRange(rdata.ToArray());
    }

    internal static void AddUInt16(List<byte> output, ushort value)
    {
        output.Add((byte)(value >> 8));
        output.Add((byte)value);
    }

    internal static void AddUInt32(List<byte> output, uint value)
    {
        output.Add((byte)(value >> 24));
        output.Add((byte)(value >> 16));
        output.Add((byte)(value >> 8));
        output.Add((byte)value);
    }
}

/// <summary>Reads names, records and messages from one buffer, bounds-checked at every step.</summary>
internal sealed class DnsWireReader(byte[] message)
{
    /// <summary>More compression pointers than a 255-octet name could need means a loop.</summary>
    private const int MaxPointersPerName = 127;

    private readonly byte[] _message = message;

    // Names already read, by the offset they start at, with the pointers their reading followed: a
    // compression pointer to one of these offsets gives the same name again (names are immutable),
    // which saves reading and allocating the owner names that every record repeats.
    private readonly Dictionary<int, (DnsName Name, int Pointers)> _namesAt = [];

    public DnsMessage ReadMessage()
    {
        if (_message.Length < DnsMessage.HeaderLength)
        {
            throw new DnsWireFormatException("The message is shorter than its 12-octet header.");
        }

        ushort id = BinaryPrimitives.ReadUInt16BigEndian(_message);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(_message.AsSpan(2));
        int qd = BinaryPrimitives.ReadUInt16BigEndian(_message.AsSpan(4));
        int an = BinaryPrimitives.ReadUInt16BigEndian(_message.AsSpan(6));
        int ns = BinaryPrimitives.ReadUInt16BigEndian(_message.AsSpan(8));
        int ar = BinaryPrimitives.ReadUInt16BigEndian(_message.AsSpan(10));

        // Every question takes at least 5 octets and every record 11: a count the length cannot hold
        // is refused before any list is sized from it.
        if ((long)qd * 5 + ((long)an + ns + ar) * 11 > _message.Length - DnsMessage.HeaderLength)
        {
            throw new DnsWireFormatException("The section counts claim more records than the message holds.");
        }

        int at = DnsMessage.HeaderLength;
        var questions = new List<DnsQuestion>(qd);
        for (int i = 0; i < qd; i++)
        {
            DnsName name = ReadName(ref at);
            ushort type = ReadUInt16(ref at);
            ushort @class = ReadUInt16(ref at);
            questions.Add(new DnsQuestion(name, type, @class));
        }

        List<DnsRecord> answers = ReadSection(ref at, an);
        List<DnsRecord> authorities = ReadSection(ref at, ns);
        List<DnsRecord> additionals = ReadSection(ref at, ar);
        if (additionals.Count(r => r.Type == DnsRecordType.OPT) > 1 || answers.Concat(authorities).Any(r => r.Type == DnsRecordType.OPT))
        {
            // RFC 6891 §6.1.1: at most one OPT, and only in the additional section.
            throw new DnsWireFormatException("The message has more than one OPT record, or one outside the additional section.");
        }

        return new DnsMessage(id, flags, questions, answers, authorities, additionals);
    }

    private List<DnsRecord> ReadSection(ref int at, int count)
    {
        var records = new List<DnsRecord>(count);
        for (int i = 0; i < count; i++)
        {
            DnsName owner = ReadName(ref at);
            ushort type = ReadUInt16(ref at);
            ushort @class = ReadUInt16(ref at);
            uint ttl = ReadUInt32(ref at);
            int length = ReadUInt16(ref at);
            if (at + length > _message.Length)
            {
                throw new DnsWireFormatException("A record's RDATA runs past the end of the message.");
            }

            records.Add(ReadRData(owner, type, @class, ttl, at, length));
            at += length;
        }

        return records;
    }

    /// <summary>
    /// A name at <paramref name="at"/>, following compression pointers (RFC 1035 §4.1.4). Each pointer
    /// must point before itself, at most <see cref="MaxPointersPerName"/> are followed, and the name
    /// may not exceed 255 octets: together these end every loop.
    /// </summary>
    public DnsName ReadName(ref int at)
    {
        int start = at;
        if (start + 1 < _message.Length && (_message[start] & 0xC0) == 0xC0)
        {
            int pointed = ((_message[start] & 0x3F) << 8) | _message[start + 1];
            if (pointed < start && _namesAt.TryGetValue(pointed, out (DnsName Name, int Pointers) known) && known.Pointers + 1 <= MaxPointersPerName)
            {
                at = start + 2;
                return known.Name;
            }
        }

        var labels = new List<byte[]>();
        int length = 1;
        int position = at;
        int resumeAt = -1;
        int pointers = 0;
        while (true)
        {
            if (position >= _message.Length)
            {
                throw new DnsWireFormatException("A name runs past the end of the message.");
            }

            byte b = _message[position];
            if (b == 0)
            {
                position++;
                break;
            }

            if ((b & 0xC0) == 0xC0)
            {
                if (position + 1 >= _message.Length)
                {
                    throw new DnsWireFormatException("A compression pointer is cut short.");
                }

                int target = ((b & 0x3F) << 8) | _message[position + 1];
                if (target >= position || ++pointers > MaxPointersPerName)
                {
                    throw new DnsWireFormatException("A compression pointer points forward, at itself, or loops.");
                }

                if (resumeAt < 0)
                {
                    resumeAt = position + 2;
                }

                position = target;
                continue;
            }

            if ((b & 0xC0) != 0)
            {
                throw new DnsWireFormatException("A label has an unknown type (RFC 6891 §5: extended label types are obsolete).");
            }

            length += b + 1;
            if (length > DnsName.MaxWireLength)
            {
                throw new DnsWireFormatException("A name is longer than 255 octets.");
            }

            if (position + 1 + b > _message.Length)
            {
                throw new DnsWireFormatException("A label runs past the end of the message.");
            }

            labels.Add(_message.AsSpan(position + 1, b).ToArray());
            position += 1 + b;
        }

        at = resumeAt >= 0 ? resumeAt : position;

        // The loop above checked every label (1–63 octets: the two type bits are 00 and 0 ends the
        // name) and the name's length.
        DnsName read = DnsName.FromCheckedLabels([.. labels]);
        _namesAt[start] = (read, pointers);
        return read;
    }

    private ushort ReadUInt16(ref int at)
    {
        if (at + 2 > _message.Length)
        {
            throw new DnsWireFormatException("The message ends inside a 16-bit field.");
        }

        ushort value = BinaryPrimitives.ReadUInt16BigEndian(_message.AsSpan(at));
        at += 2;
        return value;
    }

    private uint ReadUInt32(ref int at)
    {
        if (at + 4 > _message.Length)
        {
            throw new DnsWireFormatException("The message ends inside a 32-bit field.");
        }

        uint value = BinaryPrimitives.ReadUInt32BigEndian(_message.AsSpan(at));
        at += 4;
        return value;
    }

    // The layout of RDATA that holds names: 'N' a name, a digit n fixed octets, 'C' one
    // character-string, 'R' the rest. Types whose names RFC 4034 §6.2 (less NSEC, RFC 6840 §5.1)
    // lowercases in canonical form are marked lowercase.
    private static (string Layout, bool Lowercase)? NameLayout(ushort type) => type switch
    {
        DnsRecordType.NS or DnsRecordType.CNAME or DnsRecordType.PTR or DnsRecordType.DNAME or 3 or 4 or 7 or 8 or 9 => ("N", true),
        DnsRecordType.MX or 18 or 21 or 36 => ("2N", true), // MX, AFSDB, RT, KX
        DnsRecordType.SOA => ("NN992", true), // two names, then 20 octets of counters
        14 or 17 => ("NN", true), // MINFO, RP
        26 => ("2NN", true), // PX
        DnsRecordType.SRV => ("6N", true),
        35 => ("4CCCN", true), // NAPTR
        DnsRecordType.RRSIG or 24 => ("9 9N", true), // 18 fixed octets, the signer, the signature
        DnsRecordType.NSEC => ("N", false),
        30 => ("N", true), // NXT
        _ => null,
    };

    public DnsRecord ReadRData(DnsName owner, ushort type, ushort @class, uint ttl, int start, int length)
    {
        int end = start + length;
        byte[] rdata = _message.AsSpan(start, length).ToArray();
        byte[] uncompressed = rdata;
        byte[] canonical = rdata;
        if (NameLayout(type) is var (layout, lowercase))
        {
            var plain = new List<byte>(length + 32);
            var lower = new List<byte>(length + 32);
            int at = start;
            foreach (char field in layout)
            {
                switch (field)
                {
                    case ' ':
                        break;
                    case 'N':
                        DnsName name = ReadName(ref at);
                        if (at > end)
                        {
                            throw new DnsWireFormatException($"A name in {DnsRecordType.Name(type)} RDATA runs past its RDLENGTH.");
                        }

                        name.WriteTo(plain, lowercase: false);
                        name.WriteTo(lower, lowercase);
                        break;
                    case 'C':
                        if (at >= end || at + 1 + _message[at] > end)
                        {
                            throw new DnsWireFormatException($"A character-string in {DnsRecordType.Name(type)} RDATA runs past its RDLENGTH.");
                        }

                        int count = 1 + _message[at];
                        plain.AddRange(_message.AsSpan(at, count));
                        lower.AddRange(_message.AsSpan(at, count));
                        at += count;
                        break;
                    default:
                        int fixedLength = field - '0';
                        if (at + fixedLength > end)
                        {
                            throw new DnsWireFormatException($"{DnsRecordType.Name(type)} RDATA is shorter than its fixed fields.");
                        }

                        plain.AddRange(_message.AsSpan(at, fixedLength));
                        lower.AddRange(_message.AsSpan(at, fixedLength));
                        at += fixedLength;
                        break;
                }
            }

            // What follows the last name is kept as is (the RRSIG signature, the NSEC bitmap); for the
            // other types nothing may follow.
            if (at < end)
            {
                if (type is not (DnsRecordType.RRSIG or 24 or DnsRecordType.NSEC or 30))
                {
                    throw new DnsWireFormatException($"{DnsRecordType.Name(type)} RDATA has octets after its last field.");
                }

                plain.AddRange(_message.AsSpan(at, end - at));
                lower.AddRange(_message.AsSpan(at, end - at));
            }

            if (plain.Count > ushort.MaxValue)
            {
                throw new DnsWireFormatException("Decompressed RDATA would exceed 65535 octets.");
            }

            // Most RDATA has no compression pointer and no upper case: then the three forms are the
            // same octets and share one array (they are never written to).
            ReadOnlySpan<byte> plainOctets = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(plain);
            ReadOnlySpan<byte> lowerOctets = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(lower);
            uncompressed = plainOctets.SequenceEqual(rdata) ? rdata : plainOctets.ToArray();
            canonical = lowerOctets.SequenceEqual(uncompressed) ? uncompressed : lowerOctets.ToArray();
        }

        DnsRecordData? data = DnsRecordDataReader.Read(type, @class, ttl, uncompressed);
        return new DnsRecord(owner, type, @class, ttl, rdata, uncompressed, canonical, data);
    }
}

/// <summary>Typed views from uncompressed RDATA.</summary>
internal static class DnsRecordDataReader
{
    public static DnsRecordData? Read(ushort type, ushort @class, uint ttl, byte[] rdata)
    {
        ReadOnlySpan<byte> r = rdata;
        switch (type)
        {
            case DnsRecordType.A:
                Expect(r.Length == 4, type);
                return new AddressData(new IPAddress(r));
            case DnsRecordType.AAAA:
                Expect(r.Length == 16, type);
                return new AddressData(new IPAddress(r));
            case DnsRecordType.CNAME or DnsRecordType.DNAME or DnsRecordType.NS or DnsRecordType.PTR:
            {
                int at = 0;
                DnsName target = ReadPlainName(rdata, ref at);
                Expect(at == rdata.Length, type);
                return new NameData(target);
            }

            case DnsRecordType.MX:
            {
                Expect(r.Length >= 3, type);
                int at = 2;
                DnsName exchange = ReadPlainName(rdata, ref at);
                Expect(at == rdata.Length, type);
                return new MxData(BinaryPrimitives.ReadUInt16BigEndian(r), exchange);
            }

            case DnsRecordType.TXT:
            {
                var strings = new List<byte[]>();
                int at = 0;
                while (at < r.Length)
                {
                    int n = r[at];
                    Expect(at + 1 + n <= r.Length, type);
                    strings.Add(r.Slice(at + 1, n).ToArray());
                    at += 1 + n;
                }

                Expect(strings.Count > 0, type);
                return new TxtData(strings);
            }

            case DnsRecordType.TLSA:
                Expect(r.Length >= 3, type);
                return new TlsaData(r[0], r[1], r[2], r[3..].ToArray());
            case DnsRecordType.SOA:
            {
                int at = 0;
                DnsName mname = ReadPlainName(rdata, ref at);
                DnsName rname = ReadPlainName(rdata, ref at);
                Expect(at + 20 == rdata.Length, type);
                ReadOnlySpan<byte> n = r[at..];
                return new SoaData(mname, rname, BinaryPrimitives.ReadUInt32BigEndian(n), BinaryPrimitives.ReadUInt32BigEndian(n[4..]),
                    BinaryPrimitives.ReadUInt32BigEndian(n[8..]), BinaryPrimitives.ReadUInt32BigEndian(n[12..]), BinaryPrimitives.ReadUInt32BigEndian(n[16..]));
            }

            case DnsRecordType.DS:
                Expect(r.Length >= 5, type);
                return new DsData(BinaryPrimitives.ReadUInt16BigEndian(r), r[2], r[3], r[4..].ToArray());
            case DnsRecordType.DNSKEY:
                Expect(r.Length >= 5, type);
                return new DnskeyData(BinaryPrimitives.ReadUInt16BigEndian(r), r[2], r[3], r[4..].ToArray());
            case DnsRecordType.RRSIG:
            {
                Expect(r.Length >= 19, type);
                int at = 18;
                DnsName signer = ReadPlainName(rdata, ref at);
                Expect(at < rdata.Length, type);
                return new RrsigData(BinaryPrimitives.ReadUInt16BigEndian(r), r[2], r[3], BinaryPrimitives.ReadUInt32BigEndian(r[4..]),
                    BinaryPrimitives.ReadUInt32BigEndian(r[8..]), BinaryPrimitives.ReadUInt32BigEndian(r[12..]), BinaryPrimitives.ReadUInt16BigEndian(r[16..]),
                    signer, r[at..].ToArray());
            }

            case DnsRecordType.NSEC:
            {
                int at = 0;
                DnsName next = ReadPlainName(rdata, ref at);
                return new NsecData(next, DnsTypeBitmap.Parse(r[at..]));
            }

            case DnsRecordType.NSEC3:
            {
                Expect(r.Length >= 6, type);
                int saltLength = r[4];
                Expect(5 + saltLength + 1 <= r.Length, type);
                int hashLength = r[5 + saltLength];
                int at = 6 + saltLength;
                Expect(hashLength > 0 && at + hashLength <= r.Length, type);
                return new Nsec3Data(r[0], r[1], BinaryPrimitives.ReadUInt16BigEndian(r[2..]), r.Slice(5, saltLength).ToArray(),
                    r.Slice(at, hashLength).ToArray(), DnsTypeBitmap.Parse(r[(at + hashLength)..]));
            }

            case DnsRecordType.NSEC3PARAM:
            {
                Expect(r.Length >= 5 && r.Length == 5 + r[4], type);
                return new Nsec3ParamData(r[0], r[1], BinaryPrimitives.ReadUInt16BigEndian(r[2..]), r[5..].ToArray());
            }

            case DnsRecordType.OPT:
            {
                var options = new List<(ushort, byte[])>();
                int at = 0;
                while (at < r.Length)
                {
                    Expect(at + 4 <= r.Length, type);
                    ushort code = BinaryPrimitives.ReadUInt16BigEndian(r[at..]);
                    int n = BinaryPrimitives.ReadUInt16BigEndian(r[(at + 2)..]);
                    Expect(at + 4 + n <= r.Length, type);
                    options.Add((code, r.Slice(at + 4, n).ToArray()));
                    at += 4 + n;
                }

                return new OptData(@class, (byte)(ttl >> 24), (byte)(ttl >> 16), (ttl & 0x8000) != 0, options);
            }

            default:
                return null;
        }
    }

    private static void Expect(bool condition, ushort type)
    {
        if (!condition)
        {
            throw new DnsWireFormatException($"The RDATA of a {DnsRecordType.Name(type)} record does not fit its type.");
        }
    }

    /// <summary>An uncompressed name inside RDATA (pointers were resolved already).</summary>
    private static DnsName ReadPlainName(byte[] rdata, ref int at)
    {
        var labels = new List<byte[]>();
        int length = 1;
        while (true)
        {
            if (at >= rdata.Length)
            {
                throw new DnsWireFormatException("A name in RDATA runs past its end.");
            }

            int n = rdata[at];
            if (n == 0)
            {
                at++;
                return DnsName.FromLabels(labels);
            }

            if (n > DnsName.MaxLabelLength || at + 1 + n > rdata.Length || (length += n + 1) > DnsName.MaxWireLength)
            {
                throw new DnsWireFormatException("A name in RDATA has a compression pointer where none may be, or is cut short or over-long.");
            }

            labels.Add(rdata.AsSpan(at + 1, n).ToArray());
            at += 1 + n;
        }
    }
}
