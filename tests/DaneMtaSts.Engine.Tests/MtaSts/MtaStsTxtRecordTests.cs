using CsCheck;
using DaneMtaSts.Engine.MtaSts;
using DaneMtaSts.Engine.Tests.Support;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.MtaSts;

public class MtaStsTxtRecordTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("v=STSv1; id=20240101T000000", "20240101T000000")]
    [InlineData("v=STSv1;id=abc", "abc")]
    [InlineData("v=STSv1 ; id=abc ;", "abc")]
    [InlineData("v=STSv1;\tid=abc;\t", "abc")]
    [InlineData("v=STSv1; id=12345678901234567890123456789012", "12345678901234567890123456789012")]
    [InlineData("v=STSv1; ext.name-1=va:l/ue; id=Z9", "Z9")]
    public void Valid_records(string text, string id)
    {
        MtaStsTxtRecord record = MtaStsTxtRecord.Parse([text]);
        Assert.True(record.IsValid, record.Diagnosis);
        Assert.Equal(id, record.Id);
        Assert.Equal(text, record.RecordText);
    }

    [Fact]
    public void Extension_fields_are_kept()
    {
        MtaStsTxtRecord record = MtaStsTxtRecord.Parse(["v=STSv1; id=1; foo=bar:baz"]);
        Assert.Equal("bar:baz", record.Extensions["foo"]);
    }

    [Theory]
    [InlineData("v=STSv1;", "no fields")]
    [InlineData("v=STSv1; id=", "1 to 32")]
    [InlineData("v=STSv1; id=123456789012345678901234567890123", "1 to 32")]
    [InlineData("v=STSv1; id=2024-01-01", "1 to 32")]
    [InlineData("v=STSv1; id=abc def", "1 to 32")]
    [InlineData("v=STSv1;; id=abc", "empty")]
    [InlineData("v=STSv1; id=a; foo", "not name=value")]
    [InlineData("v=STSv1; id=a; _x=1", "field name")]
    [InlineData("v=STSv1; id=a; x=", "value")]
    [InlineData("v=STSv1; id=a; x=a=b", "value")]
    public void Invalid_records_mean_no_policy(string text, string why)
    {
        MtaStsTxtRecord record = MtaStsTxtRecord.Parse([text]);
        Assert.False(record.IsValid);
        Assert.Null(record.Id);
        Assert.Equal(1, record.StsRecordCount);
        Assert.Contains(why, record.Diagnosis, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v=STSv10; id=1")]
    [InlineData("V=STSv1; id=1")]
    [InlineData("v=stsv1; id=1")]
    [InlineData(" v=STSv1; id=1")]
    [InlineData("v=STSv1x; id=1")]
    [InlineData("v=spf1 -all")]
    [InlineData("v=STSv1")]
    [InlineData("v=STSv1 ")]
    [InlineData("v=STSv1 id=1")]
    public void Records_not_starting_with_the_version_are_discarded(string text)
    {
        MtaStsTxtRecord record = MtaStsTxtRecord.Parse([text]);
        Assert.False(record.IsValid);
        Assert.Equal(0, record.StsRecordCount);
        Assert.Contains("no MTA-STS policy", record.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_records_beside_one_STSv1_record_are_ignored()
    {
        MtaStsTxtRecord record = MtaStsTxtRecord.Parse(["v=spf1 -all", "v=STSv1; id=abc", "google-site-verification=x"]);
        Assert.True(record.IsValid);
        Assert.Equal("abc", record.Id);
    }

    [Fact]
    public void A_bare_version_record_beside_a_valid_one_is_discarded_before_counting()
    {
        // RFC 8461 §3.1: records that do not begin with "v=STSv1;" are discarded, then counted.
        MtaStsTxtRecord record = MtaStsTxtRecord.Parse(["v=STSv1", "v=STSv1; id=20260310"]);
        Assert.True(record.IsValid);
        Assert.Equal("20260310", record.Id);
        Assert.Equal(1, record.StsRecordCount);
        Assert.Contains(record.Warnings, w => w.Contains("discarded", StringComparison.Ordinal));
    }

    [Fact]
    public void A_repeated_field_is_accepted_and_the_first_one_wins_with_a_warning()
    {
        MtaStsTxtRecord record = MtaStsTxtRecord.Parse(["v=STSv1; id=first; id=second; x=1; x=2"]);
        Assert.True(record.IsValid);
        Assert.Equal("first", record.Id);
        Assert.Equal("1", record.Extensions["x"]);
        Assert.Equal(2, record.Warnings.Count);
        Assert.Contains("first (\"first\") is used", record.Warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_record_has_no_warnings()
    {
        Assert.Empty(MtaStsTxtRecord.Parse(["v=STSv1; id=abc;"]).Warnings);
    }

    [Fact]
    public void Two_STSv1_records_mean_no_policy()
    {
        MtaStsTxtRecord record = MtaStsTxtRecord.Parse(["v=STSv1; id=a", "v=STSv1; id=b"]);
        Assert.False(record.IsValid);
        Assert.Equal(2, record.StsRecordCount);
        Assert.Contains("more than one STSv1 record", record.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public void No_records_at_all()
    {
        MtaStsTxtRecord record = MtaStsTxtRecord.Parse([]);
        Assert.False(record.IsValid);
        Assert.Contains("no TXT record", record.Diagnosis, StringComparison.Ordinal);
    }

    [Fact]
    public void Arbitrary_text_never_throws()
    {
        var counter = new CaseCounter(output, "arbitrary TXT sets");
        Gen.String.Array[0, 3].Sample(records =>
        {
            counter.Sample();
            var r = MtaStsTxtRecord.Parse(records);
            Assert.False(string.IsNullOrEmpty(r.Diagnosis));
            Assert.True(!r.IsValid || r.Id is { Length: >= 1 and <= 32 });
            _ = records.Any(t => t.Length > 0) && counter.Hit("a non-empty record read and rejected with a diagnosis");
            _ = records.Length > 1 && counter.Hit("several records");
        });
        counter.AssertReached(20, "a non-empty record read and rejected with a diagnosis", "several records");
    }

    [Fact]
    public void Record_like_text_never_throws_and_valid_ids_are_alphanumeric()
    {
        var token = Gen.OneOf<string>("v=STSv1", ";", " ", "\t", "id=", "abc", "123", "=", "x.y", ":", ",", "-", "é", "\u0000");
        // A third of the samples start as a record does, a third are well-formed records with a
        // random id and ending, so that both the valid and the rejected record are reached often.
        var id = Gen.Char["abcXYZ0189"].Array[1, 40].Select(a => new string(a));
        var ending = Gen.OneOf<string>("", ";", " ;", "; x=y", ";\t", "; id=second");
        var text = Gen.OneOf(
            token.Array[0, 14].Select(string.Concat),
            token.Array[0, 10].Select(t => "v=STSv1; id=" + string.Concat(t)),
            Gen.Select(id, ending, (i, e) => "v=STSv1; id=" + i + e));
        var counter = new CaseCounter(output, "record-like TXT");
        text.Sample(text =>
        {
            counter.Sample();
            var r = MtaStsTxtRecord.Parse([text]);
            if (r.IsValid)
            {
                counter.Hit("valid");
                Assert.StartsWith("v=STSv1", text, StringComparison.Ordinal);
                Assert.All(r.Id!, c => Assert.True(char.IsAsciiLetterOrDigit(c)));
            }
            else if (text.StartsWith("v=STSv1", StringComparison.Ordinal))
            {
                counter.Hit("starts as a record but is rejected");
            }
        }, iter: 1000);
        counter.AssertReached(100, "valid", "starts as a record but is rejected");
    }
}
