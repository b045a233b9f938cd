// SPDX-License-Identifier: GPL-2.0
/*
 * C's view of every kernel struct layout the TCP LSM reads or writes from Rust.
 *
 * Never linked: Kbuild compiles this file to assembly only (like the kernel's
 * asm-offsets.c) and turns each marker into one line of layout_generated.rs, which
 * layout.rs checks against bindgen's Rust structs with const assertions. A bindgen that
 * lays out a struct differently from the C compiler (rust-bindgen issue 3406 moved every
 * field of task_struct after rt_priority by 64 bytes on SMP) then fails the build, naming
 * the field. offsetof/sizeof must come from the compiler that builds the rest of the
 * kernel, with the kernel's flags, which only C can ask; the list lives here once.
 *
 * FIELD(s, f)        offsetof(struct s, f), checked against offset_of!(bindings::s, f)
 * FIELD_AS(s, f, r)  the same where bindgen spells the path differently (anonymous
 *                    unions and structs become __bindgen_anon_N)
 * FIELD_T(t, f)      offsetof(t, f) for a typedef of an anonymous struct (seqlock_t)
 * SIZE(s)            sizeof(struct s), checked against size_of::<bindings::s>()
 * SIZE_T(t)          sizeof(t) for a typedef, checked against size_of::<bindings::t>()
 * SIZE_U(u)          sizeof(union u), checked against size_of::<bindings::u>()
 * SIZE_E(e)          sizeof(enum e), checked against size_of::<bindings::e>() (bindgen
 *                    turns an enum into a type alias of its integer type)
 *
 * Every field the Rust code reads or writes through a bindings:: type is listed, nested
 * paths spelled as the Rust code spells them, with the size of its struct; so is the size
 * of every struct Rust builds, embeds, copies or passes by value. Keep the list in step
 * with the Rust files named in each group's comment.
 * MIRROR_FIELD(s, f, r), MIRROR_SIZE(s)
 *                    the same for a struct bindgen does not emit and the LSM declares
 *                    itself (layout.rs names the Rust type)
 * CONSTANT(c)        the value of a kernel constant that bindgen cannot evaluate (a
 *                    macro built with BIT()), as `layout::c` (no hand copy in Rust)
 */

#include <linux/audit.h>
#include <linux/binfmts.h>
#include <linux/bpf.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/ipc.h>
#include <linux/kernel_read_file.h>
#include <linux/lockdep_types.h>
#include <linux/lsm_audit.h>
#include <linux/lsm_hooks.h>
#include <linux/mman.h>
#include <linux/mm_types.h>
#include <linux/msg.h>
#include <linux/mount.h>
#include <linux/net.h>
#include <linux/path.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/seqlock_types.h>
#include <linux/socket.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/uidgid_types.h>
#include <linux/wait.h>
#include <net/af_unix.h>
#include <net/sock.h>
#include <uapi/linux/lsm.h>
#include <uapi/linux/mount.h>
#include <uapi/linux/prctl.h>
#include <asm/processor.h>

