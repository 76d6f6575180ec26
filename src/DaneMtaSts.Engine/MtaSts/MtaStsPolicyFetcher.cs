using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Pkix;

namespace DaneMtaSts.Engine.MtaSts;

/// <summary>
/// Fetches <c>https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt</c> as RFC 8461 §3.3 asks:
/// the name resolved through the engine's resolver (never the system's), SNI and a PKIX-valid
/// certificate for mta-sts.&lt;domain&gt;, no redirects, 200 only, text/plain, at most 64 KiB,
/// bounded in time, no HTTP caching. One instance owns one handler; create one per cmdlet call.
/// </summary>
public sealed class MtaStsPolicyFetcher : IDisposable
{
    /// <summary>RFC 8461 §3.3 lets senders limit the body; 64 KiB is the usual bound (postfix-tlspol, Stalwart).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly IDnsResolver _dns;
    private readonly HttpClient _client;

    // Per policy host: what the certificate callback and the connect callback saw, to explain a failure.
    private readonly ConcurrentDictionary<string, PkixResult> _tlsResults = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _connectedTo = new(StringComparer.OrdinalIgnoreCase);

    public MtaStsPolicyFetcher(IDnsResolver dns, MtaStsFetchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dns);
        _dns = dns;
        Options = options ?? new MtaStsFetchOptions();
        if (Options.Port is < 1 or > 65535)
        {
            throw new EngineException("InvalidPort", EngineErrorKind.InvalidArgument, $"The port {Options.Port} is not between 1 and 65535.", Options.Port);
        }

        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None, // the 64 KiB bound applies to what arrives
            UseProxy = Options.Proxy is not null,
            Proxy = Options.Proxy,
            ConnectCallback = ConnectAsync,
            ConnectTimeout = Options.Timeout,

