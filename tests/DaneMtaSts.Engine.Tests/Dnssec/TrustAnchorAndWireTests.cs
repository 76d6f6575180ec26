// The trust-anchor file loader and the wire codec: presentation parsing with clear errors; names
// as received, compression bounded, canonical RDATA lowercased only for the RFC 4034 §6.2 types.
using DaneMtaSts.Engine.Dns;
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;

namespace DaneMtaSts.Engine.Tests.Dnssec;

public class TrustAnchorAndWireTests
{
    [Fact]
    public void Ds_and_dnskey_lines_in_presentation_form_load_with_optional_ttl_class_comments_and_parentheses()
    {
        const string text = """
            ; the lab's root
            . 3600 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
            . IN 172800 DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219 298D0A450D612C483AF444A4C0FB2B16 ; split digest
            . DNSKEY 257 3 15 ( l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQw
                                AQEX1SxZJA4= )
            """;
        TrustAnchorSet anchors = TrustAnchorSet.Parse(text, "anchors.txt");
        Assert.Equal([20326, 38696], anchors.Ds.Select(d => (int)d.KeyTag));
        Assert.Equal(TrustAnchorSet.BuiltIn.Ds[1].Digest, anchors.Ds[1].Digest);
        DnskeyData key = Assert.Single(anchors.Keys);
        Assert.Equal(3613, DnssecCrypto.KeyTag(key.ToRData()));
    }

