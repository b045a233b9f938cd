#!/usr/bin/env bash
# The kernel's own selftests as a regression suite for the TCP LSM.
#
#   scripts/selftests.sh                builds what is stale, runs both guest runs, compares
#   scripts/selftests.sh --build-only   only builds the selftests
#   scripts/selftests.sh --compare-only compares the logs of the last runs again
#                                       (build/selftests/results/*.log), without booting
#
# 1. Builds, from Debian's pristine kernel source (/usr/src/linux-source-6.12.tar.xz,
#    unpacked on its own under build/selftests/src, never the kernel trees build/linux-*),
#    the selftests of landlock, lsm, openat2, exec, pidfd, net/af_unix and seccomp with the
#    kernel's machinery (`make headers`, then `make -C tools/testing/selftests/T install`
#    per target), statically linked (USERLDFLAGS=-static) so that they run in the busybox
#    guest, into build/selftests/kselftest/T. A stamp keyed by the tarball and this script
#    makes a second run do nothing slow.
#    The lsm target is a patched copy (build/selftests/lsm-tcp-src/lsm, the tree stays
#    pristine): upstream hard-codes the LSMs it knows (ids, names, which ones have
#    attributes), so with tcp active it would fail on tcp itself. The patch (LSM_TCP_PATCH
#    below) teaches it tcp: id 114, name "tcp", attributes `current` and `exec` for
#    lsm_get_self_attr, shown in /proc/self/attr/tcp/ (never in the shared
#    /proc/self/attr/current, which is the other LSMs'); lsm_set_self_attr accepts only
#    `exec` (not `current`), which the upstream set tests already expect to fail.
# 2. Boots the test kernel (build/linux-test, already built: qemu-boot.sh --no-build) twice,
#    on 2 vCPUs, no policy loaded, each run bounded (RUN_TIMEOUT): with lsm=landlock,tcp
#    over every binary, then with lsm=landlock (the TCP LSM inactive) over the binaries
#    that did not pass cleanly with tcp (the others keep the contract whatever they do
#    without tcp, and are taken to do the same). In the guest two lanes take whole targets
#    in turn; each test binary runs from its own install folder, bounded by busybox
#    `timeout`; its TAP / kselftest-harness output is parsed into results per binary and
#    test (ok, not ok, skip). Then a third time with lsm=landlock,tcp over every binary,
#    inside a domain whose policy grants everything a policy can (PERMISSIVE_POLICY).
# 3. Compares: a test that passed without tcp and fails, is skipped or is missing with tcp,
#    a binary that passes without tcp and not with it, or that crashes or times out only
#    with tcp, is a regression. Tests failing (and binaries timing out) in both runs are
#    ignored (listed in build/selftests/results/failed-in-both.txt). Prints
#    `selftests: N passed, N failed` (passed in both runs; regressions). The same for the
#    confined run against the unconfined one with tcp: what differs there is what no
#    policy can grant, a failure unless CONFINED_EXPECTED names it with its reason.
#
# Exit status: 0 when there is no regression; 1 on a regression, a failed build, a failed
# guest run (qemu-boot.sh status other than 0, e.g. 125 for a kernel checker report), or
# when fewer than MIN_PASSED tests passed in both runs; 2 for a usage error.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${TCP_LSM_BUILD_DIR:-$REPO/build}
ST=$BUILD/selftests
TARBALL=/usr/src/linux-source-6.12.tar.xz
SRC=$ST/src/linux-source-6.12
SEL=$SRC/tools/testing/selftests
OBJ=$ST/obj
INSTALL=$ST/kselftest
RESULTS=$ST/results
KERNEL=$BUILD/linux-test/arch/x86/boot/bzImage
BOOT=$REPO/scripts/qemu-boot.sh
TARGETS=(landlock lsm openat2 exec pidfd net/af_unix seccomp)
# The order the guest's two lanes take the targets in: the longest first (landlock takes
# about as long as all the others together).
RUN_ORDER=(landlock net/af_unix pidfd seccomp openat2 exec lsm)
# Wall-clock bound of each guest run (boot included) and the default per-binary bound.
# Each run takes about 3 minutes (both 6) on an idle 2-core host, twice that when the host
# is busy; the bounds are for hangs, so they leave room for a busy host (a binary that
# times out only with tcp counts as a regression).
RUN_TIMEOUT=${SELFTESTS_RUN_TIMEOUT:-600}
BIN_TIMEOUT=120
# Fewer tests passing in both runs than this means the runs did not really happen.
MIN_PASSED=600

build_only=0 compare_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-only) build_only=1; shift ;;
    --compare-only) compare_only=1; shift ;;
    -h|--help) sed -n '2,42p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "selftests: unknown argument: $1 (usage: selftests.sh [--build-only|--compare-only])" >&2; exit 2 ;;
  esac
done

