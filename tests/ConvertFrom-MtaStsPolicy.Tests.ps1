# ConvertFrom-MtaStsPolicy: the MTA-STS parsers offline (RFC 8461 §3.1, §3.2; docs/verdicts.md#mta-sts-1).
BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    $script:Valid = "version: STSv1`r`nmode: enforce`r`nmx: mx1.contoso.example`r`nmx: *.backup.contoso.example`r`nmax_age: 604800`r`n"
}

Describe 'ConvertFrom-MtaStsPolicy: a policy body' {
    It 'shows Version, Mode, MaxAge and Mx of a valid policy (CRLF line ends)' {
        $r = ConvertFrom-MtaStsPolicy $Valid
        $r.Valid | Should -BeTrue
        $r.Version | Should -Be 'STSv1'
        "$($r.Mode)" | Should -Be 'Enforce'
        $r.MaxAge | Should -Be 604800
        $r.Mx | Should -Be 'mx1.contoso.example', '*.backup.contoso.example'
        $r.Warnings | Should -BeNullOrEmpty
        $r.Errors | Should -BeNullOrEmpty
        $r.Policy | Should -Not -BeNullOrEmpty
    }

    It 'joins piped lines into one policy (Get-Content)' {
        $file = Join-Path $TestDrive 'mta-sts.txt'
        Set-Content -LiteralPath $file -Value $Valid.TrimEnd() -NoNewline
        $r = @(Get-Content $file | ConvertFrom-MtaStsPolicy)
        $r | Should -HaveCount 1
        $r[0].Valid | Should -BeTrue
        $r[0].Mx | Should -HaveCount 2
    }

    It 'reads each -Path as one policy and names it in Source' {
        $a = Join-Path $TestDrive 'a.txt'; $b = Join-Path $TestDrive 'b.txt'
        Set-Content -LiteralPath $a -Value $Valid -NoNewline
        Set-Content -LiteralPath $b -Value "version: STSv1`nmode: none`nmax_age: 0`n" -NoNewline
        $r = @(ConvertFrom-MtaStsPolicy -Path $a, $b)
        $r | Should -HaveCount 2
        $r[0].Source | Should -Be $a
        "$($r[1].Mode)" | Should -Be 'None'
        $r[1].MaxAge | Should -Be 0
        $r[1].Mx | Should -BeNullOrEmpty
    }

    It 'is lenient where the RFC is silent, and says so: <Case>' -ForEach @(
        @{ Case = 'a repeated key (the first wins)'; Text = "version: STSv1`nmode: testing`nmode: enforce`nmx: a.example`nmax_age: 60`n"; Mode = 'Testing'; Warning = "*'mode' appears more than once*" }
        @{ Case = 'an empty line'; Text = "version: STSv1`n`nmode: enforce`nmx: a.example`nmax_age: 60`n"; Mode = 'Enforce'; Warning = '*empty line*' }
        @{ Case = 'a key that is not a field name'; Text = "version: STSv1`nmode: enforce`nmy key: x`nmx: a.example`nmax_age: 60`n"; Mode = 'Enforce'; Warning = '*invalid key*' }
        @{ Case = 'max_age above the maximum (capped)'; Text = "version: STSv1`nmode: enforce`nmx: a.example`nmax_age: 31557601`n"; Mode = 'Enforce'; Warning = '*capped to 31557600*' }
        @{ Case = 'an invalid mx beside a valid one'; Text = "version: STSv1`nmode: enforce`nmx: a.*.example`nmx: a.example`nmax_age: 60`n"; Mode = 'Enforce'; Warning = '*left-most label*' }
    ) {
        $r = ConvertFrom-MtaStsPolicy $Text
        $r.Valid | Should -BeTrue
        "$($r.Mode)" | Should -Be $Mode
        @($r.Warnings) | Should -HaveCount 1
        $r.Warnings[0] | Should -BeLike $Warning
    }

    It 'follows the RFC''s rules and says why not: <Case>' -ForEach @(
        @{ Case = 'no version'; Text = "mode: enforce`nmx: a.example`nmax_age: 60`n"; Error = "*'version' is missing*" }
        @{ Case = 'Version with a capital (keys are case-sensitive)'; Text = "Version: STSv1`nmode: enforce`nmx: a.example`nmax_age: 60`n"; Error = "*'version' is missing*" }
        @{ Case = 'mode in upper case'; Text = "version: STSv1`nmode: ENFORCE`nmx: a.example`nmax_age: 60`n"; Error = '*not one of enforce, testing or none*' }
        @{ Case = 'no max_age'; Text = "version: STSv1`nmode: enforce`nmx: a.example`n"; Error = "*'max_age' is missing*" }
        @{ Case = 'a negative max_age'; Text = "version: STSv1`nmode: enforce`nmx: a.example`nmax_age: -5`n"; Error = '*1 to 10 digits*' }
        @{ Case = 'enforce without mx'; Text = "version: STSv1`nmode: enforce`nmax_age: 60`n"; Error = "*at least one 'mx'*" }
    ) {
        $r = ConvertFrom-MtaStsPolicy $Text
        $r.Valid | Should -BeFalse
        $r.Mode | Should -BeNullOrEmpty
        @($r.Errors) | Should -HaveCount 1
        $r.Errors[0] | Should -BeLike $Error
    }

    It 'shows the fields and the warnings in Format-List' {
        $text = ConvertFrom-MtaStsPolicy "version: STSv1`nmode: enforce`nmode: none`nmx: a.example`nmax_age: 60`n" | Format-List | Out-String -Width 120
        foreach ($label in 'Valid', 'Version', 'Mode', 'MaxAge', 'Mx', 'Warnings', 'Errors') { $text | Should -Match "(?m)^$label\s+:" }
        $text | Should -Match "- The key 'mode' appears more than once"
    }

    It 'refuses a file over 64 KiB without reading it as a policy' {
        $big = Join-Path $TestDrive 'big.txt'
        Set-Content -LiteralPath $big -Value ('x' * 70000) -NoNewline
        $r = ConvertFrom-MtaStsPolicy -Path $big -ErrorVariable err -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PolicyTooLarge*'
    }
}

Describe 'ConvertFrom-MtaStsPolicy -TxtRecord' {
    It 'discards a bare "v=STSv1" before counting, with a warning' {
        $r = ConvertFrom-MtaStsPolicy -TxtRecord 'v=STSv1', 'v=STSv1; id=20260101'
        $r.Valid | Should -BeTrue
        $r.Id | Should -Be '20260101'
        $r.StsRecordCount | Should -Be 1
        @($r.Warnings) | Should -HaveCount 1
    }

    It 'takes the first of a repeated field, with a warning' {
        $r = ConvertFrom-MtaStsPolicy -TxtRecord 'v=STSv1; id=first; id=second'
        $r.Valid | Should -BeTrue
        $r.Id | Should -Be 'first'
        $r.Warnings[0] | Should -BeLike '*more than once*'
    }

    It 'is no policy with two STSv1 records, or an invalid id' -ForEach @(
        @{ Records = @('v=STSv1; id=a', 'v=STSv1; id=b'); Error = '*more than one STSv1 record*' }
        @{ Records = @('v=STSv1; id=not-alnum'); Error = '*1 to 32 letters and digits*' }
        @{ Records = @('v=spf1 -all'); Error = '*no MTA-STS policy*' }
    ) {
        $r = ConvertFrom-MtaStsPolicy -TxtRecord $Records
        $r.Valid | Should -BeFalse
        $r.Id | Should -BeNullOrEmpty
        $r.Errors[0] | Should -BeLike $Error
    }
}
