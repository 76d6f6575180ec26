# The module against the real-server lab (BIND, Unbound, Postfix, nginx): every scenario of
# tests/lab/scenarios.csv under every mode, posttls-finger side by side on the DANE scenarios,
# Validate-OutboundConnector delivering into the lab's maildirs, and the examples/.
# Tagged Lab: build.ps1 runs these inside `tests/lab/lab.sh run`; elsewhere they are skipped.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'lab/LabHelpers.psm1') -Force
    $script:InLab = Test-LabRunning
    $script:Scenarios = @(Get-LabScenario)
    $script:Cases = foreach ($s in $Scenarios) {
        foreach ($mode in 'None', 'Opportunistic', 'Mandatory') {
            @{ Scenario = $s.Scenario; Domain = $s.Domain; Mode = $mode; Expected = $s.Expected[$mode]; SmartHost = $s.SmartHost }
        }
    }
    # posttls-finger gives a DANE verdict only where DANE is in play at the host it reaches.
    $script:DaneCases = @($Scenarios | Where-Object { $_.Rule -match 'docs/verdicts\.md#(dane-\d|precedence)' -and -not $_.SmartHost } | ForEach-Object { @{ Scenario = $_.Scenario; Domain = $_.Domain } })
}

BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'lab/LabHelpers.psm1') -Force
    $script:InLab = Test-LabRunning
    if ($InLab) {
        $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
        # TimeoutSec is generous: no scenario's verdict depends on a timeout, and on a loaded machine
        # (load average 45 seen) the lab's Postfix has taken more than 5 s to send its banner.
        $script:Lab = @{ DnsServer = (Get-LabDnsServer); TrustedRootCertificate = (Get-LabTrustedRootPath); TimeoutSec = 30; WarningAction = 'SilentlyContinue' }

        # One call for every MX-routed scenario and mode: the bulk path, shared lookups and probes.
        $mxDomains = @(Get-LabScenario | Where-Object { -not $_.SmartHost } | ForEach-Object Domain)
        $script:Results = @{}
        foreach ($r in Test-OutboundTlsPolicy $mxDomains -TlsValidationMode None, Opportunistic, Mandatory @Lab) {
            $Results["$($r.Domain)|$($r.TlsValidationMode)"] = $r
        }

        # Smart-host scenarios: a connector that routes the scenario's domain through its smart host.
        foreach ($s in Get-LabScenario | Where-Object SmartHost) {
            $name = "smarthost-$($s.Scenario)"
            New-OutboundConnector $name -RecipientDomains $s.Domain -UseMXRecord $false -SmartHosts $s.SmartHost | Out-Null
            foreach ($r in Test-OutboundTlsPolicy -Connector $name -TlsValidationMode None, Opportunistic, Mandatory @Lab) {
                $Results["$($r.Domain)|$($r.TlsValidationMode)"] = $r
            }
        }
    }
}

Describe 'Lab scenario <Scenario> under <Mode>' -Tag Lab -ForEach $Cases {
    It 'has the expected outcome, status code, security and MX host' -Skip:(-not $InLab) {
        $r = $Results["$Domain|$Mode"]
        $r | Should -Not -BeNullOrEmpty -Because "every scenario gets a result"
        $why = "$($r.Outcome) $($r.StatusCode) $($r.Security) via $($r.MxHost): $($r.Reason)"
        "$($r.Outcome)" | Should -Be $Expected.Outcome -Because $why
        "$($r.StatusCode)" | Should -Be "$($Expected.StatusCode)" -Because $why
        "$($r.Security)" | Should -Be "$($Expected.Security)" -Because $why
        if ($Expected.MxHost) { $r.MxHost | Should -Be $Expected.MxHost -Because $why }
    }

    It 'never delivers with Dane security unless a secure, usable TLSA record matched' -Skip:(-not $InLab) {
        $r = $Results["$Domain|$Mode"]
        if ($r.Security -eq 'Dane') {
            $hostEvidence = $r.Evidence.Hosts | Where-Object Name -eq $r.MxHost
            $hostEvidence.DaneApplicable | Should -BeTrue
            "$($hostEvidence.Tlsa)" | Should -Be 'Usable'
            "$($hostEvidence.TlsaStatus)" | Should -Be 'Secure'
            @($hostEvidence.Addresses | Where-Object { $_.Dane.Authenticated }).Count | Should -BeGreaterThan 0
        }
        if ($Mode -eq 'Mandatory' -and $r.Outcome -eq 'Deliver') { "$($r.Security)" | Should -Be 'Dane' }
    }
}

