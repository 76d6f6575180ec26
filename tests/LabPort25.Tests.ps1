# Port 25 blocked in the lab (docs/smtp.md#lab-port-25): iptables with an owner match blocks every
# outbound TCP connection to port 25 but the SOCKS5 proxy's (microsocks, its own user), in a REJECT
# and a DROP variant (tests/lab/README.md). Over every scenario of tests/lab/scenarios.csv and mode:
#   - through -SmtpProxy, with the block on, every verdict equals the direct (unblocked) one;
#   - blocked without the proxy, every verdict equals the direct one or is Indeterminate, what DNS
#     alone decides is equal, -Quiet is $false for every Indeterminate, and the call warns once;
#   - -SkipSmtpProbe gives the same and opens no connection to port 25 (Postfix's log and the
#     block's packet counters say so; a probing run shows both counters move);
#   - a proxy that refuses, stalls, lies or rejects the credential is never Deliver.
# One call per variant over all scenarios and modes (the bulk path), with short timeouts where the
# block drops, so the added lab time stays small. Tagged Lab: build.ps1 runs these inside
# `tests/lab/lab.sh run`; elsewhere they are skipped.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'lab/LabHelpers.psm1') -Force
    $script:InLab = Test-LabRunning
    $script:Cases = foreach ($s in Get-LabScenario) {
        foreach ($mode in 'None', 'Opportunistic', 'Mandatory') {
            @{ Scenario = $s.Scenario; Domain = $s.Domain; Mode = $mode }
        }
    }
    $script:BlockModes = @(@{ Block = 'Reject' }, @{ Block = 'Drop' })
    $script:Hostile = @(
        @{ Behaviour = 'Refuse' }, @{ Behaviour = 'Stall' }, @{ Behaviour = 'Garbage' },
        @{ Behaviour = 'ReplyFailure' }, @{ Behaviour = 'SuccessThenClose' })
}

BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'lab/LabHelpers.psm1') -Force
    $script:InLab = Test-LabRunning
    # Verdicts that DNS (and the MTA-STS policy) decide without any SMTP connection
    # (docs/smtp.md#lab-port-25): these must not change when port 25 is blocked.
    $script:DnsDecided = 'DomainNotFound', 'NullMx', 'DnssecBogus', 'DnssecInsecure', 'NoUsableTlsa', 'StsMxMismatch'
    $script:Verdict = { param($r) "$($r.Outcome) $($r.StatusCode) $($r.Kind)" }
    # Through a proxy that failed: what DNS decides stays decided, everything else is Indeterminate
    # and says the proxy failed (ProxyFailed), never the partner; never Deliver.
    function script:Assert-ProxyFault($r, [string] $Pattern, [string[]] $Kinds = @('ProxyFailed')) {
        $direct = $Direct.Results["$($r.Domain)|$($r.TlsValidationMode)"]
        $why = "$($r.Domain) $($r.TlsValidationMode): $(& $Verdict $r) $($r.Reason) / direct: $(& $Verdict $direct)"
        "$($r.Outcome)" | Should -Not -Be 'Deliver' -Because $why
        if ("$($direct.Kind)" -in $DnsDecided) {
            (& $Verdict $r) | Should -Be (& $Verdict $direct) -Because "DNS alone decides this ($why)"
            return
        }
        "$($r.Outcome)" | Should -Be 'Indeterminate' -Because $why
        "$($r.Kind)" | Should -BeIn $Kinds -Because $why
        if ($Pattern) { $r.Reason | Should -Match $Pattern -Because $why }
    }

    if ($InLab) {
        $env:DANEMTASTS_STORE = Join-Path $TestDrive 'store.json'
        Set-LabPort25Block None
        $script:SmartHosts = @(Get-LabScenario | Where-Object SmartHost)
        foreach ($s in $SmartHosts) {
            New-OutboundConnector "smarthost-$($s.Scenario)" -RecipientDomains $s.Domain -UseMXRecord $false -SmartHosts $s.SmartHost | Out-Null
        }
        $script:MxDomains = @(Get-LabScenario | Where-Object { -not $_.SmartHost } | ForEach-Object Domain)
        $script:Base = @{ DnsServer = (Get-LabDnsServer); TrustedRootCertificate = (Get-LabTrustedRootPath) }
        $script:Proxy = Get-LabSmtpProxy

        # One variant: every MX-routed scenario in one call, each smart-host scenario through its
        # connector; results keyed "domain|mode", the call's warnings and its -Quiet answers alike.
        function script:Invoke-Variant([hashtable] $Parameters, [switch] $Quiet) {
            $results = @{}
            $warnings = [Collections.Generic.List[string]]::new()
            $p = $Base + $Parameters
            $calls = @(, @{ Domain = $MxDomains }) + @($SmartHosts | ForEach-Object { @{ Connector = "smarthost-$($_.Scenario)" } })
            $quietAnswers = [Collections.Generic.List[object]]::new()
            foreach ($call in $calls) {
                $w = $null
                $out = @(Test-OutboundTlsPolicy @call -TlsValidationMode None, Opportunistic, Mandatory @p -Quiet:$Quiet -WarningVariable w -WarningAction SilentlyContinue)
                foreach ($line in $w) { $warnings.Add("$line") }
                if ($Quiet) { $quietAnswers.AddRange($out) } else { foreach ($r in $out) { $results["$($r.Domain)|$($r.TlsValidationMode)"] = $r } }
            }
            [pscustomobject]@{ Results = $results; Warnings = $warnings; Quiet = $quietAnswers }
        }

        # Direct, unblocked: the reference; Postfix's log counts the connections it makes.
        $script:CountBeforeDirect = Get-LabSmtpConnectCount -Sync
        $script:Direct = Invoke-Variant @{ TimeoutSec = 30 }
        $script:CountAfterDirect = Get-LabSmtpConnectCount -Sync

        # -SkipSmtpProbe with port 25 open: nothing may reach Postfix.
        $script:SkipOpen = Invoke-Variant @{ TimeoutSec = 30; SkipSmtpProbe = $true }
        $script:CountAfterSkip = Get-LabSmtpConnectCount -Sync

        $script:ViaProxy = @{}
        $script:Blocked = @{}
        $script:Packets = @{}
        # -SkipSmtpProbe first under each block, right after the block is set (which zeroes its
        # packet counters) and after calls that made no probe: nothing earlier can be counted.
        foreach ($block in 'Reject', 'Drop') {
            Set-LabPort25Block $block
            $script:Blocked["$block|skip"] = Invoke-Variant @{ TimeoutSec = 10; SkipSmtpProbe = $true }
            $script:Packets["$block|skip"] = (Get-LabPort25Block).Packets
        }
        foreach ($block in 'Drop', 'Reject') {
            Set-LabPort25Block $block
            # Through the proxy: nothing depends on a timeout, so the timeout stays generous (a loaded machine).
            $script:ViaProxy[$block] = Invoke-Variant @{ TimeoutSec = 30; SmtpProxy = $Proxy.Uri }
            # Without it: every connect fails; with DROP each waits out the (short) connect timeout.
            $before = (Get-LabPort25Block).Packets
            $script:Blocked[$block] = Invoke-Variant @{ TimeoutSec = $(if ($block -eq 'Drop') { 4 } else { 10 }) }
            $script:Packets["$block|probe"] = (Get-LabPort25Block).Packets - $before
        }
        # Still blocked (REJECT): the same call with -Quiet.
        $script:BlockedQuiet = Invoke-Variant @{ TimeoutSec = 10 } -Quiet
        $script:BlockedLoud = $Blocked['Reject']
        Set-LabPort25Block None
    }
}

AfterAll {
    if ($InLab) { Set-LabPort25Block None }
}

