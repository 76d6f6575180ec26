using System.Globalization;
using System.Text;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Pkix;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.Smtp;

namespace DaneMtaSts.Engine.Policy;

/// <summary>The modes and connector settings a verdict is judged under.</summary>
public sealed record JudgeOptions
{
    public SmtpDaneMode SmtpDaneMode { get; init; } = SmtpDaneMode.Opportunistic;

    public MtaStsMode MtaStsMode { get; init; } = MtaStsMode.Opportunistic;

    /// <summary>The connector's TlsSettings (null: opportunistic TLS).</summary>
    public TlsAuthLevel? TlsSettings { get; init; }

    public string? TlsDomain { get; init; }

    public string? ConnectorName { get; init; }
}

/// <summary>
/// Mode × evidence → verdict, exactly as verdicts.md says. Pure: no network, no clock (every date
/// was judged at the evidence's AsOf when it was gathered), so one gathering serves every mode.
/// </summary>
public static class VerdictEngine
{
    public static TlsPolicyResult Judge(DomainEvidence evidence, JudgeOptions options)
    {
        var judge = new Judgement(evidence, options);
        return judge.Run();
    }

    private sealed class Judgement(DomainEvidence ev, JudgeOptions options)
    {
        private readonly bool _daneOn = options.SmtpDaneMode != SmtpDaneMode.None;
        private readonly bool _mandatory = options.SmtpDaneMode == SmtpDaneMode.Mandatory;
        private readonly List<string> _warnings = [];

        // Preference order (RFC 5321 §5.1), whatever order the evidence lists the hosts in; the
        // sort is stable, so hosts of equal preference keep the order they were gathered in.
        private readonly List<HostEvidence> _hosts = [.. ev.Hosts.OrderBy(h => h.Preference)];

