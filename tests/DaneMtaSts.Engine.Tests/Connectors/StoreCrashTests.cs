using System.Diagnostics;
using System.Globalization;
using DaneMtaSts.Engine.Connectors;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Connectors;

/// <summary>
/// Kills a process that is writing the store with SIGKILL at random moments and checks, after every
/// kill, that the store loads and holds the state before or after the change in flight, and that the
/// lock the dead writer held does not block the next one. The writer is this test assembly run as a
/// child (<see cref="StoreCrashWriter"/>): it starts in a fraction of the time pwsh needs, so 50 kills
/// fit in the test command, and it spends nearly all its time inside the store's write path.
/// </summary>
public sealed class StoreCrashTests : IDisposable
{
    private const int Kills = 50;
    private const int FillerConnectors = 150;
    private const string Target = "Crash target";

    private readonly ITestOutputHelper _output;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "danemtasts-crash-" + Guid.NewGuid().ToString("N"));

    public StoreCrashTests(ITestOutputHelper output) => _output = output;

    private string StorePath => Path.Combine(_folder, "store.json");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Writer_killed_at_random_moments_leaves_a_loadable_store_with_the_old_or_the_new_state()
    {
        // Filler makes the document about 100 KB, so that serialising and flushing it is a window a kill can hit.
        var setup = new ConnectorStore(StorePath);
        for (int i = 0; i < FillerConnectors; i++)
        {
            setup.AddConnector(new ConnectorChanges { Name = new($"Filler {i}"), RecipientDomains = new([$"filler{i}.example"]), Comment = new(new string('f', 300)) });
        }

        setup.AddConnector(new ConnectorChanges { Name = new(Target), RecipientDomains = new(["crash.example"]), Comment = new("start") });
        var filler = setup.GetConnectors().Where(c => c.Name != Target).ToList();

        // The seed is printed so that a failing sequence of kill moments can be replayed.
        int seed = Environment.TickCount;
        var random = new Random(seed);
        long nextValue = 1;
        int killsInsideWrite = 0;
        int killsWithLockHeld = 0;
        TimeSpan slowestRecovery = TimeSpan.Zero;
        var total = Stopwatch.StartNew();

        for (int kill = 1; kill <= Kills; kill++)
        {
            var (lastBegun, lastDone) = RunWriterAndKill(nextValue, random.Next(0, 40), seed, kill);

            // A temporary file left behind means the kill came between creating it and the rename.
            string[] leftovers = Directory.GetFiles(_folder, "*.tmp");
            if (leftovers.Length > 0)
            {
                killsInsideWrite++;
                if (!OperatingSystem.IsWindows())
                {
                    foreach (string tmp in leftovers)
                    {
                        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tmp));
                    }
                }
            }

            if (lastBegun != lastDone)
            {
                killsWithLockHeld++;
            }

            // The store loads and the change in flight is either absent or complete.
            var reader = new ConnectorStore(StorePath);
            var connectors = reader.GetConnectors();
            string stored = reader.GetConnector(ConnectorIdentity.FromName(Target)).Comment!;
            Assert.True(
                stored == lastDone || stored == lastBegun,
                $"kill {kill} (seed {seed}): the store holds '{stored}', but only '{lastDone}' (before) or '{lastBegun}' (after) are possible");
            Assert.Equal(filler, connectors.Where(c => c.Name != Target).ToList());

            // The lock file outlives the writer; the lock itself must die with it. A short timeout
            // makes a stale lock fail this test quickly instead of waiting out the default.
            Assert.True(File.Exists(reader.LockPath));
            var recovery = Stopwatch.StartNew();
            new ConnectorStore(StorePath, TimeSpan.FromSeconds(2)).UpdateConnector(
                ConnectorIdentity.FromName(Target), new ConnectorChanges { Comment = new(lastBegun) });
            recovery.Stop();
            slowestRecovery = recovery.Elapsed > slowestRecovery ? recovery.Elapsed : slowestRecovery;

            // After a write by a live process no temporary file of a dead one is left.
            Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
            nextValue = long.Parse(lastBegun, CultureInfo.InvariantCulture) + 1;
        }

        _output.WriteLine(
            $"store: {Kills} SIGKILLs survived ({killsInsideWrite} inside a write, temp file left; {killsWithLockHeld} with a change in flight), " +
            $"0 corrupt, next writer got the lock in <= {slowestRecovery.TotalMilliseconds:0} ms, {total.Elapsed.TotalSeconds:0.0} s, seed {seed}");

        // With a writer that does nothing else, some kills must land inside the write, or the test proved little.
        Assert.True(killsWithLockHeld > 0, $"no kill landed while a change was in flight (seed {seed})");
    }

    private (string LastBegun, string LastDone) RunWriterAndKill(long firstValue, int delayMs, int seed, int kill)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(typeof(StoreCrashWriter).Assembly.Location);
        psi.ArgumentList.Add(StoreCrashWriter.Verb);
        psi.ArgumentList.Add(StorePath);
        psi.ArgumentList.Add(Target);
        psi.ArgumentList.Add(firstValue.ToString(CultureInfo.InvariantCulture));

        string? lastBegun = null;
        string? lastDone = null;
        var gate = new object();
        using var firstDone = new ManualResetEventSlim();
        using var process = new Process { StartInfo = psi };
        var stderr = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { Length: > 2 } line)
            {
                return;
            }

            lock (gate)
            {
                if (line.StartsWith("B ", StringComparison.Ordinal))
                {
                    lastBegun = line[2..];
                }
                else if (line.StartsWith("D ", StringComparison.Ordinal))
                {
                    lastDone = line[2..];
                    firstDone.Set();
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (gate)
            {
                stderr.AppendLine(e.Data);
            }
        };

        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // The kill must hit the writing loop, not the start-up of the runtime.
            Assert.True(firstDone.Wait(TimeSpan.FromSeconds(60)), $"kill {kill}: the writer made no change: {stderr}");
            Thread.Sleep(delayMs);
            Assert.False(process.HasExited, $"kill {kill}: the writer stopped by itself: {stderr}");
        }
        finally
        {
            // Process.Kill is SIGKILL on Unix and TerminateProcess on Windows: no handler runs, nothing is flushed.
            process.Kill();
            process.WaitForExit();
        }

        lock (gate)
        {
            Assert.True(lastBegun is not null && lastDone is not null, $"kill {kill} (seed {seed}): no progress was reported");
            return (lastBegun!, lastDone!);
        }
    }

    private static string DotnetHost()
    {
        // The test host runs under the dotnet muxer; the SDK also names it in DOTNET_HOST_PATH.
        string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? self : "dotnet";
    }
}
