using System.Globalization;
using System.Text;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Smtp;

namespace DaneMtaSts.Engine.Policy;

/// <summary>The evidence of a result as indented text a person can read (the list view shows it).</summary>
public static class EvidenceText
{
    /// <summary>
    /// How a sentence names where something was seen: "host [address]" for a probed address, the
    /// host alone for a chain given offline (Test-DaneCertificate), which has no real address.
    /// </summary>
    internal static string HostAt(HostEvidence host, AddressEvidence address) =>
        address.OfflineSource is null ? $"{host.Name} [{address.Address}]" : host.Name;

    public static string Format(TlsPolicyResult result)
    {
        DomainEvidence ev = result.Evidence;
        var sb = new StringBuilder();
        void Line(int indent, string text) => sb.Append(' ', indent * 2).Append(text).Append('\n');

        Line(0, ev.Routing == RoutingKind.Mx
            ? $"MX: {ev.Mx.Outcome} ({ev.Mx.Status}){(ev.Mx.CnameChain.Count > 0 ? " via CNAME " + string.Join(" -> ", ev.Mx.CnameChain) : "")}{(ev.Mx.Failure is null ? "" : ": " + ev.Mx.Failure)}"
            : "Routing: smart hosts");
        if (ev.Routing == RoutingKind.Mx && ev.Mx.Dnssec is { } mxDnssec)
        {
            Chain(1, mxDnssec);
        }

        Line(0, $"Resolver: {string.Join(", ", ev.Resolver.Servers)} (validates DNSSEC: {ev.Resolver.Validates?.ToString() ?? "unknown"}; -DnssecValidation {ev.Resolver.Mode}, decided by {ev.Resolver.DnssecValidatedBy?.ToString() ?? "not yet known"})");
        foreach (HostEvidence host in ev.Hosts)
        {
            HostVerdict? verdict = result.Hosts.FirstOrDefault(h => string.Equals(h.Host, host.Name, StringComparison.OrdinalIgnoreCase));
            string decision = verdict is null ? "" : verdict.Passed ? $" => pass ({verdict.Security})" : verdict.Candidate ? $" => {verdict.StatusCode} {verdict.StatusText}" : " => not a candidate";
            Line(0, string.Create(CultureInfo.InvariantCulture, $"Host {host.Name} (preference {host.Preference}, addresses {host.AddressStatus}){decision}"));
            if (host.CnameChain.Count > 0)
            {
                Line(1, $"CNAME: {host.Name} -> {string.Join(" -> ", host.CnameChain)} (first link {host.FirstCnameLinkStatus})");
            }

            if (host.AddressDnssec is { } addressDnssec)
            {
                Line(1, "Addresses DNSSEC: " + addressDnssec);
                Chain(2, addressDnssec, header: false);
            }

            Line(1, $"DANE: {host.DaneApplicability}");
            if (host.Tlsa != TlsaState.NotApplicable)
            {
                Line(1, $"TLSA at {host.TlsaOwnerName}: {host.Tlsa} ({host.TlsaStatus}){(host.TlsaFailure is null ? "" : ": " + host.TlsaFailure)}");
                if (host.TlsaDnssec is { } tlsaDnssec)
                {
                    Chain(2, tlsaDnssec);
                }

                foreach (TlsaRecordResult r in host.TlsaUsability)
                {
                    Line(2, $"{r.Record} {(r.Usable ? "usable" : "unusable")}: {r.Detail}");
                }
            }

            foreach (AddressEvidence a in host.Addresses)
            {
                string tls = a.TlsEstablished ? $"{a.TlsProtocol} {a.CipherSuite}" : a.StartTlsOffered ? "STARTTLS failed" : a.Connected ? "no STARTTLS" : "not connected";
                Line(1, $"{a.Address}: {a.Stage}, {tls}{(a.Sni is null ? "" : ", SNI " + a.Sni)}{(a.ProbeFailure is null ? "" : " - " + a.ProbeFailure)}");
                if (a.Chain.Count > 0)
                {
                    Line(2, a.ChainSource == ServedChainSource.HandshakeRecord
                        ? "served chain, as recorded from the Certificate message:"
                        : "served chain, as the platform's TLS callback reported it (the Certificate message is encrypted):");
                }

                foreach (var c in a.Chain)
                {
                    Line(2, c.ToString());
                }

                if (a.Dane is { } dane)
                {
                    Line(2, $"DANE: {(dane.Authenticated ? "authenticated" : dane.Failure.ToString())} - {dane.Detail}");
                    foreach (TlsaRecordResult r in dane.Records)
                    {
                        string depth = r.MatchedDepth is int d ? string.Create(CultureInfo.InvariantCulture, $" at depth {d}") : "";
                        Line(3, $"{r.Record}: {(r.Matched ? "matched" + depth : "no match")} - {r.Detail}");
                    }
                }

                if (a.Pkix is { } pkix)
                {
                    Line(2, $"WebPKI for {host.Name}: {(pkix.Valid ? "valid" : pkix.Failure.ToString())} - {pkix.Detail}");
                }
            }
        }

        if (ev.MtaSts.Consulted)
        {
            var sts = ev.MtaSts;
            Line(0, $"MTA-STS: {(sts.Policy is null ? "no policy" : $"mode {sts.Policy.Mode}, max_age {sts.Policy.MaxAge}, mx {string.Join(", ", sts.Policy.Mx)}")} (source {sts.Source}{(sts.PolicyId is null ? "" : ", id " + sts.PolicyId)}{(sts.PolicyFetchedUtc is DateTime fetched ? ", fetched " + fetched.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : "")})");
            if (sts.TxtRecord is not null)
            {
                Line(1, $"TXT: {sts.TxtRecord}");
            }

            foreach (string f in sts.Failures)
            {
                Line(1, f);
            }
        }

        if (ev.TlsRpt is not null)
        {
            Line(0, $"TLS-RPT: {string.Join(", ", ev.TlsRpt.ReportUris)}");
        }
        else if (ev.TlsRptDiagnosis is not null)
        {
            Line(0, $"TLS-RPT: {ev.TlsRptDiagnosis}");
        }

        return sb.ToString().TrimEnd('\n');

        // The proof behind a status: one line per signature that validated, root first.
        void Chain(int indent, DnssecEvidence dnssec, bool header = true)
        {
            if (header)
            {
                Line(indent, "DNSSEC: " + dnssec);
            }

            foreach (var link in dnssec.Chain)
            {
                Line(indent + 1, link.ToString());
            }
        }
    }
}