Describe 'The lab''s port-25 block' -Tag Lab {
    BeforeAll {
        if ($InLab) {
            $hostEvidence = @($Direct.Results['dane-ee-good.test|Mandatory'].Evidence.Hosts)[0]
            $script:Targets = @($hostEvidence.Addresses | ForEach-Object { "$($_.Address)" })
            $script:Auth = Get-LabSmtpProxy -Kind Authenticated
        }
    }
    AfterEach { if ($InLab) { Set-LabPort25Block None } }

    It 'has an IPv4 and an IPv6 address of an MX host to try' -Skip:(-not $InLab) {
        @($Targets | Where-Object { $_ -match '^\d+\.' }).Count | Should -BeGreaterThan 0
        @($Targets | Where-Object { $_ -match ':' }).Count | Should -BeGreaterThan 0
    }

    It 'lets this pwsh reach port 25 when off' -Skip:(-not $InLab) {
        (Get-LabPort25Block).Mode | Should -Be 'None'
        foreach ($address in $Targets) {
            $c = Test-LabPort25Connection $address
            $c.Connected | Should -BeTrue -Because "$address without a block: $($c.Error)"
        }
    }

    It 'blocks this pwsh under <Block> (<With>) and passes the proxy, open and with its credential' -Skip:(-not $InLab) -ForEach @(
        @{ Block = 'Reject'; With = 'TcpReset' }, @{ Block = 'Reject'; With = 'IcmpUnreachable' }, @{ Block = 'Drop'; With = 'TcpReset' }) {
        Set-LabPort25Block $Block -RejectWith $With
        $state = Get-LabPort25Block
        $state.Mode | Should -Be $Block
        if ($Block -eq 'Reject') { $state.RejectWith | Should -Be $With }
        foreach ($address in $Targets) {
            $direct = Test-LabPort25Connection $address -TimeoutSec 2
            $direct.Connected | Should -BeFalse -Because "$address must be blocked under $Block"
            $direct.Error | Should -Not -BeNullOrEmpty
            if ($Block -eq 'Reject') { $direct.Error | Should -Match 'refused' -Because 'REJECT fails at once' }
            else { $direct.Error | Should -Match 'cancel|time' -Because 'DROP makes the connect wait' }
            $open = Test-LabPort25Connection $address -Proxy $Proxy.Uri
            $open.Connected | Should -BeTrue -Because "through $($Proxy.Uri) to $address`: $($open.Error)"
            $authenticated = Test-LabPort25Connection $address -Proxy $Auth.Uri -Credential $Auth.Credential
            $authenticated.Connected | Should -BeTrue -Because "through $($Auth.Uri) to $address`: $($authenticated.Error)"
        }
        (Get-LabPort25Block).Packets | Should -BeGreaterThan 0 -Because 'the block counted the connections it stopped'
    }
}

Describe 'Through -SmtpProxy with port 25 blocked: <Scenario> under <Mode>' -Tag Lab -ForEach $Cases {
    It 'equals the direct verdict under REJECT and DROP' -Skip:(-not $InLab) {
        $direct = $Direct.Results["$Domain|$Mode"]
        $direct | Should -Not -BeNullOrEmpty
        foreach ($block in 'Reject', 'Drop') {
            $r = $ViaProxy[$block].Results["$Domain|$Mode"]
            $r | Should -Not -BeNullOrEmpty -Because "every scenario gets a result ($block)"
            (& $Verdict $r) | Should -Be (& $Verdict $direct) -Because "$block via proxy: $($r.Reason) / direct: $($direct.Reason)"
            "$($r.Security)" | Should -Be "$($direct.Security)"
            $r.MxHost | Should -Be $direct.MxHost
            $r.Evidence.ProbeRoute | Should -Match '^through SOCKS5 proxy '
        }
    }
}

