# Export-TlsPolicyReport and the remediation on results. Without the lab: the files, formats,
# -WhatIf and errors over offline results. In the lab (tag Lab): every non-Deliver result carries a
# remediation, the TLSA record suggested for a mismatch is what openssl computes from the served
# certificate, and the HTML report of every scenario renders in headless Chromium with the summary
# counts of the results and the lab's hostile certificate name and TXT record shown as text.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'lab/LabHelpers.psm1') -Force
    $script:InLab = Test-LabRunning
}

BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'lab/LabHelpers.psm1') -Force
    $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
    $script:ExportCmd = 'DaneMtaSts.Module.Commands.ExportTlsPolicyReportCommand'

    # The category key the report gives a result (ReportCategory in the engine), computed here
    # independently from the result's own properties.
    function script:Get-CategoryKey($Result) {
        switch ("$($Result.Outcome)") {
            'Deliver' { "deliver-$("$($Result.Security)".ToLowerInvariant())" }
            'Queue' { "queue-$($Result.StatusCode)" }
            'Reject' { "reject-$($Result.StatusCode)" }
            default { 'indeterminate' }
        }
    }

    # The summary table as the page shows it: mode -> category -> count (one column per mode).
    function script:Read-SummaryTable([string] $Html) {
        $table = [regex]::Match($Html, '<table class="summary">(.*?)</table>', 'Singleline').Groups[1].Value
        $table | Should -Not -BeNullOrEmpty -Because 'the page has a summary table'
        $modes = @{}
        foreach ($cell in [regex]::Matches($table, '<td class="count" data-connector="[^"]*" data-mode="([^"]+)" data-category="([^"]+)">(\d+)</td>')) {
            $mode = $cell.Groups[1].Value
            if (-not $modes.ContainsKey($mode)) { $modes[$mode] = @{} }
            $modes[$mode][$cell.Groups[2].Value] = [int]$cell.Groups[3].Value
        }
        return $modes
    }

    function script:Assert-SelfContained([string] $Html) {
        $Html | Should -Not -Match '<script' -Because 'the page needs no script'
        $Html | Should -Not -Match '<link|<iframe|<object|<embed|@import|url\(' -Because 'nothing is loaded from elsewhere'
        $Html | Should -Not -Match '<[^>]*\s(src|href)=' -Because 'no resource or link leaves the file'
        $Html | Should -Match "Content-Security-Policy"" content=""default-src 'none'"
    }
}

