# Descriptions of the network parameters shared by Test-OutboundTlsPolicy and Validate-OutboundConnector.
@{
    DnsServer              = 'Resolvers to ask, as IP, IP:port or [IPv6]:port. Default: the system''s resolvers. The DNSSEC status of every answer is the AD bit of this resolver, so it must validate DNSSEC (a local validating resolver is best); a resolver that does not validate is detected and reported in a warning.'
    TrustedRootCertificate = 'PEM or DER files of root certificates added to the system roots for WebPKI checks (MTA-STS policy hosts, MTA-STS MX certificates, TlsSettings CertificateValidation/DomainValidation). For private PKIs and test labs. DANE never uses them.'
    SmtpPort               = @{ Description = 'The TCP port of the SMTP servers, and of the TLSA name (_port._tcp.host). Exchange Online always uses 25; change it only for test servers.'; Default = '25' }
    TimeoutSec             = @{ Description = 'Seconds allowed for each network step: a DNS query, a TCP connect, each SMTP reply, the TLS handshake, the MTA-STS policy fetch. A step that times out is a failure, never a pass.'; Default = '10' }
    AsOf                   = 'Judge every certificate date at this time instead of now: shows what breaks on the day a certificate expires (DANE-TA chains, MTA-STS and TlsSettings certificates). DANE-EE matches ignore dates, as RFC 7672 requires.'
    EhloName               = 'The name sent in EHLO. Default: this machine''s fully qualified name, else danemtasts.invalid.'
}
