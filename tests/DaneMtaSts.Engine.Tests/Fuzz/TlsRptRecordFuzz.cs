using DaneMtaSts.Engine.TlsRpt;

// Fuzzes TlsRptRecord.Parse (RFC 8460 §3) with random TXT record sets, valid TLSRPTv1 records
// built from the grammar (rua with one to four mailto:/https: URIs and WSP around ',', extensions,
// WSP around ';', trailing ';'), mutated records, hostile rua values (other schemes, relative and
// malformed URIs, control characters) and 64 KiB records; also TlsRptResultTypes round trips.
// Properties: never throws and always explains itself; a valid record yields its URIs in order;
// whatever is accepted names at least one usable mailto: (with an address) or https: (with a host)
// URI and grammatical extensions; 64 KiB inputs finish within the time budget.
using CsCheck;
using DaneMtaSts.Engine.Reporting;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class TlsRptRecordFuzz(ITestOutputHelper output)
{
    private static readonly Gen<string> LocalPart = Gen.Char["abcxyzABC0189.-_+"].Array[1, 16].Select(a => new string(a))
        .Where(l => !l.StartsWith('.') && !l.EndsWith('.') && !l.Contains("..", StringComparison.Ordinal));

    private static readonly Gen<string> Mailto = Gen.Select(LocalPart, FuzzGen.HostName, Gen.Bool, (local, host, subject) =>
        "mailto:" + local + "@" + host + (subject ? "?subject=tlsrpt" : ""));

    private static readonly Gen<string> Https = Gen.Select(FuzzGen.HostName, Gen.Char["abc019/-_."].Array[0, 20], Gen.Bool, (host, path, query) =>
        "https://" + host + "/" + new string(path) + (query ? "?k=v" : ""));

    private static readonly Gen<string> ReportUri = Gen.OneOf(Mailto, Https);

    private sealed record ValidRecord(string Text, string[] Uris, Dictionary<string, string> Extensions);

    private static readonly Gen<ValidRecord> Valid = Gen.SelectMany(ReportUri.Array[1, 4], MtaStsTxtRecordFuzz.Extension.Array[0, 4], Gen.Int[0, 4], (uris, extensions, ruaAt) =>
        Gen.Select(MtaStsTxtRecordFuzz.Wsp.Array[(uris.Length * 2) + ((extensions.Length + 1) * 2)], Gen.Bool, (spaces, trailing) =>
        {
            int s = 0;
            var rua = new System.Text.StringBuilder("rua=");
            for (int i = 0; i < uris.Length; i++)
            {
                if (i > 0)
                {
                    rua.Append(spaces[s++]).Append(',').Append(spaces[s++]);
                }

                rua.Append(uris[i]);
            }

            var fields = extensions.Select(e => e.Name + "=" + e.Value).ToList();
            fields.Insert(Math.Min(ruaAt, fields.Count), rua.ToString());
            var text = new System.Text.StringBuilder("v=TLSRPTv1");
            foreach (string field in fields)
            {
                text.Append(spaces[s++]).Append(';').Append(spaces[s++]).Append(field);
            }

            if (trailing)
            {
                text.Append(';');
            }

            var expected = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in extensions)
            {
                expected.TryAdd(name, value);
            }

            return new ValidRecord(text.ToString(), uris, expected);
        }));

    private static readonly Gen<string> HostileRua = Gen.Select(
        Gen.OneOf(ReportUri, Gen.Const("mailto:"), Gen.Const("mailto:@x"), Gen.Const("https://"), Gen.Const("https:///p"), Gen.Const("http://h.example/"),
            Gen.Const("file:///etc/passwd"), Gen.Const("/relative"), Gen.Const("mailto:a@b@c"), Gen.Const("MAILTO:A@B.EXAMPLE"), Gen.Const("https://[::1]/"),
            Gen.Const("https://xn--/"), Gen.Const("https://\u00e9.example/"), FuzzGen.TrickyString),
        FuzzGen.TrickyString,
        (uri, tail) => "v=TLSRPTv1; rua=" + uri + tail);

    [Fact]
    public void Valid_records_are_accepted_with_their_uris_in_order()
    {
        var cases = new Support.CaseCounter(output, "TlsRptRecord valid");
        Valid.Check(valid =>
        {
            TlsRptRecord parsed = TlsRptRecord.Parse(["v=spf1 -all", valid.Text]);
            Assert.True(parsed.IsValid, parsed.Diagnosis);
            cases.Hit("accepted");
            if (valid.Uris.Length > 1)
            {
                cases.Hit("accepted with several URIs");
            }

            Assert.Equal(1, parsed.TlsRptRecordCount);
            Assert.Equal(valid.Uris, parsed.ReportUris.Select(u => u.OriginalString));
            Assert.Equal(valid.Extensions, parsed.Extensions);
            Assert.Empty(parsed.Warnings);
            Assert.False(TlsRptRecord.Parse([valid.Text, valid.Text]).IsValid);
        }, output, "TlsRptRecord valid", reach: new FuzzReach(cases, 0.3, ["accepted", "accepted with several URIs"]));
    }

    [Fact]
    public void Random_mutated_and_hostile_records_never_throw_and_accepted_ones_are_usable()
    {
        var cases = new Support.CaseCounter(output, "TlsRptRecord mutated");
        Gen.OneOf(FuzzGen.AnyString, FuzzGen.Mutated(Valid.Select(v => v.Text)), HostileRua).Check(text =>
        {
            TlsRptRecord parsed = FuzzRun.Timed(() => TlsRptRecord.Parse([text]));
            AssertConsistent(parsed, [text], cases);
        }, output, "TlsRptRecord mutated", reach: new FuzzReach(cases, 0.02, ["accepted", "a TLSRPTv1 record rejected", "no TLSRPTv1 record"]));
    }

    [Fact]
    public void Record_sets_of_random_strings_never_throw()
    {
        var cases = new Support.CaseCounter(output, "TlsRptRecord random sets");
        // Some strings start as the record does, so that the parser reads past the version tag too.
        Gen.OneOf(FuzzGen.AnyString, FuzzGen.AnyString.Select(s => "v=TLSRPTv1;" + s)).Array[0, 4].Check(records =>
        {
            TlsRptRecord parsed = FuzzRun.Timed(() => TlsRptRecord.Parse(records));
            AssertConsistent(parsed, records, cases);
        }, output, "TlsRptRecord random sets", reach: new FuzzReach(cases, 0.05, ["a TLSRPTv1 record rejected", "no TLSRPTv1 record"]));
    }

    [Fact]
    public void Records_of_64_KiB_finish_within_the_budget()
    {
        var cases = new Support.CaseCounter(output, "TlsRptRecord 64 KiB");
        var huge = Gen.Select(Gen.OneOf(ReportUri.Select(u => "," + u), FuzzGen.TrickyString, Gen.Const(",")), Gen.Int[32 * 1024, 64 * 1024], (unit, size) =>
        {
            var sb = new System.Text.StringBuilder("v=TLSRPTv1; rua=mailto:a@b.example", size + 100);
            FuzzGen.FillTo(sb, [unit], size);

            return sb.ToString();
        });
        huge.Check(text =>
        {
            TlsRptRecord parsed = FuzzRun.WithinBudget(() => TlsRptRecord.Parse([text]));
            AssertConsistent(parsed, [text], cases);
        }, output, "TlsRptRecord 64 KiB", FuzzRun.LargeIterations, reach: new FuzzReach(cases, 0.05, ["a TLSRPTv1 record rejected"]));
    }

    [Fact]
    public void Result_type_strings_round_trip_and_other_strings_are_refused()
    {
        var cases = new Support.CaseCounter(output, "TlsRptResultTypes");
        // Random strings, and the RFC 8460 strings themselves (a random string is never one).
        var texts = Gen.OneOf(FuzzGen.AnyString, Gen.Enum<TlsRptResultType>().Select(t => t.ToRfcString()));
        Gen.Select(Gen.Enum<TlsRptResultType>(), texts).Check((type, text) =>
        {
            string rfc = type.ToRfcString();
            Assert.True(TlsRptResultTypes.TryParse(rfc, out TlsRptResultType? back));
            Assert.Equal(type, back);
            Assert.False(TlsRptResultTypes.TryParse(rfc.ToUpperInvariant(), out _));
            if (TlsRptResultTypes.TryParse(text, out TlsRptResultType? parsed))
            {
                Assert.Equal(text, parsed!.Value.ToRfcString());
                cases.Hit("a string parsed");
            }
            else
            {
                var ex = Assert.Throws<EngineException>(() => TlsRptResultTypes.Parse(text));
                Assert.Equal("InvalidTlsRptResultType", ex.ErrorId);
                cases.Hit("a string refused with the typed error");
            }
        }, output, "TlsRptResultTypes", reach: new FuzzReach(cases, 0.2, ["a string parsed", "a string refused with the typed error"]));
    }

    private static void AssertConsistent(TlsRptRecord parsed, IReadOnlyList<string> records, Support.CaseCounter cases)
    {
        Assert.False(string.IsNullOrWhiteSpace(parsed.Diagnosis));
        if (!parsed.IsValid)
        {
            Assert.Empty(parsed.ReportUris);
            cases.Hit(parsed.TlsRptRecordCount > 0 ? "a TLSRPTv1 record rejected" : "no TLSRPTv1 record");
            return;
        }

        cases.Hit("accepted");

        Assert.Equal(1, parsed.TlsRptRecordCount);
        Assert.Contains(parsed.RecordText, records);
        Assert.NotEmpty(parsed.ReportUris);
        Assert.All(parsed.ReportUris, uri =>
        {
            Assert.True(uri.IsAbsoluteUri);
            if (uri.Scheme == Uri.UriSchemeMailto)
            {
                Assert.Contains('@', uri.OriginalString);
            }
            else
            {
                Assert.Equal(Uri.UriSchemeHttps, uri.Scheme);
                Assert.False(string.IsNullOrEmpty(uri.Host));
            }

            Assert.DoesNotContain(uri.OriginalString, c => c <= ' ' || c == '\x7f' || c == ';' || c == ',');
        });
        Assert.All(parsed.Extensions, e =>
        {
            Assert.True(TagValueList.IsExtensionName(e.Key), e.Key);
            Assert.True(TagValueList.IsExtensionValue(e.Value), e.Value);
        });
    }
}
