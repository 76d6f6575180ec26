using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace DaneMtaSts.Engine.Pkix;

public sealed partial record PkixTrust
{
    private const string PemCertificateLabel = "-----BEGIN CERTIFICATE-----";

    /// <summary>
    /// Loads extra roots from files: PEM (any number of CERTIFICATE blocks) or one DER certificate.
    /// Throws <see cref="EngineException"/> (id InvalidCertificateFile) naming the file on bad input.
    /// </summary>
    public static PkixTrust FromFiles(IEnumerable<string> paths, bool useSystemRoots = true)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var roots = new List<X509Certificate2>();
        foreach (string path in paths)
        {
            roots.AddRange(LoadCertificates(path));
        }

        return new PkixTrust { ExtraRoots = roots, UseSystemRoots = useSystemRoots };
    }

    /// <summary>The certificates in one PEM or DER file.</summary>
    public static IReadOnlyList<X509Certificate2> LoadCertificates(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new EngineException("InvalidCertificateFile", EngineErrorKind.InvalidArgument, "The certificate file path is empty.", path);
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            var kind = ex is FileNotFoundException or DirectoryNotFoundException ? EngineErrorKind.ObjectNotFound : EngineErrorKind.ReadError;
            throw new EngineException("InvalidCertificateFile", kind, $"The certificate file '{path}' cannot be read: {ex.Message}", path, ex);
        }

        if (bytes.Length == 0)
        {
            throw Invalid(path, "it is empty", null);
        }

        string text = Encoding.ASCII.GetString(bytes);
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            if (!text.Contains(PemCertificateLabel, StringComparison.Ordinal))
            {
                throw Invalid(path, "it is PEM but holds no CERTIFICATE block (a key or a TRUSTED CERTIFICATE block is not accepted)", null);
            }

            var collection = new X509Certificate2Collection();
            try
            {
                collection.ImportFromPem(text);
            }
            catch (CryptographicException ex)
            {
                throw Invalid(path, $"a CERTIFICATE block does not decode ({ex.Message})", ex);
            }

            if (collection.Count == 0)
            {
                throw Invalid(path, "no certificate could be read from its PEM blocks", null);
            }

            return [.. collection];
        }

        try
        {
            return [X509CertificateLoader.LoadCertificate(bytes)];
        }
        catch (CryptographicException ex)
        {
            throw Invalid(path, $"it is neither PEM nor a DER X.509 certificate ({ex.Message})", ex);
        }
    }

    private static EngineException Invalid(string path, string why, Exception? inner) =>
        new("InvalidCertificateFile", EngineErrorKind.InvalidData, $"The certificate file '{path}' is not usable: {why}.", path, inner);
}
