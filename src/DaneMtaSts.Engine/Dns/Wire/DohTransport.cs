using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Pkix;

namespace DaneMtaSts.Engine.Dns.Wire;

/// <summary>
/// DNS over HTTPS (RFC 8484): each query is POSTed as <c>application/dns-message</c> with ID 0
/// (§4.1, so HTTP caches could share answers; the response's ID is put back to the caller's), over
/// HTTP/2 when the server offers it, else HTTP/1.1. The server's certificate must chain to the system
/// roots or the extra roots of <see cref="PkixTrust"/> (the ones -TrustedRootCertificate loads for
/// MTA-STS) and name the host of the URL, or, for an IP literal, carry that address as an IP SAN.
/// The host name is resolved by the system resolver: the DoH server is how this run reaches DNS, so
/// it cannot be found through itself. No redirects, no cookies, no proxy; a response is 200 with
/// <c>application/dns-message</c> and at most 65535 bytes, and one exchange takes at most
/// <see cref="Timeout"/>. One instance owns one connection pool; dispose it with the run.
/// </summary>
public sealed class DohTransport : IDnsWireTransport, IDisposable
{
    public const string MediaType = "application/dns-message";

    private readonly HttpClient _client;
    private readonly PkixTrust _trust;
    private readonly Lock _tlsLock = new();
    private string? _lastTlsFailure;

    public DohTransport(Uri endpoint, PkixTrust trust, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(trust);
        if (!TryValidateEndpoint(endpoint, out string? error))
        {
            throw new ArgumentException(error, nameof(endpoint));
        }

        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
        }

