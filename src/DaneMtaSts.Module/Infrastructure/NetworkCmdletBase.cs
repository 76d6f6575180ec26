using System.Management.Automation;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Connectors;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Engine.Smtp;

namespace DaneMtaSts.Module.Infrastructure;

/// <summary>
/// The network parameters shared by Test-OutboundTlsPolicy and Validate-OutboundConnector, and the
/// construction of one dry-run session from them.
/// </summary>
public abstract class NetworkCmdletBase : CancellableCmdlet
{
    /// <summary>Resolvers to use (IP, IP:port, [IPv6]:port, or a DNS over HTTPS URL https://host[:port]/path); default: the system's.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? DnsServer { get; set; }

    /// <summary>PEM or DER files of extra trusted roots (private PKIs, the lab) for MTA-STS and TlsSettings checks.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? TrustedRootCertificate { get; set; }

    /// <summary>Who decides DNSSEC status: Auto (the resolver's AD bit if it validates, else in-process), Local, Resolver.</summary>
    [Parameter]
    public DnssecValidationMode DnssecValidation { get; set; } = DnssecValidationMode.Auto;

    /// <summary>DS or DNSKEY records (zone-file lines) that replace the built-in root trust anchors.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TrustAnchorFile { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int SmtpPort { get; set; } = 25;

    /// <summary>Timeout in seconds of each network step.</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int TimeoutSec { get; set; } = 10;

    /// <summary>Judge every certificate date at this time instead of now.</summary>
    [Parameter]
    public DateTime? AsOf { get; set; }

    /// <summary>The name sent in EHLO.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? EhloName { get; set; }

    /// <summary>socks5://host:port: SMTP connections go through this SOCKS5 proxy (RFC 1928), e.g. ssh -D 1080.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SmtpProxy { get; set; }

    /// <summary>Username and password for the SOCKS5 proxy (RFC 1929).</summary>
    [Parameter]
    [Credential]
    public PSCredential? SmtpProxyCredential { get; set; }

    protected static ConnectorStore OpenStore() => ConnectorStore.OpenDefault();

    protected OutboundConnector RequireConnector(OutboundConnectorIdParameter identity)
    {
        try
        {
            return OpenStore().GetConnector(identity.Value);
        }
        catch (EngineException ex)
        {
            ThrowTerminatingError(EngineErrors.ToErrorRecord(ex, identity.RawIdentity));
            throw;
        }
    }

    /// <summary>The dry-run settings these parameters describe.</summary>
    protected DryRunOptions BuildDryRunOptions(bool dane, bool mtaSts, string? tlsDomain)
    {
        if (SmtpProxyCredential is not null && SmtpProxy is null)
        {
            throw new EngineException("SmtpProxyCredentialWithoutProxy", EngineErrorKind.InvalidArgument,
                "-SmtpProxyCredential needs -SmtpProxy socks5://host:port.", null);
        }

        var options = new DryRunOptions
        {
            DnsServers = DnsServer ?? [],
            DnssecValidation = DnssecValidation,
            TrustAnchorFile = TrustAnchorFile is null ? null : GetUnresolvedProviderPathFromPSPath(TrustAnchorFile),
            TrustedRootFiles = (TrustedRootCertificate ?? []).Select(p => GetUnresolvedProviderPathFromPSPath(p)).ToList(),
            SmtpPort = SmtpPort,
            Timeout = TimeSpan.FromSeconds(TimeoutSec),
            AsOf = AsOf is DateTime asOf ? new DateTimeOffset(asOf.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(asOf, DateTimeKind.Local) : asOf) : null,
            Dane = dane,
            MtaSts = mtaSts,
            TlsDomain = tlsDomain,
            SmtpProxy = SmtpProxy is null ? null : Socks5Proxy.Parse(SmtpProxy, SmtpProxyCredential?.GetNetworkCredential()),
        };
        return EhloName is null ? options : options with { EhloName = DomainName.Normalize(EhloName) };
    }

    /// <summary>
    /// No resolver configured, or none answering, is one terminating error for the call
    /// (DnsServerUnavailable), never a DNS failure blamed on every partner.
    /// </summary>
    protected void EnsureDnsServerAvailable(DryRunSession session)
    {
        try
        {
            RunSynchronously(session.EnsureDnsServerAvailableAsync);
        }
        catch (EngineException ex)
        {
            ThrowTerminatingError(EngineErrors.ToErrorRecord(ex, ex.Target));
        }
    }

    /// <summary>
    /// This call's view of the MTA-STS policy cache file beside the store: read at the first lookup,
    /// written once by <see cref="SavePolicyCache"/>. The connector store itself is never written.
    /// </summary>
    protected MtaStsPolicyCacheFile PolicyCache => _policyCache ??= MtaStsPolicyCacheFile.OpenDefault();

    private MtaStsPolicyCacheFile? _policyCache;

    /// <summary>Writes this call's cache changes (once, at the call's end) and any cache warnings.</summary>
    protected void SavePolicyCache()
    {
        if (_policyCache is null)
        {
            return;
        }

        try
        {
            _policyCache.Save(CancelToken);
        }
        catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }

        WritePolicyCacheWarnings();
    }

    /// <summary>Cache problems are warnings, never errors: the dry run goes on without the cache.</summary>
    protected void WritePolicyCacheWarnings()
    {
        foreach (string warning in _policyCache?.DrainWarnings() ?? [])
        {
            WriteWarning(warning);
        }
    }

    protected DryRunSession CreateSession(bool dane, bool mtaSts, string? tlsDomain, bool skipSmtpProbe = false)
    {
        try
        {
            return DryRunSession.Create(BuildDryRunOptions(dane, mtaSts, tlsDomain) with { SkipSmtpProbe = skipSmtpProbe }, PolicyCache);
        }
        catch (EngineException ex)
        {
            ThrowTerminatingError(EngineErrors.ToErrorRecord(ex, ex.Target));
            throw;
        }
    }
}
