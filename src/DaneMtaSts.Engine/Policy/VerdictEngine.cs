using System.Globalization;
using System.Text;
using DaneMtaSts.Engine.Common;
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

    /// <summary>
    /// True when this run (the whole cmdlet call, not only this domain) reached port 25 on some host.
    /// Only then is a host whose every address fails at the connect stage the partner's failure
    /// (ConnectFailed, 4.4.316); otherwise it is Unreachable (Indeterminate): the cause may be this
    /// machine's network. A domain whose own evidence shows a connected address counts as reached.
    /// </summary>
    public bool Port25Reached { get; init; }
}

/// <summary>
/// Mode × evidence → verdict, exactly as docs/verdicts.md says. Pure: no network, no clock (every date
/// was judged at the evidence's AsOf when it was gathered), so one gathering serves every mode.
/// </summary>
public static class VerdictEngine
{
    public static TlsPolicyResult Judge(DomainEvidence evidence, JudgeOptions options)
    {
        var judge = new Judgement(evidence, options);
        TlsPolicyResult result = judge.Run();
        return result with { Remediation = RemediationAdvisor.Advise(result) };
    }

    private sealed class Judgement(DomainEvidence ev, JudgeOptions options)
    {
        private readonly bool _daneOn = options.SmtpDaneMode != SmtpDaneMode.None;
        private readonly bool _mandatory = options.SmtpDaneMode == SmtpDaneMode.Mandatory;
        private readonly bool _port25Reached = options.Port25Reached || ev.Hosts.Any(h => h.Addresses.Any(a => a.Connected));
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
                return Result(FailureKind.NoHostFound, null, null, Facts(), [], "no-policy-found");
            }

