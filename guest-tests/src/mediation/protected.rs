//! Protected types: an object of a `protected` type cannot be unlinked, renamed or linked
//! (`path_unlink`, `path_rename`, `path_link`, and `inode_unlink`, `inode_rename`,
//! `inode_link` behind them), nor a directory holding one moved; no new name
//! (`path_rename`, `path_link`, `path_symlink`, `path_mkdir`) takes over a protected path
//! or a transition's executable, or moves an object out of a type its domain may not move
//! things out of; and a protected object stays protected by every other name or mount:
//! hard links, bind mounts (`sb_mount`), renames by root (`file_open` through each alias).

use std::fs;

use crate::harness::{ensure, ensure_eq, Outcome};
use crate::helpers::fixture::{load_policy, policy_text, write};
use crate::helpers::probe::{expect, unconfined};

pub(super) fn protected() -> Outcome {
    // Even a policy that allowed these could not: the type is protected.
    expect(&["unlink", "/tmp/secret/key"], "errno=EACCES")?;
    expect(
        &["rename", "/tmp/secret/key", "/tmp/work/stolen"],
        "errno=EACCES",
    )?;
    expect(
        &["link", "/tmp/secret/key", "/tmp/work/alias"],
        "errno=EACCES",
    )?;
    // Nor can an allowed file be moved over the protected name.
    expect(
        &["rename", "/tmp/work/a", "/tmp/secret/key"],
        "errno=EACCES",
    )?;
    ensure_eq(
        fs::read_to_string("/tmp/secret/key").map_err(|e| e.to_string())?,
        "secret\n".to_owned(),
        "the protected file",
    )
}

pub(super) fn protected_parent() -> Outcome {
    for d in ["/tmp/work/box/vault", "/tmp/work/plain"] {
        fs::create_dir_all(d).map_err(|e| format!("mkdir {d}: {e}"))?;
    }
    write("/tmp/work/box/vault/key", "vault\n")?;
    // Renaming the directory would move the protected objects below it.
    expect(
        &["rename", "/tmp/work/box", "/tmp/work/box2"],
        "errno=EACCES",
    )?;
    expect(
        &["rename", "/tmp/work/box/vault", "/tmp/work/vault2"],
        "errno=EACCES",
    )?;
    ensure(
        fs::metadata("/tmp/work/box/vault/key").is_ok(),
        "the protected file stays in place",
    )?;
    // A directory with nothing protected below it moves.
    expect(&["rename", "/tmp/work/plain", "/tmp/work/plain2"], "ok")?;
    fs::remove_dir("/tmp/work/plain2").map_err(|e| e.to_string())
}

pub(super) fn name_takeover() -> Outcome {
    // A rename or link never gives an object (or what is below a moved directory) a type
    // its domain could not have created it with, nor takes it out of one the domain may
    // not move things out of; no new name may stand above a protected path or a
    // transition's executable. Each refusal next to the same call made unconfined.
    let result = (|| {
        for d in [
            "/tmp/work/plant/bin",
            "/tmp/work/gate",
            "/tmp/work/cfg",
            "/tmp/work/home",
            "/tmp/work/mine",
        ] {
            fs::create_dir_all(d).map_err(|e| format!("mkdir {d}: {e}"))?;
        }
        fs::copy("/bin/tcp-probe", "/tmp/work/plant/bin/wide")
            .map_err(|e| format!("copy probe: {e}"))?;
        write("/tmp/work/cfg/settings", "safe\n")?;
        // Moving a directory so that a file lands on the transition's executable.
        expect(
            &["rename", "/tmp/work/plant/bin", "/tmp/work/gate/bin"],
            "errno=EACCES",
        )?;
        expect(&["mkdir", "/tmp/work/gate/bin"], "errno=EACCES")?;
        expect(&["mkdir", "/tmp/work/gate/lib"], "ok")?;
        expect(&["rename", "/tmp/work/plant", "/tmp/work/plant2"], "ok")?;
        expect(&["rename", "/tmp/work/plant2", "/tmp/work/plant"], "ok")?;
        unconfined(
            &["rename", "/tmp/work/plant/bin", "/tmp/work/gate/bin"],
            "ok",
        )?;
        unconfined(
            &["rename", "/tmp/work/gate/bin", "/tmp/work/plant/bin"],
            "ok",
        )?;
        // A file moved, linked or symlinked onto it.
        fs::create_dir_all("/tmp/work/gate/bin").map_err(|e| e.to_string())?;
        expect(
            &[
                "rename",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/wide",
            ],
            "errno=EACCES",
        )?;
        expect(
            &[
                "link",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/wide",
            ],
            "errno=EACCES",
        )?;
        expect(
            &[
                "symlink",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/wide",
            ],
            "errno=EACCES",
        )?;
        expect(
            &[
                "rename",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/other",
            ],
            "ok",
        )?;
        expect(
            &[
                "rename",
                "/tmp/work/gate/bin/other",
                "/tmp/work/plant/bin/wide",
            ],
            "ok",
        )?;
        unconfined(
            &[
                "link",
                "/tmp/work/plant/bin/wide",
                "/tmp/work/gate/bin/wide",
            ],
            "ok",
        )?;
        fs::remove_file("/tmp/work/gate/bin/wide").map_err(|e| e.to_string())?;
        // Moving a directory out of a type: its file would become writable.
        expect(
            &["rename", "/tmp/work/cfg", "/tmp/work/cfg2"],
            "errno=EACCES",
        )?;
        expect(&["write", "/tmp/work/cfg/settings"], "errno=EACCES")?;
        expect(&["read", "/tmp/work/cfg/settings"], "ok")?;
        unconfined(&["rename", "/tmp/work/cfg", "/tmp/work/cfg2"], "ok")?;
        unconfined(&["rename", "/tmp/work/cfg2", "/tmp/work/cfg"], "ok")?;
        // A symlink, a directory or a moved directory where a protected path would lead.
        expect(
            &["symlink", "/tmp/work/mine", "/tmp/work/home/.ssh"],
            "errno=EACCES",
        )?;
        expect(&["mkdir", "/tmp/work/home/.ssh"], "errno=EACCES")?;
        expect(
            &["rename", "/tmp/work/mine", "/tmp/work/home/.ssh"],
            "errno=EACCES",
        )?;
        expect(&["symlink", "/tmp/work/mine", "/tmp/work/home/other"], "ok")?;
        ensure(
            fs::symlink_metadata("/tmp/work/home/.ssh").is_err(),
            "nothing stands at .ssh",
        )?;
        unconfined(&["symlink", "/tmp/work/mine", "/tmp/work/home/.ssh"], "ok")
    })();
    for d in [
        "/tmp/work/plant",
        "/tmp/work/plant2",
        "/tmp/work/gate",
        "/tmp/work/cfg",
        "/tmp/work/cfg2",
        "/tmp/work/home",
        "/tmp/work/mine",
    ] {
        let _ = fs::remove_dir_all(d);
    }
    result
}