Describe 'posttls-finger agrees on <Scenario>' -Tag Lab -ForEach $DaneCases {
    It 'DANE-verifies exactly when Mandatory delivers with Dane' -Skip:(-not $InLab) {
        $ours = $Results["$Domain|Mandatory"]
        # posttls-finger stops at the first MX host it reaches: when a less preferred host decided our
        # verdict, ask that host directly so both judge the same server.
        $first = @($ours.Evidence.Hosts)[0].Name
        $finger = if ($ours.MxHost -and $first -and $ours.MxHost -ne $first) { Invoke-PostTlsFinger -HostName $ours.MxHost -Level dane-only } else { Invoke-PostTlsFinger -Domain $Domain -Level dane-only }
        $theirs = $finger.Result -eq 'Verified' -and $finger.Dane
        $mine = $ours.Outcome -eq 'Deliver' -and $ours.Security -eq 'Dane'
        $mine | Should -Be $theirs -Because "posttls-finger said $($finger.Result) (DANE $($finger.Dane)); we said $($ours.Outcome) $($ours.StatusCode) $($ours.Security): $($ours.Reason)"
    }
}

Describe 'Validate-OutboundConnector in the lab' -Tag Lab {
    BeforeAll {
        if ($InLab) {
            New-OutboundConnector 'Lab Mandatory' -RecipientDomains 'dane-ee-good.test', 'dane-ee-wrong.test' -TlsValidationMode Mandatory | Out-Null
            New-OutboundConnector 'Lab Sts' -RecipientDomains 'sts-enforce-good.test' | Out-Null
        }
    }

    It 'delivers over the judged DANE session into the partner''s maildir' -Skip:(-not $InLab) {
        $since = Get-Date
        $r = Validate-OutboundConnector 'Lab Mandatory' -Recipients 'postmaster@dane-ee-good.test' @Lab
        $r.Sent | Should -BeTrue -Because $r.Reason
        "$($r.Outcome)" | Should -Be 'Deliver'
        "$($r.Security)" | Should -Be 'Dane'
        $r.MxHost | Should -Be 'mx.dane-ee-good.test'
        $r.ServerReply | Should -Match '^250'
        $r.MessageId | Should -Not -BeNullOrEmpty
        $messages = @(Wait-LabMaildirMessage -Domain 'dane-ee-good.test' -Since $since -Text $r.MessageId)
        $messages.Count | Should -Be 1
        $messages[0].Text | Should -Match 'DaneMtaSts test message via connector Lab Mandatory'
    }

    It 'sends nothing when the connector''s policy queues, and says why' -Skip:(-not $InLab) {
        $since = Get-Date
        $r = Validate-OutboundConnector 'Lab Mandatory' -Recipients 'postmaster@dane-ee-wrong.test' @Lab
        $r.Sent | Should -BeFalse
        "$($r.Outcome)" | Should -Be 'Queue'
        $r.StatusCode | Should -Be '4.7.323'
        $r.Reason | Should -Match '^Nothing was sent'
        Start-Sleep -Milliseconds 500
        @(Get-LabMaildirMessage -Domain 'dane-ee-wrong.test' -Since $since).Count | Should -Be 0
    }

    It 'delivers under an MTA-STS enforce policy with Security MtaSts' -Skip:(-not $InLab) {
        $r = Validate-OutboundConnector 'Lab Sts' -Recipients 'someone@sts-enforce-good.test' @Lab
        $r.Sent | Should -BeTrue -Because $r.Reason
        "$($r.Security)" | Should -Be 'MtaSts'
    }

    It 'does not mark the connector validated' -Skip:(-not $InLab) {
        (Get-OutboundConnector 'Lab Mandatory').IsValidated | Should -BeFalse
    }
}