log() { printf 'selftests: %s\n' "$*" >&2; }
die() { printf 'selftests: error: %s\n' "$*" >&2; exit 1; }

# Per-binary bounds (seconds) and arguments, by target/binary; every other binary gets
# BIN_TIMEOUT. The slow ones under TCG with KASAN and lockdep (measured: see
# docs/testing.md). A binary that times out in both runs is ignored; only with tcp, it is
# a regression.
bin_timeout() {
  case "$1" in
    # 55-130s (idle to busy host), without and with tcp.
    landlock/fs_test) echo 300 ;;
    # 75-120s: each of its 116 tests sets up a network namespace.
    landlock/net_test) echo 300 ;;
    # 17-40s.
    seccomp/seccomp_bpf) echo 180 ;;
    # Two tests of 400000 rename races each (hard-coded): far too slow under TCG, and they
    # report only at the end. Bounded short: they time out in both runs (ignored), but they
    # drive renames against openat2 lookups through the LSM's hooks for that long, and a
    # kernel report would fail the run.
    openat2/rename_attack_test) echo 10 ;;
    # Its 8th and last test forks up to 32768 processes to recycle a pid: minutes under
    # TCG. The first 7 take about 12s; the last is cut (a timeout in both runs, ignored).
    pidfd/pidfd_test) echo 25 ;;
    *) echo "$BIN_TIMEOUT" ;;
  esac
}
bin_args() {
  case "$1" in
    # A benchmark: calibrates for seconds, then times 5 filter set-ups; given a fixed,
    # small number of samples it takes a few seconds.
    seccomp/seccomp_benchmark) echo 20000 ;;
    # 200 poll iterations instead of 10000 (a minute under TCG).
    pidfd/pidfd_poll_test) echo 200 ;;
    # The test kernel has no MPTCP (CONFIG_MPTCP, in landlock/config, is not in
    # scripts/kernel/test.config): those variants fail to create their socket and then
    # hang until killed. Excluded with the harness's own filter (-V variant).
    landlock/net_test) echo "-V no_sandbox_with_ipv4_mptcp -V no_sandbox_with_ipv6_mptcp" \
                            "-V tcp_sandbox_with_ipv4_mptcp -V tcp_sandbox_with_ipv6_mptcp" ;;
    *) echo "" ;;
  esac
}
# Binaries whose results are informational (listed in results/other.txt, never compared):
# seccomp_benchmark's "expectations" compare timings, and under TCG they come out either
# way from one run to the next.
INFORMATIONAL="seccomp/seccomp_benchmark"
# Installed but not run: exec/binfmt_script.py is a Python script and the guest has no
# Python.
NOT_RUN="exec/binfmt_script.py"

# The third run: every binary again with tcp, inside a domain whose policy grants
# everything a policy can grant (PERMISSIVE_POLICY). A test that passes unconfined and not
# there shows what no policy can grant: a false positive to fix, or one of these
# differences, each an always-on protection (binary/test prefixes, `# reason`).
CONFINED_EXPECTED="
pidfd/pidfd_setns_test: current_nsset.  # CAP_SYS_PTRACE is never granted: opening /proc/PID/ns of a child in its own user namespace needs it (ptrace_may_access)
"
PERMISSIVE_POLICY=$(cat <<'POLICY'
# Everything a policy can grant, to one domain.
type everything { prefix /; }
domain permissive {
    allow file everything all;
    allow file internal.memfd execute;
    allow net all inet;
    allow net all inet6;
    allow net all unix;
    allow capability all;
    allow signal any;
    allow ptrace any;
    allow ipc all;
    allow system all;
    allow process all;
}
POLICY
)