Describe 'Export-TlsPolicyReport' {
    BeforeAll {
        # A UDP port nobody answers on: lookups fail at once, the results are real but offline.
        $probe = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
        $dead = "127.0.0.1:$($probe.Client.LocalEndPoint.Port)"
        $probe.Dispose()
        $script:Results = @(Test-OutboundTlsPolicy a.example, b.example -TlsValidationMode None, Mandatory -DnsServer $dead -TimeoutSec 1 -WarningAction SilentlyContinue)
    }

    It 'writes one self-contained HTML page whose summary counts the results' {
        $path = Join-Path $TestDrive 'out/report.html'
        $file = $Results | Export-TlsPolicyReport -Path $path
        $file | Should -BeOfType ([System.IO.FileInfo])
        $file.FullName | Should -Be $path
        $html = Get-Content $path -Raw
        $html | Should -Match '^<!DOCTYPE html>'
        Assert-SelfContained $html
        $html | Should -Match '<svg role="img"'
        $table = Read-SummaryTable $html
        $Results.Count | Should -Be 4
        foreach ($group in $Results | Group-Object TlsValidationMode) {
            $table["$($group.Name)"]['total'] | Should -Be $group.Count
            foreach ($byKey in $group.Group | Group-Object { Get-CategoryKey $_ }) {
                $table["$($group.Name)"][$byKey.Name] | Should -Be $byKey.Count
            }
        }
        $html | Should -Match ([regex]::Escape("DaneMtaSts $((Get-Module DaneMtaSts).Version)"))
    }

    It 'writes Markdown with -Format Markdown' {
        $path = Join-Path $TestDrive 'report.md'
        $Results | Export-TlsPolicyReport -Path $path -Format Markdown -Title 'Nightly' | Out-Null
        $md = Get-Content $path -Raw
        $md | Should -Match '^# Nightly'
        $md | Should -Match '## Summary per connector and mode'
        $md | Should -Match ([regex]::Escape('| Outcome | \(no connector\) · None | \(no connector\) · Mandatory |'))
        $md | Should -Match ([regex]::Escape('| **Total** | **2** | **2** |'))
        $md | Should -Match '### a\\\.example'
    }

    It 'puts a remediation on every result that does not deliver' {
        foreach ($r in $Results | Where-Object Outcome -ne 'Deliver') {
            @($r.Remediation).Count | Should -BeGreaterThan 0 -Because "$($r.Domain) $($r.TlsValidationMode) $($r.Outcome)"
            $r.Remediation[0].Text | Should -Not -BeNullOrEmpty
        }
    }

    It 'writes nothing under -WhatIf' {
        $path = Join-Path $TestDrive 'whatif.html'
        $Results | Export-TlsPolicyReport -Path $path -WhatIf
        Test-Path $path | Should -BeFalse
    }

    It 'reports an unwritable path as TlsPolicyReportWriteFailed' {
        $dir = Join-Path $TestDrive 'a-folder'
        New-Item -ItemType Directory -Path (Join-Path $dir 'report.html') -Force | Out-Null
        $Results | Export-TlsPolicyReport -Path (Join-Path $dir 'report.html') -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -Be "TlsPolicyReportWriteFailed,$ExportCmd"
        @(Get-ChildItem $dir -Filter '*.tmp').Count | Should -Be 0
    }
}

