using System.Globalization;
using DaneMtaSts.Engine.Common;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Smtp;

namespace DaneMtaSts.Engine.Policy;

/// <summary>
/// Derives the concrete fix for each failure of a result from the evidence the run observed: the
/// served chains, the TLSA records and their match results, the MTA-STS policy and its fetch, the
/// DNS statuses. Pure (no network, no clock): the same result always gets the same advice. The
/// advice is data (records, lines, names) plus one rendered text per fix; it never changes anything.
/// </summary>
public static class RemediationAdvisor
{
    // RFC 7671 §8.1: publish the next key's record beside the current one, wait, switch, then retire.
    private const string RolloverAdvice =
        "Before the next certificate or key change, publish the new key's TLSA record beside the current one, wait at least twice the TLSA TTL, switch the certificate, then remove the old record (RFC 7671 §8.1); a \"2 1 1\" record of the issuing CA survives leaf renewals that keep the same CA key.";

    // The records are computed from the chain this machine was served: an interceptor's chain would
    // produce the interceptor's records. Say so every time; the partner must check against their key.
    private const string ObservedCaveat =
        "These values come from the chain this run was served; the partner should confirm them against their own certificate (openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum) before publishing.";

    public static IReadOnlyList<Remediation> Advise(TlsPolicyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var advice = new List<Remediation>();
        DomainEvidence ev = result.Evidence;

        AdviseDomain(result, ev, advice);
        foreach (HostVerdict verdict in result.Hosts.Where(v => !v.Passed && v.Candidate))
        {
            HostEvidence? host = ev.Hosts.FirstOrDefault(h => string.Equals(h.Name, verdict.Host, StringComparison.OrdinalIgnoreCase));
            if (host is not null)
            {
                AdviseHost(ev, host, verdict, advice);
            }
        }

        AdviseMtaSts(result, ev, advice);
        if (result.Outcome == Outcome.Indeterminate && !advice.Any(a => a.Kind == RemediationKind.Investigate))
        {
            advice.Insert(0, new Remediation
            {
                Kind = RemediationKind.Investigate,
                Audience = RemediationAudience.Administrator,
                Text = $"Nothing to send to {ev.Domain} yet: this run could not establish what the verdict depends on. {result.Reason}",
            });
        }

        // One fix per (kind, host, subject): several addresses of a host fail the same way.
        var distinct = advice.DistinctBy(r => (r.Kind, r.Host?.ToUpperInvariant(), r.Subject)).ToList();
        return new ReadableList<Remediation>(distinct);
    }

    private static void AdviseDomain(TlsPolicyResult result, DomainEvidence ev, List<Remediation> advice)
    {
        if (ev.Routing != RoutingKind.Mx)
        {
            return;
        }

        string mxRrset = $"{ev.Domain}. IN MX";
        switch (ev.Mx.Outcome)
        {
            case MxOutcome.NxDomain:
                advice.Add(new Remediation
                {
                    Kind = RemediationKind.CheckRecipientDomain,
                    Audience = RemediationAudience.Administrator,
                    Subject = ev.Domain,
                    Text = $"{ev.Domain} does not exist in DNS: check the spelling of the recipient domain, or remove it from the connector's RecipientDomains. There is nothing for a partner to publish.",
                });
                break;
            case MxOutcome.NullMx:
                advice.Add(new Remediation
                {
                    Kind = RemediationKind.CheckRecipientDomain,
                    Audience = RemediationAudience.Administrator,
                    Subject = mxRrset,
                    Text = $"{ev.Domain} declares with a Null MX (RFC 7505) that it accepts no mail: remove it from the connector's RecipientDomains, or ask the partner which domain receives their mail.",
                });
                break;
            case MxOutcome.NoMailHost:
                advice.Add(new Remediation
                {
                    Kind = RemediationKind.PublishMx,
                    Audience = RemediationAudience.Partner,
                    Subject = mxRrset,
                    Text = $"{ev.Domain} has neither MX nor address records: publish an MX record naming the host that receives its mail (RFC 5321 §5.1), or a Null MX if it receives none.",
                });
                break;
            case MxOutcome.Bogus:
                advice.Add(new Remediation
                {
                    Kind = RemediationKind.FixDnssec,
                    Audience = RemediationAudience.Partner,
                    Subject = mxRrset,
                    Text = $"The MX RRset of {ev.Domain} does not validate (DNSSEC bogus: the resolver answers SERVFAIL and only answers with checking disabled). {Sentence(ev.Mx.Failure)}Re-sign the zone, check that no RRSIG has expired and that the DS record at the parent matches a DNSKEY of the zone.",
                });
                break;
            case MxOutcome.Failed:
                advice.Add(new Remediation
                {
                    Kind = RemediationKind.FixDnsServers,
                    Audience = RemediationAudience.Partner,
                    Subject = mxRrset,
                    Text = $"No usable answer to the MX query of {ev.Domain}, even with checking disabled. {Sentence(ev.Mx.Failure)}The name servers of the zone must answer (check the delegation and that every listed name server is authoritative for it).",
                });
                break;
            default:
                if (result.Kind == FailureKind.NoHostFound)
                {
                    advice.Add(new Remediation
                    {
                        Kind = RemediationKind.PublishMx,
                        Audience = RemediationAudience.Partner,
                        Subject = mxRrset,
                        Text = $"No host to deliver to was found for {ev.Domain}: publish an MX record naming a host with address records.",
                    });
                }

                break;
        }
    }

