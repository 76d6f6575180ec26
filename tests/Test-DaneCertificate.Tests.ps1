# Test-DaneCertificate: offline judging of certificate files against TLSA records and MTA-STS
# policies, with certificates generated here (nothing is read from outside the test drive).
BeforeAll {
    Import-Module $env:DANEMTASTS_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Cmd = 'DaneMtaSts.Module.Commands.TestDaneCertificateCommand'
    Add-Type -AssemblyName System.Security.Cryptography

    function script:New-TestCertificate {
        param([string] $Subject, [string[]] $DnsName = @(), $Issuer, [switch] $Ca, [datetime] $NotBefore = (Get-Date).AddDays(-10), [datetime] $NotAfter = (Get-Date).AddDays(90))
        $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $req = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new("CN=$Subject", $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
        $req.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($Ca.IsPresent, $false, 0, $true))
        if ($Ca) {
            $req.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509KeyUsageExtension]::new('KeyCertSign, CrlSign, DigitalSignature', $true))
        }
        else {
            $eku = [System.Security.Cryptography.OidCollection]::new(); $null = $eku.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.1'))
            $req.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($eku, $false))
        }
        if ($DnsName) {
            $san = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
            $DnsName | ForEach-Object { $san.AddDnsName($_) }
            $req.CertificateExtensions.Add($san.Build())
        }
        $req.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension]::new($req.PublicKey, $false))
        if ($Issuer) {
            $req.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509AuthorityKeyIdentifierExtension]::CreateFromCertificate($Issuer, $true, $false))
            $serial = [byte[]](1..16 | ForEach-Object { Get-Random -Maximum 127 })
            $cert = $req.Create($Issuer, $NotBefore, $NotAfter, $serial)
            return [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::CopyWithPrivateKey($cert, $key)
        }
        return $req.CreateSelfSigned($NotBefore, $NotAfter)
    }

    function script:Get-SpkiSha256($Cert) {
        [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($Cert.PublicKey.ExportSubjectPublicKeyInfo()))
    }

    function script:Save-Pem([string] $Name, [object[]] $Certs) {
        $path = Join-Path $TestDrive $Name
        ($Certs | ForEach-Object { $_.ExportCertificatePem() }) -join "`n" | Set-Content -LiteralPath $path
        return $path
    }

    $script:Root = New-TestCertificate -Subject 'Plan Root CA' -Ca -NotBefore (Get-Date).AddYears(-1) -NotAfter (Get-Date).AddYears(10)
    $script:Leaf = New-TestCertificate -Subject 'mx.plan.test' -DnsName 'mx.plan.test' -Issuer $Root -NotAfter (Get-Date).AddDays(20)
    $script:SelfSigned = New-TestCertificate -Subject 'anything' -DnsName 'other.test'
    $script:ChainPem = Save-Pem 'chain.pem' @($Leaf, $Root)
    $script:RootPem = Save-Pem 'root.pem' @($Root)
    $script:SelfPem = Save-Pem 'self.pem' @($SelfSigned)
}

Describe 'Test-DaneCertificate against TLSA records' {
    It 'passes a DANE-EE match at depth 0, whatever the names and issuer' {
        $r = Test-DaneCertificate $SelfPem -HostName mx.plan.test -TlsaRecord "3 1 1 $(Get-SpkiSha256 $SelfSigned)"
        $r.Passed | Should -BeTrue
        $r.DanePassed | Should -BeTrue
        $r.MatchedDepth | Should -Be 0
        $r.StopsMatchingOn | Should -BeNullOrEmpty
        # The verdict engine's own verdict under Mandatory (docs/verdicts.md#offline-check).
        "$($r.DaneVerdict.Outcome)" | Should -Be 'Deliver'
        "$($r.DaneVerdict.Security)" | Should -Be 'Dane'
        $r.Reason | Should -Match 'DANE-authenticated'
    }

    It 'fails a wrong digest with 4.7.323 tlsa-invalid' {
        $r = Test-DaneCertificate $SelfPem -HostName mx.plan.test -TlsaRecord ('3 1 1 ' + ('AB' * 32))
        $r.Passed | Should -BeFalse
        $r.DaneStatusCode | Should -Be '4.7.323'
        $r.DaneStatusText | Should -Be 'tlsa-invalid'
        $r.Records[0].Matched | Should -BeFalse
    }

    It 'passes a DANE-TA match at depth 1 and says when it stops matching' {
        $r = Test-DaneCertificate $ChainPem -HostName mx.plan.test -TlsaRecord "_25._tcp.mx.plan.test. 300 IN TLSA 2 1 1 $(Get-SpkiSha256 $Root)"
        $r.Passed | Should -BeTrue
        $r.MatchedDepth | Should -Be 1
        $r.StopsMatchingOn.UtcDateTime | Should -Be $Leaf.NotAfter.ToUniversalTime()
    }

    It 'fails the same DANE-TA chain with 4.7.322 once the leaf has expired (-AsOf)' {
        $r = Test-DaneCertificate $ChainPem -HostName mx.plan.test -TlsaRecord "2 1 1 $(Get-SpkiSha256 $Root)" -AsOf (Get-Date).AddDays(30)
        $r.Passed | Should -BeFalse
        $r.DaneStatusCode | Should -Be '4.7.322'
    }

    It 'fails a DANE-TA chain for another host name with 4.7.325' {
        $r = Test-DaneCertificate $ChainPem -HostName mx2.plan.test -TlsaRecord "2 1 1 $(Get-SpkiSha256 $Root)"
        $r.DaneStatusCode | Should -Be '4.7.325'
    }

    It 'accepts the recipient domain as a DANE-TA reference name' {
        $domainLeaf = New-TestCertificate -Subject 'plan.test' -DnsName 'plan.test' -Issuer $Root
        $pem = Save-Pem 'domain.pem' @($domainLeaf, $Root)
        (Test-DaneCertificate $pem -HostName mx.plan.test -TlsaRecord "2 1 1 $(Get-SpkiSha256 $Root)" -Quiet) | Should -BeFalse
        (Test-DaneCertificate $pem -HostName mx.plan.test -RecipientDomain plan.test -TlsaRecord "2 1 1 $(Get-SpkiSha256 $Root)" -Quiet) | Should -BeTrue
    }

    It 'reports usage 1 records as unusable' {
        $r = Test-DaneCertificate $SelfPem -HostName mx.plan.test -TlsaRecord "1 1 1 $(Get-SpkiSha256 $SelfSigned)"
        $r.Passed | Should -BeFalse
        $r.Records[0].Usable | Should -BeFalse
        $r.DaneStatusCode | Should -Be '4.7.323'
        "$($r.DaneVerdict.Kind)" | Should -Be 'NoUsableTlsa'
        $r.Reason | Should -Match 'only unusable TLSA records'
    }
}

