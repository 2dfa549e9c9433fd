#!/usr/bin/env bash
# Makes a fresh Debian/Ubuntu machine ready to build, demo and test Remote Invoke:
# the system packages it lacks (apt), then the npm dependencies (npm ci). Idempotent and quiet
# unless something fails; run from anywhere.
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

# openssh-server: sshd for the test bed; pssh, ansible-core: peers for benchmarks;
# chromium: UI screenshots; ripgrep, libkrb5-dev: tooling / native build deps;
# the login shells, busybox and dropbear: untidy hosts in the test bed; sudo: run-as-root tests;
# iproute2, iptables, nftables, libnetfilter-queue-dev, tcpdump, ethtool: the WAN bench's namespace.
PACKAGES=(openssh-server pssh ansible-core chromium ripgrep libkrb5-dev
  zsh fish tcsh mksh ksh93u+m yash posh rc elvish busybox dropbear-bin sudo
  iproute2 iptables nftables libnetfilter-queue-dev tcpdump ethtool)

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

# PowerShell: optional for users, required for the full test suite. NuGet serves it as a .NET
# global tool; a wrapper in /usr/local/bin makes it `pwsh` on the default PATH of SSH sessions
# (sshd's PATH has no ~/.dotnet/tools) and gives it the runtime it needs.
install_pwsh() {
  if command -v pwsh >/dev/null 2>&1; then return; fi
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "setup: skipped PowerShell: neither pwsh nor the .NET SDK (dotnet) is installed; the PowerShell tests will be skipped" >&2
    return
  fi
  local tool="$HOME/.dotnet/tools/pwsh"
  if [ ! -x "$tool" ]; then
    dotnet tool install --global PowerShell --version 7.6.9 >/dev/null ||
      { echo "setup: 'dotnet tool install --global PowerShell --version 7.6.9' failed" >&2; exit 1; }
  fi
  local dotnet_root
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  printf '#!/bin/sh\nexport DOTNET_ROOT="${DOTNET_ROOT:-%s}"\nexec %s "$@"\n' "$dotnet_root" "$tool" |
    "${SUDO[@]}" tee /usr/local/bin/pwsh >/dev/null
  "${SUDO[@]}" chmod 755 /usr/local/bin/pwsh
  # The tool's folder must be reachable by the test bed's throw-away users too.
  chmod o+x "$HOME" "$HOME/.dotnet" "$HOME/.dotnet/tools" 2>/dev/null || true
}
install_pwsh

# npm ci only when the lockfile changed since the last install (it also builds dist/ via prepare).
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
