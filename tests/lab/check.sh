#!/usr/bin/env bash
# The lab's own smoke test: reference clients (dig, posttls-finger, curl) against every scenario
# of scenarios.csv. Run inside the lab:
#   bash tests/lab/lab.sh run -- bash tests/lab/check.sh
# Prints one line per scenario and exits 1 when a reference client disagrees with the table's
# Mandatory expectation (posttls-finger DANE-verified <=> Mandatory Deliver/Dane) or a policy
# host does not answer as its scenario says.
set -uo pipefail

: "${DANEMTASTS_LAB_SCENARIOS:?run inside the lab: bash tests/lab/lab.sh run -- bash tests/lab/check.sh}"
export MAIL_CONFIG=$DANEMTASTS_LAB_POSTTLS_CONFIG

# CSV -> '|'-separated rows (not tabs: read would merge empty tab-separated fields) (RFC 4180 quoting; no embedded newlines in the table).
csv_rows() {
    awk '
        function split_csv(line, out,    n, i, c, field, quoted) {
            n = 0; field = ""; quoted = 0
            for (i = 1; i <= length(line); i++) {
                c = substr(line, i, 1)
                if (quoted) {
                    if (c == "\"" && substr(line, i + 1, 1) == "\"") { field = field c; i++ }
                    else if (c == "\"") quoted = 0
                    else field = field c
                } else if (c == "\"") quoted = 1
                else if (c == ",") { out[++n] = field; field = "" }
                else field = field c
            }
            out[++n] = field
            return n
        }
        { sub(/\r$/, "") }
        NR == 1 { n = split_csv($0, head); for (i = 1; i <= n; i++) col[head[i]] = i; next }
        {
            split_csv($0, f)
            print f[col["Scenario"]] "|" f[col["Domain"]] "|" f[col["SmartHost"]] "|" \
                  f[col["MandatoryOutcome"]] "|" f[col["MandatoryStatusCode"]] "|" f[col["MandatorySecurity"]] "|" \
                  f[col["MandatoryMxHost"]] "|" f[col["OpportunisticOutcome"]] "|" f[col["OpportunisticSecurity"]]
        }' "$DANEMTASTS_LAB_SCENARIOS"
}

# dig_status <name> <type> [+cd]: RCODE plus "/ad" when the answer is authenticated.
dig_status() {
    local out status
    out=$(dig +dnssec +time=3 +tries=1 "$@" 2>&1)
    status=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out")
    [ -n "$status" ] || status=TIMEOUT
    if grep -q '^;; flags:.* ad[ ;]' <<<"$out"; then status="$status/ad"; fi
    if [ "$status" = NOERROR ] || [ "$status" = NOERROR/ad ]; then
        grep -qE "^[^;].*[[:space:]]IN[[:space:]]+$2[[:space:]]" <<<"$out" || status="$status(nodata)"
    fi
    echo "$status"
}

# ptf <destination>: "<verdict> <host>" from posttls-finger -l dane-only.
#   Dane       Verified, by a DANE TLSA match
#   Pkix       Verified by the lab CA after posttls-finger fell back to "secure" (no usable TLSA)
#   Untrusted / Trusted / Anonymous   TLS without verification
#   NoStartTls the server offered no STARTTLS; DnsError / TlsaError  lookup failures
ptf() {
    local out verdict host
    out=$(timeout 30 posttls-finger -c -l dane-only -F "$DANEMTASTS_LAB_CA" "$1" 2>&1)
    host=$(sed -n 's/.* connection established to \([^[]*\)\[.*/\1/p' <<<"$out" | head -n1)
    if grep -q 'Verified TLS connection' <<<"$out"; then
        if grep -q 'Matched DANE' <<<"$out"; then verdict=Dane; else verdict=Pkix; fi
    elif grep -q 'Untrusted TLS connection' <<<"$out"; then verdict=Untrusted
    elif grep -q 'Trusted TLS connection' <<<"$out"; then verdict=Trusted
    elif grep -q 'Anonymous TLS connection' <<<"$out"; then verdict=Anonymous
    elif grep -q 'TLSA lookup' <<<"$out"; then verdict=TlsaError
    elif grep -qi 'lookup failed\|not found' <<<"$out"; then verdict=DnsError
    elif grep -qi 'STARTTLS' <<<"$out" || [ -z "$out" ]; then verdict=NoStartTls
    else verdict=Failed
    fi
    echo "$verdict ${host:--}"
}

