using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Engine.MtaSts;

namespace DaneMtaSts.Engine.Tests.MtaSts;

public sealed class MtaStsPolicyCacheFileTests : IDisposable
{
    private static readonly DateTime Fetched = new(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "danemtasts-cache-" + Guid.NewGuid().ToString("N"));

    private string StorePath => Path.Combine(_folder, "sub", "store.json");

    private string CachePath => MtaStsPolicyCacheFile.PathBeside(StorePath);

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            foreach (string f in Directory.GetFiles(_folder, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(f, FileAttributes.Normal);
            }

            Directory.Delete(_folder, recursive: true);
        }
    }

    private static MtaStsCachedPolicy Policy(string domain, string id = "20260310") => new()
    {
        Domain = domain,
        Id = id,
        PolicyText = "version: STSv1\nmode: enforce\nmx: mx.example\nmax_age: 86400\n",
        FetchedUtc = Fetched,
        ExpiresUtc = Fetched.AddDays(1),
    };

    [Fact]
    public void Lives_beside_the_store_in_its_own_file_and_round_trips()
    {
        Assert.Equal(Path.Combine(_folder, "sub", "store.mta-sts-cache.json"), CachePath);
        var cache = new MtaStsPolicyCacheFile(CachePath);
        cache.Put(Policy("Bücher.Example."));
        Assert.False(File.Exists(CachePath));
        Assert.True(cache.Save());
        Assert.True(File.Exists(CachePath));
        Assert.False(File.Exists(StorePath));

        var read = new MtaStsPolicyCacheFile(CachePath).Get("xn--bcher-kva.example");
        Assert.NotNull(read);
        Assert.Equal("xn--bcher-kva.example", read.Domain);
        Assert.Equal(Policy("x").PolicyText, read.PolicyText);
        Assert.Equal(Fetched.AddDays(1), read.ExpiresUtc);
        Assert.Empty(cache.DrainWarnings());
    }

    [Fact]
    public void Is_read_once_per_instance_and_written_only_by_Save()
    {
        var first = new MtaStsPolicyCacheFile(CachePath);
        first.Put(Policy("a.example"));
        first.Save();

        var call = new MtaStsPolicyCacheFile(CachePath);
        Assert.NotNull(call.Get("a.example"));

        // Another process changes the file: this call keeps what it read at its first lookup.
        var other = new MtaStsPolicyCacheFile(CachePath);
        other.Remove("a.example");
        other.Save();
        Assert.NotNull(call.Get("a.example"));
        Assert.False(call.HasChanges);
        Assert.True(call.Save());
        Assert.Null(new MtaStsPolicyCacheFile(CachePath).Get("a.example"));
    }

    [Fact]
    public void Save_merges_this_calls_changes_over_what_other_processes_wrote()
    {
        var one = new MtaStsPolicyCacheFile(CachePath);
        var two = new MtaStsPolicyCacheFile(CachePath);
        Assert.Null(one.Get("a.example"));
        Assert.Null(two.Get("b.example"));
        one.Put(Policy("a.example"));
        two.Put(Policy("b.example"));
        two.Put(Policy("c.example"));
        two.Remove("c.example");
        Assert.True(one.Save());
        Assert.True(two.Save());

        var read = new MtaStsPolicyCacheFile(CachePath).ReadAll();
        Assert.Equal(["a.example", "b.example"], read.Select(e => e.Domain));
    }

    [Fact]
    public void A_damaged_file_is_a_warning_and_an_empty_cache_never_an_exception()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CachePath)!);
        File.WriteAllText(CachePath, "{ not json");
        var cache = new MtaStsPolicyCacheFile(CachePath);
        Assert.Null(cache.Get("a.example"));
        string warning = Assert.Single(cache.DrainWarnings());
        Assert.Contains("not valid", warning, StringComparison.Ordinal);
        Assert.Contains(CachePath, warning, StringComparison.Ordinal);

        // Saving replaces the damaged file.
        cache.Put(Policy("a.example"));
        Assert.True(cache.Save());
        Assert.NotNull(new MtaStsPolicyCacheFile(CachePath).Get("a.example"));
    }

    [Fact]
    public void A_file_that_cannot_be_written_is_a_warning_and_false()
    {
        // A file where the folder should be: nothing can be created below it.
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "sub"), "a file, not a folder");
        var cache = new MtaStsPolicyCacheFile(CachePath);
        Assert.Null(cache.Get("a.example"));
        cache.Put(Policy("a.example"));
        Assert.False(cache.Save());
        Assert.Contains(cache.DrainWarnings(), w => w.Contains("cannot be written", StringComparison.Ordinal));
    }

    [Fact]
    public void A_held_lock_makes_Save_give_up_with_a_warning_after_its_timeout()
    {
        var cache = new MtaStsPolicyCacheFile(CachePath, lockTimeout: TimeSpan.FromMilliseconds(200));
        cache.Put(Policy("a.example"));
        Directory.CreateDirectory(Path.GetDirectoryName(CachePath)!);
        using (new FileStream(cache.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            Assert.False(cache.Save());
        }

        Assert.Contains(cache.DrainWarnings(), w => w.Contains("stayed locked", StringComparison.Ordinal));
        Assert.True(cache.HasChanges);
        Assert.True(cache.Save());
        Assert.False(cache.HasChanges);
    }

    [Fact]
    public void Clear_removes_the_matching_entries_only()
    {
        var cache = new MtaStsPolicyCacheFile(CachePath);
        cache.Put(Policy("a.example"));
        cache.Put(Policy("b.example"));
        cache.Save();
        var removed = new MtaStsPolicyCacheFile(CachePath).Clear(e => e.Domain == "a.example");
        Assert.Equal("a.example", Assert.Single(removed).Domain);
        Assert.Equal("b.example", Assert.Single(new MtaStsPolicyCacheFile(CachePath).ReadAll()).Domain);
    }

    [Fact]
    public void A_dry_run_cache_never_touches_the_connector_store()
    {
        var store = new ConnectorStore(StorePath);
        store.AddConnector(new ConnectorChanges { Name = new("Contoso"), RecipientDomains = new(["contoso.com"]) });
        DateTime before = File.GetLastWriteTimeUtc(StorePath);
        string text = File.ReadAllText(StorePath);
        var cache = new MtaStsPolicyCacheFile(CachePath);
        cache.Put(Policy("contoso.com"));
        cache.Save();
        Assert.Equal(text, File.ReadAllText(StorePath));
        Assert.Equal(before, File.GetLastWriteTimeUtc(StorePath));
    }
}
