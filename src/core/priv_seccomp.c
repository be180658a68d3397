/* The daemon's system call filter: an allow-list of what bootwire, glibc, libuv,
 * libmicrohttpd (and GnuTLS), SQLite, libyaml and jansson call once every service has
 * started. Everything else fails with EPERM (enforce) or is logged by the kernel (log).
 *
 * How the list was drawn up: `strace -f -c` and `strace -f -o` of `bootwire serve` as root
 * with `user: nobody`, DHCP (server mode, leases committed to SQLite in WAL mode), TFTP and
 * HTTP(S) under load (tests/system/privs.sh's traffic, the system tests' clients), SIGHUP
 * reloads (the config file read again: openat, newfstatat/statx, readlink for realpath)
 * and SIGTERM; the calls made after the privilege drop are the list below, plus the few
 * that libraries make only on paths those runs did not take (named where they appear).
 * Left out on purpose: exec (execve, execveat), new processes (clone without
 * CLONE_THREAD: fork), signals to other processes (kill; tgkill to ourselves only), new
 * privileges (setuid & co, capset, ptrace, mount, bpf, kexec, modules, keyctl), and packet
 * sockets: socket() is allowed for AF_UNIX (syslog), AF_INET, AF_INET6 and AF_NETLINK
 * (getifaddrs) only.
 *
 * A denied call in enforce mode is trapped (SCMP_ACT_TRAP) rather than failed silently
 * (SCMP_ACT_ERRNO) or fatal (SCMP_ACT_KILL_PROCESS): the SIGSYS handler writes one line
 * naming the call, with async-signal-safe write(2) only, and makes the call return -EPERM,
 * so the daemon goes on serving and the operator knows which call to report (or to run
 * with `seccomp: log` meanwhile). The first BW_SECCOMP_LOG_MAX denials are written. */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/log.h"
#include "core/priv.h"

#define SECCOMP_NR_MAX 512     /* names kept for numbers below this */
#define BW_SECCOMP_LOG_MAX 100 /* denial lines written, at most */

static const char *const seccomp_allowed[] = {
	/* files: serving (openat2 with RESOLVE_BENEATH, core/fspath.c), TFTP uploads (a
	 * temporary file, fsync, renameat or linkat, unlinkat), the config read again at reload
	 * (realpath's readlink, newfstatat/statx), SQLite (pread/pwrite, fcntl locks, fsync,
	 * fdatasync, ftruncate of the WAL, unlink of -wal/-shm at close) */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"lseek", "close", "dup", "dup2", "dup3", "fcntl", "open", "openat", "openat2",
	"stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "access",
	"faccessat", "faccessat2", "readlink", "readlinkat", "getdents64", "getcwd",
	"unlink", "unlinkat", "rename", "renameat", "renameat2", "linkat", "mkdir", "mkdirat",
	"fsync", "fdatasync", "ftruncate", "fallocate", "fadvise64", "flock", "fchmod",
	"fchown", "utimensat", "sendfile", "umask",
	/* memory: malloc, thread stacks, SQLite's WAL index (-shm) */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	/* sockets (socket() itself is filtered by family below) */
	"bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
	"setsockopt", "getsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg",
	"recvmmsg", "shutdown", "socketpair",
	/* the loops: libuv's epoll, MHD's per-thread epoll, wake-ups */
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "poll", "ppoll", "select", "pselect6", "eventfd2", "pipe", "pipe2",
	/* signals: libuv's signal pipe, SIGHUP/SIGTERM, this file's SIGSYS return (tgkill, for
	 * abort() and pthread_kill, is allowed below for this process only) */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "restart_syscall", "sigaltstack", "getpid",
	"gettid",
	/* threads: HTTP's, the store's thread pool (clone with CLONE_THREAD only, below) */
	"futex", "set_robust_list", "get_robust_list", "rseq",
	"set_tid_address", "sched_yield", "sched_getaffinity", "exit", "exit_group",
	"membarrier",
	/* time and randomness (mostly vDSO; the calls when it is not mapped; GnuTLS) */
	"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep",
	"clock_nanosleep", "getrandom",
	/* who we are, limits (glibc's qsort asks sysinfo for the memory size) */
	"uname", "getuid", "geteuid", "getgid", "getegid", "getgroups", "getrlimit",
	"prlimit64", "sysinfo", "getpriority",
};

/* socket() families allowed; everything else (AF_PACKET above all) is denied */
static const int seccomp_families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
/* prctl() options allowed: thread names (MHD, glibc) and reading no_new_privs */
static const int seccomp_prctls[] = {PR_SET_NAME, PR_GET_NAME, PR_GET_NO_NEW_PRIVS,
				     PR_GET_DUMPABLE};
