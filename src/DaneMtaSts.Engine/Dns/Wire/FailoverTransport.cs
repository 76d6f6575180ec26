using System.Buffers.Binary;

namespace DaneMtaSts.Engine.Dns.Wire;

/// <summary>
/// Several resolvers as one transport: each query goes to the first, and to the next only when a
/// transport fault (no answer in time, a network or HTTP error) leaves it unanswered. An answer,
/// whatever its RCODE, is final: the validator judges it. After all fail, one exception names them all.
/// </summary>
public sealed class FailoverTransport : IDnsWireTransport
{
    private readonly IReadOnlyList<IDnsWireTransport> _transports;

    public FailoverTransport(IReadOnlyList<IDnsWireTransport> transports)
    {
        ArgumentNullException.ThrowIfNull(transports);
        if (transports.Count == 0)
        {
            throw new ArgumentException("At least one transport is needed.", nameof(transports));
        }

        _transports = [.. transports];
    }

    public string Server => _transports.Count == 1 ? _transports[0].Server : string.Join(", ", _transports.Select(t => t.Server));

    public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        var faults = new List<string>();
        foreach (IDnsWireTransport transport in _transports)
        {
            try
            {
                return await transport.ExchangeAsync(query, cancellationToken).ConfigureAwait(false);
            }
            catch (DnsTransportException ex)
            {
                faults.Add(ex.Message);
            }
        }

        throw new DnsTransportException(string.Join(" ", faults));
    }
}

/// <summary>Counts every query sent through it under its question type (for DnsCounters and the benchmark).</summary>
public sealed class CountingTransport(IDnsWireTransport inner, DnsCounters counters) : IDnsWireTransport
{
    public string Server => inner.Server;

    public Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> question = WireQuestion.Of(query);
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(question.Span[^4..]);
        counters.CountQuery(DnsRecordType.Name(type));
        return inner.ExchangeAsync(query, cancellationToken);
    }
}
