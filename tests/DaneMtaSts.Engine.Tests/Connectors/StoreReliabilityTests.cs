using System.Text;
using DaneMtaSts.Engine.Connectors;

namespace DaneMtaSts.Engine.Tests.Connectors;

/// <summary>Regression tests for store faults found by the crash and hostile-file tests.</summary>
public sealed class StoreReliabilityTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "danemtasts-reliability-" + Guid.NewGuid().ToString("N"));

    private string StorePath => Path.Combine(_folder, "store.json");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static ConnectorChanges Partner(string name) => new() { Name = new(name), RecipientDomains = new(["contoso.com"]) };

    [Fact]
    public void A_store_saved_with_a_utf8_byte_order_mark_reads_and_is_rewritten_without_it()
    {
        var store = new ConnectorStore(StorePath);
        store.AddConnector(Partner("Contoso"));
        byte[] plain = File.ReadAllBytes(StorePath);
        File.WriteAllBytes(StorePath, [.. Encoding.UTF8.GetPreamble(), .. plain]);

        Assert.Equal("Contoso", Assert.Single(store.GetConnectors()).Name);
        store.AddConnector(Partner("Fabrikam"));
        Assert.Equal(2, store.GetConnectors().Count);
        Assert.Equal((byte)'{', File.ReadAllBytes(StorePath)[0]);
    }

    [Fact]
    public void A_byte_order_mark_alone_or_twice_is_still_corrupt()
    {
        Directory.CreateDirectory(_folder);
        byte[] bom = Encoding.UTF8.GetPreamble();
        foreach (byte[] content in new[] { bom, [.. bom, .. bom, .. "{\"SchemaVersion\":1}"u8.ToArray()] })
        {
            File.WriteAllBytes(StorePath, content);
            Assert.Equal("StoreCorrupt", Assert.Throws<EngineException>(() => new ConnectorStore(StorePath).GetConnectors()).ErrorId);
            Assert.Equal(content, File.ReadAllBytes(StorePath));
        }
    }

    [Fact]
    public void A_write_removes_the_temporary_files_of_dead_writers_and_nothing_else()
    {
        var store = new ConnectorStore(StorePath);
        store.AddConnector(Partner("Contoso"));

        // What a writer killed between creating its temporary file and the rename leaves behind.
        string orphan = Path.Combine(_folder, $".store.json.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(orphan, "{ \"SchemaVersion\": 1, \"Conn");
        string unrelated = Path.Combine(_folder, ".other.json.0123.tmp");
        File.WriteAllText(unrelated, "not ours");
        string usersCopy = Path.Combine(_folder, ".store.json.before-upgrade.tmp");
        File.WriteAllText(usersCopy, "a copy the user made");

        // Reading takes no lock and must not touch them.
        store.GetConnectors();
        Assert.True(File.Exists(orphan));

        store.AddConnector(Partner("Fabrikam"));
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(unrelated));
        Assert.True(File.Exists(usersCopy));
        Assert.Equal(2, store.GetConnectors().Count);
    }

    [Fact]
    public void A_failed_change_also_removes_orphans_but_leaves_the_store_as_it_was()
    {
        var store = new ConnectorStore(StorePath);
        store.AddConnector(Partner("Contoso"));
        byte[] before = File.ReadAllBytes(StorePath);
        string orphan = Path.Combine(_folder, $".store.json.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(orphan, "partial");

        Assert.Equal("ConnectorAlreadyExists", Assert.Throws<EngineException>(() => store.AddConnector(Partner("CONTOSO"))).ErrorId);
        Assert.False(File.Exists(orphan));
        Assert.Equal(before, File.ReadAllBytes(StorePath));
    }
}
