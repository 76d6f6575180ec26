using System.Buffers.Binary;
using System.Net;

namespace DaneMtaSts.Engine.Dns.Wire;

/// <summary>A typed view of the RDATA of one record, parsed from its uncompressed form.</summary>
public abstract record DnsRecordData;

/// <summary>A (RFC 1035 §3.4.1) or AAAA (RFC 3596 §2.2).</summary>
public sealed record AddressData(IPAddress Address) : DnsRecordData;

/// <summary>One name: CNAME, DNAME (RFC 6672), NS, PTR.</summary>
public sealed record NameData(DnsName Target) : DnsRecordData;

/// <summary>MX (RFC 1035 §3.3.9).</summary>
public sealed record MxData(ushort Preference, DnsName Exchange) : DnsRecordData;

/// <summary>TXT (RFC 1035 §3.3.14): the character-strings, each as received.</summary>
public sealed record TxtData(IReadOnlyList<byte[]> Strings) : DnsRecordData;

/// <summary>TLSA (RFC 6698 §2.1).</summary>
public sealed record TlsaData(byte Usage, byte Selector, byte MatchingType, byte[] Association) : DnsRecordData;

/// <summary>SOA (RFC 1035 §3.3.13).</summary>
public sealed record SoaData(DnsName PrimaryServer, DnsName Mailbox, uint Serial, uint Refresh, uint Retry, uint Expire, uint Minimum) : DnsRecordData;

/// <summary>DS (RFC 4034 §5.1).</summary>
public sealed record DsData(ushort KeyTag, byte Algorithm, byte DigestType, byte[] Digest) : DnsRecordData;

/// <summary>DNSKEY (RFC 4034 §2.1).</summary>
public sealed record DnskeyData(ushort Flags, byte Protocol, byte Algorithm, byte[] PublicKey) : DnsRecordData
{
    /// <summary>Bit 7 of the flags: the key may sign zone data (RFC 4034 §2.1.1).</summary>
    public bool IsZoneKey => (Flags & 0x0100) != 0;

    /// <summary>Bit 8: the key is revoked (RFC 5011 §2.1) and must not validate anything.</summary>
    public bool IsRevoked => (Flags & 0x0080) != 0;

    /// <summary>Bit 15: secure entry point (a hint only, RFC 4034 §2.1.1).</summary>
    public bool IsSecureEntryPoint => (Flags & 0x0001) != 0;

    /// <summary>The RDATA in wire form (RFC 4034 §2.1), as the key tag and DS digest are computed over it.</summary>
    public byte[] ToRData()
    {
        byte[] rdata = new byte[4 + PublicKey.Length];
        BinaryPrimitives.WriteUInt16BigEndian(rdata, Flags);
        rdata[2] = Protocol;
        rdata[3] = Algorithm;
        PublicKey.CopyTo(rdata, 4);
        return rdata;
    }
}

/// <summary>RRSIG (RFC 4034 §3.1). Expiration and inception are the 32-bit serial numbers as received.</summary>
public sealed record RrsigData(
    ushort TypeCovered,
    byte Algorithm,
    byte Labels,
    uint OriginalTtl,
    uint Expiration,
    uint Inception,
    ushort KeyTag,
    DnsName SignerName,
    byte[] Signature) : DnsRecordData;

/// <summary>The type bitmap of NSEC and NSEC3 (RFC 4034 §4.1.2), kept in wire form and searched in place.</summary>
public sealed class DnsTypeBitmap
{
    private readonly byte[] _windows;

    private DnsTypeBitmap(byte[] windows) => _windows = windows;

    /// <summary>Reads and checks the window blocks: increasing window numbers, lengths 1–32.</summary>
    internal static DnsTypeBitmap Parse(ReadOnlySpan<byte> bytes)
    {
        int at = 0;
        int lastWindow = -1;
        while (at < bytes.Length)
        {
            if (at + 2 > bytes.Length)
            {
                throw new DnsWireFormatException("A type bitmap window is cut short.");
            }

            int window = bytes[at];
            int length = bytes[at + 1];
            if (window <= lastWindow || length is 0 or > 32 || at + 2 + length > bytes.Length)
            {
                throw new DnsWireFormatException("A type bitmap window is out of order, empty, over 32 octets or cut short.");
            }

            lastWindow = window;
            at += 2 + length;
        }

        return new DnsTypeBitmap(bytes.ToArray());
    }

    /// <summary>Builds a bitmap from type numbers (for signers and tests).</summary>
    public static DnsTypeBitmap FromTypes(IEnumerable<ushort> types)
    {
        ArgumentNullException.ThrowIfNull(types);
        var output = new List<byte>();
        foreach (IGrouping<int, ushort> window in types.Distinct().OrderBy(t => t).GroupBy(t => t >> 8))
        {
            byte[] bits = new byte[32];
            int used = 0;
            foreach (ushort type in window)
            {
                int low = type & 0xFF;
                bits[low / 8] |= (byte)(0x80 >> (low % 8));
                used = Math.Max(used, (low / 8) + 1);
            }

            output.Add((byte)window.Key);
            output.Add((byte)used);
            output.AddRange(bits.AsSpan(0, used).ToArray());
        }

        return new DnsTypeBitmap([.. output]);
    }

    public ReadOnlySpan<byte> Wire => _windows;

    public bool Contains(ushort type)
    {
        int window = type >> 8;
        int low = type & 0xFF;
        int at = 0;
        while (at + 2 <= _windows.Length)
        {
            int w = _windows[at];
            int length = _windows[at + 1];
            if (w == window)
            {
                return low / 8 < length && (_windows[at + 2 + (low / 8)] & (0x80 >> (low % 8))) != 0;
            }

            at += 2 + length;
        }

        return false;
    }

    public IEnumerable<ushort> Types()
    {
        int at = 0;
        while (at + 2 <= _windows.Length)
        {
            int w = _windows[at];
            int length = _windows[at + 1];
            for (int i = 0; i < length * 8; i++)
            {
                if ((_windows[at + 2 + (i / 8)] & (0x80 >> (i % 8))) != 0)
                {
                    yield return (ushort)((w << 8) | i);
                }
            }

            at += 2 + length;
        }
    }
}

/// <summary>NSEC (RFC 4034 §4.1): the next owner name is kept as received (RFC 6840 §5.1: not lowercased).</summary>
public sealed record NsecData(DnsName NextName, DnsTypeBitmap Types) : DnsRecordData;

/// <summary>NSEC3 (RFC 5155 §3.2).</summary>
public sealed record Nsec3Data(byte HashAlgorithm, byte Flags, ushort Iterations, byte[] Salt, byte[] NextHashedOwner, DnsTypeBitmap Types) : DnsRecordData
{
    /// <summary>The Opt-Out flag (RFC 5155 §3.1.2.1).</summary>
    public bool OptOut => (Flags & 0x01) != 0;
}

/// <summary>NSEC3PARAM (RFC 5155 §4.2).</summary>
public sealed record Nsec3ParamData(byte HashAlgorithm, byte Flags, ushort Iterations, byte[] Salt) : DnsRecordData;

/// <summary>
/// The EDNS OPT pseudo-record (RFC 6891 §6.1.2): the class is the sender's UDP payload size, the TTL
/// carries the extended RCODE, the version and the DO bit (RFC 3225 §3).
/// </summary>
public sealed record OptData(ushort UdpPayloadSize, byte ExtendedRcode, byte Version, bool DnssecOk, IReadOnlyList<(ushort Code, byte[] Data)> Options) : DnsRecordData;
