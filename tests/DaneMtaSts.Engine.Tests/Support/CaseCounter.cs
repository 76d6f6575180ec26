using System.Collections.Concurrent;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Support;

/// <summary>
/// Counts how many samples of a property test reached each interesting case, so that a property
/// that passes because its generator never produced the case fails instead. Thread-safe: CsCheck
/// samples in parallel.
/// </summary>
internal sealed class CaseCounter(ITestOutputHelper output, string property)
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private int _samples;

    /// <summary>Counts one sample.</summary>
    public void Sample() => Interlocked.Increment(ref _samples);

    /// <summary>Counts that the current sample reached <paramref name="name"/>; returns true for use in conditions.</summary>
    public bool Hit(string name)
    {
        _counts.AddOrUpdate(name, 1, (_, n) => n + 1);
        return true;
    }

    public int Count(string name) => _counts.GetValueOrDefault(name);

    /// <summary>Writes the counts and fails unless each named case was reached at least <paramref name="minimum"/> times.</summary>
    public void AssertReached(int minimum, params string[] names)
    {
        output.WriteLine($"{property}: {_samples} samples; " + string.Join(", ", _counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}")));
        foreach (string name in names)
        {
            Assert.True(Count(name) >= minimum, $"{property}: only {Count(name)} of {_samples} samples reached '{name}' (at least {minimum} needed): the generator does not reach the case the property is about");
        }
    }
}