# The patch that teaches the lsm selftests the TCP LSM (applied to a copy, see above).
LSM_TCP_PATCH=$(cat <<'EOF'
--- a/common.h
+++ b/common.h
@@ -5,6 +5,11 @@
  * Copyright © 2023 Casey Schaufler <casey@schaufler-ca.com>
  */
 
+/* The TCP LSM (out of tree): its id, absent from the uapi headers of a pristine tree. */
+#ifndef LSM_ID_TCP
+#define LSM_ID_TCP 114
+#endif
+
 #ifndef lsm_get_self_attr
 static inline int lsm_get_self_attr(unsigned int attr, struct lsm_ctx *ctx,
 				    __u32 *size, __u32 flags)
--- a/common.c
+++ b/common.c
@@ -84,6 +84,8 @@
 		count++;
 	if (strstr(names, "apparmor"))
 		count++;
+	if (strstr(names, "tcp"))
+		count++;
 
 out:
 	free(names);
--- a/lsm_get_self_attr_test.c
+++ b/lsm_get_self_attr_test.c
@@ -100,7 +100,8 @@
 
 		if (syscall_lsms[i] == LSM_ID_SELINUX ||
 		    syscall_lsms[i] == LSM_ID_SMACK ||
-		    syscall_lsms[i] == LSM_ID_APPARMOR) {
+		    syscall_lsms[i] == LSM_ID_APPARMOR ||
+		    syscall_lsms[i] == LSM_ID_TCP) {
 			ASSERT_EQ(1, lsm_get_self_attr(LSM_ATTR_CURRENT, ctx,
 						       &size, LSM_FLAG_SINGLE));
 		} else {
@@ -179,6 +180,10 @@
 			cnt_exec++;
 			cnt_prev++;
 			break;
+		case LSM_ID_TCP:
+			cnt_current++;
+			cnt_exec++;
+			break;
 		default:
 			break;
 		}
@@ -189,7 +194,9 @@
 		count = lsm_get_self_attr(LSM_ATTR_CURRENT, ctx, &size, 0);
 		ASSERT_EQ(cnt_current, count);
 		tctx = ctx;
-		ASSERT_EQ(0, read_proc_attr("current", attr, page_size));
+		/* tcp keeps to its own directory, never the shared file. */
+		ASSERT_EQ(0, read_proc_attr(tctx->id == LSM_ID_TCP ? "tcp/current" : "current",
+					    attr, page_size));
 		ASSERT_EQ(0, strcmp((char *)tctx->ctx, attr));
 		for (i = 1; i < count; i++) {
 			tctx = next_ctx(tctx);
--- a/lsm_list_modules_test.c
+++ b/lsm_list_modules_test.c
@@ -131,6 +131,9 @@
 		case LSM_ID_IPE:
 			name = "ipe";
 			break;
+		case LSM_ID_TCP:
+			name = "tcp";
+			break;
 		default:
 			name = "INVALID";
 			break;
EOF
)

# ---------------------------------------------------------------------------------------
# 3. Compare (defined here: used after the runs, and alone by --compare-only).
# ---------------------------------------------------------------------------------------
# Compares the logs in build/selftests/results; the status of each guest run is in
# NAME.status (qemu-boot.sh's exit status, seconds).
# compare_results [A B]: run B against run A (default: landlock-tcp against landlock, the
# TCP LSM against no TCP LSM; `landlock-tcp confined`: a domain allowing everything
# against unconfined, with CONFINED_EXPECTED's differences allowed).
compare_results() {
local a=${1:-landlock} b=${2:-landlock-tcp} runs_failed=() name st
for name in "$a" "$b"; do
  st=$(cut -d' ' -f1 "$RESULTS/$name.status" 2>/dev/null || echo none)
  [ "$st" = 0 ] || runs_failed+=("$name: qemu-boot.sh exit $st")
done
python3 - "$RESULTS" "$MIN_PASSED" "$INFORMATIONAL" "$a" "$b" "$CONFINED_EXPECTED" "${runs_failed[@]}" <<'EOF'

import re, sys, os, collections

results, min_passed, informational = sys.argv[1], int(sys.argv[2]), set(sys.argv[3].split())
name_a, name_b = sys.argv[4], sys.argv[5]
confined = name_b == 'confined'
# Differences a domain allowing everything may show (what no policy grants): binary/test
# prefixes, one per line, `PREFIX # reason`.
expected = [l.split('#', 1)[0].strip() for l in sys.argv[6].splitlines() if l.split('#', 1)[0].strip()] if confined else []
runs_failed = sys.argv[7:]
label_a, label_b = ('unconfined', 'in the domain') if confined else ('without tcp', 'with tcp')
TAP = re.compile(r'^(not ok|ok) (\d+)(?: -)? ?(.*?)\s*(?:#\s*(SKIP|XFAIL|TODO|XPASS)\b.*)?$')
BEGIN = re.compile(r'^@@KSFT_BEGIN (\S+)@@$')
END = re.compile(r'^@@KSFT_END (\S+) rc=(\d+) limit=(\d+) start=([\d.]+) end=([\d.]+)@@$')

def parse(path):
    """-> (lsm list, {binary: (status, secs)}, {binary: {test: status}}, {binary: [lines]})"""
    lsm, bins, tests, output = None, {}, collections.OrderedDict(), {}
    cur = None
    for line in open(path, errors='replace'):
        line = line.rstrip('\n')
        m = re.match(r'^@@KSFT_LSM (.*)@@$', line)
        if m:
            lsm = m.group(1)
            continue
        m = BEGIN.match(line)
        if m:
            cur = m.group(1)
            tests[cur] = collections.OrderedDict()
            output[cur] = []
            continue
        m = END.match(line)
        if m and cur == m.group(1):
            rc, limit = int(m.group(2)), int(m.group(3))
            secs = float(m.group(5)) - float(m.group(4))
            if rc == 137 and secs >= limit - 1:
                status = 'timeout'
            elif rc == 0:
                status = 'ok'
            elif rc == 4:
                status = 'skip'
            elif rc > 128:
                status = 'crash (signal %d)' % (rc - 128)
            else:
                status = 'not ok (exit %d)' % rc
            bins[cur] = (status, secs)
            cur = None
            continue
        if cur is None:
            continue
        output[cur].append(line)
        m = TAP.match(line)
        if not m:
            continue
        res, num, name, directive = m.groups()
        if directive == 'SKIP':
            st = 'skip'
        elif directive in ('XFAIL', 'TODO') or res == 'ok':
            st = 'ok'
        else:
            st = 'not ok'
        # kselftest.h skips have no name, only the reason: use the test number. Names can
        # hold pids, descriptors or addresses ("gives path '/proc/1042/exe'"): compared
        # with every number blanked, and repeated names numbered in order.
        name = name or '#%s' % num
        base = re.sub(r'\d+', '#', name)
        key, n = base, 2
        while key in tests[cur]:
            key = '%s (%d)' % (base, n); n += 1
        tests[cur][key] = st
        names.setdefault((cur, key), name)
    if cur is not None:
        bins[cur] = ('killed with the guest (run timeout?)', 0.0)
    return lsm, bins, tests, output

names = {}  # (binary, key) -> the test's name as printed (the first run's)
runs = {}
for name in (name_a, name_b):
    path = os.path.join(results, name + '.log')
    runs[name] = parse(path) if os.path.exists(path) else (None, {}, {}, {})
(lsm_a, bins_a, tests_a, _), (lsm_b, bins_b, tests_b, out_b) = runs[name_a], runs[name_b]
problems = list(runs_failed)
if confined:
    domains = set(re.findall(r'^@@KSFT_DOMAIN (\S*)@@$', open(os.path.join(results, 'confined.log'), errors='replace').read(), re.M)) \
        if os.path.exists(os.path.join(results, 'confined.log')) else set()
    if domains != {'permissive'}:
        problems.append('confined run: the tests ran in domain(s) %r, not in `permissive`' % sorted(domains))
    if lsm_b is None or 'tcp' not in lsm_b.split(','):
        problems.append('confined run: the guest reported lsm=%r (the TCP LSM not active)' % lsm_b)
else:
    # Binaries that passed cleanly with tcp were not run without it: their baseline is theirs.
    assumed_path = os.path.join(results, 'baseline-assumed.txt')
    assumed = [l.strip() for l in open(assumed_path)] if os.path.exists(assumed_path) else []
    for binary in assumed:
        if binary in bins_b and binary not in bins_a:
            bins_a[binary] = bins_b[binary]
            tests_a[binary] = tests_b.get(binary, {})
    if lsm_a is None and assumed and not os.path.exists(os.path.join(results, 'landlock.log')):
        lsm_a = 'landlock'  # not booted: every binary passed with tcp
    if lsm_a is None or 'tcp' in lsm_a.split(','):
        problems.append('run without tcp: the guest reported lsm=%r' % lsm_a)
    if lsm_b is None or 'tcp' not in lsm_b.split(','):
        problems.append('run with tcp: the guest reported lsm=%r (the TCP LSM not active)' % lsm_b)
allowed_diffs = []
def is_expected(label):
    return any(label.startswith(e) for e in expected)

per_target = collections.OrderedDict()
def tgt(binary):
    return per_target.setdefault(binary.rsplit('/', 1)[0],
                                 collections.Counter(passed=0, failed_both=0, regressions=0, skipped=0, other=0))
regressions, failed_both, other = [], [], []
for binary in list(bins_a) + [b for b in bins_b if b not in bins_a]:
    c = tgt(binary)
    ba = bins_a.get(binary, ('missing', 0))[0]
    bb = bins_b.get(binary, ('missing', 0))[0]
    ta, tb = tests_a.get(binary, {}), tests_b.get(binary, {})
    info = binary in informational
    timed_out_both = ba == 'timeout' and bb == 'timeout'
    bin_regressed = False
    for test in list(ta) + [t for t in tb if t not in ta]:
        sa, sb = ta.get(test, 'missing'), tb.get(test, 'missing')
        label = '%s: %s' % (binary, names.get((binary, test), test))
        if info:
            other.append('%s: %s / %s (informational)' % (label, sa, sb))
        elif sa == 'ok' and sb == 'ok':
            c['passed'] += 1
        elif sa == 'ok' and sb == 'missing' and timed_out_both:
            other.append('%s: ok / not reached (timeout in both runs)' % label)
        elif sa == 'ok' and is_expected(label):
            allowed_diffs.append('%s: ok %s, %s %s (expected: CONFINED_EXPECTED)' % (label, label_a, sb, label_b))
        elif sa == 'ok':
            c['regressions'] += 1; bin_regressed = True
            regressions.append((binary, '%s: ok %s, %s %s' % (label, label_a, sb, label_b)))
        elif sa == 'not ok' and sb in ('not ok', 'missing'):
            c['failed_both'] += 1
            failed_both.append('%s: %s / %s' % (label, sa, sb))
        elif sa == 'skip' and sb == 'skip':
            c['skipped'] += 1
        else:
            c['other'] += 1
            other.append('%s: %s %s, %s %s' % (label, sa, label_a, sb, label_b))
    # The binary itself: passing without tcp and not with it, or crashing or timing out
    # only with tcp, is a regression, even when no test line tells (kselftest.h programs
    # can fail without one; an informational binary still must not crash or hang).
    bad_b = bb == 'timeout' or bb.startswith('crash') or bb.startswith('killed') or bb == 'missing'
    if not bin_regressed and ((ba == 'ok' and bb != 'ok' and not info) or (bad_b and ba != bb)):
        if is_expected(binary + ':') or any(d.startswith(binary + ':') for d in allowed_diffs):
            allowed_diffs.append('%s: binary %s %s, %s %s (expected)' % (binary, ba, label_a, bb, label_b))
        else:
            c['regressions'] += 1
            regressions.append((binary, '%s: binary %s %s, %s %s' % (binary, ba, label_a, bb, label_b)))
    elif ba == bb and ba not in ('ok', 'skip'):
        failed_both.append('%s: binary %s in both runs' % (binary, ba))
    elif ba != bb:
        other.append('%s: binary %s %s, %s %s' % (binary, ba, label_a, bb, label_b))

suffix = '-confined' if confined else ''
with open(os.path.join(results, 'failed-in-both%s.txt' % suffix), 'w') as f:
    f.write('# Selftests failing (or timing out) in both runs, %s and %s: ignored.\n' % (name_a, name_b))
    f.write(''.join(l + '\n' for l in failed_both))
with open(os.path.join(results, 'other%s.txt' % suffix), 'w') as f:
    f.write('# Other differences and informational results (not failures).\n')
    f.write(''.join(l + '\n' for l in other))
if confined:
    with open(os.path.join(results, 'expected-confined.txt'), 'w') as f:
        f.write('# Differences a domain allowing everything shows, as CONFINED_EXPECTED allows.\n')
        f.write(''.join(l + '\n' for l in allowed_diffs))
with open(os.path.join(results, 'timing%s.txt' % suffix), 'w') as f:
    for name, (_, bins, _, _) in runs.items():
        for b, (st, secs) in bins.items():
            f.write('%s %s %.1fs %s\n' % (name, b, secs, st))

what = 'in a domain allowing everything, against unconfined' if confined else 'with tcp, against without'
print('selftests (%s): per target (passed in both / failed in both / regressions / skipped in both / other):' % what)
for t, c in per_target.items():
    print('  %-12s %4d / %4d / %4d / %4d / %4d' % (t, c['passed'], c['failed_both'], c['regressions'], c['skipped'], c['other']))
passed = sum(c['passed'] for c in per_target.values())
nfb = sum(c['failed_both'] for c in per_target.values())
print('selftests: %d tests fail in both runs (ignored: build/selftests/results/failed-in-both%s.txt), '
      '%d other differences (build/selftests/results/other%s.txt)' % (nfb, suffix, len(other), suffix))
if confined:
    print('selftests: %d expected differences (build/selftests/results/expected-confined.txt)' % len(allowed_diffs))
if regressions:
    print('selftests: REGRESSIONS %s:' % ('in the domain allowing everything' if confined else 'with the TCP LSM'))
    for binary, r in regressions:
        print('  ' + r)
    shown = set()
    for binary, _ in regressions:
        if binary in shown:
            continue
        shown.add(binary)
        print('--- output of %s %s (last 60 lines) ---' % (binary, label_b))
        for l in out_b.get(binary, [])[-60:]:
            print('  | ' + l)
if passed < min_passed:
    problems.append('only %d tests passed in both runs (expected at least %d)' % (passed, min_passed))
for p in problems:
    print('selftests: FAILED: ' + p)
print('selftests: %d passed, %d failed' % (passed, len(regressions)))
sys.exit(1 if regressions or problems else 0)
EOF
}

if [ "$compare_only" = 1 ]; then
  [ -f "$RESULTS/landlock-tcp.log" ] || die "no results in build/selftests/results (run without --compare-only first)"
  rc=0
  compare_results || rc=$?
  compare_results landlock-tcp confined || rc=$?
  exit "$rc"
fi

# ---------------------------------------------------------------------------------------
# 1. Build.
# ---------------------------------------------------------------------------------------
[ -f "$TARBALL" ] || die "$TARBALL is missing; run scripts/setup.sh"
mkdir -p "$ST"
stamp_key=$( { stat -c '%n %s %Y' "$TARBALL"; sha256sum < "${BASH_SOURCE[0]}"; } | sha256sum | cut -d' ' -f1)
STAMP=$ST/.built

mk() { nice -n 10 make -j2 --no-print-directory "$@"; }

# Builds and installs one target: make -C DIR OUTPUT=... install INSTALL_PATH=..., statically
# linked. When some binary does not build, the target's install rule does not run: then what
# did build is installed by hand and the missing binaries are reported (they are missing in
# both runs, so they count as nothing).
build_target() { # name, source dir, extra make arguments...
  local t=$1 dir=$2; shift 2
  local out=$OBJ/$t dst=$INSTALL/$t
  mkdir -p "$out"
  if ! mk -C "$dir" OUTPUT="$out" USERLDFLAGS=-static "$@" install INSTALL_PATH="$dst" \
      > "$ST/build-logs/${t//\//_}.log" 2>&1; then
    log "warning: $t: some binaries did not build (build/selftests/build-logs/${t//\//_}.log); installing the others"
    mk -k -C "$dir" OUTPUT="$out" USERLDFLAGS=-static "$@" >> "$ST/build-logs/${t//\//_}.log" 2>&1 || true
    mkdir -p "$dst"
    cp -a "$out/." "$dst/"
    local f; for f in config settings Makefile; do [ -f "$dir/$f" ] && cp "$dir/$f" "$dst/"; done
    build_failed+=("$t")
  fi
  # The list of tests, by the target's own emit_tests rule.
  mk -s -C "$dir" OUTPUT="$out" emit_tests COLLECTION="$t" "$@" | grep -E "^$t:" >> "$INSTALL/kselftest-list.txt"
}

build_failed=()
if [ "$(cat "$STAMP" 2>/dev/null)" != "$stamp_key" ]; then
  build_start=$(date +%s)
  rm -rf "$ST/src" "$OBJ" "$INSTALL" "$ST/lsm-tcp-src" "$ST/build-logs" "$STAMP"
  mkdir -p "$ST/src" "$OBJ" "$INSTALL" "$ST/build-logs"
  log "unpacking $TARBALL into build/selftests/src (pristine, the selftests' own)"
  tar -C "$ST/src" -xJf "$TARBALL"
  [ -d "$SEL" ] || die "no tools/testing/selftests in $TARBALL"
  log "make headers"
  mk -C "$SRC" headers > "$ST/build-logs/headers.log" 2>&1 || die "make headers failed (build/selftests/build-logs/headers.log)"
  : > "$INSTALL/kselftest-list.txt"

  for t in "${TARGETS[@]}"; do
    log "building $t"
    case "$t" in
      lsm)
        # The copy with tcp: a folder laid out like selftests/ (lib.mk and the harness
        # headers are links to the tree's), so that ../lib.mk and ../kselftest_harness.h
        # resolve; KHDR_INCLUDES names the tree's headers, as lib.mk would.
        copy=$ST/lsm-tcp-src
        mkdir -p "$copy"
        cp -a "$SEL/lsm" "$copy/lsm"
        for f in lib.mk kselftest.h kselftest_harness.h; do ln -s "$SEL/$f" "$copy/$f"; done
        printf '%s\n' "$LSM_TCP_PATCH" | patch -s -p1 -d "$copy/lsm" --no-backup-if-mismatch \
          || die "the lsm patch for tcp does not apply"
        build_target lsm "$copy/lsm" KHDR_INCLUDES="-isystem $SRC/usr/include"
        ;;
      openat2)
        # Upstream builds these with -fsanitize=address,undefined -static-libasan, and ASan
        # cannot link statically (-static); -fno-sanitize=all drops the sanitizers of the
        # test programs (they check the tests' own memory use, not the kernel's).
        build_target openat2 "$SEL/openat2" USERCFLAGS=-fno-sanitize=all
        ;;
      exec)
        # load_address.0x* are dynamically linked PIEs by design (they check where the
        # kernel loads an ET_DYN with an interpreter, and that it has PT_INTERP): -static
        # would make them plain static executables that fail their own check, and
        # load_address.static.* are -static-pie, which does not link together with
        # -static. So these six are built first without USERLDFLAGS=-static; the dynamic
        # ones need only libc and the loader, which the guest carries (qemu-boot.sh puts
        # the host's there, for tcp-hello). The rest of the target is static.
        mkdir -p "$OBJ/exec"
        la=()
        for a in 0x1000 0x200000 0x1000000; do la+=("$OBJ/exec/load_address.$a" "$OBJ/exec/load_address.static.$a"); done
        mk -C "$SEL/exec" OUTPUT="$OBJ/exec" "${la[@]}" > "$ST/build-logs/exec-load_address.log" 2>&1 \
          || { log "warning: exec: load_address binaries did not build"; build_failed+=("exec/load_address"); }
        build_target exec "$SEL/exec"
        ;;
      *)
        build_target "$t" "$SEL/$t"
        ;;
    esac
  done
  # Everything but the load_address.0x* PIEs must be static.
  dynamic=$(cd "$INSTALL" && for f in $(find . -type f -perm -u+x); do
               readelf -lW "$f" 2>/dev/null | grep -q 'program interpreter' && echo "$f"
             done | grep -v '/load_address\.0x' || true)
  [ -z "$dynamic" ] || die "dynamically linked selftests (the guest lacks their libraries): $dynamic"
  if [ "${#build_failed[@]}" -ne 0 ]; then
    # Not stamped: the next run tries again.
    log "warning: incomplete builds: ${build_failed[*]}"
  else
    echo "$stamp_key" > "$STAMP"
  fi
  log "built in $(( $(date +%s) - build_start ))s: $(wc -l < "$INSTALL/kselftest-list.txt") test programs in build/selftests/kselftest"
