namespace DaneMtaSts.Engine.Policy;

/// <summary>
/// Exchange Online's enhanced status codes for outbound TLS policy failures (docs/verdicts.md#status-codes), with the word Exchange Online prints beside each.
/// </summary>
public static class StatusCodes
{
    public const string StartTlsNotSupported = "4.7.321";
    public const string CertificateExpired = "4.7.322";
    public const string TlsaInvalid = "4.7.323";
    public const string DnssecInvalid = "4.7.324";
    public const string CertificateHostMismatch = "4.7.325";
    public const string CertificateValidationFailed = "4.7.320";
    public const string MtaStsMxMismatch = "4.4.8";
    public const string MtaStsCertificateInvalid = "4.7.5";
    public const string DnsQueryFailed = "4.4.312";
    public const string ConnectionFailed = "4.4.316";
    public const string SmtpFailure = "4.4.0";
    public const string DomainDoesNotExist = "5.4.310";
    public const string NullMx = "5.1.10";
    public const string NoMailHost = "5.4.4";

    private static readonly Dictionary<string, string> Texts = new(StringComparer.Ordinal)
    {
        [StartTlsNotSupported] = "starttls-not-supported",
        [CertificateExpired] = "certificate-expired",
        [TlsaInvalid] = "tlsa-invalid",
        [DnssecInvalid] = "dnssec-invalid",
        [CertificateHostMismatch] = "certificate-host-mismatch",
        [CertificateValidationFailed] = "certificate validation failed",
        [MtaStsMxMismatch] = "MX hosts of {0} failed MTA-STS validation",
        [MtaStsCertificateInvalid] = "Remote certificate failed MTA-STS validation",
        [DnsQueryFailed] = "DNS query failed",
        [ConnectionFailed] = "Connection refused or timed out",
        [SmtpFailure] = "Remote server did not accept the session",
        [DomainDoesNotExist] = "DNS domain does not exist",
        [NullMx] = "Null MX",
        [NoMailHost] = "No mail host for the domain",
    };

    /// <summary>The text Exchange Online shows for a code; <paramref name="domain"/> fills 4.4.8's template.</summary>
    public static string TextFor(string code, string? domain = null)
    {
        if (!Texts.TryGetValue(code, out string? text))
        {
            return "";
        }

        return text.Contains("{0}", StringComparison.Ordinal)
            ? string.Format(System.Globalization.CultureInfo.InvariantCulture, text, domain ?? "the domain")
            : text;
    }

    /// <summary>The code a DANE authentication failure queues with (docs/verdicts.md#status-codes).</summary>
    public static string ForDaneFailure(Dane.DaneFailure failure) => failure switch
    {
        Dane.DaneFailure.Expired => CertificateExpired,
        Dane.DaneFailure.NameMismatch => CertificateHostMismatch,
        _ => TlsaInvalid,
    };

    /// <summary>The code of the NDR Exchange Online returns when a queued message finally expires (4.x.x → 5.x.x).</summary>
    public static string? FinalCode(string? code) =>
        code is { Length: > 1 } && code[0] == '4' ? "5" + code[1..] : code;
}
