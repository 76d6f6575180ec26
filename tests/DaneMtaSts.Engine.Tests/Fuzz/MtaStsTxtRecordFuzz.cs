// Fuzzes MtaStsTxtRecord.Parse (RFC 8461 §3.1) with random TXT record sets, valid STSv1 records
// built from the grammar (id anywhere, extensions, WSP around ';', optional trailing ';', other
// TXT records around it), the same records with one to three mutations, and 64 KiB records.
// Properties: never throws and always explains itself; a valid generated record is accepted with
// its id and first-wins extensions; two STSv1 records are never valid; whatever is accepted obeys
// the grammar (id 1..32 alnum, extension names/values in their character sets); 64 KiB inputs
// finish within the time budget.
using CsCheck;
using DaneMtaSts.Engine.MtaSts;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class MtaStsTxtRecordFuzz(ITestOutputHelper output)
{
    internal static readonly Gen<string> Wsp = Gen.Char[" \t"].Array[0, 3].Select(a => new string(a));

    internal static readonly Gen<string> ExtensionName = Gen.Select(FuzzGen.Alnum, Gen.Char["abzAZ09_-."].Array[0, 31], (first, rest) => first + new string(rest))
        .Where(n => n is not "id" and not "rua");

    // %x21-3A / %x3C / %x3E-7E
    internal static readonly Gen<string> ExtensionValue = Gen.OneOf(Gen.Char['\x21', '\x3a'], Gen.Const('\x3c'), Gen.Char['\x3e', '\x7e']).Array[1, 20].Select(a => new string(a));

    internal static readonly Gen<(string Name, string Value)> Extension = Gen.Select(ExtensionName, ExtensionValue, (n, v) => (n, v));

    private static readonly Gen<string> Id = FuzzGen.Alnum.Array[1, 32].Select(a => new string(a));

    private static readonly Gen<string> OtherTxt = Gen.OneOf(
        Gen.Const("v=spf1 -all"),
        Gen.Const("v=STSv10; id=1"),
        Gen.Const("v=stsv1; id=1"),
        Gen.Const(" v=STSv1; id=1"),
        FuzzGen.AnyString).Where(s => !MtaStsTxtRecord.IsStsRecord(s));

    private sealed record ValidRecord(string Text, string Id, Dictionary<string, string> Extensions, string[] Others);

    private static readonly Gen<ValidRecord> Valid = Gen.SelectMany(Id, Extension.Array[0, 5], Gen.Int[0, 5], (id, extensions, idAt) =>
        Gen.Select(Wsp.Array[(extensions.Length + 1) * 2], Gen.Bool, OtherTxt.Array[0, 3], (spaces, trailing, others) =>
        {
            var fields = extensions.Select(e => e.Name + "=" + e.Value).ToList();
            fields.Insert(Math.Min(idAt, fields.Count), "id=" + id);
            var text = new System.Text.StringBuilder("v=STSv1");
            for (int i = 0; i < fields.Count; i++)
            {
                text.Append(spaces[2 * i]).Append(';').Append(spaces[(2 * i) + 1]).Append(fields[i]);
            }

            if (trailing)
            {
                text.Append(spaces[^1]).Append(';');
            }

            var expected = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in extensions)
            {
                expected.TryAdd(name, value);
            }

            return new ValidRecord(text.ToString(), id, expected, others);
        }));

    [Fact]
    public void Valid_records_are_accepted_with_their_id_and_extensions()
    {
        var cases = new Support.CaseCounter(output, "MtaStsTxtRecord valid");
        Gen.Select(Valid, Gen.Int[0, 3]).Check((valid, at) =>
        {
            var records = valid.Others.ToList();
            records.Insert(Math.Min(at, records.Count), valid.Text);
            MtaStsTxtRecord parsed = MtaStsTxtRecord.Parse(records);
            Assert.True(parsed.IsValid, parsed.Diagnosis);
            Assert.Equal(valid.Id, parsed.Id);
            Assert.Equal(1, parsed.StsRecordCount);
            Assert.Equal(valid.Text, parsed.RecordText);
            Assert.Equal(valid.Extensions, parsed.Extensions);
            cases.Hit("accepted");
            if (valid.Others.Length > 0)
            {
                cases.Hit("accepted among other TXT records");
            }

            if (valid.Extensions.Count > 0)
            {
                cases.Hit("accepted with extensions");
            }

            // The same record published twice is "more than one": no policy (RFC 8461 §3.1).
            records.Add(valid.Text);
            MtaStsTxtRecord twice = MtaStsTxtRecord.Parse(records);
            Assert.False(twice.IsValid);
            Assert.Equal(2, twice.StsRecordCount);
        }, output, "MtaStsTxtRecord valid", reach: new FuzzReach(cases, 0.3, ["accepted", "accepted among other TXT records", "accepted with extensions"]));
    }

    [Fact]
    public void Random_and_mutated_records_never_throw_and_accepted_ones_obey_the_grammar()
    {
        var cases = new Support.CaseCounter(output, "MtaStsTxtRecord mutated");
        var record = Gen.OneOf(FuzzGen.AnyString, FuzzGen.Mutated(Valid.Select(v => v.Text)), FuzzGen.TrickyString.Select(s => "v=STSv1;" + s));
        Gen.Select(record, OtherTxt.Array[0, 2]).Check((text, others) =>
        {
            string[] records = [.. others, text];
            MtaStsTxtRecord parsed = FuzzRun.Timed(() => MtaStsTxtRecord.Parse(records));
            AssertConsistent(parsed, records, cases);
        }, output, "MtaStsTxtRecord mutated", reach: new FuzzReach(cases, 0.02, ["accepted", "an STSv1 record rejected", "no STSv1 record"]));
    }

    [Fact]
    public void Record_sets_of_random_strings_never_throw()
    {
        var cases = new Support.CaseCounter(output, "MtaStsTxtRecord random sets");
        // Some strings start as the record does, so that the parser reads past the version tag too.
        Gen.OneOf(FuzzGen.AnyString, FuzzGen.AnyString.Select(s => "v=STSv1;" + s)).Array[0, 4].Check(records =>
        {
            MtaStsTxtRecord parsed = FuzzRun.Timed(() => MtaStsTxtRecord.Parse(records));
            AssertConsistent(parsed, records, cases);
        }, output, "MtaStsTxtRecord random sets", reach: new FuzzReach(cases, 0.05, ["an STSv1 record rejected", "no STSv1 record"]));
    }

    [Fact]
    public void Records_of_64_KiB_finish_within_the_budget()
    {
        var cases = new Support.CaseCounter(output, "MtaStsTxtRecord 64 KiB");
        var huge = Gen.Select(Gen.OneOf(Valid.Select(v => v.Text), FuzzGen.TrickyString, Gen.Const(";"), Gen.Const("; x=y")), Gen.Int[32 * 1024, 64 * 1024], (unit, size) =>
        {
            var sb = new System.Text.StringBuilder("v=STSv1; id=abc", size + 100);
            FuzzGen.FillTo(sb, [unit], size);

            return sb.ToString();
        });
        huge.Check(text =>
        {
            MtaStsTxtRecord parsed = FuzzRun.WithinBudget(() => MtaStsTxtRecord.Parse([text]));
            AssertConsistent(parsed, [text], cases);
        }, output, "MtaStsTxtRecord 64 KiB", FuzzRun.LargeIterations, reach: new FuzzReach(cases, 0.05, ["an STSv1 record rejected"]));
    }

    private static void AssertConsistent(MtaStsTxtRecord parsed, IReadOnlyList<string> records, Support.CaseCounter cases)
    {
        Assert.False(string.IsNullOrWhiteSpace(parsed.Diagnosis));
        Assert.Equal(records.Count(MtaStsTxtRecord.IsStsRecord), parsed.StsRecordCount);
        if (!parsed.IsValid)
        {
            Assert.Null(parsed.Id);
            cases.Hit(parsed.StsRecordCount > 0 ? "an STSv1 record rejected" : "no STSv1 record");
            return;
        }

        cases.Hit("accepted");

        Assert.Equal(1, parsed.StsRecordCount);
        Assert.Contains(parsed.RecordText, records);
        Assert.StartsWith("v=STSv1", parsed.RecordText, StringComparison.Ordinal);
        Assert.NotNull(parsed.Id);
        Assert.InRange(parsed.Id.Length, 1, 32);
        Assert.All(parsed.Id, c => Assert.True(char.IsAsciiLetterOrDigit(c)));
        Assert.All(parsed.Extensions, e =>
        {
            Assert.True(TagValueList.IsExtensionName(e.Key), e.Key);
            Assert.True(TagValueList.IsExtensionValue(e.Value), e.Value);
        });
    }
}
