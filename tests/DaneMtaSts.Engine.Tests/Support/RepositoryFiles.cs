namespace DaneMtaSts.Engine.Tests.Support;

/// <summary>The checkout the tests run from, found from the test binaries (the folder of DaneMtaSts.sln).</summary>
internal static class RepositoryFiles
{
    /// <summary>The repository root, or null when the tests run outside a checkout.</summary>
    public static string? Root { get; } = FindRoot();

    /// <summary>The folder for what a test run generates: <c>output/</c> (git-ignored), created on demand.</summary>
    public static string? OutputFolder(string name)
    {
        if (Root is null)
        {
            return null;
        }

        string path = Path.Combine(Root, "output", name);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string? FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DaneMtaSts.sln")) && Directory.Exists(Path.Combine(dir.FullName, "tests")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