        public TlsPolicyResult Run()
        {
            AddGeneralWarnings();
            TlsPolicyResult? early = JudgeDomainLookup() ?? JudgeIndeterminateDnssec();
            if (early is not null)
            {
                return early;
            }

            if (_hosts.Count == 0)
            {
                return Result(Outcome.Queue, StatusCodes.DnsQueryFailed, null, null, "No host to deliver to was found.", [], "no-policy-found");
            }

            // DANE takes precedence over MTA-STS for the whole domain (RFC 8461 §2, edge S9):
            // MTA-STS is considered only when no host has secure, usable TLSA.
            bool anyDane = _daneOn && _hosts.Any(h => h.DaneApplicable && EffectiveTlsa(h) == TlsaState.Usable);
            MtaStsPolicy? policy = ev.MtaSts.Policy;
            bool stsConsidered = options.MtaStsMode == MtaStsMode.Opportunistic && ev.Routing == RoutingKind.Mx &&
                                 !_mandatory && !anyDane && policy is not null && policy.Mode != MtaStsPolicyMode.None;
            bool enforce = stsConsidered && policy!.Mode == MtaStsPolicyMode.Enforce;
            bool testing = stsConsidered && policy!.Mode == MtaStsPolicyMode.Testing;
            string policyType = anyDane ? "tlsa" : stsConsidered ? "sts" : "no-policy-found";

            // The mx-pattern warning only when MTA-STS is in play for this mode (MtaStsMode None: no MTA-STS effect at all).
            if (policy is not null && ev.Routing == RoutingKind.Mx && options.MtaStsMode == MtaStsMode.Opportunistic)
            {
                var missed = _hosts.Where(h => !policy.MatchesMx(h.Name)).Select(h => h.Name).ToList();
                if (missed.Count > 0 && policy.Mode != MtaStsPolicyMode.None)
                {
                    _warnings.Add($"The MTA-STS policy's mx patterns ({string.Join(", ", policy.Mx)}) do not cover the MX host(s) {string.Join(", ", missed)}.");
                }
            }

            if (stsConsidered && anyDane is false && _daneOn && _hosts.Any(h => h.DaneApplicable && EffectiveTlsa(h) == TlsaState.LookupFailed))
            {
                _warnings.Add("A TLSA lookup failed, so DANE could not be proven absent; the failing host is not used and MTA-STS is applied to the others.");
            }

            var verdicts = new List<HostVerdict>();
            var candidates = new List<HostEvidence>();
            foreach (HostEvidence host in _hosts)
            {
                bool candidate = !enforce || policy!.MatchesMx(host.Name);
                if (candidate)
                {
                    candidates.Add(host);
                }
                else
                {
                    verdicts.Add(new HostVerdict
                    {
                        Host = host.Name,
                        Passed = false,
                        Candidate = false,
                        Reason = $"{host.Name} does not match the MTA-STS policy's mx patterns ({string.Join(", ", policy!.Mx)}), so it is not tried.",
                        ResultType = TlsRptResultType.ValidationFailure,
                    });
                }
            }

            if (enforce && candidates.Count == 0)
            {
                string code = StatusCodes.MtaStsMxMismatch;
                string reason = $"The MTA-STS policy of {ev.Domain} (mode enforce, id {ev.MtaSts.PolicyId}) allows only MX hosts matching {string.Join(", ", policy!.Mx)}, and none of {string.Join(", ", _hosts.Select(h => h.Name))} matches: fix the policy's mx lines or the MX records.";
                return Result(Outcome.Queue, code, null, _hosts[0].Name, reason, verdicts, policyType);
            }

            HostVerdict? first = null;
            foreach (HostEvidence host in candidates)
            {
                HostVerdict verdict = JudgeHost(host, enforce);
                verdicts.Add(verdict);
                first ??= verdict;
                if (verdict.Passed)
                {
                    string reason = verdict.Reason;
                    if (!ReferenceEquals(first, verdict))
                    {
                        reason += $" (The more preferred {first.Host} failed: {first.StatusCode} {first.Reason})";
                    }

                    if (testing)
                    {
                        reason += " " + DescribeTestingPolicy(policy!);
                    }

                    verdicts.AddRange(candidates.SkipWhile(h => !ReferenceEquals(h, host)).Skip(1)
                        .Select(h => JudgeHost(h, enforce))
                        .Select(v => v with { Reason = "Not needed: a more preferred host passed. " + v.Reason }));
                    return Result(Outcome.Deliver, null, verdict.Security, host.Name, reason, verdicts, policyType);
                }
            }

            // No host passed: the most preferred host's failure decides (Exchange Online queues and
            // retries, trying the secondary MX hosts each time).
            HostVerdict decisive = first!;
            string why = decisive.Reason;
            if (candidates.Count > 1)
            {
                why += $" The other {candidates.Count - 1} host(s) failed too.";
            }

            return Result(Outcome.Queue, decisive.StatusCode, null, decisive.Host, why, verdicts, policyType);
        }

        private void AddGeneralWarnings()
        {
            // The resolver's own validation matters only where its AD bit decides (not under local validation).
            bool adDecides = ev.Resolver.DnssecValidatedBy is null or DnssecValidator.Resolver;
            if (_daneOn && adDecides && ev.Resolver.Validates == false)
            {
                _warnings.Add($"The resolver ({string.Join(", ", ev.Resolver.Servers)}) does not validate DNSSEC (no AD bit on a signed name): every answer looks insecure, so DANE cannot apply. {ev.Resolver.Note}".TrimEnd());
            }
            else if (_daneOn && adDecides && ev.Resolver.Validates is null)
            {
                _warnings.Add($"Whether the resolver validates DNSSEC could not be checked. {ev.Resolver.Note}".TrimEnd());
            }

            if (_daneOn && adDecides && ev.DaneConsulted && ev.Resolver.Validates == true && !ev.Resolver.IsLoopback)
            {
                _warnings.Add($"The DNSSEC status comes from the AD bit of a remote resolver ({string.Join(", ", ev.Resolver.Servers)}); the path to it is not protected. A local validating resolver is what RFC 7672 §2.1 expects.");
            }

            _warnings.AddRange(ev.Mx.Notes);
            if (options.MtaStsMode != MtaStsMode.None && ev.MtaSts.Consulted)
            {
                // A policy that could not be fetched is not applied (RFC 8461 §3.3): say so, since
                // the domain then gets opportunistic TLS where its owner asked for more.
                _warnings.AddRange(ev.MtaSts.Failures.Select(f => $"MTA-STS: {f}"));
            }

            _warnings.AddRange(ev.Warnings);
            foreach (HostEvidence host in _hosts)
            {
                if (_daneOn && host.DaneApplicable && host.Tlsa is TlsaState.Usable or TlsaState.UnusableOnly)
                {
                    foreach (TlsaRecordResult r in host.TlsaUsability.Where(r => !r.Usable))
                    {
                        _warnings.Add($"{host.Name}: TLSA record {r.Record} is unusable: {r.Detail}");
                    }
                }

                _warnings.AddRange(host.Notes.Select(n => $"{host.Name}: {n}"));
                AddExpiryWarnings(host);
            }
        }

