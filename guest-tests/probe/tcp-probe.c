// SPDX-License-Identifier: GPL-2.0
/*
 * tcp-probe: performs one system call and prints its outcome ("ok" or "errno=NAME"),
 * for the guest tests of the TCP LSM. The tests run it confined (an exec transition in
 * their policy names /bin/tcp-probe) and compare the outcome with the policy.
 *
 * Written in C because the workspace forbids `unsafe` outside the kernel crate, and most
 * of these calls (mmap, mprotect, SysV IPC, bpf, io_uring, lsm_set_self_attr,
 * lsm_get_self_attr, raw sockets) have no safe Rust wrapper.
 *
 * Usage: tcp-probe OP [ARGS...]; exit status 0 when the outcome was printed, 2 on a
 * usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/netlink.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/personality.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#ifndef __NR_lsm_get_self_attr
#define __NR_lsm_get_self_attr 459
#define __NR_lsm_set_self_attr 460
#endif
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_restrict_self 446
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#define __NR_io_uring_enter 426
#endif
#define LSM_ID_TCP 114
/* From the 6.12 uapi <linux/lsm.h>, which this machine's libc headers predate. */
#define LSM_ATTR_CURRENT 100
#define LSM_ATTR_EXEC 101
struct lsm_ctx {
	uint64_t id;
	uint64_t flags;
	uint64_t len;
	uint64_t ctx_len;
	uint8_t ctx[];
};

static int report(long rc)
{
	if (rc < 0)
		printf("errno=%s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	else
		printf("ok\n");
	return 0;
}

/* n opens (and closes) of path; returns how many were refused. */
static int flood(int n, const char *path)
{
	int denied = 0;

	for (int i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			denied++;
		else
			close(fd);
	}
	return denied;
}

static int usage(void)
{
	fprintf(stderr, "tcp-probe: bad arguments\n");
	return 2;
}

static struct sockaddr_in sin4(const char *ip, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(port)) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

/*
 * Submits one request through a fresh io_uring instance and reports its result: the
 * bypass test for opens and connects made by the kernel on the task's behalf.
 */
static int uring_one(void (*prep)(struct io_uring_sqe *, void *), void *arg)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqes, *sqe;
	struct io_uring_cqe *cqe;
	unsigned *tail, *mask, *array, *chead, *cmask, idx;
	size_t sq_sz, cq_sz;
	char *sq, *cq;
	int ring;

	memset(&p, 0, sizeof(p));
	ring = syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0) {
		printf("setup: ");
		return report(-1);
	}
	sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_sz = cq_sz = sq_sz > cq_sz ? sq_sz : cq_sz;
	sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	cq = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq :
	     mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		    ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		printf("mmap: ");
		return report(-1);
	}
	tail = (unsigned *)(sq + p.sq_off.tail);
	mask = (unsigned *)(sq + p.sq_off.ring_mask);
	array = (unsigned *)(sq + p.sq_off.array);
	idx = *tail & *mask;
	sqe = &sqes[idx];
	memset(sqe, 0, sizeof(*sqe));
	prep(sqe, arg);
	array[idx] = idx;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		printf("enter: ");
		return report(-1);
	}
	chead = (unsigned *)(cq + p.cq_off.head);
	cmask = (unsigned *)(cq + p.cq_off.ring_mask);
	cqe = (struct io_uring_cqe *)(cq + p.cq_off.cqes) + (*chead & *cmask);
	if (cqe->res < 0) {
		errno = -cqe->res;
		return report(-1);
	}
	return report(0);
}

static void prep_openat(struct io_uring_sqe *sqe, void *path)
{
	sqe->opcode = IORING_OP_OPENAT;
	sqe->fd = AT_FDCWD;
	sqe->addr = (uint64_t)(uintptr_t)path;
	sqe->open_flags = O_RDONLY;
}

static struct sockaddr_in uring_addr;

static void prep_connect(struct io_uring_sqe *sqe, void *fdp)
{
	sqe->opcode = IORING_OP_CONNECT;
	sqe->fd = *(int *)fdp;
	sqe->addr = (uint64_t)(uintptr_t)&uring_addr;
	sqe->off = sizeof(uring_addr);
}

/* lsm_get_self_attr(LSM_ATTR_CURRENT): prints this LSM's entry (the task's domain). */
static int print_self_attr(void)
{
	char buf[512];
	uint32_t size = sizeof(buf);
	long n = syscall(__NR_lsm_get_self_attr, LSM_ATTR_CURRENT, buf, &size, 0);
	struct lsm_ctx *ctx = (struct lsm_ctx *)buf;

	if (n < 0)
		return report(-1);
	for (long i = 0; i < n; i++) {
		if (ctx->id == LSM_ID_TCP) {
			printf("%.*s\n", (int)strnlen((char *)ctx->ctx, ctx->ctx_len), (char *)ctx->ctx);
			return 0;
		}
		ctx = (struct lsm_ctx *)((char *)ctx + ctx->len);
	}
	printf("none\n");
	return 0;
}

static volatile sig_atomic_t got_sigio;

static void on_sigio(int sig)
{
	(void)sig;
	got_sigio = 1;
}

