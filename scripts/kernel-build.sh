#!/usr/bin/env bash
# Builds Linux 6.12 with the TCP LSM built in, incrementally, in the git-ignored build/ folder.
#
# Steps, each skipped when already done:
#   1. unpack /usr/src/linux-source-6.12.tar.xz (Debian's pristine source) into build/;
#   2. apply scripts/kernel/tcp_lsm-integration.patch (Kconfig/Makefile wiring, LSM count
#      and id, bindgen headers), documented in docs/kernel-integration.md;
#   3. copy tcp_lsm/ and the shared engine sources into security/tcp_lsm/ (only files whose
#      content changed, so make recompiles only what changed);
#   4. configure: tinyconfig + scripts/kernel/tcp_lsm.config + the flavour's fragment
#      (redone when a fragment changes);
#   5. make bzImage.
#
#   scripts/kernel-build.sh [--flavour test|bench]
#
# Flavours, each in a tree of its own (build/linux-test, build/linux-bench):
#   test   (default) SMP, preemptible, every debug checker on (scripts/kernel/test.config):
#          the kernel of every guest test;
#   bench  SMP without the debug options (scripts/kernel/bench.config): what the
#          benchmarks measure, close to what users run.
# Prints the path of the bzImage on its last line.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TCP_LSM_BUILD_DIR:-$REPO/build}
TARBALL=/usr/src/linux-source-6.12.tar.xz
flavour=${TCP_LSM_FLAVOUR:-test}
while [ $# -gt 0 ]; do
  case "$1" in
    --flavour) [ $# -ge 2 ] || { echo "kernel-build: --flavour needs test or bench" >&2; exit 2; }; flavour=$2; shift 2 ;;
    *) echo "kernel-build: unknown argument: $1 (usage: kernel-build.sh [--flavour test|bench])" >&2; exit 2 ;;
  esac
done
case "$flavour" in test|bench) ;; *) echo "kernel-build: unknown flavour '$flavour' (test or bench)" >&2; exit 2 ;; esac
KDIR=$BUILD/linux-$flavour
PATCH=$REPO/scripts/kernel/tcp_lsm-integration.patch
FRAGMENTS=("$REPO/scripts/kernel/tcp_lsm.config" "$REPO/scripts/kernel/$flavour.config")
JOBS=${JOBS:-$(nproc)}
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf 'kernel-build: %s\n' "$*" >&2; }
die() { printf 'kernel-build: error: %s\n' "$*" >&2; exit 1; }

[ -f "$TARBALL" ] || die "$TARBALL is missing; run scripts/setup.sh"
mkdir -p "$BUILD"

# 1. Unpack once.
if [ ! -f "$KDIR/.tcp_lsm_unpacked" ]; then
  log "unpacking $TARBALL into $KDIR"
  rm -rf "$KDIR" "$KDIR.unpack"
  mkdir -p "$KDIR.unpack"
  tar -C "$KDIR.unpack" -xf "$TARBALL"
  mv "$KDIR.unpack/linux-source-6.12" "$KDIR"
  rmdir "$KDIR.unpack"
  touch "$KDIR/.tcp_lsm_unpacked"
fi

# 2. Integration patch. The patched files are rebuilt from pristine copies (kept in
#    .tcp_lsm_pristine/) whenever the patch changes, and only files whose content changes are
#    replaced, so that make does not recompile what depends on untouched headers.
patch_sum=$(sha256sum "$PATCH" | cut -d' ' -f1)
if [ "$(cat "$KDIR/.tcp_lsm_patch" 2>/dev/null)" != "$patch_sum" ]; then
  log "applying $(basename "$PATCH")"
  pristine=$KDIR/.tcp_lsm_pristine
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  # Files the patch creates (`--- /dev/null`) have no pristine copy.
  created=$(awk '/^--- \/dev\/null/ { getline; sub(/^\+\+\+ b\//, ""); print }' "$PATCH")
  for f in $(sed -n 's|^+++ b/||p' "$PATCH"); do
    mkdir -p "$(dirname "$stage/$f")"
    if grep -qxF "$f" <<<"$created"; then continue; fi
    if [ ! -f "$pristine/$f" ]; then
      [ -f "$KDIR/$f" ] || die "$f named by the patch is missing from the kernel tree"
      mkdir -p "$(dirname "$pristine/$f")"
      cp -p "$KDIR/$f" "$pristine/$f"
    fi
    cp "$pristine/$f" "$stage/$f"
  done
  patch -d "$stage" -p1 --forward --quiet -F0 < "$PATCH" || die "integration patch does not apply"
  for f in $(sed -n 's|^+++ b/||p' "$PATCH"); do
    cmp -s "$stage/$f" "$KDIR/$f" || cp "$stage/$f" "$KDIR/$f"
  done
  echo "$patch_sum" > "$KDIR/.tcp_lsm_patch"
