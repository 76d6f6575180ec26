using System.Diagnostics;
using System.Text.Json;

namespace DaneMtaSts.Engine.Connectors;

/// <summary>
/// The store: one JSON file holding the connectors (the MTA-STS policy cache has its own file
/// beside it, <see cref="MtaStsPolicyCacheFile"/>).
/// Reads take no lock: every write replaces the file atomically (a temporary file in the same
/// folder, then a rename over the old one), so a reader sees the old or the new document, never half
/// of one. Every change is read-modify-write while holding an exclusive lock on a separate lock file,
/// so two processes changing connectors at the same time lose nothing.
/// A file that does not parse, or that a newer module wrote, is reported and never touched.
/// </summary>
public sealed class ConnectorStore
{
    /// <summary>The environment variable that points the module at a store file.</summary>
    public const string EnvironmentVariable = "DANEMTASTS_STORE";

    private const int LockPollMinMs = 5;
    private const int LockPollJitterMs = 15;

    private static readonly byte[] Utf8ByteOrderMark = [0xEF, 0xBB, 0xBF];

    // Source-generated metadata: the first read of a process costs no reflection (docs/architecture.md#store).
    private static StoreJsonContext Json => StoreJsonContext.Default;

    private static bool s_serializerWarm;

    private readonly TimeProvider _clock;

    public ConnectorStore(string path, TimeSpan? lockTimeout = null, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        LockPath = Path + ".lock";
        LockTimeout = lockTimeout ?? TimeSpan.FromSeconds(15);
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The store file.</summary>
    public string Path { get; }

    /// <summary>The lock file beside it (held open with FileShare.None while a change is made).</summary>
    public string LockPath { get; }

    /// <summary>How long a change waits for another process to release the lock.</summary>
    public TimeSpan LockTimeout { get; }

    /// <summary>$env:DANEMTASTS_STORE, else store.json in the per-user data folder of the OS.</summary>
    public static string DefaultPath()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return System.IO.Path.GetFullPath(fromEnvironment);
        }