Describe 'Remediation and the report in the lab' -Tag Lab {
    BeforeAll {
        if ($InLab) {
            # A generous timeout: a hang guard on a loaded machine, where Postfix may take seconds to greet.
            $script:Lab = @{ DnsServer = (Get-LabDnsServer); TrustedRootCertificate = (Get-LabTrustedRootPath); TimeoutSec = 30; WarningAction = 'SilentlyContinue' }
            $domains = @(Get-LabScenario | Where-Object { -not $_.SmartHost } | ForEach-Object Domain)
            $script:All = @(Test-OutboundTlsPolicy $domains -TlsValidationMode None, Opportunistic, Mandatory @Lab)
            $script:ReportPath = Join-Path $TestDrive 'lab-report.html'
            $All | Export-TlsPolicyReport -Path $ReportPath -Title 'Lab partners: impact report' | Out-Null
            $script:Dom = Invoke-HeadlessChromium -Path $ReportPath
        }

        # The SPKI SHA-256 of a certificate exactly as the issue says: openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum.
        function script:Get-OpenSslSpkiSha256([string] $PemPath) {
            $out = bash -c "openssl x509 -in '$PemPath' -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum"
            return ($out -split '\s+')[0]
        }

        # The chain the host serves on port 25, fetched with openssl s_client (STARTTLS, SNI), one PEM file per certificate.
        function script:Get-ServedChain([string] $HostName, [string] $Address, [string] $Folder) {
            New-Item -ItemType Directory -Path $Folder -Force | Out-Null
            $text = bash -c "openssl s_client -starttls smtp -connect '${Address}:25' -servername '$HostName' -showcerts </dev/null 2>/dev/null" | Out-String
            $pems = [regex]::Matches($text, '-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----', 'Singleline')
            $i = 0
            foreach ($pem in $pems) {
                $file = Join-Path $Folder "cert$i.pem"
                Set-Content -LiteralPath $file -Value $pem.Value
                $file
                $i++
            }
        }
    }

    It 'gives every non-Deliver result a remediation' -Skip:(-not $InLab) {
        $failing = @($All | Where-Object Outcome -ne 'Deliver')
        $failing.Count | Should -BeGreaterThan 20 -Because 'the lab has many broken partners'
        foreach ($r in $failing) {
            @($r.Remediation).Count | Should -BeGreaterThan 0 -Because "$($r.Domain) under $($r.TlsValidationMode): $($r.Outcome) $($r.StatusCode) $($r.Reason)"
        }
        # Clean partners get nothing to fix.
        $good = $All | Where-Object { $_.Domain -eq 'dane-ee-good.test' }
        foreach ($r in $good) { @($r.Remediation).Count | Should -Be 0 }
    }

    It 'suggests for a TLSA mismatch the 3 1 1 record openssl computes from the served certificate' -Skip:(-not $InLab) {
        $r = $All | Where-Object { $_.Domain -eq 'dane-ee-wrong.test' -and $_.TlsValidationMode -eq 'Opportunistic' }
        "$($r.StatusCode)" | Should -Be '4.7.323' -Because $r.Reason
        $fix = @($r.Remediation | Where-Object Kind -eq 'PublishTlsa')
        $fix.Count | Should -Be 1
        $address = ($r.Evidence.Hosts[0].Addresses | Where-Object { $_.Address.AddressFamily -eq 'InterNetwork' } | Select-Object -First 1).Address
        $served = @(Get-ServedChain 'mx.dane-ee-wrong.test' "$address" (Join-Path $TestDrive 'ee-wrong'))
        $served.Count | Should -Be 1 -Because 'a self-signed DANE-EE leaf is served alone'
        $expected = Get-OpenSslSpkiSha256 $served[0]
        $expected | Should -Match '^[0-9a-f]{64}$'
        $fix[0].Publish | Should -Be @("_25._tcp.mx.dane-ee-wrong.test. IN TLSA 3 1 1 $expected")
    }

    It 'suggests 3 1 1 of the leaf and 2 1 1 of the issuing CA, as openssl computes them, where the chain has a CA' -Skip:(-not $InLab) {
        $r = $All | Where-Object { $_.Domain -eq 'dnssec-no-tlsa.test' -and $_.TlsValidationMode -eq 'Mandatory' }
        "$($r.StatusCode)" | Should -Be '4.7.323' -Because $r.Reason
        $fix = @($r.Remediation | Where-Object Kind -eq 'PublishTlsa')
        $address = ($r.Evidence.Hosts[0].Addresses | Where-Object { $_.Address.AddressFamily -eq 'InterNetwork' } | Select-Object -First 1).Address
        $served = @(Get-ServedChain 'mx.dnssec-no-tlsa.test' "$address" (Join-Path $TestDrive 'no-tlsa'))
        $served.Count | Should -Be 2 -Because 'the lab serves leaf + issuing CA'
        $fix[0].Publish | Should -Be @(
            "_25._tcp.mx.dnssec-no-tlsa.test. IN TLSA 3 1 1 $(Get-OpenSslSpkiSha256 $served[0])"
            "_25._tcp.mx.dnssec-no-tlsa.test. IN TLSA 2 1 1 $(Get-OpenSslSpkiSha256 $served[1])")
        $fix[0].Text | Should -Match 'RFC 7671 §8\.1'
    }

    It 'names the certificate to reissue and the names it must carry for a DANE-TA name mismatch' -Skip:(-not $InLab) {
        $r = $All | Where-Object { $_.Domain -eq 'dane-ta-wrong-name.test' -and $_.TlsValidationMode -eq 'Mandatory' }
        $fix = @($r.Remediation | Where-Object Kind -eq 'FixCertificateNames')
        $fix.Count | Should -Be 1
        $fix[0].CertificateNames[0] | Should -Be 'mx.dane-ta-wrong-name.test'
        $fix[0].Text | Should -Match 'www\.unrelated\.test'
    }

    It 'gives the mx lines that cover the MX hosts for an MTA-STS mx mismatch' -Skip:(-not $InLab) {
        $r = $All | Where-Object { $_.Domain -eq 'sts-enforce-mx-mismatch.test' -and $_.TlsValidationMode -eq 'Opportunistic' }
        "$($r.StatusCode)" | Should -Be '4.4.8'
        $fix = @($r.Remediation | Where-Object Kind -eq 'FixMtaStsMx')
        $fix[0].Publish | Should -Contain "mx: $($r.Evidence.Hosts[0].Name)"
    }

    It 'says what is wrong with a policy fetch: <Domain>' -Skip:(-not $InLab) -ForEach @(
        @{ Domain = 'sts-redirect.test'; Text = 'redirect' }
        @{ Domain = 'sts-text-html.test'; Text = 'text/html' }
        @{ Domain = 'sts-404.test'; Text = 'HTTP 404' }
        @{ Domain = 'sts-oversize.test'; Text = '64 KiB' }
        @{ Domain = 'sts-policy-wrong-cert.test'; Text = 'certificate' }
    ) {
        $r = $All | Where-Object { $_.Domain -eq $Domain -and $_.TlsValidationMode -eq 'Opportunistic' }
        $fix = @($r.Remediation | Where-Object Kind -eq 'FixMtaStsPolicyFetch')
        $fix.Count | Should -Be 1
        $fix[0].Text | Should -Match ([regex]::Escape($Text))
        $fix[0].Text | Should -Match 'RFC 8461'
    }

    It 'renders offline in Chromium with the summary counts of the results' -Skip:(-not $InLab) {
        Assert-SelfContained (Get-Content $ReportPath -Raw)
        $Dom | Should -Match '<title>Lab partners: impact report</title>'
        $table = Read-SummaryTable $Dom
        foreach ($group in $All | Group-Object TlsValidationMode) {
            $table["$($group.Name)"]['total'] | Should -Be $group.Count
            foreach ($byKey in $group.Group | Group-Object { Get-CategoryKey $_ }) {
                $table["$($group.Name)"][$byKey.Name] | Should -Be $byKey.Count -Because "$($group.Name) $($byKey.Name)"
            }
        }
        # The chart draws one bar segment per category and mode, with the count in its tooltip.
        $segments = [regex]::Matches($Dom, '<rect [^>]*><title>[^<]*: [^<]* (\d+) of (\d+)</title></rect>')
        ($segments | ForEach-Object { [int]$_.Groups[1].Value } | Measure-Object -Sum).Sum | Should -Be $All.Count
    }

    It 'shows the hostile certificate name and TXT record as text, not markup' -Skip:(-not $InLab) {
        $hostile = $All | Where-Object { $_.Domain -eq 'hostile-values.test' -and $_.TlsValidationMode -eq 'Opportunistic' }
        "$($hostile.StatusCode)" | Should -Be '4.7.325' -Because $hostile.Reason
        # The page has no element the hostile values could have become...
        $Dom | Should -Not -Match '<img'
        $Dom | Should -Not -Match '<script'
        # ...and shows them, escaped, as text.
        $Dom | Should -Match ([regex]::Escape('&lt;img src=x onerror=alert(1)&gt;.hostile-values.test'))
        $Dom | Should -Match ([regex]::Escape('id=&lt;script&gt;alert(1)&lt;/script&gt;'))
    }

    It 'takes a screenshot of the rendered report' -Skip:(-not $InLab) {
        $png = Join-Path $TestDrive 'report.png'
        $file = Invoke-HeadlessChromium -Path $ReportPath -Screenshot $png -WindowSize '1280,1500'
        $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
        $bytes[0..7] | Should -Be @(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A) -Because 'it is a PNG'
        $bytes.Length | Should -BeGreaterThan 20000 -Because 'a rendered page is not blank'
        if ($env:DANEMTASTS_REPORT_SCREENSHOT) { Copy-Item $file.FullName $env:DANEMTASTS_REPORT_SCREENSHOT -Force }
    }
}