Describe 'Blocked without a proxy, and -SkipSmtpProbe: <Scenario> under <Mode>' -Tag Lab -ForEach $Cases {
    It 'is the direct verdict or Indeterminate, and the direct one where DNS decides' -Skip:(-not $InLab) {
        $direct = $Direct.Results["$Domain|$Mode"]
        $variants = @{ 'Reject' = $Blocked['Reject']; 'Drop' = $Blocked['Drop']; 'Reject|skip' = $Blocked['Reject|skip']; 'Drop|skip' = $Blocked['Drop|skip']; 'open|skip' = $SkipOpen }
        foreach ($name in $variants.Keys) {
            $r = $variants[$name].Results["$Domain|$Mode"]
            $r | Should -Not -BeNullOrEmpty -Because "every scenario gets a result ($name)"
            $why = "$name`: $(& $Verdict $r) $($r.Reason) / direct: $(& $Verdict $direct) $($direct.Reason)"
            if ("$($r.Outcome)" -ne 'Indeterminate') { (& $Verdict $r) | Should -Be (& $Verdict $direct) -Because $why }
            if ("$($direct.Kind)" -in $DnsDecided) { (& $Verdict $r) | Should -Be (& $Verdict $direct) -Because "DNS alone decides this ($why)" }
            if ("$($r.Outcome)" -eq 'Indeterminate') { $r.Reason | Should -Not -BeNullOrEmpty }
        }
    }
}

Describe 'Blocked without a proxy, per call' -Tag Lab {
    It 'covers the verdicts DNS alone decides (<_>)' -Skip:(-not $InLab) -ForEach @('DomainNotFound', 'NullMx', 'DnssecBogus', 'DnssecInsecure', 'NoUsableTlsa', 'StsMxMismatch') {
        # The equality above is only as good as the cases that reach it.
        $kind = $_
        @($Direct.Results.Values | Where-Object { "$($_.Kind)" -eq $kind }).Count | Should -BeGreaterThan 0 -Because "some scenario's direct verdict is $kind"
    }

    It 'makes Indeterminate of every verdict that needed a connection, and blames no partner (<_>)' -Skip:(-not $InLab) -ForEach @('Reject', 'Drop') {
        $results = @($Blocked[$_].Results.Values)
        @($results | Where-Object { "$($_.Outcome)" -eq 'Indeterminate' }).Count | Should -BeGreaterThan 20
        @($results | Where-Object { "$($_.Kind)" -in 'ConnectFailed', 'SmtpRefused' }).Count | Should -Be 0 -Because 'no host of this call was reached, so no connect failure is the partner''s'
        @($results | Where-Object { "$($_.Outcome)" -eq 'Deliver' }).Count | Should -Be 0 -Because 'nothing delivers without a connection'
        @($results | Where-Object { "$($_.Kind)" -eq 'Unreachable' }).Count | Should -BeGreaterThan 0
    }

    It 'warns once per call that no host answered on port 25 (<_>)' -Skip:(-not $InLab) -ForEach @('Reject', 'Drop') {
        # The MX-routed call and each smart-host call are separate calls: one warning each.
        $calls = 1 + $SmartHosts.Count
        @($Blocked[$_].Warnings | Where-Object { $_ -like 'No host answered on port 25*' }).Count | Should -Be $calls
        @($Blocked[$_].Warnings | Where-Object { $_ -like '*No host answered on port 25*' }).Count | Should -Be $calls -Because 'not once per domain'
        @($ViaProxy[$_].Warnings | Where-Object { $_ -like '*No host answered on port 25*' }).Count | Should -Be 0
        @($Direct.Warnings | Where-Object { $_ -like '*No host answered on port 25*' }).Count | Should -Be 0
    }

    It 'says $false with -Quiet for every Indeterminate verdict' -Skip:(-not $InLab) {
        # -Quiet writes one answer per domain and mode in the order of the full objects.
        $ordered = @(foreach ($d in @($MxDomains) + @($SmartHosts.Domain)) { foreach ($m in 'None', 'Opportunistic', 'Mandatory') { $BlockedLoud.Results["$d|$m"] } })
        $BlockedQuiet.Quiet.Count | Should -Be $ordered.Count
        $indeterminate = 0
        for ($i = 0; $i -lt $ordered.Count; $i++) {
            $BlockedQuiet.Quiet[$i] | Should -BeOfType [bool]
            $BlockedQuiet.Quiet[$i] | Should -Be ("$($ordered[$i].Outcome)" -eq 'Deliver') -Because "$($ordered[$i].Domain) $($ordered[$i].TlsValidationMode) is $($ordered[$i].Outcome)"
            if ("$($ordered[$i].Outcome)" -eq 'Indeterminate') { $indeterminate++ }
        }
        $indeterminate | Should -BeGreaterThan 20
    }
}

