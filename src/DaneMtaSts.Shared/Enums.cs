namespace DaneMtaSts;

// Types that scripts name (parameter and result enums) live here, in PowerShell's default load
// context, never in the private one: [DaneMtaSts.SmtpDaneMode]'Mandatory' must always resolve.

/// <summary>Exchange Online's SmtpDaneMode connector property.</summary>
public enum SmtpDaneMode
{
    Opportunistic = 0,
    Mandatory = 1,
    None = 2,
}

/// <summary>Exchange Online's MtaStsMode connector property (it has no Mandatory value).</summary>
public enum MtaStsMode
{
    Opportunistic = 0,
    None = 1,
}

/// <summary>The one-word shorthand for both modes (docs/verdicts.md#modes).</summary>
public enum TlsValidationMode
{
    None = 0,
    Opportunistic = 1,
    Mandatory = 2,

    /// <summary>Read back only: the two modes match no row of the shorthand table.</summary>
    Custom = 3,
}

public enum ConnectorType
{
    Partner = 0,
    OnPremises = 1,
}

public enum ConnectorSource
{
    Default = 0,
    HybridWizard = 1,
    Migrated = 2,
    AdminUI = 3,
}

/// <summary>Exchange Online's TlsSettings connector property; null means opportunistic TLS.</summary>
public enum TlsAuthLevel
{
    EncryptionOnly = 0,
    CertificateValidation = 1,
    DomainValidation = 2,
}

/// <summary>What Exchange Online would do with the message.</summary>
public enum Outcome
{
    Deliver = 0,
    Queue = 1,
    Reject = 2,

    /// <summary>
    /// This run could not establish what the verdict depends on (the DNSSEC status, or whether the MX
    /// can be reached at all from this machine); the Reason says how to find out. Never Deliver, never
    /// the partner's failure; -Quiet gives $false.
    /// </summary>
    Indeterminate = 3,
}

/// <summary>How a delivered message would be protected.</summary>
public enum TransportSecurity
{
    None = 0,
    Tls = 1,
    MtaSts = 2,
    Dane = 3,
}

/// <summary>The DNSSEC status of a DNS answer.</summary>
public enum DnsSecStatus
{
    /// <summary>The validating resolver set AD.</summary>
    Secure = 0,

    /// <summary>An answer without AD (unsigned zone, or a resolver that does not validate).</summary>
    Insecure = 1,

    /// <summary>SERVFAIL that a CD=1 retry answers: the signatures do not validate.</summary>
    Bogus = 2,

    /// <summary>No usable answer at all: timeout, SERVFAIL with CD=1 too, REFUSED, network error.</summary>
    Failed = 3,

    /// <summary>
    /// An answer arrived, but this run could not establish whether it is signed: the resolver does not
    /// validate and local validation could not run (RRSIG, DS or DNSKEY stripped, or those lookups failed).
    /// </summary>
    Indeterminate = 4,
}

/// <summary>Who decides the DNSSEC status of answers (-DnssecValidation).</summary>
public enum DnssecValidationMode
{
    /// <summary>The resolver's AD bit when the resolver is shown to validate; otherwise in-process validation.</summary>
    Auto = 0,

    /// <summary>Always validate in-process from the root trust anchors.</summary>
    Local = 1,

    /// <summary>Trust the resolver's AD bit (the behaviour before local validation existed).</summary>
    Resolver = 2,
}

/// <summary>Which path decided the DNSSEC status of a result's answers.</summary>
public enum DnssecValidator
{
    /// <summary>The resolver's AD bit (the resolver was shown to validate, or -DnssecValidation Resolver).</summary>
    Resolver = 0,

    /// <summary>This module's own validator, from the trust anchors.</summary>
    Local = 1,

    /// <summary>Neither could establish the status.</summary>
    None = 2,
}

/// <summary>
/// The machine-readable kind of every verdict that is not a plain Deliver. StatusCode, StatusText,
/// the TLS-RPT result type and the Reason sentence are rendered from it in one place.
/// </summary>
public enum FailureKind
{
    /// <summary>No failure (a plain Deliver).</summary>
    None = 0,

    // Domain-level outcomes.
    DomainNotFound,
    NullMx,
    NoMailHost,
    DnsLookupFailed,

    // DNSSEC.
    DnssecBogus,
    DnssecInsecure,
    DnssecIndeterminate,

    // DANE.
    TlsaMismatch,
    NoUsableTlsa,
    TlsaLookupFailed,
    StartTlsNotOffered,
    HandshakeFailed,
    CertificateExpired,
    NameMismatch,

    // MTA-STS.
    StsMxMismatch,
    StsCertificateInvalid,
    StsStartTlsNotOffered,

    // Connector TlsSettings.
    CertificateValidationFailed,

    // Reaching the host.
    ConnectFailed,
    Unreachable,
    SmtpRefused,
    SmtpTemporaryFailure,

    // What this run did not do.
    ProbeSkipped,
}
