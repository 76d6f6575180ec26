using System.Collections.ObjectModel;

namespace DaneMtaSts.Engine.Common;

/// <summary>
/// A read-only list whose text form is its items joined, so that a result exported with
/// Export-Csv shows "a; b" in the cell instead of a type name.
/// </summary>
public sealed class ReadableList<T> : ReadOnlyCollection<T>
{
    public ReadableList(IEnumerable<T> items)
        : base(items.ToList())
    {
    }

    public override string ToString() => string.Join("; ", this);
}
