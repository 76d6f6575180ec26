using System.Globalization;

namespace DaneMtaSts.Engine.Dane;

/// <summary>
/// One TLSA record (RFC 6698 §2.1):
/// <code>
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Cert. Usage  |   Selector    | Matching Type |               /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+               /
/// /                 Certificate Association Data                  /
/// </code>
/// </summary>
public sealed record TlsaRecord(byte Usage, byte Selector, byte MatchingType, byte[] Data)
{
    /// <summary>Presentation form: "3 1 1 ABCD…" (hex upper case).</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Usage} {Selector} {MatchingType} {Convert.ToHexString(Data)}");

    public bool Equals(TlsaRecord? other) =>
        other is not null && Usage == other.Usage && Selector == other.Selector &&
        MatchingType == other.MatchingType && Data.AsSpan().SequenceEqual(other.Data);

    public override int GetHashCode() => HashCode.Combine(Usage, Selector, MatchingType, Data.Length > 0 ? Data[0] : 0, Data.Length);
}
