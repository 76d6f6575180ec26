#!/usr/bin/env bash
# The DaneMtaSts lab: real BIND, Unbound, Postfix and nginx on private loopback addresses.
#
#   bash tests/lab/lab.sh run -- <command...>
#
# starts the lab in a private network/mount/pid namespace, runs the command inside it with the
# DANEMTASTS_LAB_* variables set, stops everything and exits with the command's exit code.
# Everything (keys, zones, signatures, certificates, configs) is generated fresh in a run
# directory under tests/lab/.run/<pid>/ (or /tmp/danemtasts-lab.*/<pid>/ when the checkout is not
# reachable by the daemons' users), removed afterwards (DANEMTASTS_LAB_KEEP=1 keeps it).
# See tests/lab/README.md.
set -euo pipefail

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SCRIPT="$LAB_ROOT/lab.sh"

usage() {
    echo "usage: bash tests/lab/lab.sh run -- <command> [args...]" >&2
    exit 2
}

log() { printf 'lab: %s\n' "$*" >&2; }

# True when users other than root can reach $1: every folder from / down to it has o+x.
others_can_traverse() {
    local dir
    dir=$(realpath "$1")
    while [ -n "$dir" ] && [ "$dir" != "/" ]; do
        case "$(stat -c %A "$dir")" in
            *x | *t) ;;
            *) return 1 ;;
        esac
        dir=$(dirname "$dir")
    done
    return 0
}

