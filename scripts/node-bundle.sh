#!/usr/bin/env bash
# Builds build/node-bundle: the host's Node.js and every library it links, laid out for the
# guest's runtimes suite (guest-tests/src/runtimes.rs), which runs it as
#   LD_LIBRARY_PATH=/add/node-bundle/lib /add/node-bundle/bin/node
# after `scripts/qemu-boot.sh --add build/node-bundle`. The guest already has the loader
# (/lib64/ld-linux-x86-64.so.2, node's PT_INTERP) and the host's libc, copied for
# tcp-hello; the bundle carries its own copy of every other library `ldd` lists (libc
# included: the same files, from the same host).
#
#   bundle/bin/node      the binary (`command -v node`, symlinks resolved)
#   bundle/lib/*.so*     its libraries, under the names ldd resolves them by
#   bundle/VERSION       `node --version`, which the guest compares with its own run
#   bundle/.stamp        what the bundle was built from
#
# The bundle is rebuilt only when the stamp changes: node's path, size and modification
# time, the same of each library, and this script's content. Prints the bundle's folder.
# Needs node on PATH (scripts/setup.sh installs Debian's nodejs when there is none).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TCP_LSM_BUILD_DIR:-$REPO/build}
BUNDLE=$BUILD/node-bundle

log() { printf 'node-bundle: %s\n' "$*" >&2; }

node_path=$(command -v node || true)
[ -n "$node_path" ] || { log "error: no node on PATH (scripts/setup.sh installs Debian's nodejs)"; exit 1; }
node_path=$(readlink -f "$node_path")

# The libraries: `NAME => /path` lines (the vDSO has no path, the loader has no `=>`),
# kept as `NAME /path`: the bundle names each by the name the loader looks for.
ldd_out=$(ldd "$node_path")
libs=$(awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' <<<"$ldd_out" | sort -u)
grep -q '^[[:space:]]*/.*ld-linux' <<<"$ldd_out" \
  || { log "error: ldd found no loader for $node_path (not a dynamic x86-64 program?): $ldd_out"; exit 1; }
if grep -q 'not found' <<<"$ldd_out"; then log "error: $node_path lacks libraries: $ldd_out"; exit 1; fi

stamp=$( {
  stat -L -c '%n %s %Y' "$node_path" $(cut -d' ' -f2 <<<"$libs")
  sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
} )
if [ -f "$BUNDLE/.stamp" ] && [ "$(cat "$BUNDLE/.stamp")" = "$stamp" ] && [ -x "$BUNDLE/bin/node" ]; then
  log "up to date ($(cat "$BUNDLE/VERSION"), $(du -sh "$BUNDLE" | cut -f1))"
  echo "$BUNDLE"
  exit 0
fi

log "building from $node_path"
tmp=$(mktemp -d "$BUILD/node-bundle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
mkdir -p "$tmp/bin" "$tmp/lib"
cp "$node_path" "$tmp/bin/node"
# The loader stays the guest's own (node's PT_INTERP names it there).
while read -r name path; do
  [ -n "$name" ] && cp -L "$path" "$tmp/lib/$name"
done <<<"$libs"
# The bundle must run on the host exactly as the guest runs it: every library found in lib/.
missing=$(LD_LIBRARY_PATH=$tmp/lib ldd "$tmp/bin/node" | grep 'not found' || true)
[ -z "$missing" ] || { log "error: libraries not found in the bundle: $missing"; exit 1; }
LD_LIBRARY_PATH=$tmp/lib "$tmp/bin/node" --version > "$tmp/VERSION"
printf '%s\n' "$stamp" > "$tmp/.stamp"
rm -rf "$BUNDLE"
mv "$tmp" "$BUNDLE"
trap - EXIT
log "built $(cat "$BUNDLE/VERSION"): $(ls "$BUNDLE/lib" | wc -l) libraries, $(du -sh "$BUNDLE" | cut -f1)"
echo "$BUNDLE"
