#!/usr/bin/env bash
# Builds the kernel with the TCP LSM as an installable Debian package (`make bindeb-pkg`,
# the kernel's own packaging), from the tree scripts/kernel-build.sh keeps up to date.
#
#   scripts/kernel-deb.sh [--flavour bench|test]
#
#   bench  (default) SMP without the debug options: the kernel a machine runs
#          (scripts/kernel/bench.config);
#   test   the debug test kernel (every checker on): what the Debian guest of
#          scripts/qemu-boot.sh --system installs and boots in the test command, where a
#          checker report must fail the run.
#
# Writes build/debs/kernel-FLAVOUR/linux-image-VERSION_PKGVERSION_amd64.deb and prints its
# path on the last line. The kernel's own debian/rules needs dpkg-dev, debhelper and kmod
# (scripts/setup.sh installs them). A tree already built packages in under a minute.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TCP_LSM_BUILD_DIR:-$REPO/build}
flavour=bench
while [ $# -gt 0 ]; do
  case "$1" in
    --flavour) [ $# -ge 2 ] || { echo "kernel-deb: --flavour needs bench or test" >&2; exit 2; }; flavour=$2; shift 2 ;;
    *) echo "kernel-deb: unknown argument: $1 (usage: kernel-deb.sh [--flavour bench|test])" >&2; exit 2 ;;
  esac
done
case "$flavour" in test|bench) ;; *) echo "kernel-deb: unknown flavour '$flavour' (bench or test)" >&2; exit 2 ;; esac
export PATH="$HOME/.cargo/bin:$PATH"

"$REPO/scripts/kernel-build.sh" --flavour "$flavour" >&2
KDIR=$BUILD/linux-$flavour
OUT=$BUILD/debs/kernel-$flavour
version=$(grep -o '^[0-9]*\.[0-9]*\.[0-9]*' <<<"$(make -s -C "$KDIR" kernelversion)")
# The package version names the project's version and the flavour, so that the two
# flavours' packages are told apart by dpkg -l.
pkgversion="$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO/Cargo.toml" | head -n 1)-tcp-$flavour"
log=$BUILD/kernel-deb-$flavour.log
echo "kernel-deb: make bindeb-pkg ($flavour kernel $version, package $pkgversion)" >&2
# bindeb-pkg writes its packages next to the tree (into $BUILD); they are moved to $OUT.
rm -f "$BUILD"/linux-image-*_"$pkgversion"_*.deb "$BUILD"/linux-libc-dev_"$pkgversion"_*.deb
if ! make -C "$KDIR" LLVM=1 -j"${JOBS:-$(nproc)}" KDEB_PKGVERSION="$pkgversion" bindeb-pkg > "$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "kernel-deb: make bindeb-pkg failed (whole log: $log)" >&2
  exit 1
fi
mkdir -p "$OUT"
rm -f "$OUT"/*.deb
deb=$(ls "$BUILD"/linux-image-*_"$pkgversion"_amd64.deb | grep -v -- '-dbg_' | head -n 1)
mv "$deb" "$OUT/"
rm -f "$BUILD"/linux-*_"$pkgversion"_*.deb "$BUILD"/linux-upstream_"$pkgversion"_*
echo "$OUT/$(basename "$deb")"