# ---------------------------------------------------------------------------------------------
# Outside the namespace: checks, run directory, signal forwarding, cleanup.
# ---------------------------------------------------------------------------------------------
outer_run() {
    [ $# -gt 0 ] || usage
    if [ "$(id -u)" != "0" ]; then
        echo "The lab needs root: it creates a private network namespace (unshare --net --pid) and may install packages." >&2
        bash "$LAB_ROOT/install-packages.sh" || true
        exit 1
    fi
    bash "$LAB_ROOT/install-packages.sh"

    # Postfix and nginx workers run unprivileged and must traverse the run directory, so it lives
    # under the checkout only when every folder above it lets others through (a clone inside a
    # mktemp -d folder, mode 0700, does not); otherwise in a fresh folder under /tmp.
    local run_base="$LAB_ROOT/.run"
    if ! others_can_traverse "$LAB_ROOT"; then
        run_base=$(mktemp -d /tmp/danemtasts-lab.XXXXXX)
    fi
    local run_dir="$run_base/$$"
    rm -rf "$run_dir"
    mkdir -p "$run_dir"
    chmod 755 "$run_base" "$run_dir"

    # unshare's parent ignores SIGTERM while it waits, so signals are forwarded to its child, the
    # namespace's init (our inner half), which stops the daemons and exits; the kernel then kills
    # whatever is left in the pid namespace. --kill-child covers unshare itself being killed.
    # The namespace runs as an asynchronous job so that this shell can forward signals; its stdin
    # is passed explicitly (an asynchronous job would otherwise get /dev/null).
    exec 3<&0
    unshare --net --mount --pid --fork --kill-child=SIGTERM --mount-proc \
        bash "$LAB_SCRIPT" __inside "$run_dir" "$@" <&3 3<&- &
    local ns_pid=$!
    exec 3<&-
    local forwarded=0
    forward() {
        forwarded=1
        local child
        for child in $(cat "/proc/$ns_pid/task/$ns_pid/children" 2>/dev/null); do
            kill -TERM "$child" 2>/dev/null || true
        done
    }
    trap forward INT TERM HUP
    local rc=0
    while :; do
        set +e
        wait "$ns_pid"
        rc=$?
        set -e
        # wait returns early (status > 128) when a trapped signal arrives; keep waiting.
        kill -0 "$ns_pid" 2>/dev/null || break
    done
    trap - INT TERM HUP
    if [ "${DANEMTASTS_LAB_KEEP:-0}" = "1" ]; then
        log "run directory kept: $run_dir"
    else
        rm -rf "$run_dir"
        rmdir "$run_base" 2>/dev/null || true
    fi
    if [ "$forwarded" = "1" ] && [ "$rc" = "0" ]; then rc=130; fi
    exit "$rc"
}

# ---------------------------------------------------------------------------------------------
# Inside the namespace (pid 1): network, generation, daemons, the command, teardown.
# ---------------------------------------------------------------------------------------------
DAEMON_PIDS=()
COMMAND_PID=

stop_daemons() {
    local pid i
    if [ -n "${RUN:-}" ] && [ -f "$RUN/postfix/etc/main.cf" ]; then
        postfix -c "$RUN/postfix/etc" stop >/dev/null 2>&1 || true
    fi
    for pid in "${DAEMON_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for i in $(seq 1 50); do
        local alive=0
        for pid in "${DAEMON_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = "0" ] && break
        sleep 0.1
    done
    for pid in "${DAEMON_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

on_signal() {
    trap - TERM INT HUP
    log "interrupted: stopping the lab"
    [ -n "$COMMAND_PID" ] && kill -TERM "$COMMAND_PID" 2>/dev/null || true
    stop_daemons
    exit 143
}

wait_for() {
    # wait_for <what> <seconds> <command...>: polls until the command succeeds.
    local what=$1 seconds=$2 i
    shift 2
    for i in $(seq 1 $((seconds * 10))); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    log "$what did not come up within ${seconds}s; see $RUN/logs"
    return 1
}

tcp_open() { (exec 9<>"/dev/tcp/$1/$2") 2>/dev/null; }

# The SOCKS5 proxies (microsocks) and the switchable port-25 block. The proxies run as a dedicated
# user that exists only inside this mount namespace (copies of /etc/passwd and /etc/group with one
# more entry are bind-mounted over the originals), so nothing on the host changes. Every outbound
# TCP connection to port 25 (IPv4 and IPv6) passes the chain LAB_PORT25_CHAIN, empty at start:
# Set-LabPort25Block (LabHelpers.psm1) fills it with an owner-matched REJECT or DROP that spares
# the proxy user only. See README.md "Port 25 blocked, and a SOCKS5 proxy".
LAB_SOCKS_USER=danemtasts-socks
LAB_SOCKS_ADDR=127.0.1.60        # microsocks, no authentication
LAB_SOCKS_AUTH_ADDR=127.0.1.61   # microsocks with username/password (RFC 1929)
LAB_SOCKS_PORT=1080
LAB_PORT25_CHAIN=DANEMTASTS-PORT25
LAB_PORT25_READY=0

# A free uid/gid (no passwd or group entry on this machine) for the proxy user.
free_id() {
    local id=64525
    while getent passwd "$id" >/dev/null 2>&1 || getent group "$id" >/dev/null 2>&1; do id=$((id + 1)); done
    echo "$id"
}

# bind_copy <file> <copy>: the copy replaces the file inside this mount namespace only.
bind_copy() {
    local target
    target=$(readlink -f "$1")
    chmod 644 "$2"
    mount --bind "$2" "$target"
}

start_proxies() {
    local id
    if getent passwd "$LAB_SOCKS_USER" >/dev/null 2>&1; then
        id=$(id -u "$LAB_SOCKS_USER")
    else
        id=$(free_id)
        cp /etc/passwd "$RUN/passwd"
        cp /etc/group "$RUN/group"
        echo "$LAB_SOCKS_USER:x:$id:$id:DaneMtaSts lab SOCKS5 proxy:/nonexistent:/usr/sbin/nologin" >>"$RUN/passwd"
        echo "$LAB_SOCKS_USER:x:$id:" >>"$RUN/group"
        bind_copy /etc/passwd "$RUN/passwd"
        bind_copy /etc/group "$RUN/group"
    fi
    LAB_SOCKS_UID=$id
    LAB_SOCKS_USERNAME=lab
    LAB_SOCKS_PASSWORD=$(openssl rand -hex 12)
    ip addr add "$LAB_SOCKS_ADDR/32" dev lo
    ip addr add "$LAB_SOCKS_AUTH_ADDR/32" dev lo
    setpriv --reuid="$id" --regid="$id" --clear-groups --inh-caps=-all \
        microsocks -i "$LAB_SOCKS_ADDR" -p "$LAB_SOCKS_PORT" >"$RUN/logs/microsocks.out" 2>&1 &
    DAEMON_PIDS+=($!)
    setpriv --reuid="$id" --regid="$id" --clear-groups --inh-caps=-all \
        microsocks -i "$LAB_SOCKS_AUTH_ADDR" -p "$LAB_SOCKS_PORT" -u "$LAB_SOCKS_USERNAME" -P "$LAB_SOCKS_PASSWORD" >"$RUN/logs/microsocks-auth.out" 2>&1 &
    DAEMON_PIDS+=($!)

    # The chain every outbound connection to port 25 passes; empty = no block. Without a working
    # iptables (no nf_tables/xt_owner in this kernel) the lab still runs and the port-25 tests say why.
    local tables ok=1
    for tables in iptables ip6tables; do
        { "$tables" -w -N "$LAB_PORT25_CHAIN" &&
            "$tables" -w -A OUTPUT -p tcp --dport 25 -j "$LAB_PORT25_CHAIN" &&
            "$tables" -w -A "$LAB_PORT25_CHAIN" -m owner ! --uid-owner "$LAB_SOCKS_USER" -j RETURN &&
            "$tables" -w -F "$LAB_PORT25_CHAIN"; } >>"$RUN/logs/iptables.out" 2>&1 || ok=0
    done
    if [ "$ok" = 1 ]; then LAB_PORT25_READY=1; else log "iptables with the owner match does not work here (see logs/iptables.out): no port-25 block"; fi
}

inner() {
    RUN=$1
    shift
    trap on_signal TERM INT HUP
    local t0
    t0=$(date +%s.%N)

    ip link set lo up
    # shellcheck source=gen.sh
    source "$LAB_ROOT/gen.sh"
    lab_generate
    local addr
    for addr in "${LAB_ADDRESSES4[@]}"; do ip addr add "$addr/32" dev lo; done
    for addr in "${LAB_ADDRESSES6[@]}"; do ip -6 addr add "$addr/128" dev lo nodad; done

    # The lab resolver becomes the system resolver inside this mount namespace only.
    local resolv
    resolv=$(readlink -f /etc/resolv.conf)
    [ -e "$resolv" ] || { touch "$resolv"; }
    mount --bind "$RUN/resolv.conf" "$resolv"

    mkdir -p "$RUN/logs"
    start_proxies
    named -f -c "$RUN/dns/named.conf" >"$RUN/logs/named.out" 2>&1 &
    DAEMON_PIDS+=($!)
    unbound -d -c "$RUN/unbound/unbound.conf" >"$RUN/logs/unbound.out" 2>&1 &
    DAEMON_PIDS+=($!)
    unbound -d -c "$RUN/unbound/unbound-iterator.conf" >"$RUN/logs/unbound-iterator.out" 2>&1 &
    DAEMON_PIDS+=($!)
    dnsdist --supervised --disable-syslog -C "$RUN/dnsdist/dnsdist.conf" >"$RUN/logs/dnsdist.out" 2>&1 &
    DAEMON_PIDS+=($!)
    nginx -c "$RUN/nginx/nginx.conf" -g 'daemon off;' >"$RUN/logs/nginx.out" 2>&1 &
    DAEMON_PIDS+=($!)
    postfix -c "$RUN/postfix/etc" start >"$RUN/logs/postfix.out" 2>&1 || {
        log "Postfix did not start; its logs:"
        tail -n 20 "$RUN/logs/postfix.out" "$RUN/logs/postfix.log" 2>/dev/null >&2 || true
        stop_daemons
        exit 1
    }
    local master_pid
    master_pid=$(tr -d ' ' <"$RUN/postfix/queue/pid/master.pid" 2>/dev/null || true)
    [ -n "$master_pid" ] && DAEMON_PIDS+=("$master_pid")

    local ok=1
    wait_for "BIND" 10 dig +time=1 +tries=1 +norec @"$LAB_NS_ADDR" . SOA || ok=0
    [ "$ok" = 1 ] && { wait_for "Unbound" 10 bash -c "dig +time=1 +tries=1 @$LAB_DNS_ADDR test. SOA | grep -q 'flags:.* ad'" || ok=0; }
    [ "$ok" = 1 ] && { wait_for "Unbound (iterator)" 10 bash -c "dig +time=1 +tries=1 +dnssec @$LAB_ITER_ADDR test. SOA | grep -q RRSIG" || ok=0; }
    [ "$ok" = 1 ] && { wait_for "BIND (stripping forwarder)" 10 dig +time=1 +tries=1 @"$LAB_STRIP_ADDR" test. SOA || ok=0; }
    [ "$ok" = 1 ] && { wait_for "dnsdist (DoH)" 10 tcp_open "$LAB_DOH_ADDR" 443 || ok=0; }
    [ "$ok" = 1 ] && { wait_for "Postfix" 10 tcp_open "$LAB_FIRST_SMTP_ADDR" 25 || ok=0; }
    [ "$ok" = 1 ] && { wait_for "nginx" 10 tcp_open "$LAB_FIRST_HTTPS_ADDR" 443 || ok=0; }
    [ "$ok" = 1 ] && { wait_for "microsocks" 10 tcp_open "$LAB_SOCKS_ADDR" "$LAB_SOCKS_PORT" || ok=0; }
    [ "$ok" = 1 ] && { wait_for "microsocks (auth)" 10 tcp_open "$LAB_SOCKS_AUTH_ADDR" "$LAB_SOCKS_PORT" || ok=0; }
    if [ "$ok" != 1 ]; then
        tail -n 20 "$RUN"/logs/*.out "$RUN"/logs/*.log 2>/dev/null >&2 || true
        stop_daemons
        exit 1
    fi
    local t1
    t1=$(date +%s.%N)
    log "$(printf 'up in %.1f s: %d scenarios, DNS %s, run dir %s' "$(awk "BEGIN{print $t1 - $t0}")" "$LAB_SCENARIO_COUNT" "$LAB_DNS_ADDR" "$RUN")"

    export DANEMTASTS_LAB_DIR="$RUN"
    export DANEMTASTS_LAB_DNS="$LAB_DNS_ADDR"
    export DANEMTASTS_LAB_CA="$RUN/pki/lab-ca.pem"
    export DANEMTASTS_LAB_SCENARIOS="$LAB_ROOT/scenarios.csv"
    export DANEMTASTS_LAB_MAILDIR="$RUN/maildir"
    export DANEMTASTS_LAB_SMTP_PORT=25
    export DANEMTASTS_LAB_HTTPS_PORT=443
    export DANEMTASTS_LAB_POSTTLS_CONFIG="$RUN/posttls-finger"
    export DANEMTASTS_LAB_DNS_NONVALIDATING="$LAB_ITER_ADDR"
    export DANEMTASTS_LAB_DNS_STRIPPING="$LAB_STRIP_ADDR"
    export DANEMTASTS_LAB_DOH="$LAB_DOH_URL"
    export DANEMTASTS_LAB_TRUST_ANCHORS="$RUN/trust-anchors.txt"
    export DANEMTASTS_LAB_SOCKS="socks5://$LAB_SOCKS_ADDR:$LAB_SOCKS_PORT"
    export DANEMTASTS_LAB_SOCKS_AUTH="socks5://$LAB_SOCKS_AUTH_ADDR:$LAB_SOCKS_PORT"
    export DANEMTASTS_LAB_SOCKS_USERNAME="$LAB_SOCKS_USERNAME"
    export DANEMTASTS_LAB_SOCKS_PASSWORD="$LAB_SOCKS_PASSWORD"
    export DANEMTASTS_LAB_SOCKS_USER="$LAB_SOCKS_USER"
    export DANEMTASTS_LAB_SOCKS_UID="$LAB_SOCKS_UID"
    if [ "$LAB_PORT25_READY" = 1 ]; then export DANEMTASTS_LAB_PORT25_CHAIN="$LAB_PORT25_CHAIN"; fi
    export DANEMTASTS_LAB_POSTFIX_LOG="$RUN/logs/postfix.log"
    export DANEMTASTS_LAB_SENTINEL_SMTP="$LAB_FIRST_SMTP_ADDR"
    if [ -n "${DANEMTASTS_LAB_BENCH:-}" ]; then
        export DANEMTASTS_LAB_BENCH_DIR="$RUN/bench"
        export DANEMTASTS_LAB_UNBOUND_CONF="$RUN/unbound/unbound.conf"
    fi

    # The command runs as a child (not exec) so that the daemons are stopped after it.
    exec 3<&0
    "$@" <&3 3<&- &
    COMMAND_PID=$!
    exec 3<&-
    local rc=0
    while :; do
        set +e
        wait "$COMMAND_PID"
        rc=$?
        set -e
        kill -0 "$COMMAND_PID" 2>/dev/null || break
    done
    COMMAND_PID=
    stop_daemons
    exit "$rc"
}

case "${1:-}" in
    run)
        shift
        [ "${1:-}" = "--" ] && shift
        outer_run "$@"
        ;;
    __inside)
        shift
        inner "$@"
        ;;
    *) usage ;;
esac
