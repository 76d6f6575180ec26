using Newtonsoft.Json;
using Newtonsoft.Json.Converters;

namespace DaneMtaSts;

// Types that scripts name (parameter and result enums) live here, in PowerShell's default load
// context, never in the private one: [DaneMtaSts.SmtpDaneMode]'Mandatory' must always resolve.
// Each carries Json.NET's StringEnumConverter, so `ConvertTo-Json` writes names ("Mandatory"), as it
// does for Exchange Online's own (deserialised) connectors (docs/exchange-online.md#exports).

/// <summary>Exchange Online's SmtpDaneMode connector property.</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum SmtpDaneMode
{
    Opportunistic = 0,
    Mandatory = 1,
    None = 2,
}

/// <summary>Exchange Online's MtaStsMode connector property (it has no Mandatory value).</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum MtaStsMode
{
    Opportunistic = 0,
    None = 1,
}

/// <summary>The one-word shorthand for both modes (docs/verdicts.md#modes).</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum TlsValidationMode
{
    None = 0,
    Opportunistic = 1,
    Mandatory = 2,

    /// <summary>Read back only: the two modes match no row of the shorthand table.</summary>
    Custom = 3,
}

[JsonConverter(typeof(StringEnumConverter))]
public enum ConnectorType
{
    Partner = 0,
    OnPremises = 1,
}

[JsonConverter(typeof(StringEnumConverter))]
public enum ConnectorSource
{
    Default = 0,
    HybridWizard = 1,
    Migrated = 2,
    AdminUI = 3,
}

/// <summary>Exchange Online's TlsSettings connector property; null means opportunistic TLS.</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum TlsAuthLevel
{
    EncryptionOnly = 0,
    CertificateValidation = 1,
    DomainValidation = 2,
}

/// <summary>What Exchange Online would do with the message.</summary>
[JsonConverter(typeof(StringEnumConverter))]
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
[JsonConverter(typeof(StringEnumConverter))]
public enum TransportSecurity
{
    None = 0,
    Tls = 1,
    MtaSts = 2,
    Dane = 3,
}

/// <summary>The DNSSEC status of a DNS answer.</summary>
[JsonConverter(typeof(StringEnumConverter))]
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
[JsonConverter(typeof(StringEnumConverter))]
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
[JsonConverter(typeof(StringEnumConverter))]
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
/// The machine-readable kind of every verdict that is not a plain Deliver (and of every failed host).
/// StatusCode, StatusText, the TLS-RPT result type and the Reason sentence are rendered from it in
/// one place (DaneMtaSts.Engine.Policy.FailureKinds and VerdictText). The numbers are stable: scripts
/// and stored reports may keep them.
/// </summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum FailureKind
{
    /// <summary>No failure (a plain Deliver).</summary>
    None = 0,

    // Domain-level outcomes.

    /// <summary>NXDOMAIN for the recipient domain: Reject 5.4.310.</summary>
    DomainNotFound = 1,

    /// <summary>The domain publishes MX 0 "." (RFC 7505): Reject 5.1.10.</summary>
    NullMx = 2,

    /// <summary>Neither MX nor address records: Reject 5.4.4.</summary>
    NoMailHost = 3,

    /// <summary>A lookup failed where DNSSEC is not in play (plain outage): Queue 4.4.312.</summary>
    DnsLookupFailed = 4,

    // DNSSEC.

    /// <summary>An MX, address or TLSA answer is DNSSEC-bogus: Queue 4.7.324 (dnssec-invalid).</summary>
    DnssecBogus = 5,

    /// <summary>SmtpDaneMode Mandatory and the MX or host is not DNSSEC-signed: Queue 4.7.324 (dane-required).</summary>
    DnssecInsecure = 6,

    /// <summary>This run could not establish the DNSSEC status the verdict depends on: Indeterminate.</summary>
    DnssecIndeterminate = 7,

    // DANE.

    /// <summary>Usable TLSA records, none matches the served chain: Queue 4.7.323.</summary>
    TlsaMismatch = 8,

    /// <summary>SmtpDaneMode Mandatory and a secure host without usable TLSA: Queue 4.7.323 (dane-required).</summary>
    NoUsableTlsa = 9,

    /// <summary>The TLSA lookup of a secure host failed (SERVFAIL, timeout): Queue 4.7.324.</summary>
    TlsaLookupFailed = 10,

    /// <summary>TLS is required (DANE, TlsSettings) and the host offers no STARTTLS: Queue 4.7.321.</summary>
    StartTlsNotOffered = 11,

    /// <summary>TLS is required (DANE, TlsSettings) and STARTTLS or the handshake fails: Queue 4.7.321.</summary>
    HandshakeFailed = 12,

    /// <summary>A DANE-TA path that matches but is outside its validity dates: Queue 4.7.322.</summary>
    CertificateExpired = 13,

    /// <summary>A DANE-TA path that matches but names none of the reference names: Queue 4.7.325.</summary>
    NameMismatch = 14,

    // MTA-STS.

    /// <summary>MTA-STS enforce and no MX host matches the policy's mx patterns: Queue 4.4.8.</summary>
    StsMxMismatch = 15,

    /// <summary>MTA-STS enforce and the certificate is not PKIX-trusted: Queue 4.7.5 (certificate-not-trusted).</summary>
    StsCertificateInvalid = 16,

    /// <summary>MTA-STS enforce and no STARTTLS, or the handshake fails: Queue 4.7.5 (starttls-not-supported).</summary>
    StsStartTlsNotOffered = 17,

    // Connector TlsSettings.

    /// <summary>TlsSettings CertificateValidation or DomainValidation and no trusted chain: Queue 4.7.320.</summary>
    CertificateValidationFailed = 18,

    // Reaching the host.

    /// <summary>Every address failed at the connect stage, and this run reached port 25 elsewhere: Queue 4.4.316.</summary>
    ConnectFailed = 19,

    /// <summary>Every address failed at the connect stage, and this run reached no host on port 25: Indeterminate.</summary>
    Unreachable = 20,

    /// <summary>The server refused the session with a permanent (5xx) banner or EHLO reply: Queue 4.4.0.</summary>
    SmtpRefused = 21,

    /// <summary>The SMTP session failed before STARTTLS (4xx, no reply, closed, not SMTP): Queue 4.4.0.</summary>
    SmtpTemporaryFailure = 22,

    // What this run did not do.

    /// <summary>-SkipSmtpProbe: the verdict needs the served certificate or the STARTTLS offer: Indeterminate.</summary>
    ProbeSkipped = 23,

    // Refinements (added after the list above; numbers never change).

    /// <summary>MTA-STS enforce and the certificate is outside its validity dates: Queue 4.7.5 (certificate-expired).</summary>
    StsCertificateExpired = 24,

    /// <summary>MTA-STS enforce and the certificate does not name the MX host: Queue 4.7.5 (certificate-host-mismatch).</summary>
    StsNameMismatch = 25,

    /// <summary>TlsSettings DomainValidation and the trusted certificate does not name TlsDomain: Queue 4.7.320.</summary>
    TlsDomainMismatch = 26,

    /// <summary>The MX lookup found no host to deliver to (an empty candidate list): Queue 4.4.312.</summary>
    NoHostFound = 27,

    /// <summary>The SOCKS5 proxy (-SmtpProxy) failed: unreachable, refused us, stalled or broke RFC 1928: Indeterminate.</summary>
    ProxyFailed = 28,
}
