//! File and path hooks, decided by the type of the object: `file_open`; `path_mknod`,
//! `path_unlink`, `path_mkdir`, `path_rmdir`, `path_symlink` and `path_truncate`;
//! `inode_getattr`, `inode_setattr` and `path_chmod` (timestamps too: an inode-only hook
//! on the type a path check remembered); `inode_setxattr`, `inode_getxattr`,
//! `inode_listxattr`, `inode_removexattr`; `file_ioctl`, `file_lock`, `file_fcntl`;
//! `file_permission` on descriptors inherited across the exec into the domain, and
//! `file_receive` on descriptors received over Unix sockets. Also: objects no name
//! reached, symlinks to a denied file, the remembered type after renames, links and mount
//! moves, and names longer than `PATH_MAX`.

use std::fs;
use std::os::unix::fs::symlink;
use std::process::{Command, Stdio};

use crate::harness::{ensure, ensure_eq, Outcome};
use crate::helpers::fixture::{load_policy, policy_text, write};
use crate::helpers::probe::{
    expect, probe_in, probe_unconfined_with_stdin, probe_with_stdin, unconfined,
};

pub(super) fn file_open() -> Outcome {
    expect(&["read", "/tmp/work/a"], "ok")?;
    expect(&["write", "/tmp/work/a"], "ok")?;
    expect(&["read", "/tmp/ro/b"], "ok")?;
    expect(&["write", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["append", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["read", "/tmp/secret/key"], "errno=EACCES")?;
    expect(&["read", "/etc/passwd"], "errno=EACCES")
}

pub(super) fn file_namespace() -> Outcome {
    let _ = fs::remove_file("/tmp/work/new");
    expect(&["create", "/tmp/work/new"], "ok")?;
    expect(&["unlink", "/tmp/work/new"], "ok")?;
    expect(&["mkdir", "/tmp/work/dir"], "ok")?;
    expect(&["rmdir", "/tmp/work/dir"], "ok")?;
    expect(&["create", "/tmp/ro/new"], "errno=EACCES")?;
    expect(&["mkdir", "/tmp/ro/dir"], "errno=EACCES")?;
    expect(&["unlink", "/tmp/ro/b"], "errno=EACCES")?;
    ensure(fs::metadata("/tmp/ro/b").is_ok(), "/tmp/ro/b was removed")
}

pub(super) fn file_attrs() -> Outcome {
    expect(&["stat", "/tmp/work/a"], "ok")?;
    expect(&["stat", "/tmp/secret/key"], "ok")?;
    expect(&["stat", "/etc/passwd"], "errno=EACCES")?;
    expect(&["chmod", "/tmp/work/a"], "ok")?;
    expect(&["chmod", "/tmp/ro/b"], "errno=EACCES")
}

pub(super) fn file_xattr_ioctl_lock() -> Outcome {
    // The xattr hooks see only the inode: its type is the one remembered when a path
    // check (here the stat) classified it under the policy in force.
    expect(&["stat", "/tmp/xa/c"], "ok")?;
    expect(&["setxattr", "/tmp/xa/c"], "ok")?;
    expect(&["getxattr", "/tmp/xa/c"], "ok")?;
    expect(&["listxattr", "/tmp/xa/c"], "ok")?;
    expect(&["removexattr", "/tmp/xa/c"], "ok")?;
    expect(&["stat", "/tmp/ro/b"], "ok")?;
    expect(&["setxattr", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["getxattr", "/tmp/ro/b"], "errno=ENODATA")?;
    expect(&["ioctl", "/tmp/xa/c"], "ok")?;
    expect(&["ioctl", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["flock", "/tmp/xa/c"], "ok")?;
    expect(&["flock", "/tmp/ro/b"], "errno=EACCES")?;
    expect(&["fcntl-lock", "/tmp/xa/c"], "ok")?;
    expect(&["fcntl-lock", "/tmp/ro/b"], "errno=EACCES")
}

pub(super) fn unnamed_objects() -> Outcome {
    // The xattr hooks and setattr see only an inode. One that no name has reached under the
    // policy in force (made after the load, never looked at through a hook that has its
    // path, as the layers overlayfs finds for itself at mount time) has an unknown type:
    // allowed what the domain may do on every type an object can have, refused the rest
    // (a would-be denial in alert mode). The unconfined control does it all.
    const WIDE: &str = "type everything { prefix /; }\n\
        type keys protected { prefix /tmp/work/keys; }\n\
        domain wide { allow file everything all; allow file keys all; }\n\
        domain narrow { allow file everything { read getattr execute mmap }; allow file keys { read getattr }; }\n\
        domain partial { allow file everything all; }\n\
        domain watch { mode alert; }\n";
    load_policy(WIDE)?;
    let result = (|| {
        let fresh = |n: &str| -> Result<String, String> {
            let f = format!("/tmp/work/unnamed-{n}");
            write(&f, "made after the load\n")?;
            Ok(f)
        };
        for (domain, op, want) in [
            ("wide", "setxattr", "ok"),
            ("wide", "getxattr", "ok"),
            ("narrow", "getxattr", "ok"),
            ("narrow", "listxattr", "ok"),
            ("narrow", "setxattr", "errno=EACCES"),
            ("narrow", "removexattr", "errno=EACCES"),
            // `keys` may be the type of an unnamed object: only what both types grant.
            ("partial", "getxattr", "errno=EACCES"),
            ("watch", "setxattr", "ok"),
        ] {
            // The confined task's object and the control's, each with the attribute set
            // (by the unconfined runner, which classifies nothing).
            for (f, confined) in [
                (fresh(&format!("{domain}-{op}"))?, true),
                (fresh(&format!("{domain}-{op}-control"))?, false),
            ] {
                unconfined(&["setxattr", &f], "ok")?;
                if confined {
                    ensure_eq(
                        probe_in(domain, &[op, &f])?,
                        want.to_owned(),
                        &format!("{domain}: {op} of an unnamed object"),
                    )?;
                } else {
                    unconfined(&[op, &f], "ok")?;
                }
            }
        }
        // Once a name reached it (the stat), its type decides: `partial` may read its
        // attributes in the workspace.
        let f = fresh("partial-named")?;
        unconfined(&["setxattr", &f], "ok")?;
        ensure_eq(
            crate::harness::helper(
                "exec-in",
                &[
                    "partial",
                    "/bin/sh",
                    "-c",
                    &format!("tcp-probe stat {f} && tcp-probe getxattr {f}"),
                ],
            )?,
            "ok\nok".to_owned(),
            "partial: getxattr after a stat",
        )
    })();
    for entry in fs::read_dir("/tmp/work")
        .map_err(|e| e.to_string())?
        .flatten()
    {
        if entry.file_name().to_string_lossy().starts_with("unnamed-") {
            let _ = fs::remove_file(entry.path());
        }
    }
    load_policy(&policy_text()?)?;
    result
}

pub(super) fn inherited_fds() -> Outcome {
    // Descriptors opened by the unconfined runner and inherited across the exec into the
    // domain give no more than the domain may do with the file.
    let open_rw = |path: &str| {
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("{path}: {e}"))
    };
    write("/tmp/work/inherited", "inherited\n")?;
    ensure_eq(
        probe_with_stdin(open_rw("/tmp/work/inherited")?, &["write-fd", "0"])?,
        "ok".to_owned(),
        "write to an allowed file",
    )?;
    ensure_eq(
        probe_with_stdin(open_rw("/tmp/ro/b")?, &["read-fd", "0"])?,
        "ok".to_owned(),
        "read of a readable file",
    )?;
    ensure_eq(
        probe_with_stdin(open_rw("/tmp/ro/b")?, &["write-fd", "0"])?,
        "errno=EACCES".to_owned(),
        "write through an inherited descriptor",
    )?;
    ensure_eq(
        probe_with_stdin(open_rw("/etc/passwd")?, &["read-fd", "0"])?,
        "errno=EACCES".to_owned(),
        "read through an inherited descriptor",
    )?;
    // Directories: listing one through an inherited descriptor needs `readdir` on its
    // type, as opening it would.
    let open_dir = |path: &str| fs::File::open(path).map_err(|e| format!("{path}: {e}"));
    fs::create_dir_all("/tmp/secret/dir").map_err(|e| e.to_string())?;
    ensure_eq(
        probe_with_stdin(open_dir("/tmp/ro")?, &["getdents-fd", "0"])?,
        "ok".to_owned(),
        "listing a readable directory",
    )?;
    ensure_eq(
        probe_with_stdin(open_dir("/tmp/secret")?, &["getdents-fd", "0"])?,
        "errno=EACCES".to_owned(),
        "listing through an inherited descriptor",
    )?;
    ensure_eq(
        probe_with_stdin(open_dir("/etc")?, &["getdents-fd", "0"])?,
        "errno=EACCES".to_owned(),
        "listing an untyped directory",
    )?;
    ensure_eq(
        probe_unconfined_with_stdin(open_dir("/tmp/secret")?, &["getdents-fd", "0"])?,
        "ok".to_owned(),
        "unconfined listing",
    )?;
    // A device the policy does not name (a terminal, /dev/null) stays usable; pipes too.
    let null = fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .map_err(|e| e.to_string())?;
    ensure_eq(
        probe_with_stdin(null, &["write-fd", "0"])?,
        "ok".to_owned(),
        "write to an inherited untyped device",
    )
}

pub(super) fn symlink_bypass() -> Outcome {
    let _ = fs::remove_file("/tmp/work/link-to-secret");
    symlink("/tmp/secret/key", "/tmp/work/link-to-secret").map_err(|e| e.to_string())?;
    // The open is decided on the file reached, not on the link's name.
    expect(&["read", "/tmp/work/link-to-secret"], "errno=EACCES")
}

pub(super) fn symlink_truncate() -> Outcome {
    // A fresh root-owned 0644 file (the capability test gave /tmp/work/a away to uid 1,
    // and the domain has no dac_override to write other users' files).
    write("/tmp/work/t", "truncate me\n")?;
    let _ = fs::remove_file("/tmp/work/sym");
    expect(&["symlink", "/tmp/work/t", "/tmp/work/sym"], "ok")?;
    expect(&["symlink", "/tmp/work/t", "/tmp/ro/sym"], "errno=EACCES")?;
    expect(&["truncate", "/tmp/work/sym"], "ok")?;
    expect(&["truncate", "/tmp/ro/b"], "errno=EACCES")
}

pub(super) fn timestamps() -> Outcome {
    write("/tmp/work/times", "t\n")?;
    write("/tmp/work/unseen", "u\n")?;
    // Classified by a path operation first, then the inode-only hook decides.
    expect(&["stat", "/tmp/work/times"], "ok")?;
    expect(&["utime", "/tmp/work/times"], "ok")?;
    expect(&["stat", "/tmp/ro/b"], "ok")?;
    expect(&["utime", "/tmp/ro/b"], "errno=EACCES")?;
    // Never reached by a path under this policy: refused (documented fail-closed).
    expect(&["utime", "/tmp/work/unseen"], "errno=EACCES")
}

pub(super) fn received_fds() -> Outcome {
    let open = |path: &str| fs::File::open(path).map_err(|e| format!("{path}: {e}"));
    write("/tmp/work/passed", "passed\n")?;
    ensure_eq(
        probe_with_stdin(open("/tmp/work/passed")?, &["pass-fd", "0"])?,
        "ok".to_owned(),
        "pass a readable file",
    )?;
    ensure_eq(
        probe_with_stdin(open("/etc/passwd")?, &["pass-fd", "0"])?,
        "refused".to_owned(),
        "pass an unreadable file",
    )?;
    let out = Command::new("/tmp/tcp-probe-unconfined")
        .args(["pass-fd", "0"])
        .stdin(Stdio::from(open("/etc/passwd")?))
        .output()
        .map_err(|e| e.to_string())?;
    ensure_eq(
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        "ok".to_owned(),
        "unconfined control",
    )
}

pub(super) fn type_follows_names() -> Outcome {
    // The kernel remembers the type of a file reached by a (mount, dentry) to skip
    // building its path next time; renames, new links and mount moves made by another
    // task must end that, so each write below is decided by the file's new name.
    let result = (|| {
        write("/tmp/work/moved", "x\n")?;
        expect(&["write", "/tmp/work/moved"], "ok")?;
        fs::rename("/tmp/work/moved", "/tmp/ro/moved").map_err(|e| e.to_string())?;
        expect(&["write", "/tmp/ro/moved"], "errno=EACCES")?;
        // A directory moved with the file in it.
        fs::create_dir_all("/tmp/work/dir").map_err(|e| e.to_string())?;
        write("/tmp/work/dir/f", "x\n")?;
        expect(&["write", "/tmp/work/dir/f"], "ok")?;
        fs::rename("/tmp/work/dir", "/tmp/ro/dir").map_err(|e| e.to_string())?;
        expect(&["write", "/tmp/ro/dir/f"], "errno=EACCES")?;
        // A second name for the same file.
        write("/tmp/work/linked", "x\n")?;
        expect(&["write", "/tmp/work/linked"], "ok")?;
        fs::hard_link("/tmp/work/linked", "/tmp/ro/linked").map_err(|e| e.to_string())?;
        expect(&["write", "/tmp/ro/linked"], "errno=EACCES")?;
        expect(&["write", "/tmp/work/linked"], "ok")?;
        // A mount moved from under the workspace to under the read-only tree.
        use nix::mount::{mount, MsFlags};
        fs::create_dir_all("/tmp/work/mnt").map_err(|e| e.to_string())?;
        fs::create_dir_all("/tmp/ro/mnt").map_err(|e| e.to_string())?;
        mount(
            Some("tmpfs"),
            "/tmp/work/mnt",
            Some("tmpfs"),
            MsFlags::empty(),
            None::<&str>,
        )
        .map_err(|e| format!("mount: {e}"))?;
        write("/tmp/work/mnt/f", "x\n")?;
        expect(&["write", "/tmp/work/mnt/f"], "ok")?;
        mount(
            Some("/tmp/work/mnt"),
            "/tmp/ro/mnt",
            None::<&str>,
            MsFlags::MS_MOVE,
            None::<&str>,
        )
        .map_err(|e| format!("move mount: {e}"))?;
        expect(&["write", "/tmp/ro/mnt/f"], "errno=EACCES")
    })();
    let _ = nix::mount::umount("/tmp/ro/mnt");
    let _ = nix::mount::umount("/tmp/work/mnt");
    for f in ["/tmp/ro/moved", "/tmp/ro/linked", "/tmp/work/linked"] {
        let _ = fs::remove_file(f);
    }
    let _ = fs::remove_dir_all("/tmp/ro/dir");
    result
}

pub(super) fn long_names() -> Outcome {
    // Objects whose absolute names are longer than PATH_MAX (4096 bytes), reached with
    // relative names from a directory 25 levels of 200-byte names deep: the kernel cannot
    // build their names, and they get the one type the policy gives everything below the
    // deepest directory above them whose name it can build.
    const LEVELS: &str = "25";
    let build = |dir: &str| -> Outcome {
        fs::create_dir_all(dir).map_err(|e| format!("mkdir {dir}: {e}"))?;
        // 25 x 201 bytes below DIR (the probe checks that getcwd there fails).
        unconfined(&["deep-build", dir, LEVELS], "ok")
    };
    let deep = |dir: &'static str, args: &[&'static str]| -> Vec<&'static str> {
        [&["deep", dir, LEVELS][..], args].concat()
    };
    build("/tmp/work/deep")?;
    build("/tmp/ro/deep")?;
    build("/tmp/mixed/deep")?;
    // In the workspace (prefix /tmp/work, nothing else named below /tmp/work/deep): what
    // the workspace allows, as for any short name there.
    for (args, want) in [
        (&["read", "f"][..], "ok"),
        (&["stat", "f"], "ok"),
        (&["create", "g"], "ok"),
        (&["write", "g"], "ok"),
        (&["rename", "g", "h"], "ok"),
        (&["link", "h", "i"], "ok"),
        (&["unlink", "h"], "ok"),
        (&["unlink", "i"], "ok"),
        (&["mkdir", "e"], "ok"),
        (&["rmdir", "e"], "ok"),
    ] {
        expect(&deep("/tmp/work/deep", args), want)?;
    }
    // In the read-only tree: reads yes, writes no; the unconfined control writes.
    expect(&deep("/tmp/ro/deep", &["read", "f"]), "ok")?;
    expect(&deep("/tmp/ro/deep", &["stat", "f"]), "ok")?;
    for args in [
        &["write", "f"][..],
        &["create", "g"],
        &["unlink", "f"],
        &["mkdir", "e"],
        &["rename", "f", "g"],
    ] {
        expect(&deep("/tmp/ro/deep", args), "errno=EACCES")?;
    }
    // Alert mode (a domain with no grants): would-be denials, not refusals.
    for args in [&["write", "f"][..], &["create", "g"]] {
        ensure_eq(
            probe_in("rollout", &deep("/tmp/ro/deep", args))?,
            "ok".to_owned(),
            &format!("alert mode: {args:?}"),
        )?;
    }
    unconfined(&deep("/tmp/ro/deep", &["write", "f"]), "ok")?;
    // Below /tmp/mixed a glob may name objects at any depth: no one type, so such objects
    // are refused (a would-be denial in alert mode); unconfined they are not.
    unconfined(&deep("/tmp/mixed/deep", &["read", "f"]), "ok")?;
    expect(&deep("/tmp/mixed/deep", &["read", "f"]), "errno=EACCES")?;
    expect(&deep("/tmp/mixed/deep", &["create", "g"]), "errno=EACCES")?;
    ensure_eq(
        probe_in("rollout", &deep("/tmp/mixed/deep", &["read", "f"]))?,
        "ok".to_owned(),
        "alert mode: mixed read",
    )
}
