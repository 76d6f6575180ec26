# shellcheck shell=bash
# Generates everything the lab serves, fresh on every start, under $RUN:
#   pki/       lab root CA -> intermediate -> leaves; a rogue CA the tests do not trust
#   dns/       zone files, keys, signed zones, named.conf (BIND, authoritative only)
#   unbound/   unbound.conf, root hints, the lab root's KSK as trust anchor
#   postfix/   main.cf/master.cf of a private Postfix instance (one smtpd per MX address)
#   nginx/     nginx.conf, www/ policy files (one server per mta-sts.<domain> address)
#   maildir/   <domain>/{new,cur,tmp}: every message to anything@<domain>
#   posttls-finger/main.cf   MAIL_CONFIG for posttls-finger with DNSSEC on
# Sourced by lab.sh inside the namespace; the scenarios themselves are in scenarios.sh.

LAB_NS_ADDR=127.0.1.1        # BIND: ns1.test, authoritative for ".", "test." and the scenarios
LAB_DNS_ADDR=127.0.1.53      # Unbound: the validating resolver everything inside uses
LAB_LAME_ADDR=127.0.1.9      # ns-lame.test: BIND refuses every query here (lame delegations)
LAB_ITER_ADDR=127.0.1.54     # Unbound without its validator (module-config "iterator"): a workstation's resolver
LAB_STRIP_ADDR=127.0.1.55    # BIND forwarding to LAB_ITER_ADDR without EDNS: no RRSIG, NSEC or DS ever comes back
LAB_DOH_ADDR=127.0.1.56      # dnsdist: DNS over HTTPS at https://doh.test/dns-query, forwarding to LAB_ITER_ADDR
LAB_DOH_URL=https://doh.test/dns-query
LAB_ADDRESSES4=("$LAB_NS_ADDR" "$LAB_DNS_ADDR" "$LAB_LAME_ADDR" "$LAB_ITER_ADDR" "$LAB_STRIP_ADDR" "$LAB_DOH_ADDR")
LAB_ADDRESSES6=()
LAB_SCENARIO_COUNT=0
LAB_FIRST_SMTP_ADDR=
LAB_FIRST_HTTPS_ADDR=
TTL=300

declare -A ZONE_SIGNED=()     # zone -> 1 signed, 0 unsigned
declare -A ZONE_PARENT=()     # zone -> parent zone
declare -A ZONE_ALG=()        # zone -> DNSSEC algorithm of its key (default ECDSAP256SHA256)
declare -A ZONE_NSEC3=()      # zone -> "iterations optout(0|1)": NSEC3 instead of NSEC
declare -A ZONE_VALIDITY=()   # zone -> "start end" of every signature (dnssec-signzone -s/-e)
declare -A ZONE_DS=()         # zone -> none (signed, but the parent has no DS) | alg | digest (DS with an unknown value)
declare -A HOST_CERT=()       # host name -> leaf certificate (PEM)
declare -A HOST_ADDR4=()      # host name -> IPv4 address
ZONES=()                      # zones in creation order (parents first)
TAMPERS=()                    # "zone|owner|type" RRsets altered after signing (bogus)
VIRTUAL_DOMAINS=()            # domains Postfix accepts mail for
SMTP_SERVICES=()              # "address|host|tls(yes/no)" for master.cf
SMTP_NEXT=1
HTTPS_NEXT=1
STS_ID="lab$(date +%s)"

