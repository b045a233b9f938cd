// SPDX-License-Identifier: GPL-2.0

//! The `events` file: the queue of decision events (`report`), one line each, read by
//! `tcp-monitor`; blocking and non-blocking reads and poll.

use kernel::bindings;
use kernel::error::code::{EAGAIN, EFAULT, EINVAL, ENOMEM, EPERM};
use kernel::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;
use kernel::uaccess::UserSlice;

use crate::engine::event::Text;
use crate::engine::stats::Counter;
use crate::textfile::{FileOps, NO_FOPS};
use crate::{errno, report};

/// Smallest buffer a read of `events` must offer: one line at its longest plus a `lost=`
/// line.
pub(crate) const EVENTS_READ_MIN: usize = 4096;

/// Room kept for the `lost=` line.
const LOST_LINE_MAX: usize = 32;

/// Longest event line (every field escaped at its longest) plus its newline.
const LINE_MAX: usize = 2048;

/// `poll` bits (`include/uapi/linux/eventpoll.h`): casts bindgen cannot evaluate, so their
/// values come from the C compiler (`layout_c.c`).
const EPOLLIN: c_uint = crate::layout::EPOLLIN as c_uint;

const EPOLLRDNORM: c_uint = crate::layout::EPOLLRDNORM as c_uint;

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn events_open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // Decisions name files, addresses and tasks: only an unconfined administrator reads
    // them.
    if crate::blob::current_domain().is_confined() {
        return EPERM.to_errno();
    }
    // SAFETY: `capable` checks the current task, which is the opener.
    if !unsafe { bindings::capable(bindings::CAP_MAC_ADMIN as c_int) } {
        return EPERM.to_errno();
    }
    // SAFETY: The VFS passes the inode and file being opened; a stream has no position.
    unsafe { bindings::stream_open(inode, file) }
}

/// Waits until a line can be read; `Err(-ERESTARTSYS)` on a signal.
fn wait_for_lines() -> Result {
    let wq = report::WAITERS.as_ptr();
    // SAFETY: An all-zero wait queue entry is what `init_wait_entry` initialises.
    let mut entry: bindings::wait_queue_entry = unsafe { core::mem::zeroed() };
    // SAFETY: `entry` lives on this stack frame until `finish_wait` below removed it from
    // the queue; `wq` was initialised at LSM init.
    unsafe { bindings::init_wait_entry(&mut entry, 0) };
    let result = loop {
        // SAFETY: As above.
        let pending = unsafe {
            bindings::prepare_to_wait_event(wq, &mut entry, bindings::TASK_INTERRUPTIBLE as c_int)
        };
        if report::has_lines() {
            break Ok(());
        }
        if pending != 0 {
            break Err(Error::from_errno(pending as c_int));
        }
        // SAFETY: Sleeps until a producer wakes the queue (or a signal arrives).
        unsafe { bindings::schedule() };
    };
    // SAFETY: As above.
    unsafe { bindings::finish_wait(wq, &mut entry) };
    result
}

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn events_read(
    f: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    if count < EVENTS_READ_MIN {
        return errno::io(EINVAL);
    }
    let cap = count.min(64 * 1024);
    let mut out = match KVec::with_capacity(cap, GFP_KERNEL) {
        Ok(v) => v,
        Err(_) => return errno::io(ENOMEM),
    };
    // SAFETY: The VFS passes an open file.
    let nonblock = unsafe { (*f).f_flags } & bindings::O_NONBLOCK != 0;
    let mut popped = 0u64;
    let mut lost = 0u64;
    while out.is_empty() {
        if !report::has_lines() {
            if nonblock {
                return errno::io(EAGAIN);
            }
            if let Err(e) = wait_for_lines() {
                return errno::io(e);
            }
        }
        while cap - out.len() >= LINE_MAX + LOST_LINE_MAX {
            let mut line = Text::<LINE_MAX>::default();
            match report::pop_line(&mut line) {
                None => break,
                Some(r) => {
                    popped += 1;
                    if r.is_err() || line.as_bytes().len() >= LINE_MAX - 1 {
                        // Cannot happen (the longest line fits); counted as lost if it did.
                        report::untake_lost(1);
                        continue;
                    }
                    if out.extend_from_slice(line.as_bytes(), GFP_KERNEL).is_err()
                        || out.push(b'\n', GFP_KERNEL).is_err()
                    {
                        report::untake_lost(1);
                    }
                }
            }
        }
        lost = report::take_lost();
        if lost != 0 {
            let mut line = Text::<LOST_LINE_MAX>::default();
            if crate::engine::event::write_lost_line(&mut line, lost).is_err()
                || out.extend_from_slice(line.as_bytes(), GFP_KERNEL).is_err()
                || out.push(b'\n', GFP_KERNEL).is_err()
            {
                report::untake_lost(lost);
                lost = 0;
            }
        }
    }
    if UserSlice::new(buf as usize, out.len())
        .writer()
        .write_slice(&out)
        .is_err()
    {
        // The lines are gone from the queue: they are lost, and reported as such.
        report::count_n(Counter::EventsDropped, popped);
        report::untake_lost(popped + lost);
        return errno::io(EFAULT);
    }
    out.len() as isize
}

/// # Safety
///
/// The VFS calls it as a file operation of this LSM's securityfs files, with that
/// operation's arguments.
unsafe extern "C" fn events_poll(
    f: *mut bindings::file,
    pt: *mut bindings::poll_table_struct,
) -> c_uint {
    // `poll_wait()`, a static inline: register the queue with the poll table, if any.
    if !pt.is_null() {
        // SAFETY: A non-null poll table is live for this call.
        if let Some(qproc) = unsafe { (*pt)._qproc } {
            // SAFETY: The queue lives forever; the table's callback may sleep-register it.
            unsafe { qproc(f, report::WAITERS.as_ptr(), pt) };
        }
    }
    if report::has_lines() {
        EPOLLIN | EPOLLRDNORM
    } else {
        0
    }
}

pub(crate) static EVENTS_FOPS: FileOps = FileOps(bindings::file_operations {
    open: Some(events_open),
    read: Some(events_read),
    poll: Some(events_poll),
    ..NO_FOPS
});