        // Edge T13: a DANE-TA match depends on the dates of the chain below the anchor, so warn
        // before it stops matching; a DANE-EE match never expires by date. The instant comes from
        // the DANE check itself (DaneResult.ValidUntil: the earliest NotAfter on the matching path),
        // not from the served list, which may be padded or unordered (RFC 7671 §5.2.1). Only when
        // DANE is judged at all: under SmtpDaneMode None the TLSA records have no effect.
        private void AddExpiryWarnings(HostEvidence host)
        {
            if (!_daneOn || !host.DaneApplicable || host.Tlsa != TlsaState.Usable)
            {
                return;
            }

            foreach (AddressEvidence a in host.Addresses)
            {
                if (a.Dane is not { Authenticated: true, ValidUntil: DateTimeOffset stops })
                {
                    continue;
                }

                if (stops <= ev.AsOf.AddDays(30))
                {
                    _warnings.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{host.Name}: the DANE-TA match stops on {stops.UtcDateTime:yyyy-MM-dd HH:mm} UTC, when a certificate below the trust anchor expires; renew it (and keep the TLSA record matching) before then."));
                }
            }
        }

        private TlsPolicyResult? JudgeDomainLookup()
        {
            MxEvidence mx = ev.Mx;
            return mx.Outcome switch
            {
                MxOutcome.NxDomain => Result(Outcome.Reject, StatusCodes.DomainDoesNotExist, null, null,
                    $"{ev.Domain} does not exist (NXDOMAIN{StatusWord(mx.Status)}); the message is returned at once.", [], "no-policy-found"),
                MxOutcome.NullMx => Result(Outcome.Reject, StatusCodes.NullMx, null, null,
                    $"{ev.Domain} publishes a Null MX (MX 0 \".\", RFC 7505): it accepts no mail; the message is returned at once.", [], "no-policy-found"),
                MxOutcome.NoMailHost => Result(Outcome.Reject, StatusCodes.NoMailHost, null, null,
                    $"{ev.Domain} exists but has neither MX nor address records: there is no host to deliver to (RFC 5321 §5.1).", [], "no-policy-found"),
                MxOutcome.Bogus when _daneOn => Result(Outcome.Queue, StatusCodes.DnssecInvalid, null, null,
                    (mx.Failure ?? $"The MX lookup of {ev.Domain} is DNSSEC-bogus: the resolver answers SERVFAIL, and only with checking disabled does it answer.") +
                    " The zone's signatures do not validate; with DANE on, mail waits until they do.", [], "no-policy-found", TlsRptResultType.DnssecInvalid),
                MxOutcome.Bogus or MxOutcome.Failed => Result(Outcome.Queue, StatusCodes.DnsQueryFailed, null, null,
                    mx.Failure ?? $"The MX lookup of {ev.Domain} failed.", [], "no-policy-found"),
                _ => null,
            };
        }

