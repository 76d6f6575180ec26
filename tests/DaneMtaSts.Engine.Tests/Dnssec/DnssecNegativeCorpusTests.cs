// The negative corpus: every way an answer can be Bogus must be caught. Each case changes one thing
// in an otherwise valid signed tree (the zones are signed for real; the change is made in the zone
// before signing or in the response after it) and asserts the status and the typed reason.
using DaneMtaSts.Engine.Dns.Dnssec;
using DaneMtaSts.Engine.Dns.Wire;
using Xunit.Abstractions;

namespace DaneMtaSts.Engine.Tests.Dnssec;

public class DnssecNegativeCorpusTests(ITestOutputHelper output)
{
    private static readonly DnsName ExampleCom = DnsName.Parse("example.com");

    private ValidatedResponse Run(DnssecWorld world, string name, ushort type)
    {
        ValidatedResponse r = world.Resolve(name, type);
        output.WriteLine($"{name} {DnsRecordType.Name(type)}: {r.Status} {r.Reason} at {r.ReasonName}; {r.ReasonText}");
        return r;
    }

    private void AssertBogus(ValidatedResponse r, params DnssecReason[] reasons)
    {
        Assert.Equal(DnsSecStatus.Bogus, r.Status);
        Assert.Contains(r.Reason, reasons);
    }

    /// <summary>Rewrites the RRSIG records of one response (name, type) with <paramref name="change"/>.</summary>
    private static void TamperSignatures(DnssecWorld world, string name, ushort type, Func<RrsigData, RrsigData> change) =>
        world.Network.Tamper = (qname, qtype, response) =>
        {
            if (!qname.Equals(DnsName.Parse(name)) || qtype != type)
            {
                return response;
            }

            List<DnsRecord> Rewrite(List<DnsRecord> records) => [.. records.Select(r =>
                r.Data is RrsigData s && s.TypeCovered == type ? Rr.Make(r.Owner, DnsRecordType.RRSIG, Rr.RrsigRData(change(s)), r.Ttl) : r)];
            return response with { Answers = Rewrite(response.Answers), Authorities = Rewrite(response.Authorities) };
        };

