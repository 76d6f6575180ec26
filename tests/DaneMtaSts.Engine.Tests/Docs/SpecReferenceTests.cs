using System.Text.RegularExpressions;
using DaneMtaSts.Engine.Tests.Support;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Docs;

/// <summary>
/// Every citation of the specification in code, tests, help, examples and lab files resolves to a
/// section of docs/, and no citation uses an old form (docs/README.md#citations).
/// </summary>
public sealed partial class SpecReferenceTests(ITestOutputHelper output)
{
    private static readonly string[] ScannedFolders = ["src", "tests", "examples", "module"];

    private static readonly string[] ScannedExtensions = [".cs", ".ps1", ".psm1", ".psd1", ".ps1xml", ".sh", ".csv", ".md", ".txt", ".json", ".csproj", ".props"];

    private static readonly string[] SkippedFolders = ["bin", "obj", ".run", "TestResults"];

    /// <summary>A citation: the page under docs/ and, optionally, the anchor of a section.</summary>
    [GeneratedRegex(@"docs/(?<page>[A-Za-z0-9_-]+\.md)(?:#(?<anchor>[A-Za-z0-9_-]+))?")]
    private static partial Regex Citation();

    /// <summary>A page of the specification named without docs/ ("as verdicts.md says").</summary>
    [GeneratedRegex(@"(?<![\w/.-])(?:verdicts|exchange-online|edge-cases|architecture|scenarios)\.md")]
    private static partial Regex BarePageName();

    /// <summary>A section cited by its name with a section sign ("§Rules", "§ Modes"); RFC sections are numbers.</summary>
    [GeneratedRegex(@"§\s?[A-Za-z]")]
    private static partial Regex NamedSection();

    /// <summary>An edge case cited without its page ("edge S9", "Edge T13").</summary>
    [GeneratedRegex(@"\b[Ee]dge(?:[- ]cases?)?\s+[DTSR]\d")]
    private static partial Regex BareEdgeCase();

    /// <summary>An issue of the tracker cited as if it were a specification ("issue 7 §1").</summary>
    [GeneratedRegex(@"\b[Ii]ssue\s+#?\d")]
    private static partial Regex IssueNumber();

    [GeneratedRegex(@"<a\s+id=""(?<id>[^""]+)""")]
    private static partial Regex ExplicitAnchor();