# ------------------------------------------------------------------------------ PKI
pki_init() {
    PKI=$RUN/pki
    mkdir -p "$PKI/leaf" "$PKI/ca"
    local ca_ext="basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash"
    printf '%s\n' "$ca_ext" >"$PKI/ca.ext"
    printf '%s\nauthorityKeyIdentifier=keyid\n' "basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash" >"$PKI/inter.ext"
    # The lab root: what DANEMTASTS_LAB_CA holds, and the anchor of the "2 1 0" scenario.
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
        -subj "/O=DaneMtaSts Lab/CN=DaneMtaSts Lab Root CA" -keyout "$PKI/root.key" -out "$PKI/root.crt" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=DaneMtaSts Lab/CN=DaneMtaSts Lab Issuing CA" \
        -keyout "$PKI/inter.key" -out "$PKI/inter.csr" 2>/dev/null
    openssl x509 -req -in "$PKI/inter.csr" -CA "$PKI/root.crt" -CAkey "$PKI/root.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days 30 -sha256 -extfile "$PKI/inter.ext" -out "$PKI/inter.crt" 2>/dev/null
    # A CA nobody trusts: certificates from it are "untrusted" for PKIX (MTA-STS).
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
        -subj "/O=Rogue/CN=Rogue Root CA" -keyout "$PKI/rogue.key" -out "$PKI/rogue.crt" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    cp "$PKI/root.crt" "$PKI/lab-ca.pem"
    # A hashed CA directory for posttls-finger -P.
    mkdir -p "$PKI/capath"
    cp "$PKI/root.crt" "$PKI/capath/lab-root.pem"
    ln -s lab-root.pem "$PKI/capath/$(openssl x509 -in "$PKI/root.crt" -noout -subject_hash).0"
    # `openssl ca` (only for certificates with explicit past dates: expired chains).
    local issuer
    for issuer in inter rogue; do
        mkdir -p "$PKI/ca/$issuer/new"
        : >"$PKI/ca/$issuer/index.txt"
        openssl rand -hex 8 >"$PKI/ca/$issuer/serial"
        cat >"$PKI/ca/$issuer/ca.cnf" <<EOF
[ca]
default_ca = lab
[lab]
database = $PKI/ca/$issuer/index.txt
new_certs_dir = $PKI/ca/$issuer/new
serial = $PKI/ca/$issuer/serial
default_md = sha256
policy = anything
unique_subject = no
email_in_dn = no
[anything]
commonName = supplied
EOF
    done
}

# leaf_cert <id> <kind> <name> [extra SAN names...]
#   pkix          lab intermediate, valid now           (PKIX-valid with DANEMTASTS_LAB_CA)
#   expired       lab intermediate, 2020-2021           (DANE-TA: certificate-expired)
#   self          self-signed                           (DANE-EE)
#   rogue         rogue CA, valid now                   (PKIX: untrusted)
#   rogue-expired rogue CA, 2020-2021
# Writes leaf/<id>.crt, .key, .chain (key + leaf + issuer, for Postfix), .fullchain (nginx).
leaf_cert() {
    local id=$1 kind=$2 name=$3
    shift 3
    local base=$PKI/leaf/$id san="DNS:$name" extra
    for extra in "$@"; do san="$san,DNS:$extra"; done
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" >"$base.ext"
    if [ "$kind" = self ]; then
        openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 -subj "/CN=$name" \
            -keyout "$base.key" -out "$base.crt" -addext "subjectAltName=$san" 2>/dev/null
        cat "$base.crt" >"$base.fullchain"
    else
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
            -keyout "$base.key" -out "$base.csr" 2>/dev/null
        local issuer=inter
        case "$kind" in rogue*) issuer=rogue ;; esac
        case "$kind" in
            pkix | rogue)
                openssl x509 -req -in "$base.csr" -CA "$PKI/$issuer.crt" -CAkey "$PKI/$issuer.key" \
                    -set_serial "$RANDOM$RANDOM$RANDOM" -days 30 -sha256 -extfile "$base.ext" -out "$base.crt" 2>/dev/null
                ;;
            expired | rogue-expired)
                openssl ca -batch -notext -config "$PKI/ca/$issuer/ca.cnf" -cert "$PKI/$issuer.crt" -keyfile "$PKI/$issuer.key" \
                    -startdate 20200101000000Z -enddate 20210101000000Z -extfile "$base.ext" -in "$base.csr" -out "$base.crt" 2>/dev/null
                ;;
            *) echo "unknown certificate kind $kind" >&2; return 1 ;;
        esac
        # The served chain is leaf + issuer; roots are never served (so "2 1 0" of the lab root
        # is a key-only anchor absent from the chain).
        if [ "$issuer" = inter ]; then cat "$base.crt" "$PKI/inter.crt" >"$base.fullchain"; else cat "$base.crt" >"$base.fullchain"; fi
    fi
    cat "$base.key" "$base.fullchain" >"$base.chain"
    chmod 600 "$base.key" "$base.chain"
}