pub(super) fn protected_objects() -> Outcome {
    // Root gives protected objects other names in the agent's workspace: a hard link of a
    // file that existed when the policy was loaded, one of a file made afterwards in the
    // protected directory, a bind mount of a file and of the whole directory. Through
    // every alias the agent gets what it gets on the protected type (`getattr` only):
    // no read, no write, no unlink, no rename; the unconfined runner reads them all.
    write("/tmp/secret/late", "made after the load\n")?;
    write(
        "/tmp/secret/spare",
        "a file to remove through the bind mount\n",
    )?;
    let _ = fs::remove_file("/tmp/work/alias-key");
    let _ = fs::remove_file("/tmp/work/alias-late");
    fs::hard_link("/tmp/secret/key", "/tmp/work/alias-key")
        .map_err(|e| format!("link key: {e}"))?;
    fs::hard_link("/tmp/secret/late", "/tmp/work/alias-late")
        .map_err(|e| format!("link late: {e}"))?;
    write("/tmp/work/bound-key", "")?;
    fs::create_dir_all("/tmp/work/bound-dir").map_err(|e| e.to_string())?;
    use nix::mount::{mount, umount, MsFlags};
    let bind = |from: &str, to: &str| {
        mount(Some(from), to, None::<&str>, MsFlags::MS_BIND, None::<&str>)
            .map_err(|e| format!("bind {from} {to}: {e}"))
    };
    bind("/tmp/secret/key", "/tmp/work/bound-key")?;
    bind("/tmp/secret", "/tmp/work/bound-dir")?;
    let result = (|| {
        for alias in [
            "/tmp/work/alias-key",
            "/tmp/work/alias-late",
            "/tmp/work/bound-key",
            "/tmp/work/bound-dir/key",
        ] {
            unconfined(&["read", alias], "ok")?;
            // Twice: a read through the alias must not lower what the inode is known to be.
            expect(&["read", alias], "errno=EACCES")?;
            expect(&["read", alias], "errno=EACCES")?;
            expect(&["write", alias], "errno=EACCES")?;
            expect(&["stat", alias], "ok")?;
        }
        for alias in [
            "/tmp/work/alias-key",
            "/tmp/work/alias-late",
            "/tmp/work/bound-dir/key",
        ] {
            expect(&["unlink", alias], "errno=EACCES")?;
            // Within the alias's own mount (across mounts the kernel says EXDEV first).
            let dir = alias.rsplit_once('/').map_or("/tmp/work", |(d, _)| d);
            expect(&["rename", alias, &format!("{dir}/moved")], "errno=EACCES")?;
            expect(&["link", alias, &format!("{dir}/third")], "errno=EACCES")?;
        }
        // The protected names themselves, as before.
        expect(&["read", "/tmp/secret/key"], "errno=EACCES")?;
        expect(&["read", "/tmp/secret/late"], "errno=EACCES")?;
        // Removing through the bind mount is what removed the protected file itself: the
        // control removes a spare one.
        expect(&["unlink", "/tmp/work/bound-dir/spare"], "errno=EACCES")?;
        unconfined(&["unlink", "/tmp/work/bound-dir/spare"], "ok")?;
        ensure(
            fs::metadata("/tmp/secret/key").is_ok(),
            "the protected file is still there",
        )?;
        // A reload (same policy) resolves the protected names again: still protected.
        load_policy(&policy_text()?)?;
        expect(&["read", "/tmp/work/alias-key"], "errno=EACCES")?;
        expect(&["read", "/tmp/work/bound-dir/key"], "errno=EACCES")?;
        // What the workspace's own files get is unchanged (a fresh root-owned file: the
        // capability test gave /tmp/work/a away).
        write("/tmp/work/plain-after-reload", "x\n")?;
        expect(&["read", "/tmp/work/plain-after-reload"], "ok")?;
        // A protected file made after the load at an exact protected path that no one
        // has reached yet, then a bind mount of a directory above it: the mount's names
        // are the workspace's, the object is still the protected one.
        fs::create_dir_all("/tmp/work/home/.ssh").map_err(|e| e.to_string())?;
        write(
            "/tmp/work/home/.ssh/authorized_keys",
            "ssh-ed25519 AAAA root\n",
        )?;
        fs::create_dir_all("/tmp/work/bound-home").map_err(|e| e.to_string())?;
        bind("/tmp/work/home", "/tmp/work/bound-home")?;
        unconfined(&["read", "/tmp/work/bound-home/.ssh/authorized_keys"], "ok")?;
        expect(
            &["read", "/tmp/work/bound-home/.ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        expect(
            &["write", "/tmp/work/bound-home/.ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        expect(
            &["read", "/tmp/work/home/.ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        // A new one there (a new inode no one has reached), renamed by root out of its
        // protected name: still protected by its new name.
        umount("/tmp/work/bound-home").map_err(|e| format!("umount: {e}"))?;
        fs::remove_file("/tmp/work/home/.ssh/authorized_keys").map_err(|e| e.to_string())?;
        write(
            "/tmp/work/home/.ssh/authorized_keys",
            "ssh-ed25519 BBBB root\n",
        )?;
        fs::rename("/tmp/work/home/.ssh/authorized_keys", "/tmp/work/moved-key")
            .map_err(|e| format!("rename: {e}"))?;
        unconfined(&["read", "/tmp/work/moved-key"], "ok")?;
        expect(&["read", "/tmp/work/moved-key"], "errno=EACCES")?;
        expect(&["unlink", "/tmp/work/moved-key"], "errno=EACCES")?;
        // Another new one, and root renames the directories above it (its parent, then
        // the parent's parent) before anyone reached it: still protected by every new
        // name. The control: a file beside it that no rule protects stays readable.
        write(
            "/tmp/work/home/.ssh/authorized_keys",
            "ssh-ed25519 CCCC root\n",
        )?;
        write("/tmp/work/home/.ssh/config", "Host *\n")?;
        fs::rename("/tmp/work/home/.ssh", "/tmp/work/home/moved-ssh")
            .map_err(|e| format!("rename dir: {e}"))?;
        unconfined(&["read", "/tmp/work/home/moved-ssh/authorized_keys"], "ok")?;
        expect(
            &["read", "/tmp/work/home/moved-ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        expect(&["read", "/tmp/work/home/moved-ssh/config"], "ok")?;
        fs::rename("/tmp/work/home/moved-ssh", "/tmp/work/home/.ssh")
            .map_err(|e| format!("rename dir back: {e}"))?;
        fs::remove_file("/tmp/work/home/.ssh/authorized_keys").map_err(|e| e.to_string())?;
        write(
            "/tmp/work/home/.ssh/authorized_keys",
            "ssh-ed25519 DDDD root\n",
        )?;
        fs::rename("/tmp/work/home", "/tmp/work/moved-home")
            .map_err(|e| format!("rename grandparent: {e}"))?;
        unconfined(&["read", "/tmp/work/moved-home/.ssh/authorized_keys"], "ok")?;
        expect(
            &["read", "/tmp/work/moved-home/.ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        expect(
            &["unlink", "/tmp/work/moved-home/.ssh/authorized_keys"],
            "errno=EACCES",
        )?;
        expect(&["read", "/tmp/work/moved-home/.ssh/config"], "ok")
    })();
    let _ = fs::remove_dir_all("/tmp/work/moved-home");
    let _ = fs::remove_file("/tmp/work/moved-key");
    let _ = umount("/tmp/work/bound-home");
    let _ = fs::remove_dir("/tmp/work/bound-home");
    let _ = fs::remove_dir_all("/tmp/work/home");
    let _ = umount("/tmp/work/bound-dir");
    let _ = umount("/tmp/work/bound-key");
    for f in [
        "/tmp/work/alias-key",
        "/tmp/work/alias-late",
        "/tmp/work/bound-key",
        "/tmp/secret/late",
        "/tmp/work/plain-after-reload",
    ] {
        let _ = fs::remove_file(f);
    }
    let _ = fs::remove_dir("/tmp/work/bound-dir");
    result
}
