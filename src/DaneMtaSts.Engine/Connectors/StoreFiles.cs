namespace DaneMtaSts.Engine.Connectors;

/// <summary>
/// What the connector store and the MTA-STS policy cache file share: owner-only files, an exclusive
/// lock file, and atomic replacement (a temporary file in the same folder, then a rename).
/// </summary>
internal static class StoreFiles
{
    private const int SharingViolation = 32;
    private const int LockViolation = 33;

    /// <summary>Owner-only (0600 on Unix) file options with FileShare.None.</summary>
    public static FileStreamOptions PrivateFileOptions(FileMode mode, FileAccess access)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // The store and the cache name partner domains and hosts: readable by their owner only.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }

    /// <summary>Creates the folder of <paramref name="path"/> (owner-only on Unix) when it is missing.</summary>
    public static void EnsureFolder(string path)
    {
        string folder = Path.GetDirectoryName(path)!;
        if (Directory.Exists(folder))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>
    /// The lock file held open with FileShare.None, or null when another process holds it now. Other
    /// I/O failures are thrown.
    /// </summary>
    public static FileStream? TryLock(string lockPath)
    {
        try
        {
            return new FileStream(lockPath, PrivateFileOptions(FileMode.OpenOrCreate, FileAccess.ReadWrite));
        }
        catch (IOException ex) when (IsContention(ex))
        {
            return null;
        }
    }

    /// <summary>
    /// On Unix .NET takes the lock behind FileShare.None with flock(2), unless file locking is turned off
    /// for the process (the System.IO.DisableFileLocking switch or DOTNET_SYSTEM_IO_DISABLEFILELOCKING,
    /// meant for file systems without locks). Then a lock file locks nothing.
    /// Windows enforces FileShare in the kernel, whatever the switch says.
    /// </summary>
    public static bool FileLockingDisabled()
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        if (AppContext.TryGetSwitch("System.IO.DisableFileLocking", out bool disabled))
        {
            return disabled;
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING");
        return fromEnvironment is not null &&
            (fromEnvironment == "1" || fromEnvironment.Equals("true", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Writes <paramref name="path"/> through a temporary file named by <paramref name="tempPattern"/>
    /// (one '*', replaced by a GUID) in the same folder, flushed to disk, then renamed over the old file.
    /// The temporary file is deleted when anything fails.
    /// </summary>
    public static void WriteAtomically(string path, string tempPattern, Action<Stream> write)
    {
        string folder = Path.GetDirectoryName(path)!;
        string temp = Path.Combine(folder, tempPattern.Replace("*", Guid.NewGuid().ToString("N"), StringComparison.Ordinal));
        try
        {
            using (var stream = new FileStream(temp, PrivateFileOptions(FileMode.CreateNew, FileAccess.Write)))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            // The rename is the commit point: before it the old file is intact, after it the new one is complete.
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary file is harmless: it is never read.
        }
    }

    // Windows reports ERROR_SHARING_VIOLATION / ERROR_LOCK_VIOLATION in the HResult. On Unix .NET
    // emulates FileShare.None with flock(LOCK_EX | LOCK_NB) and puts the raw errno in the HResult:
    // EWOULDBLOCK is 11 on Linux and 35 on macOS and the BSDs.
    private static bool IsContention(IOException ex) => OperatingSystem.IsWindows()
        ? (ex.HResult & 0xFFFF) is SharingViolation or LockViolation
        : ex.HResult == (OperatingSystem.IsLinux() ? 11 : 35);
}