else
  log "selftests up to date (build/selftests/kselftest)"
fi
log "note: the lsm selftests are a copy patched to know the TCP LSM (id 114, attributes current and exec)"
[ "$build_only" = 1 ] && exit 0

# ---------------------------------------------------------------------------------------
# 2. Run, twice.
# ---------------------------------------------------------------------------------------
[ -f "$KERNEL" ] || die "no test kernel at $KERNEL (build it first: scripts/kernel-build.sh)"
rm -rf "$RESULTS"; mkdir -p "$RESULTS"

# The guest's job list: target, binary, bound, arguments; and the targets, longest first.
{
  while IFS=: read -r t b; do
    case " $NOT_RUN " in *" $t/$b "*) continue ;; esac
    echo "$t $b $(bin_timeout "$t/$b") $(bin_args "$t/$b")"
  done < "$INSTALL/kselftest-list.txt"
} > "$INSTALL/run.list"
printf '%s\n' "${RUN_ORDER[@]}" > "$INSTALL/run.targets"

# The guest side: two lanes (the guest has 2 vCPUs), each taking the next target not yet
# claimed (mkdir is the lock) and running its binaries one after the other, so that no
# two binaries of one target (which share a folder) run at once. Each binary runs from its
# own folder, alone in a process group (so that what it leaves behind is killed before the
# next), stdin from /dev/null, bounded by busybox timeout (SIGKILL: status 137); its output
# goes to a file, printed whole between markers once it ends.
cat > "$INSTALL/run.sh" <<'EOF'
#!/bin/sh
base=/add/kselftest
work=/tmp/ksft
mkdir -p "$work"
# exec/script starts with #!/bin/bash; the guest has busybox sh only (and busybox has no
# applet called bash, so a link would not do). execveat runs scripts by descriptor, which
# the interpreter opens as /dev/fd/N.
[ -e /bin/bash ] || printf '#!/bin/sh\nexec /bin/sh "$@"\n' > /bin/bash
chmod 755 /bin/bash
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
echo "@@KSFT_LSM $(cat /sys/kernel/security/lsm)@@"
echo "@@KSFT_DOMAIN $(cat /proc/self/attr/tcp/current 2>/dev/null)@@"