    [Theory]
    [InlineData("example. IN DS 1 8 2 00", "only root")]
    [InlineData(". IN DS 1 8 2", "DS needs")]
    [InlineData(". IN DS 1 8 2 XYZ", "line 1")]
    [InlineData(". IN DNSKEY 256 2 8 AwEAAQ==", "protocol 3")]
    [InlineData(". IN DNSKEY 0 3 8 AwEAAQ==", "zone-key flag")]
    [InlineData(". IN A 192.0.2.1", "not DS or DNSKEY")]
    [InlineData(". IN DS 70000 8 2 00", "out of range")]
    [InlineData("; nothing but a comment", "no DS or DNSKEY")]
    [InlineData(". IN DNSKEY ( 257 3 8 AwEAAQ==", "never closed")]
    public void Malformed_anchor_files_give_a_clear_error_naming_the_file(string text, string expected)
    {
        var ex = Assert.Throws<TrustAnchorException>(() => TrustAnchorSet.Parse(text, "bad.txt"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad.txt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_anchor_file_is_a_trust_anchor_error()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-anchors-{Guid.NewGuid():N}.txt");
        var ex = Assert.Throws<TrustAnchorException>(() => TrustAnchorSet.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_parse_escape_compare_canonically_and_keep_their_case()
    {
        DnsName name = DnsName.Parse("Mail.EXAMPLE.com.");
        Assert.Equal("Mail.EXAMPLE.com", name.ToString());
        Assert.Equal(DnsName.Parse("mail.example.com"), name);
        Assert.Equal(DnsName.Parse("mail.example.com").GetHashCode(), name.GetHashCode());
        Assert.Equal("\u0004mail\u0007example\u0003com\0"u8.ToArray(), name.ToCanonicalWire());
        Assert.Equal((byte)'M', name.ToWire()[1]);
        Assert.Equal("a\\.b.c\\032d", DnsName.Parse("a\\.b.c\\032d").ToString());
        Assert.Equal(2, DnsName.Parse("a\\.b.c").LabelCount);
        Assert.Throws<FormatException>(() => DnsName.Parse("a..b"));
        Assert.Throws<FormatException>(() => DnsName.Parse(new string('a', 64) + ".com"));
        Assert.Throws<FormatException>(() => DnsName.Parse(string.Join('.', Enumerable.Repeat("abcdefg", 40))));
        Assert.Throws<FormatException>(() => DnsName.Parse("a\\25"));

        // RFC 4034 §6.1's example order.
        string[] ordered = ["example", "a.example", "yljkjljk.a.example", "Z.a.example", "zABC.a.EXAMPLE", "z.example", "\\001.z.example", "*.z.example", "\\200.z.example"];
        var sorted = ordered.Select(DnsName.Parse).OrderBy(n => n, Comparer<DnsName>.Create(DnsName.CompareCanonical)).Select(n => n.ToString());
        Assert.Equal(ordered.Select(o => DnsName.Parse(o).ToString()), sorted);
    }

    [Fact]
    public void Compression_pointers_are_resolved_and_loops_or_forward_pointers_refused()
    {
        // Header, question "example.com A", an answer whose owner is a pointer to offset 12 and an MX
        // whose exchange is "mail" + pointer to the question name.
        byte[] question = DnsMessageWriter.EncodeQuestion(DnsName.Parse("Example.com"), DnsRecordType.MX);
        byte[] head = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        byte[] rdata = [0, 10, 4, (byte)'M', (byte)'a', (byte)'i', (byte)'l', 0xC0, 12];
        byte[] answer = [0xC0, 12, 0, 15, 0, 1, 0, 0, 0x0E, 0x10, 0, (byte)rdata.Length, .. rdata];
        byte[] message = [.. head, .. question, .. answer];
        DnsMessage parsed = DnsMessage.Parse(message);
        DnsRecord mx = Assert.Single(parsed.Answers);
        Assert.Equal("Example.com", mx.Owner.ToString());
        Assert.Equal(rdata, mx.RData.ToArray());
        Assert.Equal("Mail.Example.com", ((MxData)mx.Data!).Exchange.ToString());
        Assert.Equal([0, 10, .. DnsName.Parse("mail.example.com").ToCanonicalWire()], mx.CanonicalRData.ToArray());
        Assert.Equal([0, 10, .. DnsName.Parse("Mail.Example.com").ToWire()], mx.UncompressedRData.ToArray());

        // A pointer to itself, and one pointing forward.
        byte[] loop = [.. head[..4], 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1];
        Assert.Throws<DnsWireFormatException>(() => DnsMessage.Parse(loop));
        byte[] forward = [.. head[..4], 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 14, 0, 0, 1, 0, 1];
        Assert.Throws<DnsWireFormatException>(() => DnsMessage.Parse(forward));
    }

    [Fact]
    public void Nsec_next_names_keep_their_case_while_rrsig_signers_are_lowercased()
    {
        DnsRecord nsec = Rr.Nsec(DnsName.Parse("a.example"), DnsName.Parse("B.Example"), [DnsRecordType.A]);
        Assert.Equal(nsec.UncompressedRData.ToArray(), nsec.CanonicalRData.ToArray()); // RFC 6840 §5.1
        var sig = new RrsigData(DnsRecordType.A, 13, 2, 60, 2, 1, 7, DnsName.Parse("EXAMPLE"), [1, 2]);
        DnsRecord rrsig = Rr.Make("a.example", DnsRecordType.RRSIG, Rr.RrsigRData(sig));
        Assert.Equal(Rr.RrsigRData(sig with { SignerName = DnsName.Parse("example") }), rrsig.CanonicalRData.ToArray());
        DnsRecord cname = Rr.Cname("a.example", "Target.Example");
        Assert.Equal(DnsName.Parse("target.example").ToCanonicalWire(), cname.CanonicalRData.ToArray());
    }

    [Fact]
    public void The_query_has_rd_cd_and_an_opt_record_with_do_and_1232()
    {
        byte[] query = DnsMessageWriter.BuildQuery(0xBEEF, DnsName.Parse("example.com"), DnsRecordType.DNSKEY);
        DnsMessage parsed = DnsMessage.Parse(query);
        Assert.Equal(0xBEEF, parsed.Id);
        Assert.True(parsed.RecursionDesired && parsed.CheckingDisabled && !parsed.IsResponse);
        Assert.Equal(new DnsQuestion(DnsName.Parse("example.com"), DnsRecordType.DNSKEY, 1), parsed.Question);
        Assert.NotNull(parsed.Opt);
        Assert.True(parsed.Opt!.DnssecOk);
        Assert.Equal(1232, parsed.Opt.UdpPayloadSize);

        // The seed's encoder is this one.
        Assert.Equal(query, CheckingDisabledQuery.BuildQuery(0xBEEF, CheckingDisabledQuery.EncodeQuestion("example.com", DnsRecordType.DNSKEY), 1232));
    }

    [Fact]
    public void Typed_views_read_every_listed_type()
    {
        Assert.Equal("192.0.2.1", ((AddressData)Rr.A("a.example", "192.0.2.1").Data!).Address.ToString());
        Assert.Equal("2001:db8::1", ((AddressData)Rr.Aaaa("a.example", "2001:db8::1").Data!).Address.ToString());
        Assert.Equal("t.example", ((NameData)Rr.Dname("a.example", "t.example").Data!).Target.ToString());
        Assert.Equal("ns.example", ((NameData)Rr.Ns("a.example", "ns.example").Data!).Target.ToString());
        Assert.Equal("v=STSv1", System.Text.Encoding.ASCII.GetString(((TxtData)Rr.Txt("a.example", "v=STSv1").Data!).Strings[0]));
        TlsaData tlsa = (TlsaData)Rr.Tlsa("_25._tcp.a.example", 3, 1, 1, [9, 9]).Data!;
        Assert.Equal((3, 1, 1, 2), (tlsa.Usage, tlsa.Selector, tlsa.MatchingType, tlsa.Association.Length));
        SoaData soa = (SoaData)Rr.Soa(DnsName.Parse("example")).Data!;
        Assert.Equal("ns.example", soa.PrimaryServer.ToString());
        Assert.Equal(1u, soa.Serial);
        Nsec3Data n3 = (Nsec3Data)Rr.Nsec3(DnsName.Parse("x.example"), 1, 5, [1], new byte[20], [DnsRecordType.NS, DnsRecordType.DS, 1000]).Data!;
        Assert.True(n3.OptOut && n3.Types.Contains(DnsRecordType.DS) && n3.Types.Contains(1000) && !n3.Types.Contains(DnsRecordType.A));
        Assert.Equal([DnsRecordType.NS, DnsRecordType.DS, (ushort)1000], n3.Types.Types());
        Nsec3ParamData param = (Nsec3ParamData)Rr.Make("example", DnsRecordType.NSEC3PARAM, [1, 0, 0, 10, 2, 0xAB, 0xCD]).Data!;
        Assert.Equal((10, 2), (param.Iterations, param.Salt.Length));
        Assert.Throws<DnsWireFormatException>(() => Rr.Make("example", DnsRecordType.A, [1, 2, 3]));
        Assert.Throws<DnsWireFormatException>(() => Rr.Make("example", DnsRecordType.NSEC, [0, 5, 0]));
    }
}