/*
 * Makes a pipe whose SIGIO goes to pid (F_SETOWN), then writes to it. For pid = self it
 * reports whether the signal arrived; for another task the caller checks that task.
 */
static int sigio_to(pid_t pid)
{
	int p[2];

	signal(SIGIO, on_sigio);
	if (pipe(p) || fcntl(p[0], F_SETOWN, pid) || fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK)) {
		printf("setup: ");
		return report(-1);
	}
	if (write(p[1], "x", 1) != 1)
		return report(-1);
	usleep(100000);
	if (pid != getpid()) {
		printf("sent\n");
		return 0;
	}
	printf(got_sigio ? "ok\n" : "not-delivered\n");
	return 0;
}

/*
 * Passes descriptor fd to itself over a Unix socket pair (SCM_RIGHTS) and reports whether
 * it arrived: "ok", or "refused" when the kernel dropped it (MSG_CTRUNC).
 */
static int pass_fd(int fd)
{
	char data = 'x', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		printf("socketpair: ");
		return report(-1);
	}
	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sv[0], &msg, 0) < 0) {
		printf("sendmsg: ");
		return report(-1);
	}
	memset(cbuf, 0, sizeof(cbuf));
	msg.msg_controllen = sizeof(cbuf);
	if (recvmsg(sv[1], &msg, 0) < 0) {
		printf("recvmsg: ");
		return report(-1);
	}
	c = CMSG_FIRSTHDR(&msg);
	if ((msg.msg_flags & MSG_CTRUNC) || !c || c->cmsg_type != SCM_RIGHTS) {
		printf("refused\n");
		return 0;
	}
	return report(0);
}

/* The SysV IPC operations on existing objects (ids or keys from ipc-make). */
static int ipc_op(const char *op, const char *arg)
{
	int id = atoi(arg);
	struct { long mtype; char mtext[1]; } m = { 1, { 'x' } };
	struct sembuf sop = { .sem_num = 0, .sem_op = 1, .sem_flg = IPC_NOWAIT };
	struct msqid_ds mds;
	struct shmid_ds sds;
	void *at;

	if (!strcmp(op, "msgsnd"))
		return report(msgsnd(id, &m, 1, IPC_NOWAIT));
	if (!strcmp(op, "msgrcv"))
		return report(msgrcv(id, &m, 1, 0, IPC_NOWAIT));
	if (!strcmp(op, "msgctl"))
		return report(msgctl(id, IPC_STAT, &mds));
	if (!strcmp(op, "shmat")) {
		at = shmat(id, NULL, SHM_RDONLY);
		return report(at == (void *)-1 ? -1 : shmdt(at));
	}
	if (!strcmp(op, "shmctl"))
		return report(shmctl(id, IPC_STAT, &sds));
	if (!strcmp(op, "semop"))
		return report(semop(id, &sop, 1));
	if (!strcmp(op, "semctl"))
		return report(semctl(id, 0, GETVAL));
	if (!strcmp(op, "msgget-key"))
		return report(msgget((key_t)id, 0));
	if (!strcmp(op, "shmget-key"))
		return report(shmget((key_t)id, 0, 0));
	if (!strcmp(op, "semget-key"))
		return report(semget((key_t)id, 0, 0));
	return usage();
}

/* Sends one AUDIT_SET request; 0 or -1. */
static int audit_set(int fd, uint32_t mask, uint32_t pid)
{
	struct {
		struct nlmsghdr n;
		struct audit_status s;
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct audit_status));
	req.n.nlmsg_type = AUDIT_SET;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.s.mask = mask;
	req.s.pid = pid;
	req.s.enabled = 1;
	return sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0 ? -1 : 0;
}

/* Prints the records of `type` in one datagram; returns the AUDIT_GET loss count in it, or -1. */
static long audit_print(char *buf, ssize_t n, int type)
{
	long lost = -1;

	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == AUDIT_GET && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct audit_status)))
			lost = ((struct audit_status *)NLMSG_DATA(h))->lost;
		else if (h->nlmsg_type == type) {
			/* Audit's length quirk: a record's nlmsg_len counts its payload only
			 * (see kauditd_send_multicast_skb()); one record per datagram. */
			ssize_t len = n - NLMSG_HDRLEN < h->nlmsg_len ? n - NLMSG_HDRLEN : h->nlmsg_len;

			printf("%.*s\n", (int)len, (char *)NLMSG_DATA(h));
			return lost;
		}
	}
	return lost;
}

/* Asks for the audit status and prints `label=lost` (records arriving meanwhile too). */
static void audit_lost(int fd, int type, const char *label, char *buf, size_t size)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr get = { .nlmsg_len = NLMSG_LENGTH(0), .nlmsg_type = AUDIT_GET,
				.nlmsg_flags = NLM_F_REQUEST };
	time_t end = time(NULL) + 60;

	sendto(fd, &get, get.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	/* Records may be queued ahead of the reply: read (and print) until it comes. */
	while (time(NULL) < end) {
		ssize_t n = recv(fd, buf, size, 0);
		long lost = n > 0 ? audit_print(buf, n, type) : -1;

		if (lost >= 0) {
			printf("%s=%ld\n", label, lost);
			return;
		}
	}
	printf("%s=?\n", label);
}