        /// <summary>
        /// With DANE on, a verdict depends on the DNSSEC status of the MX, address and TLSA answers
        /// (Exchange Online validates them itself). Where this run could not establish one (the
        /// resolver strips DNSSEC records, or a lookup the proof needs failed), the verdict is
        /// Indeterminate: never Deliver, never a confident Queue. Mode None does not depend on it,
        /// nor do NXDOMAIN, Null MX and a failed lookup, judged before this.
        /// </summary>
        private TlsPolicyResult? JudgeIndeterminateDnssec()
        {
            if (!_daneOn)
            {
                return null;
            }

            var unknown = new List<(string What, string? Why)>();
            if (ev.Routing == RoutingKind.Mx && ev.Mx.Status == DnsSecStatus.Indeterminate)
            {
                unknown.Add(($"the MX records of {ev.Domain}", ev.Mx.Dnssec?.ReasonText));
            }

            foreach (HostEvidence host in _hosts)
            {
                if (host.AddressStatus == DnsSecStatus.Indeterminate || host.FirstCnameLinkStatus == DnsSecStatus.Indeterminate)
                {
                    unknown.Add(($"the addresses of {host.Name}", host.AddressDnssec?.ReasonText));
                }

                if (host.TlsaStatus == DnsSecStatus.Indeterminate)
                {
                    unknown.Add(($"the TLSA records at {host.TlsaOwnerName}", host.TlsaDnssec?.ReasonText));
                }
            }

            if (unknown.Count == 0)
            {
                return null;
            }

            string what = string.Join(", ", unknown.Select(u => u.What).Distinct(StringComparer.Ordinal));
            string? why = unknown.Select(u => u.Why).FirstOrDefault(w => w is not null);
            string reason = $"The DNSSEC status of {what} could not be established{(why is null ? "." : ": " + why.TrimEnd('.') + ".")} " +
                "Exchange Online validates DNSSEC itself, so with DANE on its verdict depends on it. To find out, use a resolver that passes DNSSEC records (RRSIG, DS, DNSKEY, NSEC), " +
                "DNS over HTTPS (-DnsServer https://…/dns-query), or -DnssecValidation Local.";
            return Result(Outcome.Indeterminate, null, null, null, reason, [], "no-policy-found") with { DnssecValidatedBy = DnssecValidator.None };
        }

        // Applicability texts are written to follow "but"; standing alone they need a capital.
        private static string AsSentence(string text) =>
            text.StartsWith("the ", StringComparison.Ordinal) ? "The " + text[4..] : text;

        private static string StatusWord(DnsSecStatus status) => status == DnsSecStatus.Secure ? ", DNSSEC-authenticated" : "";

