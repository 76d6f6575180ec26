using DaneMtaSts.Engine.TlsRpt;

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
    public static string ForDaneFailure(Dane.DaneFailure failure) => FailureKinds.CodeOf(FailureKinds.ForDaneFailure(failure))!;

    /// <summary>The code of the NDR Exchange Online returns when a queued message finally expires (4.x.x → 5.x.x).</summary>
    public static string? FinalCode(string? code) =>
        code is { Length: > 1 } && code[0] == '4' ? "5" + code[1..] : code;
}

/// <summary>
/// The one place a <see cref="FailureKind"/> becomes an Outcome, an Exchange Online status code and
/// an RFC 8460 result type (docs/verdicts.md#status-codes). The Reason sentence is rendered from the
/// kind by <see cref="VerdictText"/>.
/// </summary>
public static class FailureKinds
{
    /// <summary>True for the kinds this run could not decide (never Deliver, never the partner's failure).</summary>
    public static bool IsIndeterminate(FailureKind kind) =>
        kind is FailureKind.DnssecIndeterminate or FailureKind.Unreachable or FailureKind.ProbeSkipped or FailureKind.ProxyFailed;

    /// <summary>What Exchange Online does with the message when this kind decides the verdict.</summary>
    public static Outcome OutcomeOf(FailureKind kind) => kind switch
    {
        FailureKind.None => Outcome.Deliver,
        FailureKind.DomainNotFound or FailureKind.NullMx or FailureKind.NoMailHost => Outcome.Reject,
        _ when IsIndeterminate(kind) => Outcome.Indeterminate,
        _ => Outcome.Queue,
    };

    /// <summary>Exchange Online's enhanced status code for the kind (null: Deliver or Indeterminate).</summary>
    public static string? CodeOf(FailureKind kind) => kind switch
    {
        FailureKind.DomainNotFound => StatusCodes.DomainDoesNotExist,
        FailureKind.NullMx => StatusCodes.NullMx,
        FailureKind.NoMailHost => StatusCodes.NoMailHost,
        FailureKind.DnsLookupFailed or FailureKind.NoHostFound => StatusCodes.DnsQueryFailed,
        FailureKind.DnssecBogus or FailureKind.DnssecInsecure or FailureKind.TlsaLookupFailed => StatusCodes.DnssecInvalid,
        FailureKind.TlsaMismatch or FailureKind.NoUsableTlsa => StatusCodes.TlsaInvalid,
        FailureKind.StartTlsNotOffered or FailureKind.HandshakeFailed => StatusCodes.StartTlsNotSupported,
        FailureKind.CertificateExpired => StatusCodes.CertificateExpired,
        FailureKind.NameMismatch => StatusCodes.CertificateHostMismatch,
        FailureKind.StsMxMismatch => StatusCodes.MtaStsMxMismatch,
        FailureKind.StsCertificateInvalid or FailureKind.StsStartTlsNotOffered or FailureKind.StsCertificateExpired or FailureKind.StsNameMismatch => StatusCodes.MtaStsCertificateInvalid,
        FailureKind.CertificateValidationFailed or FailureKind.TlsDomainMismatch => StatusCodes.CertificateValidationFailed,
        FailureKind.ConnectFailed => StatusCodes.ConnectionFailed,
        FailureKind.SmtpRefused or FailureKind.SmtpTemporaryFailure => StatusCodes.SmtpFailure,
        _ => null,
    };

    /// <summary>Exchange Online's text for the kind's code (4.4.8's template filled with <paramref name="domain"/>).</summary>
    public static string? TextOf(FailureKind kind, string? domain = null) =>
        CodeOf(kind) is { } code ? StatusCodes.TextFor(code, domain) : null;

    /// <summary>
    /// The RFC 8460 §4.3 result type a session failing with this kind is reported as; null for kinds
    /// that are no TLS session failure (Reject, a plain DNS outage, Indeterminate).
    /// </summary>
    public static TlsRpt.TlsRptResultType? ResultTypeOf(FailureKind kind) => kind switch
    {
        FailureKind.DnssecBogus or FailureKind.TlsaLookupFailed => TlsRpt.TlsRptResultType.DnssecInvalid,
        FailureKind.DnssecInsecure or FailureKind.NoUsableTlsa => TlsRpt.TlsRptResultType.DaneRequired,
        FailureKind.TlsaMismatch => TlsRpt.TlsRptResultType.TlsaInvalid,
        FailureKind.StartTlsNotOffered or FailureKind.HandshakeFailed or FailureKind.StsStartTlsNotOffered => TlsRpt.TlsRptResultType.StartTlsNotSupported,
        FailureKind.CertificateExpired or FailureKind.StsCertificateExpired => TlsRpt.TlsRptResultType.CertificateExpired,
        FailureKind.NameMismatch or FailureKind.StsNameMismatch or FailureKind.TlsDomainMismatch => TlsRpt.TlsRptResultType.CertificateHostMismatch,
        FailureKind.StsCertificateInvalid or FailureKind.CertificateValidationFailed => TlsRpt.TlsRptResultType.CertificateNotTrusted,
        FailureKind.StsMxMismatch => TlsRpt.TlsRptResultType.ValidationFailure,
        FailureKind.ConnectFailed or FailureKind.SmtpRefused or FailureKind.SmtpTemporaryFailure or FailureKind.DnsLookupFailed or FailureKind.NoHostFound => TlsRpt.TlsRptResultType.ValidationFailure,
        _ => null,
    };

    /// <summary>The kind of a DANE authentication failure.</summary>
    public static FailureKind ForDaneFailure(Dane.DaneFailure failure) => failure switch
    {
        Dane.DaneFailure.Expired => FailureKind.CertificateExpired,
        Dane.DaneFailure.NameMismatch => FailureKind.NameMismatch,
        _ => FailureKind.TlsaMismatch,
    };

    /// <summary>The kind of an MTA-STS enforce certificate failure.</summary>
    public static FailureKind ForStsCertificate(Pkix.PkixFailure? failure) => failure switch
    {
        Pkix.PkixFailure.NameMismatch => FailureKind.StsNameMismatch,
        Pkix.PkixFailure.Expired => FailureKind.StsCertificateExpired,
        _ => FailureKind.StsCertificateInvalid,
    };

    /// <summary>When every address fails, the most telling failure is reported: a TLS or authentication failure says more than an unreachable address.</summary>
    public static int Rank(FailureKind kind) => kind switch
    {
        FailureKind.Unreachable or FailureKind.ProxyFailed => 0,
        FailureKind.ConnectFailed => 1,
        FailureKind.ProbeSkipped => 2,
        FailureKind.SmtpTemporaryFailure or FailureKind.SmtpRefused => 3,
        FailureKind.DnsLookupFailed => 4,
        _ => 5,
    };
}
