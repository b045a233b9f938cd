#!/bin/bash
# Boot-time load, reload, watchdog and fail-closed checks of the Debian system guest, run
# as the job of `scripts/qemu-boot.sh --system` on an image made with the packages
# installed (scripts/system-install.sh): the tools' .deb (units enabled by
# dpkg), the linux-image .deb (whose kernel this guest booted), demo.policy in
# /etc/tcp-lsm/policy.d and tcp-demo.service enabled. Prints one `ok`/`not ok` line per
# check and `N passed, M failed` last; exits 1 on any failure.
set -u
export SYSTEMD_PAGER=cat SYSTEMD_COLORS=0
pass=0 failed=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; failed=$((failed + 1)); }
check() { # name, command...
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then ok "$name"; else bad "$name: $(tail -n 5 <<<"$out" | tr '\n' '|')"; fi
}
prop() { systemctl show -P "$2" "$1"; }
T=/sys/kernel/security/tcp
# A confined connect to 127.0.0.1:9 (nothing listens): bash's /dev/tcp in the demo domain.
demo_connect() { tcp-policy exec --domain demo -- /usr/bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/9' 2>&1; }

# --- the kernel the package installed ---------------------------------------------------
release=$(uname -r)
check "the running kernel ($release) is the one linux-image-$release installed" \
  bash -c "dpkg -s linux-image-$release | grep -q '^Status: install ok installed' && [ -f /boot/vmlinuz-$release ] && [ \"\$(sha256sum < /boot/vmlinuz-$release | cut -d' ' -f1)\" = \"\$(cat ${1:-/add/kernel/kernel.sha256})\" ]"
check "the tools are installed from their package" \
  bash -c "dpkg -s tcp-lsm-tools | grep -q '^Status: install ok installed' && [ -x /usr/bin/tcp-policy ] && [ -f /usr/share/man/man1/tcp-policy.1.gz ] && [ -f /usr/share/bash-completion/completions/tcp-policy ]"

# --- boot-time load ---------------------------------------------------------------------
check "tcp-lsm-policy.service loaded policy.d at boot" \
  bash -c "[ \"\$(systemctl is-active tcp-lsm-policy)\" = active ] && [ \"\$(cat $T/generation)\" -ge 1 ] && tcp-policy show | grep -q 'domain demo'"
load_done=$(prop tcp-lsm-policy ExecMainExitTimestampMonotonic)
demo_start=$(prop tcp-demo ExecMainStartTimestampMonotonic)
sysinit=$(prop sysinit.target ActiveEnterTimestampMonotonic)
if [ "${load_done:-0}" -gt 0 ] && [ "$load_done" -le "$sysinit" ] && [ "$demo_start" -gt "$load_done" ]; then
  ok "the policy was loaded (at ${load_done}us) before sysinit.target ($sysinit) and before tcp-demo started ($demo_start)"
else
  bad "ordering: policy load done $load_done, sysinit.target $sysinit, tcp-demo started $demo_start"
fi
demo_pid=$(prop tcp-demo MainPID)
check "tcp-demo.service (pid $demo_pid) runs in the demo domain from boot" \
  bash -c "[ \"\$(tr -d '\\0\\n' < /proc/$demo_pid/attr/tcp/current)\" = demo ]"
check "last-good.bin saved" test -s /var/lib/tcp-lsm/last-good.bin

# --- a folder that does not compile -----------------------------------------------------
hash=$(cat $T/policy_hash)
printf 'domain broken {\n    allow file nosuchtype { read };\n}\n' > /etc/tcp-lsm/policy.d/zz-broken.policy
since=$(date +%s)
if systemctl reload tcp-lsm-policy 2>/dev/null; then
  bad "reload with a policy that does not compile succeeded"
else
  ok "reload with a policy that does not compile fails"
fi
check "the policy in force is unchanged after the failed reload" bash -c "[ \"\$(cat $T/policy_hash)\" = '$hash' ]"
# What boot does: the start path falls back to the last good policy and goes on.
systemctl restart tcp-lsm-policy
check "the boot path with a broken folder loads the last good policy and succeeds" \
  bash -c "[ \"\$(systemctl is-active tcp-lsm-policy)\" = active ] && [ \"\$(cat $T/policy_hash)\" = '$hash' ]"
check "the journal says why, naming the file" \
  bash -c "journalctl -u tcp-lsm-policy --since @$since -o cat | grep -q 'zz-broken.policy'"
journalctl -u tcp-lsm-policy --since @"$since" -o cat | sed 's/^/  journal: /' | head -n 12
rm /etc/tcp-lsm/policy.d/zz-broken.policy
check "reload of a good folder succeeds" systemctl reload tcp-lsm-policy

# --- the heartbeat under the watchdog ---------------------------------------------------
check "tcp-lsm-heartbeat.service is active and beating" \
  bash -c "[ \"\$(systemctl is-active tcp-lsm-heartbeat)\" = active ] && grep -q 'stale=0' $T/heartbeat"
old=$(prop tcp-lsm-heartbeat MainPID)
restarts=$(prop tcp-lsm-heartbeat NRestarts)
kill -STOP "$old"
t0=$(date +%s)
new=$old
while [ $(( $(date +%s) - t0 )) -lt 120 ]; do
  sleep 2
  new=$(prop tcp-lsm-heartbeat MainPID)
  [ "$new" != "$old" ] && [ "$new" != 0 ] && [ "$(systemctl is-active tcp-lsm-heartbeat)" = active ] && break
done
if [ "$new" != "$old" ] && [ "$(prop tcp-lsm-heartbeat NRestarts)" -gt "$restarts" ]; then
  ok "a hung heartbeat (SIGSTOP, pid $old) was restarted by the watchdog after $(( $(date +%s) - t0 )) s (new pid $new)"
else
  bad "a hung heartbeat was not restarted within 120 s (pid $old -> $new)"
fi
check "the heartbeat never went stale meanwhile" bash -c "grep -q 'stale=0' $T/heartbeat"
out=$(demo_connect)
if grep -q 'Connection refused' <<<"$out"; then ok "a confined connect reaches the network while the heartbeat lives"; else bad "confined connect with a live heartbeat: $out"; fi

# A dead supervisor: the kernel fails closed once the policy's timeout passes. The timeout
# is made short for the test (a policy load restarts the heartbeat clock).
systemctl stop tcp-lsm-heartbeat
sed 's/heartbeat timeout 60s/heartbeat timeout 3s/' /etc/tcp-lsm/policy.d/demo.policy > /run/short.policy
tcp-policy load /run/short.policy > /dev/null
sleep 5
check "with the heartbeat service stopped the heartbeat goes stale" grep -q 'stale=1' $T/heartbeat
out=$(demo_connect)
if grep -q 'Permission denied' <<<"$out"; then ok "a dead heartbeat: the confined connect is refused (fail closed)"; else bad "confined connect with a dead heartbeat: $out"; fi
sleep 2
if [ "$(systemctl is-active auditd)" != active ]; then
  systemctl status auditd --no-pager 2>&1 | sed 's/^/  auditd: /' | head -n 15
fi
auditctl -s 2>&1 | sed 's/^/  auditctl -s: /' | head -n 12
echo "  audit.log: $(grep -c 'type=AVC' /var/log/audit/audit.log 2>/dev/null) AVC records; last:"
grep 'type=AVC' /var/log/audit/audit.log 2>/dev/null | tail -n 2 | sed 's/^/  audit.log: /'
grep '^audit\.' $T/stats | sed 's/^/  stats: /'
avc=$(ausearch --input-logs -m AVC -c bash -i 2>/dev/null)
# ausearch -i decodes the fields auparse knows (operation, name, comm) and leaves ours as
# written (tcp="DENIED", reason="heartbeat").
if grep -q 'tcp="DENIED" operation=socket_create' <<<"$avc" && grep -q 'reason="heartbeat"' <<<"$avc" \
  && grep -q 'type=SYSCALL.* syscall=socket success=no exit=EACCES' <<<"$avc" && grep -q 'exe=/usr/bin/bash' <<<"$avc"; then
  ok "ausearch --input-logs -m AVC -c bash -i shows the refusal with reason=heartbeat and its SYSCALL record"
else
  bad "ausearch --input-logs -m AVC -c bash -i: $(tail -n 6 <<<"$avc" | tr '\n' '|')"
fi
tail -n 4 <<<"$avc" | sed 's/^/  ausearch: /'
check "ausearch --input-logs -m AVC -x /usr/bin/bash finds it" bash -c "ausearch -m AVC -x /usr/bin/bash 2>/dev/null | grep -q 'reason=\"heartbeat\"'"
check "aureport --avc lists it" bash -c "aureport --input-logs --avc -i 2>/dev/null | grep -q bash"
# The policy with its own timeout back first (the short one is shorter than the loop's
# interval), then the supervisor.
systemctl reload tcp-lsm-policy
systemctl start tcp-lsm-heartbeat
sleep 1
out=$(demo_connect)
if grep -q 'Connection refused' <<<"$out"; then ok "the heartbeat back: the network is back"; else bad "confined connect after the heartbeat came back: $out"; fi

echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