        // LocalApplicationData: %LOCALAPPDATA% on Windows, $XDG_DATA_HOME or ~/.local/share on Linux,
        // ~/Library/Application Support on macOS.
        string root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(root))
        {
            throw new EngineException(
                "StoreLocationUnknown",
                EngineErrorKind.ResourceUnavailable,
                $"The per-user data folder of this system is unknown; set the environment variable {EnvironmentVariable} to the path of the store file.");
        }

        return System.IO.Path.Combine(root, "DaneMtaSts", "store.json");
    }

    /// <summary>The store named by <see cref="DefaultPath"/>.</summary>
    public static ConnectorStore OpenDefault() => new(DefaultPath());

    // ---------------------------------------------------------------- connectors

    /// <summary>Every connector, in the order they were created.</summary>
    public IReadOnlyList<OutboundConnector> GetConnectors() => Read().Connectors;

    /// <summary>The connector an identity names, or null.</summary>
    public OutboundConnector? FindConnector(ConnectorIdentity identity) => identity.FindIn(Read().Connectors);

    /// <summary>The connector an identity names; ConnectorNotFound when there is none.</summary>
    public OutboundConnector GetConnector(ConnectorIdentity identity) => Require(Read(), identity);

    /// <summary>The connector a New- call would create, checked against the store but not written (-WhatIf).</summary>
    public OutboundConnector PreviewNewConnector(ConnectorChanges changes) => ComputeNew(Read(), changes, _clock.GetUtcNow().UtcDateTime);

    /// <summary>The connector as a Set- call would leave it, checked but not written (-WhatIf).</summary>
    public OutboundConnector PreviewUpdateConnector(ConnectorIdentity identity, ConnectorChanges changes) =>
        ComputeUpdate(Read(), identity, changes, _clock.GetUtcNow().UtcDateTime).Updated;

    /// <summary>Creates a connector; ConnectorAlreadyExists when the name is taken.</summary>
    public OutboundConnector AddConnector(ConnectorChanges changes, CancellationToken cancellationToken = default) => Update(doc =>
    {
        OutboundConnector created = ComputeNew(doc, changes, _clock.GetUtcNow().UtcDateTime);
        doc.Connectors.Add(created);
        return created;
    }, cancellationToken);

    /// <summary>Changes the given properties of a connector and validates the result as a whole.</summary>
    public OutboundConnector UpdateConnector(ConnectorIdentity identity, ConnectorChanges changes, CancellationToken cancellationToken = default) => Update(doc =>
    {
        var (index, updated) = ComputeUpdate(doc, identity, changes, _clock.GetUtcNow().UtcDateTime);
        doc.Connectors[index] = updated;
        return updated;
    }, cancellationToken);

    /// <summary>Removes a connector and returns it; ConnectorNotFound when there is none.</summary>
    public OutboundConnector RemoveConnector(ConnectorIdentity identity, CancellationToken cancellationToken = default) => Update(doc =>
    {
        OutboundConnector existing = Require(doc, identity);
        doc.Connectors.Remove(existing);
        return existing;
    }, cancellationToken);

    private static OutboundConnector ComputeNew(StoreDocument doc, ConnectorChanges changes, DateTime nowUtc)
    {
        OutboundConnector created = ConnectorRules.CreateNew(changes, Guid.NewGuid(), nowUtc);
        EnsureNameFree(doc, created.Name, except: null);
        return created;
    }

    private static (int Index, OutboundConnector Updated) ComputeUpdate(StoreDocument doc, ConnectorIdentity identity, ConnectorChanges changes, DateTime nowUtc)
    {
        OutboundConnector existing = Require(doc, identity);
        OutboundConnector updated = ConnectorRules.Apply(existing, changes, nowUtc);
        EnsureNameFree(doc, updated.Name, except: existing.Guid);
        return (doc.Connectors.IndexOf(existing), updated);
    }

    private static OutboundConnector Require(StoreDocument doc, ConnectorIdentity identity) =>
        identity.FindIn(doc.Connectors) ?? throw new EngineException(
            "ConnectorNotFound",
            EngineErrorKind.ObjectNotFound,
            $"The outbound connector '{identity}' was not found.",
            identity.ToString());

    private static void EnsureNameFree(StoreDocument doc, string name, Guid? except)
    {
        if (doc.Connectors.Any(c => c.Guid != except && string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new EngineException(
                "ConnectorAlreadyExists",
                EngineErrorKind.ResourceExists,
                $"An outbound connector named '{name}' already exists (names are compared without regard to case).",
                name);
        }
    }

    // ---------------------------------------------------------------- the document

    /// <summary>The current document; an empty one when the file does not exist.</summary>
    public StoreDocument Read()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path);
        }
        catch (FileNotFoundException)
        {
            return new StoreDocument();
        }
        catch (DirectoryNotFoundException)
        {
            return new StoreDocument();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EngineException("StoreReadFailed", EngineErrorKind.ReadError, $"The store '{Path}' cannot be read: {ex.Message}", Path, ex);
        }

        return Parse(bytes);
    }

    /// <summary>
    /// Runs <paramref name="mutate"/> on the current document under the exclusive lock and writes the
    /// result atomically. When <paramref name="mutate"/> throws, nothing is written. Waiting for the
    /// lock ends with an OperationCanceledException as soon as <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public T Update<T>(Func<StoreDocument, T> mutate, CancellationToken cancellationToken = default)
    {
        WarmUpSerializerOnce();
        using FileStream lockStream = AcquireLock(cancellationToken);
        RemoveOrphanedTempFiles();
        StoreDocument doc = Read();
        T result = mutate(doc);
        Write(doc);
        return result;
    }

    /// <summary>
    /// The first write of a process builds the serializer's metadata and compiles its code, which on a
    /// busy machine takes far longer than the write itself. Every pwsh command is such a first write; done
    /// under the lock, eight commands started together held it for seconds each, queued one behind the
    /// other, and the last ones ran into StoreLocked. So the first change of a process serializes the
    /// current document once, unlocked, to nowhere.
    /// </summary>
    private void WarmUpSerializerOnce()
    {
        if (Volatile.Read(ref s_serializerWarm))
        {
            return;
        }

        try
        {
            JsonSerializer.Serialize(Stream.Null, Read(), Json.StoreDocument);
        }
        catch (EngineException)
        {
            // Unreadable now: the locked read reports it.
        }

        Volatile.Write(ref s_serializerWarm, true);
    }

    private StoreDocument Parse(byte[] bytes)
    {
        // A UTF-8 byte order mark is what Notepad and Windows PowerShell 5.1 (Set-Content -Encoding UTF8)
        // put before a file they save; RFC 8259 §8.1 lets a parser ignore it, and the JSON reader does not.
        // Without this a store edited by hand on Windows read as corrupt.
        ReadOnlyMemory<byte> json = bytes.AsSpan().StartsWith(Utf8ByteOrderMark) ? bytes.AsMemory(Utf8ByteOrderMark.Length) : bytes;
        using JsonDocument parsed = ParseJson(json);
        JsonElement root = parsed.RootElement;
        if (root.ValueKind != JsonValueKind.Object ||
            !root.TryGetProperty(nameof(StoreDocument.SchemaVersion), out JsonElement v) ||
            v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int version) || version < 1)
        {
            throw Corrupt("it has no valid SchemaVersion", null);
        }

        if (version > StoreDocument.CurrentSchemaVersion)
        {
            throw new EngineException(
                "StoreSchemaTooNew",
                EngineErrorKind.InvalidData,
                $"The store '{Path}' has schema version {version}, written by a newer DaneMtaSts; this version reads up to {StoreDocument.CurrentSchemaVersion}. Update the module; the file was left unchanged.",
                Path);
        }

        // Read by hand from the parsed document, not by the serializer: the same rules
        // (docs/architecture.md#store-read), without the serializer's start-up cost.
        StoreDocument doc;
        try
        {
            doc = StoreDocumentReader.Read(root);
        }
        catch (JsonException ex)
        {
            throw Corrupt(ex.Message, ex);
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var guids = new HashSet<Guid>();
        foreach (OutboundConnector c in doc.Connectors)
        {
            if (c is null || string.IsNullOrWhiteSpace(c.Name) || c.Guid == Guid.Empty)
            {
                throw Corrupt("a connector has no name or no GUID", null);
            }

            if (!names.Add(c.Name) || !guids.Add(c.Guid))
            {
                throw Corrupt($"the connector name or GUID of '{c.Name}' appears twice", null);
            }
        }

        return doc;
    }

    private JsonDocument ParseJson(ReadOnlyMemory<byte> json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw Corrupt(ex.Message, ex);
        }
    }

    private EngineException Corrupt(string why, Exception? inner) => new(
        "StoreCorrupt",
        EngineErrorKind.ReadError,
        $"The store '{Path}' is not a valid DaneMtaSts store ({why}). It was left unchanged; repair or move it, or point {EnvironmentVariable} at another file.",
        Path,
        inner);

    private string TempFilePattern => $".{System.IO.Path.GetFileName(Path)}.*.tmp";

    private void Write(StoreDocument doc)
    {
        doc.SchemaVersion = StoreDocument.CurrentSchemaVersion;
        try
        {
            StoreFiles.WriteAtomically(Path, TempFilePattern, stream => JsonSerializer.Serialize(stream, doc, Json.StoreDocument));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw NotWritable(ex);
        }
    }

    /// <summary>
    /// Deletes the temporary files of writers that died before their rename (killed, power lost).
    /// Must be called with the lock held: a temporary file is only ever created under the lock, so any
    /// that exists while this process holds it belongs to a writer that is gone. Without this every
    /// crash inside a write left a copy of the store behind, for good.
    /// </summary>
    private void RemoveOrphanedTempFiles()
    {
        string folder = System.IO.Path.GetDirectoryName(Path)!;
        string[] orphans;
        try
        {
            orphans = Directory.GetFiles(folder, TempFilePattern);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        // Only names this class makes (a GUID in "N" form in the middle): a file the user named alike stays.
        string prefix = $".{System.IO.Path.GetFileName(Path)}.";
        foreach (string orphan in orphans)
        {
            string name = System.IO.Path.GetFileName(orphan);
            string middle = name.Length > prefix.Length + 4 ? name[prefix.Length..^4] : string.Empty;
            if (middle.Length == 32 && Guid.TryParseExact(middle, "N", out _))
            {
                StoreFiles.TryDelete(orphan);
            }
        }
    }

    private FileStream AcquireLock(CancellationToken cancellationToken)
    {
        // Without file locking the lock file locks nothing and two writers silently overwrite each
        // other's changes, so a change is refused rather than made unprotected.
        if (StoreFiles.FileLockingDisabled())
        {
            throw new EngineException(
                "StoreLockingDisabled",
                EngineErrorKind.ResourceUnavailable,
                $"File locking is turned off in this process (DOTNET_SYSTEM_IO_DISABLEFILELOCKING or the System.IO.DisableFileLocking switch), so a change to the store '{Path}' could overwrite another process's change. Nothing was written; run DaneMtaSts without that setting.",
                Path);
        }

        var watch = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                StoreFiles.EnsureFolder(Path);
                if (StoreFiles.TryLock(LockPath) is { } held)
                {
                    return held;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw NotWritable(ex);
            }

            if (watch.Elapsed >= LockTimeout)
            {
                throw new EngineException(
                    "StoreLocked",
                    EngineErrorKind.ResourceUnavailable,
                    $"The store '{Path}' stayed locked by another process for {LockTimeout.TotalSeconds:0} seconds (lock file '{LockPath}'). Try again when the other DaneMtaSts command has finished.",
                    Path);
            }

            // Poll at a short, steady interval, with jitter so that waiting processes do not retry in
            // step. Not a growing back-off: a writer that had waited long then polled rarely and lost
            // every race to writers that had just arrived, so under steady load (8 processes writing)
            // it starved until StoreLocked although the store was free most of the time. The wait
            // ends at once on Ctrl+C.
            cancellationToken.WaitHandle.WaitOne(LockPollMinMs + Random.Shared.Next(0, LockPollJitterMs));
        }
    }

    private EngineException NotWritable(Exception ex) => new(
        "StoreNotWritable",
        EngineErrorKind.WriteError,
        $"The store '{Path}' cannot be written: {ex.Message} Point {EnvironmentVariable} at a file in a folder you can write to.",
        Path,
        ex);
}