/*
 * Acts as the audit daemon: prints "audit-lost-start=N" and "ready", the text of every
 * record of type `type` received, then "audit-lost-end=N" (N: the audit subsystem's own
 * loss counter). It collects until its standard input ends (the test closes it once the
 * audited operations are done) and then until no record has come for two seconds, so that
 * what kauditd still had queued arrives however slow the kernel is (bounded: 5 minutes).
 */
static int audit_collect(int type)
{
	static char buf[1 << 16];
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
	int size = 8 << 20;
	struct timeval tick = { .tv_usec = 200000 };
	time_t end, quiet_since = 0;
	int input_open = 1;

	if (fd < 0 || audit_set(fd, AUDIT_STATUS_ENABLED | AUDIT_STATUS_PID, getpid())) {
		printf("audit: ");
		return report(-1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick));
	audit_lost(fd, type, "audit-lost-start", buf, sizeof(buf));
	printf("ready\n");
	fflush(stdout);
	end = time(NULL) + 300;
	while (time(NULL) < end) {
		struct pollfd in = { .fd = 0, .events = POLLIN };
		ssize_t n;

		if (input_open && poll(&in, 1, 0) > 0) {
			char c;

			if (read(0, &c, 1) <= 0) {
				input_open = 0;
				quiet_since = time(NULL);
			}
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			audit_print(buf, n, type);
			quiet_since = time(NULL);
		} else if (!input_open && time(NULL) - quiet_since >= 2) {
			break;
		}
	}
	audit_lost(fd, type, "audit-lost-end", buf, sizeof(buf));
	audit_set(fd, AUDIT_STATUS_PID, 0);
	return 0;
}

/*
 * lsm_set_self_attr(LSM_ATTR_EXEC, domain): 0, -1 when the call failed (errno set), -2
 * when the name is too long for the buffer (a usage error).
 */
