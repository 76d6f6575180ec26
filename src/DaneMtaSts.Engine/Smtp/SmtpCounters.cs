namespace DaneMtaSts.Engine.Smtp;

/// <summary>
/// Thread-safe counts of what the SMTP layer did, for the benchmark and for "how many connections
/// did this dry run cost" reporting. One instance may be shared by concurrent probes.
/// </summary>
public sealed class SmtpCounters
{
    private long connectAttempts;
    private long connectionsOpened;
    private long handshakesStarted;
    private long handshakesCompleted;
    private long messagesSent;

    /// <summary>TCP connects tried (successful or not).</summary>
    public long ConnectAttempts => Interlocked.Read(ref connectAttempts);

    /// <summary>TCP connections established.</summary>
    public long ConnectionsOpened => Interlocked.Read(ref connectionsOpened);

    /// <summary>TLS handshakes begun (the server answered STARTTLS with 220).</summary>
    public long HandshakesStarted => Interlocked.Read(ref handshakesStarted);

    /// <summary>TLS handshakes that completed.</summary>
    public long HandshakesCompleted => Interlocked.Read(ref handshakesCompleted);

    /// <summary>Messages the server accepted at the end of DATA.</summary>
    public long MessagesSent => Interlocked.Read(ref messagesSent);

    internal void CountConnectAttempt() => Interlocked.Increment(ref connectAttempts);

    internal void CountConnectionOpened() => Interlocked.Increment(ref connectionsOpened);

    internal void CountHandshakeStarted() => Interlocked.Increment(ref handshakesStarted);

    internal void CountHandshakeCompleted() => Interlocked.Increment(ref handshakesCompleted);

    internal void CountMessageSent() => Interlocked.Increment(ref messagesSent);

    public override string ToString() =>
        $"connects {ConnectAttempts}, opened {ConnectionsOpened}, handshakes {HandshakesCompleted}/{HandshakesStarted}, messages {MessagesSent}";
}
