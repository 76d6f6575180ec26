using CsCheck;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.TlsRpt;
using DaneMtaSts.Engine.Tests.Support;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Reporting;

public class TlsRptRecordTests(ITestOutputHelper output)
{
    [Fact]
    public void Mailto_and_https_with_whitespace_around_commas()
    {
        var r = TlsRptRecord.Parse(["v=TLSRPTv1; rua=mailto:tls@example.com , https://report.example.com/tlsrpt"]);
        Assert.True(r.IsValid, r.Diagnosis);
        Assert.Equal(["mailto:tls@example.com", "https://report.example.com/tlsrpt"], r.ReportUris.Select(u => u.OriginalString));
    }

    [Theory]
    [InlineData("v=TLSRPTv1;rua=mailto:a@example.com")]
    [InlineData("v=TLSRPTv1 ; rua=mailto:a@example.com;")]
    [InlineData("v=TLSRPTv1; rua=mailto:a@example.com; ext=1")]
    [InlineData("v=TLSRPTv1; rua=mailto:a@example.com,mailto:b@example.org")]
    public void Valid_records(string text) => Assert.True(TlsRptRecord.Parse([text]).IsValid);

    [Theory]
    [InlineData("v=TLSRPTv1", "rua field is missing")]
    [InlineData("v=TLSRPTv1;", "no fields")]
    [InlineData("v=TLSRPTv1; ext=1", "rua field is missing")]
    [InlineData("v=TLSRPTv1; rua=", "empty URI")]
    [InlineData("v=TLSRPTv1; rua=mailto:a@example.com,", "empty URI")]
    [InlineData("v=TLSRPTv1; rua=mailto:", "not a mailto")]
    [InlineData("v=TLSRPTv1; rua=mailto:no-at-sign", "not a mailto")]
    [InlineData("v=TLSRPTv1; rua=tls@example.com", "not a URI")]
    [InlineData("v=TLSRPTv1; rua=ftp://example.com/x", "no mailto: or https:")]
    [InlineData("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", "more than one rua")]
    [InlineData("v=TLSRPTv1; rua=mailto:a@example.com mailto:b@example.com", "white space")]
    [InlineData("v=TLSRPTv1;; rua=mailto:a@example.com", "empty")]
    public void Invalid_records(string text, string why)
    {
        var r = TlsRptRecord.Parse([text]);
        Assert.False(r.IsValid);
        Assert.Empty(r.ReportUris);
        Assert.Contains(why, r.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_schemes_are_skipped_with_a_warning_when_another_uri_is_usable()
    {
        var r = TlsRptRecord.Parse(["v=TLSRPTv1; rua=ftp://example.com/x,mailto:a@example.com"]);
        Assert.True(r.IsValid);
        Assert.Single(r.ReportUris);
        Assert.Contains(r.Warnings, w => w.Contains("ftp", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("v=TLSRPTv10; rua=mailto:a@example.com")]
    [InlineData("v=tlsrptv1; rua=mailto:a@example.com")]
    [InlineData("rua=mailto:a@example.com; v=TLSRPTv1")]
    public void Version_must_come_first_exactly(string text)
    {
        var r = TlsRptRecord.Parse([text]);
        Assert.False(r.IsValid);
        Assert.Equal(0, r.TlsRptRecordCount);
    }

    [Fact]
    public void Two_records_mean_no_reporting()
    {
        var r = TlsRptRecord.Parse(["v=TLSRPTv1; rua=mailto:a@example.com", "v=spf1 -all", "v=TLSRPTv1; rua=mailto:b@example.com"]);
        Assert.False(r.IsValid);
        Assert.Equal(2, r.TlsRptRecordCount);
        Assert.Contains("more than one", r.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public void Arbitrary_text_never_throws()
    {
        var arbitrary = new CaseCounter(output, "arbitrary TXT sets");
        Gen.String.Array[0, 3].Sample(records =>
        {
            arbitrary.Sample();
            Assert.False(string.IsNullOrEmpty(TlsRptRecord.Parse(records).Diagnosis));
            _ = records.Any(t => t.Length > 0) && arbitrary.Hit("a non-empty record read");
        });
        arbitrary.AssertReached(20, "a non-empty record read");

        // A third of the samples start as a record does, a third are well-formed records with
        // random URIs and endings, so that both the valid and the rejected record are reached often.
        var token = Gen.OneOf<string>("v=TLSRPTv1", ";", " ", "rua=", "mailto:", "a@b", "https://", "x", ",", "=", "%2C", "\t", "é");
        var uri = Gen.OneOf<string>("mailto:tlsrpt@example.com", "https://report.example.com/v1", "mailto:a@b.example!10m");
        var ending = Gen.OneOf<string>("", ";", " ;", "; x=y");
        var text = Gen.OneOf(
            token.Array[0, 12].Select(string.Concat),
            token.Array[0, 8].Select(t => "v=TLSRPTv1; rua=" + string.Concat(t)),
            Gen.Select(uri.Array[1, 3], ending, (u, e) => "v=TLSRPTv1; rua=" + string.Join(",", u) + e));
        var counter = new CaseCounter(output, "record-like TXT");
        text.Sample(text =>
        {
            counter.Sample();
            var r = TlsRptRecord.Parse([text]);
            Assert.True(!r.IsValid || r.ReportUris.Count > 0);
            counter.Hit(r.IsValid ? "valid" : "rejected");
        }, iter: 1000);
        counter.AssertReached(100, "valid", "rejected");
    }
}

public class TlsRptResultTypeTests
{
    [Theory]
    [InlineData(TlsRptResultType.StartTlsNotSupported, "starttls-not-supported")]
    [InlineData(TlsRptResultType.CertificateHostMismatch, "certificate-host-mismatch")]
    [InlineData(TlsRptResultType.CertificateExpired, "certificate-expired")]
    [InlineData(TlsRptResultType.CertificateNotTrusted, "certificate-not-trusted")]
    [InlineData(TlsRptResultType.ValidationFailure, "validation-failure")]
    [InlineData(TlsRptResultType.TlsaInvalid, "tlsa-invalid")]
    [InlineData(TlsRptResultType.DnssecInvalid, "dnssec-invalid")]
    [InlineData(TlsRptResultType.DaneRequired, "dane-required")]
    [InlineData(TlsRptResultType.StsPolicyFetchError, "sts-policy-fetch-error")]
    [InlineData(TlsRptResultType.StsPolicyInvalid, "sts-policy-invalid")]
    [InlineData(TlsRptResultType.StsWebPkiInvalid, "sts-webpki-invalid")]
    public void Round_trip(TlsRptResultType type, string text)
    {
        Assert.Equal(text, type.ToRfcString());
        Assert.True(TlsRptResultTypes.TryParse(text, out var parsed));
        Assert.Equal(type, parsed);
        Assert.Equal(type, TlsRptResultTypes.Parse(text));
    }

    [Fact]
    public void Every_enum_value_has_a_string()
    {
        var strings = Enum.GetValues<TlsRptResultType>().Select(t => t.ToRfcString()).ToList();
        Assert.Equal(11, strings.Distinct().Count());
    }

    [Theory]
    [InlineData("STS-POLICY-INVALID")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("sts_policy_invalid")]
    public void Unknown_strings_are_refused(string? text)
    {
        Assert.False(TlsRptResultTypes.TryParse(text, out var parsed));
        Assert.Null(parsed);
    }

    [Fact]
    public void Parse_throws_an_engine_exception_for_unknown_strings()
    {
        var ex = Assert.Throws<EngineException>(() => TlsRptResultTypes.Parse("nope"));
        Assert.Equal("InvalidTlsRptResultType", ex.ErrorId);
    }
}
