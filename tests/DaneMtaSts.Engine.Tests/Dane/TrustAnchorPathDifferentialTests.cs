using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using DaneMtaSts.Engine.Dane;
using DaneMtaSts.Engine.Tests.Support;
using Org.BouncyCastle.Pkix;
using Org.BouncyCastle.Utilities.Collections;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Store;
using Xunit.Abstractions;
using BcAnchor = Org.BouncyCastle.Pkix.TrustAnchor;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;
using OurAnchor = DaneMtaSts.Engine.Dane.TrustAnchor;

namespace DaneMtaSts.Engine.Tests.Dane;

/// <summary>
/// docs/verdicts.md#dane-ta-path: the DANE-TA path builder against BouncyCastle's RFC 5280
/// <see cref="PkixCertPathBuilder"/> over generated chains (orders, padding, cross-signs,
/// constraints); they must agree on every chain, and every kind of chain must be reached.
/// </summary>
/// <remarks>
/// The chains stay where the two are meant to agree: the anchor's own extensions are not varied
/// (RFC 5280 does not process a trust anchor's extensions and BouncyCastle does not; this builder,
/// like OpenSSL, also holds a served anchor to its CA flag, path length, name constraints and
/// critical extensions, which DaneTrustAnchorTests check on their own), EKUs are those of a
/// server (BouncyCastle does not check the serverAuth purpose), and every leaf has a DNS name in
/// its subjectAltName (for a leaf without one this builder, like OpenSSL, checks the CN against
/// dNSName constraints; RFC 5280 does not).
/// </remarks>
public sealed class TrustAnchorPathDifferentialTests(ITestOutputHelper output)
{
    private const string Mx = "mx.example.test";
    private const string UnknownCriticalOid = "1.3.6.1.4.1.55555.1.1";
    private static readonly DateTimeOffset AsOf = DateTimeOffset.UtcNow;

    private delegate Case Build(Random random, int round);

    private sealed record Case(string Kind, IReadOnlyList<X509Certificate2> Served, X509Certificate2 Anchor);

    private static readonly (string Kind, Build Build)[] Kinds =
    [
        ("ordered", (r, _) => Ordered(r, shuffle: false)),
        ("shuffled", (r, _) => Ordered(r, shuffle: true)),
        ("padded with unrelated certificates", (r, _) => Padded(r)),
        ("padded with a same-name impostor", Impostor),
        ("cross-signed, both issuers served", (r, _) => CrossSigned(r, serveOriginal: true)),
        ("cross-signed, only the untrusted issuer served", (r, _) => CrossSigned(r, serveOriginal: false)),
        ("name constraints", Constrained),
        ("path length", PathLength),
        ("intermediate that is not a CA", (r, _) => NotCa(r)),
        ("unknown critical extension", (r, round) => UnknownCritical(r, round)),
        ("expired certificate below the anchor", Expired),
        ("anchor is an intermediate", (r, _) => IntermediateAnchor(r)),
    ];

    [Fact]
    public void Agrees_with_bouncycastle_on_every_generated_chain()
    {
        var random = new Random(20261202);
        var reached = new Dictionary<string, (int Valid, int Invalid)>(StringComparer.Ordinal);
        var disagreements = new List<string>();
        const int PerKind = 12;
        for (int round = 0; round < PerKind; round++)
        {
            foreach (var (kind, build) in Kinds)
            {
                Case c = build(random, round);
                bool ours = OursAccepts(c, out string? ourReason);
                bool theirs = BouncyCastleAccepts(c, out string? theirReason);
                if (ours != theirs)
                {
                    disagreements.Add($"{kind} (round {round}): ours {(ours ? "valid" : $"invalid ({ourReason})")}, BouncyCastle {(theirs ? "valid" : $"invalid ({theirReason})")}; served: {string.Join(" | ", c.Served.Select(s => s.Subject + " <- " + s.Issuer))}");
                }

                var (valid, invalid) = reached.GetValueOrDefault(kind);
                reached[kind] = ours ? (valid + 1, invalid) : (valid, invalid + 1);
            }
        }

        foreach (var (kind, (valid, invalid)) in reached)
        {
            output.WriteLine($"{kind}: {valid} valid, {invalid} invalid");
        }

        Assert.True(disagreements.Count == 0, string.Join(Environment.NewLine, disagreements));
        Assert.Equal(Kinds.Length, reached.Count);
        Assert.All(reached, k => Assert.Equal(PerKind, k.Value.Valid + k.Value.Invalid));

        // The kinds that vary a constraint reach both sides of it.
        foreach (string kind in new[] { "name constraints", "path length", "padded with a same-name impostor", "expired certificate below the anchor" })
        {
            Assert.True(reached[kind].Valid >= 2 && reached[kind].Invalid >= 2, $"{kind}: {reached[kind].Valid} valid, {reached[kind].Invalid} invalid");
        }

        Assert.Equal(0, reached["cross-signed, only the untrusted issuer served"].Valid);
        Assert.Equal(0, reached["intermediate that is not a CA"].Valid);
        Assert.Equal(0, reached["unknown critical extension"].Valid);
        Assert.Equal(PerKind, reached["shuffled"].Valid);
    }

