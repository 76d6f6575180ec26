using DaneMtaSts.Engine.MtaSts;

namespace DaneMtaSts.Engine.Tests.MtaSts;

public class MtaStsMxMatchTests
{
    private static MtaStsPolicy PolicyWith(params string[] mx)
    {
        string text = "version: STSv1\nmode: enforce\nmax_age: 86400\n" + string.Concat(mx.Select(m => $"mx: {m}\n"));
        Assert.True(MtaStsPolicy.TryParse(text, out var policy, out var error), error);
        return policy;
    }

    [Theory]
    [InlineData("mail.example.com", true)]
    [InlineData("MAIL.Example.COM", true)]
    [InlineData("mail.example.com.", true)]
    [InlineData("mail2.example.com", false)]
    [InlineData("example.com", false)]
    [InlineData("x.mail.example.com", false)]
    public void Exact_pattern(string host, bool matches) =>
        Assert.Equal(matches, PolicyWith("mail.example.com").MatchesMx(host));

    [Theory]
    [InlineData("mx1.example.net", true)]
    [InlineData("MX1.EXAMPLE.NET.", true)]
    [InlineData("example.net", false)]           // docs/edge-cases.md#s5: never the suffix itself
    [InlineData("a.b.example.net", false)]       // docs/edge-cases.md#s5: never two labels (the Snawoot/CERT-Bund case)
    [InlineData("mx1.example.net.evil", false)]
    [InlineData("mx1example.net", false)]
    [InlineData("", false)]
    [InlineData("not a host", false)]
    public void Wildcard_pattern_covers_exactly_one_label(string host, bool matches) =>
        Assert.Equal(matches, PolicyWith("*.example.net").MatchesMx(host));

    [Theory]
    [InlineData("mail.bücher.example")]
    [InlineData("mail.xn--bcher-kva.example")]
    [InlineData("MAIL.XN--BCHER-KVA.EXAMPLE.")]
    public void Idn_host_matches_in_either_form(string host)
    {
        Assert.True(PolicyWith("mail.bücher.example").MatchesMx(host));
        Assert.True(PolicyWith("mail.xn--bcher-kva.example").MatchesMx(host));
        Assert.True(PolicyWith("*.bücher.example").MatchesMx(host));
    }

    [Fact]
    public void Matching_pattern_is_reported()
    {
        var policy = PolicyWith("mx.example.org", "*.example.net");
        Assert.Equal("*.example.net", policy.FindMatchingPattern("a.example.net"));
        Assert.Equal("mx.example.org", policy.FindMatchingPattern("MX.example.org"));
        Assert.Null(policy.FindMatchingPattern("b.example.com"));
    }
}
