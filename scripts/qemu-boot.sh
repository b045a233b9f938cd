#!/usr/bin/env bash
# Builds what is stale (kernel with the TCP LSM, the project's static binaries, an
# initramfs with busybox) and boots it in QEMU (TCG), always bounded in time.
#
#   scripts/qemu-boot.sh                 the demo: shows the LSM active and what it exposes
#   scripts/qemu-boot.sh --run 'CMD'     runs CMD in the guest (as root, cwd /), prints its
#                                        output and exits with its status
#   scripts/qemu-boot.sh --shell         interactive guest shell (exit with `reboot -f`)
#
# Options:
#   --add DIR        copy DIR into the guest as /add/<basename of DIR> (repeatable)
#   --lsm LIST       value of lsm= (default: landlock,tcp); a list without tcp boots with the
#                    LSM inactive
#   --append ARGS    extra kernel command-line arguments
#   --timeout SECS   wall-clock bound for the whole guest run (default 600; shell 3600)
#   --smp N          virtual CPUs (default 2; the kernel is built for up to 4)
#   --qemu-arg ARG   one more argument for QEMU (repeatable), e.g. --qemu-arg -icount
#   --flavour F      test (default: SMP, preemptible, every debug checker on) or bench
#                    (SMP, no debug options); see scripts/kernel-build.sh
#   --no-build       use the kernel and binaries already built
#   --no-kernel-build  build the binaries but use the kernel already built
#   --kernel FILE    boot this kernel image instead of the built one (implies nothing
#                    about the binaries: combine with --no-build)
#   --verbose        show the full console (kernel messages included) as it happens
#
# The Debian 12 system guest (docs/system-guest.md):
#   --system         boot the Debian image of scripts/debian-image.sh (built when stale;
#                    --no-build uses the one there is) with systemd as PID 1 instead of the
#                    busybox initramfs. The image is booted as a snapshot and never changes.
#                    The job (--run CMD or the demo) runs as root in tcp-run.service once
#                    the boot is done (journald, udev, auditd, logind up), with the same
#                    binaries in /bin, /examples and /add as in the busybox guest and the
#                    same report; the guest then powers off. --shell logs root in on ttyS0
#                    (leave with `poweroff`). Default timeout 900 s (shell 3600).
#   --debs DIR       with --system: install DIR's .deb files with dpkg -i before the job
#                    (repeatable); a failed install ends the run with status 125
#   --image FILE     with --system: boot this image instead of the base one (one made by
#                    scripts/system-install.sh, with packages installed before boot)
#
# Exit status: the command's status for --run (0 for the demo when it succeeded); 124 when
# the guest did not report in time; 125 when it ended without reporting (panic, crash) or
# the kernel logged a report of any checker (warning, oops, BUG, lockdep, KASAN, UBSAN,
# RCU, atomic sleep, lockups, hung tasks) or ended tainted; 2 for a usage error; 1 for a
# build failure.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TCP_LSM_BUILD_DIR:-$REPO/build}
export PATH="$HOME/.cargo/bin:$PATH"

mode=demo run_cmd="" lsm="landlock,tcp" append="" timeout_s="" build=1 verbose=0
adds=() qemu_extra=() kernel_override="" smp=2 flavour=test system=0 debs=() image_override=
usage() { sed -n '2,43p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --run) [ $# -ge 2 ] || usage; mode=run; run_cmd=$2; shift 2 ;;
    --shell) mode=shell; shift ;;
    --add) [ $# -ge 2 ] || usage; [ -d "$2" ] || { echo "qemu-boot: --add: $2 is not a directory" >&2; exit 2; }
           adds+=("$(cd "$2" && pwd)"); shift 2 ;;
    --lsm) [ $# -ge 2 ] || usage; lsm=$2; shift 2 ;;
    --append) [ $# -ge 2 ] || usage; append=$2; shift 2 ;;
    --timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
    --qemu-arg) [ $# -ge 2 ] || usage; qemu_extra+=("$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    --no-kernel-build) build=2; shift ;;
    --smp) [ $# -ge 2 ] || usage; smp=$2; shift 2 ;;
    --flavour) [ $# -ge 2 ] || usage; flavour=$2; shift 2 ;;
    --kernel) [ $# -ge 2 ] || usage; [ -f "$2" ] || { echo "qemu-boot: --kernel: $2 is not a file" >&2; exit 2; }
              kernel_override=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --verbose) verbose=1; shift ;;
    --system) system=1; shift ;;
    --image) [ $# -ge 2 ] || usage; [ -f "$2" ] || { echo "qemu-boot: --image: $2 is not a file" >&2; exit 2; }
             image_override=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --debs) [ $# -ge 2 ] || usage; [ -d "$2" ] || { echo "qemu-boot: --debs: $2 is not a directory" >&2; exit 2; }
            debs+=("$(cd "$2" && pwd)"); shift 2 ;;
    -h|--help) usage ;;
    *) echo "qemu-boot: unknown argument: $1" >&2; usage ;;
  esac
