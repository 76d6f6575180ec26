using System.Text.RegularExpressions;
using DaneMtaSts.Engine.Tests.Support;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Architecture;

/// <summary>
/// The engine's folders depend on each other exactly as the table of docs/architecture.md#layers
/// says, and without a cycle: the graph is read from the compiled assembly, signatures and IL
/// alike (FolderDependencyGraph), so a dependency hidden in a method body counts too.
/// </summary>
public sealed partial class LayerTests(ITestOutputHelper output)
{
    /// <summary>
    /// Cycles the table admits for now, each with the reason; empty when the layering is clean.
    /// A pair listed here must still be in the table, and must still be a cycle (else the entry is stale).
    /// None since the TXT tag-value lexer moved to Common/ (TlsRpt no longer borrows it from MtaSts).
    /// </summary>
    private static readonly (string A, string B, string Why)[] KnownCycles = [];

    [GeneratedRegex(@"^\|\s*`(?<folder>[A-Za-z]+)/`\s*\|(?<uses>[^|]*)\|", RegexOptions.Multiline)]
    private static partial Regex LayerRow();

    [GeneratedRegex(@"`(?<folder>[A-Za-z]+)/`")]
    private static partial Regex FolderName();

    [GeneratedRegex(@"\([^)]*\)")]
    private static partial Regex Parenthesis();