/* ioctl() requests allowed: libuv's non-blocking and close-on-exec switches, its readable
 * byte count, stdio asking whether stderr is a terminal, and a socket's unacknowledged
 * byte count (SIOCOUTQ, which is TIOCOUTQ: HTTP counts what a cut-short answer sent) */
static const unsigned long seccomp_ioctls[] = {FIONBIO, FIOCLEX, FIONCLEX, FIONREAD, TCGETS,
					       TIOCOUTQ};

static const char *seccomp_names[SECCOMP_NR_MAX]; /* read by the SIGSYS handler */
static atomic_bool seccomp_json;
static atomic_uint seccomp_denied;

/* ---- the SIGSYS handler: async-signal-safe only ---- */

static size_t seccomp_put(char *buf, size_t o, size_t cap, const char *s)
{
	while (*s && o < cap)
		buf[o++] = *s++;
	return o;
}

static size_t seccomp_put_uint(char *buf, size_t o, size_t cap, unsigned v)
{
	char d[12];
	size_t n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(d));
	while (n && o < cap)
		buf[o++] = d[--n];
	return o;
}

/* Two digits (or three, for milliseconds) of a timestamp. */
static size_t seccomp_put_pad(char *buf, size_t o, size_t cap, unsigned v, unsigned width)
{
	char d[4];

	for (unsigned i = width; i-- > 0; v /= 10)
		d[i] = (char)('0' + v % 10);
	for (unsigned i = 0; i < width && o < cap; i++)
		buf[o++] = d[i];
	return o;
}

/* The log's timestamp, 2026-12-04T01:11:04.519Z, from clock_gettime alone (the civil date of
 * a day count: Hinnant's days_from_civil inverted). */
static size_t seccomp_put_ts(char *buf, size_t o, size_t cap)
{
	struct timespec ts;
	long long days, secs, era, doe, yoe, doy, mp, y;
	unsigned m, d;

	clock_gettime(CLOCK_REALTIME, &ts);
	days = ts.tv_sec / 86400;
	secs = ts.tv_sec % 86400;
	days += 719468;
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	y = yoe + era * 400 + (m <= 2);
	o = seccomp_put_uint(buf, o, cap, (unsigned)y);
	o = seccomp_put(buf, o, cap, "-");
	o = seccomp_put_pad(buf, o, cap, m, 2);
	o = seccomp_put(buf, o, cap, "-");
	o = seccomp_put_pad(buf, o, cap, d, 2);
	o = seccomp_put(buf, o, cap, "T");
	o = seccomp_put_pad(buf, o, cap, (unsigned)(secs / 3600), 2);
	o = seccomp_put(buf, o, cap, ":");
	o = seccomp_put_pad(buf, o, cap, (unsigned)(secs / 60 % 60), 2);
	o = seccomp_put(buf, o, cap, ":");
	o = seccomp_put_pad(buf, o, cap, (unsigned)(secs % 60), 2);
	o = seccomp_put(buf, o, cap, ".");
	o = seccomp_put_pad(buf, o, cap, (unsigned)(ts.tv_nsec / 1000000), 3);
	return seccomp_put(buf, o, cap, "Z");
}

static void seccomp_write_denial(int nr)
{
	const char *name = nr >= 0 && nr < SECCOMP_NR_MAX && seccomp_names[nr] ? seccomp_names[nr]
										: "?";
	unsigned n = atomic_fetch_add(&seccomp_denied, 1);
	char line[256];
	size_t o = 0, cap = sizeof(line) - 1;
	ssize_t w;

	if (n >= BW_SECCOMP_LOG_MAX)
		return;
	if (atomic_load(&seccomp_json)) {
		o = seccomp_put(line, o, cap, "{\"ts\":\"");
		o = seccomp_put_ts(line, o, cap);
		o = seccomp_put(line, o, cap, "\",\"level\":\"error\",\"service\":\"core\",\"msg\":\"");
	} else {
		o = seccomp_put_ts(line, o, cap);
		o = seccomp_put(line, o, cap, " error core ");
	}
	o = seccomp_put(line, o, cap, "seccomp: denied system call ");
	o = seccomp_put(line, o, cap, name);
	o = seccomp_put(line, o, cap, " (");
	o = seccomp_put_uint(line, o, cap, (unsigned)nr);
	o = seccomp_put(line, o, cap, "): it fails with EPERM (seccomp: log lets it run)");
	if (n + 1 == BW_SECCOMP_LOG_MAX)
		o = seccomp_put(line, o, cap, "; further denials are not logged");
	if (atomic_load(&seccomp_json)) {
		o = seccomp_put(line, o, cap, "\",\"syscall\":\"");
		o = seccomp_put(line, o, cap, name);
		o = seccomp_put(line, o, cap, "\",\"nr\":");
		o = seccomp_put_uint(line, o, cap, (unsigned)nr);
		o = seccomp_put(line, o, cap, "}");
	}
	line[o++] = '\n';
	w = write(STDERR_FILENO, line, o);
	(void)w;
}