    // Keyed on the verdict's FailureKind (what failed); the fix itself comes from the evidence.
    private static void AdviseHost(DomainEvidence ev, HostEvidence host, HostVerdict verdict, List<Remediation> advice)
    {
        AddressEvidence? address = host.Addresses.FirstOrDefault(a => string.Equals(a.Address.ToString(), verdict.Address, StringComparison.Ordinal))
                                   ?? (host.Addresses.Count > 0 ? host.Addresses[0] : null);
        switch (verdict.Kind)
        {
            case FailureKind.DnsLookupFailed or FailureKind.NoHostFound:
                AdviseHostAddresses(host, advice);
                break;
            case FailureKind.DnssecBogus or FailureKind.TlsaLookupFailed:
                if (host.Tlsa == TlsaState.LookupFailed && host.AddressStatus is not DnsSecStatus.Bogus)
                {
                    AdviseTlsaLookup(host, advice);
                }
                else
                {
                    AdviseHostAddresses(host, advice);
                }

                break;
            case FailureKind.DnssecInsecure:
            {
                bool mxInsecure = ev.Routing == RoutingKind.Mx && ev.Mx.Status != DnsSecStatus.Secure;
                string zoneOf = mxInsecure ? ev.Domain : host.Name;
                advice.Add(new Remediation
                {
                    Kind = RemediationKind.SignZone,
                    Audience = RemediationAudience.Partner,
                    Host = host.Name,
                    Subject = mxInsecure ? $"{ev.Domain}. IN MX" : $"{host.Name}. IN A/AAAA",
                    Text = $"SmtpDaneMode Mandatory needs DANE, and DANE needs DNSSEC: {host.DaneApplicability.TrimEnd('.')}. Sign the zone that holds {zoneOf} with DNSSEC and publish its DS record at the parent; then publish TLSA records for {host.TlsaOwnerName} (RFC 7672 §2.2).",
                });
                break;
            }

            case FailureKind.NoUsableTlsa:
            {
                string why = host.Tlsa == TlsaState.UnusableOnly
                    ? $"{host.Name} publishes only unusable TLSA records ({string.Join("; ", host.TlsaUsability.Select(r => $"{r.Record}: {r.Detail.TrimEnd('.')}"))})"
                    : $"{host.Name} is DNSSEC-signed but publishes no TLSA record at {host.TlsaOwnerName}";
                AddPublishTlsa(host, host.Addresses, why + ", so it cannot be DANE-authenticated as SmtpDaneMode Mandatory requires.", advice);
                break;
            }

            case FailureKind.TlsaMismatch or FailureKind.CertificateExpired or FailureKind.NameMismatch when address?.Dane is { Authenticated: false } dane:
                AdviseDane(ev, host, address, dane, advice);
                break;
            case FailureKind.TlsaMismatch:
                AddPublishTlsa(host, host.Addresses, $"None of the TLSA records at {host.TlsaOwnerName} ({string.Join("; ", host.TlsaRecords)}) matches the chain {host.Name} serves.", advice);
                break;
            case FailureKind.StartTlsNotOffered or FailureKind.HandshakeFailed or FailureKind.StsStartTlsNotOffered when address is not null:
                advice.Add(new Remediation
                {
                    Kind = RemediationKind.EnableStartTls,
                    Audience = RemediationAudience.Partner,
                    Host = host.Name,
                    Subject = $"{host.Name}:{host.Port}",
                    Text = address.StartTlsOffered
                        ? $"{EvidenceText.HostAt(host, address)} offers STARTTLS but the TLS handshake fails ({Clause(address.ProbeFailure)}): fix the server's TLS configuration (certificate and key loaded, TLS 1.2 or 1.3 enabled). {RequirementOf(verdict.Kind)}"
                        : $"{EvidenceText.HostAt(host, address)} does not offer STARTTLS: enable it on port {host.Port} with a certificate. {RequirementOf(verdict.Kind)}",
                });
                break;
            case FailureKind.StsCertificateInvalid or FailureKind.StsCertificateExpired or FailureKind.StsNameMismatch
                or FailureKind.CertificateValidationFailed or FailureKind.CertificateExpired or FailureKind.NameMismatch when address?.Pkix is { Valid: false } pkix:
                AdvisePkix(host, address, pkix, advice);
                break;
            case FailureKind.TlsDomainMismatch when address is not null:
                advice.Add(new Remediation
                {
                    Kind = RemediationKind.CheckRecipientDomain,
                    Audience = RemediationAudience.Administrator,
                    Host = host.Name,
                    Subject = address.Chain.FirstOrDefault(c => c.Depth == 0)?.Subject,
                    Text = $"The certificate of {host.Name} is trusted but does not carry the connector's TlsDomain ({Clause(address.TlsDomainPkix?.Detail)}): ask the partner which name their certificate carries, or correct the connector's TlsDomain.",
                });
                break;
            case FailureKind.ConnectFailed or FailureKind.Unreachable or FailureKind.ProxyFailed or FailureKind.SmtpRefused or FailureKind.SmtpTemporaryFailure when address is not null:
                AdviseSmtpSession(host, address, verdict.Kind, ev.ProbeRouteKind == ProbeRouteKind.Socks5Proxy, advice);
                break;
            case FailureKind.ProbeSkipped:
                advice.Add(new Remediation
                {
                    Kind = RemediationKind.Investigate,
                    Audience = RemediationAudience.Administrator,
                    Host = host.Name,
                    Text = $"The verdict for {host.Name} needs the certificate it serves, and -SkipSmtpProbe skipped the STARTTLS probe: run again without it from a machine that reaches port 25, or through -SmtpProxy.",
                });
                break;
            case FailureKind.DnssecIndeterminate:
                advice.Add(new Remediation
                {
                    Kind = RemediationKind.Investigate,
                    Audience = RemediationAudience.Administrator,
                    Host = host.Name,
                    Text = $"This run could not establish the DNSSEC status the verdict for {host.Name} depends on: {verdict.Reason}",
                });
                break;
        }
    }