        private HostVerdict JudgeHost(HostEvidence host, bool stsEnforce)
        {
            // 1. The host's own address lookup.
            if (host.AddressStatus is DnsSecStatus.Bogus or DnsSecStatus.Failed || host.Addresses.Count == 0)
            {
                if (host.AddressStatus == DnsSecStatus.Bogus && _daneOn)
                {
                    return Fail(host, StatusCodes.DnssecInvalid, $"The address lookup of {host.Name} is DNSSEC-bogus. {host.AddressFailure}".TrimEnd(), TlsRptResultType.DnssecInvalid);
                }

                string detail = host.AddressFailure ?? (host.AddressRcode == DnsRcodeSummary.NxDomain
                    ? $"{host.Name} does not exist (NXDOMAIN)."
                    : $"{host.Name} has no A or AAAA records.");
                return Fail(host, StatusCodes.DnsQueryFailed, $"The address lookup of {host.Name} failed: {detail}", null);
            }

            // 2. What DANE demands of this host.
            bool requireDane = false;
            bool requireTls = false;
            string daneNote = "";
            if (_daneOn)
            {
                if (!host.DaneApplicable)
                {
                    if (_mandatory)
                    {
                        return Fail(host, StatusCodes.DnssecInvalid,
                            $"SmtpDaneMode Mandatory needs DNSSEC, but {host.DaneApplicability}", TlsRptResultType.DaneRequired);
                    }

                    daneNote = AsSentence(host.DaneApplicability);
                }
                else
                {
                    switch (EffectiveTlsa(host))
                    {
                        case TlsaState.LookupFailed:
                            return Fail(host, StatusCodes.DnssecInvalid,
                                $"The TLSA lookup for {host.TlsaBaseName ?? host.Name} failed ({host.TlsaFailure ?? host.TlsaStatus?.ToString()}); a host whose DANE status is unknown is never used without it.", TlsRptResultType.DnssecInvalid);
                        case TlsaState.Usable:
                            requireDane = true;
                            break;
                        case TlsaState.UnusableOnly:
                            if (_mandatory)
                            {
                                return Fail(host, StatusCodes.TlsaInvalid,
                                    $"{host.Name} publishes only unusable TLSA records ({string.Join("; ", host.TlsaRecords)}), so it cannot be DANE-authenticated as SmtpDaneMode Mandatory requires.", TlsRptResultType.DaneRequired);
                            }

                            requireTls = true;
                            daneNote = "Its TLSA records are all unusable, so TLS is required without authentication (RFC 7672 §2.2).";
                            break;
                        default:
                            if (_mandatory)
                            {
                                return Fail(host, StatusCodes.TlsaInvalid,
                                    $"{host.Name} is DNSSEC-signed but publishes no TLSA record at {host.TlsaOwnerName}, so it cannot be DANE-authenticated as SmtpDaneMode Mandatory requires.", TlsRptResultType.DaneRequired);
                            }

                            daneNote = $"{host.Name} is DNSSEC-signed but has no TLSA records.";
                            break;
                    }
                }
            }

            // 3. Each address, in order; the host passes when one address passes.
            var failures = new List<HostVerdict>();
            foreach (AddressEvidence address in host.Addresses)
            {
                HostVerdict v = JudgeAddress(host, address, requireDane, requireTls, stsEnforce, daneNote);
                if (v.Passed)
                {
                    if (failures.Count > 0)
                    {
                        v = v with { Reason = v.Reason + $" ({failures.Count} other address(es) failed: {string.Join("; ", failures.Select(f => $"{f.Address}: {f.StatusCode}"))})" };
                    }

                    return v;
                }

                failures.Add(v);
            }

            return failures.OrderByDescending(f => Rank(f.StatusCode)).First();
        }

        // When every address of a host fails, the most telling failure is reported: a TLS or
        // authentication failure says more than an unreachable address.
        // RFC 7672 §2.2: only DNSSEC-validated TLSA records count. The gatherer never records
        // usable or unusable records without a Secure answer; evidence that does (built offline or
        // by hand) contradicts itself, and is judged fail-closed as a failed lookup (4.7.324), so
        // that Security Dane always rests on a secure TLSA RRset.
        private static TlsaState EffectiveTlsa(HostEvidence host) =>
            host.Tlsa is TlsaState.Usable or TlsaState.UnusableOnly && host.TlsaStatus != DnsSecStatus.Secure
                ? TlsaState.LookupFailed
                : host.Tlsa;

        private static int Rank(string? code) => code switch
        {
            StatusCodes.ConnectionFailed => 0,
            StatusCodes.SmtpFailure => 1,
            StatusCodes.DnsQueryFailed => 2,
            _ => 3,
        };

