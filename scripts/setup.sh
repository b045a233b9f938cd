#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine. Idempotent: a second
# run checks what is present and does nothing slow.
set -euo pipefail

APT_PACKAGES=(
  linux-source-6.12 clang lld llvm libclang-dev flex bison bc libelf-dev libssl-dev
  cpio qemu-system-x86 busybox-static xz-utils make python3 libc6-dev gcc
  libcap-dev rsync debootstrap e2fsprogs dpkg-dev debhelper kmod
)
# Node.js for the runtimes guest suite (scripts/node-bundle.sh): any node on PATH will
# do; Debian's when there is none.
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)
# Pinned: bindgen 0.73.0 lays out struct task_struct wrongly on SMP kernels (rust-bindgen
# issue 3406: a padding field in an over-aligned wrapper shifts every field after
# rt_priority by 64 bytes). 0.72.1 matches the C compiler; the kernel build checks every
# field the LSM uses against C (tcp_lsm/layout.rs), so a wrong layout cannot ship.
BINDGEN_VERSION=0.72.1

log() { printf 'setup: %s\n' "$*"; }

# cargo-deb (and dpkg-shlibdeps for the package's library dependencies), for
# scripts/build-debs.sh only, which runs `scripts/setup.sh --cargo-deb`; the rest of this
# script does not need them.
install_cargo_deb() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v dpkg-shlibdeps >/dev/null 2>&1; then
    log "installing dpkg-dev (dpkg-shlibdeps)"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
  fi
  if ! cargo deb --version >/dev/null 2>&1; then
    log "installing cargo-deb"
    cargo install --locked --quiet cargo-deb
  fi
}
if [ "${1:-}" = "--cargo-deb" ]; then
  install_cargo_deb
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

# rust-src for the kernel's Rust; rustfmt and clippy for the format and lint gates of
# scripts/test.sh.
for component in rust-src rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    log "adding rustup component $component"
    rustup component add "$component"
  fi
done

export PATH="$HOME/.cargo/bin:$PATH"
if ! bindgen --version 2>/dev/null | grep -q "bindgen $BINDGEN_VERSION"; then
  log "installing bindgen-cli $BINDGEN_VERSION"
  cargo install --locked --quiet bindgen-cli --version "$BINDGEN_VERSION"
fi

if [ ! -f /usr/src/linux-source-6.12.tar.xz ]; then
  echo "setup: /usr/src/linux-source-6.12.tar.xz missing after installing linux-source-6.12" >&2
  exit 1
fi
log "ready"