Describe 'Test-DaneCertificate against an MTA-STS policy' {
    BeforeAll {
        $script:Policy = "version: STSv1`nmode: enforce`nmx: mx.plan.test`nmx: *.backup.plan.test`nmax_age: 86400`n"
    }

    It 'passes a trusted certificate for a host that matches the policy' {
        $r = Test-DaneCertificate $ChainPem -HostName mx.plan.test -MtaStsPolicy $Policy -TrustedRootCertificate $RootPem
        $r.Passed | Should -BeTrue
        $r.MtaStsPassed | Should -BeTrue
        $r.MtaStsPattern | Should -Be 'mx.plan.test'
        $r.DanePassed | Should -BeNullOrEmpty
    }

    It 'shows the parsed policy and says what the parser forgave' {
        $r = Test-DaneCertificate $ChainPem -HostName mx.plan.test -MtaStsPolicy ($Policy + "max_age: 1`n") -TrustedRootCertificate $RootPem -WarningVariable warn -WarningAction SilentlyContinue
        $r.MtaStsPolicy.Mode | Should -Be 'Enforce'
        $r.MtaStsPolicy.MaxAgeSeconds | Should -Be 86400
        $r.MtaStsPolicy.Mx | Should -Be 'mx.plan.test', '*.backup.plan.test'
        @($warn) | Should -HaveCount 1
        "$($warn[0])" | Should -BeLike "MTA-STS policy: The key 'max_age' appears more than once*"
    }

    It 'fails an untrusted certificate with 4.7.5' {
        $r = Test-DaneCertificate $ChainPem -HostName mx.plan.test -MtaStsPolicy $Policy
        $r.MtaStsStatusCode | Should -Be '4.7.5'
        "$($r.Pkix.Failure)" | Should -Be 'Untrusted'
    }

    It 'fails a host that matches no mx pattern with 4.4.8' {
        $r = Test-DaneCertificate $ChainPem -HostName mx.other.test -MtaStsPolicy $Policy -TrustedRootCertificate $RootPem
        $r.MtaStsStatusCode | Should -Be '4.4.8'
    }

    It 'does not fail a testing policy' {
        $r = Test-DaneCertificate $ChainPem -HostName mx.other.test -MtaStsPolicy ($Policy -replace 'enforce', 'testing') -TrustedRootCertificate $RootPem
        $r.MtaStsPassed | Should -BeFalse
        $r.MtaStsStatusCode | Should -Be '4.4.8'
        $r.Passed | Should -BeTrue
        "$($r.MtaStsVerdict.Outcome)" | Should -Be 'Deliver'
        $r.MtaStsEnforceVerdict.StatusCode | Should -Be '4.4.8'
        $r.Reason | Should -Match 'testing mode'
    }
}

Describe 'Test-DaneCertificate errors' {
    It 'reports <Id> for <Case>' -ForEach @(
        @{ Case = 'a missing file'; Id = 'CertificateFileNotFound'; Params = @{ CertificatePath = 'nope.pem'; HostName = 'mx.plan.test'; TlsaRecord = '3 1 1 00' } }
        @{ Case = 'a malformed TLSA record'; Id = 'InvalidTlsaRecord'; Params = @{ HostName = 'mx.plan.test'; TlsaRecord = '3 1 x zz' } }
        @{ Case = 'a malformed policy'; Id = 'InvalidMtaStsPolicy'; Params = @{ HostName = 'mx.plan.test'; MtaStsPolicy = 'mode: enforce' } }
        @{ Case = 'nothing to check'; Id = 'NothingToCheck'; Params = @{ HostName = 'mx.plan.test' } }
        @{ Case = 'a bad host name'; Id = 'InvalidDomainName'; Params = @{ HostName = 'bad host'; TlsaRecord = '3 1 1 00' } }
    ) {
        if (-not $Params.ContainsKey('CertificatePath')) { $Params.CertificatePath = $SelfPem }
        else { $Params.CertificatePath = Join-Path $TestDrive $Params.CertificatePath }
        Test-DaneCertificate @Params -ErrorVariable errs -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -Be "$Id,$Cmd"
    }

    It 'binds files from Get-ChildItem' {
        $r = Get-ChildItem $SelfPem | Test-DaneCertificate -HostName mx.plan.test -TlsaRecord "3 1 1 $(Get-SpkiSha256 $SelfSigned)"
        $r.Passed | Should -BeTrue
    }
}
