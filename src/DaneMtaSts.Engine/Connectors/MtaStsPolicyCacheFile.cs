using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using DaneMtaSts.Engine.MtaSts;

namespace DaneMtaSts.Engine.Connectors;

/// <summary>The MTA-STS policy cache file as one JSON document.</summary>
public sealed class MtaStsPolicyCacheDocument
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; set; } = CurrentSchemaVersion;

    public List<MtaStsCachedPolicy> Policies { get; set; } = [];
}

/// <summary>
/// The MTA-STS policy cache (RFC 8461 §5.1) in its own file beside the connector store, so that a
/// policy survives between commands and sessions without a dry run ever touching the store.
/// One instance serves one call: the file is read once (at the first lookup) and this call's
/// changes are written once, by <see cref="Save"/>, under the cache's own lock, merged over what
/// other processes wrote meanwhile. A cache that cannot be read or written is never a failed dry
/// run: the reason is queued in <see cref="DrainWarnings"/> and the call goes on without it.
/// Entries are keyed by the normalised policy domain; expiry is the caller's decision.
/// </summary>
public sealed class MtaStsPolicyCacheFile : IMtaStsPolicyCache
{
    /// <summary>A larger file is not read (it cannot be this module's: one entry is well under 1 KB).</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    private const int LockPollMs = 10;

    private readonly object _gate = new();
    private readonly ConcurrentQueue<string> _warnings = new();
    private Dictionary<string, MtaStsCachedPolicy>? _entries;

    // This call's changes, in order of the last change per domain: a value sets, null removes.
    private readonly Dictionary<string, MtaStsCachedPolicy?> _changes = new(StringComparer.Ordinal);

    public MtaStsPolicyCacheFile(string path, TimeSpan? lockTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        LockPath = Path + ".lock";
        LockTimeout = lockTimeout ?? TimeSpan.FromSeconds(5);
    }

    /// <summary>The cache file: "&lt;store name&gt;.mta-sts-cache.json" in the store's folder.</summary>
    public string Path { get; }

    /// <summary>Its lock file (held only while <see cref="Save"/> or <see cref="Clear"/> write).</summary>
    public string LockPath { get; }

    /// <summary>How long <see cref="Save"/> waits for another process's write before giving up with a warning.</summary>
    public TimeSpan LockTimeout { get; }

