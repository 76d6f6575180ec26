# shellcheck shell=bash
# Opt-in benchmark additions to the lab, sourced by gen.sh only when DANEMTASTS_LAB_BENCH is set
# (e.g. "200x20,2000x50": groups of N partner domains sharing M MX hosts). The normal lab never
# reads this file. Everything is listed under $RUN/bench/ for tests/bench/Invoke-Benchmark.ps1:
#   groups.txt            "<group> <domains> <hosts>" per line
#   g<k>.domains          the group's partner domains, one a line
#   g<k>.hosts            "<host> <IPv4> <IPv6>" per MX host of the group
#   relays.txt            "<proto> <listen address:port> <target address:port>" for the delaying relay
#   rtt.txt               "<kind> <domain>" of the round-trip domains (reached only through the relay)
#
# Layout (one signed zone, so that thousands of domains cost one dnssec-signzone run, not thousands):
#   bench.test.           signed; d<i>.g<k>.bench.test. MX 10 h<j>.g<k>.bench.test. (all DANE-EE 3 1 1)
#                         rtt-dane.bench.test. MX -> mx.rtt-dane.bench.test. A = the SMTP relay
#   bench-sts.test.       unsigned; MTA-STS enforce, MX and mta-sts. host A = relay addresses
# Bench MX hosts get their own address range (127.0.4.0 and up, fd00::4:x) so they never collide
# with the scenarios' hosts (127.0.2.x) or sites (127.0.3.x). Relays listen on 127.0.9.x.

BENCH_RELAY_DNS=127.0.9.53
BENCH_RELAY_SMTP_DANE=127.0.9.1
BENCH_RELAY_SMTP_STS=127.0.9.2
BENCH_RELAY_HTTPS_STS=127.0.9.3
# Backends of the round-trip domains are written into a zone file that named never loads: their
# own address records must not be published, only the relay's.
BENCH_HIDDEN_ZONE=bench-backends.invalid.
BENCH_HOST_NEXT=0

# bench_host <host.> <zone>: a DANE-EE MX host with A and AAAA records in <zone>, its own
# self-signed certificate and Postfix smtpd on both addresses.
bench_host() {
    local host=$1 zone=$2 name=${1%.} n=$BENCH_HOST_NEXT
    local a4 a6
    a4="127.0.$((4 + n / 250)).$((n % 250 + 1))"
    a6="fd00::4:$(printf '%x' "$n")"
    BENCH_HOST_NEXT=$((n + 1))
    LAB_ADDRESSES4+=("$a4")
    LAB_ADDRESSES6+=("$a6")
    HOST_ADDR4[$host]=$a4
    rr "$zone" "$host $TTL IN A $a4"
    rr "$zone" "$host $TTL IN AAAA $a6"
    cert_later "$name" self "$name"
    HOST_CERT[$host]=$PKI/leaf/$name.crt
    SMTP_SERVICES+=("$a4|$name|yes" "[$a6]|$name|yes")
    tlsa "$zone" "_25._tcp.$host" 3 1 1 "host:$host"
    echo "$name $a4 $a6"
}

bench_define() {
    local spec=$1 dir=$RUN/bench z=bench.test. group k=0
    mkdir -p "$dir"
    : >"$dir/groups.txt"
    zone_add "$z" 1
    local -a groups
    IFS=',' read -r -a groups <<<"$spec"
    for group in "${groups[@]}"; do
        local n=${group%x*} m=${group#*x} i j
        if ! [[ $n =~ ^[0-9]+$ && $m =~ ^[0-9]+$ ]] || [ "$m" -lt 1 ] || [ "$n" -lt 1 ]; then
            echo "DANEMTASTS_LAB_BENCH: '$group' is not <domains>x<hosts> (e.g. 200x20)" >&2
            return 1
        fi
        k=$((k + 1))
        echo "g$k $n $m" >>"$dir/groups.txt"
        for j in $(seq 1 "$m"); do bench_host "h$j.g$k.bench.test." "$z"; done >"$dir/g$k.hosts"
        # The MX records of all domains go in with one write (thousands of rr calls are slow).
        for i in $(seq 1 "$n"); do
            echo "d$i.g$k.bench.test. $TTL IN MX 10 h$(((i - 1) % m + 1)).g$k.bench.test."
        done >>"$(zone_file "$z")"
        for i in $(seq 1 "$n"); do echo "d$i.g$k.bench.test"; done >"$dir/g$k.domains"
    done

    # Round trips, DANE-EE: the MX host's published address is the relay; the relay forwards to
    # the real smtpd (allocated by smtp_host, whose own address records go to the hidden zone).
    local d=rtt-dane.bench.test
    smtp_host "mx.$d." "$BENCH_HIDDEN_ZONE" self yes
    rr "$z" "$d. $TTL IN MX 10 mx.$d."
    rr "$z" "mx.$d. $TTL IN A $BENCH_RELAY_SMTP_DANE"
    tlsa "$z" "_25._tcp.mx.$d." 3 1 1 "host:mx.$d."
    local dane_backend=${HOST_ADDR4[mx.$d.]}

    # Round trips, MTA-STS (unsigned, enforce): MX and policy host both behind the relay.
    local s=bench-sts.test sz=bench-sts.test.
    zone_add "$sz" 0
    smtp_host "mx.$s." "$BENCH_HIDDEN_ZONE" pkix yes
    rr "$sz" "$s. $TTL IN MX 10 mx.$s."
    rr "$sz" "mx.$s. $TTL IN A $BENCH_RELAY_SMTP_STS"
    local sts_backend=${HOST_ADDR4[mx.$s.]}
    local https_backend
    https_backend=$(alloc4 3 "$HTTPS_NEXT")
    policy enforce "mx.$s" >"$RUN/www/policies/$s"
    sts_txt "$sz" "$s"
    sts_site "$s" "$BENCH_HIDDEN_ZONE" ok "$RUN/www/policies/$s"
    rr "$sz" "mta-sts.$s. $TTL IN A $BENCH_RELAY_HTTPS_STS"

    LAB_ADDRESSES4+=("$BENCH_RELAY_DNS" "$BENCH_RELAY_SMTP_DANE" "$BENCH_RELAY_SMTP_STS" "$BENCH_RELAY_HTTPS_STS")
    cat >"$dir/relays.txt" <<EOF
udp $BENCH_RELAY_DNS:53 $LAB_DNS_ADDR:53
tcp $BENCH_RELAY_DNS:53 $LAB_DNS_ADDR:53
tcp $BENCH_RELAY_SMTP_DANE:25 $dane_backend:25
tcp $BENCH_RELAY_SMTP_STS:25 $sts_backend:25
tcp $BENCH_RELAY_HTTPS_STS:443 $https_backend:443
EOF
    printf 'dane %s\nsts %s\n' "$d" "$s" >"$dir/rtt.txt"
}

# After the configs are written: Unbound logs every query it receives and can be flushed through a
# local control socket (no keys: a Unix socket is protected by file permissions).
bench_configure() {
    local conf=$RUN/unbound/unbound.conf
    sed -i -e 's|^remote-control:$|    log-queries: yes\nremote-control:|' \
        -e "s|^    control-enable: no$|    control-enable: yes\n    control-interface: $RUN/unbound/control.sock\n    control-use-cert: no|" "$conf"
}