static int request_exec(const char *domain)
{
	char buf[sizeof(struct lsm_ctx) + 80];
	struct lsm_ctx *ctx = (struct lsm_ctx *)buf;
	size_t len = strlen(domain) + 1;

	if (len > 80)
		return -2;
	memset(buf, 0, sizeof(buf));
	ctx->id = LSM_ID_TCP;
	ctx->len = sizeof(struct lsm_ctx) + len;
	ctx->ctx_len = len;
	memcpy(ctx->ctx, domain, len);
	return syscall(__NR_lsm_set_self_attr, LSM_ATTR_EXEC, ctx, ctx->len, 0) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	const char *a = argc > 2 ? argv[2] : NULL;
	const char *b = argc > 3 ? argv[3] : NULL;
	const char *c = argc > 4 ? argv[4] : NULL;
	int fd;

	if (!strcmp(op, "deep") && a && b && c) {
		/*
		 * deep DIR N OP ARGS...: changes into DIR, then N levels of directories named
		 * by 200 'd's, and runs OP ARGS there with relative names: objects whose
		 * absolute names are longer than PATH_MAX.
		 */
		char comp[201];

		memset(comp, 'd', 200);
		comp[200] = 0;
		if (chdir(a)) {
			printf("chdir: ");
			return report(-1);
		}
		for (int i = 0, n = atoi(b); i < n; i++) {
			if (chdir(comp)) {
				printf("chdir %d: ", i);
				return report(-1);
			}
		}
		return main(argc - 3, argv + 3);
	}
	if (!strcmp(op, "deep-build") && a && b) {
		/*
		 * deep-build DIR N: makes N levels of directories named by 200 'd's below DIR
		 * (with relative names: no shell builds names that long) and a file `f` at
		 * the bottom, whose absolute name is then longer than PATH_MAX.
		 */
		char comp[201], cwd[4096];

		memset(comp, 'd', 200);
		comp[200] = 0;
		if (chdir(a))
			return report(-1);
		for (int i = 0, n = atoi(b); i < n; i++) {
			if ((mkdir(comp, 0755) && errno != EEXIST) || chdir(comp)) {
				printf("level %d: ", i);
				return report(-1);
			}
		}
		fd = open("f", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, "deep\n", 5) != 5)
			return report(-1);
		if (getcwd(cwd, sizeof(cwd))) {
			printf("not deep enough: ");
			return report(-1);
		}
		return report(0);
	}
	if (!strcmp(op, "ns") && a && b) {
		/*
		 * ns FLAGS OP ARGS...: unshares the namespaces named by FLAGS (u user, n
		 * network, m mount, p PID, i IPC) and runs OP ARGS in them (for a PID
		 * namespace, in a child that is its pid 1).
		 */
		int flags = 0;

		for (const char *f = a; *f; f++)
			flags |= *f == 'u' ? CLONE_NEWUSER : *f == 'n' ? CLONE_NEWNET :
				 *f == 'm' ? CLONE_NEWNS : *f == 'p' ? CLONE_NEWPID :
				 *f == 'i' ? CLONE_NEWIPC : 0;
		if (unshare(flags)) {
			printf("unshare: ");
			return report(-1);
		}
		if (flags & CLONE_NEWPID) {
			pid_t child = fork();
			int status;

			if (child == 0)
				exit(main(argc - 2, argv + 2));
			if (child < 0 || waitpid(child, &status, 0) != child)
				return report(-1);
			return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		}
		return main(argc - 2, argv + 2);
	}
	if (!strcmp(op, "read") && a) {
		char buf[64];
		fd = open(a, O_RDONLY);
		return report(fd < 0 ? -1 : read(fd, buf, sizeof(buf)));
	}
	if (!strcmp(op, "write") && a)
		return report(open(a, O_WRONLY));
	if (!strcmp(op, "append") && a)
		return report(open(a, O_WRONLY | O_APPEND));
	if (!strcmp(op, "create") && a)
		return report(open(a, O_WRONLY | O_CREAT | O_EXCL, 0600));
	if (!strcmp(op, "stat") && a) {
		struct stat st;
		return report(stat(a, &st));
	}
	if (!strcmp(op, "unlink") && a)
		return report(unlink(a));
	if (!strcmp(op, "mkdir") && a)
		return report(mkdir(a, 0700));
	if (!strcmp(op, "rmdir") && a)
		return report(rmdir(a));
	if (!strcmp(op, "rename") && a && b)
		return report(rename(a, b));
	if (!strcmp(op, "link") && a && b)
		return report(link(a, b));
	if (!strcmp(op, "symlink") && a && b)
		return report(symlink(a, b));
	if (!strcmp(op, "chown") && a)
		return report(chown(a, 1, 1));
	if (!strcmp(op, "chmod") && a)
		return report(chmod(a, 0640));
	if (!strcmp(op, "setxattr") && a)
		return report(setxattr(a, "user.probe", "1", 1, 0));
	if (!strcmp(op, "getxattr") && a) {
		char v[16];
		return report(getxattr(a, "user.probe", v, sizeof(v)));
	}
	if (!strcmp(op, "listxattr") && a) {
		char v[256];
		return report(listxattr(a, v, sizeof(v)));
	}
	if (!strcmp(op, "removexattr") && a)
		return report(removexattr(a, "user.probe"));
	if (!strcmp(op, "flock") && a) {
		fd = open(a, O_RDONLY);
		return report(fd < 0 ? -1 : flock(fd, LOCK_EX));
	}
	if (!strcmp(op, "fcntl-lock") && a) {
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
		fd = open(a, O_RDONLY);
		return report(fd < 0 ? -1 : fcntl(fd, F_SETLK, &fl));
	}
	if (!strcmp(op, "ioctl") && a) {
		int n;
		fd = open(a, O_RDONLY);
		return report(fd < 0 ? -1 : ioctl(fd, FIONREAD, &n));
	}
	if (!strcmp(op, "exec") && a) {
		execv(a, argv + 2);
		return report(-1);
	}
	if (!strcmp(op, "memfd-exec") && a) {
		/* Copies a program into a memfd and runs it with fexecve. */
		static char buf[1 << 16];
		int src = open(a, O_RDONLY);
		int mfd = memfd_create("probe", MFD_CLOEXEC);
		ssize_t n;
		char *args[] = { "probe", "self-attr", NULL };

		if (src < 0 || mfd < 0)
			return report(-1);
		while ((n = read(src, buf, sizeof(buf))) > 0)
			if (write(mfd, buf, n) != n) {
				/* Say which step failed: the write, not the exec. */
				printf("memfd-write: ");
				return report(-1);
			}
		fexecve(mfd, args, environ);
		return report(-1);
	}
	if (!strcmp(op, "fexecve-fd") && a) {
		/* Runs the program in descriptor a (a memfd filled by an unconfined task). */
		char *args[] = { "probe", "self-attr", NULL };

		fexecve(atoi(a), args, environ);
		return report(-1);
	}
	if (!strcmp(op, "mprotect-cow") && a) {
		/* Maps a file privately and writably, changes a byte (a copy-on-write page),
		 * then makes the mapping read-only and finally executable. */
		char *p;

		fd = open(a, O_RDONLY);
		if (fd < 0)
			return report(-1);
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			printf("mmap: ");
			return report(-1);
		}
		p[0] ^= 1;
		if (mprotect(p, 4096, PROT_READ)) {
			printf("mprotect-read: ");
			return report(-1);
		}
		return report(mprotect(p, 4096, PROT_READ | PROT_EXEC));
	}
	if (!strcmp(op, "reboot-cad-off"))
		/* Needs CAP_SYS_BOOT; only turns Ctrl-Alt-Del into a signal to init. */
		return report(reboot(RB_DISABLE_CAD));
	if (!strcmp(op, "socket-proto") && a && b && c)
		/* socket(2) with numeric family, type and protocol. */
		return report(socket(atoi(a), atoi(b), atoi(c)));
	if (!strcmp(op, "sendto-unix") && a) {
		/* One datagram to the Unix socket at path a. */
		struct sockaddr_un s = { .sun_family = AF_UNIX };

		strncpy(s.sun_path, a, sizeof(s.sun_path) - 1);
		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fd < 0)
			return report(-1);
		return report(sendto(fd, "x", 1, 0, (struct sockaddr *)&s, sizeof(s)));
	}
	if (!strcmp(op, "mmap-exec") && a) {
		fd = open(a, O_RDONLY);
		if (fd < 0)
			return report(-1);
		return report(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED ? -1 : 0);
	}
	if (!strcmp(op, "mmap-read") && a) {
		fd = open(a, O_RDONLY);
		if (fd < 0)
			return report(-1);
		return report(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED ? -1 : 0);
	}
	if (!strcmp(op, "brk-exec")) {
		/* personality(READ_IMPLIES_EXEC), grow the heap with brk, write a `ret` there
		 * and call it: "ok" only if the heap became executable memory. */
		unsigned char *heap;
		/* From here on every mapping that can be read can run: no stdio buffer. */
		setvbuf(stdout, NULL, _IONBF, 0);
		if (personality(READ_IMPLIES_EXEC) < 0) {
			printf("personality: ");
			return report(-1);
		}
		heap = sbrk(1 << 16);
		if (heap == (void *)-1)
			return report(-1);
		heap[0] = 0xc3;
		((void (*)(void))heap)();
		return report(0);
	}
	/*
	 * Objects of the kernel's internal mounts, used as event loops and runtimes do; each
	 * prints the first step that failed.
	 */
	if (!strcmp(op, "pipe-ioctl")) {
		int p[2], n = 0, on = 1;

		if (pipe(p))
			return report(-1);
		if (write(p[1], "x", 1) != 1) {
			printf("write: ");
			return report(-1);
		}
		if (ioctl(p[0], FIONREAD, &n) || n != 1) {
			printf("FIONREAD: ");
			return report(-1);
		}
		if (ioctl(p[0], FIOCLEX)) {
			printf("FIOCLEX: ");
			return report(-1);
		}
		return report(ioctl(p[1], FIONBIO, &on));
	}
	if (!strcmp(op, "socketpair-ioctl")) {
		int sv[2], on = 1, n = -1;

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
			printf("socketpair: ");
			return report(-1);
		}
		if (ioctl(sv[0], FIONBIO, &on)) {
			printf("FIONBIO: ");
			return report(-1);
		}
		return report(ioctl(sv[0], FIONREAD, &n));
	}
	if (!strcmp(op, "pidfd-wait")) {
		/* pidfd_open of one's own child, then waitid(P_PIDFD). */
		siginfo_t info;
		pid_t child = fork();
		int pfd;

		if (child == 0)
			_exit(7);
		if (child < 0)
			return report(-1);
		pfd = syscall(SYS_pidfd_open, child, 0);
		if (pfd < 0) {
			printf("pidfd_open: ");
			waitpid(child, NULL, 0);
			return report(-1);
		}
		if (waitid(P_PIDFD, pfd, &info, WEXITED))
			return report(-1);
		return report(info.si_status == 7 ? 0 : -1);
	}
	if (!strcmp(op, "ns-open"))
		return report(open("/proc/self/ns/net", O_RDONLY));
	if (!strcmp(op, "pipe-reopen")) {
		/* Opens the read end of a pipe again through /proc/self/fd. */
		int p[2];
		char path[64], c;

		if (pipe(p) || write(p[1], "y", 1) != 1)
			return report(-1);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return report(-1);
		return report(read(fd, &c, 1) == 1 && c == 'y' ? 0 : -1);
	}
	if (!strcmp(op, "memfd-rw")) {
		/* memfd: write, ftruncate, fchmod, a shared writable mapping. */
		int mfd = memfd_create("probe", MFD_CLOEXEC);
		char *m, back[4];

		if (mfd < 0)
			return report(-1);
		if (write(mfd, "abc", 3) != 3) {
			printf("write: ");
			return report(-1);
		}
		if (ftruncate(mfd, 4096)) {
			printf("ftruncate: ");
			return report(-1);
		}
		if (fchmod(mfd, 0600)) {
			printf("fchmod: ");
			return report(-1);
		}
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (m == MAP_FAILED) {
			printf("mmap: ");
			return report(-1);
		}
		m[3] = 'd';
		return report(pread(mfd, back, 4, 0) == 4 && !memcmp(back, "abcd", 4) ? 0 : -1);
	}
	if (!strcmp(op, "eventfd-rw")) {
		uint64_t v = 5;
		int efd = eventfd(0, EFD_CLOEXEC);

		if (efd < 0)
			return report(-1);
		if (write(efd, &v, sizeof(v)) != sizeof(v)) {
			printf("write: ");
			return report(-1);
		}
		v = 0;
		return report(read(efd, &v, sizeof(v)) == sizeof(v) && v == 5 ? 0 : -1);
	}
	if (!strcmp(op, "memfd-mmap-exec")) {
		/* A memfd mapped executable: memory no file of a type holds. */
		int mfd = memfd_create("probe", MFD_CLOEXEC);

		if (mfd < 0 || ftruncate(mfd, 4096))
			return report(-1);
		return report(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, mfd, 0) == MAP_FAILED ? -1 : 0);
	}
	if (!strcmp(op, "jit-wx") || !strcmp(op, "jit-rwx")) {
		/*
		 * What a JIT does: jit-wx writes a `ret` into anonymous memory, flips it to
		 * executable and calls it; jit-rwx maps it writable and executable at once.
		 * Prints the step that failed, or "ok" after the call returned.
		 */
		int rwx = !strcmp(op, "jit-rwx");
		unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | (rwx ? PROT_EXEC : 0),
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (code == MAP_FAILED) {
			printf("mmap: ");
			return report(-1);
		}
		code[0] = 0xc3;
		if (!rwx && mprotect(code, 4096, PROT_READ | PROT_EXEC)) {
			printf("mprotect: ");
			return report(-1);
		}
		((void (*)(void))code)();
		return report(0);
	}
	if (!strcmp(op, "mprotect-rwx")) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return report(-1);
		return report(mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
	}
	if (!strcmp(op, "mmap-anon-exec"))
		return report(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);
	if (!strcmp(op, "mmap-low")) {
		/* Page 0, below vm.mmap_min_addr (4096 here): needs CAP_SYS_RAWIO. */
		void *p = mmap(NULL, 4096, PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		return report(p == MAP_FAILED ? -1 : munmap(p, 4096));
	}
	if (!strcmp(op, "mmap-anon-rw"))
		return report(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);
	if (!strcmp(op, "mprotect-exec")) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return report(-1);
		return report(mprotect(p, 4096, PROT_READ | PROT_EXEC));
	}
	if (!strcmp(op, "socket") && a && b) {
		int fam = !strcmp(a, "inet") ? AF_INET : !strcmp(a, "inet6") ? AF_INET6 :
			  !strcmp(a, "unix") ? AF_UNIX : !strcmp(a, "packet") ? 17 : !strcmp(a, "netlink") ? AF_NETLINK : -1;
		int type = !strcmp(b, "stream") ? SOCK_STREAM : !strcmp(b, "dgram") ? SOCK_DGRAM :
			   !strcmp(b, "raw") ? SOCK_RAW : -1;
		return report(socket(fam, type, fam == AF_INET && type == SOCK_RAW ? IPPROTO_ICMP : 0));
	}
	if (!strcmp(op, "connect4") && a && b) {
		struct sockaddr_in s = sin4(a, b);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return report(-1);
		return report(connect(fd, (struct sockaddr *)&s, sizeof(s)));
	}
	if (!strcmp(op, "connect6") && a && b) {
		struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(atoi(b)) };
		inet_pton(AF_INET6, a, &s.sin6_addr);
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (fd < 0)
			return report(-1);
		return report(connect(fd, (struct sockaddr *)&s, sizeof(s)));
	}
	if (!strcmp(op, "bind4") && a && b) {
		struct sockaddr_in s = sin4(a, b);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return report(-1);
		return report(bind(fd, (struct sockaddr *)&s, sizeof(s)));
	}
	if (!strcmp(op, "sendto4") && a && b) {
		struct sockaddr_in s = sin4(a, b);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			return report(-1);
		return report(sendto(fd, "x", 1, 0, (struct sockaddr *)&s, sizeof(s)));
	}
	if (!strcmp(op, "connect-unix") && a) {
		/* A path, or @name for an abstract socket. */
		struct sockaddr_un s = { .sun_family = AF_UNIX };
		socklen_t len = sizeof(s);

		if (a[0] == '@') {
			strncpy(s.sun_path + 1, a + 1, sizeof(s.sun_path) - 2);
			len = offsetof(struct sockaddr_un, sun_path) + strlen(a);
		} else {
			strncpy(s.sun_path, a, sizeof(s.sun_path) - 1);
		}
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0)
			return report(-1);
		return report(connect(fd, (struct sockaddr *)&s, len));
	}
	if (!strcmp(op, "listen4") && a && b) {
		/* bind, listen, then a non-blocking accept: reports the first failure. */
		struct sockaddr_in s = sin4(a, b);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0) {
			printf("bind: ");
			return report(-1);
		}
		if (listen(fd, 1) < 0) {
			printf("listen: ");
			return report(-1);
		}
		printf("accept: ");
		return report(accept(fd, NULL, NULL));
	}
	if (!strcmp(op, "traceme")) {
		/* A child asks its (confined) parent to trace it. */
		int status, p[2];
		char r[64] = "";
		pid_t pid;

		if (pipe(p))
			return report(-1);
		pid = fork();
		if (pid == 0) {
			long rc = ptrace(PTRACE_TRACEME, 0, 0, 0);
			dprintf(p[1], "%s", rc < 0 ? strerrorname_np(errno) : "ok");
			_exit(0);
		}
		waitpid(pid, &status, 0);
		if (read(p[0], r, sizeof(r) - 1) < 0)
			return report(-1);
		printf(strcmp(r, "ok") ? "errno=%s\n" : "%s\n", r);
		return 0;
	}
	if (!strcmp(op, "sched")) {
		struct sched_param sp = { .sched_priority = 0 };
		return report(sched_setscheduler(0, SCHED_OTHER, &sp));
	}

	if (!strcmp(op, "sethostname"))
		return report(sethostname("probe", 5));
	if (!strcmp(op, "settime")) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		return report(clock_settime(CLOCK_REALTIME, &ts));
	}
	if (!strcmp(op, "kill") && a)
		return report(kill(atoi(a), 0));
	if (!strcmp(op, "ptrace") && a) {
		long rc = ptrace(PTRACE_ATTACH, atoi(a), 0, 0);
		if (rc == 0)
			ptrace(PTRACE_DETACH, atoi(a), 0, 0);
		return report(rc);
	}
	if (!strcmp(op, "read-fd") && a) {
		char buf[16];
		return report(read(atoi(a), buf, sizeof(buf)));
	}
	if (!strcmp(op, "write-fd") && a)
		return report(write(atoi(a), "x", 1));
	if (!strcmp(op, "mount") && a)
		return report(mount("none", a, "tmpfs", 0, NULL));
	if (!strcmp(op, "landlock-read") && a) {
		/* Restricts itself with a Landlock ruleset that handles file reads and allows
		 * none, then reads a: both LSMs get their say. */
		struct { uint64_t handled_access_fs; } attr = { .handled_access_fs = 1ULL << 2 };
		char buf[16];
		int rs = syscall(__NR_landlock_create_ruleset, &attr, sizeof(attr), 0);

		if (rs < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(__NR_landlock_restrict_self, rs, 0)) {
			printf("landlock: ");
			return report(-1);
		}
		fd = open(a, O_RDONLY);
		return report(fd < 0 ? -1 : read(fd, buf, sizeof(buf)));
	}
	if (!strcmp(op, "utime") && a) {
		struct timespec ts[2] = { { .tv_sec = 1 }, { .tv_sec = 1 } };
		return report(utimensat(AT_FDCWD, a, ts, 0));
	}
	if (!strcmp(op, "truncate") && a)
		return report(truncate(a, 0));
	if (!strcmp(op, "prctl"))
		return report(prctl(PR_SET_NAME, "probe", 0, 0, 0));
	if (!strcmp(op, "nice"))
		return report(setpriority(PRIO_PROCESS, 0, 5));
	if (!strcmp(op, "rlimit")) {
		struct rlimit r;
		getrlimit(RLIMIT_NOFILE, &r);
		return report(setrlimit(RLIMIT_NOFILE, &r));
	}
	if (!strcmp(op, "setpgid"))
		return report(setpgid(0, 0));
	if (!strcmp(op, "setuid-attr")) {
		if (setgid(65534) || setuid(65534))
			return report(-1);
		return print_self_attr();
	}
	if (!strcmp(op, "setuid"))
		return report(setuid(65534));
	if (!strcmp(op, "shmget"))
		return report(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
	if (!strcmp(op, "msgget"))
		return report(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	if (!strcmp(op, "semget"))
		return report(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	if (!strcmp(op, "bpf")) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.map_type = BPF_MAP_TYPE_ARRAY;
		attr.key_size = 4;
		attr.value_size = 4;
		attr.max_entries = 1;
		return report(syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
	}
	if (!strcmp(op, "uring-open") && a)
		return uring_one(prep_openat, (void *)a);
	if (!strcmp(op, "uring-connect4") && a && b) {
		uring_addr = sin4(a, b);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			printf("socket: ");
			return report(-1);
		}
		return uring_one(prep_connect, &fd);
	}
	if (!strcmp(op, "io-uring") || !strcmp(op, "io-uring-sqpoll")) {
		struct io_uring_params p;
		memset(&p, 0, sizeof(p));
		if (!strcmp(op, "io-uring-sqpoll"))
			p.flags = IORING_SETUP_SQPOLL;
		return report(syscall(__NR_io_uring_setup, 4, &p));
	}
	if (!strcmp(op, "attr-current")) {
		/* tcp's own /proc attribute (never the shared /proc/self/attr/current). */
		char buf[128];
		if (read_file("/proc/self/attr/tcp/current", buf, sizeof(buf)))
			return report(-1);
		printf("%s\n", buf);
		return 0;
	}
	if (!strcmp(op, "attr-shared")) {
		/* The shared /proc/self/attr/current: another LSM's, or nobody's (EINVAL). */
		char buf[128];
		if (read_file("/proc/self/attr/current", buf, sizeof(buf)))
			return report(-1);
		printf("%s\n", buf);
		return 0;
	}
	if (!strcmp(op, "self-attr"))
		return print_self_attr();
	if (!strcmp(op, "exec-in") && a && b) {
		/* lsm_set_self_attr(LSM_ATTR_EXEC, a), then exec b with the rest as arguments. */
		int rc = request_exec(a);

		if (rc)
			return rc == -2 ? usage() : report(-1);
		execv(b, argv + 3);
		return report(-1);
	}
	if (!strcmp(op, "request-exec") && a) {
		/*
		 * lsm_set_self_attr(LSM_ATTR_EXEC, a), then prints tcp's own
		 * /proc/self/attr/tcp/exec: the domain the next exec enters.
		 */
		char shown[128];
		int rc = request_exec(a);

		if (rc)
			return rc == -2 ? usage() : report(-1);
		if (read_file("/proc/self/attr/tcp/exec", shown, sizeof(shown)))
			return report(-1);
		printf("%s\n", shown);
		return 0;
	}
	if (!strcmp(op, "fork-attr")) {
		/* A child of a confined task is in the same domain. */
		int status;
		pid_t pid = fork();

		if (pid == 0)
			exit(print_self_attr());
		waitpid(pid, &status, 0);
		return 0;
	}
	if (!strcmp(op, "ipc-make") && a) {
		/* A message queue, a shared memory segment and a semaphore set with key a. */
		key_t key = (key_t)atoi(a);
		int q = msgget(key, IPC_CREAT | 0666), m = shmget(key, 4096, IPC_CREAT | 0666),
		    s = semget(key, 1, IPC_CREAT | 0666);

		if (q < 0 || m < 0 || s < 0)
			return report(-1);
		printf("%d %d %d\n", q, m, s);
		return 0;
	}
	if (a && (!strncmp(op, "msg", 3) || !strncmp(op, "shm", 3) || !strncmp(op, "sem", 3)))
		return ipc_op(op, a);
	if (!strcmp(op, "setgroups")) {
		gid_t g = 0;
		return report(setgroups(1, &g));
	}
	if (!strcmp(op, "prlimit") && a) {
		struct rlimit r;
		return report(prlimit(atoi(a), RLIMIT_NOFILE, NULL, &r));
	}
	if (!strcmp(op, "getpgid") && a)
		return report(getpgid(!strcmp(a, "self") ? getpid() : atoi(a)));
	if (!strcmp(op, "getsid") && a)
		return report(getsid(!strcmp(a, "self") ? getpid() : atoi(a)));
	if (!strcmp(op, "umount") && a)
		return report(umount2(a, 0));
	if (!strcmp(op, "move-mount") && a && b)
		return report(syscall(__NR_move_mount, AT_FDCWD, a, AT_FDCWD, b, 0));
	if (!strcmp(op, "pivot-root") && a && b)
		return report(syscall(__NR_pivot_root, a, b));
	if (!strcmp(op, "sigio") && a)
		return sigio_to(!strcmp(a, "self") ? getpid() : atoi(a));
	if (!strcmp(op, "pass-fd") && a)
		return pass_fd(atoi(a));
	if (!strcmp(op, "send-fd") && a)
		return report(send(atoi(a), "x", 1, MSG_NOSIGNAL));
	if (!strcmp(op, "recv-fd") && a) {
		char c;
		return report(recv(atoi(a), &c, 1, MSG_DONTWAIT));
	}
	if (!strcmp(op, "connect-len") && a) {
		/* connect a TCP socket to 127.0.0.1:8080 passing only a bytes of the address. */
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8080) };
		int s = socket(AF_INET, SOCK_STREAM, 0);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (s < 0) {
			printf("socket: ");
			return report(-1);
		}
		return report(connect(s, (struct sockaddr *)&sin, atoi(a)));
	}
	if (!strcmp(op, "bind-unspec") && a && b) {
		/* bind a TCP socket to {AF_UNSPEC, a, port b}: IPv4 takes it for AF_INET when a is
		 * 0.0.0.0. */
		struct sockaddr_in sin = { .sin_family = AF_UNSPEC, .sin_port = htons(atoi(b)) };
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0 || inet_pton(AF_INET, a, &sin.sin_addr) != 1) {
			printf("socket: ");
			return report(-1);
		}
		return report(bind(s, (struct sockaddr *)&sin, sizeof(sin)));
	}
	if (!strcmp(op, "sendto-decoy-fd") && a) {
		/* sendto on descriptor a naming 127.0.0.1:8080 (an address the agent may send
		 * to): a connected TCP socket ignores the name and sends to its real peer. */
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8080) };
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return report(sendto(atoi(a), "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&sin, sizeof(sin)));
	}
	if (!strcmp(op, "splice-fd") && a) {
		/* splice from descriptor a into a pipe (no recvmsg on that path). */
		int p[2];
		if (pipe(p))
			return report(-1);
		return report(splice(atoi(a), NULL, p[1], NULL, 1, SPLICE_F_NONBLOCK));
	}
	if (!strcmp(op, "sendfile-fd") && a && b) {
		/* sendfile from the file b to descriptor a. */
		int in = open(b, O_RDONLY);
		if (in < 0) {
			printf("open: ");
			return report(-1);
		}
		return report(sendfile(atoi(a), in, NULL, 1));
	}
	if (!strcmp(op, "getdents-fd") && a) {
		char buf[4096];
		return report(syscall(SYS_getdents64, atoi(a), buf, sizeof(buf)));
	}
	if (!strcmp(op, "peername-fd") && a) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		return report(getpeername(atoi(a), (struct sockaddr *)&ss, &len));
	}
	if (!strcmp(op, "flood") && a && b) {
		/* a opens of b: the denial flood of the accounting tests. */
		printf("denied=%d\n", flood(atoi(a), b));
		return 0;
	}
	if (!strcmp(op, "flood-fork-attr") && a && b) {
		/* a opens of b, then a child that prints its domain: "denied=N child=DOMAIN". */
		int status;
		char buf[128];
		pid_t pid;

		printf("denied=%d ", flood(atoi(a), b));
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			if (read_file("/proc/self/attr/tcp/current", buf, sizeof(buf)))
				exit(report(-1));
			printf("child=%s\n", buf);
			exit(0);
		}
		waitpid(pid, &status, 0);
		return 0;
	}
	if (!strcmp(op, "audit-collect") && a)
		return audit_collect(atoi(a));
	return usage();
}
