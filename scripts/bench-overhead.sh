#!/usr/bin/env bash
# Overhead of the TCP LSM, measured inside the QEMU guest against a baseline booted from
# the same kernel image in the same run, and the engine's userspace micro-benchmarks.
# Writes docs/performance.md (a benchmark, not a test: it never fails on a figure).
#
#   scripts/bench-overhead.sh [--rounds N] [--samples N] [--reps N] [--clock icount|wall]
#                             [--only B1,B2] [--no-engine] [--out FILE]
#
# Each round boots the kernel twice, alternating (A B A B ...):
#   lsm=landlock      (a) baseline, unconfined      (e) under a Landlock ruleset like (c)
#   lsm=landlock,tcp  (b) unconfined, no policy     (c) realistic agent policy
#                     (d) the same domain in a 10,000-rule policy
# and within a boot alternates its configurations --reps times (--samples samples each).
#
# --clock icount (default): QEMU runs with -icount shift=0, so the guest's clock advances
#   one nanosecond per guest instruction: the figures are instruction counts, the same in
#   every run on every host, immune to the host's load. --clock wall: plain TCG, figures
#   in emulated wall time, noisy.
# --rounds N (default 3), --samples N (default 5), --reps N (default 2).
# --only B1,B2: only these benchmarks (quick checks). --no-engine: skip the criterion runs.
# --out FILE: where the report goes (default docs/performance.md).
#
# Exit status: 0 when every boot ran and the report was written; 1 otherwise; 2 usage.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TCP_LSM_BUILD_DIR:-$REPO/build}
export PATH="$HOME/.cargo/bin:$PATH"
BOOT="$REPO/scripts/qemu-boot.sh"

rounds=3 samples=5 reps=2 clock=icount only="" engine=1 out="$REPO/docs/performance.md"
usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
number() { case "$2" in ''|*[!0-9]*|0) echo "bench-overhead: $1: not a positive number: $2" >&2; exit 2 ;; esac; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) [ $# -ge 2 ] || usage; number "$1" "$2"; rounds=$2; shift 2 ;;
    --samples) [ $# -ge 2 ] || usage; number "$1" "$2"; samples=$2; shift 2 ;;
    --reps) [ $# -ge 2 ] || usage; number "$1" "$2"; reps=$2; shift 2 ;;
    --clock) [ $# -ge 2 ] || usage; case "$2" in icount|wall) clock=$2 ;; *) usage ;; esac; shift 2 ;;
    --only) [ $# -ge 2 ] || usage; only=$2; shift 2 ;;
    --no-engine) engine=0; shift ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "bench-overhead: unknown argument: $1" >&2; usage ;;
  esac
done
case "$only" in *[!a-z_,]*) echo "bench-overhead: --only: bad list '$only'" >&2; exit 2 ;; esac
log() { printf 'bench-overhead: %s\n' "$*" >&2; }

"$REPO/scripts/setup.sh" >&2

# Build the kernel and the guest binaries once (a boot that runs nothing), then the host
# tools: the policy generator, the compiler and the report.
# The benchmark kernel: SMP like the test kernel, without its debug checkers
# (scripts/kernel/bench.config); the guests run on 2 vCPUs.
log "building the benchmark kernel and the guest binaries"
"$BOOT" --flavour bench --run 'true' >/dev/null
# Every boot of the run uses this copy, so a rebuild meanwhile cannot mix two kernels.
image=$BUILD/bench-bzImage
cp "$BUILD/linux-bench/arch/x86/boot/bzImage" "$image"
log "building the host tools"
cargo build --quiet --release --locked --manifest-path "$REPO/Cargo.toml" -p tcp-bench -p tcp-policy-compiler
HOST_BIN=$REPO/target/release

pol=$BUILD/bench-policies/bench
rm -rf "$pol" && mkdir -p "$pol"
"$HOST_BIN/tcp-bench" policy > "$pol/agent.policy"
"$HOST_BIN/tcp-bench" policy --extra-rules 10000 > "$pol/agent-10k.policy"
for p in agent agent-10k; do
  "$HOST_BIN/tcp-policy-compiler" compile "$pol/$p.policy" -o "$pol/$p.bin" >/dev/null
done

qemu_args=()
[ "$clock" = icount ] && qemu_args=(--qemu-arg -icount --qemu-arg shift=0,sleep=off)
guest_args="--samples $samples --reps $reps"
[ -n "$only" ] && guest_args="$guest_args --only $only"

results=$BUILD/bench-results.txt
: > "$results"
boot_n=0
started=$(date +%s)
for round in $(seq 1 "$rounds"); do
  for kind in landlock tcp; do
    boot_n=$((boot_n + 1))
    lsm=landlock; [ "$kind" = tcp ] && lsm=landlock,tcp
    log "round $round/$rounds: boot $boot_n (lsm=$lsm, clock $clock)"
    echo "@boot index=$boot_n kind=$kind" >> "$results"
    rc=0
    "$BOOT" --no-build --kernel "$image" --smp 2 --lsm "$lsm" --add "$pol" "${qemu_args[@]}" --timeout 1800 \
      --run "tcp-bench guest --boot $kind $guest_args" >> "$results" || rc=$?
    if [ "$rc" -ne 0 ]; then
      log "error: boot $boot_n (lsm=$lsm) failed with $rc; its output:"
      sed -n "/^@boot index=$boot_n /,\$p" "$results" >&2
      exit 1
    fi
  done
done
guest_s=$(( $(date +%s) - started ))

crit_dir=$REPO/target/criterion
if [ "$engine" = 1 ]; then
  log "engine micro-benchmarks (criterion)"
  rm -rf "$crit_dir"
  for b in decision format; do
    cargo bench --quiet --locked --manifest-path "$REPO/Cargo.toml" -p tcp-lsm-engine --bench "$b" -- \
      --warm-up-time 1 --measurement-time 3 >&2
  done
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO" diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
facts=(
  "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  "commit: $commit"
  "host: ${cpu:-unknown CPU}, $(nproc) cores, $mem"
  "QEMU: $(qemu-system-x86_64 --version | head -n 1) (TCG, -cpu max, -smp 2, 2 GiB); kernel: the SMP benchmark flavour (scripts/kernel/bench.config)"
  "rustc: $(rustc --version)"
  "runs: $rounds rounds x 2 boots, $reps alternations per boot, $samples samples per benchmark each; guest part took ${guest_s} s"
  "reproduce: \`scripts/bench-overhead.sh --rounds $rounds --samples $samples --reps $reps --clock $clock${only:+ --only $only}\`"
)
fact_args=()
for f in "${facts[@]}"; do fact_args+=(--fact "$f"); done
"$HOST_BIN/tcp-bench" report --results "$results" --criterion "$crit_dir" --clock "$clock" \
  --findings "$REPO/bench/findings.md" "${fact_args[@]}" --out "$out"
log "wrote $out"
sed -n '/^## Kernel overhead/,/^## Engine/p' "$out"