# tlsa_data <certificate PEM> <selector> <matching type>  (RFC 6698 §2.1)
tlsa_data() {
    local cert=$1 selector=$2 mtype=$3
    {
        if [ "$selector" = 0 ]; then
            openssl x509 -in "$cert" -outform DER
        else
            openssl x509 -in "$cert" -noout -pubkey | openssl pkey -pubin -outform DER
        fi
    } | case "$mtype" in
        0) od -An -v -tx1 | tr -d ' \n' ;;
        1) sha256sum | cut -c1-64 ;;
        2) sha512sum | cut -c1-128 ;;
    esac
}

# ------------------------------------------------------------------------------ DNS
zone_file() { local z=$1; [ "$z" = "." ] && z=root.; echo "$RUN/dns/zones/${z}db"; }

# zone_add <zone.> <signed 1|0> [parent zone, default test.]
zone_add() {
    local zone=$1 signed=$2 parent=${3:-test.}
    ZONE_SIGNED[$zone]=$signed
    ZONES+=("$zone")
    local f
    f=$(zone_file "$zone")
    cat >"$f" <<EOF
\$TTL $TTL
$zone $TTL IN SOA ns1.test. hostmaster.test. 1 3600 600 86400 $TTL
$zone $TTL IN NS ns1.test.
EOF
    if [ "$zone" != "." ]; then
        ZONE_PARENT[$zone]=$parent
        rr "$parent" "$zone $TTL IN NS ns1.test."
    fi
}

rr() { local zone=$1; shift; echo "$*" >>"$(zone_file "$zone")"; }

# lame_delegation <parent zone> <child zone.>: delegated (with a DS, so DNSSEC is signalled) to a
# server that refuses to answer for it; every query below it fails, with or without CD.
lame_delegation() {
    local parent=$1 child=$2 k
    rr "$parent" "$child $TTL IN NS ns-lame.test."
    k=$(dnssec-keygen -q -a ECDSAP256SHA256 -f KSK -K "$RUN/dns/keys" -n ZONE "$child")
    rr "$parent" "$(dnssec-dsfromkey -2 "$RUN/dns/keys/$k.key" | sed "s/ IN DS / $TTL IN DS /")"
}

# tamper <zone> <owner> <type>: alter the RRset's data after signing, so its RRSIG no longer
# verifies (bogus: SERVFAIL from a validating resolver, the data with +cd).
tamper() { TAMPERS+=("$1|$2|$3"); }

# zone_sign_with <zone> <algorithm>        e.g. RSASHA256, ECDSAP384SHA384, ED25519, ED448
# zone_nsec3 <zone> <iterations> <optout 0|1>   NSEC3 (RFC 5155) instead of NSEC
# zone_validity <zone> <start> <end>       signature inception/expiration (dnssec-signzone syntax)
# zone_ds <zone> none|alg|digest           no DS at the parent, or a DS with an unknown algorithm/digest
zone_sign_with() { ZONE_ALG[$1]=$2; }
zone_nsec3() { ZONE_NSEC3[$1]="$2 $3"; }
zone_validity() { ZONE_VALIDITY[$1]="$2 $3"; }
zone_ds() { ZONE_DS[$1]=$2; }

