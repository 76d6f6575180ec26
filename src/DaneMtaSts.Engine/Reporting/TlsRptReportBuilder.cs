using System.Globalization;
using System.Text;
using System.Text.Json;
using DaneMtaSts.Engine.Policy;
using DaneMtaSts.Engine.TlsRpt;

namespace DaneMtaSts.Engine.Reporting;

/// <summary>Who writes a TLS-RPT report and for which period (RFC 8460 §4.4).</summary>
public sealed record TlsRptReportOptions
{
    public required string OrganizationName { get; init; }

    public required string ContactInfo { get; init; }

    public required DateTimeOffset Start { get; init; }

    public required DateTimeOffset End { get; init; }

    /// <summary>The sending MTA's address, reported in failure details (optional).</summary>
    public string? SendingMtaIp { get; init; }

    /// <summary>The sending domain, used in the report's file name (RFC 8460 §5.3).</summary>
    public string SenderDomain { get; init; } = "danemtasts.invalid";
}

/// <summary>One RFC 8460 report: the JSON text and the file name it should be written under.</summary>
public sealed record TlsRptReport
{
    public required string PolicyDomain { get; init; }

    public required string ReportId { get; init; }

    public required string FileName { get; init; }

    public required string Json { get; init; }

    public required int SuccessfulSessions { get; init; }

    public required int FailedSessions { get; init; }

    /// <summary>The rua URIs the domain publishes at _smtp._tls, if any.</summary>
    public IReadOnlyList<string> ReportUris { get; init; } = [];
}

/// <summary>
/// Turns dry-run results into RFC 8460 aggregate reports, one per policy domain. Each result counts
/// as one session: Deliver is a successful session, Queue a failed one whose result type comes
/// from the failure's <see cref="FailureKind"/> (§4.3). Reject (no such domain, Null MX) is not a TLS
/// session, and Indeterminate is not the partner's failure (this run could not tell): both are left out.
/// </summary>
public static class TlsRptReportBuilder
{
    public static IReadOnlyList<TlsRptReport> Build(IEnumerable<TlsPolicyResult> results, TlsRptReportOptions options)
    {
        var reports = new List<TlsRptReport>();
        foreach (var group in results.Where(r => r.Outcome is Outcome.Deliver or Outcome.Queue).GroupBy(r => r.Domain, StringComparer.OrdinalIgnoreCase))
        {
            reports.Add(BuildOne(group.Key, group.ToList(), options));
        }

        return reports;
    }

