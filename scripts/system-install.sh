#!/usr/bin/env bash
# Makes a Debian system guest image with packages installed, as a user installs them: a
# copy of the base image of scripts/debian-image.sh, the .deb files installed with
# `dpkg --root` (their maintainer scripts run: the tools' units are enabled as on a real
# machine), and optionally a tree of files laid over the root (policies, units). When a
# linux-image package is among them, the kernel it installed is copied out next to the
# image (IMAGE.vmlinuz), for qemu-boot.sh --kernel: the guest boots the kernel its
# package installed.
#
#   scripts/system-install.sh --out IMAGE [--base IMAGE] [--files DIR] DEB...
#
# Rebuilt only when an input changes (a stamp of the base image's stamp, the packages and
# the files). Needs root and a loop device (mount -o loop). Prints the image's path last.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TCP_LSM_BUILD_DIR:-$REPO/build}
base=$BUILD/debian/bookworm.img out="" files="" debs=()
usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --base) [ $# -ge 2 ] || usage; base=$2; shift 2 ;;
    --files) [ $# -ge 2 ] || usage; [ -d "$2" ] || { echo "system-install: --files: $2 is not a directory" >&2; exit 2; }
             files=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) usage ;;
    -*) echo "system-install: unknown option $1" >&2; usage ;;
    *) [ -f "$1" ] || { echo "system-install: $1: no such package file" >&2; exit 2; }; debs+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"); shift ;;
  esac
done
[ -n "$out" ] && [ "${#debs[@]}" -gt 0 ] || usage
[ -f "$base" ] || { echo "system-install: no base image $base (scripts/debian-image.sh)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || exec sudo --preserve-env=TCP_LSM_BUILD_DIR "$0" "$@"
log() { printf 'system-install: %s\n' "$*" >&2; }

want=$( {
  cat "$base.sha256" 2>/dev/null || sha256sum < "$base"
  sha256sum "${debs[@]}" | cut -d' ' -f1
  [ -z "$files" ] || (cd "$files" && find . -print0 | sort -z | xargs -0 -r sha256sum 2>/dev/null; find . | sort)
} | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ "$(cat "$out.sha256" 2>/dev/null)" = "$want" ]; then
  log "image up to date"
  echo "$out"
  exit 0
fi
start=$(date +%s)
mnt=$(mktemp -d "$BUILD/system-install.XXXXXX")
cleanup() { mountpoint -q "$mnt" && umount "$mnt"; rmdir "$mnt" 2>/dev/null || true; rm -f "$out.tmp"; }
trap cleanup EXIT
cp --sparse=always "$base" "$out.tmp"
mount -o loop "$out.tmp" "$mnt" || { log "mount -o loop failed (no loop device?)"; exit 1; }
log "installing ${#debs[@]} package(s) with dpkg --root"
# Maintainer scripts run chrooted into the image (never on the host: a unit's postinst
# would start it on a host that runs systemd).
if ! dpkg --root="$mnt" -i "${debs[@]}" > "$BUILD/system-install.log" 2>&1; then
  tail -n 30 "$BUILD/system-install.log" >&2
  log "dpkg -i failed (whole log: $BUILD/system-install.log)"
  exit 1
fi
[ -z "$files" ] || cp -a "$files/." "$mnt/"
# Units enabled by the files laid over the root: their [Install] section is honoured as
# `systemctl enable` would (symlinks), without a running systemd.
if [ -n "$files" ] && [ -d "$files/etc/systemd/system" ]; then
  for unit in "$files"/etc/systemd/system/*.service; do
    [ -f "$unit" ] || continue
    wanted=$(sed -n 's/^WantedBy=//p' "$unit" | head -n 1)
    [ -n "$wanted" ] || continue
    mkdir -p "$mnt/etc/systemd/system/$wanted.wants"
    ln -sf "/etc/systemd/system/$(basename "$unit")" "$mnt/etc/systemd/system/$wanted.wants/$(basename "$unit")"
  done
fi
kernel=$(ls "$mnt"/boot/vmlinuz-* 2>/dev/null | head -n 1 || true)
rm -f "$out.vmlinuz"
if [ -n "$kernel" ]; then
  cp "$kernel" "$out.vmlinuz"
  log "kernel installed by its package: /boot/$(basename "$kernel") (copied to $out.vmlinuz)"
fi
umount "$mnt"
mv -f "$out.tmp" "$out"
echo "$want" > "$out.sha256"
log "made in $(( $(date +%s) - start ))s"
echo "$out"
