# Hostile values at the connector cmdlets: every one gives a clear ErrorRecord with a stable id (or is
# accepted, normalised, where Exchange Online accepts it), never an unhandled exception, and a rejected
# change leaves the store byte for byte as it was.

BeforeDiscovery {
    $label300 = ('a' * 300) + '.example'
    $label64 = ('b' * 64) + '.example'

    # Param: the parameter; Value: what is given; Id: the expected error id, or Accepted: the stored value.
    $script:Cases = @(
        # -Name (Exchange Online names are free text up to 64 characters: spaces, '@' and brackets are fine).
        @{ Param = 'Name'; Label = 'a name with spaces'; Value = 'Partner with spaces'; Accepted = 'Partner with spaces' }
        @{ Param = 'Name'; Label = 'an e-mail address as name'; Value = 'admin@contoso.com'; Accepted = 'admin@contoso.com' }
        @{ Param = 'Name'; Label = 'a [host] form as name'; Value = '[relay.contoso.com]'; Accepted = '[relay.contoso.com]' }
        @{ Param = 'Name'; Label = 'a tab in the name'; Value = "tab`there"; Id = 'InvalidConnectorName' }
        @{ Param = 'Name'; Label = 'a NUL in the name'; Value = "nul`0here"; Id = 'InvalidConnectorName' }
        @{ Param = 'Name'; Label = 'a line break in the name'; Value = "line`nbreak"; Id = 'InvalidConnectorName' }
        @{ Param = 'Name'; Label = 'an escape sequence in the name'; Value = "esc`e[31mred"; Id = 'InvalidConnectorName' }
        @{ Param = 'Name'; Label = 'a leading space'; Value = ' Leading'; Id = 'InvalidConnectorName' }
        @{ Param = 'Name'; Label = 'a 300-character name'; Value = ('n' * 300); Id = 'InvalidConnectorName' }
        # -RecipientDomains
        @{ Param = 'RecipientDomains'; Label = 'a domain with a space'; Value = 'con toso.com'; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'a domain with a control character'; Value = "con`ttoso.com"; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'a domain with a NUL'; Value = "contoso.com`0"; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'a 300-character label'; Value = $label300; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'a 64-character label'; Value = $label64; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'an IPv4 literal'; Value = '192.0.2.1'; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'an IPv6 literal'; Value = '2001:db8::1'; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'a [IP] form'; Value = '[192.0.2.1]'; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'a [host] form'; Value = '[contoso.com]'; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'an e-mail address'; Value = 'user@contoso.com'; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'an inner wildcard'; Value = 'mail.*.contoso.com'; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'an empty string'; Value = ''; Id = 'InvalidRecipientDomain' }
        @{ Param = 'RecipientDomains'; Label = 'upper case and a final dot'; Value = 'Contoso.COM.'; Accepted = 'contoso.com' }
        # -SmartHosts (Exchange Online takes FQDNs, IP addresses and CIDR ranges)
        @{ Param = 'SmartHosts'; Label = 'an IPv4 smart host'; Value = '192.0.2.1'; Accepted = '192.0.2.1' }
        @{ Param = 'SmartHosts'; Label = 'a [IPv4] smart host'; Value = '[192.0.2.1]'; Accepted = '192.0.2.1' }
        @{ Param = 'SmartHosts'; Label = 'a [IPv6] smart host'; Value = '[2001:DB8::1]'; Accepted = '2001:db8::1' }
        @{ Param = 'SmartHosts'; Label = 'a CIDR range'; Value = '192.0.2.77/24'; Accepted = '192.0.2.0/24' }
        @{ Param = 'SmartHosts'; Label = 'a [host] form'; Value = '[relay.contoso.com]'; Id = 'InvalidSmartHost' }
        @{ Param = 'SmartHosts'; Label = 'an e-mail address'; Value = 'user@relay.contoso.com'; Id = 'InvalidSmartHost' }
        @{ Param = 'SmartHosts'; Label = 'a host with a space'; Value = 'relay contoso.com'; Id = 'InvalidSmartHost' }
        @{ Param = 'SmartHosts'; Label = 'a host with a line break'; Value = "relay`n.contoso.com"; Id = 'InvalidSmartHost' }
        @{ Param = 'SmartHosts'; Label = 'a 300-character label'; Value = $label300; Id = 'InvalidSmartHost' }
        @{ Param = 'SmartHosts'; Label = 'a host with a port'; Value = 'relay.contoso.com:2525'; Id = 'InvalidSmartHost' }
        @{ Param = 'SmartHosts'; Label = 'an IPv4 octet over 255'; Value = '300.0.2.1'; Id = 'InvalidSmartHost' }
        @{ Param = 'SmartHosts'; Label = 'an IPv6 zone index'; Value = 'fe80::1%eth0'; Id = 'InvalidSmartHost' }
        @{ Param = 'SmartHosts'; Label = 'a CIDR prefix over 32'; Value = '192.0.2.0/33'; Id = 'InvalidSmartHost' }
        # -TlsDomain (the name the certificate must match: never an address)
        @{ Param = 'TlsDomain'; Label = 'an IPv4 literal'; Value = '192.0.2.1'; Id = 'InvalidTlsDomain' }
        @{ Param = 'TlsDomain'; Label = 'a [host] form'; Value = '[mx.contoso.com]'; Id = 'InvalidTlsDomain' }
        @{ Param = 'TlsDomain'; Label = 'an e-mail address'; Value = 'postmaster@mx.contoso.com'; Id = 'InvalidTlsDomain' }
        @{ Param = 'TlsDomain'; Label = 'a 300-character label'; Value = $label300; Id = 'InvalidTlsDomain' }
        @{ Param = 'TlsDomain'; Label = 'a domain with a space'; Value = 'mx contoso.com'; Id = 'InvalidTlsDomain' }
        @{ Param = 'TlsDomain'; Label = 'a carriage return'; Value = "mx`r.contoso.com"; Id = 'InvalidTlsDomain' }
        @{ Param = 'TlsDomain'; Label = 'a bare wildcard'; Value = '*'; Id = 'InvalidTlsDomain' }
        @{ Param = 'TlsDomain'; Label = 'a leading wildcard'; Value = '*.Contoso.COM'; Accepted = '*.contoso.com' }
    )
}

BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $env:DANEMTASTS_STORE = Join-Path $TestDrive 'hostile/store.json'
    $script:Ns = 'DaneMtaSts.Module.Commands'

    function Get-CallParameters([string] $Param, $Value) {
        # What else the parameter needs to form a valid connector, so that only the value under test can fail.
        $p = @{ $Param = $Value }
        if ($Param -eq 'SmartHosts') { $p.UseMXRecord = $false }
        if ($Param -eq 'TlsDomain') { $p.TlsSettings = 'DomainValidation' }
        return $p
    }

    function Assert-HostileResult($Err, [string] $Command, [string] $ExpectedId, [string] $Label, [string] $Before) {
        if ($ExpectedId) {
            $Err | Should -Not -BeNullOrEmpty -Because "$Label must be refused"
            $Err.FullyQualifiedErrorId | Should -Be "$ExpectedId,$Ns.$Command"
            $Err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $Err.Exception.GetType().Name | Should -Be 'EngineException'
            # Control characters are shown escaped, so the message cannot rewrite the terminal.
            $Err.Exception.Message | Should -Not -Match '[\x00-\x08\x0A-\x1F\x7F]'
            (Get-FileHash -Algorithm SHA256 -LiteralPath $env:DANEMTASTS_STORE).Hash | Should -Be $Before
        }
        else {
            $Err | Should -BeNullOrEmpty -Because "$Label is accepted by Exchange Online"
        }
        @(Get-ChildItem (Split-Path $env:DANEMTASTS_STORE) -Filter '*.tmp' -Force) | Should -BeNullOrEmpty
    }
}

