# DaneMtaSts root module. The cmdlets are compiled (DaneMtaSts.Module.dll); this script only sets up
# the private load context first, so that the engine's dependencies (DnsClient, MailKit, MimeKit,
# BouncyCastle) never clash with other versions already loaded in the session.

# Assembly.LoadFrom, not Add-Type: the first Add-Type of a session costs over 100 ms of start-up.
# Loading it again (Import-Module -Force) returns the assembly already loaded.
$null = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($PSScriptRoot, 'DaneMtaSts.Shared.dll'))
[DaneMtaSts.Shared.LoadContext]::Register([System.IO.Path]::Combine($PSScriptRoot, 'deps'))

$binaryModule = [System.IO.Path]::Combine($PSScriptRoot, 'bin', 'DaneMtaSts.Module.dll')
$innerModule = Import-Module -Name $binaryModule -PassThru -DisableNameChecking

# Validate-OutboundConnector keeps Exchange Online's own verb, which PowerShell does not approve.
# Exported from this module it would make every Import-Module print the unapproved-verb warning,
# so it is imported into the global scope with name checking off instead (removed with the module).
$unapprovedVerbCmdlets = @($innerModule.ExportedCmdlets.Values | Where-Object Verb -eq 'Validate' | ForEach-Object Name)
if ($unapprovedVerbCmdlets.Count -gt 0) {
    Import-Module -ModuleInfo $innerModule -Cmdlet $unapprovedVerbCmdlets -Global -DisableNameChecking
}

# Removing DaneMtaSts must remove the binary module too (PowerShell does not do it for a module
# imported from a script module).
$ExecutionContext.SessionState.Module.OnRemove = {
    Remove-Module -ModuleInfo $innerModule -Force -ErrorAction SilentlyContinue
}.GetNewClosure()

# @() matters: a bare KeyCollection binds to -Cmdlet as one object and exports nothing.
Export-ModuleMember -Cmdlet @($innerModule.ExportedCmdlets.Keys | Where-Object { $_ -notin $unapprovedVerbCmdlets })
