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

/// <summary>The one-word shorthand for both modes (verdicts.md §Modes).</summary>
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
}