        private HostVerdict JudgeAddress(HostEvidence host, AddressEvidence a, bool requireDane, bool requireTls, bool stsEnforce, string daneNote)
        {
            string at = $"{host.Name} [{a.Address}]";
            if (!a.Connected || a.Stage == SmtpProbeStage.Connect)
            {
                return Fail(host, StatusCodes.ConnectionFailed, $"{at}: {a.ProbeFailure ?? "the connection failed."}", null, a);
            }

            if (a.Stage is SmtpProbeStage.Banner or SmtpProbeStage.Ehlo)
            {
                return Fail(host, StatusCodes.SmtpFailure, $"{at}: {a.ProbeFailure ?? "the SMTP session failed before STARTTLS."}", null, a);
            }

            if (a.Stage == SmtpProbeStage.Cancelled)
            {
                return Fail(host, StatusCodes.SmtpFailure, $"{at}: the probe was cancelled.", null, a);
            }

            bool tls = a.TlsEstablished;
            string tlsFailure = !a.StartTlsOffered
                ? "does not offer STARTTLS"
                : $"offers STARTTLS but the TLS session failed ({a.ProbeFailure})";

            if (requireDane || requireTls)
            {
                if (!tls)
                {
                    string why = requireDane ? "it publishes usable TLSA records, so TLS is required" : "it publishes TLSA records, so TLS is required";
                    return Fail(host, StatusCodes.StartTlsNotSupported, $"{at} {tlsFailure}, but {why} (RFC 7672 §2.2); plaintext is never used.", TlsRptResultType.StartTlsNotSupported, a);
                }
            }

            TransportSecurity security;
            string reason;
            if (requireDane)
            {
                DaneResult? dane = a.Dane;
                if (dane is null || !dane.Authenticated)
                {
                    DaneFailure failure = dane?.Failure ?? DaneFailure.NoMatch;
                    string detail = dane?.Detail ?? "the served chain was not checked against the TLSA records.";
                    TlsRptResultType resultType = failure switch
                    {
                        DaneFailure.Expired => TlsRptResultType.CertificateExpired,
                        DaneFailure.NameMismatch => TlsRptResultType.CertificateHostMismatch,
                        _ => TlsRptResultType.TlsaInvalid,
                    };
                    return Fail(host, StatusCodes.ForDaneFailure(failure), $"{at}: {detail}", resultType, a);
                }

                security = TransportSecurity.Dane;
                reason = string.Create(CultureInfo.InvariantCulture,
                    $"{at} is DANE-authenticated: TLSA {dane.MatchedRecord} matched the certificate at depth {dane.MatchedDepth}{(dane.MatchedName is null ? "" : $" (name {dane.MatchedName})")} over {a.TlsProtocol}.");
            }
            else if (stsEnforce)
            {
                if (!tls)
                {
                    return Fail(host, StatusCodes.MtaStsCertificateInvalid, $"{at} {tlsFailure}, but the MTA-STS policy of {ev.Domain} is in enforce mode (RFC 8461 §5).", TlsRptResultType.StartTlsNotSupported, a);
                }

                PkixResult? pkix = a.Pkix;
                if (pkix is null || !pkix.Valid)
                {
                    TlsRptResultType type = pkix?.Failure switch
                    {
                        PkixFailure.NameMismatch => TlsRptResultType.CertificateHostMismatch,
                        PkixFailure.Expired => TlsRptResultType.CertificateExpired,
                        _ => TlsRptResultType.CertificateNotTrusted,
                    };
                    return Fail(host, StatusCodes.MtaStsCertificateInvalid,
                        $"{at}: the certificate is not valid for {host.Name} as the MTA-STS enforce policy of {ev.Domain} requires: {pkix?.Detail ?? "no certificate was checked."}", type, a);
                }

                security = TransportSecurity.MtaSts;
                reason = $"{at} matches the MTA-STS enforce policy of {ev.Domain} (id {ev.MtaSts.PolicyId}, {ev.MtaSts.Source.ToLowerInvariant()}) and presents a certificate valid for {host.Name} over {a.TlsProtocol}.";
            }
            else if (tls)
            {
                security = TransportSecurity.Tls;
                reason = $"{at} offers STARTTLS ({a.TlsProtocol}); the certificate is not authenticated.";
            }
            else
            {
                security = TransportSecurity.None;
                reason = a.StartTlsOffered
                    ? $"{at} offers STARTTLS but the handshake failed ({a.ProbeFailure}); with nothing requiring TLS the message goes in plaintext."
                    : $"{at} does not offer STARTTLS; with nothing requiring TLS the message goes in plaintext.";
            }

            if (daneNote.Length > 0 && security != TransportSecurity.Dane)
            {
                reason += " " + daneNote;
            }

            // 4. The connector's TlsSettings apply on top.
            if (options.TlsSettings is TlsAuthLevel level)
            {
                if (!tls)
                {
                    return Fail(host, StatusCodes.StartTlsNotSupported, $"{at} {tlsFailure}, but the connector's TlsSettings {level} requires TLS.", TlsRptResultType.StartTlsNotSupported, a);
                }

                if (level == TlsAuthLevel.CertificateValidation && security != TransportSecurity.Dane)
                {
                    PkixResult? pkix = a.Pkix;
                    bool chainOk = pkix is not null && (pkix.Valid || pkix.Failure == PkixFailure.NameMismatch);
                    if (!chainOk)
                    {
                        return Fail(host, StatusCodes.CertificateValidationFailed, $"{at}: the connector's TlsSettings CertificateValidation needs a trusted certificate chain: {pkix?.Detail ?? "none was checked."}", TlsRptResultType.CertificateNotTrusted, a);
                    }
                }
                else if (level == TlsAuthLevel.DomainValidation)
                {
                    PkixResult? pkix = a.TlsDomainPkix;
                    if (pkix is null || !pkix.Valid)
                    {
                        return Fail(host, StatusCodes.CertificateValidationFailed, $"{at}: the connector's TlsSettings DomainValidation needs a trusted certificate for {options.TlsDomain}: {pkix?.Detail ?? "none was checked."}", pkix?.Failure == PkixFailure.NameMismatch ? TlsRptResultType.CertificateHostMismatch : TlsRptResultType.CertificateNotTrusted, a);
                    }
                }
            }

            return new HostVerdict
            {
                Host = host.Name,
                Passed = true,
                Security = security,
                Address = a.Address.ToString(),
                Reason = reason,
            };
        }

