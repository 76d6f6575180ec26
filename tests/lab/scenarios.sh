# shellcheck shell=bash
# The partner domains of the lab: how each one is built. Their expected verdicts are in
# scenarios.csv (one row per domain, same names). Helpers are in gen.sh:
#   scenario_zone <name> <signed>      zone <name>.test. (delegated from test., DS when signed)
#   smtp_host <host.> <zone> <cert> <starttls yes|no> [SANs]   an MX address with its own cert
#   tlsa <zone> <owner.> <u> <s> <m> <host:<h.>|inter|root|wrong>
#   sts_txt / sts_site / policy        MTA-STS TXT record, HTTPS policy host, policy body
#   tamper <zone> <owner.> <type>      make an RRset bogus after signing
#   lame_delegation <zone> <child.>    a delegation where nothing answers (SERVFAIL even with CD)
#   zone_sign_with / zone_nsec3 / zone_validity / zone_ds   how a signed zone is signed (gen.sh)

# One partner domain signed with one DNSSEC algorithm: a DANE-EE host whose TLSA record matches.
#   dnssec_alg_scenario <scenario name> <dnssec-keygen algorithm>
dnssec_alg_scenario() {
    local d=$1.test
    local z=$d.
    scenario_zone "$1" 1
    zone_sign_with $z "$2"
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tlsa $z _25._tcp.mx.$d. 3 1 1 host:mx.$d.
}

