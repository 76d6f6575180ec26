using System.Management.Automation;
using DaneMtaSts.Engine;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Run;
using DaneMtaSts.Module.Infrastructure;

namespace DaneMtaSts.Module.Commands;

/// <summary>
/// Test-DaneCertificate: judges a certificate chain file against TLSA records and/or an MTA-STS
/// policy offline, by the dry run's own verdict engine over one-host evidence (CertificatePlanCheck),
/// to check a certificate or TLSA rollover before it happens.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "DaneCertificate")]
[OutputType(typeof(CertificatePlanResult))]
[OutputType(typeof(bool))]
public sealed class TestDaneCertificateCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Path", "FullName")]
    [ValidateNotNullOrEmpty]
    public string CertificatePath { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string HostName { get; set; } = "";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? TlsaRecord { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MtaStsPolicy { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RecipientDomain { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? TrustedRootCertificate { get; set; }

    [Parameter]
    public DateTime? AsOf { get; set; }

    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        string path = GetUnresolvedProviderPathFromPSPath(CertificatePath);
        try
        {
            IReadOnlyList<TlsaRecord> records = TlsaRecord is { Length: > 0 } ? TlsaRecords.ParsePresentation(string.Join('\n', TlsaRecord)) : [];
            MtaStsPolicy? policy = null;
            if (MtaStsPolicy is not null && !Engine.MtaSts.MtaStsPolicy.TryParse(MtaStsPolicy, out policy, out string? error))
            {
                throw new EngineException("InvalidMtaStsPolicy", EngineErrorKind.InvalidArgument, $"The MTA-STS policy does not parse: {error} (ConvertFrom-MtaStsPolicy shows the parser's warnings too.)", MtaStsPolicy);
            }

            // What the parser forgave, as warnings; the parsed policy is the result's MtaStsPolicy.
            foreach (string warning in policy?.Warnings ?? [])
            {
                WriteWarning($"MTA-STS policy: {warning}");
            }

            PkixTrust trust = TrustedRootCertificate is { Length: > 0 }
                ? PkixTrust.FromFiles(TrustedRootCertificate.Select(p => GetUnresolvedProviderPathFromPSPath(p)))
                : new PkixTrust();
            var result = CertificatePlanCheck.Check(new CertificatePlanInput
            {
                Chain = CertificateFiles.LoadChain(path),
                HostName = HostName,
                RecipientDomain = RecipientDomain,
                TlsaRecords = records,
                MtaStsPolicy = policy,
                Trust = trust,
                AsOf = AsOf is DateTime asOf ? new DateTimeOffset(asOf.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(asOf, DateTimeKind.Local) : asOf) : DateTimeOffset.UtcNow,
                Source = path,
            });
            WriteObject(Quiet.IsPresent ? result.Passed : result);
        }
        catch (EngineException ex)
        {
            WriteError(EngineErrors.ToErrorRecord(ex, CertificatePath));
        }
    }
}