/* The trapped call's return value, written into the interrupted context's registers;
 * where this file does not know the register, denied calls fail without a log line. */
#if defined(__x86_64__)
#define SECCOMP_CAN_TRAP true
static void seccomp_set_return(ucontext_t *uc, long v)
{
	uc->uc_mcontext.gregs[REG_RAX] = v;
}
#elif defined(__aarch64__)
#define SECCOMP_CAN_TRAP true
static void seccomp_set_return(ucontext_t *uc, long v)
{
	uc->uc_mcontext.regs[0] = (unsigned long long)v;
}
#else
#define SECCOMP_CAN_TRAP false
static void seccomp_set_return(ucontext_t *uc, long v)
{
	(void)uc;
	(void)v;
}
#endif

static void seccomp_sigsys(int sig, siginfo_t *si, void *uctx)
{
	int saved = errno;

	(void)sig;
	seccomp_write_denial(si->si_syscall);
	seccomp_set_return((ucontext_t *)uctx, -EPERM);
	errno = saved;
}

/* ---- building the filter ---- */

/* The names of the system calls, for the handler (resolved now: it may not allocate). */
static void seccomp_fill_names(void)
{
	for (int nr = 0; nr < SECCOMP_NR_MAX; nr++)
		if (!seccomp_names[nr])
			seccomp_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

/* Threads but no new process: clone() only with CLONE_THREAD; clone3(), whose flags are in
 * memory a filter cannot read, answers ENOSYS (not logged), so glibc (2.34 and later tries
 * it first) falls back to clone(). And signals only to this process (tgkill). */
static int seccomp_add_process_rules(scmp_filter_ctx ctx)
{
	int r;

	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	return r;
}

static int seccomp_add_rules(scmp_filter_ctx ctx)
{
	int r = seccomp_add_process_rules(ctx);

	if (r < 0)
		return r;

	for (size_t i = 0; i < sizeof(seccomp_allowed) / sizeof(seccomp_allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(seccomp_allowed[i]);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call of this architecture (open on arm64) */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	for (size_t i = 0; i < sizeof(seccomp_families) / sizeof(seccomp_families[0]); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)seccomp_families[i]));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < sizeof(seccomp_prctls) / sizeof(seccomp_prctls[0]); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)seccomp_prctls[i]));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < sizeof(seccomp_ioctls) / sizeof(seccomp_ioctls[0]); i++) {
		/* the request is an int in the kernel: compare the low 32 bits only */
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					     (scmp_datum_t)seccomp_ioctls[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

/* What a call off the list does in mode. */
static uint32_t seccomp_default_action(enum bw_seccomp_mode mode)
{
	if (mode == BW_SECCOMP_LOG)
		return SCMP_ACT_LOG;
	return SECCOMP_CAN_TRAP ? SCMP_ACT_TRAP : SCMP_ACT_ERRNO(EPERM);
}

static int seccomp_trap_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = seccomp_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}

int bw_priv_seccomp_install(enum bw_seccomp_mode mode)
{
	uint32_t deny;
	scmp_filter_ctx ctx;
	int r;

	if (mode == BW_SECCOMP_OFF) {
		bw_log(BW_LOG_WARN, "core", NULL, "seccomp: off: no system call filter");
		return 0;
	}
	deny = seccomp_default_action(mode);
	ctx = seccomp_init(deny);
	if (!ctx) {
		bw_log(BW_LOG_ERROR, "core", NULL, "seccomp: cannot build the filter");
		return -ENOMEM;
	}
	r = seccomp_add_rules(ctx);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1); /* every thread */
	if (r == 0 && deny == SCMP_ACT_TRAP) {
		seccomp_fill_names();
		r = seccomp_trap_handler();
	}
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "core", NULL, "seccomp: cannot install the filter: %s (set "
		       "`seccomp: off` to run without it)", strerror(-r));
		return r;
	}
	bw_log(BW_LOG_INFO, "core", NULL, "seccomp: %s: %zu system calls allowed (socket, prctl, ioctl, clone, tgkill for some arguments)%s",
	       mode == BW_SECCOMP_LOG ? "log" : "enforce",
	       sizeof(seccomp_allowed) / sizeof(seccomp_allowed[0]) + 5,
	       mode == BW_SECCOMP_LOG ? ", others run and the kernel logs them"
	       : deny == SCMP_ACT_TRAP ? ", others fail with EPERM and are logged"
				       : ", others fail with EPERM");
	return 0;
}

void bw_priv_seccomp_set_json(bool json)
{
	atomic_store(&seccomp_json, json);
}
