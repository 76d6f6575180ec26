using System.Management.Automation;
using DaneMtaSts.Shared;

namespace DaneMtaSts.Module.Infrastructure;

/// <summary>
/// Runs when PowerShell imports this assembly as the module's root module, before any cmdlet runs:
/// registers the private load context that serves the engine and its third-party dependencies from
/// the module's deps/ folder. This class must name no engine type: the engine can only be loaded
/// once the context is registered.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    public void OnImport()
    {
        string moduleFolder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
        LoadContext.Register(Path.Combine(moduleFolder, "deps"));
    }
}
