#!/usr/bin/env bash
# Builds the userspace tools' Debian package into build/debs/ and prints its path:
# tcp-lsm-tools_VERSION-1_ARCH.deb with tcp-policy, tcp-monitor, tcp-policy-compiler,
# their man pages and shell completions (made by tcp-lsm-gen from the clap definitions),
# the systemd units of packaging/systemd/ and /etc/tcp-lsm/ (docs/deployment.md).
#
# The binaries are built on this machine, so they need its glibc or a newer one (Debian 12:
# glibc 2.36). Exit status 0 on success, 1 on a failed step, 2 for bad usage.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/debs"
GEN="$ROOT/build/gen"

if [ "$#" -gt 0 ]; then
  echo "usage: scripts/build-debs.sh   (no options)" >&2
  exit 2
fi
log() { printf 'build-debs: %s\n' "$*" >&2; }

"$ROOT/scripts/setup.sh" --cargo-deb
export PATH="$HOME/.cargo/bin:$PATH"
cd "$ROOT"

log "building the release binaries"
cargo build --release --locked -p tcp-lsm-cli -p tcp-policy-compiler --bins
log "generating man pages and completions into build/gen"
rm -rf "$GEN"
cargo run --release --locked -q -p tcp-lsm-gen -- "$GEN" >&2
# Man pages are installed compressed (Debian policy 12.1); -n keeps the output
# reproducible (no name or time stamp).
gzip -9 -n "$GEN"/man/man1/*.1

log "packaging"
mkdir -p "$OUT"
deb="$(cargo deb --locked --no-build -p tcp-lsm-cli --output "$OUT" | tail -n 1)"
if [ ! -f "$deb" ]; then
  echo "build-debs: cargo deb did not report a package file (got: $deb)" >&2
  exit 1
fi
echo "$deb"