    /// <summary>The cache file that belongs to a connector store file.</summary>
    public static string PathBeside(string storePath)
    {
        string full = System.IO.Path.GetFullPath(storePath);
        return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full)!, System.IO.Path.GetFileNameWithoutExtension(full) + ".mta-sts-cache.json");
    }

    /// <summary>The cache beside the default connector store.</summary>
    public static MtaStsPolicyCacheFile OpenDefault() => new(PathBeside(ConnectorStore.DefaultPath()));

    /// <summary>True when this call changed the cache and <see cref="Save"/> has something to write.</summary>
    public bool HasChanges
    {
        get
        {
            lock (_gate)
            {
                return _changes.Count > 0;
            }
        }
    }

    public MtaStsCachedPolicy? Get(string domain)
    {
        string key = DomainName.Normalize(domain);
        lock (_gate)
        {
            return Loaded().GetValueOrDefault(key);
        }
    }

    public void Put(MtaStsCachedPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var entry = policy with { Domain = DomainName.Normalize(policy.Domain) };
        lock (_gate)
        {
            Loaded()[entry.Domain] = entry;
            _changes[entry.Domain] = entry;
        }
    }

    public void Remove(string domain)
    {
        string key = DomainName.Normalize(domain);
        lock (_gate)
        {
            Loaded().Remove(key);
            _changes[key] = null;
        }
    }

    /// <summary>Every entry as the file holds it now (read afresh), in domain order; unreadable: empty, with a warning.</summary>
    public IReadOnlyList<MtaStsCachedPolicy> ReadAll()
    {
        var (entries, warning) = ReadFile();
        if (warning is not null)
        {
            _warnings.Enqueue(warning);
        }

        return entries.Values.OrderBy(e => e.Domain, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Writes this call's changes, merged over the file as it is now, under the lock. Returns false
    /// (and queues a warning) when the file could not be written; an OperationCanceledException when
    /// <paramref name="cancellationToken"/> is cancelled while waiting for the lock.
    /// </summary>
    public bool Save(CancellationToken cancellationToken = default)
    {
        KeyValuePair<string, MtaStsCachedPolicy?>[] changes;
        lock (_gate)
        {
            changes = [.. _changes];
        }

        if (changes.Length == 0)
        {
            return true;
        }

        bool saved = Rewrite(entries =>
        {
            foreach (var (domain, entry) in changes)
            {
                if (entry is null)
                {
                    entries.Remove(domain);
                }
                else
                {
                    entries[domain] = entry;
                }
            }

            return true;
        }, cancellationToken);
        if (saved)
        {
            lock (_gate)
            {
                foreach (var (domain, entry) in changes)
                {
                    // A later change of the same domain (made while saving) stays to be saved.
                    if (_changes.TryGetValue(domain, out var now) && ReferenceEquals(now, entry))
                    {
                        _changes.Remove(domain);
                    }
                }
            }
        }

        return saved;
    }

    /// <summary>Removes the entries whose domain <paramref name="match"/> accepts; returns them (empty when none matched or the file could not be written).</summary>
    public IReadOnlyList<MtaStsCachedPolicy> Clear(Func<MtaStsCachedPolicy, bool> match, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(match);
        var removed = new List<MtaStsCachedPolicy>();
        bool saved = Rewrite(entries =>
        {
            foreach (MtaStsCachedPolicy entry in entries.Values.Where(match).ToList())
            {
                entries.Remove(entry.Domain);
                removed.Add(entry);
            }

            return removed.Count > 0;
        }, cancellationToken);
        lock (_gate)
        {
            if (saved && _entries is not null)
            {
                foreach (MtaStsCachedPolicy entry in removed)
                {
                    _entries.Remove(entry.Domain);
                }
            }
        }

        return saved ? removed.OrderBy(e => e.Domain, StringComparer.Ordinal).ToList() : [];
    }

    /// <summary>The warnings queued since the last call (unreadable or unwritable cache), oldest first.</summary>
    public IReadOnlyList<string> DrainWarnings()
    {
        var list = new List<string>();
        while (_warnings.TryDequeue(out string? w))
        {
            list.Add(w);
        }

        return list;
    }

    private Dictionary<string, MtaStsCachedPolicy> Loaded()
    {
        if (_entries is null)
        {
            var (entries, warning) = ReadFile();
            if (warning is not null)
            {
                _warnings.Enqueue(warning + " This run uses no cached MTA-STS policy.");
            }

            _entries = entries;
        }

        return _entries;
    }

    private (Dictionary<string, MtaStsCachedPolicy> Entries, string? Warning) ReadFile()
    {
        var entries = new Dictionary<string, MtaStsCachedPolicy>(StringComparer.Ordinal);
        byte[] bytes;
        try
        {
            using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length > MaxFileBytes)
            {
                return (entries, $"The MTA-STS policy cache '{Path}' is larger than {MaxFileBytes / (1024 * 1024)} MB and was not read.");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return (entries, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (entries, $"The MTA-STS policy cache '{Path}' cannot be read: {ex.Message}");
        }

        try
        {
            MtaStsPolicyCacheDocument? doc = JsonSerializer.Deserialize(bytes, StoreJsonContext.Default.MtaStsPolicyCacheDocument);
            if (doc is null || doc.SchemaVersion < 1 || doc.SchemaVersion > MtaStsPolicyCacheDocument.CurrentSchemaVersion)
            {
                return (entries, $"The MTA-STS policy cache '{Path}' is not one this version reads (schema {doc?.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}); it is replaced at the next save.");
            }

            foreach (MtaStsCachedPolicy entry in doc.Policies)
            {
                if (entry is not null && DomainName.TryNormalize(entry.Domain, out string? key, out _))
                {
                    entries[key] = entry with { Domain = key };
                }
            }

            return (entries, null);
        }
        catch (JsonException ex)
        {
            return (entries, $"The MTA-STS policy cache '{Path}' is not valid ({ex.Message}); it is replaced at the next save.");
        }
    }

    // Read-modify-write under the cache's lock; false (with a warning) when it cannot be done.
    private bool Rewrite(Func<Dictionary<string, MtaStsCachedPolicy>, bool> change, CancellationToken cancellationToken)
    {
        if (StoreFiles.FileLockingDisabled())
        {
            _warnings.Enqueue($"File locking is turned off in this process: the MTA-STS policy cache '{Path}' was not saved.");
            return false;
        }

        try
        {
            StoreFiles.EnsureFolder(Path);
            var watch = Stopwatch.StartNew();
            FileStream? held;
            while ((held = StoreFiles.TryLock(LockPath)) is null)
            {
                if (watch.Elapsed >= LockTimeout)
                {
                    _warnings.Enqueue($"The MTA-STS policy cache '{Path}' stayed locked by another process for {LockTimeout.TotalSeconds:0} seconds; this run's cache changes were not saved.");
                    return false;
                }

                cancellationToken.WaitHandle.WaitOne(LockPollMs);
                cancellationToken.ThrowIfCancellationRequested();
            }

            using (held)
            {
                // Only the entries as other processes left them: a damaged file is started afresh.
                var (entries, _) = ReadFile();
                if (!change(entries))
                {
                    return true;
                }

                var doc = new MtaStsPolicyCacheDocument { Policies = [.. entries.Values.OrderBy(e => e.Domain, StringComparer.Ordinal)] };
                string tempPattern = $".{System.IO.Path.GetFileName(Path)}.*.tmp";
                StoreFiles.WriteAtomically(Path, tempPattern, stream => JsonSerializer.Serialize(stream, doc, StoreJsonContext.Default.MtaStsPolicyCacheDocument));
                return true;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _warnings.Enqueue($"The MTA-STS policy cache '{Path}' cannot be written: {ex.Message} This run's cache changes were not saved.");
            return false;
        }
    }
}
