# The lab itself: the scenarios table is well-formed (always), and inside a running lab the
# reference clients (posttls-finger, Postfix delivery) behave as the table says (tag Lab).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'LabHelpers.psm1') -Force
    $script:scenarioCases = @(Get-LabScenario | ForEach-Object { @{ Scenario = $_ } })
    $script:inLab = Test-LabRunning
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'LabHelpers.psm1') -Force
    $script:statusCodes = @('4.7.320', '4.7.321', '4.7.322', '4.7.323', '4.7.324', '4.7.325', '4.4.8', '4.7.5', '4.4.312', '5.4.310', '5.1.10')
}

Describe 'Lab scenario table' {
    It 'has at least 25 partner domains, each once' {
        $all = @(Get-LabScenario)
        $all.Count | Should -BeGreaterOrEqual 25
        @($all.Domain | Sort-Object -Unique).Count | Should -Be $all.Count
    }

    It '<Scenario.Scenario> declares a consistent verdict for every mode' -ForEach $scenarioCases {
        foreach ($mode in 'None', 'Opportunistic', 'Mandatory') {
            $e = $Scenario.Expected[$mode]
            $e.Outcome | Should -BeIn @('Deliver', 'Queue', 'Reject') -Because "$mode outcome"
            if ($e.Outcome -eq 'Deliver') {
                $e.StatusCode | Should -BeNullOrEmpty -Because "$mode delivers"
                $e.Security | Should -BeIn @('Dane', 'MtaSts', 'Tls', 'None') -Because "$mode security"
                $e.MxHost | Should -Not -BeNullOrEmpty -Because "$mode names the host that takes the message"
            }
            else {
                $e.StatusCode | Should -BeIn $statusCodes -Because "$mode status code"
                $e.Security | Should -BeNullOrEmpty -Because "$mode does not deliver"
            }
        }
        # docs/verdicts.md#mode-none: mode None performs no TLSA or MTA-STS lookups, so never Dane/MtaSts.
        $Scenario.Expected['None'].Security | Should -Not -BeIn @('Dane', 'MtaSts')
        # MTA-STS never changes a Mandatory outcome, and Mandatory delivers only with DANE.
        if ($Scenario.Expected['Mandatory'].Outcome -eq 'Deliver') { $Scenario.Expected['Mandatory'].Security | Should -Be 'Dane' }
        $Scenario.Rule | Should -Not -BeNullOrEmpty
    }

    It '<Scenario.Scenario> is built by scenarios.sh' -ForEach $scenarioCases {
        $definitions = Get-Content -Raw (Join-Path $PSScriptRoot 'scenarios.sh')
        $name = [regex]::Escape($Scenario.Scenario)
        $definitions | Should -Match "(?m)(scenario_zone\s+`"?$name`"?\s)|(\b$name\.test)|(:$name\b)|(^\s*\w+_scenario\s+$name\s)"
    }
}

Describe 'Lab reference clients' -Tag 'Lab' {
    It 'posttls-finger agrees with the Mandatory verdict of <Scenario.Scenario>' -ForEach $scenarioCases -Skip:(-not $inLab) {
        $mandatory = $Scenario.Expected['Mandatory']
        $finger = if ($Scenario.SmartHost) { Invoke-PostTlsFinger -HostName $Scenario.SmartHost -Level dane-only } else { Invoke-PostTlsFinger -Domain $Scenario.Domain -Level dane-only }
        # posttls-finger stops at the first host it reaches; when another one decides, ask it.
        if (-not $Scenario.SmartHost -and $mandatory.Outcome -eq 'Deliver' -and $finger.Host -and $finger.Host -ne $mandatory.MxHost) {
            $finger = Invoke-PostTlsFinger -HostName $mandatory.MxHost -Level dane-only
        }
        $expectDane = $mandatory.Outcome -eq 'Deliver' -and $mandatory.Security -eq 'Dane'
        $finger.Dane | Should -Be $expectDane -Because $finger.Text
    }

    It 'delivers a message for a lab domain into its maildir' -Skip:(-not $inLab) {
        $domain = 'dane-ee-good.test'
        $address = [Net.Dns]::GetHostAddresses("mx.$domain") | Where-Object AddressFamily -EQ 'InterNetwork' | Select-Object -First 1
        $id = [guid]::NewGuid().ToString('n')
        $client = [Net.Sockets.TcpClient]::new()
        try {
            $client.Connect($address, [int] $env:DANEMTASTS_LAB_SMTP_PORT)
            $stream = $client.GetStream()
            $reader = [IO.StreamReader]::new($stream)
            $writer = [IO.StreamWriter]::new($stream)
            $writer.NewLine = "`r`n"
            $writer.AutoFlush = $true
            $reply = {
                do { $line = $reader.ReadLine() } while ($line -match '^\d{3}-')
                $line
            }
            & $reply | Should -Match '^220'
            foreach ($command in "EHLO lab-client.test", "MAIL FROM:<tester@lab-client.test>", "RCPT TO:<anyone@$domain>", 'DATA') {
                $writer.WriteLine($command)
                & $reply | Should -Match '^(250|354)' -Because $command
            }
            $writer.WriteLine("Subject: lab $id")
            $writer.WriteLine('')
            $writer.WriteLine('hello from the lab test')
            $writer.WriteLine('.')
            & $reply | Should -Match '^250'
            $writer.WriteLine('QUIT')
        }
        finally {
            $client.Dispose()
        }
        $deadline = [datetime]::UtcNow.AddSeconds(15)
        do {
            $message = Get-LabMaildirMessage -Domain $domain | Where-Object Subject -EQ "lab $id"
            if (-not $message) { Start-Sleep -Milliseconds 200 }
        } while (-not $message -and [datetime]::UtcNow -lt $deadline)
        $message | Should -Not -BeNullOrEmpty
        $message.Text | Should -Match 'hello from the lab test'
    }
}