done
case "$lsm" in *[!a-z0-9_,]*|'') echo "qemu-boot: --lsm: bad list '$lsm'" >&2; exit 2 ;; esac
[ "${#debs[@]}" = 0 ] || [ "$system" = 1 ] || { echo "qemu-boot: --debs needs --system" >&2; exit 2; }
[ -z "$image_override" ] || [ "$system" = 1 ] || { echo "qemu-boot: --image needs --system" >&2; exit 2; }
[ -n "$timeout_s" ] || { [ "$mode" = shell ] && timeout_s=3600 || { [ "$system" = 1 ] && timeout_s=900 || timeout_s=600; }; }
case "$timeout_s" in *[!0-9]*|'') echo "qemu-boot: --timeout: not a number" >&2; exit 2 ;; esac
case "$smp" in [1-4]) ;; *) echo "qemu-boot: --smp: 1 to 4 (the kernel is built with NR_CPUS=4)" >&2; exit 2 ;; esac
case "$flavour" in test|bench) ;; *) echo "qemu-boot: --flavour: test or bench" >&2; exit 2 ;; esac

log() { printf 'qemu-boot: %s\n' "$*" >&2; }

# 1. Build what is stale.
GUEST_TARGET=x86_64-unknown-linux-gnu
GUEST_BIN=$BUILD/guest-target/$GUEST_TARGET/release
KERNEL=$BUILD/linux-$flavour/arch/x86/boot/bzImage
if [ "$build" != 0 ]; then
  [ "${TCP_LSM_SKIP_SETUP:-0}" = 1 ] || "$REPO/scripts/setup.sh" >&2
  if [ "$build" = 1 ]; then KERNEL=$("$REPO/scripts/kernel-build.sh" --flavour "$flavour" | tail -n 1); fi
  log "building static guest binaries"
  RUSTFLAGS='-C target-feature=+crt-static' cargo build --quiet --release --locked \
    --manifest-path "$REPO/Cargo.toml" --target "$GUEST_TARGET" \
    --target-dir "$BUILD/guest-target" -p tcp-lsm-cli -p tcp-guest-tests -p tcp-bench
  probe_src=$REPO/guest-tests/probe/tcp-probe.c
  if [ ! -x "$BUILD/tcp-probe" ] || [ "$probe_src" -nt "$BUILD/tcp-probe" ]; then
    gcc -static -O2 -Wall -Werror -o "$BUILD/tcp-probe" "$probe_src"
    # The same program asking for an executable stack (PT_GNU_STACK RWX).
    gcc -static -O2 -Wall -Werror -z execstack -o "$BUILD/tcp-probe-execstack" "$probe_src"
  fi
  # A dynamically linked program, run in the guest with the host's loader and libc.
  hello_src=$REPO/guest-tests/probe/tcp-hello.c
  if [ ! -x "$BUILD/tcp-hello" ] || [ "$hello_src" -nt "$BUILD/tcp-hello" ]; then
    gcc -O2 -Wall -Werror -o "$BUILD/tcp-hello" "$hello_src"
  fi
fi
[ -n "$kernel_override" ] && KERNEL=$kernel_override
[ -f "$KERNEL" ] || { log "no kernel at $KERNEL (run without --no-build)"; exit 1; }
if [ "$system" = 1 ]; then
  IMAGE=$BUILD/debian/bookworm.img
  if [ "$build" != 0 ] && [ -z "$image_override" ]; then IMAGE=$("$REPO/scripts/debian-image.sh" | tail -n 1); fi
  [ -z "$image_override" ] || IMAGE=$image_override
  [ -f "$IMAGE" ] || { log "no Debian image at $IMAGE (run scripts/debian-image.sh)"; exit 1; }
fi

