#!/usr/bin/env bash
# Makes a fresh Debian/Ubuntu machine ready to build, demo and test Remote Invoke:
# the system packages it lacks (apt), then the npm dependencies (npm ci). Idempotent and quiet
# unless something fails; run from anywhere.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

# openssh-server: sshd for the test bed; pssh, ansible-core: peers for benchmarks;
# chromium: UI screenshots; ripgrep, libkrb5-dev: tooling / native build deps.
PACKAGES=(openssh-server pssh ansible-core chromium ripgrep libkrb5-dev)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "setup: not root and no sudo; system packages cannot be installed" >&2
  fi
fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Keep package scripts from starting services (a system sshd on port 22, ...).
  policy=/usr/sbin/policy-rc.d
  made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    made_policy=1
  fi
  cleanup_policy() { if [ -n "$made_policy" ]; then "${SUDO[@]}" rm -f "$policy"; fi; }
  trap cleanup_policy EXIT
  log=$(mktemp)
  if ! { "${SUDO[@]}" apt-get update -qq &&
         "${SUDO[@]}" apt-get install -y -qq -o Dpkg::Use-Pty=0 "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  cleanup_policy
  trap - EXIT
fi

# sshd run as root needs its privilege-separation dir (normally made by systemd).
if [ ! -d /run/sshd ]; then "${SUDO[@]}" mkdir -p -m 0755 /run/sshd; fi

command -v node >/dev/null 2>&1 || { echo "setup: node (>= 20) is required" >&2; exit 1; }

# npm ci only when the lockfile changed since the last install (it also builds dist/ via prepare).
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
