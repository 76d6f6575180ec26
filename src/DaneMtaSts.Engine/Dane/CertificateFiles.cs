using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace DaneMtaSts.Engine.Dane;

/// <summary>
/// Reads a certificate chain for offline judging: PEM with one or more CERTIFICATE blocks (file
/// order kept, other blocks such as keys skipped), or DER (one certificate, or several
/// concatenated). The first certificate is taken as the leaf, as a server would send it.
/// </summary>
public static class CertificateFiles
{
    /// <summary>Error id for unreadable or malformed certificate data.</summary>
    public const string InvalidCertificateFileErrorId = "InvalidCertificateFile";

    private const long MaxFileBytes = 4 * 1024 * 1024;
    private const int MaxCertificates = 64;

    /// <summary>Loads the chain from a file; throws <see cref="EngineException"/> (CertificateFileNotFound, InvalidCertificateFile, CertificateFileUnreadable).</summary>
    public static IReadOnlyList<X509Certificate2> LoadChain(string path)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new EngineException("CertificateFileNotFound", EngineErrorKind.ObjectNotFound, $"The certificate file '{path}' does not exist.", path);
            }

            if (info.Length > MaxFileBytes)
            {
                throw new EngineException(InvalidCertificateFileErrorId, EngineErrorKind.InvalidData, $"The certificate file '{path}' is larger than {MaxFileBytes / (1024 * 1024)} MiB.", path);
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new EngineException("CertificateFileUnreadable", EngineErrorKind.ReadError, $"The certificate file '{path}' cannot be read: {ex.Message}", path, ex);
        }

        try
        {
            return LoadChain(bytes);
        }
        catch (EngineException ex)
        {
            throw new EngineException(ex.ErrorId, ex.Kind, $"{path}: {ex.Message}", path, ex);
        }
    }

    /// <summary>Loads the chain from PEM or DER bytes; throws <see cref="EngineException"/> (InvalidCertificateFile).</summary>
    public static IReadOnlyList<X509Certificate2> LoadChain(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw Invalid("The certificate data is empty.");
        }

        var chain = LooksLikePem(data) ? LoadPem(Encoding.ASCII.GetString(data)) : LoadDer(data);
        if (chain.Count == 0)
        {
            throw Invalid("No certificate was found (expected PEM '-----BEGIN CERTIFICATE-----' blocks or DER).");
        }

        return chain;
    }

    private static bool LooksLikePem(ReadOnlySpan<byte> data) =>
        data.IndexOf("-----BEGIN "u8) >= 0;

    private static List<X509Certificate2> LoadPem(string text)
    {
        var chain = new List<X509Certificate2>();
        ReadOnlySpan<char> rest = text;
        while (PemEncoding.TryFind(rest, out PemFields fields))
        {
            ReadOnlySpan<char> label = rest[fields.Label];
            if (label.SequenceEqual("CERTIFICATE") || label.SequenceEqual("X509 CERTIFICATE"))
            {
                byte[] der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out int written))
                {
                    throw Invalid($"PEM certificate block {chain.Count + 1} is not valid base64.");
                }

                chain.Add(LoadOne(der.AsSpan(0, written), chain.Count + 1));
                if (chain.Count > MaxCertificates)
                {
                    throw Invalid($"More than {MaxCertificates} certificates.");
                }
            }

            rest = rest[fields.Location.End..];
        }

        if (chain.Count == 0 && text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            throw Invalid("The PEM CERTIFICATE block is malformed (missing END line or bad base64).");
        }

        return chain;
    }

    private static List<X509Certificate2> LoadDer(ReadOnlySpan<byte> data)
    {
        var chain = new List<X509Certificate2>();
        int offset = 0;
        while (offset < data.Length)
        {
            int length;
            try
            {
                AsnDecoder.ReadEncodedValue(data[offset..], AsnEncodingRules.DER, out _, out _, out length);
            }
            catch (AsnContentException ex)
            {
                throw Invalid($"The data is neither PEM nor DER: certificate {chain.Count + 1} does not decode ({ex.Message}).");
            }

            chain.Add(LoadOne(data.Slice(offset, length), chain.Count + 1));
            if (chain.Count > MaxCertificates)
            {
                throw Invalid($"More than {MaxCertificates} certificates.");
            }

            offset += length;
        }

        return chain;
    }

    private static X509Certificate2 LoadOne(ReadOnlySpan<byte> der, int position)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException ex)
        {
            throw Invalid($"Certificate {position} is not a valid X.509 certificate ({ex.Message}).");
        }
    }

    private static EngineException Invalid(string message) =>
        new(InvalidCertificateFileErrorId, EngineErrorKind.InvalidData, message);
}
