#!/usr/bin/env bash
# Runs `npm run bench` on a clean export of a commit (default HEAD), so uncommitted work in the
# tree is not what gets measured, and writes the results into this checkout's bench/results/.
#   bench/at-commit.sh [REV]        (BENCH_* variables pass through)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rev="$(git -C "$repo" rev-parse "${1:-HEAD}")"
dir="$(mktemp -d "${TMPDIR:-/tmp}/remote-invoke-bench.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
git -C "$repo" archive "$rev" | tar -x -C "$dir"
ln -s "$repo/node_modules" "$dir/node_modules"
echo "bench: measuring $rev (clean export in $dir)" >&2
cd "$dir"
BENCH_COMMIT="$rev" BENCH_OUT="${BENCH_OUT:-$repo/bench/results}" node_modules/.bin/tsx bench/run.ts
