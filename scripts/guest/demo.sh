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
say "tcp-policy compile /examples/coding-agent.policy -o /tmp/policy.bin"
tcp-policy compile /examples/coding-agent.policy -o /tmp/policy.bin
say tcp-policy load /tmp/policy.bin
tcp-policy load /tmp/policy.bin
say "tcp-policy add --subject=ai_agent --object=training_data --class=file --permission=read --decision=allow"
tcp-policy add --subject=ai_agent --object=training_data --class=file --permission=read --decision=allow
say tcp-policy status
tcp-policy status
say "tcp-policy show | grep -A3 'domain ai_agent'"
tcp-policy show | grep -A3 'domain ai_agent'
say "head -c 100 /tmp/policy.bin > /tmp/truncated.bin; tcp-policy load /tmp/truncated.bin   # refused"
head -c 100 /tmp/policy.bin > /tmp/truncated.bin
if tcp-policy load /tmp/truncated.bin; then echo "unexpected: accepted"; exit 1; fi
say "cat /sys/kernel/security/tcp/generation /sys/kernel/security/tcp/policy_hash   # unchanged"
cat /sys/kernel/security/tcp/generation /sys/kernel/security/tcp/policy_hash
say "# the confined agent: /opt/agent/bin/agent (here the tcp-probe test tool) enters its domain by exec"
mkdir -p /opt/agent/bin /home/agent/workspace /home/agent/.ssh
cp /bin/tcp-probe /opt/agent/bin/agent
echo "hello" > /home/agent/workspace/notes.txt
echo "private key" > /home/agent/.ssh/id_ed25519
for args in "self-attr" "read /home/agent/workspace/notes.txt" "create /home/agent/workspace/new.txt" \
            "read /home/agent/.ssh/id_ed25519" "unlink /home/agent/.ssh/id_ed25519" "read /etc/passwd" \
            "exec /bin/busybox true" "connect4 127.0.0.1 8080" "connect4 127.0.0.1 22" \
            "connect4 198.51.100.7 443" "socket inet raw" "settime"; do
  printf '$ /opt/agent/bin/agent %-40s -> %s\n' "$args" "$(/opt/agent/bin/agent $args)"
done
say "dmesg | grep 'tcp:'"
dmesg | grep 'tcp:'