Describe '-SkipSmtpProbe opens no connection to port 25' -Tag Lab {
    It 'leaves Postfix''s connection count as it was, where a probing run raised it' -Skip:(-not $InLab) {
        ($CountAfterDirect - $CountBeforeDirect) | Should -BeGreaterThan 20 -Because 'the direct run probed every MX host (the counter works)'
        $CountAfterSkip | Should -Be $CountAfterDirect -Because '-SkipSmtpProbe made no SMTP connection'
    }

    It 'sends nothing the block has to stop, where a probing run sent plenty (<_>)' -Skip:(-not $InLab) -ForEach @('Reject', 'Drop') {
        $Packets["$_|probe"] | Should -BeGreaterThan 20
        $Packets["$_|skip"] | Should -Be 0
    }

    It 'says so once per call' -Skip:(-not $InLab) {
        @($SkipOpen.Warnings | Where-Object { $_ -like '-SkipSmtpProbe: no SMTP connection was made*' }).Count | Should -BeGreaterThan 0
        @($SkipOpen.Warnings | Where-Object { $_ -like '-SkipSmtpProbe*' }).Count | Should -BeLessOrEqual (1 + $SmartHosts.Count)
        @($SkipOpen.Results.Values | ForEach-Object { $_.Evidence.ProbeRoute } | Sort-Object -Unique) | Should -Be 'none (-SkipSmtpProbe)'
    }
}

Describe 'A SOCKS5 proxy that misbehaves: <Behaviour>' -Tag Lab -ForEach $Hostile {
    BeforeAll {
        if ($InLab) {
            # The block stays on: nothing can reach port 25 but through the proxy under test.
            Set-LabPort25Block Reject
            $script:Bad = Start-LabHostileProxy -Behaviour $Behaviour
            $script:Domains = 'dane-ee-good.test', 'sts-enforce-good.test', 'unsigned-tls.test', 'dane-and-sts-good.test'
            $w = $null
            $script:Out = @(Test-OutboundTlsPolicy $Domains -TlsValidationMode None, Opportunistic, Mandatory @Base -TimeoutSec 3 -SmtpProxy $Bad.Uri -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable e -ErrorAction SilentlyContinue)
            $script:Warn = @($w | ForEach-Object { "$_" })
            $script:Errors = @($e)
        }
    }
    AfterAll {
        if ($InLab) {
            $Bad | Stop-LabHostileProxy
            Set-LabPort25Block None
        }
    }

    It 'is never Deliver: Indeterminate where the direct verdict needed the connection' -Skip:(-not $InLab) {
        $Errors | Should -BeNullOrEmpty
        $Out.Count | Should -Be 12
        # A proxy that answers CONNECT with success and then closes before the target's first byte
        # is what ssh -D does when the far side cannot reach the target: nothing shows that port 25
        # was reached, so it is a connect failure of this run (Unreachable), not the partner's.
        $kinds = if ($Behaviour -eq 'SuccessThenClose') { @('Unreachable') } else { @('ProxyFailed') }
        foreach ($r in $Out) { Assert-ProxyFault $r -Kinds $kinds }
        @($Out | Where-Object { "$($_.Outcome)" -eq 'Indeterminate' }).Count | Should -BeGreaterThan 6
    }

    It 'warns once for the call' -Skip:(-not $InLab) {
        $pattern = if ($Behaviour -eq 'SuccessThenClose') { '*No host answered on port 25*' } else { 'The SOCKS5 proxy *failed*' }
        @($Warn | Where-Object { $_ -like $pattern }).Count | Should -Be 1 -Because ($Warn -join "`n")
    }
}

