using CsCheck;
using DaneMtaSts.Engine.Reporting;
using DaneMtaSts.Engine.TlsRpt;

namespace DaneMtaSts.Engine.Tests.Reporting;

public class TlsRptRecordTests
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
        Gen.String.Array[0, 3].Sample(records => Assert.False(string.IsNullOrEmpty(TlsRptRecord.Parse(records).Diagnosis)));
        var token = Gen.OneOf<string>("v=TLSRPTv1", ";", " ", "rua=", "mailto:", "a@b", "https://", "x", ",", "=", "%2C", "\t", "é");
        token.Array[0, 12].Select(string.Concat).Sample(text =>
        {
            var r = TlsRptRecord.Parse([text]);
            Assert.True(!r.IsValid || r.ReportUris.Count > 0);
        });
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
