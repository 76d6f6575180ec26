using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DaneMtaSts.Engine.Dane;

/// <summary>
/// The parts of RFC 5280 path validation that DANE-TA path building adds to signatures and
/// basicConstraints (docs/verdicts.md#dane-ta-path): critical extensions the validator does not
/// implement break the path (§4.2), and name constraints of the CA certificates on the path bind
/// the names of the certificates below them (§4.2.1.10, §6.1.3 (b)).
/// </summary>
/// <remarks>
/// Name constraints are honoured for dNSName (SAN DNS names; the subject CN of a leaf with no DNS
/// name at all, as OpenSSL does, since that CN is what the DANE-TA name check would use),
/// iPAddress (SAN addresses) and directoryName (the subject). A constraint of another type
/// (rfc822Name, URI, otherName, ...) restricts only names of its type: a certificate below it
/// that carries such a name fails closed, one without is unaffected. Minimum and maximum base
/// distances other than the default are not defined for the Internet PKI and fail closed.
/// </remarks>
internal static class PathConstraints
{
    private const string BasicConstraintsOid = "2.5.29.19";
    private const string KeyUsageOid = "2.5.29.15";
    private const string ExtendedKeyUsageOid = "2.5.29.37";
    private const string SubjectAltNameOid = "2.5.29.17";
    private const string NameConstraintsOid = "2.5.29.30";
    private const string SubjectKeyIdentifierOid = "2.5.29.14";
    private const string AuthorityKeyIdentifierOid = "2.5.29.35";

    // The extensions the path builder reads and enforces. Anything else marked critical (for
    // example certificatePolicies or policyConstraints, which this validator does not process)
    // makes the certificate unusable on a path (RFC 5280 §4.2: "MUST reject").
    private static readonly HashSet<string> Implemented = new(StringComparer.Ordinal)
    {
        BasicConstraintsOid, KeyUsageOid, ExtendedKeyUsageOid, SubjectAltNameOid, NameConstraintsOid, SubjectKeyIdentifierOid, AuthorityKeyIdentifierOid,
    };

    private static readonly Asn1Tag DnsNameTag = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag IpAddressTag = new(TagClass.ContextSpecific, 7);
    private static readonly Asn1Tag DirectoryNameTag = new(TagClass.ContextSpecific, 4, isConstructed: true);

    /// <summary>The first critical extension of <paramref name="certificate"/> the validator does not implement, or null.</summary>
    public static string? UnknownCriticalExtension(X509Certificate2 certificate)
    {
        foreach (X509Extension ext in certificate.Extensions)
        {
            if (ext.Critical && !Implemented.Contains(ext.Oid?.Value ?? ""))
            {
                return ext.Oid?.Value ?? "(no OID)";
            }
        }

        return null;
    }

    /// <summary>
    /// Checks the name constraints of every CA on <paramref name="path"/> (leaf first; the last
    /// entry may be the served anchor) against the certificates below it; null when all hold.
    /// </summary>
    public static string? NameConstraintViolation(IReadOnlyList<X509Certificate2> path, X509Certificate2? externalAnchor)
    {
        int count = path.Count + (externalAnchor is null ? 0 : 1);
        for (int ca = 1; ca < count; ca++)
        {
            X509Certificate2 constraining = ca < path.Count ? path[ca] : externalAnchor!;
            NameConstraints? constraints;
            try
            {
                constraints = NameConstraints.Read(constraining);
            }
            catch (Exception ex) when (ex is AsnContentException or CryptographicException)
            {
                return $"the name constraints of '{constraining.Subject}' are malformed";
            }

            if (constraints is null)
            {
                continue;
            }

            for (int below = 0; below < ca; below++)
            {
                X509Certificate2 subject = path[below];

                // §6.1.3 (b): self-issued intermediates are not bound by name constraints; the leaf always is.
                if (below > 0 && subject.SubjectName.RawData.AsSpan().SequenceEqual(subject.IssuerName.RawData))
                {
                    continue;
                }

                string? problem;
                try
                {
                    problem = constraints.Check(subject, isLeaf: below == 0);
                }
                catch (Exception ex) when (ex is AsnContentException or CryptographicException)
                {
                    problem = "its subjectAltName is malformed";
                }

                if (problem is not null)
                {
                    return $"'{subject.Subject}' breaks the name constraints of '{constraining.Subject}': {problem}";
                }
            }
        }

        return null;
    }

