BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
    $script:Cmd = 'DaneMtaSts.Module.Commands.RemoveOutboundConnectorCommand'
}

Describe 'Remove-OutboundConnector' {
    BeforeEach {
        Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
        $script:Contoso = New-OutboundConnector 'Contoso' -RecipientDomains contoso.com
        New-OutboundConnector 'Fabrikam' -RecipientDomains fabrikam.com | Out-Null
    }

    It 'has ConfirmImpact High' {
        (Get-Command Remove-OutboundConnector).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact |
            Should -Be 'High'
    }

    It 'removes by name and -PassThru returns the removed connector' {
        $removed = Remove-OutboundConnector contoso -Confirm:$false -PassThru
        $removed.Guid | Should -Be $Contoso.Guid
        (Get-OutboundConnector).Name | Should -Be 'Fabrikam'
    }

    It 'removes piped connectors and writes nothing without -PassThru' {
        Get-OutboundConnector | Remove-OutboundConnector -Confirm:$false | Should -BeNullOrEmpty
        Get-OutboundConnector | Should -BeNullOrEmpty
    }

    It 'removes by GUID' {
        Remove-OutboundConnector $Contoso.Guid -Confirm:$false
        (Get-OutboundConnector).Name | Should -Be 'Fabrikam'
    }

    It 'writes nothing with -WhatIf' {
        $before = Get-FileHash $env:DANEMTASTS_STORE
        Remove-OutboundConnector Contoso -WhatIf
        (Get-FileHash $env:DANEMTASTS_STORE).Hash | Should -Be $before.Hash
    }

    It 'writes a non-terminating ConnectorNotFound' {
        Remove-OutboundConnector 'Nobody' -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -Be "ConnectorNotFound,$Cmd"
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errs[0].TargetObject | Should -Be 'Nobody'
        @(Get-OutboundConnector).Count | Should -Be 2
    }

    It 'completes -Identity' {
        (TabExpansion2 -inputScript 'Remove-OutboundConnector Fab' -cursorColumn 28).CompletionMatches.CompletionText | Should -Be @('Fabrikam')
    }
}

Describe 'Store shared by two processes' {
    It 'loses no connector when two pwsh processes add connectors at the same time' {
        $env:DANEMTASTS_STORE = Join-Path $TestDrive 'shared.json'
        $script = Join-Path $TestDrive 'writer.ps1'
        Set-Content $script @'
param($ModulePath, $Prefix)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
1..15 | ForEach-Object { New-OutboundConnector "$Prefix-$_" -RecipientDomains "$Prefix-$_.example" | Out-Null }
'@
        $procs = 'A', 'B' | ForEach-Object { Start-PwshChild -ScriptPath $script -ArgumentList @($env:DANEMTASTS_TEST_MODULE, $_) }
        foreach ($p in $procs) {
            $p.WaitForExit(120000) | Should -BeTrue
            $p.ExitCode | Should -Be 0 -Because $p.StandardError.ReadToEnd()
        }
        @(Get-OutboundConnector -ResultSize Unlimited).Count | Should -Be 30
    }
}