Describe 'Test-OutboundTlsPolicy features in the lab' -Tag Lab {
    It 'answers "what breaks if I switch to Mandatory?" for a connector' -Skip:(-not $InLab) {
        New-OutboundConnector 'Lab Mixed' -RecipientDomains 'dane-ee-good.test', 'unsigned-tls.test', 'sts-enforce-good.test' | Out-Null
        $r = Test-OutboundTlsPolicy -Connector 'Lab Mixed' -TlsValidationMode Mandatory @Lab
        ($r | Where-Object Outcome -ne 'Deliver').Domain | Should -Be 'unsigned-tls.test', 'sts-enforce-good.test'
        ($r | Where-Object Outcome -ne 'Deliver').StatusCode | Should -Be '4.7.324', '4.7.324'
    }

    It '-AsOf shows a DANE-TA chain breaking when its leaf expires, while DANE-EE ignores dates' -Skip:(-not $InLab) {
        $later = (Get-Date).AddYears(30)
        $ta = Test-OutboundTlsPolicy dane-ta-good.test -TlsValidationMode Mandatory -AsOf $later @Lab
        "$($ta.Outcome)" | Should -Be 'Queue'
        $ta.StatusCode | Should -Be '4.7.322'
        $ee = Test-OutboundTlsPolicy dane-ee-good.test -TlsValidationMode Mandatory -AsOf $later @Lab
        "$($ee.Security)" | Should -Be 'Dane'
    }

    It 'warns when an MTA-STS policy''s mx patterns miss an MX host' -Skip:(-not $InLab) {
        $null = Test-OutboundTlsPolicy sts-enforce-mx-mismatch.test @Lab -WarningVariable w -WarningAction SilentlyContinue
        ($w -join "`n") | Should -Match 'do not cover the MX host'
    }

    It 'probes a shared MX host once for several domains' -Skip:(-not $InLab) {
        # unsigned-mx-dane-host.test uses mx.dane-ee-good.test as its MX: one call, both domains.
        $r = Test-OutboundTlsPolicy dane-ee-good.test, unsigned-mx-dane-host.test @Lab
        "$($r[0].Security)" | Should -Be 'Dane'
        "$($r[1].Security)" | Should -Be 'Tls'
    }

    It 'lists the evidence readably' -Skip:(-not $InLab) {
        $text = Test-OutboundTlsPolicy dane-ta-good.test @Lab | Format-List | Out-String -Width 300
        $text | Should -Match 'TLSA at _25\._tcp\.mx\.dane-ta-good\.test: Usable \(Secure\)'
        $text | Should -Match '2 1 1 [0-9A-F]{64}: matched at depth 1'
        $text | Should -Match 'spki sha256 [0-9A-F]{64}'
    }

    It 'exports TLS-RPT reports with the tlsa and sts policies' -Skip:(-not $InLab) {
        $dir = Join-Path $TestDrive 'tlsrpt'
        $files = Test-OutboundTlsPolicy dane-ee-wrong.test, sts-enforce-good.test @Lab |
            Export-TlsRptReport -Path $dir -OrganizationName Lab -ContactInfo 'tls@lab.test'
        $files.Count | Should -Be 2
        $dane = Get-Content ($files | Where-Object Name -match 'dane-ee-wrong').FullName -Raw | ConvertFrom-Json -AsHashtable
        $dane['policies'][0]['policy']['policy-type'] | Should -Be 'tlsa'
        $dane['policies'][0]['failure-details'][0]['result-type'] | Should -Be 'tlsa-invalid'
        $sts = Get-Content ($files | Where-Object Name -match 'sts-enforce-good').FullName -Raw | ConvertFrom-Json -AsHashtable
        $sts['policies'][0]['policy']['policy-type'] | Should -Be 'sts'
        $sts['policies'][0]['policy']['mx-host'] | Should -Contain 'mx.sts-enforce-good.test'
        $sts['policies'][0]['summary']['total-successful-session-count'] | Should -Be 1
    }
}