    /// <summary>The permitted and excluded subtrees of one CA certificate.</summary>
    private sealed class NameConstraints
    {
        private readonly List<(Asn1Tag Tag, byte[] Value)> permitted = [];
        private readonly List<(Asn1Tag Tag, byte[] Value)> excluded = [];

        public static NameConstraints? Read(X509Certificate2 certificate)
        {
            X509Extension? ext = certificate.Extensions[NameConstraintsOid];
            if (ext is null)
            {
                return null;
            }

            // NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
            //                                excludedSubtrees  [1] GeneralSubtrees OPTIONAL }
            var result = new NameConstraints();
            var reader = new AsnReader(ext.RawData, AsnEncodingRules.DER);
            AsnReader sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                ReadSubtrees(sequence.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)), result.permitted);
            }

            if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
            {
                ReadSubtrees(sequence.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1)), result.excluded);
            }

            sequence.ThrowIfNotEmpty();
            if (result.permitted.Count == 0 && result.excluded.Count == 0)
            {
                // RFC 5280: "either the permittedSubtrees field or the excludedSubtrees MUST be present".
                throw new AsnContentException("empty name constraints");
            }

            return result;
        }

        private static void ReadSubtrees(AsnReader subtrees, List<(Asn1Tag, byte[])> into)
        {
            // GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL }
            while (subtrees.HasData)
            {
                AsnReader subtree = subtrees.ReadSequence();
                Asn1Tag tag = subtree.PeekTag();
                byte[] value = subtree.ReadEncodedValue().ToArray();
                if (subtree.HasData)
                {
                    throw new AsnContentException("a base distance other than the default");
                }

                into.Add((tag, value));
            }
        }

        public string? Check(X509Certificate2 certificate, bool isLeaf)
        {
            List<(Asn1Tag Tag, byte[] Value)> names = SubjectAltNames(certificate);
            var dnsNames = names.Where(n => n.Tag.HasSameClassAndValue(DnsNameTag)).Select(n => ReadIa5(n.Value)).ToList();
            if (isLeaf && dnsNames.Count == 0 && certificate.GetNameInfo(X509NameType.SimpleName, false) is { Length: > 0 } cn && cn.Contains('.', StringComparison.Ordinal))
            {
                dnsNames.Add(cn);
            }

            foreach (string dns in dnsNames)
            {
                if (Violates(DnsNameTag, c => DnsWithin(dns, ReadIa5(c))) is { } problem)
                {
                    return $"the DNS name {dns} is {problem}";
                }
            }

            foreach (var (_, value) in names.Where(n => n.Tag.HasSameClassAndValue(IpAddressTag)))
            {
                byte[] address = ReadOctets(value, IpAddressTag);
                if (Violates(IpAddressTag, c => IpWithin(address, ReadOctets(c, IpAddressTag))) is { } problem)
                {
                    return $"the address {new System.Net.IPAddress(address)} is {problem}";
                }
            }

            byte[] subject = certificate.SubjectName.RawData;
            if (!IsEmptyName(subject) && Violates(DirectoryNameTag, c => DirectoryWithin(subject, c)) is { } dirProblem)
            {
                return $"the subject is {dirProblem}";
            }

            foreach (var (_, value) in names.Where(n => n.Tag.HasSameClassAndValue(DirectoryNameTag)))
            {
                byte[] alternative = new AsnReader(value, AsnEncodingRules.DER).ReadSequence(DirectoryNameTag).ReadEncodedValue().ToArray();
                if (Violates(DirectoryNameTag, c => DirectoryWithin(alternative, c)) is { } problem)
                {
                    return $"a directory name in its subjectAltName is {problem}";
                }
            }

            foreach (var (tag, _) in names)
            {
                if (!tag.HasSameClassAndValue(DnsNameTag) && !tag.HasSameClassAndValue(IpAddressTag) && !tag.HasSameClassAndValue(DirectoryNameTag) &&
                    (permitted.Concat(excluded)).Any(c => c.Tag.HasSameClassAndValue(tag)))
                {
                    return string.Create(CultureInfo.InvariantCulture, $"it has a name of type [{tag.TagValue}] under a constraint of that type, which this validator does not check");
                }
            }

            return null;
        }

        /// <summary>Why a name of <paramref name="type"/> is refused: inside an excluded subtree, or outside every permitted one.</summary>
        private string? Violates(Asn1Tag type, Func<byte[], bool> within)
        {
            if (excluded.Any(c => c.Tag.HasSameClassAndValue(type) && within(c.Value)))
            {
                return "in an excluded subtree";
            }

            var ofType = permitted.Where(c => c.Tag.HasSameClassAndValue(type)).ToList();
            return ofType.Count > 0 && !ofType.Any(c => within(c.Value)) ? "outside the permitted subtrees" : null;
        }
    }

    private static List<(Asn1Tag Tag, byte[] Value)> SubjectAltNames(X509Certificate2 certificate)
    {
        var names = new List<(Asn1Tag, byte[])>();
        X509Extension? ext = certificate.Extensions[SubjectAltNameOid];
        if (ext is null)
        {
            return names;
        }

        var reader = new AsnReader(ext.RawData, AsnEncodingRules.DER);
        AsnReader sequence = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        while (sequence.HasData)
        {
            names.Add((sequence.PeekTag(), sequence.ReadEncodedValue().ToArray()));
        }

        return names;
    }

    private static string ReadIa5(byte[] encoded)
    {
        var reader = new AsnReader(encoded, AsnEncodingRules.DER);
        Asn1Tag tag = reader.PeekTag();
        return reader.ReadCharacterString(UniversalTagNumber.IA5String, tag);
    }

    private static byte[] ReadOctets(byte[] encoded, Asn1Tag tag) => new AsnReader(encoded, AsnEncodingRules.DER).ReadOctetString(tag);

    /// <summary>RFC 5280 §4.2.1.10 for dNSName: the constraint plus zero or more labels on the left; a leading dot means strictly below.</summary>
    private static bool DnsWithin(string name, string constraint)
    {
        string n = name.TrimEnd('.').ToLowerInvariant();
        string c = constraint.TrimEnd('.').ToLowerInvariant();
        if (c.Length == 0)
        {
            return true;
        }

        if (c[0] == '.')
        {
            return n.EndsWith(c, StringComparison.Ordinal) && n.Length > c.Length;
        }

        return n == c || n.EndsWith("." + c, StringComparison.Ordinal);
    }

    /// <summary>An iPAddress constraint is an address and a mask of twice the address length.</summary>
    private static bool IpWithin(byte[] address, byte[] constraint)
    {
        if (constraint.Length != 2 * address.Length)
        {
            return false;
        }

        for (int i = 0; i < address.Length; i++)
        {
            byte mask = constraint[address.Length + i];
            if ((address[i] & mask) != (constraint[i] & mask))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A directoryName subtree: the subject's relative distinguished names start with the constraint's, compared by encoding.</summary>
    private static bool DirectoryWithin(byte[] subject, byte[] constraintEncoded)
    {
        // directoryName [4] is EXPLICIT (GeneralName is a CHOICE): the Name sequence is inside it.
        var outer = new AsnReader(constraintEncoded, AsnEncodingRules.DER);
        AsnReader explicitBody = outer.ReadSequence(DirectoryNameTag);
        List<byte[]> constraint = Rdns(explicitBody.ReadEncodedValue().ToArray());
        List<byte[]> name = Rdns(subject);
        return constraint.Count <= name.Count && constraint.Select((rdn, i) => rdn.AsSpan().SequenceEqual(name[i])).All(same => same);
    }

    private static List<byte[]> Rdns(byte[] name)
    {
        var reader = new AsnReader(name, AsnEncodingRules.DER);
        AsnReader sequence = reader.ReadSequence();
        var rdns = new List<byte[]>();
        while (sequence.HasData)
        {
            rdns.Add(sequence.ReadEncodedValue().ToArray());
        }

        return rdns;
    }

    private static bool IsEmptyName(byte[] name) => name.Length == 2 && name[0] == 0x30 && name[1] == 0;
}
