BeforeDiscovery {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    # Every cmdlet the manifest lists (Validate-OutboundConnector is an alias of Test-OutboundConnector).
    $script:Commands = @((Import-PowerShellDataFile $env:DANEMTASTS_TEST_MODULE).CmdletsToExport | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
}

Describe 'Help of <Name>' -ForEach $Commands {
    BeforeAll {
        $script:Help = Get-Help $Name -Full
        $script:Common = [System.Management.Automation.Cmdlet]::CommonParameters
        $script:Parameters = @((Get-Command $Name).Parameters.Values | Where-Object Name -notin $Common)
    }

    It 'has a synopsis that is not the generated syntax' {
        $Help.Synopsis | Should -Not -BeNullOrEmpty
        # Without a help file PowerShell puts the syntax in the synopsis.
        $Help.Synopsis | Should -Not -Match ([regex]::Escape("$Name ") + '\[')
    }

    It 'has a description' {
        ($Help.Description.Text -join ' ') | Should -Not -BeNullOrEmpty
    }

    It 'describes every parameter' {
        foreach ($p in $Parameters) {
            $entry = $Help.Parameters.Parameter | Where-Object Name -eq $p.Name
            $entry | Should -Not -BeNullOrEmpty -Because "-$($p.Name) must be in the help"
            ($entry.Description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$($p.Name) needs a description"
        }
    }

    It 'has at least two examples with code and remarks' {
        @($Help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        foreach ($e in $Help.Examples.Example) {
            $e.Code | Should -Not -BeNullOrEmpty
            ($e.Remarks.Text -join ' ') | Should -Not -BeNullOrEmpty
        }
    }

    It 'declares an output type' {
        (Get-Command $Name).OutputType | Should -Not -BeNullOrEmpty
    }
}

Describe 'Get-Help -Full output' {
    It 'shows synopsis, description, parameters and examples of New-OutboundConnector' {
        $text = Get-Help New-OutboundConnector -Full | Out-String -Width 200
        $text | Should -Match 'SYNOPSIS\s+Creates an Exchange Online outbound connector'
        $text | Should -Match '-TlsValidationMode'
        $text | Should -Match 'Example 2'
    }
}

Describe 'about_DaneMtaSts' {
    It 'is found by Get-Help and lists every page of the specification''s index' {
        $topic = Get-Help about_DaneMtaSts | Out-String
        $topic | Should -Match 'about_DaneMtaSts'
        $root = Split-Path $PSScriptRoot -Parent
        # The pages docs/README.md links to, and the index itself.
        $index = Get-Content (Join-Path $root 'docs/README.md') -Raw
        $pages = @('README.md') + @([regex]::Matches($index, '\]\(([a-z0-9-]+\.md)\)') | ForEach-Object { $_.Groups[1].Value } | Select-Object -Unique)
        $pages.Count | Should -BeGreaterOrEqual 6
        foreach ($page in $pages) { $topic | Should -Match ([regex]::Escape("docs/$page")) -Because "the topic lists docs/$page" }
        # Every page it names exists.
        foreach ($m in [regex]::Matches($topic, 'docs/([a-z0-9-]+\.md)')) { Join-Path $root "docs/$($m.Groups[1].Value)" | Should -Exist }
    }

    It 'ships with the licence and the changelog' {
        $folder = Split-Path $env:DANEMTASTS_TEST_MODULE -Parent
        Join-Path $folder 'LICENSE' | Should -Exist
        Join-Path $folder 'CHANGELOG.md' | Should -Exist
        Join-Path $folder 'en-US/about_DaneMtaSts.help.txt' | Should -Exist
    }
}