Describe 'Hostile values at New-OutboundConnector and Set-OutboundConnector' {
    BeforeAll {
        Remove-Item (Split-Path $env:DANEMTASTS_STORE) -Recurse -Force -ErrorAction SilentlyContinue
        New-OutboundConnector 'Seed' -RecipientDomains seed.example -Comment 'seed' | Out-Null
        $script:SeedBytes = [IO.File]::ReadAllBytes($env:DANEMTASTS_STORE)
        $script:Before = (Get-FileHash -Algorithm SHA256 -LiteralPath $env:DANEMTASTS_STORE).Hash
    }

    BeforeEach {
        # The same one-connector store before every case (cheaper than creating it through the cmdlet each time).
        [IO.File]::WriteAllBytes($env:DANEMTASTS_STORE, $SeedBytes)
    }

    It 'New -<Param> with <Label>' -ForEach $Cases {
        $p = Get-CallParameters $Param $Value
        if (-not $p.ContainsKey('Name')) { $p.Name = 'Hostile' }
        if (-not $p.ContainsKey('RecipientDomains')) { $p.RecipientDomains = 'contoso.com' }
        $err = $null
        $created = $null
        try { $created = New-OutboundConnector @p -ErrorAction Stop } catch { $err = $_ }
        Assert-HostileResult $err 'NewOutboundConnectorCommand' $Id $Label $Before
        if (-not $Id) {
            @((Get-OutboundConnector $created.Guid).$Param) | Should -Be @($Accepted)
            @(Get-OutboundConnector).Count | Should -Be 2
        }
    }

    It 'Set -<Param> with <Label>' -ForEach $Cases {
        $p = Get-CallParameters $Param $Value
        $err = $null
        try { Set-OutboundConnector 'Seed' @p -ErrorAction Stop } catch { $err = $_ }
        Assert-HostileResult $err 'SetOutboundConnectorCommand' $Id $Label $Before
        $seed = @(Get-OutboundConnector)[0]
        if ($Id) {
            $seed.Name | Should -Be 'Seed'
        }
        else {
            @($seed.$Param) | Should -Be @($Accepted)
        }
    }
}

Describe 'Hostile identities' {
    BeforeAll {
        Remove-Item (Split-Path $env:DANEMTASTS_STORE) -Recurse -Force -ErrorAction SilentlyContinue
        New-OutboundConnector 'x[1]' -RecipientDomains contoso.com | Out-Null
        $script:Before = (Get-FileHash -Algorithm SHA256 -LiteralPath $env:DANEMTASTS_STORE).Hash
    }

    It '<Cmdlet> -Identity <Label> is a non-terminating ConnectorNotFound' -ForEach @(
        foreach ($cmdlet in 'Get', 'Set', 'Remove') {
            @{ Cmdlet = $cmdlet; Label = 'an unclosed bracket'; Identity = '[x' }
            @{ Cmdlet = $cmdlet; Label = 'an invalid wildcard'; Identity = '*[' }
            @{ Cmdlet = $cmdlet; Label = 'a NUL'; Identity = "a`0b" }
            @{ Cmdlet = $cmdlet; Label = 'of 5000 characters'; Identity = ('z' * 5000) }
        }
    ) {
        $p = @{ Identity = $Identity; ErrorVariable = 'errs'; ErrorAction = 'SilentlyContinue' }
        if ($Cmdlet -eq 'Set') { $p.Comment = 'changed' }
        if ($Cmdlet -eq 'Remove') { $p.Confirm = $false }
        $out = & "$Cmdlet-OutboundConnector" @p; $after = 'carried on'
        $out | Should -BeNullOrEmpty
        $after | Should -Be 'carried on'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be "ConnectorNotFound,$Ns.${Cmdlet}OutboundConnectorCommand"
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        (Get-FileHash -Algorithm SHA256 -LiteralPath $env:DANEMTASTS_STORE).Hash | Should -Be $Before
    }

    It 'a name with brackets is still found literally' {
        (Get-OutboundConnector 'x[1]').Name | Should -Be 'x[1]'
    }
}