locked() { # runs "$@" holding the console lock
  until mkdir "$work/print.lock" 2>/dev/null; do sleep 0.1; done
  "$@"
  rmdir "$work/print.lock"
}
report() { # name, output file, rc, limit, start, end
  echo "@@KSFT_BEGIN $1@@"
  cat "$2"
  echo
  echo "@@KSFT_END $1 rc=$3 limit=$4 start=$5 end=$6@@"
}
run_target() { # target
  grep "^$1 " "$base/run.list" | while read -r t b limit args; do
    out=$work/$(echo "$t/$b" | tr / _).out
    start=$(cut -d' ' -f1 /proc/uptime)
    cd "$base/$t"
    setsid timeout -s KILL "$limit" "./$b" $args < /dev/null > "$out" 2>&1 &
    pid=$!
    wait "$pid"
    rc=$?
    kill -KILL "-$pid" 2>/dev/null
    cd /
    end=$(cut -d' ' -f1 /proc/uptime)
    locked report "$t/$b" "$out" "$rc" "$limit" "$start" "$end"
  done
}
lane() {
  i=0
  for t in $(cat "$base/run.targets"); do
    i=$((i + 1))
    mkdir "$work/claim.$i" 2>/dev/null || continue
    locked echo "@@KSFT_TARGET $t lane=$1 at $(cut -d' ' -f1 /proc/uptime)@@"
    run_target "$t"
  done
}
lane 1 &
lane 2 &
wait
echo "@@KSFT_DONE@@"
EOF
chmod +x "$INSTALL/run.sh"

