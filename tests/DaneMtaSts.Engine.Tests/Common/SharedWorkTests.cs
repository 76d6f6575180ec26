using DaneMtaSts.Engine.Common;
using DaneMtaSts.Engine.Tests.Support;

namespace DaneMtaSts.Engine.Tests.Common;

// docs/architecture.md#shared-work: one caching pattern with per-caller cancellation.
public sealed class SharedWorkTests
{
    // Work that finishes when the test says so, and records the token it ran under.
    private sealed class Gate
    {
        public TaskCompletionSource<int> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Starts;

        public CancellationToken Token;

        public Task<int> Run(string key, CancellationToken token)
        {
            Interlocked.Increment(ref Starts);
            Token = token;
            token.Register(() => Result.TrySetCanceled(token));
            return Result.Task;
        }
    }

    [Fact]
    public async Task When_the_first_caller_cancels_a_second_caller_still_gets_the_value()
    {
        var work = new SharedWork<string, int>();
        var gate = new Gate();
        using var a = new CancellationTokenSource();
        Task<int> first = work.GetAsync("k", gate.Run, a.Token);
        Task<int> second = work.GetAsync("k", gate.Run, CancellationToken.None, out bool joined);

        await a.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(HangGuard.Limit));
        Assert.False(gate.Token.IsCancellationRequested);
        gate.Result.SetResult(42);

        Assert.Equal(42, await second.WaitAsync(HangGuard.Limit));
        Assert.True(joined);
        Assert.Equal(1, gate.Starts);
    }

    [Fact]
    public async Task When_every_caller_cancels_the_work_is_cancelled_and_the_next_caller_starts_afresh()
    {
        var work = new SharedWork<string, int>();
        var gate = new Gate();
        using var a = new CancellationTokenSource();
        using var b = new CancellationTokenSource();
        Task<int> first = work.GetAsync("k", gate.Run, a.Token);
        Task<int> second = work.GetAsync("k", gate.Run, b.Token);

        await a.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(HangGuard.Limit));
        Assert.False(gate.Token.IsCancellationRequested); // b still waits
        await b.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(HangGuard.Limit));
        Assert.True(gate.Token.IsCancellationRequested);

        var again = new Gate();
        Task<int> third = work.GetAsync("k", again.Run, CancellationToken.None, out bool joined);
        again.Result.SetResult(7);
        Assert.Equal(7, await third.WaitAsync(HangGuard.Limit));
        Assert.False(joined);
    }

    [Fact]
    public async Task A_result_is_kept_and_a_fault_is_not()
    {
        var work = new SharedWork<string, int>();
        int calls = 0;
        Task<int> Faulty(string key, CancellationToken token) =>
            Interlocked.Increment(ref calls) == 1 ? Task.FromException<int>(new InvalidOperationException("first")) : Task.FromResult(5);

        await Assert.ThrowsAsync<InvalidOperationException>(() => work.GetAsync("k", Faulty, CancellationToken.None));
        Assert.Equal(5, await work.GetAsync("k", Faulty, CancellationToken.None));
        Assert.Equal(5, await work.GetAsync("k", Faulty, CancellationToken.None, out bool joined));
        Assert.True(joined);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task The_owner_lifetime_cancels_work_in_progress()
    {
        using var lifetime = new CancellationTokenSource();
        var work = new SharedWork<string, int>(lifetime: lifetime.Token);
        var gate = new Gate();
        Task<int> waiting = work.GetAsync("k", gate.Run, CancellationToken.None);

        await lifetime.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(HangGuard.Limit));
        Assert.True(gate.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task Beyond_the_capacity_the_least_recently_used_result_is_dropped_and_work_in_progress_never()
    {
        var work = new SharedWork<int, int>(capacity: 3);
        var slow = new Gate();
        Task<int> inProgress = work.GetAsync(-1, (_, t) => slow.Run("slow", t), CancellationToken.None);
        int starts = 0;
        Task<int> Compute(int key, CancellationToken token)
        {
            Interlocked.Increment(ref starts);
            return Task.FromResult(key * 10);
        }

        for (int i = 0; i < 3; i++)
        {
            await work.GetAsync(i, Compute, CancellationToken.None);
        }

        await work.GetAsync(0, Compute, CancellationToken.None); // 0 is now the most recent
        await work.GetAsync(3, Compute, CancellationToken.None); // drops 1, the least recent

        Assert.True(work.TryGetCompleted(0, out int zero));
        Assert.Equal(0, zero);
        Assert.False(work.TryGetCompleted(1, out _));
        Assert.True(work.TryGetCompleted(2, out _));
        Assert.True(work.TryGetCompleted(3, out _));
        Assert.Equal(4, work.Count); // three results and the work in progress
        Assert.Equal(4, starts);

        // Once the slow work has finished it counts against the capacity too: one result is dropped
        // (the bookkeeping runs as the work's continuation, so give it a moment, within the guard).
        slow.Result.SetResult(1);
        Assert.Equal(1, await inProgress.WaitAsync(HangGuard.Limit));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (work.Count > 3 && watch.Elapsed < HangGuard.Limit)
        {
            await Task.Delay(10);
        }

        Assert.Equal(3, work.Count);
    }
}