            // Every fetch opens (and validates) its own connection.
            PooledConnectionLifetime = TimeSpan.Zero,
            MaxResponseHeadersLength = 64,
            SslOptions = new SslClientAuthenticationOptions
            {
                // Revocation is not checked: RFC 8461 does not ask for it, and the dry run must not depend on OCSP reachability.
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = ValidateServerCertificate,
            },
        };
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    public MtaStsFetchOptions Options { get; }

    /// <summary>The policy URL of a (normalised) domain, with the configured port.</summary>
    public Uri PolicyUrl(string domain) =>
        new UriBuilder(Uri.UriSchemeHttps, "mta-sts." + domain, Options.Port, "/.well-known/mta-sts.txt").Uri;

    /// <summary>Fetches and parses the policy of <paramref name="domain"/>. Never throws for network faults; throws OperationCanceledException when <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task<MtaStsFetchResult> FetchAsync(string domain, CancellationToken cancellationToken)
    {
        string normalized = DomainName.Normalize(domain);
        string policyHost = "mta-sts." + normalized;
        _tlsResults.TryRemove(policyHost, out _);
        _connectedTo.TryRemove(policyHost, out _);
        try
        {
            return await FetchCoreAsync(normalized, policyHost, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // The records explain this fetch's failure and are in its result: nothing is kept per
            // policy host once it ends, so a stream of 100,000 domains holds none of them
            // (docs/architecture.md#bounded-memory).
            _tlsResults.TryRemove(policyHost, out _);
            _connectedTo.TryRemove(policyHost, out _);
        }
    }

    /// <summary>Per-host records of fetches in progress (for tests of the memory bound).</summary>
    internal int RecordsHeld => _tlsResults.Count + _connectedTo.Count;

    private async Task<MtaStsFetchResult> FetchCoreAsync(string normalized, string policyHost, CancellationToken cancellationToken)
    {
        Uri url = PolicyUrl(normalized);
        var stopwatch = Stopwatch.StartNew();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.Timeout);

        int? status = null;
        string? contentType = null;
        string? raw = null;

        MtaStsFetchResult Result(MtaStsFetchFailure failure, string detail, MtaStsPolicy? policy = null) => new()
        {
            Domain = normalized,
            Url = url,
            Failure = failure,
            Detail = detail,
            Policy = policy,
            RawText = raw,
            StatusCode = status,
            ContentType = contentType,
            Pkix = _tlsResults.TryGetValue(policyHost, out PkixResult? pkix) ? pkix : null,
            RemoteAddress = _connectedTo.TryGetValue(policyHost, out string? address) ? address : null,
            Elapsed = stopwatch.Elapsed,
        };

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url)
            {
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            };

            // RFC 8461 §3.3: HTTP caching MUST NOT be used; also tell any proxy on the way.
            request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true, NoStore = true };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));

            using HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            contentType = response.Content.Headers.ContentType?.ToString();

            if (status is >= 300 and < 400)
            {
                string location = response.Headers.Location is { } loc ? $" to {loc}" : "";
                return Result(MtaStsFetchFailure.Redirect, $"{url} answered {status}{location}: redirects are not allowed (RFC 8461 §3.3); serve the policy directly with 200.");
            }

            if (status != 200)
            {
                return Result(MtaStsFetchFailure.HttpStatus, $"{url} answered HTTP {status} {response.ReasonPhrase}; only 200 is accepted (RFC 8461 §3.3).");
            }

            string? mediaType = response.Content.Headers.ContentType?.MediaType;
            if (!string.Equals(mediaType, "text/plain", StringComparison.OrdinalIgnoreCase))
            {
                string got = contentType is null ? "no Content-Type" : $"Content-Type \"{contentType}\"";
                return Result(MtaStsFetchFailure.MediaType, $"{url} answered with {got}; the policy must be served as text/plain (RFC 8461 §3.2).");
            }

            if (response.Content.Headers.ContentLength is long length && length > MaxBodyBytes)
            {
                return Result(MtaStsFetchFailure.TooLarge, $"{url} announces a body of {length} bytes; a policy may be at most {MaxBodyBytes} bytes.");
            }

            byte[] buffer = new byte[MaxBodyBytes + 1];
            int total = 0;
            Stream body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                while (total < buffer.Length)
                {
                    int read = await body.ReadAsync(buffer.AsMemory(total), timeout.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    total += read;
                }
            }

            if (total > MaxBodyBytes)
            {
                return Result(MtaStsFetchFailure.TooLarge, $"{url} sent more than {MaxBodyBytes} bytes; a policy may be at most {MaxBodyBytes} bytes.");
            }

            try
            {
                raw = StrictUtf8.GetString(buffer, 0, total);
            }
            catch (DecoderFallbackException)
            {
                raw = Encoding.UTF8.GetString(buffer, 0, total);
                return Result(MtaStsFetchFailure.Parse, $"The policy at {url} is not valid UTF-8.");
            }

            if (!MtaStsPolicy.TryParse(raw, out MtaStsPolicy? policy, out string? error))
            {
                return Result(MtaStsFetchFailure.Parse, $"The policy at {url} is invalid: {error}");
            }

            return Result(MtaStsFetchFailure.None, $"Fetched a valid policy from {url}: mode {policy.Mode.ToString().ToLowerInvariant()}, max_age {policy.MaxAgeSeconds} s, {policy.Mx.Count} mx pattern(s).", policy);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            string stage = status is null ? "before the response headers arrived" : "while the body was being read";
            return Result(MtaStsFetchFailure.Timeout, $"Fetching {url} did not finish within {Options.Timeout.TotalSeconds:0.#} s ({stage}).");
        }
        catch (HttpRequestException ex)
        {
            return Classify(ex, url, Result);
        }
        catch (IOException ex)
        {
            return Result(MtaStsFetchFailure.Connect, $"The connection to {url} broke while the policy was being read: {ex.Message}");
        }
    }

    public void Dispose() => _client.Dispose();

    private MtaStsFetchResult Classify(HttpRequestException ex, Uri url, Func<MtaStsFetchFailure, string, MtaStsPolicy?, MtaStsFetchResult> result)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is PolicyHostConnectException connect)
            {
                return result(connect.Failure, connect.Message, null);
            }
        }

        if (_tlsResults.TryGetValue(url.Host, out PkixResult? pkix) && !pkix.Valid)
        {
            return result(MtaStsFetchFailure.Tls, $"The certificate of {url.Host} is not valid for MTA-STS: {pkix.Detail}", null);
        }

        if (ex.HttpRequestError == HttpRequestError.SecureConnectionError || ex.InnerException is AuthenticationException)
        {
            return result(MtaStsFetchFailure.Tls, $"The TLS handshake with {url.Host} failed: {Innermost(ex).Message}", null);
        }

        if (ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded)
        {
            return result(MtaStsFetchFailure.Connect, $"The connection to {url.Host} failed: {Innermost(ex).Message}", null);
        }

        return result(MtaStsFetchFailure.Other, $"Fetching {url} failed ({ex.HttpRequestError}): {Innermost(ex).Message}", null);
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex;
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        string host = (sender as SslStream)?.TargetHostName ?? "";
        if (certificate is null)
        {
            _tlsResults[host] = new PkixResult { Valid = false, Failure = PkixFailure.NoCertificate, Detail = $"{host} presented no certificate." };
            return false;
        }

        // The served chain: the leaf, then what the server sent (SslStream puts the peer's extra certificates in ExtraStore).
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

        PkixResult result = PkixValidator.Validate(served, host, Options.Trust, Options.AsOf ?? DateTimeOffset.UtcNow);
        _tlsResults[host] = result;
        return result.Valid;
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        string host = context.DnsEndPoint.Host;
        int port = context.DnsEndPoint.Port;
        IReadOnlyList<IPAddress> addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? literal))
        {
            addresses = [literal]; // a proxy given by address
        }
        else
        {
            DnsAnswer<IPAddress> answer = await _dns.QueryAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            if (answer.Status is DnsSecStatus.Bogus or DnsSecStatus.Failed || answer.Rcode is not (DnsRcode.NoError or DnsRcode.NxDomain))
            {
                throw new PolicyHostConnectException(MtaStsFetchFailure.Dns, $"The address lookup of {host} failed ({answer.Status}, {answer.Rcode}){(answer.Failure is null ? "" : ": " + answer.Failure)}.");
            }

            if (answer.IsNxDomain)
            {
                throw new PolicyHostConnectException(MtaStsFetchFailure.Dns, $"{host} does not exist (NXDOMAIN); the policy host must have an A or AAAA record.");
            }

            if (answer.Records.Count == 0)
            {
                throw new PolicyHostConnectException(MtaStsFetchFailure.Dns, $"{host} has no A or AAAA record.");
            }

            addresses = answer.Records;
        }

        var errors = new List<string>();
        foreach (IPAddress address in addresses)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
                _connectedTo[host] = new IPEndPoint(address, port).ToString();
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                errors.Add($"{new IPEndPoint(address, port)}: {ex.SocketErrorCode}");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new PolicyHostConnectException(MtaStsFetchFailure.Connect, $"No address of {host} accepted a connection on port {port} ({string.Join("; ", errors)}).");
    }

    /// <summary>A DNS or TCP failure raised inside the connect callback, carried out through HttpRequestException.</summary>
    private sealed class PolicyHostConnectException(MtaStsFetchFailure failure, string message) : IOException(message)
    {
        public MtaStsFetchFailure Failure { get; } = failure;
    }
}
