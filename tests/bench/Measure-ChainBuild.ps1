#Requires -Version 7.6
<#
.SYNOPSIS
    CPU of one X509Chain build against the system's roots and against an empty custom store: the
    chain a probe's TLS handshake builds and discards (docs/architecture.md#chain-judgement).
.DESCRIPTION
    Builds a chain for one self-signed ECDSA certificate (made here, valid now), first 200 times to
    warm up, then -Builds times in each mode, revocation and downloads off as in the probe. Prints
    wall and CPU milliseconds per build. Needs no lab:
        dotnet pwsh -NoProfile -File tests/bench/Measure-ChainBuild.ps1 [-Builds 1000]
#>
param([int] $Builds = 1000)
$ErrorActionPreference = 'Stop'
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'; $env:POWERSHELL_UPDATECHECK = 'Off'

if (-not ('DaneMtaStsBench.ChainBuild' -as [type])) {
    Add-Type -Language CSharp -TypeDefinition @'
using System;
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;

namespace DaneMtaStsBench
{
    public static class ChainBuild
    {
        // Milliseconds per build (wall, CPU of the process) for one trust mode.
        public static double[] Measure(X509Certificate2 leaf, bool emptyCustomStore, int builds)
        {
            Process self = Process.GetCurrentProcess();
            self.Refresh();
            TimeSpan cpu0 = self.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            for (int i = 0; i < builds; i++)
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.DisableCertificateDownloads = true;
                if (emptyCustomStore)
                {
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                }

                chain.Build(leaf);
                foreach (X509ChainElement element in chain.ChainElements)
                {
                    element.Certificate.Dispose();
                }
            }

            wall.Stop();
            self.Refresh();
            return new[] { wall.Elapsed.TotalMilliseconds / builds, (self.TotalProcessorTime - cpu0).TotalMilliseconds / builds };
        }
    }
}
'@
}

$key = [System.Security.Cryptography.ECDsa]::Create()
$request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=mx.bench.invalid', $key, 'SHA256')
$leaf = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(30))
$null = [DaneMtaStsBench.ChainBuild]::Measure($leaf, $false, 200)
$null = [DaneMtaStsBench.ChainBuild]::Measure($leaf, $true, 200)
$system = [DaneMtaStsBench.ChainBuild]::Measure($leaf, $false, $Builds)
$empty = [DaneMtaStsBench.ChainBuild]::Measure($leaf, $true, $Builds)
'{0} builds of a chain for one self-signed certificate, after 200 of each:' -f $Builds
'  against the system roots:      {0:N3} ms wall, {1:N3} ms CPU per build' -f $system[0], $system[1]
'  against an empty custom store: {0:N3} ms wall, {1:N3} ms CPU per build' -f $empty[0], $empty[1]
