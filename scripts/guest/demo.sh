# The demo run by scripts/qemu-boot.sh without arguments, inside the guest.
set -e
say() { printf '\n$ %s\n' "$*"; }
say cat /sys/kernel/security/lsm
cat /sys/kernel/security/lsm; echo
say ls -l /sys/kernel/security/tcp
ls -l /sys/kernel/security/tcp
say cat /sys/kernel/security/tcp/version
cat /sys/kernel/security/tcp/version
say tcp-policy status
tcp-policy status
say tcp-policy mode monitor
tcp-policy mode monitor
say "echo bogus > /sys/kernel/security/tcp/mode   # refused, mode unchanged"
if echo bogus > /sys/kernel/security/tcp/mode; then echo "unexpected: accepted"; exit 1; fi
cat /sys/kernel/security/tcp/mode
say "su -s /bin/sh -c 'tcp-policy mode alert' nobody   # unprivileged: refused"
if su -s /bin/sh -c 'tcp-policy mode alert' nobody; then
  echo "unexpected: accepted"; exit 1
fi
say tcp-policy mode enforce
tcp-policy mode enforce
say "dmesg | grep 'tcp:'"
dmesg | grep 'tcp:'