#define TCP_LSM_LAYOUT(kind, s, rust, val) \
	asm volatile("\n.ascii \"->" kind " " #s " %c0 " #rust "\"" : : "i" (val))
#define FIELD(s, f)		TCP_LSM_LAYOUT("field", s, f, offsetof(struct s, f))
#define FIELD_AS(s, f, r)	TCP_LSM_LAYOUT("field", s, r, offsetof(struct s, f))
#define FIELD_T(t, f)		TCP_LSM_LAYOUT("field", t, f, offsetof(t, f))
#define SIZE(s)			TCP_LSM_LAYOUT("size", s, -, sizeof(struct s))
#define SIZE_T(t)		TCP_LSM_LAYOUT("size", t, -, sizeof(t))
#define SIZE_U(u)		TCP_LSM_LAYOUT("size", u, -, sizeof(union u))
#define SIZE_E(e)		TCP_LSM_LAYOUT("size", e, -, sizeof(enum e))
/* Structs bindgen does not emit, which the LSM declares itself (layout.rs, `mirror`). */
#define MIRROR_FIELD(s, f, r)	TCP_LSM_LAYOUT("mirror_field", s, r, offsetof(struct s, f))
#define MIRROR_SIZE(s)		TCP_LSM_LAYOUT("mirror_size", s, -, sizeof(struct s))
/* Not through TCP_LSM_LAYOUT: the name must be stringified before it expands. */
#define CONSTANT(c) \
	asm volatile("\n.ascii \"->constant " #c " %c0 -\"" : : "i" (c))

void tcp_lsm_layout(void);
void tcp_lsm_layout(void)
{
	/* @@LIST@@ */

	/* Constants (fscheck.rs: objects of the kernel's internal mounts; mount.rs: binds). */
	CONSTANT(SB_KERNMOUNT);
	CONSTANT(MS_BIND);
	/* fmode_t bits (file.rs, textfile.rs) and poll bits (events_file.rs): casts. */
	CONSTANT(FMODE_READ);
	CONSTANT(FMODE_WRITE);
	CONSTANT(FMODE_PWRITE);
	CONSTANT(__FMODE_EXEC);
	CONSTANT(EPOLLIN);
	CONSTANT(EPOLLRDNORM);
	/* Headers the kernel's bindings do not include: mman (memory.rs), prctl (task.rs). */
	CONSTANT(PROT_WRITE);
	CONSTANT(PROT_EXEC);
	CONSTANT(MAP_TYPE);
	CONSTANT(MAP_SHARED);
	CONSTANT(MAP_SHARED_VALIDATE);
	CONSTANT(PR_GET_SECCOMP);
	CONSTANT(PR_SET_SECCOMP);
	CONSTANT(PR_CAPBSET_READ);
	CONSTANT(PR_CAPBSET_DROP);
	CONSTANT(PR_SET_NO_NEW_PRIVS);
	CONSTANT(PR_GET_NO_NEW_PRIVS);

	/*
	 * Registration: blob sizes written in Rust and read back as offsets (setup.rs,
	 * blob.rs); the lsm_id and lsm_info records built in Rust (setup.rs).
	 */
	FIELD(lsm_blob_sizes, lbs_cred);
	FIELD(lsm_blob_sizes, lbs_file);
	FIELD(lsm_blob_sizes, lbs_backing_file);
	FIELD(lsm_blob_sizes, lbs_ib);
	FIELD(lsm_blob_sizes, lbs_inode);
	FIELD(lsm_blob_sizes, lbs_sock);
	FIELD(lsm_blob_sizes, lbs_superblock);
	FIELD(lsm_blob_sizes, lbs_ipc);
	FIELD(lsm_blob_sizes, lbs_key);
	FIELD(lsm_blob_sizes, lbs_msg_msg);
	FIELD(lsm_blob_sizes, lbs_perf_event);
	FIELD(lsm_blob_sizes, lbs_task);
	FIELD(lsm_blob_sizes, lbs_xattr_count);
	FIELD(lsm_blob_sizes, lbs_tun_dev);
	FIELD(lsm_blob_sizes, lbs_bdev);
	SIZE(lsm_blob_sizes);
	FIELD(lsm_id, name);
	FIELD(lsm_id, id);
	SIZE(lsm_id);
	FIELD(lsm_info, name);
	FIELD(lsm_info, order);
	FIELD(lsm_info, flags);
	FIELD(lsm_info, enabled);
	FIELD(lsm_info, init);
	FIELD(lsm_info, blobs);
	SIZE(lsm_info);
	SIZE_E(lsm_order);

	/*
	 * The hook list built by setup.rs's hook! macro: the entries (an array whose
	 * length C walks in security_add_hooks()), the union of hook pointers, and the
	 * address of each hook's slots in static_calls_table.
	 */
	FIELD(security_hook_list, scalls);
	FIELD(security_hook_list, hook);
	FIELD(security_hook_list, lsmid);
	SIZE(security_hook_list);
	SIZE_U(security_list_options);
	SIZE(lsm_static_call);
	SIZE(lsm_static_calls_table);
	/* Lifecycle of the blobs. */
	FIELD(lsm_static_calls_table, task_alloc);
	FIELD(lsm_static_calls_table, cred_prepare);
	FIELD(lsm_static_calls_table, cred_transfer);
	FIELD(lsm_static_calls_table, file_alloc_security);
	FIELD(lsm_static_calls_table, sk_alloc_security);
	FIELD(lsm_static_calls_table, sk_clone_security);
	FIELD(lsm_static_calls_table, msg_queue_alloc_security);
	FIELD(lsm_static_calls_table, shm_alloc_security);
	FIELD(lsm_static_calls_table, sem_alloc_security);
	/* Domains. */
	FIELD(lsm_static_calls_table, bprm_creds_for_exec);
	FIELD(lsm_static_calls_table, bprm_committing_creds);
	FIELD(lsm_static_calls_table, getselfattr);
	FIELD(lsm_static_calls_table, setselfattr);
	FIELD(lsm_static_calls_table, getprocattr);
	/* Files, exec, memory. */
	FIELD(lsm_static_calls_table, file_open);
	FIELD(lsm_static_calls_table, bprm_check_security);
	FIELD(lsm_static_calls_table, mmap_file);
	FIELD(lsm_static_calls_table, file_mprotect);
	FIELD(lsm_static_calls_table, path_unlink);
	FIELD(lsm_static_calls_table, path_mkdir);
	FIELD(lsm_static_calls_table, path_rmdir);
	FIELD(lsm_static_calls_table, path_mknod);
	FIELD(lsm_static_calls_table, path_symlink);
	FIELD(lsm_static_calls_table, path_link);
	FIELD(lsm_static_calls_table, path_rename);
	FIELD(lsm_static_calls_table, path_truncate);
	FIELD(lsm_static_calls_table, path_chmod);
	FIELD(lsm_static_calls_table, path_chown);
	FIELD(lsm_static_calls_table, inode_getattr);
	FIELD(lsm_static_calls_table, inode_setattr);
	FIELD(lsm_static_calls_table, inode_unlink);
	FIELD(lsm_static_calls_table, inode_rmdir);
	FIELD(lsm_static_calls_table, inode_link);
	FIELD(lsm_static_calls_table, inode_rename);
	FIELD(lsm_static_calls_table, inode_setxattr);
	FIELD(lsm_static_calls_table, inode_removexattr);
	FIELD(lsm_static_calls_table, inode_getxattr);
	FIELD(lsm_static_calls_table, inode_listxattr);
	FIELD(lsm_static_calls_table, file_ioctl);
	FIELD(lsm_static_calls_table, file_ioctl_compat);
	FIELD(lsm_static_calls_table, file_lock);
	FIELD(lsm_static_calls_table, file_fcntl);
	FIELD(lsm_static_calls_table, file_permission);
	FIELD(lsm_static_calls_table, file_receive);
	/* Network. */
	FIELD(lsm_static_calls_table, socket_create);
	FIELD(lsm_static_calls_table, socket_connect);
	FIELD(lsm_static_calls_table, socket_bind);
	FIELD(lsm_static_calls_table, socket_listen);
	FIELD(lsm_static_calls_table, socket_accept);
	FIELD(lsm_static_calls_table, socket_sendmsg);
	FIELD(lsm_static_calls_table, socket_post_create);
	FIELD(lsm_static_calls_table, socket_recvmsg);
	FIELD(lsm_static_calls_table, socket_getsockname);
	FIELD(lsm_static_calls_table, socket_getpeername);
	FIELD(lsm_static_calls_table, socket_setsockopt);
	FIELD(lsm_static_calls_table, socket_shutdown);
	FIELD(lsm_static_calls_table, unix_stream_connect);
	FIELD(lsm_static_calls_table, unix_may_send);
	/* Capabilities and processes. */
	FIELD(lsm_static_calls_table, capable);
	FIELD(lsm_static_calls_table, mmap_addr);
	FIELD(lsm_static_calls_table, ptrace_access_check);
	FIELD(lsm_static_calls_table, ptrace_traceme);
	FIELD(lsm_static_calls_table, task_kill);
	FIELD(lsm_static_calls_table, file_set_fowner);
	FIELD(lsm_static_calls_table, file_send_sigiotask);
	FIELD(lsm_static_calls_table, task_prctl);
	FIELD(lsm_static_calls_table, task_fix_setuid);
	FIELD(lsm_static_calls_table, task_fix_setgid);
	FIELD(lsm_static_calls_table, task_setnice);
	FIELD(lsm_static_calls_table, task_setioprio);
	FIELD(lsm_static_calls_table, task_setrlimit);
	FIELD(lsm_static_calls_table, task_setscheduler);
	FIELD(lsm_static_calls_table, task_setpgid);
	FIELD(lsm_static_calls_table, task_getpgid);
	FIELD(lsm_static_calls_table, task_getsid);
	FIELD(lsm_static_calls_table, task_fix_setgroups);
	FIELD(lsm_static_calls_table, task_prlimit);
	/* System operations. */
	FIELD(lsm_static_calls_table, kernel_module_request);
	FIELD(lsm_static_calls_table, kernel_load_data);
	FIELD(lsm_static_calls_table, kernel_read_file);
	FIELD(lsm_static_calls_table, bpf);
	FIELD(lsm_static_calls_table, settime);
	FIELD(lsm_static_calls_table, perf_event_open);
	FIELD(lsm_static_calls_table, uring_override_creds);
	FIELD(lsm_static_calls_table, uring_sqpoll);
	FIELD(lsm_static_calls_table, uring_cmd);
	FIELD(lsm_static_calls_table, inode_init_security_anon);
	FIELD(lsm_static_calls_table, sb_mount);
	FIELD(lsm_static_calls_table, sb_umount);
	FIELD(lsm_static_calls_table, sb_pivotroot);
	FIELD(lsm_static_calls_table, move_mount);
	FIELD(lsm_static_calls_table, bpf_map);
	FIELD(lsm_static_calls_table, bpf_prog);
	/* SysV IPC. */
	FIELD(lsm_static_calls_table, msg_queue_associate);
	FIELD(lsm_static_calls_table, msg_queue_msgsnd);
	FIELD(lsm_static_calls_table, msg_queue_msgrcv);
	FIELD(lsm_static_calls_table, shm_associate);
	FIELD(lsm_static_calls_table, shm_shmat);
	FIELD(lsm_static_calls_table, sem_associate);
	FIELD(lsm_static_calls_table, sem_semop);
	FIELD(lsm_static_calls_table, msg_queue_msgctl);
	FIELD(lsm_static_calls_table, shm_shmctl);
	FIELD(lsm_static_calls_table, sem_semctl);

	/*
	 * Tasks and credentials: blob.rs (security, cred, real_cred), exec.rs and task.rs
	 * (real_cred), report.rs (pid, comm), securityfs.rs (pid).
	 */
	FIELD(task_struct, security);
	FIELD(task_struct, cred);
	FIELD(task_struct, real_cred);
	FIELD(task_struct, pid);
	FIELD(task_struct, comm);
	SIZE(task_struct);
	FIELD(cred, security);				/* blob.rs */
	SIZE(cred);

	/* exec.rs (file, cred), file.rs (file). */
	FIELD(linux_binprm, file);
	FIELD(linux_binprm, cred);
	SIZE(linux_binprm);

	/* attr.rs: setselfattr reads the header and takes size_of the struct. */
	FIELD(lsm_ctx, ctx_len);
	FIELD(lsm_ctx, ctx);
	SIZE(lsm_ctx);

	/*
	 * Open files: blob.rs (f_security), fscheck.rs and file.rs (f_mode, f_flags, f_inode, f_path and
	 * the mount and dentry read through it), exec.rs (f_path), policy_file.rs (f_flags,
	 * private_data), textfile.rs (f_flags, f_inode).
	 */
	FIELD(file, f_mode);
	FIELD(file, private_data);
	FIELD(file, f_inode);
	FIELD(file, f_flags);
	FIELD(file, f_path);
	FIELD(file, f_path.mnt);
	FIELD(file, f_path.dentry);
	FIELD(file, f_security);
	SIZE(file);
	FIELD(fown_struct, file);			/* task.rs */
	SIZE(fown_struct);

	/* The file_operations tables built in textfile.rs, value_files.rs, events_file.rs and policy_file.rs. */
	FIELD(file_operations, llseek);
	FIELD(file_operations, read);
	FIELD(file_operations, write);
	FIELD(file_operations, poll);
	FIELD(file_operations, open);
	FIELD(file_operations, release);
	SIZE(file_operations);
	FIELD(poll_table_struct, _qproc);		/* events_file.rs (poll_wait) */
	SIZE(poll_table_struct);

	/*
	 * Inodes, dentries and paths: blob.rs (i_security), fscheck.rs, path.rs and inode.rs (i_mode, d_inode,
	 * path, mnt_flags, ia_valid), value_files.rs (i_private), marks.rs and protect.rs (qstr name),
	 * fspath.rs (builds a struct path), pathcache.rs and net.rs (path).
	 */
	FIELD(inode, i_mode);
	FIELD(inode, i_security);
	FIELD(inode, i_private);
	SIZE(inode);
	FIELD(dentry, d_inode);
	FIELD(dentry, d_sb);
	FIELD(dentry, d_parent);
	FIELD(dentry, d_name);				/* fscheck.rs: kinds of internal objects */
	SIZE(dentry);
	FIELD(super_block, s_magic);
	FIELD(super_block, s_flags);
	SIZE(super_block);
	/* protect.rs: the directory walk of a policy load. */
	FIELD(dir_context, actor);
	FIELD(dir_context, pos);
	SIZE(dir_context);
	FIELD(qstr, name);
	SIZE(qstr);
	FIELD(iattr, ia_valid);
	FIELD(iattr, ia_file);
	SIZE(iattr);
	FIELD(path, mnt);
	FIELD(path, dentry);
	SIZE(path);
	FIELD(vfsmount, mnt_root);			/* fspath.rs */
	FIELD(vfsmount, mnt_flags);
	SIZE(vfsmount);

	/*
	 * The sequence of rename_lock and mount_lock (pathcache.rs), read as
	 * seqcount.seqcount.sequence of a seqlock_t (an anonymous struct's typedef).
	 */
	FIELD_T(seqlock_t, seqcount);
	FIELD_T(seqlock_t, seqcount.seqcount);
	FIELD_T(seqlock_t, seqcount.seqcount.sequence);
	SIZE_T(seqlock_t);
	FIELD(seqcount_spinlock, seqcount);
	SIZE_T(seqcount_spinlock_t);
	FIELD(seqcount, sequence);
	SIZE_T(seqcount_t);

	/* Memory mappings (memory.rs, file_mprotect); vm_flags is in an anonymous union. */
	FIELD(vm_area_struct, anon_vma);
	FIELD(vm_area_struct, vm_file);
	FIELD_AS(vm_area_struct, vm_flags, __bindgen_anon_2.vm_flags);
	SIZE(vm_area_struct);

	/*
	 * Sockets: net.rs (type, sk, msg_name, msg_namelen, a sock cast to its unix_sock
	 * and that socket's path), blob.rs (sk_security).
	 */
	FIELD_AS(socket, type, type_);
	FIELD(socket, sk);
	SIZE(socket);
	FIELD(sock, sk_security);
	FIELD(sock, __sk_common);
	FIELD(sock_common, skc_family);
	SIZE(sock);
	FIELD(unix_sock, sk);
	FIELD(unix_sock, path);
	FIELD(unix_sock, path.dentry);
	SIZE(unix_sock);
	FIELD(msghdr, msg_name);
	FIELD(msghdr, msg_namelen);
	SIZE(msghdr);

	/* SysV IPC objects (blob.rs). */
	FIELD(kern_ipc_perm, security);
	SIZE(kern_ipc_perm);

	/*
	 * Wait queues: report.rs embeds a wait_queue_head and its lock_class_key in a
	 * static, events_file.rs builds a wait_queue_entry on the stack.
	 */
	SIZE(wait_queue_head);
	SIZE(lock_class_key);
	SIZE(wait_queue_entry);

	/* boot_cpu_data (value_files.rs); x86_capability is in an anonymous union. */
	FIELD_AS(cpuinfo_x86, x86_capability, __bindgen_anon_2.x86_capability);
	SIZE(cpuinfo_x86);

	/*
	 * Typedefs and enums passed by value to the hooks or through pointers: kuid_t and
	 * kgid_t (path.rs path_chown), loff_t (textfile.rs, policy_file.rs, events_file.rs, exec.rs),
	 * umode_t (path.rs), fmode_t (system.rs bpf_map), gfp_t (task.rs, net.rs), pid_t (task.rs
	 * task_setpgid; task_struct.pid in report.rs), the kernel_load_data_id and
	 * kernel_read_file_id enums (system.rs).
	 */
	SIZE_T(kuid_t);
	SIZE_T(kgid_t);
	SIZE_T(loff_t);
	SIZE_T(umode_t);
	SIZE_T(fmode_t);
	SIZE_T(gfp_t);
	SIZE_T(pid_t);
	SIZE_E(kernel_load_data_id);
	SIZE_E(kernel_read_file_id);

	/* params.rs: SetupParam, the LSM's copy of struct obs_kernel_param (__setup()). */
	MIRROR_FIELD(obs_kernel_param, str, name);
	MIRROR_FIELD(obs_kernel_param, setup_func, setup);
	MIRROR_FIELD(obs_kernel_param, early, early);
	MIRROR_SIZE(obs_kernel_param);

	/* net.rs: addresses are fetched into 16 u64 words (layout.rs checks it is enough). */
	SIZE(__kernel_sockaddr_storage);

	/* report.rs: the record given to common_lsm_audit (AuditData starts with it). */
	FIELD_AS(common_audit_data, type, type_);
	FIELD(common_audit_data, u);
	SIZE(common_audit_data);

	/* securityfs.rs: show_text reads the seq_file made by single_open. */
	FIELD(seq_file, private);
	FIELD(seq_file, file);
}