    private static void AdviseHostAddresses(HostEvidence host, List<Remediation> advice)
    {
        string rrset = $"{host.Name}. IN A/AAAA";
        if (host.AddressStatus == DnsSecStatus.Bogus)
        {
            advice.Add(new Remediation
            {
                Kind = RemediationKind.FixDnssec,
                Audience = RemediationAudience.Partner,
                Host = host.Name,
                Subject = rrset,
                Text = $"The address records of {host.Name} do not validate (DNSSEC bogus). {Sentence(host.AddressFailure)}Re-sign the zone holding {host.Name}, check that no RRSIG has expired and that its DS at the parent matches a DNSKEY.",
            });
        }
        else if (host.AddressStatus == DnsSecStatus.Failed || host.AddressRcode is DnsRcodeSummary.ServFail or DnsRcodeSummary.Refused or DnsRcodeSummary.NoResponse)
        {
            advice.Add(new Remediation
            {
                Kind = RemediationKind.FixDnsServers,
                Audience = RemediationAudience.Partner,
                Host = host.Name,
                Subject = rrset,
                Text = $"The address lookup of {host.Name} got no usable answer. {Sentence(host.AddressFailure)}The name servers of its zone must answer A and AAAA queries.",
            });
        }
        else
        {
            advice.Add(new Remediation
            {
                Kind = RemediationKind.PublishMx,
                Audience = RemediationAudience.Partner,
                Host = host.Name,
                Subject = rrset,
                Text = host.AddressRcode == DnsRcodeSummary.NxDomain
                    ? $"The MX target {host.Name} does not exist: publish its A/AAAA records, or point the MX record at a host that exists."
                    : $"{host.Name} has no A or AAAA records: publish them, or point the MX record at a host that has them.",
            });
        }
    }

