# Test-OutboundTlsPolicy without the lab: input handling, error ids, fail-closed results when DNS is
# unreachable, output shape, ordering, exports, progress and cancellation. The verdicts against
# real partner servers are in tests/lab/Lab.Tests.ps1.
BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
    $script:Cmd = 'DaneMtaSts.Module.Commands.TestOutboundTlsPolicyCommand'

    # A resolver that answers SERVFAIL to everything: lookups fail fast and deterministically (a
    # resolver that does not answer at all stops the call as DnsServerUnavailable instead).
    $script:ServfailDns = Start-ServfailDns
    $script:DeadDns = $ServfailDns.EndPoint

    # A UDP port nobody answers on (the kernel refuses every query at once).
    $script:SilentDns = Get-DeadDnsEndPoint

    $script:Offline = @{ DnsServer = $DeadDns; TimeoutSec = 1; WarningAction = 'SilentlyContinue' }
}

AfterAll {
    $ServfailDns.Dispose()
}

Describe 'Test-OutboundTlsPolicy input' {
    It 'reports a bad name as a non-terminating InvalidDomainName error and still tests the others' {
        $results = Test-OutboundTlsPolicy 'bad domain!', 'good.example' @Offline -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be "InvalidDomainName,$Cmd"
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $errs[0].TargetObject | Should -Be 'bad domain!'
        @($results).Count | Should -Be 1
        $results.Domain | Should -Be 'good.example'
    }

    It 'refuses <Value> with <Id>' -ForEach @(
        @{ Value = '192.0.2.1'; Id = 'IpLiteralNotTestable' }
        @{ Value = '[192.0.2.1]'; Id = 'IpLiteralNotTestable' }
        @{ Value = 'user@[192.0.2.1]'; Id = 'IpLiteralNotTestable' }
        @{ Value = '*.example.com'; Id = 'WildcardDomainNotTestable' }
        @{ Value = 'mx.example.com:25'; Id = 'InvalidDomainName' }
        @{ Value = "tab`there.example"; Id = 'InvalidDomainName' }
        @{ Value = ('a' * 64) + '.example'; Id = 'InvalidDomainName' }
        @{ Value = 'com'; Id = 'InvalidDomainName' }
    ) {
        Test-OutboundTlsPolicy $Value @Offline -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -Be "$Id,$Cmd"
    }

    It 'uses the domain part of an e-mail address and normalises case, trailing dot and IDN' {
        (Test-OutboundTlsPolicy 'Someone@Example.ORG.' @Offline).Domain | Should -Be 'example.org'
        (Test-OutboundTlsPolicy 'bücher.example' @Offline).Domain | Should -Be 'xn--bcher-kva.example'
    }

    It 'binds Domain and RecipientDomain by property name' {
        $in = [pscustomobject]@{ Domain = 'a.example' }, [pscustomobject]@{ RecipientDomain = 'b.example' }
        ($in | Test-OutboundTlsPolicy @Offline).Domain | Should -Be 'a.example', 'b.example'
    }

    It 'stops with DomainRequired when neither -Domain nor -Connector is given' {
        Get-ThrownErrorId { Test-OutboundTlsPolicy @Offline } | Should -Be "DomainRequired,$Cmd"
    }

    It 'stops with InvalidDnsServer for a resolver that is not an address' {
        Get-ThrownErrorId { Test-OutboundTlsPolicy example.org -DnsServer 'resolver.example' } | Should -Be "InvalidDnsServer,$Cmd"
    }

    It 'stops with a clear error for a missing trusted root file' {
        Get-ThrownErrorId { Test-OutboundTlsPolicy example.org @Offline -TrustedRootCertificate (Join-Path $TestDrive 'none.pem') } |
            Should -BeLike "*,$Cmd"
    }

    It 'refuses TlsValidationMode Custom' {
        { Test-OutboundTlsPolicy example.org @Offline -TlsValidationMode Custom } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }

    It 'refuses -TlsValidationMode together with -SmtpDaneMode' {
        { Test-OutboundTlsPolicy example.org @Offline -TlsValidationMode Mandatory -SmtpDaneMode None } | Should -Throw -ErrorId 'AmbiguousParameterSet*'
    }
}