Describe 'examples/ in the lab' -Tag Lab {
    BeforeAll {
        $script:Examples = Join-Path (Split-Path $PSScriptRoot -Parent) 'examples'
        $script:ModuleRoot = Split-Path (Split-Path (Split-Path $env:DANEMTASTS_TEST_MODULE -Parent) -Parent) -Parent
        $env:PSModulePath = $ModuleRoot + [IO.Path]::PathSeparator + $env:PSModulePath
        $script:Pwsh = @(Get-PwshCommand)
        function script:Invoke-Example([string[]] $Arguments) {
            $exe = $Pwsh[0]
            $rest = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive') + $Arguments
            $out = & $exe @rest 2>&1 | Out-String
            return [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $out }
        }
    }

    It 'Switch-ToMandatory refuses when a domain would break, and switches when none would' -Skip:(-not $InLab) {
        New-OutboundConnector 'Ex Breaks' -RecipientDomains 'dane-ee-good.test', 'unsigned-tls.test' | Out-Null
        New-OutboundConnector 'Ex Safe' -RecipientDomains 'dane-ee-good.test', 'dane-ta-good.test' | Out-Null
        $lab = @('-DnsServer', $Lab.DnsServer, '-TimeoutSec', '30')
        $r = Invoke-Example (@('-File', (Join-Path $Examples 'Switch-ToMandatory.ps1'), '-Connector', 'Ex Breaks') + $lab)
        $r.ExitCode | Should -Be 1 -Because $r.Output
        $r.Output | Should -Match 'unsigned-tls\.test\s+4\.7\.324'
        (Get-OutboundConnector 'Ex Breaks').TlsValidationMode | Should -Be 'Opportunistic'
        $r = Invoke-Example (@('-File', (Join-Path $Examples 'Switch-ToMandatory.ps1'), '-Connector', 'Ex Safe') + $lab)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        (Get-OutboundConnector 'Ex Safe').TlsValidationMode | Should -Be 'Mandatory'
    }

    It 'Invoke-PartnerAudit writes CSV, JSON, TLS-RPT and HTML report files and fails on queued partners' -Skip:(-not $InLab) {
        $csv = Join-Path $TestDrive 'partners.csv'
        'Domain', 'dane-ee-good.test', 'dane-ee-wrong.test', 'null-mx.test' | Set-Content $csv
        $out = Join-Path $TestDrive 'audit'
        $r = Invoke-Example @('-File', (Join-Path $Examples 'Invoke-PartnerAudit.ps1'), '-Path', $csv, '-OutputFolder', $out,
            '-DnsServer', $Lab.DnsServer, '-TrustedRootCertificate', $Lab.TrustedRootCertificate, '-TimeoutSec', '30')
        $r.ExitCode | Should -Be 1 -Because $r.Output
        $rows = Import-Csv (Join-Path $out 'results.csv')
        $rows.Count | Should -Be 9
        ($rows | Where-Object { $_.Domain -eq 'dane-ee-wrong.test' -and $_.TlsValidationMode -eq 'Opportunistic' }).StatusCode | Should -Be '4.7.323'
        (Get-Content (Join-Path $out 'results.json') -Raw | ConvertFrom-Json).Count | Should -Be 9
        @(Get-ChildItem (Join-Path $out 'tlsrpt') -Filter *.json).Count | Should -Be 2
        # The impact report beside them opens in a browser and names the partner that would queue.
        $html = Join-Path $out 'report.html'
        Test-Path $html | Should -BeTrue
        $dom = Invoke-HeadlessChromium -Path $html
        $dom | Should -Match '<title>Partner TLS audit \d{4}-\d{2}-\d{2}</title>'
        $dom | Should -Match '<h3>dane-ee-wrong\.test</h3>'
    }

    It 'PartnerTls.Tests passes for DANE partners and fails, naming the code, for a broken one' -Skip:(-not $InLab) {
        $pester = Join-Path (Split-Path $PSScriptRoot -Parent) '.tools/packages/pester/6.2.0/tools/Pester.psd1'
        $suite = Join-Path $Examples 'PartnerTls.Tests.ps1'
        $script = "Import-Module '$pester'; `$c = New-PesterConfiguration; `$c.Run.Path = '$suite'; `$c.Run.PassThru = `$true; `$c.Output.Verbosity = 'Detailed'; `$r = Invoke-Pester -Configuration `$c; exit `$r.FailedCount"
        $env:PARTNER_DNS_SERVER = $Lab.DnsServer
        try {
            $env:PARTNER_DOMAINS = 'dane-ee-good.test, dane-ta-good.test'
            $ok = Invoke-Example @('-Command', $script)
            $ok.ExitCode | Should -Be 0 -Because $ok.Output
            $env:PARTNER_DOMAINS = 'dane-ee-good.test, dane-ee-wrong.test'
            $bad = Invoke-Example @('-Command', $script)
            $bad.ExitCode | Should -Be 2 -Because $bad.Output
            $bad.Output | Should -Match '4\.7\.323 tlsa-invalid'
        }
        finally {
            Remove-Item Env:PARTNER_DOMAINS, Env:PARTNER_DNS_SERVER -ErrorAction SilentlyContinue
        }
    }
}