# 2. The guest: the Debian image and a job disk, or an initramfs with busybox.
if [ "$system" = 1 ]; then
  # The job disk: the job, the project's binaries, examples, added folders and packages;
  # the guest's tcp-run.service mounts it and runs its job.sh (scripts/guest/system-job.sh).
  root=$(mktemp -d "$BUILD/system-job.XXXXXX")
  cleanup() { rm -rf "$root" "$root.img" "${console:-}"; }
  trap cleanup EXIT
  chmod 0755 "$root"
  mkdir -p "$root"/{bin,add,debs}
  for b in tcp-policy tcp-monitor tcp-guest-tests tcp-bench; do cp "$GUEST_BIN/$b" "$root/bin/$b"; done
  for b in tcp-probe tcp-probe-execstack tcp-hello; do cp "$BUILD/$b" "$root/bin/$b"; done
  # The guest suite runs /bin/busybox; Debian has none.
  cp /bin/busybox "$root/bin/busybox"
  cp -a "$REPO/examples" "$root/examples"
  for d in "${adds[@]}"; do cp -a "$d" "$root/add/$(basename "$d")"; done
  for d in "${debs[@]}"; do
    n=0
    for f in "$d"/*.deb; do [ -f "$f" ] && cp "$f" "$root/debs/" && n=$((n + 1)); done
    [ "$n" -gt 0 ] || { log "--debs: no .deb file in $d"; exit 2; }
  done
  echo "$mode" > "$root/mode"
  case "$mode" in
    run) printf '%s\n' "$run_cmd" > "$root/run.sh" ;;
    demo) cp "$REPO/scripts/guest/demo.sh" "$root/run.sh" ;;
  esac
  cp "$REPO/scripts/guest/system-job.sh" "$root/job.sh"
  jobdisk=$root.img
  size_mib=$(( $(du -sm "$root" | cut -f1) * 5 / 4 + 16 ))
  # Made first, so that mkfs says nothing (its "Creating regular file" would land in the
  # job's output on stdout).
  truncate -s "${size_mib}M" "$jobdisk"
  mkfs.ext4 -q -F -L tcp-job -d "$root" "$jobdisk" >&2
  # 3. Boot: the image as a snapshot (QEMU keeps the writes in an unlinked file in TMPDIR),
  # the job disk read-only.
  # systemd shows only failures on the console (its progress spinner would fill it).
  # q35, not pc: evaluating the pc machine's ACPI _PRT (a loop in AML) for the virtio
  # disks' interrupts takes longer than ACPICA's 30 s loop timeout on the debug kernel
  # under TCG; the routing then fails and the disks hang. q35's _PRT is a table.
  cmdline="console=ttyS0 root=/dev/vda rw rootfstype=ext4 panic=-1 oops=panic loglevel=4 lsm=$lsm systemd.show_status=error $append"
  qemu=(env TMPDIR="$BUILD" qemu-system-x86_64 -M q35 -accel tcg -cpu max,la57=off -m 2G -smp "$smp" -nographic -no-reboot
        -kernel "$KERNEL" -append "$cmdline"
        -drive "file=$IMAGE,format=raw,if=virtio,snapshot=on"
        -drive "file=$jobdisk,format=raw,if=virtio,readonly=on" "${qemu_extra[@]}")
else
  # The initramfs: busybox, our binaries, an init script and the job.
  root=$(mktemp -d "$BUILD/initramfs.XXXXXX")
  cleanup() { rm -rf "$root" "$root.cpio.gz" "${console:-}"; }
  trap cleanup EXIT
  # mktemp made the folder 0700; it becomes the guest's /, which every user must traverse.
  chmod 0755 "$root"
  mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,add}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for b in tcp-policy tcp-monitor tcp-guest-tests tcp-bench; do cp "$GUEST_BIN/$b" "$root/bin/$b"; done
  cp "$BUILD/tcp-probe" "$root/bin/tcp-probe"
  cp "$BUILD/tcp-probe-execstack" "$root/bin/tcp-probe-execstack"
  # The dynamic program with its loader and libc, where its PT_INTERP and the loader's
  # default search path expect them.
  cp "$BUILD/tcp-hello" "$root/bin/tcp-hello"
  mkdir -p "$root/lib64" "$root/lib/x86_64-linux-gnu"
  for lib in $(ldd "$BUILD/tcp-hello" | grep -o '/[^ ]*\.so[^ ]*'); do
    cp -L "$lib" "$root/lib/x86_64-linux-gnu/$(basename "$lib")"
  done
  ln -sf ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  cp -a "$REPO/examples" "$root/examples"
  for d in "${adds[@]}"; do cp -a "$d" "$root/add/$(basename "$d")"; done
  echo "$mode" > "$root/etc/tcp-lsm-job"
  case "$mode" in
    run) printf '%s\n' "$run_cmd" > "$root/etc/tcp-lsm-run.sh" ;;
    demo) cp "$REPO/scripts/guest/demo.sh" "$root/etc/tcp-lsm-run.sh" ;;
  esac
  cp "$REPO/scripts/guest/init" "$root/init"
  chmod +x "$root/init"
  # Named after this run's folder, so that runs at once from one build folder do not mix.
  initrd=$root.cpio.gz
  (cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) | gzip -1 > "$initrd"

  # 3. Boot.
  cmdline="console=ttyS0 panic=-1 oops=panic loglevel=4 lsm=$lsm $append"
  qemu=(qemu-system-x86_64 -accel tcg -cpu max,la57=off -m 2G -smp "$smp" -nographic -no-reboot
        -kernel "$KERNEL" -initrd "$initrd" -append "$cmdline" "${qemu_extra[@]}")
fi
if [ "$mode" = shell ]; then
  log "interactive shell; leave with '$([ "$system" = 1 ] && echo poweroff || echo reboot -f)' (bounded to ${timeout_s}s)"
  if [ "$system" = 1 ]; then
    # Not exec: the EXIT trap removes the job disk afterwards.
    set +e; timeout --foreground "$timeout_s" "${qemu[@]}"; exit $?
  fi
  exec timeout --foreground "$timeout_s" "${qemu[@]}"
fi

console=$(mktemp "$BUILD/console.XXXXXX")
log "booting the $flavour kernel$([ "$system" = 1 ] && echo " and the Debian image") (lsm=$lsm, $smp vCPUs, bounded to ${timeout_s}s)"
set +e
if [ "$verbose" = 1 ]; then
  timeout "$timeout_s" "${qemu[@]}" < /dev/null 2>&1 | tee "$console" >&2
  status=${PIPESTATUS[0]}
else
  timeout "$timeout_s" "${qemu[@]}" < /dev/null > "$console" 2>&1
  status=$?
fi
set -e
tr -d '\r' < "$console" > "$console.txt" && mv "$console.txt" "$console"

# 4. Report.
section() { sed -n "/^@@TCP_LSM_$1_BEGIN@@\$/,/^@@TCP_LSM_$1_END/p" "$console" | sed '1d;$d'; }
end_line=$(grep -a '^@@TCP_LSM_OUTPUT_END rc=' "$console" | tail -n 1 || true)
# The guest prints a line break before the end marker, so that output without a final
# newline cannot hide it: drop that one line break again.
section OUTPUT | sed '${/^$/d;}'
# Reports of the kernel's checkers, in the kernel log and anywhere on the console: WARN
# and BUG (lockdep, suspicious RCU usage and sleeping in atomic context print those),
# KASAN ("BUG: KASAN"), SLUB debugging ("BUG cache (...): ..."), UBSAN, debug objects,
# list corruption, RCU stalls, soft lockups, hung tasks, Rust panics; and a tainted kernel.
checker_reports='WARNING:|BUG:|BUG [^ ]+ \(|Oops|Kernel panic|general protection|Call Trace:|panicked at|RIP:|UBSAN:|KASAN:|ODEBUG:|list_(add|del) corruption|detected stalls?|self-detected stall|soft lockup|blocked for more than|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|sleeping function called|scheduling while atomic'
# The job's own output is not scanned (the kernel's lines in it are in the log as well).
problems=$( { section DMESG; sed "/^@@TCP_LSM_OUTPUT_BEGIN@@\$/,/^@@TCP_LSM_OUTPUT_END/d" "$console"; } \
  | grep -a -E "$checker_reports" | sort -u || true)
taint=$(sed -n 's/^@@TCP_LSM_TAINTED \([0-9]*\)@@$/\1/p' "$console" | tail -n 1)
if [ -n "$taint" ] && [ "$taint" != 0 ]; then
  problems="${problems:+$problems
}the kernel ended tainted ($taint; see Documentation/admin-guide/tainted-kernels.rst)"
fi
if [ -z "$end_line" ]; then
  if [ "$status" = 124 ]; then
    log "error: the guest did not report within ${timeout_s}s; last console lines:"
    tail -n 30 "$console" >&2
    exit 124
  fi
  log "error: the guest ended without reporting (kernel panic or crash?); last console lines:"
  tail -n 40 "$console" >&2
  exit 125
fi
if [ -n "$problems" ]; then
  # The whole console stays for a look at the full report.
  cp "$console" "$BUILD/console-problems.log"
  log "error: the kernel logged problems (whole console: build/console-problems.log):"
  printf '%s\n' "$problems" >&2
  exit 125
fi
rc=${end_line#*rc=}; rc=${rc%%@@*}
exit "$rc"