Describe 'Test-OutboundTlsPolicy without DNS or port 25' {
    It 'stops once with DnsServerUnavailable when no DNS server answers, instead of a verdict per partner' {
        $results = @()
        $failure = $null
        try { $results = @(Test-OutboundTlsPolicy example.org, example.net -DnsServer $SilentDns -TimeoutSec 1 -WarningAction SilentlyContinue -ErrorAction Stop) }
        catch { $failure = $_ }
        $failure.FullyQualifiedErrorId | Should -Be "DnsServerUnavailable,$Cmd"
        $failure.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $failure.Exception.Message | Should -Match ([regex]::Escape($SilentDns))
        $results | Should -BeNullOrEmpty
    }

    It 'stops once with DnsServerUnavailable in Validate-OutboundConnector too' {
        Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
        New-OutboundConnector 'Silent' -RecipientDomains 'contoso.example' | Out-Null
        Get-ThrownErrorId { Validate-OutboundConnector Silent -Recipients a@contoso.example, b@fabrikam.example -DnsServer $SilentDns -TimeoutSec 1 -WarningAction SilentlyContinue } |
            Should -Be 'DnsServerUnavailable,DaneMtaSts.Module.Commands.ValidateOutboundConnectorCommand'
    }

    It 'refuses a proxy that is not socks5://host:port with InvalidSmtpProxy' {
        Get-ThrownErrorId { Test-OutboundTlsPolicy example.org @Offline -SmtpProxy 'http://127.0.0.1:8080' } | Should -Be "InvalidSmtpProxy,$Cmd"
        Get-ThrownErrorId { Test-OutboundTlsPolicy example.org @Offline -SmtpProxy 'socks5://user:pw@127.0.0.1:1080' } | Should -Be "InvalidSmtpProxy,$Cmd"
    }

    It 'refuses -SmtpProxyCredential without -SmtpProxy, and -SkipSmtpProbe with -SmtpProxy' {
        $credential = [pscredential]::new('probe', (ConvertTo-SecureString 'pw' -AsPlainText -Force))
        Get-ThrownErrorId { Test-OutboundTlsPolicy example.org @Offline -SmtpProxyCredential $credential } | Should -Be "SmtpProxyCredentialWithoutProxy,$Cmd"
        Get-ThrownErrorId { Test-OutboundTlsPolicy example.org @Offline -SkipSmtpProbe -SmtpProxy 'socks5://127.0.0.1:1080' } | Should -Be "SkipSmtpProbeWithProxy,$Cmd"
    }

    It '-SkipSmtpProbe still decides what DNS decides, with a typed kind' {
        $results = Test-OutboundTlsPolicy example.org @Offline -SkipSmtpProbe -TlsValidationMode Opportunistic, Mandatory
        $results.Outcome | Should -Be 'Queue', 'Queue'
        $results.Kind | Should -Be 'DnsLookupFailed', 'DnsLookupFailed'
        $results.StatusCode | Should -Be '4.4.312', '4.4.312'
    }
}

