# Local DNSSEC validation in the lab: every MX-routed scenario of tests/lab/scenarios.csv, under every mode, gets
# the verdict it gets through the validating resolver also when this module validates DNSSEC itself:
# through a resolver that does not validate (Auto falls back to local validation), through DNS over
# HTTPS, and with -DnssecValidation Local. Through a resolver that strips DNSSEC records, every verdict
# that depends on DNSSEC is Indeterminate, never confident, and -Quiet is $false.
# One call per path over all scenarios and modes (the bulk path), so the added lab time stays small.
# Tagged Lab: build.ps1 runs these inside `tests/lab/lab.sh run`; elsewhere they are skipped.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'lab/LabHelpers.psm1') -Force
    $script:InLab = Test-LabRunning
    $script:Scenarios = @(Get-LabScenario | Where-Object { -not $_.SmartHost })
    $script:Paths = 'NonValidating', 'Doh', 'Local'
    $script:Cases = foreach ($path in $Paths) {
        foreach ($s in $Scenarios) {
            foreach ($mode in 'None', 'Opportunistic', 'Mandatory') {
                @{ Path = $path; Scenario = $s.Scenario; Domain = $s.Domain; Mode = $mode; Expected = $s.Expected[$mode] }
            }
        }
    }
    $script:StripCases = foreach ($s in $Scenarios) {
        foreach ($mode in 'None', 'Opportunistic', 'Mandatory') {
            @{ Scenario = $s.Scenario; Domain = $s.Domain; Mode = $mode; Expected = $s.Expected[$mode]; All = $s.Expected }
        }
    }
}

BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'lab/LabHelpers.psm1') -Force
    $script:InLab = Test-LabRunning
    if ($InLab) {
        $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
        $common = @{ TrustedRootCertificate = (Get-LabTrustedRootPath); TrustAnchorFile = (Get-LabTrustAnchorPath); TimeoutSec = 10; WarningAction = 'SilentlyContinue' }
        $script:Through = @{
            NonValidating = @{ DnsServer = (Get-LabDnsServer -Kind NonValidating) } + $common
            Doh           = @{ DnsServer = (Get-LabDnsServer -Kind Doh) } + $common
            Local         = @{ DnsServer = (Get-LabDnsServer); DnssecValidation = 'Local' } + $common
            Stripping     = @{ DnsServer = (Get-LabDnsServer -Kind Stripping) } + $common
        }
        $domains = @(Get-LabScenario | Where-Object { -not $_.SmartHost } | ForEach-Object Domain)
        $script:Results = @{}
        foreach ($path in $Through.Keys) {
            $p = $Through[$path]
            foreach ($r in Test-OutboundTlsPolicy $domains -TlsValidationMode None, Opportunistic, Mandatory @p) {
                $Results["$path|$($r.Domain)|$($r.TlsValidationMode)"] = $r
            }
        }
    }
}

Describe 'Local validation through <Path>: <Scenario> under <Mode>' -Tag Lab -ForEach $Cases {
    It 'gets the verdict of the validating resolver' -Skip:(-not $InLab) {
        $r = $Results["$Path|$Domain|$Mode"]
        $r | Should -Not -BeNullOrEmpty -Because 'every scenario gets a result'
        $why = "$($r.Outcome) $($r.StatusCode) $($r.Security) via $($r.MxHost) (DNSSEC by $($r.DnssecValidatedBy)): $($r.Reason)"
        "$($r.Outcome)" | Should -Be $Expected.Outcome -Because $why
        "$($r.StatusCode)" | Should -Be "$($Expected.StatusCode)" -Because $why
        "$($r.Security)" | Should -Be "$($Expected.Security)" -Because $why
        if ($Expected.MxHost) { $r.MxHost | Should -Be $Expected.MxHost -Because $why }
    }

    It 'says the in-process validator decided' -Skip:(-not $InLab) {
        $r = $Results["$Path|$Domain|$Mode"]
        "$($r.DnssecValidatedBy)" | Should -Be 'Local'
        "$($r.Evidence.Resolver.DnssecValidatedBy)" | Should -Be 'Local'
    }
}

