using System.Text;
using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Engine.MtaSts;

namespace DaneMtaSts.Engine.Tests.Connectors;

public sealed class ConnectorStoreTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "danemtasts-store-" + Guid.NewGuid().ToString("N"));

    private string StorePath => Path.Combine(_folder, "sub", "store.json");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static ConnectorChanges Partner(string name, string domain = "contoso.com") => new() { Name = new(name), RecipientDomains = new([domain]) };

    private ConnectorStore NewStore(TimeSpan? lockTimeout = null) => new(StorePath, lockTimeout);

    private void WriteRaw(string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StorePath)!);
        File.WriteAllText(StorePath, text, new UTF8Encoding(false));
    }

    [Fact]
    public void Missing_store_is_empty_and_reading_creates_nothing()
    {
        var store = NewStore();
        Assert.Empty(store.GetConnectors());
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public void Connectors_round_trip_through_the_file()
    {
        var store = NewStore();
        var changes = Partner("Contoso");
        changes.UseMXRecord = new(false);
        changes.SmartHosts = new(["relay.contoso.com", "192.0.2.0/24"]);
        changes.TlsSettings = new(TlsAuthLevel.DomainValidation);
        changes.TlsDomain = new("*.contoso.com");
        changes.TlsValidationMode = new(TlsValidationMode.Mandatory);
        changes.Comment = new("partner \"quoted\" ü");
        var created = store.AddConnector(changes);

        var reread = new ConnectorStore(StorePath).GetConnector(ConnectorIdentity.FromName("contoso"));
        Assert.Equal(created, reread);
        Assert.Equal(SmtpDaneMode.Mandatory, reread.SmtpDaneMode);
        string json = File.ReadAllText(StorePath);
        Assert.Contains("\"SchemaVersion\": 1", json, StringComparison.Ordinal);
        Assert.Contains("\"SmtpDaneMode\": \"Mandatory\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_name_is_rejected_case_insensitively()
    {
        var store = NewStore();
        store.AddConnector(Partner("Contoso"));
        var ex = Assert.Throws<EngineException>(() => store.AddConnector(Partner("CONTOSO")));
        Assert.Equal("ConnectorAlreadyExists", ex.ErrorId);
        Assert.Equal(EngineErrorKind.ResourceExists, ex.Kind);
        Assert.Single(store.GetConnectors());
    }

    [Fact]
    public void Update_renames_and_refuses_a_taken_name()
    {
        var store = NewStore();
        var a = store.AddConnector(Partner("A"));
        store.AddConnector(Partner("B"));
        var renamed = store.UpdateConnector(ConnectorIdentity.FromGuid(a.Guid), new ConnectorChanges { Name = new("A2") });
        Assert.Equal("A2", renamed.Name);
        var ex = Assert.Throws<EngineException>(() => store.UpdateConnector(ConnectorIdentity.FromName("a2"), new ConnectorChanges { Name = new("b") }));
        Assert.Equal("ConnectorAlreadyExists", ex.ErrorId);
    }

    [Fact]
    public void Failed_update_writes_nothing()
    {
        var store = NewStore();
        store.AddConnector(Partner("Contoso"));
        byte[] before = File.ReadAllBytes(StorePath);
        var ex = Assert.Throws<EngineException>(() => store.UpdateConnector(ConnectorIdentity.FromName("Contoso"), new ConnectorChanges { UseMXRecord = new(false) }));
        Assert.Equal("SmartHostsRequired", ex.ErrorId);
        Assert.Equal(before, File.ReadAllBytes(StorePath));
    }

    [Fact]
    public void Remove_and_missing_identity()
    {
        var store = NewStore();
        var c = store.AddConnector(Partner("Contoso"));
        Assert.Equal(c.Guid, store.RemoveConnector(ConnectorIdentity.FromName("contoso")).Guid);
        Assert.Empty(store.GetConnectors());
        var ex = Assert.Throws<EngineException>(() => store.RemoveConnector(ConnectorIdentity.FromName("contoso")));
        Assert.Equal("ConnectorNotFound", ex.ErrorId);
        Assert.Equal(EngineErrorKind.ObjectNotFound, ex.Kind);
    }

    [Fact]
    public void Corrupt_file_is_an_error_naming_it_and_is_left_byte_for_byte()
    {
        WriteRaw("{ \"SchemaVersion\": 1, \"Connectors\": [ { \"Name\": ");
        byte[] before = File.ReadAllBytes(StorePath);
        var store = NewStore();
        var read = Assert.Throws<EngineException>(() => store.GetConnectors());
        Assert.Equal("StoreCorrupt", read.ErrorId);
        Assert.Equal(EngineErrorKind.ReadError, read.Kind);
        Assert.Contains(StorePath, read.Message, StringComparison.Ordinal);
        var write = Assert.Throws<EngineException>(() => store.AddConnector(Partner("Contoso")));
        Assert.Equal("StoreCorrupt", write.ErrorId);
        Assert.Equal(before, File.ReadAllBytes(StorePath));
    }

    // docs/architecture.md#store-read: a hand-edited store that leaves properties out reads them as
    // a new connector's defaults (the serializer used to leave false flags and a null list, which
    // failed later), and a list of enum names is corrupt rather than an undefined mode.
    [Fact]
    public void A_connector_with_only_its_name_and_guid_reads_with_the_defaults()
    {
        WriteRaw("{\"SchemaVersion\":1,\"Connectors\":[{\"Name\":\"A\",\"Guid\":\"5b0b1f5e-9d7e-4c39-b3c8-3f2a5f3d9e01\"}]}");
        OutboundConnector c = Assert.Single(NewStore().GetConnectors());
        Assert.True(c.Enabled);
        Assert.True(c.UseMXRecord);
        Assert.Empty(c.RecipientDomains);
        Assert.Empty(c.SmartHosts);
        Assert.Equal(SmtpDaneMode.Opportunistic, c.SmtpDaneMode);
        Assert.Equal(MtaStsMode.Opportunistic, c.MtaStsMode);
        Assert.Null(c.TlsSettings);
    }

    [Theory]
    [InlineData("\"None,Mandatory\"")]
    [InlineData("\"Mandatory,\"")]
    [InlineData("1")]
    [InlineData("\"1\"")]
    public void An_enum_written_as_a_list_or_a_number_is_corrupt(string value)
    {
        WriteRaw("{\"SchemaVersion\":1,\"Connectors\":[{\"Name\":\"A\",\"Guid\":\"5b0b1f5e-9d7e-4c39-b3c8-3f2a5f3d9e01\",\"SmtpDaneMode\":" + value + "}]}");
        EngineException ex = Assert.Throws<EngineException>(() => NewStore().GetConnectors());
        Assert.Equal("StoreCorrupt", ex.ErrorId);
        Assert.Contains("$.Connectors[0].SmtpDaneMode", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\" mandatory \"", SmtpDaneMode.Mandatory)]
    [InlineData("\"NONE\"", SmtpDaneMode.None)]
    public void An_enum_name_is_read_as_the_serializer_reads_it(string value, SmtpDaneMode expected)
    {
        WriteRaw("{\"SchemaVersion\":1,\"Connectors\":[{\"Name\":\"A\",\"Guid\":\"5b0b1f5e-9d7e-4c39-b3c8-3f2a5f3d9e01\",\"SmtpDaneMode\":" + value + "}]}");
        Assert.Equal(expected, Assert.Single(NewStore().GetConnectors()).SmtpDaneMode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{\"Connectors\":[]}")]
    [InlineData("{\"SchemaVersion\":\"1\",\"Connectors\":[]}")]
    [InlineData("{\"SchemaVersion\":1,\"Connectors\":[{\"Name\":\"A\",\"Guid\":\"5b0b1f5e-9d7e-4c39-b3c8-3f2a5f3d9e01\",\"RecipientDomains\":null}]}")]
    [InlineData("{\"SchemaVersion\":1,\"Connectors\":[{\"Name\":\"A\",\"Guid\":\"5b0b1f5e-9d7e-4c39-b3c8-3f2a5f3d9e01\",\"SmtpDaneMode\":\"Sometimes\"}]}")]
    [InlineData("{\"SchemaVersion\":1,\"Connectors\":[{\"Name\":\"A\",\"Guid\":\"5b0b1f5e-9d7e-4c39-b3c8-3f2a5f3d9e01\"},{\"Name\":\"a\",\"Guid\":\"5b0b1f5e-9d7e-4c39-b3c8-3f2a5f3d9e02\"}]}")]
    public void Structurally_invalid_documents_are_corrupt(string text)
    {
        WriteRaw(text);
        Assert.Equal("StoreCorrupt", Assert.Throws<EngineException>(() => NewStore().GetConnectors()).ErrorId);
        Assert.Equal(text, File.ReadAllText(StorePath));
    }

    [Fact]
    public void Newer_schema_is_refused_and_left_unchanged()
    {
        const string text = "{\"SchemaVersion\": 2, \"Connectors\": [], \"Future\": true}";
        WriteRaw(text);
        var store = NewStore();
        var ex = Assert.Throws<EngineException>(() => store.AddConnector(Partner("Contoso")));
        Assert.Equal("StoreSchemaTooNew", ex.ErrorId);
        Assert.Contains(StorePath, ex.Message, StringComparison.Ordinal);
        Assert.Equal(text, File.ReadAllText(StorePath));
    }

    [Fact]
    public void Store_file_is_private_to_its_owner_on_unix()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        NewStore().AddConnector(Partner("Contoso"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(StorePath));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(StorePath)!, "*.tmp"));
    }

    [Fact]
    public void Parallel_writers_from_many_threads_lose_nothing()
    {
        const int writers = 8;
        const int perWriter = 10;
        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
        {
            // Each writer has its own store object, as two processes would.
            var store = NewStore(TimeSpan.FromSeconds(60));
            for (int i = 0; i < perWriter; i++)
            {
                store.AddConnector(Partner($"W{w}-{i}", $"w{w}-{i}.example"));
            }
        });

        var names = NewStore().GetConnectors().Select(c => c.Name).ToHashSet();
        Assert.Equal(writers * perWriter, names.Count);
    }

    [Fact]
    public void A_held_lock_times_out_with_store_locked()
    {
        var store = NewStore(TimeSpan.FromMilliseconds(300));
        store.AddConnector(Partner("Contoso"));
        using (new FileStream(store.LockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var ex = Assert.Throws<EngineException>(() => store.AddConnector(Partner("Fabrikam")));
            Assert.Equal("StoreLocked", ex.ErrorId);
            Assert.Equal(EngineErrorKind.ResourceUnavailable, ex.Kind);
        }

        store.AddConnector(Partner("Fabrikam"));
        Assert.Equal(2, store.GetConnectors().Count);
    }

    [Fact]
    public void Default_path_comes_from_the_environment_variable()
    {
        string? before = Environment.GetEnvironmentVariable(ConnectorStore.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(ConnectorStore.EnvironmentVariable, StorePath);
            Assert.Equal(StorePath, ConnectorStore.DefaultPath());
            Environment.SetEnvironmentVariable(ConnectorStore.EnvironmentVariable, null);
            Assert.EndsWith(Path.Combine("DaneMtaSts", "store.json"), ConnectorStore.DefaultPath(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ConnectorStore.EnvironmentVariable, before);
        }
    }

    [Fact]
    public void Unwritable_folder_is_a_clear_error()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root")
        {
            // root writes through any mode bits; the check cannot be made.
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(StorePath)!);
        File.SetUnixFileMode(Path.GetDirectoryName(StorePath)!, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var ex = Assert.Throws<EngineException>(() => NewStore().AddConnector(Partner("Contoso")));
            Assert.Equal("StoreNotWritable", ex.ErrorId);
        }
        finally
        {
            File.SetUnixFileMode(Path.GetDirectoryName(StorePath)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void Path_under_a_file_is_not_writable()
    {
        // Works as root too: a regular file cannot hold a folder.
        Directory.CreateDirectory(_folder);
        string blocker = Path.Combine(_folder, "sub");
        File.WriteAllText(blocker, "not a folder");
        var ex = Assert.Throws<EngineException>(() => NewStore().AddConnector(Partner("Contoso")));
        Assert.Equal("StoreNotWritable", ex.ErrorId);
        Assert.Contains(StorePath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_written_by_an_older_version_with_cached_policies_still_reads_and_drops_them_at_the_next_change()
    {
        WriteRaw("""
            { "SchemaVersion": 1, "Connectors": [], "MtaStsPolicies": [ { "Domain": "a.example", "Id": "1", "PolicyText": "x", "FetchedUtc": "2026-01-01T00:00:00Z", "ExpiresUtc": "2026-01-02T00:00:00Z" } ] }
            """);
        var store = NewStore();
        Assert.Empty(store.GetConnectors());
        store.AddConnector(Partner("Contoso"));
        Assert.DoesNotContain("MtaStsPolicies", File.ReadAllText(StorePath), StringComparison.Ordinal);
    }

    [Fact]
    public void Enum_values_must_be_names()
    {
        WriteRaw("""
            { "SchemaVersion": 1, "Connectors": [ { "Name": "A", "Guid": "6b7b3d0e-5d2f-4c53-9f0e-2a8f4f1d7c11", "RecipientDomains": ["a.example"], "SmtpDaneMode": 1 } ] }
            """);
        Assert.Equal("StoreCorrupt", Assert.Throws<EngineException>(() => NewStore().GetConnectors()).ErrorId);
        WriteRaw("""
            { "SchemaVersion": 1, "Connectors": [ { "Name": "A", "Guid": "6b7b3d0e-5d2f-4c53-9f0e-2a8f4f1d7c11", "RecipientDomains": ["a.example"], "SmtpDaneMode": "Mandatory" } ] }
            """);
        Assert.Equal(SmtpDaneMode.Mandatory, NewStore().GetConnectors().Single().SmtpDaneMode);
    }

    [Fact]
    public async Task Waiting_for_the_store_lock_ends_when_cancelled()
    {
        var store = NewStore(lockTimeout: TimeSpan.FromMinutes(10));
        store.AddConnector(Partner("Contoso"));
        using var held = new FileStream(store.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        using var cancel = new CancellationTokenSource();
        Task attempt = Task.Run(() => store.AddConnector(Partner("Fabrikam"), cancel.Token));
        cancel.Cancel();
        // The lock stays held and the timeout is 10 minutes, so only the cancellation can end the wait
        // (the 2-minute WaitAsync is a hang guard: it fails with TimeoutException, not a cancellation).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attempt.WaitAsync(TimeSpan.FromMinutes(2)));
        Assert.Single(store.GetConnectors());
    }
}