fi

# 3. Sources: copy only changed files so that make's timestamps stay meaningful.
sync_file() { # src dst
  if ! cmp -s "$1" "$2"; then mkdir -p "$(dirname "$2")"; cp "$1" "$2"; fi
}
DEST=$KDIR/security/tcp_lsm
mkdir -p "$DEST/engine"
for f in "$REPO"/tcp_lsm/Kbuild "$REPO"/tcp_lsm/Kconfig "$REPO"/tcp_lsm/*.rs "$REPO"/tcp_lsm/*.c; do
  sync_file "$f" "$DEST/$(basename "$f")"
done
# The engine's sources at every depth (a directory module such as format/ included).
while IFS= read -r -d '' f; do
  sync_file "$REPO/engine/src/$f" "$DEST/engine/$f"
done < <(cd "$REPO/engine/src" && find . -type f -name '*.rs' -printf '%P\0')
# Drop files that were removed from the repository (not what Kbuild generates there).
for f in "$DEST"/*.rs "$DEST"/*.c; do
  [ -e "$f" ] || continue
  case "$f" in
    "$DEST"/layout_generated.rs) ;;
    *) [ -e "$REPO/tcp_lsm/$(basename "$f")" ] || rm -f "$f" ;;
  esac
done
# Kbuild writes nothing below engine/: every file there is a copy, kept only while its
# source exists (a stale format.rs next to a new format/mod.rs would not even compile).
while IFS= read -r -d '' f; do
  case "$f" in
    *.rs) [ -f "$REPO/engine/src/$f" ] || rm -f "$DEST/engine/$f" ;;
    *) rm -f "$DEST/engine/$f" ;;
  esac
done < <(cd "$DEST/engine" && find . -type f -printf '%P\0')
find "$DEST/engine" -mindepth 1 -type d -empty -delete

# 4. Configure when the fragment (or the patch) changed.
cfg_sum=$(cat "${FRAGMENTS[@]}" "$PATCH" | sha256sum | cut -d' ' -f1)
if [ ! -f "$KDIR/.config" ] || [ "$(cat "$KDIR/.tcp_lsm_config" 2>/dev/null)" != "$cfg_sum" ]; then
  log "configuring the $flavour kernel (tinyconfig + tcp_lsm.config + $flavour.config)"
  make -C "$KDIR" -s LLVM=1 tinyconfig >/dev/null
  "$KDIR/scripts/kconfig/merge_config.sh" -m -O "$KDIR" "$KDIR/.config" "${FRAGMENTS[@]}" >/dev/null
  make -C "$KDIR" -s LLVM=1 olddefconfig >/dev/null
  # Every line of the fragment must have survived olddefconfig.
  bad=0
  while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    key=${line%%=*}; want=${line#*=}
    if [ "$want" = n ]; then
      grep -q "^$key=" "$KDIR/.config" && { log "config: $key is set, wanted off"; bad=1; }
    else
      grep -qxF "$line" "$KDIR/.config" || { log "config: wanted $line, got: $(grep "^$key=\|# $key is not set" "$KDIR/.config" || echo missing)"; bad=1; }
    fi
  done < <(cat "${FRAGMENTS[@]}")
  if [ "$bad" -ne 0 ]; then
    make -C "$KDIR" -s LLVM=1 rustavailable >&2 || true
    die "the config fragment did not apply (see the lines above)"
  fi
  echo "$cfg_sum" > "$KDIR/.tcp_lsm_config"
fi

# 5. Build.
log "make -j$JOBS bzImage ($flavour kernel)"
if ! make -C "$KDIR" LLVM=1 -j"$JOBS" bzImage > "$BUILD/kernel-build-$flavour.log" 2>&1; then
  grep -E 'error|Error' "$BUILD/kernel-build-$flavour.log" | head -40 >&2
  tail -20 "$BUILD/kernel-build-$flavour.log" >&2
  die "kernel build failed; full log: $BUILD/kernel-build-$flavour.log"
fi
grep -E '^(warning|error)|: warning:' "$BUILD/kernel-build-$flavour.log" | grep -i 'tcp_lsm' >&2 || true
echo "$KDIR/arch/x86/boot/bzImage"