Describe 'Through the stripping resolver: <Scenario> under <Mode>' -Tag Lab -ForEach $StripCases {
    It 'is Indeterminate wherever the verdict depends on DNSSEC, and decided elsewhere' -Skip:(-not $InLab) {
        $r = $Results["Stripping|$Domain|$Mode"]
        $why = "$($r.Outcome) $($r.StatusCode) $($r.Security): $($r.Reason)"
        # Decided without DNSSEC: the domain does not exist or accepts no mail (Reject), or every
        # lookup fails outright (4.4.312 in every mode).
        $decided = $Expected.Outcome -eq 'Reject' -or ($All['None'].StatusCode -eq '4.4.312' -and $All['Mandatory'].StatusCode -eq '4.4.312')
        if ($Mode -eq 'None') {
            "$($r.Outcome)" | Should -Not -Be 'Indeterminate' -Because "mode None does not depend on DNSSEC: $why"
            # A bogus MX queues (4.4.312) only because a validating resolver refuses it; without
            # signatures nothing shows it bogus, and mode None does not ask.
            $bogusMx = $All['None'].StatusCode -eq '4.4.312' -and $All['Mandatory'].StatusCode -eq '4.7.324'
            if (-not $bogusMx) { "$($r.Outcome)" | Should -Be $Expected.Outcome -Because $why }
        }
        elseif ($decided) {
            "$($r.Outcome)" | Should -Be $Expected.Outcome -Because $why
            "$($r.StatusCode)" | Should -Be "$($Expected.StatusCode)" -Because $why
        }
        else {
            "$($r.Outcome)" | Should -Be 'Indeterminate' -Because $why
            $r.StatusCode | Should -BeNullOrEmpty
            $r.Security | Should -BeNullOrEmpty
            "$($r.DnssecValidatedBy)" | Should -Be 'None'
            $r.Reason | Should -Match 'DNS over HTTPS'
        }
    }
}

Describe 'DNSSEC paths in the lab' -Tag Lab {
    It '-Quiet is $false through the stripping resolver for a partner that delivers with DANE' -Skip:(-not $InLab) {
        $p = $Through['Stripping']
        Test-OutboundTlsPolicy dane-ee-good.test -TlsValidationMode Mandatory -Quiet @p | Should -BeFalse
        $p = $Through['NonValidating']
        Test-OutboundTlsPolicy dane-ee-good.test -TlsValidationMode Mandatory -Quiet @p | Should -BeTrue
    }

    It 'Format-List shows the chain of trust of a locally validated answer' -Skip:(-not $InLab) {
        $p = $Through['NonValidating']
        $text = Test-OutboundTlsPolicy dnssec-alg-ed448.test -TlsValidationMode Mandatory @p | Format-List | Out-String -Width 300
        $text | Should -Match 'DNSSEC: Secure \(validated in-process\)'
        $text | Should -Match 'signed by \. key \d+ \(algorithm (8|13)\)'
        $text | Should -Match 'signed by dnssec-alg-ed448\.test\.? key \d+ \(algorithm 16\), valid until \d{4}-'
    }

    It 'the resolver''s AD bit decides in Auto when the resolver validates' -Skip:(-not $InLab) {
        $r = Test-OutboundTlsPolicy dane-ee-good.test -DnsServer (Get-LabDnsServer) -TrustedRootCertificate (Get-LabTrustedRootPath) -TimeoutSec 5
        "$($r.DnssecValidatedBy)" | Should -Be 'Resolver'
        "$($r.Security)" | Should -Be 'Dane'
    }

    It 'without the lab''s trust anchors the lab root is not trusted: nothing is Secure' -Skip:(-not $InLab) {
        $r = Test-OutboundTlsPolicy dane-ee-good.test -TlsValidationMode Mandatory -DnsServer (Get-LabDnsServer -Kind NonValidating) -TrustedRootCertificate (Get-LabTrustedRootPath) -TimeoutSec 5 -WarningAction SilentlyContinue
        "$($r.Outcome)" | Should -Not -Be 'Deliver'
        "$($r.Evidence.Mx.Dnssec.Status)" | Should -Not -Be 'Secure'
    }
}