        Endpoint = endpoint;
        Timeout = timeout;
        _trust = trust;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None, // the size bound applies to what arrives
            ConnectTimeout = timeout,
            MaxResponseHeadersLength = 64,
            MaxConnectionsPerServer = 4,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            SslOptions = new SslClientAuthenticationOptions
            {
                // As for MTA-STS: revocation is not checked, so the answer does not depend on OCSP reachability.
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = ValidateServerCertificate,
            },
        };
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    public Uri Endpoint { get; }

    public TimeSpan Timeout { get; }

    public string Server => Endpoint.ToString();

    /// <summary>True for an absolute https URL with a host, no user info and no fragment.</summary>
    public static bool TryValidateEndpoint(Uri endpoint, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme != Uri.UriSchemeHttps)
        {
            error = $"'{endpoint}' is not an https URL; DNS over HTTPS needs https://host[:port]/path (RFC 8484).";
            return false;
        }

        if (string.IsNullOrEmpty(endpoint.Host) || endpoint.UserInfo.Length > 0 || endpoint.Fragment.Length > 0)
        {
            error = $"'{endpoint}' must name a host and have no user name or fragment.";
            return false;
        }

        error = null;
        return true;
    }

    public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> question = WireQuestion.Of(query);
        ushort callerId = WireQuestion.Id(query.Span);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Timeout);
        try
        {
            using var content = new ByteArrayContent(WireQuestion.WithId(query.Span, 0));
            content.Headers.ContentType = new MediaTypeHeaderValue(MediaType);
            using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint)
            {
                Content = content,
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaType));

            using HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, budget.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                string location = response.Headers.Location is { } loc ? $" to {loc}" : "";
                throw new DnsTransportException($"{Server} answered HTTP {status}{location}; redirects are not followed: give the final DoH URL.");
            }

            if (status != 200)
            {
                throw new DnsTransportException($"{Server} answered HTTP {status} {response.ReasonPhrase}; a DNS answer comes with 200 (RFC 8484 §4.2.1).");
            }

            string? mediaType = response.Content.Headers.ContentType?.MediaType;
            if (!string.Equals(mediaType, MediaType, StringComparison.OrdinalIgnoreCase))
            {
                string got = mediaType is null ? "no Content-Type" : $"Content-Type \"{mediaType}\"";
                throw new DnsTransportException($"{Server} answered with {got}, not {MediaType}: is the URL the DoH endpoint (usually /dns-query)?");
            }

            byte[] body = await ReadBoundedAsync(response, budget.Token).ConfigureAwait(false);
            if (!WireQuestion.Answers(body, 0, question.Span))
            {
                throw new DnsTransportException($"{Server} sent a DNS message that does not answer the query (another ID or question); it was discarded.");
            }

            BinaryPrimitives.WriteUInt16BigEndian(body, callerId);
            return body;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DnsTransportException(string.Create(CultureInfo.InvariantCulture, $"No answer from {Server} within {Timeout.TotalSeconds:0.#} s."));
        }
        catch (HttpRequestException ex)
        {
            throw new DnsTransportException(Describe(ex), ex);
        }
        catch (IOException ex)
        {
            throw new DnsTransportException($"The connection to {Server} broke while the answer was being read: {ex.Message}", ex);
        }
    }

    public void Dispose() => _client.Dispose();

    private async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        const int max = UdpTcpTransport.MaxMessageBytes;
        if (response.Content.Headers.ContentLength is long announced && announced > max)
        {
            throw new DnsTransportException($"{Server} announces an answer of {announced} bytes; a DNS message has at most {max}.");
        }

        byte[] buffer = new byte[max + 1];
        int total = 0;
        Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            while (total < buffer.Length)
            {
                int read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }

        if (total > max)
        {
            throw new DnsTransportException($"{Server} sent more than {max} bytes; a DNS message has at most {max}.");
        }

        return buffer[..total];
    }

    private string Describe(HttpRequestException ex)
    {
        string? tls;
        lock (_tlsLock)
        {
            tls = _lastTlsFailure;
        }

        if (tls is not null && (ex.HttpRequestError == HttpRequestError.SecureConnectionError || ex.InnerException is AuthenticationException))
        {
            return $"The certificate of DoH server {Server} is not accepted: {tls}";
        }

        Exception innermost = ex;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return ex.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => $"The host of DoH server {Server} could not be resolved by the system resolver: {innermost.Message}",
            HttpRequestError.SecureConnectionError => $"The TLS handshake with DoH server {Server} failed: {innermost.Message}",
            HttpRequestError.ConnectionError => $"The connection to DoH server {Server} failed: {innermost.Message}",
            _ => $"The request to DoH server {Server} failed ({ex.HttpRequestError}): {innermost.Message}",
        };
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        string host = Endpoint.IdnHost;
        string? failure = Check(certificate, chain, host);
        lock (_tlsLock)
        {
            _lastTlsFailure = failure;
        }

        return failure is null;
    }

    /// <summary>Null when the certificate is acceptable for <paramref name="host"/>, else why not.</summary>
    private string? Check(X509Certificate? certificate, X509Chain? chain, string host)
    {
        if (certificate is null)
        {
            return $"{host} presented no certificate.";
        }

        X509Certificate2 leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var served = new List<X509Certificate2> { leaf };
        if (chain is not null)
        {
            foreach (X509Certificate2 extra in chain.ChainPolicy.ExtraStore)
            {
                if (!extra.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                {
                    served.Add(extra);
                }
            }
        }

        PkixResult result = PkixValidator.Validate(served, host, _trust, DateTimeOffset.UtcNow);

        // An IP literal is matched against the certificate's IP address SANs only (RFC 5280 §4.2.1.6;
        // RFC 6125 §1.7.2 leaves them out): a DNS-name SAN that happens to read "127.0.0.1" is no match.
        if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address))
        {
            if (!result.Valid && result.Failure != PkixFailure.NameMismatch)
            {
                return result.Detail;
            }

            return HasIpSan(leaf, address) ? null : $"The certificate of {host} is trusted but has no IP address SAN {address}.";
        }

        return result.Valid ? null : result.Detail;
    }

    private static bool HasIpSan(X509Certificate2 leaf, IPAddress address)
    {
        foreach (X509Extension extension in leaf.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san && san.EnumerateIPAddresses().Any(a => a.Equals(address)))
            {
                return true;
            }
        }

        return false;
    }
}