    private static TlsRptReport BuildOne(string domain, IReadOnlyList<TlsPolicyResult> results, TlsRptReportOptions options)
    {
        string start = options.Start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        string end = options.End.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        string reportId = string.Create(CultureInfo.InvariantCulture, $"{options.Start.UtcDateTime:yyyyMMddHHmmss}-{domain}@{options.SenderDomain}-{Guid.NewGuid():N}");

        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("organization-name", options.OrganizationName);
            json.WriteStartObject("date-range");
            json.WriteString("start-datetime", start);
            json.WriteString("end-datetime", end);
            json.WriteEndObject();
            json.WriteString("contact-info", options.ContactInfo);
            json.WriteString("report-id", reportId);
            json.WriteStartArray("policies");

            // One policy entry per distinct policy applied (RFC 8460 §4.4: "policies" is an array).
            foreach (var byPolicy in results.GroupBy(PolicyKey, StringComparer.Ordinal))
            {
                TlsPolicyResult sample = byPolicy.First();
                json.WriteStartObject();
                json.WriteStartObject("policy");
                json.WriteString("policy-type", sample.PolicyType);
                var policyStrings = PolicyStrings(sample);
                if (policyStrings.Count > 0)
                {
                    json.WriteStartArray("policy-string");
                    foreach (string s in policyStrings)
                    {
                        json.WriteStringValue(s);
                    }

                    json.WriteEndArray();
                }

                json.WriteString("policy-domain", domain);
                if (sample.PolicyType == "sts" && sample.Evidence.MtaSts.Policy is { } policy)
                {
                    json.WriteStartArray("mx-host");
                    foreach (string mx in policy.Mx)
                    {
                        json.WriteStringValue(mx);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
                int ok = byPolicy.Count(r => r.Outcome == Outcome.Deliver);
                int failed = byPolicy.Count(r => r.Outcome == Outcome.Queue);
                json.WriteStartObject("summary");
                json.WriteNumber("total-successful-session-count", ok);
                json.WriteNumber("total-failure-session-count", failed);
                json.WriteEndObject();

                var details = byPolicy.Where(r => r.Outcome == Outcome.Queue)
                    .GroupBy(DetailKey, StringComparer.Ordinal)
                    .ToList();
                if (details.Count > 0)
                {
                    json.WriteStartArray("failure-details");
                    foreach (var detail in details)
                    {
                        TlsPolicyResult r = detail.First();
                        HostVerdict? host = DecisiveHost(r);
                        json.WriteStartObject();
                        json.WriteString("result-type", TlsRptResultTypes.ToRfcString(ResultType(r, host)));
                        if (options.SendingMtaIp is not null)
                        {
                            json.WriteString("sending-mta-ip", options.SendingMtaIp);
                        }

                        if (r.MxHost is not null)
                        {
                            json.WriteString("receiving-mx-hostname", r.MxHost);
                        }

                        if (host?.Address is not null)
                        {
                            json.WriteString("receiving-ip", host.Address);
                        }

                        json.WriteNumber("failed-session-count", detail.Count());
                        json.WriteString("additional-information", $"Exchange Online status {r.StatusCode} {r.StatusText}");
                        json.WriteString("failure-reason-code", Truncate(r.Reason, 512));
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        string text = Encoding.UTF8.GetString(stream.ToArray());

        // RFC 8460 §5.3: sender!policy-domain!begin-timestamp!end-timestamp[!unique-id].json
        string fileName = string.Create(CultureInfo.InvariantCulture,
            $"{options.SenderDomain}!{domain}!{options.Start.ToUnixTimeSeconds()}!{options.End.ToUnixTimeSeconds()}.json");
        return new TlsRptReport
        {
            PolicyDomain = domain,
            ReportId = reportId,
            FileName = fileName,
            Json = text,
            SuccessfulSessions = results.Count(r => r.Outcome == Outcome.Deliver),
            FailedSessions = results.Count(r => r.Outcome == Outcome.Queue),
            ReportUris = results.Select(r => r.Evidence.TlsRpt).FirstOrDefault(t => t is { IsValid: true })?.ReportUris.Select(u => u.ToString()).ToList() ?? [],
        };
    }

    private static string PolicyKey(TlsPolicyResult r) => r.PolicyType + "\n" + string.Join("\n", PolicyStrings(r));

    private static string DetailKey(TlsPolicyResult r)
    {
        HostVerdict? host = DecisiveHost(r);
        return $"{ResultType(r, host)}|{r.MxHost}|{host?.Address}|{r.StatusCode}";
    }

    private static HostVerdict? DecisiveHost(TlsPolicyResult r) =>
        r.Hosts.FirstOrDefault(h => !h.Passed && h.Candidate && string.Equals(h.Host, r.MxHost, StringComparison.OrdinalIgnoreCase))
        ?? r.Hosts.FirstOrDefault(h => !h.Passed && h.Candidate);

    // The kind that decided: the decisive host's when it names the same failure, else the domain's.
    private static TlsRptResultType ResultType(TlsPolicyResult r, HostVerdict? host) =>
        (host is not null && host.Kind == r.Kind ? host.ResultType : null)
        ?? FailureKinds.ResultTypeOf(r.Kind)
        ?? TlsRptResultType.ValidationFailure;

    private static IReadOnlyList<string> PolicyStrings(TlsPolicyResult r)
    {
        if (r.PolicyType == "tlsa")
        {
            // RFC 8460 §4.4: for tlsa policies, the TLSA records in presentation form.
            return r.Evidence.Hosts.Where(h => h.Tlsa == TlsaState.Usable)
                .SelectMany(h => h.TlsaRecords.Select(t => t.ToString()))
                .Distinct(StringComparer.Ordinal).ToList();
        }

        if (r.PolicyType == "sts" && r.Evidence.MtaSts.Policy is { } policy)
        {
            return PolicyLines(policy);
        }

        return [];
    }

    // RFC 8460 §4.4: "policy-string" holds the policy's lines, one string each.
    private static List<string> PolicyLines(MtaSts.MtaStsPolicy policy) =>
        policy.Text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')
            .Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
