#!/usr/bin/env bash
# Installs the lab's real servers (BIND, Unbound, Postfix, nginx, dnsdist, ldns tools) and the headless
# browser the report test renders with (Chromium), microsocks and iptables (the port-25 block and
# its SOCKS5 proxy) when any is missing.
# Needs root; a no-op when everything is already there.
set -euo pipefail
need=()
for pair in named:bind9 dig:bind9-dnsutils unbound:unbound postfix:postfix nginx:nginx-light ldns-signzone:ldnsutils posttls-finger:postfix ip:iproute2 openssl:openssl curl:curl chromium:chromium dnsdist:dnsdist microsocks:microsocks iptables:iptables setpriv:util-linux; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ]; then need+=("$pkg"); fi
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
    echo "The lab needs these packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string lab.invalid" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2046
apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
# The distribution starts the daemons on install; the lab runs its own private instances.
for svc in named bind9 unbound postfix nginx dnsdist; do
    (command -v systemctl >/dev/null && systemctl stop "$svc" 2>/dev/null) || service "$svc" stop >/dev/null 2>&1 || true
done
