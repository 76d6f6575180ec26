namespace DaneMtaSts.Engine.Dns;

/// <summary>
/// Which queue a DNS query waits in when the budget is spent (docs/dns.md#query-budget). Lower
/// values go first: the critical path of a domain (its hosts' addresses and TLSA, then its MX) before
/// the MTA-STS and TLS-RPT TXT lookups that run beside it.
/// </summary>
public enum DnsLane
{
    /// <summary>Host addresses, TLSA, CNAME links, and anything not marked (the default).</summary>
    Host = 0,

    /// <summary>A recipient domain's MX lookup: what admits more work.</summary>
    Mx = 1,

    /// <summary>MTA-STS and TLS-RPT TXT lookups and the policy host's addresses.</summary>
    Policy = 2,
}

/// <summary>
/// The lane of the queries made on this asynchronous flow (an <see cref="AsyncLocal{T}"/>): a caller
/// marks a step with <c>using (DnsQueryLane.Enter(DnsLane.Policy)) { … }</c>, and work it starts
/// (including DNSSEC chain queries made on its behalf) inherits the lane.
/// </summary>
public static class DnsQueryLane
{
    private static readonly AsyncLocal<DnsLane> Ambient = new();

    public static DnsLane Current => Ambient.Value;

    public static Scope Enter(DnsLane lane)
    {
        DnsLane previous = Ambient.Value;
        Ambient.Value = lane;
        return new Scope(previous);
    }

    /// <summary>Restores the previous lane.</summary>
    public readonly struct Scope(DnsLane previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}

/// <summary>
/// At most <see cref="MaxInFlight"/> DNS queries on the wire at once, for one call (docs/dns.md#query-budget).
/// A query holds its slot from its first datagram until its answer (or its timeout), re-sends and a
/// TCP fallback included; waiting queries are admitted lane by lane (<see cref="DnsLane"/>), first come
/// first served within a lane. A cancelled waiter leaves its queue without taking a slot.
/// </summary>
public sealed class DnsQueryBudget
{
    /// <summary>The default budget, within the 64–128 the lab suggested; not yet tuned by the benchmark (docs/dns.md#query-budget).</summary>
    public const int DefaultMaxInFlight = 96;

    private readonly Lock _lock = new();
    private readonly Queue<Waiter>[] _lanes;
    private int _inFlight;
    private int _peak;

    public DnsQueryBudget(int maxInFlight = DefaultMaxInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        MaxInFlight = maxInFlight;
        _lanes = [.. Enum.GetValues<DnsLane>().Select(_ => new Queue<Waiter>())];
    }

    public int MaxInFlight { get; }

    /// <summary>Queries on the wire now.</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>The most queries that were on the wire at once so far.</summary>
    public int PeakInFlight
    {
        get
        {
            lock (_lock)
            {
                return _peak;
            }
        }
    }

    /// <summary>Waits for a slot in the lane of this flow (<see cref="DnsQueryLane.Current"/>); dispose the lease to free it.</summary>
    public ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken) => AcquireAsync(DnsQueryLane.Current, cancellationToken);

    public ValueTask<Lease> AcquireAsync(DnsLane lane, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Waiter waiter;
        lock (_lock)
        {
            if (_inFlight < MaxInFlight)
            {
                Take();
                return ValueTask.FromResult(new Lease(this));
            }

            waiter = new Waiter();
            _lanes[(int)lane].Enqueue(waiter);
        }

        return WaitAsync(waiter, cancellationToken);
    }

    private async ValueTask<Lease> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(static w => ((Waiter)w!).TrySetCanceled(), waiter))
        {
            try
            {
                await waiter.Task.ConfigureAwait(false);
            }
            catch (TaskCanceledException)
            {
                throw new OperationCanceledException("The DNS query was cancelled while it waited for the query budget.", cancellationToken);
            }
        }

        return new Lease(this);
    }

    private void Take()
    {
        _inFlight++;
        if (_inFlight > _peak)
        {
            _peak = _inFlight;
        }
    }

    private void Release()
    {
        lock (_lock)
        {
            _inFlight--;
            foreach (Queue<Waiter> lane in _lanes)
            {
                while (lane.TryDequeue(out Waiter? next))
                {
                    // The slot passes to the first waiter still waiting (a cancelled one is skipped).
                    Take();
                    if (next.TrySetResult(true))
                    {
                        return;
                    }

                    _inFlight--;
                }
            }
        }
    }

    private sealed class Waiter() : TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>One slot; disposing it frees the slot (once).</summary>
    public sealed class Lease : IDisposable
    {
        private DnsQueryBudget? _owner;

        internal Lease(DnsQueryBudget owner) => _owner = owner;

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release();
    }
}

/// <summary>A wire transport whose every exchange holds a slot of a <see cref="DnsQueryBudget"/> (in-process validation's queries).</summary>
public sealed class BudgetedTransport(Wire.IDnsWireTransport inner, DnsQueryBudget budget) : Wire.IDnsWireTransport
{
    public string Server => inner.Server;

    public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        using DnsQueryBudget.Lease slot = await budget.AcquireAsync(cancellationToken).ConfigureAwait(false);
        return await inner.ExchangeAsync(query, cancellationToken).ConfigureAwait(false);
    }
}
