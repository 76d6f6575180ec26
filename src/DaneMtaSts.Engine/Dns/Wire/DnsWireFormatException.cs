namespace DaneMtaSts.Engine.Dns.Wire;

/// <summary>
/// The one exception the wire codec throws on bytes it cannot read (truncated message, a compression
/// pointer that loops or points forward, a name over 255 octets, RDATA that does not fit its type).
/// Hostile input never raises anything else.
/// </summary>
public sealed class DnsWireFormatException : Exception
{
    public DnsWireFormatException()
    {
    }

    public DnsWireFormatException(string message)
        : base(message)
    {
    }

    public DnsWireFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
