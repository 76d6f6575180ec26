using System.Diagnostics.CodeAnalysis;

namespace DaneMtaSts.Engine.TlsRpt;

/// <summary>The result types of a TLS-RPT failure-details entry (RFC 8460 §4.3).</summary>
public enum TlsRptResultType
{
    /// <summary>starttls-not-supported (§4.3.1)</summary>
    StartTlsNotSupported,

    /// <summary>certificate-host-mismatch (§4.3.1)</summary>
    CertificateHostMismatch,

    /// <summary>certificate-expired (§4.3.1)</summary>
    CertificateExpired,

    /// <summary>certificate-not-trusted (§4.3.1)</summary>
    CertificateNotTrusted,

    /// <summary>validation-failure (§4.3.1)</summary>
    ValidationFailure,

    /// <summary>tlsa-invalid (§4.3.2.1)</summary>
    TlsaInvalid,

    /// <summary>dnssec-invalid (§4.3.2.1)</summary>
    DnssecInvalid,

    /// <summary>dane-required (§4.3.2.1)</summary>
    DaneRequired,

    /// <summary>sts-policy-fetch-error (§4.3.2.2)</summary>
    StsPolicyFetchError,

    /// <summary>sts-policy-invalid (§4.3.2.2)</summary>
    StsPolicyInvalid,

    /// <summary>sts-webpki-invalid (§4.3.2.2)</summary>
    StsWebPkiInvalid,
}

/// <summary>Conversions between <see cref="TlsRptResultType"/> and the strings of RFC 8460 §4.3.</summary>
public static class TlsRptResultTypes
{
    private static readonly (TlsRptResultType Type, string Text)[] Map =
    [
        (TlsRptResultType.StartTlsNotSupported, "starttls-not-supported"),
        (TlsRptResultType.CertificateHostMismatch, "certificate-host-mismatch"),
        (TlsRptResultType.CertificateExpired, "certificate-expired"),
        (TlsRptResultType.CertificateNotTrusted, "certificate-not-trusted"),
        (TlsRptResultType.ValidationFailure, "validation-failure"),
        (TlsRptResultType.TlsaInvalid, "tlsa-invalid"),
        (TlsRptResultType.DnssecInvalid, "dnssec-invalid"),
        (TlsRptResultType.DaneRequired, "dane-required"),
        (TlsRptResultType.StsPolicyFetchError, "sts-policy-fetch-error"),
        (TlsRptResultType.StsPolicyInvalid, "sts-policy-invalid"),
        (TlsRptResultType.StsWebPkiInvalid, "sts-webpki-invalid"),
    ];

    /// <summary>The RFC 8460 string of a result type, e.g. "sts-webpki-invalid".</summary>
    public static string ToRfcString(this TlsRptResultType type)
    {
        foreach (var (t, text) in Map)
        {
            if (t == type)
            {
                return text;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(type), type, "Not an RFC 8460 result type.");
    }

    /// <summary>The result type of an RFC 8460 string (exact, lower case as in the RFC).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out TlsRptResultType? type)
    {
        foreach (var (t, s) in Map)
        {
            if (string.Equals(s, text, StringComparison.Ordinal))
            {
                type = t;
                return true;
            }
        }

        type = null;
        return false;
    }

    /// <summary>The result type of an RFC 8460 string, or an <see cref="EngineException"/> (id InvalidTlsRptResultType).</summary>
    public static TlsRptResultType Parse(string text) =>
        TryParse(text, out TlsRptResultType? type)
            ? type.Value
            : throw new EngineException("InvalidTlsRptResultType", EngineErrorKind.InvalidArgument, $"'{text}' is not a TLS-RPT result type of RFC 8460 §4.3.", text);
}