define_scenarios() {
    local d z p
    p=$RUN/www/policies
    mkdir -p "$p"

    # An unsigned zone for MX hosts that live outside DNSSEC.
    zone_add plain-hosts.test. 0

    # --- DANE ---------------------------------------------------------------------------------
    d=dane-ee-good.test; z=$d.; scenario_zone dane-ee-good 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tlsa $z _25._tcp.mx.$d. 3 1 1 host:mx.$d.

    d=dane-ee-wrong.test; z=$d.; scenario_zone dane-ee-wrong 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tlsa $z _25._tcp.mx.$d. 3 1 1 wrong

    # DANE-EE ignores names, dates and issuer: an expired leaf from an untrusted CA for another name.
    d=dane-ee-ignores-pkix.test; z=$d.; scenario_zone dane-ee-ignores-pkix 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z rogue-expired yes www.unrelated.test
    tlsa $z _25._tcp.mx.$d. 3 0 1 host:mx.$d.

    d=dane-ta-good.test; z=$d.; scenario_zone dane-ta-good 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes
    tlsa $z _25._tcp.mx.$d. 2 1 1 inter

    d=dane-ta-wrong-name.test; z=$d.; scenario_zone dane-ta-wrong-name 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes www.unrelated.test
    tlsa $z _25._tcp.mx.$d. 2 1 1 inter

    # Hostile values from the network: a certificate name and a TXT record that are markup. The
    # report must show them as text (tests/Report.Tests.ps1). Otherwise a DANE-TA name mismatch.
    d=hostile-values.test; z=$d.; scenario_zone hostile-values 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes "<img src=x onerror=alert(1)>.hostile-values.test"
    tlsa $z _25._tcp.mx.$d. 2 1 1 inter
    rr $z "_mta-sts.$d. $TTL IN TXT \"v=STSv1; id=<script>alert(1)</script>\""

    d=dane-ta-expired.test; z=$d.; scenario_zone dane-ta-expired 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z expired yes
    tlsa $z _25._tcp.mx.$d. 2 0 1 inter

    # "2 1 0": the full SPKI of the lab root, which the server never sends (key-only anchor).
    d=dane-ta-key-only.test; z=$d.; scenario_zone dane-ta-key-only 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes
    tlsa $z _25._tcp.mx.$d. 2 1 0 root

    # Only PKIX-TA(0) / PKIX-EE(1): unusable for SMTP (RFC 7672 §3.1.3), TLS still required.
    d=dane-usage01-only.test; z=$d.; scenario_zone dane-usage01-only 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes
    tlsa $z _25._tcp.mx.$d. 0 0 1 root
    tlsa $z _25._tcp.mx.$d. 1 1 1 host:mx.$d.

    # Digest agility (RFC 7671 §9): only the strongest digest present per (usage, selector) counts.
    d=dane-digest-sha512-good.test; z=$d.; scenario_zone dane-digest-sha512-good 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tlsa $z _25._tcp.mx.$d. 3 1 2 host:mx.$d.
    tlsa $z _25._tcp.mx.$d. 3 1 1 wrong

    d=dane-digest-sha512-wrong.test; z=$d.; scenario_zone dane-digest-sha512-wrong 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tlsa $z _25._tcp.mx.$d. 3 1 2 wrong
    tlsa $z _25._tcp.mx.$d. 3 1 1 host:mx.$d.

    d=dane-no-starttls.test; z=$d.; scenario_zone dane-no-starttls 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self no
    tlsa $z _25._tcp.mx.$d. 3 1 1 host:mx.$d.

    d=dane-tlsa-bogus.test; z=$d.; scenario_zone dane-tlsa-bogus 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tlsa $z _25._tcp.mx.$d. 3 1 1 host:mx.$d.
    tamper $z _25._tcp.mx.$d. TLSA

    # The TLSA name sits below a lame, DS-signed delegation: SERVFAIL with and without CD.
    d=dane-tlsa-servfail.test; z=$d.; scenario_zone dane-tlsa-servfail 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    lame_delegation $z _tcp.mx.$d.

    d=dane-mx-bogus.test; z=$d.; scenario_zone dane-mx-bogus 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tlsa $z _25._tcp.mx.$d. 3 1 1 host:mx.$d.
    tamper $z $d. MX

    # Secure MX RRset, but the host is in an unsigned zone: its (wrong) TLSA must be ignored.
    d=dane-insecure-mx-host.test; z=$d.; scenario_zone dane-insecure-mx-host 1
    rr $z "$d. $TTL IN MX 10 mx-insecure.plain-hosts.test."
    smtp_host mx-insecure.plain-hosts.test. plain-hosts.test. pkix yes
    tlsa plain-hosts.test. _25._tcp.mx-insecure.plain-hosts.test. 3 1 1 wrong

    # MX host is a CNAME (secure chain): TLSA at the expanded name, SNI = expanded name.
    d=dane-cname-mx.test; z=$d.; scenario_zone dane-cname-mx 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    rr $z "mx.$d. $TTL IN CNAME host.$d."
    smtp_host host.$d. $z self yes
    tlsa $z _25._tcp.host.$d. 3 1 1 host:host.$d.

    d=dane-two-mx-first-fails.test; z=$d.; scenario_zone dane-two-mx-first-fails 1
    rr $z "$d. $TTL IN MX 10 mx1.$d."
    rr $z "$d. $TTL IN MX 20 mx2.$d."
    smtp_host mx1.$d. $z self yes
    smtp_host mx2.$d. $z self yes
    tlsa $z _25._tcp.mx1.$d. 3 1 1 wrong
    tlsa $z _25._tcp.mx2.$d. 3 1 1 host:mx2.$d.

    # No MX at all (secure NODATA): the domain itself is the host (RFC 5321 §5.1).
    d=dane-implicit-mx.test; z=$d.; scenario_zone dane-implicit-mx 1
    smtp_host $d. $z self yes
    tlsa $z _25._tcp.$d. 3 1 1 host:$d.

    # Either an EE or a TA match suffices.
    d=dane-mixed-ee-ta.test; z=$d.; scenario_zone dane-mixed-ee-ta 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes
    tlsa $z _25._tcp.mx.$d. 3 1 1 wrong
    tlsa $z _25._tcp.mx.$d. 2 1 1 inter

    # Secure host, no TLSA at all.
    d=dnssec-no-tlsa.test; z=$d.; scenario_zone dnssec-no-tlsa 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes

    # Unsigned domain whose MX points at a DANE host: the insecure MX RRset means no DANE.
    d=unsigned-mx-dane-host.test; z=$d.; scenario_zone unsigned-mx-dane-host 0
    rr $z "$d. $TTL IN MX 10 mx.dane-ee-good.test."

    d=null-mx.test; z=$d.; scenario_zone null-mx 1
    rr $z "$d. $TTL IN MX 0 ."

    # nxdomain.test: deliberately absent (secure NXDOMAIN from the signed test. zone).
    LAB_SCENARIO_COUNT=$((LAB_SCENARIO_COUNT + 1))

    # The whole domain is lamely delegated: every lookup fails, with or without CD.
    lame_delegation test. dns-outage.test.
    LAB_SCENARIO_COUNT=$((LAB_SCENARIO_COUNT + 1))

    d=unsigned-tls.test; z=$d.; scenario_zone unsigned-tls 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes

    d=plaintext-only.test; z=$d.; scenario_zone plaintext-only 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z none no

    # A smart host (for a connector with UseMXRecord $false) with DANE-EE; the domain's own MX
    # has a wrong TLSA, so MX routing would fail where the smart host passes.
    d=smarthost-dane.test; z=$d.; scenario_zone smarthost-dane 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tlsa $z _25._tcp.mx.$d. 3 1 1 wrong
    smtp_host relay.$d. $z self yes
    tlsa $z _25._tcp.relay.$d. 3 1 1 host:relay.$d.

    # --- MTA-STS (unsigned zones unless DANE is combined) ---------------------------------------
    d=sts-enforce-good.test; z=$d.; scenario_zone sts-enforce-good 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes
    policy enforce "mx.$d" >"$p/$d"
    sts_txt $z $d; sts_site $d $z ok "$p/$d"

    d=sts-enforce-mx-mismatch.test; z=$d.; scenario_zone sts-enforce-mx-mismatch 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes
    policy enforce "mail.elsewhere.test" >"$p/$d"
    sts_txt $z $d; sts_site $d $z ok "$p/$d"

    d=sts-enforce-bad-cert.test; z=$d.; scenario_zone sts-enforce-bad-cert 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z rogue yes
    policy enforce "mx.$d" >"$p/$d"
    sts_txt $z $d; sts_site $d $z ok "$p/$d"

    # The certificate matches the policy pattern but not the MX host name (RFC 8461 §4.1).
    d=sts-enforce-cert-pattern-only.test; z=$d.; scenario_zone sts-enforce-cert-pattern-only 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes "other.$d"
    policy enforce "*.$d" >"$p/$d"
    sts_txt $z $d; sts_site $d $z ok "$p/$d"

    d=sts-enforce-no-starttls.test; z=$d.; scenario_zone sts-enforce-no-starttls 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z none no
    policy enforce "mx.$d" >"$p/$d"
    sts_txt $z $d; sts_site $d $z ok "$p/$d"

    d=sts-testing.test; z=$d.; scenario_zone sts-testing 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z rogue yes
    policy testing "mx.$d" >"$p/$d"
    sts_txt $z $d; sts_site $d $z ok "$p/$d"

    d=sts-none.test; z=$d.; scenario_zone sts-none 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z rogue yes
    policy none >"$p/$d"
    sts_txt $z $d; sts_site $d $z ok "$p/$d"

    # Broken policy deliveries. Each serves an enforce policy whose mx does not match: a client
    # that wrongly accepted it would queue (4.4.8) instead of delivering.
    local variant
    for variant in redirect:sts-redirect html:sts-text-html oversize:sts-oversize notfound:sts-404 wrongcert:sts-policy-wrong-cert; do
        local name=${variant#*:}
        d=$name.test; z=$d.; scenario_zone "$name" 0
        rr $z "$d. $TTL IN MX 10 mx.$d."
        smtp_host mx.$d. $z pkix yes
        policy enforce "mail.elsewhere.test" >"$p/$d"
        sts_txt $z $d; sts_site $d $z "${variant%%:*}" "$p/$d"
    done

    # Two v=STSv1 TXT records: no policy (RFC 8461 §3.1).
    d=sts-txt-duplicate.test; z=$d.; scenario_zone sts-txt-duplicate 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes
    policy enforce "mail.elsewhere.test" >"$p/$d"
    sts_txt $z $d; sts_site $d $z ok "$p/$d"
    rr $z "_mta-sts.$d. $TTL IN TXT \"v=STSv1; id=other1\""

    # --- DANE and MTA-STS together -------------------------------------------------------------
    d=dane-and-sts-good.test; z=$d.; scenario_zone dane-and-sts-good 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes
    tlsa $z _25._tcp.mx.$d. 3 1 1 host:mx.$d.
    policy enforce "*.$d" >"$p/$d"
    sts_txt $z $d; sts_site $d $z ok "$p/$d"

    # DANE fails, MTA-STS would pass: must not downgrade to MTA-STS (RFC 8461 §2).
    d=dane-fail-sts-pass.test; z=$d.; scenario_zone dane-fail-sts-pass 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes
    tlsa $z _25._tcp.mx.$d. 3 1 1 wrong
    policy enforce "mx.$d" >"$p/$d"
    sts_txt $z $d; sts_site $d $z ok "$p/$d"

    # --- DNSSEC validation: the same verdict through every resolver path -----------
    # Every DNSSEC algorithm a partner may use (RFC 8624 §3.1: MUST/RECOMMENDED to validate).
    dnssec_alg_scenario dnssec-alg-rsasha256 RSASHA256
    dnssec_alg_scenario dnssec-alg-ecdsap384 ECDSAP384SHA384
    dnssec_alg_scenario dnssec-alg-ed25519 ED25519
    dnssec_alg_scenario dnssec-alg-ed448 ED448

    # NSEC3 (no salt, no extra iterations, RFC 9276): the missing TLSA is proven by NSEC3.
    d=dnssec-nsec3-no-tlsa.test; z=$d.; scenario_zone dnssec-nsec3-no-tlsa 1
    zone_nsec3 $z 0 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes

    # NSEC3 opt-out: the MX host lives in an unsigned child zone inside an opt-out span, so its
    # (wrong) TLSA is insecure and ignored.
    d=dnssec-nsec3-optout.test; z=$d.; scenario_zone dnssec-nsec3-optout 1
    zone_nsec3 $z 0 1
    zone_add hosts.$d. 0 $z
    rr $z "$d. $TTL IN MX 10 mx.hosts.$d."
    smtp_host mx.hosts.$d. hosts.$d. pkix yes
    tlsa hosts.$d. _25._tcp.mx.hosts.$d. 3 1 1 wrong

    # NSEC3 with 200 iterations (above RFC 9276's 150): the TLSA denial is not trusted (insecure).
    d=dnssec-nsec3-high-iterations.test; z=$d.; scenario_zone dnssec-nsec3-high-iterations 1
    zone_nsec3 $z 200 0
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z pkix yes

    # Every signature of the zone expired in 2020 / becomes valid only next month: bogus.
    d=dnssec-sig-expired.test; z=$d.; scenario_zone dnssec-sig-expired 1
    zone_validity $z 20200101000000 20200201000000
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tlsa $z _25._tcp.mx.$d. 3 1 1 host:mx.$d.

    d=dnssec-sig-not-yet-valid.test; z=$d.; scenario_zone dnssec-sig-not-yet-valid 1
    zone_validity $z now+2592000 now+5184000
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tlsa $z _25._tcp.mx.$d. 3 1 1 host:mx.$d.

    # The parent's DS names an unassigned algorithm / digest type: the zone counts as unsigned,
    # so its (wrong) TLSA is ignored. And a signed zone without any DS: an insecure delegation.
    local variant
    for variant in alg:dnssec-ds-unknown-alg digest:dnssec-ds-unknown-digest none:dnssec-insecure-delegation; do
        d=${variant#*:}.test; z=$d.; scenario_zone "${variant#*:}" 1
        zone_ds $z "${variant%%:*}"
        rr $z "$d. $TTL IN MX 10 mx.$d."
        smtp_host mx.$d. $z pkix yes
        tlsa $z _25._tcp.mx.$d. 3 1 1 wrong
    done

    # The TLSA record is synthesised from a wildcard (RFC 4035 §5.3.4: needs the NSEC proof).
    d=dnssec-wildcard-tlsa.test; z=$d.; scenario_zone dnssec-wildcard-tlsa 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tlsa $z "*._tcp.mx.$d." 3 1 1 host:mx.$d.

    # The NSEC that proves "no TLSA at _25._tcp.mx" is altered after signing: a bogus denial.
    d=dnssec-broken-denial.test; z=$d.; scenario_zone dnssec-broken-denial 1
    rr $z "$d. $TTL IN MX 10 mx.$d."
    smtp_host mx.$d. $z self yes
    tamper $z mx.$d. NSEC
}
