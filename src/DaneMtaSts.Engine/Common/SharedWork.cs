namespace DaneMtaSts.Engine.Common;

/// <summary>
/// Work done once per key and shared by every caller asking for that key while it runs and after
/// (docs/architecture.md#shared-work): the one caching pattern of a call.
/// <list type="bullet">
/// <item>The work runs under its own token, linked to the owner's lifetime and cancelled only when
/// every caller that waits on it has cancelled; each caller waits with its own token, so one caller
/// giving up never cancels the work under another.</item>
/// <item>A result is kept (typed failures are results: every caller of the call sees the same
/// answer). Work that ended in cancellation or an exception is not kept: the callers waiting at that
/// moment see it, the next caller starts the work afresh.</item>
/// <item>At most <see cref="Capacity"/> finished results are kept, the least recently used dropped
/// first; work in progress is never dropped.</item>
/// </list>
/// </summary>
public sealed class SharedWork<TKey, TValue>
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, LinkedListNode<Entry>> _entries;
    private readonly LinkedList<Entry> _recency = new(); // most recently used first
    private readonly CancellationToken _lifetime;
    private int _finished;

    public SharedWork(IEqualityComparer<TKey>? comparer = null, int capacity = int.MaxValue, CancellationToken lifetime = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _entries = new Dictionary<TKey, LinkedListNode<Entry>>(comparer);
        Capacity = capacity;
        _lifetime = lifetime;
    }

    /// <summary>The most finished results kept.</summary>
    public int Capacity { get; }

    /// <summary>Entries kept now (finished and in progress).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>How many times a caller joined work already started or finished for its key.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    private long _hits;

    /// <summary>Starts or joins the work for <paramref name="key"/> and waits for it with <paramref name="cancellationToken"/>.</summary>
    public Task<TValue> GetAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> work, CancellationToken cancellationToken) =>
        GetAsync(key, work, cancellationToken, out _);

    /// <summary>As <see cref="GetAsync(TKey, Func{TKey, CancellationToken, Task{TValue}}, CancellationToken)"/>; <paramref name="joined"/> says whether the work was already there.</summary>
    public Task<TValue> GetAsync(TKey key, Func<TKey, CancellationToken, Task<TValue>> work, CancellationToken cancellationToken, out bool joined)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        Entry entry;
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out LinkedListNode<Entry>? node))
            {
                entry = node.Value;
                _recency.Remove(node);
                _recency.AddFirst(node);
                joined = true;
            }
            else
            {
                entry = new Entry(this, key, CancellationTokenSource.CreateLinkedTokenSource(_lifetime));
                _entries[key] = _recency.AddFirst(entry);
                joined = false;
            }

            entry.Waiters++;
        }

        if (joined)
        {
            Interlocked.Increment(ref _hits);
        }

        // The first caller starts the work (outside the lock; the work runs in its flow, e.g. its DNS lane).
        Task<TValue> task = entry.Start(work);
        return task.IsCompleted ? Leave(entry, task) : WaitAsync(entry, task, cancellationToken);
    }

    /// <summary>The finished result for <paramref name="key"/>, if there is one (no work is started).</summary>
    public bool TryGetCompleted(TKey key, out TValue value)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out LinkedListNode<Entry>? node) && node.Value.Task is { IsCompletedSuccessfully: true } task)
            {
                value = task.Result;
                return true;
            }
        }

        value = default!;
        return false;
    }

    /// <summary>Every finished result kept now.</summary>
    public IReadOnlyList<TValue> CompletedValues()
    {
        lock (_lock)
        {
            return [.. _recency.Select(e => e.Task).OfType<Task<TValue>>().Where(t => t.IsCompletedSuccessfully).Select(t => t.Result)];
        }
    }

    /// <summary>Drops every kept result (work in progress runs on for the callers waiting on it).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _recency.Clear();
            _finished = 0;
        }
    }

    private Task<TValue> Leave(Entry entry, Task<TValue> task)
    {
        lock (_lock)
        {
            entry.Waiters--;
        }

        return task;
    }

    private async Task<TValue> WaitAsync(Entry entry, Task<TValue> task, CancellationToken cancellationToken)
    {
        try
        {
            return await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // A wait ends before the work only by its caller's cancellation; when the last waiter
            // leaves so, nobody wants the work any more: it is cancelled (the owner's lifetime is not).
            bool cancelWork;
            lock (_lock)
            {
                cancelWork = --entry.Waiters == 0 && !task.IsCompleted;
                if (cancelWork)
                {
                    Forget(entry);
                }
            }

            if (cancelWork)
            {
                entry.Cancel();
            }
        }
    }

    // Called under the lock: the entry leaves the table if it is still the one for its key.
    private void Forget(Entry entry)
    {
        if (_entries.TryGetValue(entry.Key, out LinkedListNode<Entry>? node) && ReferenceEquals(node.Value, entry))
        {
            _entries.Remove(entry.Key);
            _recency.Remove(node);
            if (entry.Counted)
            {
                _finished--;
            }
        }
    }

    private void Finished(Entry entry, Task<TValue> task)
    {
        lock (_lock)
        {
            if (!task.IsCompletedSuccessfully)
            {
                Forget(entry); // cancelled or faulted: the next caller starts afresh
            }
            else if (_entries.TryGetValue(entry.Key, out LinkedListNode<Entry>? node) && ReferenceEquals(node.Value, entry))
            {
                entry.Counted = true;
                _finished++;
                Trim();
            }
        }

        entry.Cancellation.Dispose();
    }

    // Called under the lock: drop the least recently used finished results beyond the capacity.
    private void Trim()
    {
        LinkedListNode<Entry>? node = _recency.Last;
        while (_finished > Capacity && node is not null)
        {
            LinkedListNode<Entry>? previous = node.Previous;
            if (node.Value.Counted)
            {
                _entries.Remove(node.Value.Key);
                _recency.Remove(node);
                _finished--;
            }

            node = previous;
        }
    }

    private sealed class Entry(SharedWork<TKey, TValue> owner, TKey key, CancellationTokenSource cancellation)
    {
        private readonly Lock _start = new();

        public TKey Key { get; } = key;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public int Waiters { get; set; }

        /// <summary>Finished successfully and counted against the capacity.</summary>
        public bool Counted { get; set; }

        public Task<TValue>? Task { get; private set; }

        public Task<TValue> Start(Func<TKey, CancellationToken, Task<TValue>> work)
        {
            lock (_start)
            {
                if (Task is not null)
                {
                    return Task;
                }

                Task<TValue> task;
                try
                {
                    task = work(Key, Cancellation.Token);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    task = System.Threading.Tasks.Task.FromException<TValue>(ex);
                }

                Task = task;
                _ = task.ContinueWith(static (t, state) => ((Entry)state!).Done(t), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return task;
            }
        }

        private void Done(Task<TValue> task) => owner.Finished(this, task);

        public void Cancel()
        {
            try
            {
                Cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The work finished meanwhile.
            }
        }
    }
}
