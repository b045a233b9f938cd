//! SysV IPC: creating queues, segments and semaphores (`msg_queue_alloc_security`,
//! `shm_alloc_security`, `sem_alloc_security`), and using ones an unconfined task made
//! (`msg_queue_associate`, `msg_queue_msgsnd`, `msg_queue_msgrcv`, `msg_queue_msgctl`,
//! `shm_associate`, `shm_shmat`, `shm_shmctl`, `sem_associate`, `sem_semop`,
//! `sem_semctl`).

use crate::harness::{ensure_eq, Outcome};
use crate::helpers::probe::{expect, probe_in, probe_unconfined};

pub(super) fn ipc() -> Outcome {
    expect(&["shmget"], "errno=EACCES")?;
    expect(&["msgget"], "errno=EACCES")?;
    expect(&["semget"], "errno=EACCES")
}

pub(super) fn ipc_existing() -> Outcome {
    // Objects created by an unconfined task; a domain reaches them by id or by key.
    let ids = probe_unconfined(&["ipc-make", "4242"])?;
    let ids: Vec<&str> = ids.split_whitespace().collect();
    let [msq, shm, sem] = ids[..] else {
        return Err(format!("ipc-make printed {ids:?}"));
    };
    let cases = [
        ("msgsnd", msq),
        ("msgctl", msq),
        ("shmat", shm),
        ("shmctl", shm),
        ("semop", sem),
        ("semctl", sem),
        ("msgget-key", "4242"),
        ("shmget-key", "4242"),
        ("semget-key", "4242"),
    ];
    for (op, arg) in cases {
        expect(&[op, arg], "errno=EACCES")?;
        ensure_eq(
            probe_in("other", &[op, arg])?,
            "ok".to_owned(),
            &format!("{op} in domain other"),
        )?;
    }
    // `other` sent a message; `agent` does not see it (the hook filters each message, so
    // the queue looks empty), `other` receives it.
    expect(&["msgrcv", msq], "errno=ENOMSG")?;
    ensure_eq(
        probe_in("other", &["msgrcv", msq])?,
        "ok".to_owned(),
        "msgrcv in domain other",
    )
}
