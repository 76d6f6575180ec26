using DaneMtaSts.Engine.Connectors;

namespace DaneMtaSts.Module.Infrastructure;

/// <summary>
/// Support information from the default load context: which versions of MailKit, MimeKit
/// and BouncyCastle the engine uses (loaded privately, whatever else the session holds).
/// </summary>
public static class EngineDiagnostics
{
    public static IReadOnlyDictionary<string, string> GetDependencyVersions() => EngineDependencies.LoadedVersions();

    /// <summary>The store file the connector cmdlets use now.</summary>
    public static string GetStorePath() => ConnectorStore.DefaultPath();
}