Describe 'Test-OutboundTlsPolicy fails closed' {
    It 'queues with 4.4.312 under every mode when DNS cannot be reached, never Deliver' {
        $results = Test-OutboundTlsPolicy example.org @Offline -TlsValidationMode None, Opportunistic, Mandatory
        $results.Count | Should -Be 3
        $results.TlsValidationMode | Should -Be 'None', 'Opportunistic', 'Mandatory'
        $results.Outcome | Should -Be 'Queue', 'Queue', 'Queue'
        $results.StatusCode | Should -Be '4.4.312', '4.4.312', '4.4.312'
        $results.StatusText | Should -Be 'DNS query failed', 'DNS query failed', 'DNS query failed'
        $results.Kind | Should -Be 'DnsLookupFailed', 'DnsLookupFailed', 'DnsLookupFailed'
        $results.Security | Should -Be $null, $null, $null
        $results[0].FinalStatusCode | Should -Be '5.4.312'
        $results[0].Reason | Should -Match 'MX lookup (of|for) example.org failed'
    }

    It '-Quiet returns one $false per result' {
        $quiet = Test-OutboundTlsPolicy example.org, example.net @Offline -TlsValidationMode Opportunistic, Mandatory -Quiet
        $quiet | Should -HaveCount 4
        $quiet | ForEach-Object { $_ | Should -BeOfType [bool]; $_ | Should -BeFalse }
    }

    It 'gives each call its own wire statistics on the information stream, silently' {
        $output = @(Test-OutboundTlsPolicy example.org @Offline -InformationVariable first)
        $null = Test-OutboundTlsPolicy example.org, example.net @Offline -InformationVariable second
        $output | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'DaneMtaSts.TlsPolicyResult' }
        $one = @($first | Where-Object Tags -contains 'DaneMtaSts.DryRunStatistics')
        $two = @($second | Where-Object Tags -contains 'DaneMtaSts.DryRunStatistics')
        $one | Should -HaveCount 1
        $two | Should -HaveCount 1
        $one[0].MessageData.DnsQueriesSent | Should -BeGreaterThan 0
        # The second call asked about two domains: its own counters, not the first call's, nor a sum.
        $two[0].MessageData.DnsQueriesByType['MX'] | Should -BeGreaterThan $one[0].MessageData.DnsQueriesByType['MX']
        $two[0].MessageData.Started | Should -BeGreaterThan $one[0].MessageData.Ended
    }

    It 'warns that the resolver could not be checked for DNSSEC validation when its AD bit is to decide' {
        # Only -DnssecValidation Resolver relies on the resolver's AD bit; Auto validates locally instead.
        $null = Test-OutboundTlsPolicy example.org -DnsServer $DeadDns -TimeoutSec 1 -DnssecValidation Resolver -WarningVariable warns -WarningAction SilentlyContinue
        ($warns -join "`n") | Should -Match 'validates DNSSEC could not be checked'
    }
}

Describe 'Test-OutboundTlsPolicy with a connector' {
    BeforeEach {
        Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
        New-OutboundConnector 'Partners' -RecipientDomains 'contoso.example', '*.fabrikam.example' -TlsValidationMode Mandatory | Out-Null
    }

    It 'tests the RecipientDomains with the connector''s modes and reports wildcards as not testable' {
        $results = Test-OutboundTlsPolicy -Connector Partners @Offline -ErrorVariable errs -ErrorAction SilentlyContinue
        $results.Domain | Should -Be 'contoso.example'
        $results.Connector | Should -Be 'Partners'
        $results.TlsValidationMode | Should -Be 'Mandatory'
        $results.SmtpDaneMode | Should -Be 'Mandatory'
        $results.MtaStsMode | Should -Be 'Opportunistic'
        $errs[0].FullyQualifiedErrorId | Should -Be "WildcardDomainNotTestable,$Cmd"
    }

    It 'lets -SmtpDaneMode override the connector while MtaStsMode comes from it' {
        $r = Test-OutboundTlsPolicy other.example -Connector Partners -SmtpDaneMode None @Offline
        $r.SmtpDaneMode | Should -Be 'None'
        $r.MtaStsMode | Should -Be 'Opportunistic'
        $r.TlsValidationMode | Should -Be 'Custom'
    }

    It 'stops with ConnectorNotFound for an unknown connector' {
        Get-ThrownErrorId { Test-OutboundTlsPolicy x.example -Connector Nobody @Offline } | Should -Be "ConnectorNotFound,$Cmd"
    }
}