sign_zone() {
    local zone=$1 f k alg=${ZONE_ALG[$1]:-ECDSAP256SHA256} keys=() key
    f=$(zone_file "$zone")
    k=$(dnssec-keygen -q -a "$alg" -f KSK -K "$RUN/dns/keys" -n ZONE "$zone")
    keys+=("$k")
    if [ "$zone" = "." ]; then
        # Two root KSKs, as during a root rollover (KSK-2017 and KSK-2024 are both RSA/SHA-256):
        # both sign, both are trust anchors.
        keys+=("$(dnssec-keygen -q -a RSASHA256 -b 2048 -f KSK -K "$RUN/dns/keys" -n ZONE "$zone")")
    fi
    for key in "${keys[@]}"; do grep -v '^;' "$RUN/dns/keys/$key.key" >>"$f"; done
    local -a key_paths=() opts=()
    for key in "${keys[@]}"; do key_paths+=("$RUN/dns/keys/$key"); done
    local iterations= optout=0
    if [ -n "${ZONE_NSEC3[$zone]:-}" ]; then read -r iterations optout <<<"${ZONE_NSEC3[$zone]}"; fi
    if [ -n "$iterations" ] && [ "$iterations" -gt 150 ]; then
        # dnssec-signzone refuses more than 150 iterations (RFC 9276); ldns-signzone still writes them.
        opts=(-n -t "$iterations" -s 5ca1ab1e)
        [ "$optout" = 1 ] && opts+=(-p)
        ldns-signzone -d "${opts[@]}" -f "$f.signed" "$f" "${key_paths[@]}" >/dev/null
    else
        # -z: each key (a CSK) signs everything; -O full: one record per line, for tamper().
        opts=(-z -O full)
        if [ -n "$iterations" ]; then
            opts+=(-3 - -H "$iterations")
            [ "$optout" = 1 ] && opts+=(-A)
        fi
        if [ -n "${ZONE_VALIDITY[$zone]:-}" ]; then
            local start end
            read -r start end <<<"${ZONE_VALIDITY[$zone]}"
            # -P: no self-check, which would (rightly) refuse signatures that are not valid now.
            opts+=(-P -s "$start" -e "$end")
        fi
        dnssec-signzone -q "${opts[@]}" -d "$RUN/dns/keys" -K "$RUN/dns/keys" -o "$zone" -f "$f.signed" "$f" "${key_paths[@]}" >/dev/null
    fi
    : >"$f.ds"
    if [ "${ZONE_DS[$zone]:-}" != none ]; then
        for key in "${keys[@]}"; do
            dnssec-dsfromkey -2 "$RUN/dns/keys/$key.key" | sed "s/ IN DS / $TTL IN DS /" >>"$f.ds"
        done
        # An unassigned algorithm (200) or digest type (200): the DS set has nothing a validator
        # supports, so the zone is insecure, not bogus (RFC 4035 §5.2, RFC 6840 §5.2).
        case "${ZONE_DS[$zone]:-}" in
            alg) awk 'BEGIN { OFS = " " } $4 == "DS" { $6 = 200 } { print }' "$f.ds" >"$f.ds.tmp" && mv "$f.ds.tmp" "$f.ds" ;;
            digest) awk 'BEGIN { OFS = " " } $4 == "DS" { $7 = 200 } { print }' "$f.ds" >"$f.ds.tmp" && mv "$f.ds.tmp" "$f.ds" ;;
        esac
    fi
    if [ "$zone" = "." ]; then
        # Unbound's anchor (DNSKEY lines) and the lab's -TrustAnchorFile (DS lines, both keys).
        for key in "${keys[@]}"; do grep -v '^;' "$RUN/dns/keys/$key.key"; done >"$RUN/unbound/root.key"
        cp "$f.ds" "$RUN/trust-anchors.txt"
    fi
}

dns_sign_all() {
    # Children first (deepest zones), in parallel per depth; then each parent gets its
    # children's DS records.
    local depth zone pids
    for depth in 3 2 1 0; do
        pids=()
        for zone in "${ZONES[@]}"; do
            local labels
            labels=$(awk -F. '{print NF-1}' <<<"$zone")
            [ "$zone" = "." ] && labels=0
            [ "$labels" = "$depth" ] || continue
            local child
            for child in "${ZONES[@]}"; do
                if [ "${ZONE_PARENT[$child]:-}" = "$zone" ] && [ "${ZONE_SIGNED[$child]}" = 1 ]; then
                    cat "$(zone_file "$child").ds" >>"$(zone_file "$zone")"
                fi
            done
            if [ "${ZONE_SIGNED[$zone]}" = 1 ]; then
                sign_zone "$zone" &
                pids+=($!)
            else
                cp "$(zone_file "$zone")" "$(zone_file "$zone").signed"
            fi
        done
        local p
        for p in "${pids[@]}"; do wait "$p"; done
    done
    local t zone owner type f
    for t in "${TAMPERS[@]}"; do
        IFS='|' read -r zone owner type <<<"$t"
        f="$(zone_file "$zone").signed"
        awk -v owner="$owner" -v type="$type" '
            BEGIN { OFS = "\t" }
            $1 == owner && $3 == "IN" && $4 == type {
                if (type == "TLSA") { d = ""; for (i = 8; i <= NF; i++) d = d $i; gsub(/./, "0", d); $0 = $1 OFS $2 OFS $3 OFS $4 OFS $5 OFS $6 OFS $7 OFS d }
                else if (type == "MX") { $5 = $5 + 1 }
                else if (type == "A") { $5 = "127.0.9.8" }
                else if (type == "NSEC") { $5 = "tampered." $5 }
                done++
            }
            { print }
            END { if (!done) { print "tamper: no " type " at " owner > "/dev/stderr"; exit 1 } }' "$f" >"$f.tmp"
        mv "$f.tmp" "$f"
    done
}

