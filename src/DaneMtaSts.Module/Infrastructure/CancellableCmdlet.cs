using System.Management.Automation;

namespace DaneMtaSts.Module.Infrastructure;

/// <summary>
/// Base of every cmdlet that may wait: Ctrl+C (StopProcessing) cancels <see cref="CancelToken"/>,
/// and every engine call that takes a token gets this one, so a stopped pipeline ends its DNS,
/// SMTP or HTTPS work promptly instead of running to its timeouts.
/// </summary>
public abstract class CancellableCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private bool _disposed;

    /// <summary>Cancelled when the user stops the pipeline.</summary>
    protected CancellationToken CancelToken => _cancellation.Token;

    /// <summary>
    /// Runs asynchronous engine work on the pipeline thread and waits for it. A cancellation caused
    /// by StopProcessing becomes the PipelineStoppedException PowerShell expects.
    /// </summary>
    protected T RunSynchronously<T>(Func<CancellationToken, Task<T>> work)
    {
        try
        {
            return work(CancelToken).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <inheritdoc cref="RunSynchronously{T}(Func{CancellationToken, Task{T}})"/>
    protected void RunSynchronously(Func<CancellationToken, Task> work) =>
        RunSynchronously<bool>(async token =>
        {
            await work(token);
            return true;
        });

    /// <summary>
    /// Runs blocking engine work that takes the token (the store's lock wait, the cache file's) on the
    /// pipeline thread; a cancellation caused by StopProcessing becomes PipelineStoppedException.
    /// </summary>
    protected T Stoppable<T>(Func<CancellationToken, T> work)
    {
        try
        {
            return work(CancelToken);
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    protected override void StopProcessing()
    {
        _cancellation.Cancel();
        base.StopProcessing();
    }

    /// <summary>PowerShell disposes a cmdlet that implements IDisposable when its pipeline ends.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        if (disposing)
        {
            _cancellation.Dispose();
        }

        _disposed = true;
    }
}
