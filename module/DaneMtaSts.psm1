# DaneMtaSts root module. The cmdlets are compiled (DaneMtaSts.Module.dll); this script only sets up
# the private load context first, so that the engine's dependencies (DnsClient, MailKit, MimeKit,
# BouncyCastle) never clash with other versions already loaded in the session.

if (-not ('DaneMtaSts.Shared.LoadContext' -as [type])) {
    Add-Type -LiteralPath ([System.IO.Path]::Combine($PSScriptRoot, 'DaneMtaSts.Shared.dll'))
}
[DaneMtaSts.Shared.LoadContext]::Register([System.IO.Path]::Combine($PSScriptRoot, 'deps'))

$innerModule = Import-Module -Name ([System.IO.Path]::Combine($PSScriptRoot, 'DaneMtaSts.Module.dll')) -PassThru -DisableNameChecking

# Removing DaneMtaSts must remove the binary module too (PowerShell does not do it for a module
# imported from a script module).
$ExecutionContext.SessionState.Module.OnRemove = {
    Remove-Module -ModuleInfo $innerModule -Force -ErrorAction SilentlyContinue
}.GetNewClosure()

# @() matters: a bare KeyCollection binds to -Cmdlet as one object and exports nothing.
Export-ModuleMember -Cmdlet @($innerModule.ExportedCmdlets.Keys)
