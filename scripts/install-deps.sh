#!/usr/bin/env bash
# Installs everything openshift-runbooks needs on a Debian machine, from nothing:
#   - the daemons and their own checkers (bind9, bind9-dnsutils' dig, isc-dhcp-server, haproxy): the
#     tests check rendered files with them, and the simulated helper hosts run them (a real named and
#     HAProxy per host on loopback); OpenSSH's sshd (the SSH tests talk to a real one on loopback),
#     util-linux's setpriv (the daemons die with the simulator) and a kubectl client;
#   - the BMC side: ipmitool (the IPMI power driver), python3-pyghmi (the simulated IPMI BMCs), and
#     the Redfish clients the simulated Redfish BMC is tested with (redfishtool, python3-sushy);
#   - the Temporal CLI (embedded dev server), found or built by `runbook server --install`;
#   - the simulated lab's real control plane (etcd, kube-apiserver, kube-controller-manager,
#     kube-scheduler), built once with Go into the user cache by `runbook sim --install`;
#   - Node.js 24 LTS into .tools/ when the machine's node is older than 22.19 (scripts/node-runtime.sh);
#   - the npm dependencies (`npm ci`, install scripts as decided in package.json "allowScripts").
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

missing_packages=()
command -v named-checkzone >/dev/null || missing_packages+=(bind9-utils)
command -v named >/dev/null || [ -x /usr/sbin/named ] || missing_packages+=(bind9)
command -v dig >/dev/null || missing_packages+=(bind9-dnsutils)
command -v setpriv >/dev/null || missing_packages+=(util-linux)
command -v dhcpd >/dev/null || [ -x /usr/sbin/dhcpd ] || missing_packages+=(isc-dhcp-server)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing_packages+=(haproxy)
[ -x /usr/sbin/sshd ] || missing_packages+=(openssh-server)
command -v ssh-keygen >/dev/null || missing_packages+=(openssh-client)
command -v kubectl >/dev/null || missing_packages+=(kubernetes-client)
command -v ipmitool >/dev/null || missing_packages+=(ipmitool)
command -v redfishtool >/dev/null || missing_packages+=(redfishtool)
# Debian's own python3 (a python3 earlier on PATH may not see Debian's modules).
/usr/bin/python3 -c 'import pyghmi.ipmi.bmc' 2>/dev/null || missing_packages+=(python3-pyghmi)
/usr/bin/python3 -c 'import sushy' 2>/dev/null || missing_packages+=(python3-sushy)

if [ ${#missing_packages[@]} -gt 0 ]; then
  log "Debian packages: ${missing_packages[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # Keep the package scripts from starting the daemons: the project starts its own, on loopback
  # ports, and a named or dhcpd listening on the machine is not wanted.
  policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  trap '[ -n "$policy_added" ] && $sudo rm -f /usr/sbin/policy-rc.d' EXIT
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing_packages[@]}"
fi

log "Node.js"
# shellcheck source=scripts/node-runtime.sh
source scripts/node-runtime.sh
echo "node $(node --version) at $(command -v node)"

log "npm dependencies"
npm ci --no-audit --no-fund

log "Temporal CLI"
node bin/runbook.js server --install

log "Real control plane of the simulated lab (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)"
node bin/runbook.js sim --install
