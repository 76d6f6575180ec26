using System.Reflection;
using System.Runtime.Loader;

namespace DaneMtaSts.Shared;

/// <summary>
/// The private load context of the module. The cmdlet assembly (DaneMtaSts.Module) lives in
/// PowerShell's default context so that scripts can name its types; the engine and its
/// third-party dependencies (MailKit, MimeKit, BouncyCastle) live here, so a session
/// that already loaded other versions of those libraries does not break the module, and the module
/// does not break that session.
/// </summary>
public sealed class LoadContext : AssemblyLoadContext
{
    private static readonly object Gate = new();
    private static LoadContext? _instance;

    private readonly string _dependencyFolder;

    private LoadContext(string dependencyFolder)
        : base(name: "DaneMtaSts", isCollectible: false)
    {
        _dependencyFolder = dependencyFolder;
    }

    /// <summary>The folder the private assemblies are loaded from, once registered.</summary>
    public static string? DependencyFolder => _instance?._dependencyFolder;

    /// <summary>
    /// Hooks the default context so that a request for the engine assembly is answered from the
    /// private context. Safe to call again (Import-Module -Force): the first registration stays,
    /// as an assembly loaded into a non-collectible context cannot be loaded twice.
    /// </summary>
    public static void Register(string dependencyFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(dependencyFolder);
        lock (Gate)
        {
            if (_instance is not null)
            {
                return;
            }

            _instance = new LoadContext(Path.GetFullPath(dependencyFolder));
            Default.Resolving += OnDefaultResolving;
        }
    }

    private static Assembly? OnDefaultResolving(AssemblyLoadContext context, AssemblyName name)
    {
        // Only the engine is handed over from the default context; its own references then bind
        // inside the private context through Load below.
        if (_instance is null || !string.Equals(name.Name, "DaneMtaSts.Engine", StringComparison.Ordinal))
        {
            return null;
        }

        return _instance.LoadFromFolder(name);
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // This assembly and the cmdlet assembly must keep one identity: defer to the default context.
        if (assemblyName.Name is null ||
            assemblyName.Name.StartsWith("DaneMtaSts.Shared", StringComparison.Ordinal) ||
            assemblyName.Name.StartsWith("DaneMtaSts.Module", StringComparison.Ordinal))
        {
            return null;
        }

        return LoadFromFolder(assemblyName);
    }

    private Assembly? LoadFromFolder(AssemblyName assemblyName)
    {
        string path = Path.Combine(_dependencyFolder, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
