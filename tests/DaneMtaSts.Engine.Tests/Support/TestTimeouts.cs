namespace DaneMtaSts.Engine.Tests.Support;

/// <summary>
/// The network timeouts tests give the engine. A test on a success path is never meant to reach
/// its timeout, so it gets a generous one that a loaded 2-core machine cannot exhaust; a fault test
/// that waits for a timeout on purpose gets a short one, so the suite stays quick, and proves its
/// case by the failure kind, never by the elapsed time (a hang is bounded by HangGuard).
/// </summary>
internal static class TestTimeouts
{
    /// <summary>For a step that should succeed: far above what any loopback server needs.</summary>
    public static readonly TimeSpan Success = TimeSpan.FromSeconds(30);

    /// <summary>For a lab whose fault is a silent or stalled server: the engine gives up after this.</summary>
    public static readonly TimeSpan Fault = TimeSpan.FromSeconds(3);
}