# ------------------------------------------------------------------------------ hosts and sites
alloc4() { echo "127.0.$1.$2"; }

# smtp_host <host.> <zone> <cert kind|none> <starttls yes|no> [SAN names...]
smtp_host() {
    local host=$1 zone=$2 kind=$3 tls=$4
    shift 4
    local name=${host%.}
    local a4 a6
    a4=$(alloc4 $((2 + SMTP_NEXT / 250)) $((SMTP_NEXT % 250 + 1)))
    a6="fd00::2:$(printf '%x' "$SMTP_NEXT")"
    SMTP_NEXT=$((SMTP_NEXT + 1))
    LAB_ADDRESSES4+=("$a4")
    LAB_ADDRESSES6+=("$a6")
    HOST_ADDR4[$host]=$a4
    [ -n "$LAB_FIRST_SMTP_ADDR" ] || LAB_FIRST_SMTP_ADDR=$a4
    rr "$zone" "$host $TTL IN A $a4"
    rr "$zone" "$host $TTL IN AAAA $a6"
    if [ "$kind" != none ]; then
        if [ $# -gt 0 ]; then cert_later "$name" "$kind" "$@"; else cert_later "$name" "$kind" "$name"; fi
        HOST_CERT[$host]=$PKI/leaf/$name.crt
    fi
    SMTP_SERVICES+=("$a4|$name|$tls" "[$a6]|$name|$tls")
}

# tlsa <zone> <owner.> <usage> <selector> <mtype> <source>
#   source: host:<host.> (its leaf), inter, root, or wrong (a digest/key of an unrelated key)
tlsa() {
    local zone=$1 owner=$2 usage=$3 selector=$4 mtype=$5 source=$6 cert data
    case "$source" in
        host:*) cert=${HOST_CERT[${source#host:}]} ;;
        inter) cert=$PKI/inter.crt ;;
        root) cert=$PKI/root.crt ;;
        wrong) cert=$PKI/rogue.crt ;;
    esac
    # Computed after the certificates exist (run_deferred); a placeholder keeps the order.
    local n=${#TLSA_JOBS[@]}
    TLSA_JOBS+=("$zone|$owner|$usage|$selector|$mtype|$cert")
    rr "$zone" "@TLSA-$n@"
}

# Certificates and TLSA data are produced in parallel once all scenarios are declared: most of
# the start-up time is openssl processes.
CERT_JOBS=()
TLSA_JOBS=()
cert_later() { local IFS='|'; CERT_JOBS+=("$*"); }

run_deferred() {
    local job pids=() i=0
    for job in "${CERT_JOBS[@]}"; do
        local -a args
        IFS='|' read -r -a args <<<"$job"
        leaf_cert "${args[@]}" &
        pids+=($!)
        i=$((i + 1))
        # A few at a time: the machine may be small and shared.
        if [ $((i % 8)) = 0 ]; then wait "${pids[@]}"; pids=(); fi
    done
    for job in "${pids[@]}"; do wait "$job" || return 1; done
    mkdir -p "$RUN/dns/tlsa"
    pids=()
    i=0
    for job in "${TLSA_JOBS[@]}"; do
        local zone owner usage selector mtype cert
        IFS='|' read -r zone owner usage selector mtype cert <<<"$job"
        (echo "$owner $TTL IN TLSA $usage $selector $mtype $(tlsa_data "$cert" "$selector" "$mtype")" >"$RUN/dns/tlsa/$i") &
        pids+=($!)
        i=$((i + 1))
        if [ $((i % 8)) = 0 ]; then wait "${pids[@]}"; pids=(); fi
    done
    for job in "${pids[@]}"; do wait "$job" || return 1; done
    local f
    for f in "$RUN"/dns/zones/*.db; do
        grep -q '^@TLSA-' "$f" || continue
        awk -v dir="$RUN/dns/tlsa" '/^@TLSA-[0-9]+@$/ { n = substr($0, 7, length($0) - 7); getline line < (dir "/" n); print line; next } { print }' "$f" >"$f.tmp"
        mv "$f.tmp" "$f"
    done
}

# policy <mode> <mx pattern...>: an RFC 8461 §3.2 policy body
policy() {
    local mode=$1 mx
    shift
    printf 'version: STSv1\nmode: %s\n' "$mode"
    for mx in "$@"; do printf 'mx: %s\n' "$mx"; done
    printf 'max_age: 86400\n'
}

# sts_site <domain> <zone> <variant> <policy file>
#   variant: ok | html (served as text/html) | redirect (301 to a real policy) | notfound (404)
#            | oversize (> 64 KiB) | wrongcert (certificate for another name)
sts_site() {
    local domain=$1 zone=$2 variant=$3 body=$4
    local host="mta-sts.$domain"
    local a4 a6
    a4=$(alloc4 3 "$HTTPS_NEXT")
    a6="fd00::3:$(printf '%x' "$HTTPS_NEXT")"
    HTTPS_NEXT=$((HTTPS_NEXT + 1))
    LAB_ADDRESSES4+=("$a4")
    LAB_ADDRESSES6+=("$a6")
    [ -n "$LAB_FIRST_HTTPS_ADDR" ] || LAB_FIRST_HTTPS_ADDR=$a4
    rr "$zone" "$host. $TTL IN A $a4"
    rr "$zone" "$host. $TTL IN AAAA $a6"
    if [ "$variant" = wrongcert ]; then
        cert_later "$host" pkix "www.unrelated.test"
    else
        cert_later "$host" pkix "$host"
    fi
    local www=$RUN/www/$domain
    mkdir -p "$www"
    cp "$body" "$www/mta-sts.txt"
    if [ "$variant" = oversize ]; then
        # Unknown keys are ignored by parsers, so only the size makes this policy invalid.
        local i
        for i in $(seq 1 1200); do printf 'x-padding-%04d: %s\n' "$i" "0123456789abcdef0123456789abcdef0123456789abcdef"; done >>"$www/mta-sts.txt"
    fi
    local location
    case "$variant" in
        ok | oversize | wrongcert) location="default_type text/plain; alias $www/mta-sts.txt;" ;;
        html) location="types { } default_type text/html; alias $www/mta-sts.txt;" ;;
        redirect) location="return 301 https://$host/policy/current.txt;" ;;
        notfound) location="return 404;" ;;
    esac
    cat >>"$RUN/nginx/servers.conf" <<EOF
    server {
        listen $a4:443 ssl;
        listen [$a6]:443 ssl;
        server_name $host;
        ssl_certificate $PKI/leaf/$host.fullchain;
        ssl_certificate_key $PKI/leaf/$host.key;
        location = /.well-known/mta-sts.txt { $location }
        location = /policy/current.txt { default_type text/plain; alias $www/mta-sts.txt; }
        location / { return 404; }
    }
EOF
}

sts_txt() { rr "$1" "_mta-sts.$2. $TTL IN TXT \"v=STSv1; id=$STS_ID\""; }

# scenario_zone <name> <signed 1|0>: the zone <name>.test. of one partner domain
scenario_zone() {
    zone_add "$1.test." "$2"
    VIRTUAL_DOMAINS+=("$1.test")
    LAB_SCENARIO_COUNT=$((LAB_SCENARIO_COUNT + 1))
}

# ------------------------------------------------------------------------------ configs
write_named_conf() {
    local conf=$RUN/dns/named.conf zone
    cat >"$conf" <<EOF
options {
    directory "$RUN/dns";
    pid-file "$RUN/dns/named.pid";
    session-keyfile "$RUN/dns/session.key";
    managed-keys-directory "$RUN/dns";
    listen-on port 53 { $LAB_NS_ADDR; $LAB_LAME_ADDR; $LAB_STRIP_ADDR; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    notify no;
    allow-transfer { none; };
    minimal-responses no;
};
controls { };
logging {
    channel lab { file "$RUN/logs/named.log"; severity info; print-time yes; };
    category default { lab; };
    category lame-servers { null; };
};
// ns-lame.test serves nothing: every query to it is REFUSED, so delegations to it are lame and
// a validating resolver answers SERVFAIL (with or without CD) at once instead of timing out.
view "lame" {
    match-destinations { $LAB_LAME_ADDR; };
};
// The stripping resolver: it forwards to the non-validating Unbound without EDNS, so no DO bit
// goes upstream and no RRSIG, NSEC(3) or signed DNSKEY set ever comes back (a home router or an
// old middlebox). Local validation cannot prove anything through it.
view "strip" {
    match-destinations { $LAB_STRIP_ADDR; };
    recursion yes;
    allow-recursion { any; };
    allow-query-cache { any; };
    dnssec-validation no;
    forward only;
    forwarders { $LAB_ITER_ADDR; };
    server $LAB_ITER_ADDR { edns no; };
};
view "lab" {
EOF
    for zone in "${ZONES[@]}"; do
        echo "    zone \"$zone\" { type primary; file \"$(zone_file "$zone").signed\"; };" >>"$conf"
    done
    echo "};" >>"$conf"
}

write_unbound_conf() {
    cat >"$RUN/unbound/root.hints" <<EOF
. 3600000 IN NS ns1.test.
ns1.test. 3600000 IN A $LAB_NS_ADDR
EOF
    cat >"$RUN/unbound/unbound.conf" <<EOF
server:
    interface: $LAB_DNS_ADDR
    port: 53
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$RUN/unbound"
    pidfile: "$RUN/unbound/unbound.pid"
    logfile: "$RUN/logs/unbound.log"
    use-syslog: no
    verbosity: 1
    val-log-level: 2
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    access-control: ::1/128 allow
    access-control: fd00::/8 allow
    # The lab's authoritative server lives on loopback.
    do-not-query-localhost: no
    root-hints: "$RUN/unbound/root.hints"
    trust-anchor-file: "$RUN/unbound/root.key"
    module-config: "validator iterator"
    # RFC 6761 names are local zones by default; here they are the lab's internet.
    local-zone: "test." nodefault
    local-zone: "invalid." nodefault
    qname-minimisation: no
    prefetch: no
    serve-expired: no
    infra-host-ttl: 3600
    val-bogus-ttl: 5
    cache-max-negative-ttl: 30
    minimal-responses: no
remote-control:
    control-enable: no
EOF
    # The same resolver without its validator: answers carry RRSIGs when asked (DO=1), never AD.
    sed -e "s/^    interface: .*/    interface: $LAB_ITER_ADDR/" \
        -e 's/^    module-config: .*/    module-config: "iterator"/' \
        -e '/^    trust-anchor-file: /d' \
        -e "s|unbound.pid|unbound-iterator.pid|; s|logs/unbound.log|logs/unbound-iterator.log|" \
        "$RUN/unbound/unbound.conf" >"$RUN/unbound/unbound-iterator.conf"
}

# dnsdist: DoH (RFC 8484) on $LAB_DOH_ADDR:443 with a lab-CA certificate for doh.test, passing
# queries (DO and CD bits untouched) to the non-validating Unbound; no packet cache.
write_dnsdist_conf() {
    mkdir -p "$RUN/dnsdist"
    cat >"$RUN/dnsdist/dnsdist.conf" <<EOF
setSecurityPollSuffix("")
setLocal("$LAB_DOH_ADDR:53")
addDOHLocal("$LAB_DOH_ADDR:443", "$PKI/leaf/doh.test.fullchain", "$PKI/leaf/doh.test.key", "/dns-query")
newServer({ address = "$LAB_ITER_ADDR:53" })
EOF
}

write_postfix() {
    local etc=$RUN/postfix/etc
    mkdir -p "$etc" "$RUN/postfix/queue" "$RUN/postfix/data" "$RUN/maildir"
    chown postfix "$RUN/postfix/data"
    chown 65534:65534 "$RUN/maildir"
    chmod 755 "$RUN/maildir"
    printf '%s\n' "${VIRTUAL_DOMAINS[@]}" >"$etc/virtual_domains"
    # Every recipient of a domain lands in one maildir per domain: maildir/<domain>/new/.
    local domain
    for domain in "${VIRTUAL_DOMAINS[@]}"; do printf '@%s %s/\n' "$domain" "$domain"; done >"$etc/virtual_mailbox"
    cat >"$etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $RUN/postfix/queue
data_directory = $RUN/postfix/data
mail_owner = postfix
setgid_group = postdrop
myhostname = lab-mta.test
mydomain = lab-mta.test
myorigin = \$myhostname
mydestination =
inet_interfaces = all
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128 [fd00::]/8
maillog_file_prefixes = $RUN
maillog_file = $RUN/logs/postfix.log
smtpd_banner = \$myhostname ESMTP DaneMtaSts lab
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
virtual_mailbox_domains = $etc/virtual_domains
virtual_mailbox_maps = texthash:$etc/virtual_mailbox
virtual_mailbox_base = $RUN/maildir
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
# Nothing leaves the lab: no local or outbound delivery.
alias_maps =
alias_database =
local_transport = error:5.1.1 local delivery is disabled in the lab
default_transport = error:5.7.1 the lab relays nothing
relay_transport = error:5.7.1 the lab relays nothing
biff = no
append_dot_mydomain = no
EOF
    # All daemons unchrooted (the private queue has no chroot copies of /etc).
    {
        local svc addr name tls
        for svc in "${SMTP_SERVICES[@]}"; do
            IFS='|' read -r addr name tls <<<"$svc"
            if [ "$tls" = yes ]; then
                echo "$addr:smtp inet n - n - - smtpd -o syslog_name=postfix/$name -o smtpd_tls_chain_files=$PKI/leaf/$name.chain"
            else
                echo "$addr:smtp inet n - n - - smtpd -o syslog_name=postfix/$name -o smtpd_tls_security_level=none"
            fi
        done
        cat <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    } >"$etc/master.cf"

    # posttls-finger reads main.cf from MAIL_CONFIG: DNSSEC on so that "-l dane" works.
    mkdir -p "$RUN/posttls-finger"
    cat >"$RUN/posttls-finger/main.cf" <<EOF
compatibility_level = 3.6
smtp_dns_support_level = dnssec
smtp_host_lookup = dns
inet_protocols = ipv4
EOF
}

write_nginx() {
    mkdir -p "$RUN/nginx/tmp"
    cat >"$RUN/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $RUN/nginx/nginx.pid;
error_log $RUN/logs/nginx-error.log;
events { worker_connections 256; }
http {
    access_log $RUN/logs/nginx-access.log;
    client_body_temp_path $RUN/nginx/tmp/body;
    proxy_temp_path $RUN/nginx/tmp/proxy;
    fastcgi_temp_path $RUN/nginx/tmp/fastcgi;
    uwsgi_temp_path $RUN/nginx/tmp/uwsgi;
    scgi_temp_path $RUN/nginx/tmp/scgi;
    server_tokens off;
    include $RUN/nginx/servers.conf;
}
EOF
}

write_resolv() {
    # trust-ad: glibc passes the AD bit on only when told to (posttls-finger needs it).
    printf 'nameserver %s\noptions edns0 trust-ad\n' "$LAB_DNS_ADDR" >"$RUN/resolv.conf"
}

lab_generate() {
    mkdir -p "$RUN/dns/zones" "$RUN/dns/keys" "$RUN/unbound" "$RUN/nginx" "$RUN/www" "$RUN/logs"
    : >"$RUN/nginx/servers.conf"
    pki_init
    zone_add . 1
    zone_add test. 1 .
    rr . "ns1.test. $TTL IN A $LAB_NS_ADDR"
    rr test. "ns1.test. $TTL IN A $LAB_NS_ADDR"
    rr test. "ns-lame.test. $TTL IN A $LAB_LAME_ADDR"
    rr test. "doh.test. $TTL IN A $LAB_DOH_ADDR"
    cert_later doh.test pkix doh.test
    # shellcheck source=scenarios.sh
    source "$LAB_ROOT/scenarios.sh"
    define_scenarios
    if [ -n "${DANEMTASTS_LAB_BENCH:-}" ]; then
        # Opt-in benchmark domains (tests/lab/bench.sh); the normal lab never reads that file.
        # shellcheck source=bench.sh
        source "$LAB_ROOT/bench.sh"
        bench_define "$DANEMTASTS_LAB_BENCH"
    fi
    run_deferred
    dns_sign_all
    write_named_conf
    write_unbound_conf
    write_dnsdist_conf
    write_postfix
    write_nginx
    write_resolv
    if [ -n "${DANEMTASTS_LAB_BENCH:-}" ]; then bench_configure; fi
    chmod -R a+rX "$RUN/www" "$RUN/nginx"
}
