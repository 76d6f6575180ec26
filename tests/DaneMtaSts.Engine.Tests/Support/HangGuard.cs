namespace DaneMtaSts.Engine.Tests.Support;

/// <summary>
/// The one wall-clock bound tests may use: a hang guard, far above anything a loaded 2-core machine
/// needs, so that a test fails on a hang or a missing deadline and never on a slow machine. What a
/// test proves about time it proves by behaviour (the failure kind, the number of attempts, the
/// exception type); how fast the engine is belongs in the benchmark (build.ps1 -Task Bench).
/// </summary>
internal static class HangGuard
{
    /// <summary>One minute: every call these tests guard takes well under a second when the machine is idle.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>Fails when <paramref name="elapsed"/> is past the guard.</summary>
    public static void Check(TimeSpan elapsed, string what) =>
        Assert.True(elapsed < Limit, $"{what} took {elapsed.TotalSeconds:0.0} s, past the hang guard of {Limit.TotalSeconds:0} s");
}
