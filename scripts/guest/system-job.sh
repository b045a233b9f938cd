# The job of the Debian system guest (scripts/qemu-boot.sh --system): run as root by
# tcp-run.service (scripts/guest/system/) from the job disk, which qemu-boot.sh writes for
# every run and the guest mounts at /run/tcp-job. Prints the same markers as the busybox
# guest's /init (scripts/guest/init) and powers off.
J=/run/tcp-job
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
export DEBIAN_FRONTEND=noninteractive
# The console is a tty: no pagers, no colours.
export SYSTEMD_PAGER=cat PAGER=cat SYSTEMD_COLORS=0 TERM=dumb
cd /
note() { printf 'tcp-run: %s\n' "$*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
note "job unit started at $(uptime_s)s of uptime"
mode=$(cat "$J/mode")

# The project's binaries where the busybox guest has them (/bin is /usr/bin here), the
# examples and the added folders. The root is a snapshot of the image: nothing persists.
cp -a "$J/bin/." /usr/bin/
rm -rf /examples && cp -a "$J/examples" /examples
mkdir -p /add && cp -a "$J/add/." /add/

# Until every unit of the boot has started (or failed): the job sees a booted system.
state=$(timeout 300 systemctl is-system-running --wait 2>&1)
note "system $state at $(uptime_s)s"
[ "$state" = running ] || systemctl --failed --no-legend --plain --no-pager 2>&1 | sed 's/^/tcp-run: failed unit: /'

setup_rc=0
if ls "$J"/debs/*.deb > /dev/null 2>&1; then
  note "installing $(ls "$J"/debs/*.deb | wc -l) packages with dpkg"
  dpkg -i "$J"/debs/*.deb > /run/tcp-debs.log 2>&1 || setup_rc=$?
  note "dpkg done (status $setup_rc) at $(uptime_s)s"
fi

if [ "$mode" = shell ]; then
  echo "TCP LSM system guest: $(cat /sys/kernel/security/lsm); root is logged in on ttyS0; leave with 'poweroff'"
  [ "$setup_rc" = 0 ] || { echo "dpkg -i failed:"; cat /run/tcp-debs.log; }
  systemctl start --no-block serial-getty@ttyS0.service
  exit 0
fi

# A single write per marker, with line breaks on both sides: the marker is on a line of its
# own even if another writer left the console mid-line.
printf '\n@@TCP_LSM_OUTPUT_BEGIN@@\n'
if [ "$setup_rc" = 0 ]; then
  sh "$J/run.sh"
  rc=$?
else
  echo "tcp-run: dpkg -i of the --debs packages failed (status $setup_rc):"
  cat /run/tcp-debs.log
  rc=125
fi
# The line break first: the job's output may not end with one (qemu-boot.sh drops it).
printf '\n@@TCP_LSM_OUTPUT_END rc=%s@@\n' "$rc"
printf '@@TCP_LSM_DMESG_BEGIN@@\n'
dmesg --color=never
printf '@@TCP_LSM_DMESG_END@@\n'
# Any taint (a warning, a bad page, a KASAN or lockdep report) fails the run.
printf '@@TCP_LSM_TAINTED %s@@\n' "$(cat /proc/sys/kernel/tainted)"
note "job done at $(uptime_s)s; powering off"
# Forced: no orderly stop of every unit (a minute on the debug kernel under TCG), but
# processes are still killed and file systems unmounted (kernel reports there are scanned).
systemctl poweroff --force
