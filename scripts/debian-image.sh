#!/usr/bin/env bash
# Builds the disk image of the Debian 12 system guest (scripts/qemu-boot.sh --system): a
# debootstrap'ed bookworm (variant minbase) with the packages of
# scripts/guest/system/packages, configured for the guest by
# scripts/guest/system/configure.sh, on an ext4 file system made with `mkfs.ext4 -d` (no
# loop mount). Cached in build/debian/: rebuilt only when a file of scripts/guest/system/
# (but scenarios/) changes (the stamp is a sha256 of those files and of the recipe below). The last line
# printed is the image's path. See docs/system-guest.md.
#
#   scripts/debian-image.sh           build when stale, print the image's path
#   scripts/debian-image.sh --force   rebuild even when the stamp matches
#
# Needs root (debootstrap chroots and creates device nodes): runs itself under sudo when
# not root. Packages come from http://deb.debian.org/debian (override with
# TCP_LSM_DEBIAN_MIRROR); the downloaded .deb files stay in build/debian/cache, so a
# rebuild after a package list change downloads only what is new.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TCP_LSM_BUILD_DIR:-$REPO/build}
OUT=$BUILD/debian
SYSTEM=$REPO/scripts/guest/system
SUITE=bookworm
VARIANT=minbase
MIRROR=${TCP_LSM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Free space the guest gets on top of the installed system (the guest writes to a
# snapshot; the raw image is sparse, so this costs no disk space on the host).
FREE_MIB=1024
IMAGE=$OUT/$SUITE.img
STAMP=$IMAGE.sha256

log() { printf 'debian-image: %s\n' "$*" >&2; }

force=0
case "${1:-}" in
  --force) force=1 ;;
  '') ;;
  *) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  exec sudo --preserve-env=TCP_LSM_BUILD_DIR,TCP_LSM_DEBIAN_MIRROR "$0" "$@"
fi

# The inputs: every file of scripts/guest/system/ (name and content) and the recipe.
inputs_hash() {
  {
    printf 'suite=%s variant=%s mirror=%s free=%s mkfs=ext4-d\n' "$SUITE" "$VARIANT" "$MIRROR" "$FREE_MIB"
    # scenarios/ holds the scripts the jobs run (they reach the guest on the job disk),
    # not the image's inputs.
    (cd "$SYSTEM" && find . -path ./scenarios -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -d' ' -f1
}

mkdir -p "$OUT"
exec 9> "$OUT/.lock"
flock 9   # one build at a time; a second caller waits and then finds the image fresh
want=$(inputs_hash)
if [ "$force" = 0 ] && [ -f "$IMAGE" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
  log "image up to date"
  echo "$IMAGE"
  exit 0
fi

command -v debootstrap >/dev/null || { log "debootstrap missing (scripts/setup.sh installs it)"; exit 1; }
command -v mkfs.ext4 >/dev/null || { log "mkfs.ext4 missing (e2fsprogs)"; exit 1; }

rootfs=$OUT/rootfs.tmp
# debootstrap mounts /proc and /sys in the target while it installs; a failed run can
# leave them mounted. Unmount whatever is below the tree before deleting it.
remove_rootfs() {
  [ -d "$rootfs" ] || return 0
  local m
  for m in $(awk -v r="$rootfs" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$rootfs"
}
cleanup() { remove_rootfs; rm -f "$IMAGE.tmp"; }
trap cleanup EXIT
remove_rootfs

packages=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$SYSTEM/packages" | tr -s ' \n' ',,' | sed 's/,$//')
start=$(date +%s)
log "debootstrap $SUITE ($VARIANT) from $MIRROR with: $packages"
mkdir -p "$OUT/cache"
if ! nice debootstrap --variant="$VARIANT" --include="$packages" --cache-dir="$OUT/cache" \
    "$SUITE" "$rootfs" "$MIRROR" > "$OUT/debootstrap.log" 2>&1; then
  log "debootstrap failed; last lines of $OUT/debootstrap.log:"
  tail -n 30 "$OUT/debootstrap.log" >&2
  [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
  exit 1
fi
log "debootstrap done in $(( $(date +%s) - start ))s; configuring"
"$SYSTEM/configure.sh" "$rootfs"

used_mib=$(du -sm --one-file-system "$rootfs" | cut -f1)
size_mib=$(( used_mib + used_mib / 4 + FREE_MIB ))
log "making the ext4 image (${used_mib} MiB of files, ${size_mib} MiB file system)"
rm -f "$IMAGE.tmp"
truncate -s "${size_mib}M" "$IMAGE.tmp"
nice mkfs.ext4 -q -F -L tcp-root -d "$rootfs" "$IMAGE.tmp" >&2
# The stamp last: a build interrupted before this point is redone.
mv -f "$IMAGE.tmp" "$IMAGE"
echo "$want" > "$STAMP"
log "built in $(( $(date +%s) - start ))s"
echo "$IMAGE"