    private static void AdviseTlsaLookup(HostEvidence host, List<Remediation> advice)
    {
        string rrset = $"{host.TlsaOwnerName}. IN TLSA";
        string found = Sentence(host.TlsaFailure);
        advice.Add(host.TlsaStatus == DnsSecStatus.Bogus
            ? new Remediation
            {
                Kind = RemediationKind.FixDnssec,
                Audience = RemediationAudience.Partner,
                Host = host.Name,
                Subject = rrset,
                Text = $"The TLSA RRset {host.TlsaOwnerName} does not validate (DNSSEC bogus). {found}Re-sign the zone after every TLSA change, check that no RRSIG has expired and that the DS at the parent matches a DNSKEY; until then senders that use DANE defer all mail to {host.Name} (RFC 7672 §2.1).",
            }
            : new Remediation
            {
                Kind = RemediationKind.FixDnsServers,
                Audience = RemediationAudience.Partner,
                Host = host.Name,
                Subject = rrset,
                Text = $"The TLSA lookup of {host.TlsaOwnerName} got no usable answer. {found}The name servers must answer TLSA queries, with an authenticated NODATA or NXDOMAIN when there is no record (RFC 7672 §2.1); a server that drops or refuses TLSA queries makes DANE senders defer all mail to {host.Name}.",
            });
    }

    private static void AdviseSmtpSession(HostEvidence host, AddressEvidence address, FailureKind kind, bool throughProxy, List<Remediation> advice)
    {
        bool fromHere = kind is FailureKind.ConnectFailed or FailureKind.Unreachable or FailureKind.ProxyFailed;
        string text = kind switch
        {
            FailureKind.ProxyFailed => $"The SMTP proxy failed on the way to {EvidenceText.HostAt(host, address)} ({Clause(address.ProbeFailure)}): fix or replace -SmtpProxy, then run again; nothing is known about the partner yet.",
            FailureKind.Unreachable when throughProxy => $"No host of this run answered on port {host.Port} through the SOCKS5 proxy, {EvidenceText.HostAt(host, address)} included ({Clause(address.ProbeFailure)}): the proxy's host probably cannot reach port 25. Check it from there, or use a proxy on a host that reaches port 25, before telling the partner anything.",
            FailureKind.Unreachable => $"No host of this run answered on port {host.Port}, {EvidenceText.HostAt(host, address)} included ({Clause(address.ProbeFailure)}): this machine's network probably blocks outbound port 25. Run again from a network that reaches port 25, or with -SmtpProxy, before telling the partner anything.",
            FailureKind.ConnectFailed => $"{EvidenceText.HostAt(host, address)} did not accept a connection on port {host.Port} ({Clause(address.ProbeFailure)}), while other hosts of this run did. Check once more from another network; if it fails there too, the partner's server or firewall is not accepting SMTP.",
            FailureKind.SmtpRefused => $"{EvidenceText.HostAt(host, address)} refused the SMTP session with a permanent reply ({Clause(address.ProbeFailure)}): the partner should check why their server rejects this sender before STARTTLS (access lists, rate limits, reputation).",
            _ => $"{EvidenceText.HostAt(host, address)} accepted the connection but the SMTP session failed before STARTTLS ({Clause(address.ProbeFailure)}): the partner should check the server's greeting and EHLO handling.",
        };
        advice.Add(new Remediation
        {
            Kind = kind == FailureKind.ProxyFailed || kind == FailureKind.Unreachable ? RemediationKind.Investigate : RemediationKind.CheckSmtpService,
            Audience = fromHere ? RemediationAudience.Administrator : RemediationAudience.Partner,
            Host = host.Name,
            Subject = string.Create(CultureInfo.InvariantCulture, $"{address.Address} port {host.Port}"),
            Text = text,
        });
    }

