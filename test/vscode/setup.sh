#!/usr/bin/env bash
# Installs what the VS Code tests need into .vscode-test/ (gitignored): code-server from the npm
# registry (it hosts the real VS Code workbench and a Node extension host — VS Code itself cannot be
# downloaded on machines that only reach npm and Debian) and playwright-core to drive Debian's
# chromium. Idempotent: a second run only checks stamps and returns.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${VSCODE_TEST_CACHE:-$ROOT/.vscode-test}
CS_VERSION=${CS_VERSION:-4.100.3}        # VS Code 1.100.3; the newest code-server whose engines accept node 20
PW_VERSION=${PW_VERSION:-1.64.1}
RG_CACHE_VERSION=1.15.11                 # @vscode/ripgrep version that code-server 4.100.3 pulls in
RG_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

CS_STAMP="$CACHE/code-server/.installed-$CS_VERSION"
PW_STAMP="$CACHE/driver/.installed-$PW_VERSION"
if [ -f "$CS_STAMP" ] && [ -f "$PW_STAMP" ] && command -v chromium >/dev/null; then
  exit 0
fi

T0=$(date +%s)
log() { echo "[vscode-test setup +$(( $(date +%s) - T0 ))s] $*"; }

# Debian packages: chromium (the browser), ripgrep (replaces @vscode/ripgrep's GitHub download),
# libkrb5-dev (gssapi.h for the kerberos module's node-gyp build). Only asked for when missing.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v rg >/dev/null || missing+=(ripgrep)
[ -f /usr/include/gssapi/gssapi.h ] || [ -f /usr/include/gssapi.h ] || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

mkdir -p "$CACHE/tmp"
if [ ! -f "$CS_STAMP" ]; then
  # @vscode/ripgrep's postinstall looks in $TMPDIR/vscode-ripgrep-cache-<ver>/<asset> before
  # downloading from GitHub: seed it with Debian's rg.
  rgcache="$CACHE/tmp/vscode-ripgrep-cache-$RG_CACHE_VERSION"
  if [ ! -f "$rgcache/$RG_ASSET" ]; then
    stage=$(mktemp -d "$CACHE/tmp/rgstage.XXXX")
    mkdir -p "$rgcache"
    cp "$(command -v rg)" "$stage/rg"
    tar czf "$rgcache/$RG_ASSET" -C "$stage" rg
    rm -rf "$stage"
  fi
  mkdir -p "$CACHE/code-server"
  cd "$CACHE/code-server"
  [ -f package.json ] || echo '{"name":"vscode-test-code-server","private":true}' > package.json
  log "npm install code-server@$CS_VERSION (about a minute)"
  # --unsafe-perm: code-server's postinstall refuses to run as root without it.
  # npm_config_yes=true: node-pty's postinstall runs `npx node-gyp`, which must not stop to ask.
  TMPDIR="$CACHE/tmp" npm_config_yes=true npm install --no-save --no-audit --no-fund \
    "code-server@$CS_VERSION" --unsafe-perm --foreground-scripts --loglevel=error >"$CACHE/code-server/install.log" 2>&1 \
    || { tail -40 "$CACHE/code-server/install.log"; exit 1; }
  "$CACHE/code-server/node_modules/.bin/code-server" --version >/dev/null
  touch "$CS_STAMP"
fi

if [ ! -f "$PW_STAMP" ]; then
  mkdir -p "$CACHE/driver"
  cd "$CACHE/driver"
  [ -f package.json ] || echo '{"name":"vscode-test-driver","private":true}' > package.json
  log "npm install playwright-core@$PW_VERSION"
  npm install --no-save --no-audit --no-fund "playwright-core@$PW_VERSION" --loglevel=error
  touch "$PW_STAMP"
fi
log "ready: $("$CACHE/code-server/node_modules/.bin/code-server" --version | head -1)"