# The run with tcp comes first, over every binary. The run without tcp (the baseline)
# then runs only the binaries that did not pass cleanly with tcp (a failed, skipped or
# missing test, or a binary that did not end with 0): a test that passes with tcp keeps
# the contract whatever it does without, so its baseline is taken to be the same
# (results/baseline-assumed.txt lists those binaries). This halves the guest time.
cp "$INSTALL/run.list" "$INSTALL/run.full"
declare -A run_secs
run_secs[landlock]=0
for lsm in landlock,tcp landlock; do
  name=${lsm//,/-}
  if [ "$lsm" = landlock ]; then
    python3 - "$RESULTS/landlock-tcp.log" "$INSTALL/run.full" "$INSTALL/run.list" "$RESULTS/baseline-assumed.txt" <<'PYEOF'
import re, sys
log, full, out, assumed = sys.argv[1:5]
clean, cur, ok = set(), None, True
TAP = re.compile(r'^(not ok|ok) \d+')
for line in open(log, errors='replace'):
    line = line.rstrip('\n')
    m = re.match(r'^@@KSFT_BEGIN (\S+)@@$', line)
    if m:
        cur, ok = m.group(1), True
        continue
    m = re.match(r'^@@KSFT_END (\S+) rc=(\d+) ', line)
    if m and m.group(1) == cur:
        if ok and m.group(2) == '0':
            clean.add(cur)
        cur = None
        continue
    if cur is not None:
        m = TAP.match(line)
        if m and (m.group(1) == 'not ok' or re.search(r'#\s*(SKIP|XPASS)\b', line)):
            ok = False
keep, skipped = [], []
for line in open(full):
    t, b = line.split()[:2]
    (skipped if '%s/%s' % (t, b) in clean else keep).append(line if line.endswith('\n') else line + '\n')
open(out, 'w').writelines(keep)
open(assumed, 'w').writelines(l.split()[0] + '/' + l.split()[1] + '\n' for l in skipped)
PYEOF
    n=$(wc -l < "$INSTALL/run.list")
    log "baseline: $n binaries did not pass cleanly with tcp; $(wc -l < "$RESULTS/baseline-assumed.txt") passed and are taken as passing without tcp too"
    if [ "$n" -eq 0 ]; then
      echo "0 0" > "$RESULTS/$name.status"
      continue
    fi
  fi
  log "guest run with lsm=$lsm (bounded to ${RUN_TIMEOUT}s)"
  start=$(date +%s) rc=0
  "$BOOT" --no-build --lsm "$lsm" --smp 2 --timeout "$RUN_TIMEOUT" --add "$INSTALL" \
    --run 'sh /add/kselftest/run.sh' > "$RESULTS/$name.log" 2> "$RESULTS/$name.stderr" || rc=$?
  run_secs[$name]=$(( $(date +%s) - start ))
  echo "$rc ${run_secs[$name]}" > "$RESULTS/$name.status"
  log "lsm=$lsm: qemu-boot.sh exit $rc in ${run_secs[$name]}s (output: build/selftests/results/$name.log)"
  if [ "$rc" -ne 0 ]; then
    sed 's/^/    /' "$RESULTS/$name.stderr" | tail -n 40 >&2
  fi
done
cp "$INSTALL/run.full" "$INSTALL/run.list"

# The third run, in the domain allowing everything (compiled here, loaded in the guest,
# entered with lsm_set_self_attr by the probe, which no transition names).
printf '%s\n' "$PERMISSIVE_POLICY" > "$INSTALL/permissive.policy"
cargo run --quiet --locked --manifest-path "$REPO/Cargo.toml" -p tcp-policy-compiler -- \
  compile "$INSTALL/permissive.policy" -o "$INSTALL/permissive.bin" > /dev/null 2> "$RESULTS/permissive.compile" \
  || { cat "$RESULTS/permissive.compile" >&2; die "the permissive policy does not compile"; }
log "guest run with lsm=landlock,tcp in a domain allowing everything (bounded to ${RUN_TIMEOUT}s)"
start=$(date +%s) rc=0
"$BOOT" --no-build --lsm landlock,tcp --smp 2 --timeout "$RUN_TIMEOUT" --add "$INSTALL" \
  --run 'cat /add/kselftest/permissive.bin > /sys/kernel/security/tcp/policy && tcp-probe exec-in permissive /bin/sh /add/kselftest/run.sh' \
  > "$RESULTS/confined.log" 2> "$RESULTS/confined.stderr" || rc=$?
run_secs[confined]=$(( $(date +%s) - start ))
echo "$rc ${run_secs[confined]}" > "$RESULTS/confined.status"
log "confined: qemu-boot.sh exit $rc in ${run_secs[confined]}s (output: build/selftests/results/confined.log)"
[ "$rc" -eq 0 ] || sed 's/^/    /' "$RESULTS/confined.stderr" | tail -n 40 >&2

cmp_rc=0
compare_results || cmp_rc=$?
compare_results landlock-tcp confined || cmp_rc=$?
log "guest runs: lsm=landlock ${run_secs[landlock]}s, lsm=landlock,tcp ${run_secs[landlock-tcp]}s, confined ${run_secs[confined]}s"
exit "$cmp_rc"
