@{
    RootModule           = 'DaneMtaSts.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '6b7b3d0e-5d2f-4c53-9f0e-2a8f4f1d7c11'
    Author               = 'DaneMtaSts contributors'
    CompanyName          = 'DaneMtaSts'
    Copyright            = '(c) DaneMtaSts contributors. MIT licence.'
    Description          = 'Exchange Online outbound connectors with SMTP DANE (RFC 7672) and MTA-STS (RFC 8461) modes: manage connectors locally, dry-run what each mode would do against real partner domains, and validate a connector with a real test message.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('DaneMtaSts.Format.ps1xml')
    FunctionsToExport    = @()
    CmdletsToExport      = @(
        'New-OutboundConnector'
        'Set-OutboundConnector'
        'Get-OutboundConnector'
        'Remove-OutboundConnector'
        'Test-OutboundTlsPolicy'
        'Validate-OutboundConnector'
        'Export-TlsRptReport'
        'Export-TlsPolicyReport'
        'Test-DaneCertificate'
    )
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Exchange', 'ExchangeOnline', 'DANE', 'MTA-STS', 'DNSSEC', 'TLS', 'SMTP', 'TLSRPT', 'Linux', 'Windows', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'See README.md.'
        }
    }
}