        private string DescribeTestingPolicy(MtaStsPolicy policy)
        {
            // What enforce would have done, so the admin sees what a switch to enforce would break.
            var sb = new StringBuilder($"The MTA-STS policy of {ev.Domain} is in testing mode: failures are reported, not enforced.");
            var enforced = new Judgement(ev, options);
            var hosts = _hosts.Where(h => policy.MatchesMx(h.Name)).ToList();
            if (hosts.Count == 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $" Under enforce, no MX host would match its mx patterns ({string.Join(", ", policy.Mx)}): 4.4.8.");
                return sb.ToString();
            }

            HostVerdict? pass = null;
            HostVerdict? firstFail = null;
            foreach (HostEvidence h in hosts)
            {
                HostVerdict v = enforced.JudgeHost(h, stsEnforce: true);
                if (v.Passed)
                {
                    pass = v;
                    break;
                }

                firstFail ??= v;
            }

            sb.Append(pass is not null
                ? " Under enforce it would still be delivered."
                : $" Under enforce it would be queued: {firstFail!.StatusCode} {firstFail.Reason}");
            return sb.ToString();
        }

        private static HostVerdict Fail(HostEvidence host, string code, string reason, TlsRptResultType? type, AddressEvidence? address = null) => new()
        {
            Host = host.Name,
            Passed = false,
            StatusCode = code,
            StatusText = StatusCodes.TextFor(code),
            Address = address?.Address.ToString(),
            Reason = reason,
            ResultType = type,
        };

        private TlsPolicyResult Result(Outcome outcome, string? code, TransportSecurity? security, string? mxHost, string reason, IReadOnlyList<HostVerdict> hosts, string policyType, TlsRptResultType? domainType = null)
        {
            _ = domainType;
            return new TlsPolicyResult
            {
                Domain = ev.Domain,
                Connector = options.ConnectorName,
                TlsValidationMode = Connectors.OutboundConnector.DeriveTlsValidationMode(options.SmtpDaneMode, options.MtaStsMode),
                SmtpDaneMode = options.SmtpDaneMode,
                MtaStsMode = options.MtaStsMode,
                Outcome = outcome,
                StatusCode = outcome == Outcome.Deliver ? null : code,
                StatusText = outcome == Outcome.Deliver || code is null ? null : StatusCodes.TextFor(code, ev.Domain),
                Security = outcome == Outcome.Deliver ? security : null,
                MxHost = mxHost,
                Reason = reason,
                Evidence = ev,
                Hosts = new ReadableList<HostVerdict>(hosts),
                Warnings = new ReadableList<string>(_warnings.Distinct(StringComparer.Ordinal)),
                PolicyType = policyType,
                DnssecValidatedBy = ev.Resolver.DnssecValidatedBy ?? DnssecValidator.Resolver,
            };
        }
    }
}