    private static void AdviseDane(DomainEvidence ev, HostEvidence host, AddressEvidence address, DaneResult dane, List<Remediation> advice)
    {
        switch (dane.Failure)
        {
            case DaneFailure.Expired:
                AdviseDaneExpiry(ev, host, address, dane, advice);
                break;
            case DaneFailure.NameMismatch:
            {
                IReadOnlyList<string> names = ReferenceNames(ev, host);
                CertificateSummary? leaf = address.Chain.FirstOrDefault(c => c.Depth == 0);
                string now = leaf is null ? "" : $" (it now carries {NamesOf(leaf)})";
                var alternative = PublishRecordsFor(host, [address]);
                advice.Add(new Remediation
                {
                    Kind = RemediationKind.FixCertificateNames,
                    Audience = RemediationAudience.Partner,
                    Host = host.Name,
                    Subject = leaf?.Subject,
                    CertificateNames = names,
                    Text = $"The DANE-TA record matches the issuing CA, but the certificate of {host.Name}{now} names none of the reference names. Reissue it with the DNS name {names[0]} in its subjectAltName (RFC 7672 §3.2.2; {string.Join(" or ", names.Skip(1))} would also be accepted). " +
                           (alternative.Lines.Count > 0 ? $"Alternatively publish a DANE-EE record, which ignores names: {alternative.Lines[0]}. " : "") + ObservedCaveat,
                });
                break;
            }

            default:
            {
                string why = dane.Failure == DaneFailure.NoCertificate
                    ? $"{host.Name} sent no certificate, so no record can be computed: install a certificate first."
                    : $"None of the TLSA records at {host.TlsaOwnerName} ({string.Join("; ", host.TlsaRecords)}) matches the chain {host.Name} serves.";
                AddPublishTlsa(host, host.Addresses, why, advice);
                break;
            }
        }
    }