    [Fact]
    public void A_flipped_signature_bit_is_bogus()
    {
        var world = new DnssecWorld();
        TamperSignatures(world, "example.com", DnsRecordType.MX, s => s with { Signature = [.. s.Signature[..^1], (byte)(s.Signature[^1] ^ 1)] });
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.BadSignature);
    }

    [Fact]
    public void A_changed_rrset_under_a_valid_signature_is_bogus()
    {
        var world = new DnssecWorld();
        world.Network.Tamper = (qname, qtype, response) => qtype != DnsRecordType.A ? response : response with
        {
            Answers = [.. response.Answers.Select(r => r.Type == DnsRecordType.A ? Rr.A(r.Owner.ToString(), "198.51.100.66") : r)],
        };
        AssertBogus(Run(world, "mail.example.com", DnsRecordType.A), DnssecReason.BadSignature);
    }

    [Fact]
    public void A_wrong_key_tag_matches_no_key()
    {
        var world = new DnssecWorld();
        TamperSignatures(world, "example.com", DnsRecordType.MX, s => s with { KeyTag = (ushort)(s.KeyTag + 1) });
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.NoMatchingKey);
    }

    [Fact]
    public void A_signature_whose_algorithm_is_not_the_keys_matches_no_key()
    {
        var world = new DnssecWorld();
        TamperSignatures(world, "example.com", DnsRecordType.MX, s => s with { Algorithm = DnssecAlgorithm.EcdsaP384Sha384 });
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.NoMatchingKey);
    }

    [Fact]
    public void A_signer_that_is_not_an_ancestor_of_the_owner_is_bogus()
    {
        var world = new DnssecWorld();
        TamperSignatures(world, "example.com", DnsRecordType.MX, s => s with { SignerName = DnsName.Parse("example.net") });
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.WrongSigner);
    }

    [Fact]
    public void A_signer_name_that_is_not_a_zone_cut_is_bogus()
    {
        // host.deep.sub.example.com signed "by sub.example.com", a name inside example.com: the DS
        // denial from example.com proves there is no zone there.
        var world = new DnssecWorld();
        TamperSignatures(world, "host.deep.sub.example.com", DnsRecordType.A, s => s with { SignerName = DnsName.Parse("sub.example.com") });
        AssertBogus(Run(world, "host.deep.sub.example.com", DnsRecordType.A), DnssecReason.WrongSigner);
    }

    [Fact]
    public void An_expired_signature_is_bogus()
    {
        var world = new DnssecWorld(build: false);
        world.Example.Inception = TestNetwork.Now.AddDays(-30);
        world.Example.Expiration = TestNetwork.Now.AddHours(-1);
        world.Build();
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.SignatureExpired);
    }

    [Fact]
    public void A_signature_not_yet_valid_is_bogus()
    {
        var world = new DnssecWorld(build: false);
        world.Example.Inception = TestNetwork.Now.AddHours(1);
        world.Example.Expiration = TestNetwork.Now.AddDays(30);
        world.Build();
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.SignatureNotYetValid);
    }

    [Fact]
    public void Signature_times_within_the_clock_skew_allowance_are_accepted()
    {
        var world = new DnssecWorld(build: false);
        world.Example.Inception = TestNetwork.Now.AddMinutes(4);
        world.Example.Expiration = TestNetwork.Now.AddDays(30);
        world.Build();
        Assert.Equal(DnsSecStatus.Secure, Run(world, "example.com", DnsRecordType.MX).Status);
    }

    [Fact]
    public void A_labels_field_above_the_owners_label_count_is_bogus()
    {
        var world = new DnssecWorld();
        TamperSignatures(world, "example.com", DnsRecordType.MX, s => s with { Labels = 3 });
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.BadLabels);
    }

    [Fact]
    public void A_labels_field_below_the_owners_label_count_claims_a_wildcard_and_needs_its_proof()
    {
        // Signed for real over "*.example.com" (labels 2) but served at mail.example.com with no denial proof.
        var world = new DnssecWorld();
        TestZone zone = world.Example;
        world.Network.Tamper = (qname, qtype, response) =>
        {
            if (qtype != DnsRecordType.A || !qname.Equals(DnsName.Parse("mail.example.com")))
            {
                return response;
            }

            List<DnsRecord> rrset = [.. response.Answers.Where(r => r.Type == DnsRecordType.A)];
            DnsRecord sig = Rr.Rrsig(rrset, zone.Apex, zone.Keys[0], zone.Inception, zone.Expiration, labels: 2);
            return response with { Answers = [.. rrset, sig] };
        };
        AssertBogus(Run(world, "mail.example.com", DnsRecordType.A), DnssecReason.MissingWildcardProof);
    }

    [Fact]
    public void A_signature_over_another_type_leaves_the_rrset_unsigned()
    {
        var world = new DnssecWorld();
        TamperSignatures(world, "example.com", DnsRecordType.MX, s => s with { TypeCovered = DnsRecordType.TXT });
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.MissingRrsig);
    }

    [Fact]
    public void An_unsigned_answer_from_a_signed_zone_is_bogus_when_the_resolver_passes_signatures()
    {
        var world = new DnssecWorld();
        world.Network.Tamper = (qname, qtype, response) => qtype != DnsRecordType.MX ? response : response with
        {
            Answers = [.. response.Answers.Where(r => r.Type != DnsRecordType.RRSIG)],
        };
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.MissingRrsig);
    }

    [Fact]
    public void A_ds_digest_that_matches_no_key_is_bogus()
    {
        var world = new DnssecWorld(build: false);
        world.Root.Delegate(world.Com);
        world.Com.Add(Rr.Ns("example.com", "ns.example.com"));
        DnsRecord ds = Rr.Ds(ExampleCom, world.Example.Keys[0].Dnskey);
        byte[] rdata = ds.UncompressedRData.ToArray();
        rdata[^1] ^= 0xFF;
        world.Com.Add(Rr.Make(ExampleCom, DnsRecordType.DS, rdata));
        world.Network.Add(world.Root, world.Com, world.Example);
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.DsDigestMismatch);
    }

    [Fact]
    public void A_ds_for_a_key_that_is_not_published_is_bogus()
    {
        var world = new DnssecWorld(build: false);
        world.Root.Delegate(world.Com);
        world.Com.Add(Rr.Ns("example.com", "ns.example.com"), Rr.Ds(ExampleCom, TestKey.Get(DnssecAlgorithm.EcdsaP256Sha256, 257, 9).Dnskey));
        world.Network.Add(world.Root, world.Com, world.Example);
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.DsDigestMismatch);
    }

    [Fact]
    public void A_dnskey_set_signed_only_by_a_key_the_ds_does_not_name_is_bogus()
    {
        // The DS names key A (published); only key B signs the DNSKEY RRset.
        var world = new DnssecWorld(build: false);
        TestKey b = TestKey.Get(DnssecAlgorithm.EcdsaP256Sha256, 256, 8);
        world.Example.Keys.Add(b);
        world.Example.SigningKeys = [b];
        world.Build();
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.DsDigestMismatch);
    }

    [Theory]
    [InlineData((ushort)0x0001, (byte)3, DnssecReason.DsDigestMismatch)] // zone-key flag clear
    [InlineData((ushort)0x0101, (byte)2, DnssecReason.DsDigestMismatch)] // protocol 2
    [InlineData((ushort)0x0181, (byte)3, DnssecReason.RevokedKey)] // REVOKE bit
    public void A_key_without_the_zone_flag_with_another_protocol_or_revoked_cannot_anchor_the_zone(ushort flags, byte protocol, DnssecReason reason)
    {
        var world = new DnssecWorld(build: false);
        TestKey original = world.Example.Keys[0];
        world.Example.Keys[0] = original.WithDnskey(flags, protocol);
        world.Build();
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), reason);
    }

    [Fact]
    public void A_revoked_zone_signing_key_does_not_validate_data()
    {
        // A KSK anchors the zone; the ZSK that signs the MX is revoked.
        var world = new DnssecWorld(build: false);
        TestKey ksk = world.Example.Keys[0];
        TestKey zsk = TestKey.Get(DnssecAlgorithm.EcdsaP256Sha256, 256, 7).WithDnskey(0x0180);
        world.Example.Keys.Add(zsk);
        world.Example.SigningKeys = [ksk];
        world.Build();
        world.Network.Tamper = (qname, qtype, response) =>
        {
            if (qtype != DnsRecordType.MX)
            {
                return response;
            }

            List<DnsRecord> rrset = [.. response.Answers.Where(r => r.Type == DnsRecordType.MX)];
            return response with { Answers = [.. rrset, Rr.Rrsig(rrset, world.Example.Apex, zsk, world.Example.Inception, world.Example.Expiration)] };
        };
        AssertBogus(Run(world, "example.com", DnsRecordType.MX), DnssecReason.NoMatchingKey);
    }

    [Fact]
    public async Task Anchors_that_match_no_root_key_are_bogus()
    {
        var world = new DnssecWorld();
        TrustAnchorSet other = TrustAnchorSet.FromRecords([(DsData)Rr.Ds(DnsName.Root, TestKey.Get(DnssecAlgorithm.EcdsaP256Sha256, 257, 6).Dnskey).Data!], [], "other");
        using var validator = world.Network.Validator(anchors: other);
        ValidatedResponse r = await validator.ResolveAsync("example.com", DnsRecordType.MX, CancellationToken.None);
        AssertBogus(r, DnssecReason.TrustAnchorMismatch);
    }

    [Fact]
    public async Task The_built_in_anchors_do_not_accept_a_test_root()
    {
        var world = new DnssecWorld();
        using var validator = new LocalDnssecValidator(world.Network, TrustAnchorSet.BuiltIn, new FrozenClock(TestNetwork.Now));
        ValidatedResponse r = await validator.ResolveAsync("example.com", DnsRecordType.MX, CancellationToken.None);
        AssertBogus(r, DnssecReason.TrustAnchorMismatch);
    }

    [Fact]
    public void A_signed_parent_with_a_ds_for_an_unsigned_child_is_bogus()
    {
        var world = new DnssecWorld(build: false);
        world.Example.Signed = false;
        world.Build();
        ValidatedResponse r = Run(world, "example.com", DnsRecordType.MX);
        Assert.Equal(DnsSecStatus.Bogus, r.Status);
    }

    [Theory]
    [InlineData(Denial.Nsec)]
    [InlineData(Denial.Nsec3)]
    public void A_denial_without_its_covering_record_is_bogus(Denial denial)
    {
        // NXDOMAIN with only the wildcard's denial kept (the record covering the name dropped).
        var world = new DnssecWorld(denial: denial);
        world.Network.Tamper = (qname, qtype, response) =>
        {
            if (response.Rcode != 3)
            {
                return response;
            }

            DnsRecord[] proofs = [.. response.Authorities.Where(r => r.Type is DnsRecordType.NSEC or DnsRecordType.NSEC3)];
            DnsName drop = proofs[denial == Denial.Nsec ? 0 : 1].Owner;
            return response with { Authorities = [.. response.Authorities.Where(r => !r.Owner.Equals(drop) || r.Type == DnsRecordType.SOA)] };
        };
        ValidatedResponse r = Run(world, "nothere.example.com", DnsRecordType.A);
        AssertBogus(r, DnssecReason.BadDenialProof, DnssecReason.MissingWildcardProof);
    }

    [Fact]
    public void An_nsec_that_does_not_cover_the_name_is_bogus()
    {
        // NODATA claimed for nothere.example.com with the apex's NSEC (real, signed, but elsewhere).
        var world = new DnssecWorld();
        TestZone zone = world.Example;
        world.Network.Tamper = (qname, qtype, response) =>
        {
            if (response.Rcode != 3)
            {
                return response;
            }

            DnsRecord apexNsec = zone.NsecAt(zone.Apex);
            List<DnsRecord> soa = [.. response.Authorities.Where(r => r.Type == DnsRecordType.SOA || (r.Data is RrsigData s && s.TypeCovered == DnsRecordType.SOA))];
            return response with { Rcode = 0, Authorities = [.. soa, apexNsec, .. zone.Sign([apexNsec])] };
        };
        AssertBogus(Run(world, "nothere.example.com", DnsRecordType.A), DnssecReason.BadDenialProof);
    }

    [Fact]
    public void An_nsec_showing_the_type_exists_does_not_prove_nodata()
    {
        var world = new DnssecWorld();
        TestZone zone = world.Example;
        world.Network.Tamper = (qname, qtype, response) =>
        {
            if (qtype != DnsRecordType.A || !qname.Equals(DnsName.Parse("mail.example.com")))
            {
                return response;
            }

            DnsRecord nsec = zone.NsecAt(qname);
            List<DnsRecord> soa = [zone.RrsetAt(zone.Apex, DnsRecordType.SOA)[0], .. zone.Sign(zone.RrsetAt(zone.Apex, DnsRecordType.SOA))];
            return response with { Answers = [], Authorities = [.. soa, nsec, .. zone.Sign([nsec])] };
        };
        AssertBogus(Run(world, "mail.example.com", DnsRecordType.A), DnssecReason.BadDenialProof);
    }

    [Fact]
    public void A_parent_nsec_at_a_signed_delegation_cannot_deny_names_below_it()
    {
        // RFC 6840 §4.1: com's NSEC at example.com (NS, DS) answers for nothere.example.com.
        var world = new DnssecWorld();
        TestZone com = world.Com;
        world.Network.Tamper = (qname, qtype, response) =>
        {
            if (!qname.Equals(DnsName.Parse("nothere.example.com")))
            {
                return response;
            }

            DnsRecord nsec = com.NsecAt(ExampleCom);
            List<DnsRecord> soa = [com.RrsetAt(com.Apex, DnsRecordType.SOA)[0], .. com.Sign(com.RrsetAt(com.Apex, DnsRecordType.SOA))];
            return response with { Authorities = [.. soa, nsec, .. com.Sign([nsec])] };
        };
        AssertBogus(Run(world, "nothere.example.com", DnsRecordType.A), DnssecReason.BadDenialProof);
    }

    [Theory]
    [InlineData("salt")]
    [InlineData("iterations")]
    [InlineData("hash")]
    public void Nsec3_records_with_a_wrong_salt_iterations_or_hash_prove_nothing(string what)
    {
        // The zone's NSEC3 records are re-signed after the change, so only the proof itself can fail.
        var world = new DnssecWorld(denial: Denial.Nsec3);
        TestZone zone = world.Example;
        world.Network.Tamper = (qname, qtype, response) =>
        {
            if (response.Rcode != 3)
            {
                return response;
            }

            var changed = new List<DnsRecord>();
            foreach (DnsRecord r in response.Authorities.Where(r => r.Type == DnsRecordType.NSEC3))
            {
                var d = (Nsec3Data)r.Data!;
                DnsRecord bent = what switch
                {
                    "salt" => Rr.Nsec3(r.Owner, d.Flags, d.Iterations, [0x01, 0x02], d.NextHashedOwner, d.Types.Types()),
                    "iterations" => Rr.Nsec3(r.Owner, d.Flags, (ushort)(d.Iterations + 3), d.Salt, d.NextHashedOwner, d.Types.Types()),
                    _ => Rr.Nsec3(zone.Apex.Prepend(System.Text.Encoding.ASCII.GetBytes(DnssecCrypto.Base32Hex(zone.Hash(DnsName.Parse($"bent{changed.Count}.example.com"))))),
                        d.Flags, d.Iterations, d.Salt, d.NextHashedOwner, d.Types.Types()),
                };
                changed.Add(bent);
                changed.AddRange(zone.Sign([bent]));
            }

            return response with { Authorities = [.. response.Authorities.Where(r => r.Type != DnsRecordType.NSEC3 && !(r.Data is RrsigData s && s.TypeCovered == DnsRecordType.NSEC3)), .. changed] };
        };
        ValidatedResponse r = Run(world, "nothere.example.com", DnsRecordType.A);
        AssertBogus(r, DnssecReason.BadDenialProof, DnssecReason.MissingWildcardProof);
    }

    [Fact]
    public void An_opt_out_flag_set_after_signing_is_bogus()
    {
        // Claiming opt-out for a signed delegation's span breaks the NSEC3 signature.
        var world = new DnssecWorld(denial: Denial.Nsec3);
        world.Network.Tamper = (qname, qtype, response) => response with
        {
            Authorities = [.. response.Authorities.Select(r =>
            {
                if (r.Data is not Nsec3Data d)
                {
                    return r;
                }

                return Rr.Nsec3(r.Owner, 1, d.Iterations, d.Salt, d.NextHashedOwner, d.Types.Types());
            })],
        };
        AssertBogus(Run(world, "nothere.example.com", DnsRecordType.A), DnssecReason.BadSignature);
    }

    [Fact]
    public void Opt_out_is_not_insecure_for_a_name_that_has_a_ds_match()
    {
        // With opt-out on, a signed delegation still has its own NSEC3 and DS: it validates as Secure.
        var world = new DnssecWorld(denial: Denial.Nsec3, build: false);
        world.Com.Nsec3OptOut = true;
        world.Build();
        Assert.Equal(DnsSecStatus.Secure, Run(world, "example.com", DnsRecordType.MX).Status);
    }

    [Theory]
    [InlineData(Denial.Nsec)]
    [InlineData(Denial.Nsec3)]
    public void A_wildcard_answer_without_its_proof_is_bogus(Denial denial)
    {
        var world = new DnssecWorld(denial: denial);
        world.Network.Tamper = (qname, qtype, response) => response with
        {
            Authorities = [.. response.Authorities.Where(r => r.Type is not (DnsRecordType.NSEC or DnsRecordType.NSEC3) && !(r.Data is RrsigData s && s.TypeCovered is DnsRecordType.NSEC or DnsRecordType.NSEC3))],
        };
        AssertBogus(Run(world, "anything.wild.example.com", DnsRecordType.MX), DnssecReason.MissingWildcardProof);
    }

    [Fact]
    public void A_wildcard_answer_for_a_name_that_exists_is_bogus()
    {
        // exists.wild.example.com has its own A record; a wildcard-expanded TXT for it is a lie.
        var world = new DnssecWorld();
        TestZone zone = world.Example;
        world.Network.Tamper = (qname, qtype, response) =>
        {
            if (qtype != DnsRecordType.TXT || !qname.Equals(DnsName.Parse("exists.wild.example.com")))
            {
                return response;
            }

            List<DnsRecord> source = zone.RrsetAt(DnsName.Parse("*.wild.example.com"), DnsRecordType.TXT);
            List<DnsRecord> expanded = [.. source.Select(r => Rr.Make(qname, r.Type, r.UncompressedRData.ToArray(), r.Ttl))];
            List<DnsRecord> sigs = [.. zone.Sign(source).Select(s => Rr.Make(qname, s.Type, s.UncompressedRData.ToArray(), s.Ttl))];
            DnsRecord nsec = zone.NsecCovering(DnsName.Parse("a.wild.example.com"));
            return new TestNetwork.Response(0, [.. expanded, .. sigs], [nsec, .. zone.Sign([nsec])]);
        };
        AssertBogus(Run(world, "exists.wild.example.com", DnsRecordType.TXT), DnssecReason.MissingWildcardProof);
    }

    [Fact]
    public void A_dname_that_does_not_synthesise_the_cname_is_bogus()
    {
        var world = new DnssecWorld(build: false);
        world.Example.Add(Rr.Dname("old.example.com", "example.com"));
        world.Build();
        world.Network.Tamper = (qname, qtype, response) => response with
        {
            Answers = [.. response.Answers.Select(r => r.Type == DnsRecordType.CNAME ? Rr.Cname(r.Owner.ToString(), "evil.example.net") : r)],
        };
        AssertBogus(Run(world, "mail.old.example.com", DnsRecordType.A), DnssecReason.BadDname);
    }

    [Fact]
    public void A_bogus_first_cname_link_is_reported_separately()
    {
        var world = new DnssecWorld(build: false);
        world.Example.Add(Rr.Cname("alias.example.com", "mail.example.com"));
        world.Build();
        world.Network.Tamper = (qname, qtype, response) => response with
        {
            Answers = [.. response.Answers.Select(r => r.Data is RrsigData s && s.TypeCovered == DnsRecordType.CNAME
                ? Rr.Make(r.Owner, r.Type, Rr.RrsigRData(s with { Signature = [.. s.Signature.Select(b => (byte)~b)] }), r.Ttl)
                : r)],
        };
        ValidatedResponse r = Run(world, "alias.example.com", DnsRecordType.A);
        Assert.Equal(DnsSecStatus.Bogus, r.Status);
        Assert.Equal(DnsSecStatus.Bogus, r.FirstLinkStatus);
    }

    [Fact]
    public void A_cname_loop_ends_as_a_failed_chain()
    {
        var world = new DnssecWorld(build: false);
        world.Example.Add(Rr.Cname("a.example.com", "b.example.com"), Rr.Cname("b.example.com", "a.example.com"));
        world.Build();
        ValidatedResponse r = Run(world, "a.example.com", DnsRecordType.A);
        Assert.Equal(DnssecReason.ChainTooLong, r.Reason);
        Assert.NotEqual(DnsSecStatus.Secure, r.Status);
    }

    [Fact]
    public void A_lookup_the_validation_needs_that_fails_is_indeterminate()
    {
        var world = new DnssecWorld();
        world.Network.Unreachable.Add((ExampleCom, DnsRecordType.DNSKEY));
        ValidatedResponse r = Run(world, "example.com", DnsRecordType.MX);
        Assert.Equal(DnsSecStatus.Indeterminate, r.Status);
        Assert.Equal(DnssecReason.LookupFailed, r.Reason);
    }

    [Fact]
    public void The_question_itself_failing_is_failed_not_indeterminate()
    {
        var world = new DnssecWorld();
        world.Network.Unreachable.Add((ExampleCom, DnsRecordType.MX));
        ValidatedResponse r = Run(world, "example.com", DnsRecordType.MX);
        Assert.Equal(DnsSecStatus.Failed, r.Status);
        Assert.Equal(DaneMtaSts.Engine.Dns.DnsRcode.None, r.Rcode);
    }
}