    [Fact]
    public void An_issuer_name_that_differs_only_in_case_is_not_the_issuer()
    {
        var root = Root("Root For Case");
        var ca = Ca(root, "Case CA");
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={Mx}", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(Mx);
        request.CertificateExtensions.Add(san.Build());
        using var caKey = ca.GetECDsaPrivateKey()!;
        byte[] serial = [0x01, 0x02, 0x03];
        using var leaf = request.Create(new X500DistinguishedName("CN=case ca"), X509SignatureGenerator.CreateForECDsa(caKey), AsOf.AddDays(-1), AsOf.AddDays(30), serial);

        bool ours = OursAccepts(new Case("case", [leaf, ca, root], root), out string? reason);

        // Signed by the CA's key, but its issuer field names 'CN=case ca', not the CA's 'CN=Case CA'.
        Assert.False(ours);
        Assert.Contains("no served certificate is named 'CN=case ca'", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CN=mx.example.test, O=Lab", true)]
    [InlineData("CN=mx.example.test, O=Other", false)]
    public void A_directory_name_constraint_binds_the_subject(string leafSubject, bool accepted)
    {
        var constraintName = new X500DistinguishedName("O=Lab");
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
        using (writer.PushSequence())
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
        {
            writer.WriteEncodedValue(constraintName.RawData);
        }

        var root = Root("Root For Directory Names");
        var ca = Ca(root, "Directory CA", new TestCertificateOptions { ExtraExtensions = [new X509Extension("2.5.29.30", writer.Encode(), critical: true)] });
        var leaf = TestPki.CreateCertificate(ca, leafSubject, new TestCertificateOptions { DnsNames = [Mx] });
        var served = new Case("directory", [leaf, ca, root], root);

        Assert.Equal(accepted, OursAccepts(served, out string? reason));
        Assert.Equal(accepted, BouncyCastleAccepts(served, out _));
        if (!accepted)
        {
            Assert.Contains("the subject is outside the permitted subtrees", reason, StringComparison.Ordinal);
        }
    }

    private static bool OursAccepts(Case c, out string? reason)
    {
        var builder = new TrustAnchorPathBuilder(c.Served, AsOf);
        int index = -1;
        for (int i = 1; i < c.Served.Count; i++)
        {
            if (c.Served[i].RawData.AsSpan().SequenceEqual(c.Anchor.RawData))
            {
                index = i;
                break;
            }
        }

        PathOutcome outcome = builder.FindPath(new OurAnchor { ChainIndex = index, Certificate = c.Anchor });
        reason = outcome.FailureReason ?? (outcome.OutOfValidityIndex >= 0 ? $"certificate {outcome.OutOfValidityIndex} is outside its validity" : null);
        return outcome.Found && outcome.OutOfValidityIndex < 0;
    }

    private static bool BouncyCastleAccepts(Case c, out string? reason)
    {
        var parser = new X509CertificateParser();
        List<BcCertificate> served = [.. c.Served.Select(s => parser.ReadCertificate(s.RawData))];
        BcCertificate anchor = parser.ReadCertificate(c.Anchor.RawData);
        var target = new X509CertStoreSelector { Certificate = served[0] };
        var parameters = new PkixBuilderParameters(new HashSet<BcAnchor> { new(anchor, null) }, target)
        {
            IsRevocationEnabled = false,
            Date = AsOf.UtcDateTime,
            MaxPathLength = TrustAnchorPathBuilder.MaxIntermediates + 1,
        };
        parameters.AddStoreCert(CollectionUtilities.CreateStore(served));
        try
        {
            new PkixCertPathBuilder().Build(parameters);
            reason = null;
            return true;
        }
        catch (PkixCertPathBuilderException ex)
        {
            reason = ex.InnerException?.Message ?? ex.Message;
            return false;
        }
    }

    // ---- the kinds of chain ----

    private static X509Certificate2 Root(string name) => TestPki.CreateCertificate(null, name, new TestCertificateOptions { IsCa = true });

    private static X509Certificate2 Ca(X509Certificate2 issuer, string name, TestCertificateOptions? options = null) =>
        TestPki.CreateCertificate(issuer, name, (options ?? new TestCertificateOptions()) with { IsCa = true });

    private static X509Certificate2 Leaf(X509Certificate2 issuer, TestCertificateOptions? options = null) =>
        TestPki.CreateCertificate(issuer, Mx, (options ?? new TestCertificateOptions()) with { DnsNames = [Mx] });

    private static string Unique(Random r, string what) => $"{what} {r.Next(1_000_000)}";

    private static List<X509Certificate2> Shuffled(Random r, X509Certificate2 leaf, IEnumerable<X509Certificate2> rest)
    {
        List<X509Certificate2> others = [.. rest];
        for (int i = others.Count - 1; i > 0; i--)
        {
            int j = r.Next(i + 1);
            (others[i], others[j]) = (others[j], others[i]);
        }

        return [leaf, .. others];
    }

    private static Case Ordered(Random r, bool shuffle)
    {
        var root = Root(Unique(r, "Root"));
        int depth = r.Next(1, 4);
        var cas = new List<X509Certificate2>();
        X509Certificate2 issuer = root;
        for (int i = 0; i < depth; i++)
        {
            issuer = Ca(issuer, Unique(r, "Intermediate"));
            cas.Add(issuer);
        }

        var leaf = Leaf(issuer);
        cas.Reverse();
        List<X509Certificate2> served = shuffle ? Shuffled(r, leaf, [.. cas, root]) : [leaf, .. cas, root];
        return new Case(shuffle ? "shuffled" : "ordered", served, root);
    }

    private static Case Padded(Random r)
    {
        var root = Root(Unique(r, "Root"));
        var intermediate = Ca(root, Unique(r, "Intermediate"));
        var leaf = Leaf(intermediate);
        var strangerRoot = Root(Unique(r, "Stranger Root"));
        var stranger = Ca(strangerRoot, Unique(r, "Stranger CA"));
        X509Certificate2[] padding = r.Next(2) == 0 ? [stranger, strangerRoot] : [stranger, Leaf(stranger)];
        return new Case("padded", Shuffled(r, leaf, [intermediate, root, .. padding]), root);
    }

    private static Case Impostor(Random r, int round)
    {
        // A certificate with the intermediate's name but another key: only the real one's signature verifies.
        var root = Root(Unique(r, "Root"));
        string name = Unique(r, "Intermediate");
        var real = Ca(root, name);
        var impostor = Ca(root, name);
        bool leafFromImpostor = round % 3 != 0;
        var leaf = Leaf(leafFromImpostor ? impostor : real);
        bool serveReal = round % 3 != 2;
        X509Certificate2[] rest = serveReal ? [impostor, real, root] : [impostor, root];
        if (leafFromImpostor)
        {
            // The impostor's own issuer is the root too, so the path is valid: make it one the root did not sign.
            var other = Root(Unique(r, "Other Root"));
            var otherImpostor = Ca(other, name, new TestCertificateOptions { ReuseKeyOf = impostor });
            rest = serveReal ? [otherImpostor, real, root] : [otherImpostor, root];
        }

        return new Case("impostor", Shuffled(r, leaf, rest), root);
    }

    private static Case CrossSigned(Random r, bool serveOriginal)
    {
        // The same CA (name and key) issued twice: by the anchor, and by a root nobody trusts.
        var root = Root(Unique(r, "Root"));
        var untrusted = Root(Unique(r, "Untrusted Root"));
        string name = Unique(r, "Cross CA");
        var original = Ca(root, name);
        var cross = Ca(untrusted, name, new TestCertificateOptions { ReuseKeyOf = original });
        var leaf = Leaf(r.Next(2) == 0 ? original : cross);
        X509Certificate2[] rest = serveOriginal ? [cross, original, untrusted] : [cross, untrusted];
        return new Case("cross", Shuffled(r, leaf, [.. rest, root]), root);
    }

    private static X509Extension NameConstraints(string[] permitted, string[] excluded)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var (names, tag) in new[] { (permitted, 0), (excluded, 1) })
            {
                if (names.Length == 0)
                {
                    continue;
                }

                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, tag, isConstructed: true)))
                {
                    foreach (string name in names)
                    {
                        using (writer.PushSequence())
                        {
                            writer.WriteCharacterString(UniversalTagNumber.IA5String, name, new Asn1Tag(TagClass.ContextSpecific, 2));
                        }
                    }
                }
            }
        }

        return new X509Extension("2.5.29.30", writer.Encode(), critical: true);
    }

    private static Case Constrained(Random r, int round)
    {
        string[] inside = ["example.test", "mx.example.test", "test"];
        string[] outside = ["other.test", "example.net", "sub.mx.example.test", "ample.test"];
        string Pick(string[] from) => from[r.Next(from.Length)];
        X509Extension constraint = (round % 4) switch
        {
            0 => NameConstraints([Pick(inside)], []),
            1 => NameConstraints([Pick(outside)], []),
            2 => NameConstraints([], [Pick(inside)]),
            _ => NameConstraints([Pick(outside)], [Pick(outside)]),
        };
        var root = Root(Unique(r, "Root"));
        bool onUpper = round / 4 % 2 == 0;
        var upper = Ca(root, Unique(r, "Upper CA"), new TestCertificateOptions { ExtraExtensions = onUpper ? [constraint] : [] });
        var lower = Ca(upper, Unique(r, "Lower CA"), new TestCertificateOptions { ExtraExtensions = onUpper ? [] : [constraint] });
        var leaf = Leaf(lower);
        return new Case("constrained", Shuffled(r, leaf, [lower, upper, root]), root);
    }

    private static Case PathLength(Random r, int round)
    {
        // upper (pathLen n) → middle → lower → leaf: two intermediates below upper.
        int pathLength = round % 3;
        var root = Root(Unique(r, "Root"));
        var upper = Ca(root, Unique(r, "Upper CA"), new TestCertificateOptions { PathLength = pathLength });
        var middle = Ca(upper, Unique(r, "Middle CA"));
        var lower = Ca(middle, Unique(r, "Lower CA"));
        var leaf = Leaf(lower);
        return new Case("pathlen", Shuffled(r, leaf, [lower, middle, upper, root]), root);
    }

    private static Case NotCa(Random r)
    {
        var root = Root(Unique(r, "Root"));
        var intermediate = TestPki.CreateCertificate(root, Unique(r, "Not a CA"), new TestCertificateOptions { IsCa = false, KeyUsage = X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, ExtendedKeyUsages = [] });
        var leaf = Leaf(intermediate);
        return new Case("not-ca", Shuffled(r, leaf, [intermediate, root]), root);
    }

    private static Case UnknownCritical(Random r, int round)
    {
        var critical = new X509Extension(UnknownCriticalOid, [0x05, 0x00], critical: true);
        var root = Root(Unique(r, "Root"));
        bool onLeaf = round % 2 == 0;
        var intermediate = Ca(root, Unique(r, "Intermediate"), new TestCertificateOptions { ExtraExtensions = onLeaf ? [] : [critical] });
        var leaf = Leaf(intermediate, new TestCertificateOptions { ExtraExtensions = onLeaf ? [critical] : [] });
        return new Case("critical", Shuffled(r, leaf, [intermediate, root]), root);
    }

    private static Case Expired(Random r, int round)
    {
        var expired = new TestCertificateOptions { NotBefore = AsOf.AddYears(-3), NotAfter = AsOf.AddYears(-1) };
        var notYet = new TestCertificateOptions { NotBefore = AsOf.AddYears(1), NotAfter = AsOf.AddYears(2) };
        var root = Root(Unique(r, "Root"));
        int which = round % 4;
        var intermediate = Ca(root, Unique(r, "Intermediate"), which == 0 ? expired : which == 1 ? notYet : null);
        var leaf = Leaf(intermediate, which == 2 ? expired : null);
        return new Case("expired", Shuffled(r, leaf, [intermediate, root]), root);
    }

    private static Case IntermediateAnchor(Random r)
    {
        // A "2 x x" record for the intermediate: the root above it does not matter, even when it is not served.
        var root = Root(Unique(r, "Root"));
        var intermediate = Ca(root, Unique(r, "Intermediate"));
        var leaf = Leaf(intermediate);
        return new Case("intermediate-anchor", r.Next(2) == 0 ? [leaf, intermediate] : Shuffled(r, leaf, [intermediate, root]), intermediate);
    }
}
