#!/usr/bin/env bash
# Configures a debootstrap'ed Debian tree (argument: its root folder) as the system guest
# of scripts/qemu-boot.sh --system. Called by scripts/debian-image.sh; works on the tree
# from outside (files and symlinks only: nothing runs in a chroot).
#
# What the guest does at boot: systemd as PID 1 brings up the usual services (journald,
# udev, auditd, logind, dbus), then tcp-run.service (after multi-user.target) mounts the
# job disk /dev/vdb that qemu-boot.sh made and runs its job.sh, which prints the report
# markers on the serial console and powers off. Nobody logs in, except with --shell:
# root is then logged in on ttyS0 without a password.
set -euo pipefail

root=${1:?usage: configure.sh ROOTFS}
[ -x "$root/lib/systemd/systemd" ] || { echo "configure: $root has no systemd" >&2; exit 1; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
etc=$root/etc
units=$etc/systemd/system

echo tcp-guest > "$etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\ttcp-guest\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$etc/hosts"
# The kernel mounts the root read-write (root=/dev/vda rw); the base image is only ever
# booted as a snapshot and is always clean, so no fsck (pass 0).
printf '# <file system> <mount point> <type> <options> <dump> <pass>\n/dev/vda / ext4 rw,relatime 0 0\n' > "$etc/fstab"
# A fixed machine id: no first-boot machinery, the same id on every boot of the image.
echo 7c7e1a5e0b5d4c3f9e2a6b1d0c9f8e7d > "$etc/machine-id"
# root without a password (for --shell; the serial console is the only way in).
sed -i 's/^root:[^:]*:/root::/' "$etc/shadow"
ln -sf /lib/systemd/system/multi-user.target "$units/default.target"

# journald keeps its journal in memory only, and does not copy it to the console (the
# console carries the job's output and the report markers).
mkdir -p "$etc/systemd/journald.conf.d"
cat > "$etc/systemd/journald.conf.d/tcp-guest.conf" <<'EOF'
[Journal]
Storage=volatile
ForwardToConsole=no
EOF

# Units that are slow or useless in a guest that lives for one job: periodic jobs, time
# sync, and the gettys (the serial console is the job's; --shell starts the ttyS0 getty
# itself, see below).
for unit in apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
    dpkg-db-backup.timer dpkg-db-backup.service e2scrub_all.timer e2scrub_all.service \
    e2scrub_reap.service fstrim.timer fstrim.service systemd-timesyncd.service \
    systemd-networkd.service systemd-networkd-wait-online.service systemd-networkd.socket \
    getty.target getty@tty1.service; do
  ln -sf /dev/null "$units/$unit"
done
# No kernel modules (the kernel has everything built in): the modprobe@ units systemd
# starts early would only fork modprobe to find nothing (1-2 s of CPU each on the debug
# kernel under TCG).
for m in configfs dm_mod drm efi_pstore fuse loop; do
  ln -sf /dev/null "$units/modprobe@$m.service"
done
# Generators for what the guest has not (encrypted, verity, integrity volumes, GPT
# auto-discovery, hibernation, SysV scripts, rc.local, offline updates, gettys): each one
# is a process start that costs seconds on the debug kernel. Kept: fstab, debug
# (systemd.mask= and friends on the kernel command line), run (systemd.run=).
mkdir -p "$etc/systemd/system-generators"
for g in cryptsetup gpt-auto hibernate-resume integritysetup veritysetup system-update \
    sysv rc-local getty; do
  ln -sf /dev/null "$etc/systemd/system-generators/systemd-$g-generator"
done
# serial-getty@ttyS0 stays startable (not masked) for --shell, with root logged in.
mkdir -p "$units/serial-getty@ttyS0.service.d"
cat > "$units/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty -o '-p -f -- \\u' --autologin root --keep-baud 115200,57600,38400,9600 - $TERM
EOF

# The job unit and its starter.
install -m 0644 "$here/tcp-run.service" "$units/tcp-run.service"
install -D -m 0755 "$here/tcp-run" "$root/usr/local/sbin/tcp-run"
mkdir -p "$units/multi-user.target.wants"
ln -sf ../tcp-run.service "$units/multi-user.target.wants/tcp-run.service"

# No package caches or lists in the image.
rm -f "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin
rm -rf "$root"/var/lib/apt/lists/*
mkdir -p "$root/var/lib/apt/lists/partial"