    private static void AdviseDaneExpiry(DomainEvidence ev, HostEvidence host, AddressEvidence address, DaneResult dane, List<Remediation> advice)
    {
        // The certificates below the anchor are the ones whose dates count (RFC 7671 §5.2.1);
        // the anchor's depth is on the record that matched it (dates failed, so Matched is false).
        int anchorDepth = dane.Records.Where(r => r.MatchedDepth is > 0).Select(r => r.MatchedDepth!.Value).DefaultIfEmpty(address.Chain.Count).Min();
        DateTime asOf = ev.AsOf.UtcDateTime;
        DateTime gathered = ev.GatheredAt.UtcDateTime;
        var stale = address.Chain
            .Where(c => c.Depth < anchorDepth && (c.NotAfterUtc < asOf || c.NotBeforeUtc > asOf))
            .OrderBy(c => c.Depth)
            .ToList();
        if (stale.Count == 0)
        {
            stale = [.. address.Chain.Where(c => c.Depth == 0)];
        }

        IReadOnlyList<string> names = ReferenceNames(ev, host);
        foreach (CertificateSummary cert in stale)
        {
            string when = cert.NotAfterUtc < asOf
                ? cert.NotAfterUtc < gathered
                    ? string.Create(CultureInfo.InvariantCulture, $"expired on {cert.NotAfterUtc:yyyy-MM-dd HH:mm} UTC")
                    : string.Create(CultureInfo.InvariantCulture, $"expires on {cert.NotAfterUtc:yyyy-MM-dd HH:mm} UTC, before the date checked ({asOf:yyyy-MM-dd HH:mm} UTC)")
                : string.Create(CultureInfo.InvariantCulture, $"is not valid before {cert.NotBeforeUtc:yyyy-MM-dd HH:mm} UTC");
            bool leaf = cert.Depth == 0;
            IReadOnlyList<string> carry = leaf ? [.. names.Take(1).Concat(cert.DnsNames).Distinct(StringComparer.OrdinalIgnoreCase)] : [];
            advice.Add(new Remediation
            {
                Kind = RemediationKind.RenewCertificate,
                Audience = RemediationAudience.Partner,
                Host = host.Name,
                Subject = cert.Subject,
                CertificateNames = carry,
                Text = leaf
                    ? $"The certificate of {host.Name} ({cert.Subject}, issued by {cert.Issuer}) {when}. Renew it from the same CA so that the DANE-TA record still matches, carrying the DNS names {string.Join(", ", carry)} (the first is required, RFC 7672 §3.2.2)."
                    : string.Create(CultureInfo.InvariantCulture, $"The CA certificate at depth {cert.Depth} of the chain {host.Name} serves ({cert.Subject}) {when}. Serve a current intermediate; if the TLSA record pins this certificate, publish the record of its successor beside it first (RFC 7671 §8.1)."),
            });
        }
    }

    private static void AdvisePkix(HostEvidence host, AddressEvidence address, PkixResult pkix, List<Remediation> advice)
    {
        CertificateSummary? leaf = address.Chain.FirstOrDefault(c => c.Depth == 0);
        string served = leaf is null ? "" : $" (served: {leaf.Subject}, issued by {leaf.Issuer}, names {NamesOf(leaf)}, valid {leaf.NotBeforeUtc:yyyy-MM-dd} to {leaf.NotAfterUtc:yyyy-MM-dd})";
        (RemediationKind kind, string fix) = pkix.Failure switch
        {
            PkixFailure.NameMismatch => (RemediationKind.FixCertificateNames, $"Reissue it with the DNS name {host.Name} in its subjectAltName: MTA-STS checks the MX host name itself, not the policy's mx pattern (RFC 8461 §4.1)."),
            PkixFailure.Expired => (RemediationKind.RenewCertificate, $"Renew it, carrying the DNS name {host.Name}."),
            _ => (RemediationKind.UseTrustedCertificate, $"Serve a certificate for {host.Name} from a publicly trusted CA, with the intermediate certificates in the chain (RFC 8461 §4.1)."),
        };
        advice.Add(new Remediation
        {
            Kind = kind,
            Audience = RemediationAudience.Partner,
            Host = host.Name,
            Subject = leaf?.Subject,
            CertificateNames = [host.Name],
            Text = string.Create(CultureInfo.InvariantCulture, $"The certificate of {host.Name}{served} is not valid: {pkix.Detail.TrimEnd('.')}. {fix}"),
        });
    }

