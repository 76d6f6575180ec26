@{
    # The compiled cmdlets are the root module: no script layer, no second import. Its
    # IModuleAssemblyInitializer registers the private load context of the engine (deps/).
    RootModule           = 'DaneMtaSts.Module.dll'
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
        'Test-OutboundConnector'
        'Export-TlsRptReport'
        'Export-TlsPolicyReport'
        'Test-DaneCertificate'
        'ConvertFrom-MtaStsPolicy'
        'Get-MtaStsPolicyCache'
        'Clear-MtaStsPolicyCache'
        'ConvertTo-ExchangeOnlineCommand'
    )
    VariablesToExport    = @()
    # Exchange Online's own name, which PowerShell's verb list does not approve: exported as an
    # alias of Test-OutboundConnector, so that Import-Module prints no unapproved-verb warning and
    # -Prefix prefixes it like every other command.
    AliasesToExport      = @('Validate-OutboundConnector')
    PrivateData          = @{
        PSData = @{
            Tags         = @('Exchange', 'ExchangeOnline', 'DANE', 'MTA-STS', 'DNSSEC', 'TLS', 'SMTP', 'TLSRPT', 'Linux', 'Windows', 'MacOS')
            # No LicenseUri or ProjectUri: the repository has no public address to point them at. The
            # licence (LICENSE) and the changelog (CHANGELOG.md) ship inside the module folder.
            ReleaseNotes = 'See CHANGELOG.md in the module folder.'
        }
    }
}