Describe 'A SOCKS5 proxy that requires a username and password' -Tag Lab {
    BeforeAll {
        if ($InLab) {
            Set-LabPort25Block Drop
            $script:Auth = Get-LabSmtpProxy -Kind Authenticated
            $script:Domains = 'dane-ee-good.test', 'sts-enforce-good.test', 'unsigned-tls.test'
            $script:Call = { param([hashtable] $Extra) @(Test-OutboundTlsPolicy $Domains -TlsValidationMode None, Opportunistic, Mandatory @Base -TimeoutSec 30 -SmtpProxy $Auth.Uri @Extra -WarningAction SilentlyContinue) }
            $badPassword = [pscredential]::new($Auth.Credential.UserName, (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
            $script:WithRight = & $Call @{ SmtpProxyCredential = $Auth.Credential }
            $script:WithWrong = & $Call @{ SmtpProxyCredential = $badPassword }
            $script:WithNone = & $Call @{}
        }
    }
    AfterAll { if ($InLab) { Set-LabPort25Block None } }

    It 'gives the direct verdicts with the right credential' -Skip:(-not $InLab) {
        $WithRight.Count | Should -Be 9
        foreach ($r in $WithRight) { (& $Verdict $r) | Should -Be (& $Verdict $Direct.Results["$($r.Domain)|$($r.TlsValidationMode)"]) -Because $r.Reason }
    }

    It 'is a clear proxy failure with a wrong password, never Deliver' -Skip:(-not $InLab) {
        $WithWrong.Count | Should -Be 9
        foreach ($r in $WithWrong) { Assert-ProxyFault $r 'refused the username and password' }
    }

    It 'asks for -SmtpProxyCredential when none was given' -Skip:(-not $InLab) {
        $WithNone.Count | Should -Be 9
        foreach ($r in $WithNone) { Assert-ProxyFault $r 'requires authentication: give -SmtpProxyCredential' }
    }
}

Describe 'Validate-OutboundConnector through the proxy with port 25 blocked' -Tag Lab {
    AfterAll { if ($InLab) { Set-LabPort25Block None } }

    It 'delivers into the partner''s maildir through the proxy, and sends nothing blocked without it' -Skip:(-not $InLab) {
        New-OutboundConnector 'Lab Proxy' -RecipientDomains 'dane-ee-good.test' -TlsValidationMode Mandatory | Out-Null
        Set-LabPort25Block Drop
        $since = Get-Date
        $r = Validate-OutboundConnector 'Lab Proxy' -Recipients 'postmaster@dane-ee-good.test' @Base -TimeoutSec 30 -SmtpProxy $Proxy.Uri
        $r.Sent | Should -BeTrue -Because $r.Reason
        "$($r.Security)" | Should -Be 'Dane'
        $messages = @(Wait-LabMaildirMessage -Domain 'dane-ee-good.test' -Since $since -Text $r.MessageId)
        $messages.Count | Should -Be 1

        $blocked = Validate-OutboundConnector 'Lab Proxy' -Recipients 'postmaster@dane-ee-good.test' @Base -TimeoutSec 3 -WarningAction SilentlyContinue
        $blocked.Sent | Should -BeFalse
        "$($blocked.Outcome)" | Should -Be 'Indeterminate' -Because $blocked.Reason
    }
}