            // DANE takes precedence over MTA-STS for the whole domain (RFC 8461 §2, docs/verdicts.md#precedence, docs/edge-cases.md#s9):
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
                    verdicts.Add(Fail(host, FailureKind.StsMxMismatch, Facts(host) with { Names = policy!.Mx, HostLevel = true }) with { Candidate = false });
                }
            }

            if (enforce && candidates.Count == 0)
            {
                return Result(FailureKind.StsMxMismatch, null, _hosts[0].Name,
                    Facts() with { Subject = ev.MtaSts.PolicyId, Names = policy!.Mx, OtherNames = [.. _hosts.Select(h => h.Name)] }, verdicts, policyType);
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
                        reason += first.Indeterminate
                            ? $" (The more preferred {first.Host} could not be decided from here, and Exchange Online may deliver through it instead: {first.Reason})"
                            : $" (The more preferred {first.Host} failed: {first.StatusCode} {first.Reason})";
                    }

                    if (testing)
                    {
                        reason += " " + DescribeTestingPolicy(policy!);
                    }

                    verdicts.AddRange(candidates.SkipWhile(h => !ReferenceEquals(h, host)).Skip(1)
                        .Select(h => JudgeHost(h, enforce))
                        .Select(v => v with { Reason = "Not needed: a more preferred host passed. " + v.Reason }));
                    return Result(FailureKind.None, verdict.Security, host.Name, reason, verdicts, policyType);
                }
            }

            // No host passed. A host this run could not decide (unreachable from here, probe skipped,
            // DNSSEC unknown) might pass at Exchange Online, so the verdict is Indeterminate, decided
            // by the most preferred such host. Otherwise the most preferred host's failure decides
            // (Exchange Online queues and retries, trying the secondary MX hosts each time).
            HostVerdict decisive = verdicts.Where(v => v.Candidate).FirstOrDefault(v => v.Indeterminate) ?? first!;
            string why = decisive.Reason;
            if (candidates.Count > 1)
            {
                why += decisive.Indeterminate
                    ? $" None of the {candidates.Count} host(s) passed."
                    : $" The other {candidates.Count - 1} host(s) failed too.";
            }

            return Result(decisive.Kind, null, decisive.Host, why, verdicts, policyType);
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

        // docs/edge-cases.md#t13: a DANE-TA match depends on the dates of the chain below the anchor, so warn
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
            FailureKind kind = mx.Outcome switch
            {
                MxOutcome.NxDomain => FailureKind.DomainNotFound,
                MxOutcome.NullMx => FailureKind.NullMx,
                MxOutcome.NoMailHost => FailureKind.NoMailHost,
                MxOutcome.Bogus when _daneOn => FailureKind.DnssecBogus,
                MxOutcome.Bogus or MxOutcome.Failed => FailureKind.DnsLookupFailed,
                _ => FailureKind.None,
            };
            return kind == FailureKind.None
                ? null
                : Result(kind, null, null, Facts() with { Detail = mx.Failure, Authenticated = mx.Status == DnsSecStatus.Secure }, [], "no-policy-found");
        }

        private FailureFacts Facts(HostEvidence? host = null, AddressEvidence? address = null) => new()
        {
            Domain = ev.Domain,
            Host = host?.Name,
            Address = address is { OfflineSource: null } ? address.Address.ToString() : null,
            ThroughProxy = ev.ProbeRouteKind == ProbeRouteKind.Socks5Proxy,
        };

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
            string detail = why is null ? what : $"{what}: {why.TrimEnd('.')}";
            return Result(FailureKind.DnssecIndeterminate, null, null, Facts() with { Detail = detail }, [], "no-policy-found") with { DnssecValidatedBy = DnssecValidator.None };
        }

        // Applicability texts are written to follow "but"; standing alone they need a capital.
        private static string AsSentence(string text) =>
            text.StartsWith("the ", StringComparison.Ordinal) ? "The " + text[4..] : text;


        private HostVerdict JudgeHost(HostEvidence host, bool stsEnforce)
        {
            // 1. The host's own address lookup.
            if (host.AddressStatus is DnsSecStatus.Bogus or DnsSecStatus.Failed || host.Addresses.Count == 0)
            {
                if (host.AddressStatus == DnsSecStatus.Bogus && _daneOn)
                {
                    return Fail(host, FailureKind.DnssecBogus, Facts(host) with { Detail = host.AddressFailure });
                }

                string detail = host.AddressFailure ?? (host.AddressRcode == DnsRcodeSummary.NxDomain
                    ? $"{host.Name} does not exist (NXDOMAIN)."
                    : $"{host.Name} has no A or AAAA records.");
                return Fail(host, FailureKind.DnsLookupFailed, Facts(host) with { Detail = detail });
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
                        return Fail(host, FailureKind.DnssecInsecure, Facts(host) with { Detail = host.DaneApplicability });
                    }

                    daneNote = AsSentence(host.DaneApplicability);
                }
                else
                {
                    switch (EffectiveTlsa(host))
                    {
                        case TlsaState.LookupFailed:
                            return Fail(host, FailureKind.TlsaLookupFailed,
                                Facts(host) with { Subject = host.TlsaBaseName ?? host.Name, Detail = host.TlsaFailure ?? host.TlsaStatus?.ToString() });
                        case TlsaState.Usable:
                            requireDane = true;
                            break;
                        case TlsaState.UnusableOnly:
                            if (_mandatory)
                            {
                                return Fail(host, FailureKind.NoUsableTlsa, Facts(host) with { Names = [.. host.TlsaRecords.Select(r => r.ToString())] });
                            }

                            requireTls = true;
                            daneNote = "Its TLSA records are all unusable, so TLS is required without authentication (RFC 7672 §2.2).";
                            break;
                        default:
                            if (_mandatory)
                            {
                                return Fail(host, FailureKind.NoUsableTlsa, Facts(host) with { Subject = host.TlsaOwnerName });
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
                        v = v with { Reason = v.Reason + $" ({failures.Count} other address(es) failed: {string.Join("; ", failures.Select(f => $"{f.Address}: {f.StatusCode ?? f.Kind.ToString()}"))})" };
                    }

                    return v;
                }

                failures.Add(v);
            }

            HostVerdict worst = failures.OrderByDescending(f => FailureKinds.Rank(f.Kind)).First();
            if (failures.Count > 1 && worst.Kind is FailureKind.Unreachable or FailureKind.ConnectFailed)
            {
                // Every address failed to connect: one sentence for the host, naming each address.
                string each = string.Join("; ", failures.Select(f => $"{f.Address}: {f.ProbeDetail}"));
                worst = Fail(host, worst.Kind, Facts(host) with { Detail = each }) with { ProbeDetail = each };
            }

            return worst;
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


        private HostVerdict JudgeAddress(HostEvidence host, AddressEvidence a, bool requireDane, bool requireTls, bool stsEnforce, string daneNote)
        {
            string at = EvidenceText.HostAt(host, a);
            string over = a.TlsProtocol is null ? "" : $" over {a.TlsProtocol}";
            FailureFacts facts = Facts(host, a) with { Detail = a.ProbeFailure };
            if (a.Stage == SmtpProbeStage.Skipped)
            {
                string needed = requireDane ? "the certificate, to match it against the TLSA records"
                    : requireTls ? "whether it offers STARTTLS"
                    : stsEnforce ? "the certificate, for the MTA-STS enforce policy"
                    : "whether it accepts the connection and offers STARTTLS";
                return Fail(host, FailureKind.ProbeSkipped, facts with { Detail = needed }, a);
            }

            if (a.ProxyFailed)
            {
                return Fail(host, FailureKind.ProxyFailed, facts, a);
            }

            if (!a.Connected || a.Stage == SmtpProbeStage.Connect)
            {
                return Fail(host, _port25Reached ? FailureKind.ConnectFailed : FailureKind.Unreachable, facts, a);
            }

            if (a.Stage is SmtpProbeStage.Banner or SmtpProbeStage.Ehlo)
            {
                return Fail(host, a.PermanentSmtpFailure ? FailureKind.SmtpRefused : FailureKind.SmtpTemporaryFailure, facts, a);
            }

            if (a.Stage == SmtpProbeStage.Cancelled)
            {
                return Fail(host, FailureKind.SmtpTemporaryFailure, facts with { Detail = "the probe was cancelled." }, a);
            }

            bool tls = a.TlsEstablished;
            FailureKind noTls = a.StartTlsOffered ? FailureKind.HandshakeFailed : FailureKind.StartTlsNotOffered;

            if (requireDane || requireTls)
            {
                if (!tls)
                {
                    return Fail(host, noTls, facts with { Requirement = requireDane ? TlsRequirement.UsableTlsa : TlsRequirement.UnusableTlsa }, a);
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
                    return Fail(host, FailureKinds.ForDaneFailure(failure), facts with { Detail = dane?.Detail }, a);
                }

                security = TransportSecurity.Dane;
                reason = string.Create(CultureInfo.InvariantCulture,
                    $"{at} is DANE-authenticated: TLSA {dane.MatchedRecord} matched the certificate at depth {dane.MatchedDepth}{(dane.MatchedName is null ? "" : $" (name {dane.MatchedName})")}{over}.");
            }
            else if (stsEnforce)
            {
                if (!tls)
                {
                    return Fail(host, FailureKind.StsStartTlsNotOffered, facts with { StartTlsOffered = a.StartTlsOffered }, a);
                }

                PkixResult? pkix = a.Pkix;
                if (pkix is null || !pkix.Valid)
                {
                    return Fail(host, FailureKinds.ForStsCertificate(pkix?.Failure), facts with { Detail = pkix?.Detail }, a);
                }

                security = TransportSecurity.MtaSts;
                reason = $"{at} matches the MTA-STS enforce policy of {ev.Domain} ({(ev.MtaSts.PolicyId is { } id ? $"id {id}, " : "")}{ev.MtaSts.Source.ToLowerInvariant()}) and presents a certificate valid for {host.Name}{over}.";
            }
            else if (tls)
            {
                security = TransportSecurity.Tls;
                reason = a.TlsProtocol is null ? $"{at} offers STARTTLS; the certificate is not authenticated." : $"{at} offers STARTTLS ({a.TlsProtocol}); the certificate is not authenticated.";
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
                    return Fail(host, noTls, facts with { Requirement = TlsRequirement.TlsSettings, TlsSettings = level }, a);
                }

                if (level == TlsAuthLevel.CertificateValidation && security != TransportSecurity.Dane)
                {
                    PkixResult? pkix = a.Pkix;
                    bool chainOk = pkix is not null && (pkix.Valid || pkix.Failure == PkixFailure.NameMismatch);
                    if (!chainOk)
                    {
                        return Fail(host, FailureKind.CertificateValidationFailed, facts with { TlsSettings = level, Detail = pkix?.Detail }, a);
                    }
                }
                else if (level == TlsAuthLevel.DomainValidation)
                {
                    PkixResult? pkix = a.TlsDomainPkix;
                    if (pkix is null || !pkix.Valid)
                    {
                        return Fail(host, pkix?.Failure == PkixFailure.NameMismatch ? FailureKind.TlsDomainMismatch : FailureKind.CertificateValidationFailed,
                            facts with { TlsSettings = level, Subject = options.TlsDomain, Detail = pkix?.Detail }, a);
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
                : firstFail!.Indeterminate
                    ? $" Whether enforce would deliver it could not be established: {firstFail.Reason}"
                    : $" Under enforce it would be queued: {firstFail.StatusCode} {firstFail.Reason}");
            return sb.ToString();
        }

        // Every failed host is built here: the kind decides code, text and TLS-RPT type, and the
        // sentence is rendered from the kind and its facts (VerdictText).
        private static HostVerdict Fail(HostEvidence host, FailureKind kind, FailureFacts facts, AddressEvidence? address = null) => new()
        {
            Host = host.Name,
            Passed = false,
            Kind = kind,
            Address = address?.Address.ToString(),
            Reason = VerdictText.Render(kind, facts),
            ProbeDetail = facts.Detail,
        };

        private TlsPolicyResult Result(FailureKind kind, TransportSecurity? security, string? mxHost, FailureFacts facts, IReadOnlyList<HostVerdict> hosts, string policyType) =>
            Result(kind, security, mxHost, VerdictText.Render(kind, facts), hosts, policyType);

        private TlsPolicyResult Result(FailureKind kind, TransportSecurity? security, string? mxHost, string reason, IReadOnlyList<HostVerdict> hosts, string policyType)
        {
            Outcome outcome = FailureKinds.OutcomeOf(kind);
            return new TlsPolicyResult
            {
                Domain = ev.Domain,
                Connector = options.ConnectorName,
                TlsValidationMode = Connectors.OutboundConnector.DeriveTlsValidationMode(options.SmtpDaneMode, options.MtaStsMode),
                SmtpDaneMode = options.SmtpDaneMode,
                MtaStsMode = options.MtaStsMode,
                Kind = kind,
                Security = outcome == Outcome.Deliver ? security : null,
                MxHost = mxHost,
                Reason = VerdictText.WithPolicySource(reason, policyType, ev.MtaSts),
                Evidence = ev,
                Hosts = new ReadableList<HostVerdict>(hosts),
                Warnings = new ReadableList<string>(_warnings.Distinct(StringComparer.Ordinal)),
                PolicyType = policyType,
                DnssecValidatedBy = ev.Resolver.DnssecValidatedBy ?? DnssecValidator.Resolver,
            };
        }
    }
}
