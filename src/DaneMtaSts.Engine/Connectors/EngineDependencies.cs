namespace DaneMtaSts.Engine.Connectors;

/// <summary>
/// The versions of the third-party assemblies the engine bound to. Touching one type of each makes
/// the runtime load them, so a caller (the isolation test, a support script) sees which copies the
/// private load context supplied, whatever else the session has loaded.
/// </summary>
public static class EngineDependencies
{
    public static IReadOnlyDictionary<string, string> LoadedVersions()
    {
        Type[] probes = [typeof(MailKit.Net.Smtp.SmtpClient), typeof(MimeKit.MimeMessage), typeof(Org.BouncyCastle.Crypto.Digests.Sha256Digest)];
        return probes.ToDictionary(
            t => t.Assembly.GetName().Name!,
            t => t.Assembly.GetName().Version?.ToString() ?? "unknown",
            StringComparer.Ordinal);
    }
}