    private static void AdviseMtaSts(TlsPolicyResult result, DomainEvidence ev, List<Remediation> advice)
    {
        if (result.MtaStsMode != MtaStsMode.Opportunistic || !ev.MtaSts.Consulted || ev.Routing != RoutingKind.Mx)
        {
            return;
        }

        MtaStsEvidence? detail = ev.MtaSts.Detail;
        if (detail?.Fetch is { Succeeded: false } fetch)
        {
            advice.Add(new Remediation
            {
                Kind = RemediationKind.FixMtaStsPolicyFetch,
                Audience = RemediationAudience.Partner,
                Subject = fetch.Url.ToString(),
                Text = $"The MTA-STS policy at {fetch.Url} could not be fetched: {FetchProblem(fetch)} {FetchRequirement(fetch)} Until it can, senders apply no MTA-STS policy to {ev.Domain} (RFC 8461 §3.3).",
            });
        }
        else if (detail is { Fetch: null, TxtRcode: Dns.DnsRcode.NoError, Policy: null } && ev.MtaSts.Failures.Count > 0)
        {
            advice.Add(new Remediation
            {
                Kind = RemediationKind.FixMtaStsTxt,
                Audience = RemediationAudience.Partner,
                Subject = $"{detail.TxtName}. IN TXT",
                Text = $"{ev.MtaSts.Failures[0].TrimEnd('.')}. Publish exactly one TXT record at {detail.TxtName} of the form \"v=STSv1; id=<1 to 32 letters or digits>\" (RFC 8461 §3.1).",
            });
        }

        MtaStsPolicy? policy = ev.MtaSts.Policy;
        if (policy is null || policy.Mode == MtaStsPolicyMode.None || ev.Hosts.Count == 0)
        {
            return;
        }

        var uncovered = ev.Hosts.Where(h => !policy.MatchesMx(h.Name)).Select(h => h.Name).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (uncovered.Count == 0)
        {
            return;
        }

        // Keep the patterns that cover a host seen, add each uncovered host by name (an exact
        // name covers exactly that host; a wildcard is the partner's choice, not ours).
        var lines = ev.Hosts.Select(h => policy.FindMatchingPattern(h.Name)).OfType<string>()
            .Concat(uncovered)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(p => "mx: " + p)
            .ToList();
        string txtName = detail?.TxtName ?? $"_mta-sts.{ev.Domain}";
        advice.Add(new Remediation
        {
            Kind = RemediationKind.FixMtaStsMx,
            Audience = RemediationAudience.Partner,
            Subject = $"https://mta-sts.{ev.Domain}/.well-known/mta-sts.txt",
            Publish = lines,
            Text = $"The MTA-STS policy of {ev.Domain} (mode {policy.Mode.ToString().ToLowerInvariant()}, mx {string.Join(", ", policy.Mx)}) does not cover the MX host(s) {string.Join(", ", uncovered)} seen in DNS. Replace its mx lines with: {string.Join("; ", lines)}. Then change the id in the {txtName} TXT record, so that senders fetch the new policy (RFC 8461 §3.1).",
        });
    }

    private static string FetchProblem(MtaStsFetchResult fetch) => fetch.Failure switch
    {
        MtaStsFetchFailure.Redirect => $"the server answered with a redirect (HTTP {fetch.StatusCode}).",
        MtaStsFetchFailure.HttpStatus => $"the server answered HTTP {fetch.StatusCode}.",
        MtaStsFetchFailure.MediaType => $"the media type is \"{fetch.ContentType}\".",
        MtaStsFetchFailure.TooLarge => "the body is larger than 64 KiB.",
        MtaStsFetchFailure.Tls => $"the certificate of {fetch.Url.Host} is not valid: {(fetch.Pkix?.Detail ?? fetch.Detail).TrimEnd('.')}.",
        MtaStsFetchFailure.Parse => $"the body is not a valid policy: {fetch.Detail.TrimEnd('.')}.",
        _ => fetch.Detail.TrimEnd('.') + ".",
    };

    private static string FetchRequirement(MtaStsFetchResult fetch) => fetch.Failure switch
    {
        MtaStsFetchFailure.Redirect => "Serve the policy with status 200 at that exact URL: senders must not follow redirects (RFC 8461 §3.3).",
        MtaStsFetchFailure.HttpStatus => "Serve the policy at that exact URL with status 200 (RFC 8461 §3.3).",
        MtaStsFetchFailure.MediaType => "Serve it with Content-Type: text/plain (RFC 8461 §3.2).",
        MtaStsFetchFailure.TooLarge => "Keep the policy small: senders stop reading at 64 KiB.",
        MtaStsFetchFailure.Tls => $"The policy host needs a certificate valid for {fetch.Url.Host} from a publicly trusted CA (RFC 8461 §3.3).",
        MtaStsFetchFailure.Parse => "Write it as RFC 8461 §3.2 specifies: version: STSv1, mode, max_age and one mx line per pattern.",
        MtaStsFetchFailure.Dns => $"Publish address records for {fetch.Url.Host}.",
        _ => $"HTTPS on port 443 of {fetch.Url.Host} must answer within the senders' timeout; if other sites answer from this machine, the policy host is at fault.",
    };