# sts <domain>: HTTP status and media type of the policy URL (no redirects followed).
sts() {
    curl -sS --max-time 5 --max-redirs 0 --cacert "$DANEMTASTS_LAB_CA" -o /dev/null \
        -w '%{http_code} %{content_type} %{size_download}B' "https://mta-sts.$1/.well-known/mta-sts.txt" 2>/dev/null |
        sed 's/^000 .*/fail/' 
}

failures=0
count=0
printf '%-30s %-17s %-28s %-22s %-28s %-22s %s\n' SCENARIO MX TLSA "(+cd)" POSTTLS-FINGER EXPECTED-MANDATORY AGREE
while IFS='|' read -r scenario domain smarthost m_outcome m_code m_security m_host o_outcome o_security; do
    count=$((count + 1))
    dest=$domain
    [ -n "$smarthost" ] && dest="[$smarthost]"
    mx=$(dig_status "$domain" MX)
    # A failed MX lookup: bogus when the same query with CD answers, an outage when it does not.
    case "$mx" in SERVFAIL*) mx="$mx(cd:$(dig_status "$domain" MX +cd | cut -d/ -f1))" ;; esac
    tlsa_host=${m_host:-$domain}
    [ -n "$smarthost" ] && tlsa_host=$smarthost
    # The TLSA base name is the CNAME-expanded host name (RFC 7672 §2.2.2).
    target=$(dig +short "$tlsa_host" CNAME | head -n1)
    tlsa_base=${target%.}
    tlsa_base=${tlsa_base:-$tlsa_host}
    tlsa=$(dig_status "_25._tcp.$tlsa_base" TLSA)
    tlsa_cd=$(dig_status "_25._tcp.$tlsa_base" TLSA +cd)
    read -r verdict host <<<"$(ptf "$dest")"
    # posttls-finger stops at the first host it reaches; when another host decides, ask that one.
    if [ -z "$smarthost" ] && [ -n "$m_host" ] && [ "$host" != - ] && [ "$host" != "$m_host" ] && [ "$m_outcome" = Deliver ]; then
        read -r verdict host <<<"$(ptf "[$m_host]")"
    fi
    expected="$m_outcome ${m_code:-$m_security}"
    agree=yes
    if [ "$m_outcome $m_security" = "Deliver Dane" ]; then
        [ "$verdict" = Dane ] || agree=NO
    else
        [ "$verdict" != Dane ] || agree=NO
    fi
    if [ "$o_outcome $o_security" = "Deliver MtaSts" ]; then
        policy=$(sts "$domain")
        case "$policy" in 200\ text/plain*) ;; *) agree=NO ;; esac
        expected="$expected; sts $policy"
    fi
    case "$scenario" in
        sts-redirect) policy=$(sts "$domain"); case "$policy" in 301*) ;; *) agree=NO ;; esac ;;
        sts-text-html) policy=$(sts "$domain"); case "$policy" in 200\ text/html*) ;; *) agree=NO ;; esac ;;
        sts-404) policy=$(sts "$domain"); case "$policy" in 404*) ;; *) agree=NO ;; esac ;;
        sts-policy-wrong-cert) policy=$(sts "$domain"); case "$policy" in fail | 000*) ;; *) agree=NO ;; esac ;;
        sts-oversize)
            policy=$(sts "$domain")
            size=${policy##* }; size=${size%B}
            [ "${size:-0}" -gt 65536 ] || agree=NO
            ;;
        *) policy= ;;
    esac
    [ -n "$policy" ] && verdict="$verdict; sts $policy"
    [ "$agree" = yes ] || failures=$((failures + 1))
    printf '%-30s %-17s %-28s %-22s %-28s %-22s %s\n' "$scenario" "$mx" "$tlsa" "$tlsa_cd" "$verdict ${host}" "$expected" "$agree"
done < <(csv_rows)

echo
echo "$count scenarios, $failures disagreements"
[ "$failures" = 0 ]