    [GeneratedRegex(@"^namespace\s+(?<ns>[A-Za-z0-9_.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    private static string Root => RepositoryFiles.Root ?? throw new InvalidOperationException("The tests do not run from a checkout (no DaneMtaSts.sln above the binaries).");

    private static string EngineSource => Path.Combine(Root, "src", "DaneMtaSts.Engine");

    [Fact]
    public void The_engine_folders_depend_on_each_other_exactly_as_the_layer_table_says()
    {
        IReadOnlyDictionary<string, string> folders = FolderOfNamespace();
        FolderDependencyGraph graph = FolderDependencyGraph.Read(typeof(DomainName).Assembly.Location, folders);
        output.WriteLine($"{graph.TypesRead} types, {graph.BodiesRead} method bodies, {graph.Edges.Count} edges:");
        foreach (var ((from, to), example) in graph.Edges.OrderBy(e => e.Key.From, StringComparer.Ordinal).ThenBy(e => e.Key.To, StringComparer.Ordinal))
        {
            output.WriteLine($"  {from} -> {to}   (e.g. {example})");
        }

        // The reading reached its case: the engine has hundreds of types and bodies, and many edges.
        Assert.True(graph.TypesRead >= 200 && graph.BodiesRead >= 1000 && graph.Edges.Count >= 20,
            $"only {graph.TypesRead} types, {graph.BodiesRead} bodies and {graph.Edges.Count} edges read: is the assembly or the namespace map wrong?");

        Dictionary<string, HashSet<string>> allowed = AllowedTable();
        var problems = new List<string>();
        foreach (string folder in folders.Values.Distinct(StringComparer.Ordinal).Where(f => !allowed.ContainsKey(f)))
        {
            problems.Add($"the folder {folder}/ has no row in docs/architecture.md#layers");
        }

        foreach (var ((from, to), example) in graph.Edges)
        {
            if (!allowed.TryGetValue(from, out var uses) || !uses.Contains(to))
            {
                problems.Add($"{from} -> {to} is not in the layer table (e.g. {example})");
            }
        }

        foreach (var (from, uses) in allowed)
        {
            foreach (string to in uses.Where(to => !graph.Edges.ContainsKey((from, to))))
            {
                problems.Add($"the layer table lets {from} use {to}, but nothing in {from}/ does: remove it from the table");
            }
        }

        foreach (IReadOnlyList<string> cycle in Cycles(graph.Edges.Keys))
        {
            bool known = cycle.Count == 3 && KnownCycles.Any(k => (k.A == cycle[0] && k.B == cycle[1]) || (k.A == cycle[1] && k.B == cycle[0]));
            if (!known)
            {
                string path = string.Join(" -> ", cycle.Zip(cycle.Skip(1), (a, b) => $"{a} -> ({graph.Edges[(a, b)]})")) + " -> " + cycle[^1];
                problems.Add($"a cycle between engine folders: {string.Join(" -> ", cycle)}; through {path}");
            }
        }

        foreach (var (a, b, why) in KnownCycles)
        {
            if (!graph.Edges.ContainsKey((a, b)) || !graph.Edges.ContainsKey((b, a)))
            {
                problems.Add($"the known cycle {a} <-> {b} ({why}) is gone: remove it from KnownCycles");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void The_layer_table_itself_has_no_cycle()
    {
        var edges = AllowedTable().SelectMany(p => p.Value.Select(to => (p.Key, to))).ToList();
        Assert.True(edges.Count >= 20, $"only {edges.Count} allowed dependencies read from docs/architecture.md#layers: is the table's form unchanged?");
        var cycles = Cycles(edges).Where(c => !(c.Count == 3 && KnownCycles.Any(k => (k.A == c[0] && k.B == c[1]) || (k.A == c[1] && k.B == c[0])))).ToList();
        Assert.True(cycles.Count == 0, "the layer table has cycles: " + string.Join("; ", cycles.Select(c => string.Join(" -> ", c))));
    }

    [Fact]
    public void The_cycle_finder_finds_a_cycle_and_names_its_path()
    {
        // The finder itself, on a small graph: a three-folder cycle and a two-folder one beside a chain.
        (string, string)[] edges = [("A", "B"), ("B", "C"), ("C", "A"), ("C", "D"), ("D", "E"), ("E", "D"), ("F", "A")];
        var cycles = Cycles(edges).Select(c => string.Join(" -> ", c)).ToList();
        Assert.Equal(["A -> B -> C -> A", "D -> E -> D"], cycles);
        Assert.Empty(Cycles([("A", "B"), ("B", "C"), ("A", "C")]));
    }

    /// <summary>
    /// Each elementary cycle once (through its smallest folder name first), found from the strongly
    /// connected components: for each component with more than one folder, the shortest cycle through
    /// each folder of it, so that a failure shows a short path to break rather than every cycle.
    /// </summary>
    private static List<IReadOnlyList<string>> Cycles(IEnumerable<(string From, string To)> edgeList)
    {
        var next = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (from, to) in edgeList)
        {
            (next.TryGetValue(from, out var set) ? set : next[from] = new SortedSet<string>(StringComparer.Ordinal)).Add(to);
            next.TryAdd(to, new SortedSet<string>(StringComparer.Ordinal));
        }

        var found = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (string start in next.Keys.Order(StringComparer.Ordinal))
        {
            // Breadth-first from start back to start: the shortest cycle through it.
            var parent = new Dictionary<string, string>(StringComparer.Ordinal);
            var queue = new Queue<string>([start]);
            List<string>? cycle = null;
            while (queue.Count > 0 && cycle is null)
            {
                string at = queue.Dequeue();
                foreach (string to in next[at])
                {
                    if (to == start)
                    {
                        cycle = [start];
                        for (string n = at; n != start; n = parent[n])
                        {
                            cycle.Insert(1, n);
                        }

                        cycle.Add(start);
                        break;
                    }

                    if (parent.TryAdd(to, at))
                    {
                        queue.Enqueue(to);
                    }
                }
            }

            if (cycle is not null)
            {
                // Rotate to start at the smallest name, so each cycle is listed once.
                var ring = cycle.Take(cycle.Count - 1).ToList();
                int min = ring.IndexOf(ring.Min(StringComparer.Ordinal)!);
                var rotated = ring.Skip(min).Concat(ring.Take(min)).ToList();
                rotated.Add(rotated[0]);
                found.TryAdd(string.Join(">", rotated), rotated);
            }
        }

        return [.. found.Values];
    }

    /// <summary>The table of docs/architecture.md#layers: folder → the folders it may use.</summary>
    private static Dictionary<string, HashSet<string>> AllowedTable()
    {
        string text = File.ReadAllText(Path.Combine(Root, "docs/architecture.md"));
        int start = text.IndexOf("<a id=\"layers\"></a>", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/architecture.md has no #layers anchor");
        int end = text.IndexOf("\n## ", start, StringComparison.Ordinal);
        string section = end < 0 ? text[start..] : text[start..end];
        var table = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Match row in LayerRow().Matches(section))
        {
            // Only the names outside parentheses: a parenthesis says why, and may name other folders.
            string names = Parenthesis().Replace(row.Groups["uses"].Value, "");
            var uses = FolderName().Matches(names).Select(m => m.Groups["folder"].Value).ToHashSet(StringComparer.Ordinal);
            Assert.True(table.TryAdd(row.Groups["folder"].Value, uses), $"docs/architecture.md#layers lists {row.Groups["folder"].Value}/ twice");
        }

        Assert.True(table.Count >= 8, $"only {table.Count} rows read from docs/architecture.md#layers");
        return table;
    }

    /// <summary>Each namespace declared under src/DaneMtaSts.Engine/ → the top folder it is declared in (one folder per namespace).</summary>
    private static IReadOnlyDictionary<string, string> FolderOfNamespace()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(EngineSource, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(EngineSource, file);
            string[] parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Length < 2 || parts[0] is "bin" or "obj")
            {
                continue;
            }

            foreach (Match m in NamespaceDeclaration().Matches(File.ReadAllText(file)))
            {
                string ns = m.Groups["ns"].Value;
                if (map.TryGetValue(ns, out string? other) && other != parts[0])
                {
                    Assert.Fail($"the namespace {ns} is declared in both {other}/ and {parts[0]}/ ({relative}): a namespace belongs to one folder");
                }

                map[ns] = parts[0];
            }
        }

        return map;
    }
}
