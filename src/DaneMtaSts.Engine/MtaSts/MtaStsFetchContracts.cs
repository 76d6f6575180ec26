using System.Net;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.TlsRpt;

namespace DaneMtaSts.Engine.MtaSts;

/// <summary>How <see cref="MtaStsPolicyFetcher"/> fetches a policy.</summary>
public sealed record MtaStsFetchOptions
{
    /// <summary>The HTTPS port of the policy host; 443 except in tests and the lab.</summary>
    public int Port { get; init; } = 443;

    /// <summary>The whole fetch (DNS, connect, TLS, headers and body) must finish within this time.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The trust anchors the policy host's certificate must chain to.</summary>
    public PkixTrust Trust { get; init; } = new();

    /// <summary>The time certificates are checked at; null means the time of the fetch.</summary>
    public DateTimeOffset? AsOf { get; init; }

    /// <summary>An HTTP proxy for the fetch; null means a direct connection (the system proxy is never used implicitly).</summary>
    public IWebProxy? Proxy { get; init; }
}

/// <summary>Why a policy fetch failed.</summary>
public enum MtaStsFetchFailure
{
    None,

    /// <summary>The policy host's address could not be resolved.</summary>
    Dns,

    /// <summary>No address accepted a TCP connection, or the connection broke.</summary>
    Connect,

    /// <summary>The TLS handshake failed or the certificate is not PKIX-valid for the policy host.</summary>
    Tls,

    /// <summary>A 3xx answer: redirects are not allowed (RFC 8461 §3.3).</summary>
    Redirect,

    /// <summary>A status other than 200.</summary>
    HttpStatus,

    /// <summary>The media type is not text/plain.</summary>
    MediaType,

    /// <summary>The body is larger than 64 KiB.</summary>
    TooLarge,

    /// <summary>The fetch did not finish within the timeout.</summary>
    Timeout,

    /// <summary>The body is not a valid policy (or not UTF-8).</summary>
    Parse,

    /// <summary>Anything else (an invalid HTTP response).</summary>
    Other,
}

/// <summary>The outcome of one policy fetch.</summary>
public sealed record MtaStsFetchResult
{
    public required string Domain { get; init; }

    public required Uri Url { get; init; }

    /// <summary>The parsed policy; null on any failure.</summary>
    public MtaStsPolicy? Policy { get; init; }

    public required MtaStsFetchFailure Failure { get; init; }

    /// <summary>One sentence: what was fetched, or what failed and what to fix.</summary>
    public required string Detail { get; init; }

    /// <summary>The body as received (decoded as UTF-8), when one was read.</summary>
    public string? RawText { get; init; }

    public int? StatusCode { get; init; }

    public string? ContentType { get; init; }

    /// <summary>The WebPKI check of the policy host's certificate, when the handshake got that far.</summary>
    public PkixResult? Pkix { get; init; }

    /// <summary>The address the connection was made to.</summary>
    public string? RemoteAddress { get; init; }

    public TimeSpan Elapsed { get; init; }

    public bool Succeeded => Failure == MtaStsFetchFailure.None && Policy is not null;

    /// <summary>The RFC 8460 §4.3.2.2 result type of a failure; null on success.</summary>
    public TlsRptResultType? ResultType => Failure switch
    {
        MtaStsFetchFailure.None => null,
        MtaStsFetchFailure.Parse => TlsRptResultType.StsPolicyInvalid,
        MtaStsFetchFailure.Tls when Pkix is { Valid: false } => TlsRptResultType.StsWebPkiInvalid,
        _ => TlsRptResultType.StsPolicyFetchError,
    };
}