    private static void AddPublishTlsa(HostEvidence host, IReadOnlyList<AddressEvidence> addresses, string why, List<Remediation> advice)
    {
        (IReadOnlyList<string> lines, IReadOnlyList<TlsaRecord> records) = PublishRecordsFor(host, addresses);
        string text = lines.Count == 0
            ? $"{why} No certificate was served to this run, so no record can be computed: enable STARTTLS with a certificate on {host.Name}, then publish the TLSA records of its key at {host.TlsaOwnerName}."
            : $"{why} Publish at {host.TlsaOwnerName} (DNSSEC-signed, then re-sign the zone) the records that match the chain it serves now: {string.Join("; ", lines)}. {RolloverAdvice} {ObservedCaveat}";
        advice.Add(new Remediation
        {
            Kind = RemediationKind.PublishTlsa,
            Audience = RemediationAudience.Partner,
            Host = host.Name,
            Subject = $"{host.TlsaOwnerName}. IN TLSA",
            Publish = lines,
            TlsaRecords = records,
            Text = text,
        });
    }

    /// <summary>
    /// "3 1 1" of each distinct leaf key served (DANE-EE) and "2 1 1" of its issuing CA when the
    /// chain carries one (DANE-TA), as zone-file lines at the host's TLSA owner name.
    /// </summary>
    private static (IReadOnlyList<string> Lines, IReadOnlyList<TlsaRecord> Records) PublishRecordsFor(HostEvidence host, IReadOnlyList<AddressEvidence> addresses)
    {
        var records = new List<TlsaRecord>();
        foreach (AddressEvidence a in addresses)
        {
            CertificateSummary? leaf = a.Chain.FirstOrDefault(c => c.Depth == 0);
            if (leaf is null)
            {
                continue;
            }

            records.Add(new TlsaRecord(3, 1, 1, Convert.FromHexString(leaf.SpkiSha256)));
            if (!string.Equals(leaf.Subject, leaf.Issuer, StringComparison.Ordinal) &&
                a.Chain.FirstOrDefault(c => c.Depth > 0 && string.Equals(c.Subject, leaf.Issuer, StringComparison.Ordinal)) is { } issuer)
            {
                records.Add(new TlsaRecord(2, 1, 1, Convert.FromHexString(issuer.SpkiSha256)));
            }
        }

        var distinct = records.Distinct().OrderByDescending(r => r.Usage).ToList();
        var lines = distinct.Select(r => $"{host.TlsaOwnerName}. IN TLSA {r.Usage} {r.Selector} {r.MatchingType} {Convert.ToHexString(r.Data).ToLowerInvariant()}").ToList();
        return (lines, distinct);
    }

    // The names a DANE-TA leaf is checked against: the TLSA base name first, the MX name, the domain (RFC 7672 §3.2.2).
    private static IReadOnlyList<string> ReferenceNames(DomainEvidence ev, HostEvidence host) =>
        new[] { host.TlsaBaseName ?? host.Name, host.Name, ev.Routing == RoutingKind.Mx ? ev.Domain : host.Name }
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    private static string NamesOf(CertificateSummary cert) =>
        cert.DnsNames.Count == 0 ? "no DNS names" : string.Join(", ", cert.DnsNames);

    private static string RequirementOf(FailureKind kind) => kind switch
    {
        FailureKind.StsStartTlsNotOffered => "Its MTA-STS enforce policy requires TLS with a valid certificate (RFC 8461 §5).",
        _ => "TLS is required here (its TLSA records, or the connector's TlsSettings); a DANE sender never falls back to plaintext (RFC 7672 §2.2).",
    };

    private static string Sentence(string? text) => string.IsNullOrWhiteSpace(text) ? "" : text.Trim().TrimEnd('.') + ". ";

    private static string Clause(string? text) => string.IsNullOrWhiteSpace(text) ? "no detail" : text.Trim().TrimEnd('.');
}
