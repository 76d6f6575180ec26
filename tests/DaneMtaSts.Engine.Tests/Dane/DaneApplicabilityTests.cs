using DaneMtaSts.Engine.Dane;

namespace DaneMtaSts.Engine.Tests.Dane;

// docs/verdicts.md#dane-1, docs/verdicts.md#dane-2: RFC 7672 §2.2.1/§2.2.2 as a table.
public sealed class DaneApplicabilityTests
{
    private const DnsSecStatus S = DnsSecStatus.Secure;
    private const DnsSecStatus I = DnsSecStatus.Insecure;

    public static TheoryData<string, bool, bool, bool, DnsSecStatus, string[], DnsSecStatus?, DaneApplicabilityKind, string[]> Cases => new()
    {
        // name, consulted, parent secure, has addresses, address status, CNAME chain, first link, expected kind, expected TLSA base names
        { "not consulted", false, true, true, S, [], null, DaneApplicabilityKind.NotConsulted, [] },
        { "insecure MX RRset", true, false, true, S, [], null, DaneApplicabilityKind.ParentInsecure, [] },
        { "no addresses", true, true, false, S, [], null, DaneApplicabilityKind.NoAddresses, [] },
        { "insecure addresses", true, true, true, I, [], null, DaneApplicabilityKind.HostInsecure, [] },
        { "secure host", true, true, true, S, [], null, DaneApplicabilityKind.Applies, ["mx.example"] },
        { "secure alias: expanded first, then original", true, true, true, S, ["a.cdn.example", "b.cdn.example"], S, DaneApplicabilityKind.Applies, ["b.cdn.example", "mx.example"] },
        { "alias secure at the first link only: original alone", true, true, true, I, ["a.cdn.example"], S, DaneApplicabilityKind.Applies, ["mx.example"] },
        { "alias insecure at the first link", true, true, true, I, ["a.cdn.example"], I, DaneApplicabilityKind.HostInsecure, [] },
        { "insecure MX wins over everything else", true, false, false, I, ["a.cdn.example"], I, DaneApplicabilityKind.ParentInsecure, [] },
        { "no addresses before insecurity", true, true, false, I, [], null, DaneApplicabilityKind.NoAddresses, [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Applicability_follows_rfc_7672_section_2_2(string name, bool consulted, bool parentSecure, bool hasAddresses, DnsSecStatus addressStatus, string[] chain, DnsSecStatus? firstLink, DaneApplicabilityKind kind, string[] baseNames)
    {
        DaneApplicabilityDecision decision = DaneApplicability.Decide(new DaneHostLookups
        {
            Consulted = consulted,
            ParentSecure = parentSecure,
            ViaMx = true,
            Host = "mx.example",
            RecipientDomain = "example",
            HasAddresses = hasAddresses,
            AddressStatus = addressStatus,
            CnameChain = chain,
            FirstLinkStatus = firstLink,
        });

        Assert.True(decision.Kind == kind, $"{name}: {decision.Kind}");
        Assert.Equal(baseNames, decision.TlsaBaseNames);
        Assert.Equal(kind == DaneApplicabilityKind.Applies, decision.Applies);
        Assert.Equal(baseNames.Length > 1, decision.ExpandedFirst);
    }

    [Fact]
    public void The_reasons_name_the_rule_that_decided()
    {
        DaneHostLookups mx = new() { Consulted = true, ParentSecure = false, ViaMx = true, Host = "mx.example", RecipientDomain = "example", HasAddresses = true, AddressStatus = S };

        Assert.Equal("the MX records of example are not DNSSEC-signed (insecure), so DANE does not apply to mx.example (RFC 7672 §2.2.1).", DaneApplicability.Decide(mx).Reason);
        Assert.Equal("smart.example is not DNSSEC-secure.", DaneApplicability.Decide(mx with { ViaMx = false, Host = "smart.example" }).Reason);
        Assert.Equal("the address records of mx.example are not DNSSEC-signed (insecure), so DANE does not apply to it (RFC 7672 §2.2.2).", DaneApplicability.Decide(mx with { ParentSecure = true, AddressStatus = I }).Reason);
        Assert.Equal("mx.example and its MX records are DNSSEC-secure: DANE applies.", DaneApplicability.Decide(mx with { ParentSecure = true }).Reason);
    }

    [Theory]
    [InlineData(false, 0, DnsSecStatus.Failed, true)] // an error at the expanded name is an error
    [InlineData(false, 0, DnsSecStatus.Bogus, true)]
    [InlineData(true, 2, DnsSecStatus.Secure, true)] // secure records there are used
    [InlineData(true, 0, DnsSecStatus.Secure, false)] // secure absence: back to the original name
    [InlineData(true, 2, DnsSecStatus.Insecure, false)] // insecure records: as if absent
    [InlineData(true, 0, DnsSecStatus.Insecure, false)]
    public void The_expanded_name_decides_unless_it_is_cleanly_empty(bool usable, int records, DnsSecStatus status, bool expected) =>
        Assert.Equal(expected, DaneApplicability.UseExpandedAnswer(usable, records, status));

    [Theory]
    [InlineData(false, 0, DnsSecStatus.Failed, TlsaAnswerMeaning.LookupFailed)]
    [InlineData(false, 3, DnsSecStatus.Bogus, TlsaAnswerMeaning.LookupFailed)]
    [InlineData(true, 0, DnsSecStatus.Secure, TlsaAnswerMeaning.NoRecords)]
    [InlineData(true, 0, DnsSecStatus.Insecure, TlsaAnswerMeaning.NoRecords)]
    [InlineData(true, 1, DnsSecStatus.Insecure, TlsaAnswerMeaning.IgnoredInsecure)]
    [InlineData(true, 1, DnsSecStatus.Indeterminate, TlsaAnswerMeaning.IgnoredInsecure)]
    [InlineData(true, 1, DnsSecStatus.Secure, TlsaAnswerMeaning.Records)]
    public void A_tlsa_answer_means_what_rfc_7672_section_2_2_says(bool usable, int records, DnsSecStatus status, TlsaAnswerMeaning expected) =>
        Assert.Equal(expected, DaneApplicability.Interpret(usable, records, status));
}