Describe 'Hostile input at scale in the lab' -Tag Lab {
    It 'streams 10,000 domains from a file with bounded memory; hostile lines get clear errors' -Skip:(-not $InLab) {
        $file = Join-Path $TestDrive 'bulk.txt'
        $hostile = @('has space.test', "control`u{7}char.test", (('a' * 300) + '.test'), '192.0.2.7', '[mx.dane-ee-good.test]', 'user@[192.0.2.1]')
        $lines = @(1..10000 | ForEach-Object { "p$_.no-such-partner.test" }) + $hostile + @('someone@dane-ee-good.test')
        Set-Content -LiteralPath $file -Value $lines
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $before = [GC]::GetTotalMemory($true)
        $stats = @{ Count = 0; Rejected = 0; PeakManaged = 0L }
        $sw = [System.Diagnostics.Stopwatch]::StartNew()
        Get-Content -LiteralPath $file | Test-OutboundTlsPolicy -TlsValidationMode Opportunistic @Lab -ThrottleLimit 32 -ErrorVariable errs -ErrorAction SilentlyContinue -ProgressAction SilentlyContinue |
            ForEach-Object {
                $stats.Count++
                if ($_.StatusCode -eq '5.4.310') { $stats.Rejected++ }
                if ($stats.Count % 1000 -eq 0) { $stats.PeakManaged = [Math]::Max($stats.PeakManaged, [GC]::GetTotalMemory($false)) }
            }
        $sw.Stop()
        $growthMb = [Math]::Round(($stats.PeakManaged - $before) / 1MB, 1)
        Write-Host "bulk: $($stats.Count) results from $($lines.Count) lines in $([Math]::Round($sw.Elapsed.TotalSeconds, 1)) s; $($errs.Count) input errors; managed heap growth at peak $growthMb MB"
        $stats.Count | Should -Be 10001
        $stats.Rejected | Should -Be 10000
        $errs.Count | Should -Be $hostile.Count
        @($errs | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] } | Sort-Object -Unique) | Should -Be @('InvalidDomainName', 'IpLiteralNotTestable')
        # Results are discarded as they come: the heap must not hold 10,000 of them.
        $growthMb | Should -BeLessThan 256
    }
}
