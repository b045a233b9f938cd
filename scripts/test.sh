#!/usr/bin/env bash
# Runs every test of the project on a fresh machine (set-up included):
#   1. the workspace's `cargo test`;
#   2. the guest tests in QEMU with the LSM active (lsm=landlock,tcp);
#   3. the guest tests for a kernel booted without it (lsm=landlock);
#   4. checks of scripts/qemu-boot.sh itself: exit status, --add, time bound, and that a
#      failing guest test turns the run red.
# Exits non-zero when anything fails; prints a summary.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"
BOOT="$REPO/scripts/qemu-boot.sh"
failures=()
step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'test.sh: FAILED: %s\n' "$*" >&2; failures+=("$*"); }

step "set-up"
"$REPO/scripts/setup.sh"

step "cargo test --workspace"
cargo test --workspace --locked || fail "cargo test"

# Runs guest tests with the given qemu-boot arguments and checks the closing line.
guest_tests() { # description, qemu-boot args...
  local what=$1; shift
  local out rc=0
  out=$(mktemp)
  "$BOOT" "$@" | tee "$out" || rc=$?
  local summary
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1 || true)
  rm -f "$out"
  if [ -z "$summary" ]; then
    fail "$what: no closing 'N passed, N failed' line (exit $rc)"
  elif [ "$rc" -ne 0 ] || [ "${summary%% *}" = 0 ] || [ "$(echo "$summary" | cut -d' ' -f3)" != 0 ]; then
    fail "$what: $summary (exit $rc)"
  else
    echo "test.sh: $what: $summary"
  fi
}

step "guest tests, LSM active (builds the kernel if needed)"
guest_tests "guest tests (lsm=landlock,tcp)" --run 'tcp-guest-tests'

step "boot parameters: good values (reporting suite)"
guest_tests "boot parameters tcp_lsm.mode=alert audit=0 hardware=0" --no-build \
  --append "tcp_lsm.mode=alert tcp_lsm.audit=0 tcp_lsm.hardware=0" --run 'tcp-guest-tests --suite reporting'

step "boot parameters: bad values get the default and one warning each"
guest_tests "boot parameters with bad values" --no-build \
  --append "tcp_lsm.enabled=2 tcp_lsm.mode=bogus tcp_lsm.audit=yes tcp_lsm.hardware=" \
  --run 'tcp-guest-tests --suite reporting --filter boot_parameters'

step "boot parameters: tcp_lsm.enabled=0 leaves the LSM off although lsm= names it"
guest_tests "guest tests (tcp_lsm.enabled=0)" --no-build --append "tcp_lsm.enabled=0" --run 'tcp-guest-tests --expect inactive'

step "guest tests, LSM not selected"
guest_tests "guest tests (lsm=landlock)" --no-build --lsm landlock --run 'tcp-guest-tests --expect inactive'

for major in apparmor selinux; do
  step "stacking: $major and the TCP LSM both active (lsm=$major,tcp)"
  rc=0; out=$("$BOOT" --no-build --lsm "$major,tcp" --run 'cat /sys/kernel/security/lsm; echo; tcp-guest-tests --suite mediation') || rc=$?
  printf '%s\n' "$out"
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$out" | tail -n 1 || true)
  if [ "$rc" -ne 0 ] || ! grep -q "^capability,.*$major.*,tcp\$" <<<"$out" || [ "$(cut -d' ' -f3 <<<"$summary")" != 0 ]; then
    fail "stacking with $major: exit $rc, ${summary:-no summary}"
  fi
done

step "qemu-boot.sh: a failing guest test turns the run red"
rc=0; out=$("$BOOT" --no-build --run 'tcp-guest-tests --filter lsm_listed --inject-failure') || rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ] || ! grep -qx '1 passed, 1 failed' <<<"$out"; then
  fail "an injected guest test failure was not reported (exit $rc)"
fi

step "qemu-boot.sh: exit status, --add and --lsm"
tmp=$(mktemp -d); echo "hello from the host" > "$tmp/greeting.txt"
rc=0; out=$("$BOOT" --no-build --add "$tmp" --run "cat /add/$(basename "$tmp")/greeting.txt; exit 7") || rc=$?
[ "$rc" -eq 7 ] && grep -qx 'hello from the host' <<<"$out" || fail "--add/--run: exit $rc, output: $out"
rm -rf "$tmp"
rc=0; out=$("$BOOT" --no-build --run 'cat /sys/kernel/security/lsm; echo; echo bogus > /sys/kernel/security/tcp/mode; cat /sys/kernel/security/tcp/mode') || rc=$?
grep -q 'tcp' <<<"$out" && grep -qx 'enforce' <<<"$out" || fail "bogus mode write: exit $rc, output: $out"

step "qemu-boot.sh: --kernel and --qemu-arg (what the benchmark boots with)"
rc=0; "$BOOT" --no-build --kernel /nonexistent/bzImage --run true 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "--kernel with a missing file ended with $rc, expected 2"
cp "$REPO/build/linux-source-6.12/arch/x86/boot/bzImage" "$REPO/build/test-bzImage"
rc=0; out=$("$BOOT" --no-build --kernel "$REPO/build/test-bzImage" --qemu-arg -icount --qemu-arg shift=0,sleep=off \
  --run 'cat /sys/kernel/security/lsm; echo') || rc=$?
[ "$rc" -eq 0 ] && grep -q 'tcp' <<<"$out" || fail "--kernel/--qemu-arg -icount boot: exit $rc, output: $out"
rm -f "$REPO/build/test-bzImage"

step "qemu-boot.sh: a guest that panics is reported"
rc=0; out=$("$BOOT" --no-build --run 'echo c > /proc/sysrq-trigger' 2>&1) || rc=$?
[ "$rc" -eq 125 ] && grep -q 'ended without reporting' <<<"$out" || fail "a guest panic ended with $rc: $out"

step "qemu-boot.sh: --shell reads commands from the terminal"
# Types a command once the guest says its shell is starting, and looks for its result.
coproc SHELLVM { "$BOOT" --no-build --shell --timeout 120 2>&1; }
shell_pid=$SHELLVM_PID found=0
while IFS= read -r -t 120 line <&"${SHELLVM[0]}"; do
  case "$line" in
    *"TCP LSM guest:"*) printf 'echo shell-$((6*7))\nreboot -f\n' >&"${SHELLVM[1]}" ;;
    *shell-42*) found=1 ;;
  esac
done
wait "$shell_pid" || true
[ "$found" = 1 ] || fail "--shell did not run a typed command"

step "qemu-boot.sh: a guest that never reports is bounded"
rc=0; "$BOOT" --no-build --timeout 20 --run 'sleep 1000' || rc=$?
[ "$rc" -eq 124 ] || fail "a hung guest ended with $rc, expected 124"

echo
if [ "${#failures[@]}" -ne 0 ]; then
  printf 'test.sh: %d failure(s):\n' "${#failures[@]}"
  printf '  - %s\n' "${failures[@]}"
  exit 1
fi
echo "test.sh: all tests passed"