Describe 'Test-OutboundTlsPolicy results' {
    BeforeAll {
        $script:Domains = 1..12 | ForEach-Object { "d$_.example" }
        $script:Results = $Domains | Test-OutboundTlsPolicy @Offline -ThrottleLimit 4
    }

    It 'come out in input order' {
        $Results.Domain | Should -Be $Domains
    }

    It 'are DaneMtaSts.TlsPolicyResult objects with the contract properties first, in order' {
        $Results[0].PSObject.TypeNames[0] | Should -Be 'DaneMtaSts.TlsPolicyResult'
        $names = @($Results[0].PSObject.Properties.Name)
        $names[0..10] | Should -Be 'Domain', 'Connector', 'TlsValidationMode', 'SmtpDaneMode', 'MtaStsMode', 'Outcome', 'StatusCode', 'StatusText', 'Security', 'MxHost', 'Reason'
        $names[11] | Should -Be 'Kind'
        $names | Should -Contain 'Evidence'
    }

    It 'format as a table and as a list with readable evidence' {
        $table = $Results[0] | Format-Table | Out-String
        $table | Should -Match 'Domain\s+Mode\s+Outcome\s+StatusCode\s+Security\s+MxHost'
        $list = $Results[0] | Format-List | Out-String
        $list | Should -Match 'Kind\s*:'
        $list | Should -Match 'Evidence\s*:\s*MX: Failed'
        $list | Should -Match 'Resolver: 127\.0\.0\.1'
    }

    It 'convert to JSON, with the module''s enums by name' {
        $json = $Results[0] | ConvertTo-Json -Depth 6 -WarningAction SilentlyContinue | ConvertFrom-Json
        $json.Outcome | Should -Be 'Queue'
        $json.Kind | Should -Be ([string]$Results[0].Kind)
        $json.StatusCode | Should -Be '4.4.312'
        $json.Evidence.Mx.Outcome | Should -Not -BeNullOrEmpty
    }

    It 'export to CSV with the contract columns' {
        $csv = Join-Path $TestDrive 'r.csv'
        $Results | Export-Csv $csv
        $back = Import-Csv $csv
        $back.Count | Should -Be 12
        $back[0].Domain | Should -Be 'd1.example'
        $back[0].Outcome | Should -Be 'Queue'
        $back[0].StatusCode | Should -Be '4.4.312'
        # No cell holds a type name: the evidence is summarised, lists are joined.
        $back[0].Evidence | Should -Match '^MX Failed \(Failed\); no host; MTA-STS'
        # Warnings are joined into one cell: the MTA-STS TXT lookup failure, as text.
        $back[0].Warnings | Should -Match '^MTA-STS: The TXT lookup of _mta-sts\.d1\.example failed'
        foreach ($p in $back[0].PSObject.Properties) { "$($p.Value)" | Should -Not -Match '^System\.|\[\]$|`1\[' -Because "column $($p.Name)" }
    }

    It 'round-trip through Export-Clixml' {
        $xml = Join-Path $TestDrive 'r.xml'
        $Results | Export-Clixml $xml -Depth 4
        $back = Import-Clixml $xml
        $back[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.DaneMtaSts.TlsPolicyResult'
        $back[0].Outcome.ToString() | Should -Be 'Queue'
        $back[0].StatusCode | Should -Be '4.4.312'
        { $back[0] | Format-List | Out-String } | Should -Not -Throw
    }
}

Describe 'Test-OutboundTlsPolicy progress and cancellation' {
    It 'writes progress and stops promptly, leaving nothing running' {
        # A resolver that never answers: the call would wait for its timeouts.
        $silent = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
        try {
            $port = $silent.Client.LocalEndPoint.Port
            $ps = [powershell]::Create()
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', $env:DANEMTASTS_TEST_MODULE).AddStatement()
            $null = $ps.AddCommand('Test-OutboundTlsPolicy').AddParameter('Domain', @(1..20 | ForEach-Object { "s$_.example" })).
                AddParameter('DnsServer', "127.0.0.1:$port").AddParameter('TimeoutSec', 60).AddParameter('WarningAction', 'SilentlyContinue')
            $async = $ps.BeginInvoke()
            # Wait for the call to be under way (progress written), however slow the machine; the
            # 60 s is a hang guard.
            $guard = [System.Diagnostics.Stopwatch]::StartNew()
            while ($ps.Streams.Progress.Count -eq 0 -and -not $async.IsCompleted -and $guard.Elapsed.TotalSeconds -lt 60) { Start-Sleep -Milliseconds 50 }
            $async.IsCompleted | Should -BeFalse
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Stop()
            # A hang guard, not a speed test: well below the 60 s timeout, so only a Stop that waited
            # for the lookups to time out instead of cancelling them can reach it.
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 30
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Streams.Progress.Count | Should -BeGreaterThan 0
            $ps.Streams.Progress[0].Activity | Should -Be 'Testing outbound TLS policy'
            $ps.Dispose()
        }
        finally {
            $silent.Dispose()
        }
    }
}

Describe 'Export-TlsRptReport' {
    BeforeAll {
        $script:Results = Test-OutboundTlsPolicy a.example, b.example @Offline
        $script:ExportCmd = 'DaneMtaSts.Module.Commands.ExportTlsRptReportCommand'
    }

    It 'writes one RFC 8460 report per policy domain' {
        $dir = Join-Path $TestDrive 'rpt'
        $files = $Results | Export-TlsRptReport -Path $dir -OrganizationName 'Fabrikam' -ContactInfo 'tls@fabrikam.example' -StartDate ([datetime]'2026-11-01T00:00:00Z')
        $files.Count | Should -Be 2
        $files[0].Name | Should -Match '^danemtasts\.invalid!a\.example!\d+!\d+\.json$'
        $report = Get-Content $files[0].FullName -Raw | ConvertFrom-Json -AsHashtable -DateKind String
        $report['organization-name'] | Should -Be 'Fabrikam'
        $report['contact-info'] | Should -Be 'tls@fabrikam.example'
        $report['date-range']['start-datetime'] | Should -Be '2026-11-01T00:00:00Z'
        $report['date-range']['end-datetime'] | Should -Be '2026-11-01T23:59:59Z'
        $report['report-id'] | Should -Not -BeNullOrEmpty
        $policy = $report['policies'][0]
        $policy['policy']['policy-type'] | Should -Be 'no-policy-found'
        $policy['policy']['policy-domain'] | Should -Be 'a.example'
        $policy['summary']['total-successful-session-count'] | Should -Be 0
        $policy['summary']['total-failure-session-count'] | Should -Be 1
        $policy['failure-details'][0]['result-type'] | Should -Be 'validation-failure'
        $policy['failure-details'][0]['failed-session-count'] | Should -Be 1
    }

    It 'writes nothing with -WhatIf' {
        $dir = Join-Path $TestDrive 'whatif'
        $Results | Export-TlsRptReport -Path $dir -OrganizationName 'F' -ContactInfo 'x@f.example' -WhatIf
        Test-Path $dir | Should -BeFalse
    }

    It 'refuses an end date before the start date' {
        Get-ThrownErrorId { $Results | Export-TlsRptReport -Path $TestDrive -OrganizationName F -ContactInfo x -StartDate '2026-11-02' -EndDate '2026-11-01' } |
            Should -Be "InvalidDateRange,$ExportCmd"
    }
}

Describe 'Validate-OutboundConnector' {
    BeforeEach {
        Remove-Item $env:DANEMTASTS_STORE -ErrorAction SilentlyContinue
        New-OutboundConnector 'Partners' -RecipientDomains 'contoso.example' | Out-Null
        $script:ValidateCmd = 'DaneMtaSts.Module.Commands.ValidateOutboundConnectorCommand'
    }

    It 'is available after import without the unapproved-verb warning' {
        $out = & { Import-Module $env:DANEMTASTS_TEST_MODULE -Force -WarningVariable w -WarningAction SilentlyContinue; $w }
        $out | Should -BeNullOrEmpty
        Get-Command Validate-OutboundConnector -ErrorAction Stop | Should -Not -BeNullOrEmpty
    }

    It 'sends nothing when the verdict is not Deliver and says why' {
        $r = Validate-OutboundConnector Partners -Recipients postmaster@contoso.example @Offline
        $r.Recipient | Should -Be 'postmaster@contoso.example'
        $r.Sent | Should -BeFalse
        $r.Outcome | Should -Be 'Queue'
        $r.StatusCode | Should -Be '4.4.312'
        $r.Reason | Should -Match '^Nothing was sent'
        $r.PSObject.TypeNames[0] | Should -Be 'DaneMtaSts.Engine.Policy.ConnectorValidationResult'
    }

    It 'reports a bad recipient as InvalidRecipient and validates the others' {
        $r = Validate-OutboundConnector Partners -Recipients 'not-an-address', 'a@contoso.example' @Offline -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs[0].FullyQualifiedErrorId | Should -Be "InvalidRecipient,$ValidateCmd"
        $r.Recipient | Should -Be 'a@contoso.example'
    }

    It 'stops with ConnectorNotFound' {
        Get-ThrownErrorId { Validate-OutboundConnector Nobody -Recipients a@b.example @Offline } | Should -Be "ConnectorNotFound,$ValidateCmd"
    }

    It 'does not change the connector' {
        $before = Get-FileHash $env:DANEMTASTS_STORE
        $null = Validate-OutboundConnector Partners -Recipients a@contoso.example @Offline
        (Get-OutboundConnector Partners).IsValidated | Should -BeFalse
        (Get-FileHash $env:DANEMTASTS_STORE).Hash | Should -Be $before.Hash
    }
}