    [GeneratedRegex(@"^#{1,6}\s+(?<title>.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"\]\((?<page>[A-Za-z0-9_-]+\.md)?(?:#(?<anchor>[A-Za-z0-9_-]+))?\)")]
    private static partial Regex RelativeLink();

    private static string Root => RepositoryFiles.Root ?? throw new InvalidOperationException("The tests do not run from a checkout (no DaneMtaSts.sln above the binaries).");

    [Fact]
    public void Every_citation_in_the_repository_resolves_to_a_section_of_docs()
    {
        var anchors = AnchorsByPage();
        var broken = new List<string>();
        int citations = 0;
        var pagesCited = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (file, line, text) in ScannedLines())
        {
            foreach (Match m in Citation().Matches(text))
            {
                citations++;
                string page = m.Groups["page"].Value;
                pagesCited.Add(page);
                if (!anchors.TryGetValue(page, out var pageAnchors))
                {
                    broken.Add($"{file}:{line}: {m.Value}: there is no docs/{page}");
                }
                else if (m.Groups["anchor"].Success && !pageAnchors.Contains(m.Groups["anchor"].Value))
                {
                    broken.Add($"{file}:{line}: {m.Value}: docs/{page} has no anchor #{m.Groups["anchor"].Value}");
                }
            }
        }

        output.WriteLine($"{citations} citations of {pagesCited.Count} pages checked.");
        Assert.True(broken.Count == 0, string.Join(Environment.NewLine, broken));

        // The scan reached its case: the code cites the spec in many places (about 80 when written).
        Assert.True(citations >= 60, $"only {citations} citations found: is the scan looking in the right folders?");
        Assert.Contains("verdicts.md", pagesCited);
        Assert.Contains("edge-cases.md", pagesCited);
        Assert.Contains("exchange-online.md", pagesCited);
    }

    [Fact]
    public void No_file_cites_the_spec_in_an_old_form()
    {
        string self = Path.Combine("tests", "DaneMtaSts.Engine.Tests", "Docs", "SpecReferenceTests.cs");
        var found = new List<string>();
        int lines = 0;
        foreach (var (file, line, text) in ScannedLines())
        {
            lines++;
            if (file == self)
            {
                continue;
            }

            foreach (var (name, regex) in OldForms)
            {
                if (regex.Match(text) is { Success: true } m)
                {
                    found.Add($"{file}:{line}: \"{m.Value}\" ({name}); cite docs/<page>.md#<anchor> instead (docs/README.md#citations)");
                }
            }
        }

        output.WriteLine($"{lines} lines scanned.");
        Assert.True(found.Count == 0, string.Join(Environment.NewLine, found));
        Assert.True(lines > 10_000, $"only {lines} lines scanned");
    }

    [Theory]
    [InlineData("exactly as verdicts.md says", "a page name without docs/")]
    [InlineData("(exchange-online.md §Rules)", "a page name without docs/")]
    [InlineData("// §MTA-STS 1: a failed TXT lookup", "a section by name")]
    [InlineData("(RFC 8461 §2, edge S9)", "an edge case without its page")]
    [InlineData("// Edge T13: a DANE-TA match", "an edge case without its page")]
    [InlineData("The faults of issue 7 §1", "an issue number")]
    public void The_old_forms_are_recognised(string text, string expected)
    {
        Assert.Contains(OldForms, f => f.Name == expected && f.Regex.IsMatch(text));
    }

    [Theory]
    [InlineData("(RFC 7672 §3.1.2, docs/verdicts.md#dane-5)")]
    [InlineData("writes output/fault-verdicts.md")]
    [InlineData("see docs/edge-cases.md#s9")]
    public void Citations_and_rfc_sections_are_not_old_forms(string text)
    {
        Assert.DoesNotContain(OldForms, f => f.Regex.IsMatch(text));
    }

    [Fact]
    public void Every_lab_scenario_names_its_rules_as_citations_and_appears_in_the_scenario_page()
    {
        string csv = File.ReadAllText(Path.Combine(Root, "tests", "lab", "scenarios.csv"));
        string[] rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] header = rows[0].Split(',');
        int scenarioColumn = Array.IndexOf(header, "Scenario");
        int ruleColumn = Array.IndexOf(header, "Rule");
        Assert.True(scenarioColumn >= 0 && ruleColumn > scenarioColumn, "scenarios.csv has Scenario and Rule columns");

        var scenarioAnchors = AnchorsByPage()["scenarios.md"];
        int checkedRows = 0;
        foreach (string row in rows.Skip(1))
        {
            // The first columns (Scenario, Domain, SmartHost, Rule) never contain a comma.
            string[] cells = row.Split(',');
            string name = cells[scenarioColumn];
            string rule = cells[ruleColumn];
            Assert.True(scenarioAnchors.Contains(name), $"docs/scenarios.md has no row for {name}");
            string[] parts = rule.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.NotEmpty(parts);
            Assert.All(parts, p => Assert.Matches("^" + Citation() + "$", p));
            checkedRows++;
        }

        Assert.True(checkedRows >= 40, $"only {checkedRows} scenarios read");
    }

    [Fact]
    public void Links_between_the_pages_of_docs_resolve()
    {
        var anchors = AnchorsByPage();
        var broken = new List<string>();
        int links = 0;
        foreach (var (page, _) in anchors)
        {
            string text = File.ReadAllText(Path.Combine(Root, "docs", page));
            foreach (Match m in RelativeLink().Matches(text))
            {
                links++;
                string target = m.Groups["page"].Success ? m.Groups["page"].Value : page;
                if (!anchors.TryGetValue(target, out var targetAnchors))
                {
                    broken.Add($"docs/{page}: {m.Value}: no docs/{target}");
                }
                else if (m.Groups["anchor"].Success && !targetAnchors.Contains(m.Groups["anchor"].Value))
                {
                    broken.Add($"docs/{page}: {m.Value}: docs/{target} has no #{m.Groups["anchor"].Value}");
                }
            }
        }

        Assert.True(broken.Count == 0, string.Join(Environment.NewLine, broken));
        Assert.True(links >= 50, $"only {links} links between pages found");
    }

    [Fact]
    public void Edge_case_ids_are_anchors_of_the_checklist()
    {
        var anchors = AnchorsByPage()["edge-cases.md"];
        int[] counts = [14, 13, 11, 1];
        string[] prefixes = ["d", "t", "s", "r"];
        for (int i = 0; i < prefixes.Length; i++)
        {
            for (int n = 1; n <= counts[i]; n++)
            {
                Assert.Contains($"{prefixes[i]}{n}", anchors);
            }
        }
    }

    private static readonly (string Name, Regex Regex)[] OldForms =
    [
        ("a page name without docs/", BarePageName()),
        ("a section by name", NamedSection()),
        ("an edge case without its page", BareEdgeCase()),
        ("an issue number", IssueNumber()),
    ];

    /// <summary>The anchors of each page of docs/: explicit <c>&lt;a id&gt;</c> anchors and GitHub's heading anchors.</summary>
    private static Dictionary<string, HashSet<string>> AnchorsByPage()
    {
        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md"))
        {
            string text = File.ReadAllText(path);
            var anchors = new HashSet<string>(StringComparer.Ordinal);
            foreach (Match m in ExplicitAnchor().Matches(text))
            {
                Assert.True(anchors.Add(m.Groups["id"].Value), $"{Path.GetFileName(path)}: anchor {m.Groups["id"].Value} is defined twice");
            }

            foreach (Match m in Heading().Matches(text))
            {
                anchors.Add(HeadingSlug(m.Groups["title"].Value));
            }

            result[Path.GetFileName(path)] = anchors;
        }

        return result;
    }

    /// <summary>GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.</summary>
    private static string HeadingSlug(string title)
    {
        var chars = title.ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').Select(c => c == ' ' ? '-' : c);
        return new string([.. chars]);
    }

    /// <summary>Every line of the scanned files, with the file's repository-relative path.</summary>
    private static IEnumerable<(string File, int Line, string Text)> ScannedLines()
    {
        foreach (string folder in ScannedFolders)
        {
            foreach (string path in Files(Path.Combine(Root, folder)))
            {
                string relative = Path.GetRelativePath(Root, path);
                int n = 0;
                foreach (string line in File.ReadLines(path))
                {
                    n++;
                    yield return (relative, n, line);
                }
            }
        }
    }

    private static IEnumerable<string> Files(string folder)
    {
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (string file in Directory.EnumerateFiles(folder))
        {
            if (ScannedExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))
            {
                yield return file;
            }
        }

        foreach (string dir in Directory.EnumerateDirectories(folder))
        {
            string name = Path.GetFileName(dir);
            if (name.StartsWith('.') || SkippedFolders.Contains(name, StringComparer.Ordinal))
            {
                continue;
            }

            foreach (string file in Files(dir))
            {
                yield return file;
            }
        }
    }
}
