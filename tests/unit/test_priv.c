/* The daemon's lockdown, each case in a child process (it cannot be undone): what
 * bw_priv_restrict() and bw_priv_apply() leave in /proc/self/status (root only: skipped
 * otherwise), and that the seccomp filter of bw_priv_seccomp_install() refuses what the
 * daemon never does (execve, a packet socket, setuid, fork, signalling another process) with
 * EPERM and one line naming the call, keeps the process alive, and lets through what it
 * does (sockets, files, threads).
 * The test calls the install function itself: the daemon has no hook to be asked for it. */
#include "check.h"

#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/priv.h"

/* The hex value of a "Key:\t..." line of a /proc status file; ~0 when absent. */
static unsigned long long status_hex(const char *path, const char *key)
{
	char line[256];
	unsigned long long v = ~0ull;
	size_t n = strlen(key);
	FILE *f = fopen(path, "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtoull(line + n + 1, NULL, 16);
			break;
		}
	fclose(f);
	return v;
}

/* The first decimal number of such a line (Uid:, NoNewPrivs:, Seccomp:). */
static long status_num(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen(path, "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Runs fn in a child with stderr into a file; returns the child's wait status and leaves
 * what it wrote in out (NUL-terminated). fn returns the child's exit code. */
static int in_child(int (*fn)(void), char *out, size_t cap)
{
	char path[] = "/tmp/bw-test-priv.XXXXXX";
	int fd = mkstemp(path), status = -1;
	ssize_t n;
	pid_t pid;

	out[0] = '\0';
	if (!CHECK(fd >= 0))
		return -1;
	unlink(path);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(fd, STDERR_FILENO);
		_exit(fn());
	}
	if (CHECK(pid > 0))
		waitpid(pid, &status, 0);
	n = pread(fd, out, cap - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return status;
}

static void *thread_status(void *arg)
{
	char path[64];
	long *ret = arg;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/status", (long)syscall(SYS_gettid));
	ret[0] = status_num(path, "NoNewPrivs");
	ret[1] = (long)status_hex(path, "CapBnd");
	ret[2] = status_num(path, "Seccomp");
	return NULL;
}

/* ---- bw_priv_restrict + bw_priv_apply as root, to nobody ---- */

static int child_drop(void)
{
	struct bw_priv p;
	pthread_t t;
	long th[3] = {-1, -1, -1};
	const char *st = "/proc/self/status";
	struct passwd *pw = getpwnam("nobody");

	if (!pw || bw_priv_prepare("nobody", false, &p) < 0 || bw_priv_restrict() < 0)
		return 10;
	/* a service thread started between the two, as HTTP's are */
	if (pthread_create(&t, NULL, thread_status, th) != 0)
		return 11;
	pthread_join(t, NULL);
	if (bw_priv_apply(&p) < 0)
		return 12;
	CHECK_EQ_INT(status_num(st, "NoNewPrivs"), 1);
	CHECK_EQ_U64(status_hex(st, "CapBnd"), 0);
	CHECK_EQ_U64(status_hex(st, "CapAmb"), 0);
	CHECK_EQ_U64(status_hex(st, "CapInh"), 0);
	CHECK_EQ_U64(status_hex(st, "CapPrm"), 0);
	CHECK_EQ_U64(status_hex(st, "CapEff"), 0);
	CHECK_EQ_INT(status_num(st, "Uid"), pw->pw_uid);
	CHECK_EQ_INT(status_num(st, "Gid"), pw->pw_gid);
	CHECK_EQ_INT(th[0], 1);
	CHECK_EQ_INT(th[1], 0);
	CHECK(setuid(0) < 0);
	return check_n_failed ? 1 : 0;
}

static void test_drop(void)
{
	char out[4096];
	int status;

	if (geteuid() != 0) {
		printf("skip: test_drop needs root\n");
		return;
	}
	status = in_child(child_drop, out, sizeof(out));
	if (!CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		fprintf(stderr, "\tchild status 0x%x, its stderr:\n%s", status, out);
}

/* ---- the filter ---- */

static void *thread_denied(void *arg)
{
	int *ret = arg;

	errno = 0;
	ret[0] = socket(AF_PACKET, SOCK_DGRAM, 0);
	ret[1] = errno;
	return NULL;
}

static int child_enforce(void)
{
	char *const argv[] = {"/bin/true", NULL};
	char *const envp[] = {NULL};
	int th[2] = {0, 0}, fd;
	pthread_t t;
	char buf[64];
	long thst[3] = {-1, -1, -1};
	pid_t getppid_real = getppid();

	if (bw_priv_seccomp_install(BW_SECCOMP_ENFORCE) < 0)
		return 10;
	CHECK_EQ_INT(status_num("/proc/self/status", "Seccomp"), 2);
	CHECK_EQ_INT(status_num("/proc/self/status", "NoNewPrivs"), 1);
	/* refused, with EPERM */
	errno = 0;
	CHECK_EQ_INT(execve(argv[0], argv, envp), -1);
	CHECK_EQ_INT(errno, EPERM);
	errno = 0;
	CHECK_EQ_INT(socket(AF_PACKET, SOCK_DGRAM, 0), -1);
	CHECK_EQ_INT(errno, EPERM);
	errno = 0;
	CHECK_EQ_INT(syscall(SYS_setuid, 0), -1);
	CHECK_EQ_INT(errno, EPERM);
	errno = 0;
	CHECK_EQ_INT(syscall(SYS_getppid), -1);
	CHECK_EQ_INT(errno, EPERM);
	/* no new process: fork() is clone() without CLONE_THREAD */
	errno = 0;
	CHECK_EQ_INT(fork(), -1);
	CHECK_EQ_INT(errno, EPERM);
	/* signals to another process */
	errno = 0;
	CHECK_EQ_INT(syscall(SYS_tgkill, getppid_real, getppid_real, 0), -1);
	CHECK_EQ_INT(errno, EPERM);
	/* what the daemon does goes through */
	CHECK_EQ_INT(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0), 0);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	close(fd);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	close(fd);
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) > 0);
	close(fd);
	CHECK_EQ_INT(prctl(PR_SET_NAME, "bw-test", 0, 0, 0), 0);
	/* threads: created, filtered too (a denial there does not kill the process) */
	CHECK_EQ_INT(pthread_create(&t, NULL, thread_denied, th), 0);
	pthread_join(t, NULL);
	CHECK_EQ_INT(th[0], -1);
	CHECK_EQ_INT(th[1], EPERM);
	CHECK_EQ_INT(pthread_create(&t, NULL, thread_status, thst), 0);
	pthread_join(t, NULL);
	CHECK_EQ_INT(thst[2], 2);
	return check_n_failed ? 1 : 0;
}

static void test_enforce(void)
{
	char out[8192];
	int status = in_child(child_enforce, out, sizeof(out));

	if (!CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		fprintf(stderr, "\tchild status 0x%x, its stderr:\n%s", status, out);
	CHECK(strstr(out, "seccomp: denied system call execve (") != NULL);
	CHECK(strstr(out, "seccomp: denied system call socket (") != NULL);
	CHECK(strstr(out, "seccomp: denied system call setuid (") != NULL);
	CHECK(strstr(out, "seccomp: denied system call getppid (") != NULL);
	CHECK(strstr(out, "seccomp: denied system call clone (") != NULL);
	CHECK(strstr(out, "seccomp: denied system call tgkill (") != NULL);
	CHECK(strstr(out, "clone3") == NULL); /* ENOSYS, quietly: glibc falls back to clone */
}

static int child_json(void)
{
	bw_log_setup(BW_LOG_INFO, BW_LOG_JSON);
	bw_priv_seccomp_set_json(true);
	if (bw_priv_seccomp_install(BW_SECCOMP_ENFORCE) < 0)
		return 10;
	errno = 0;
	CHECK_EQ_INT(syscall(SYS_getppid), -1);
	CHECK_EQ_INT(errno, EPERM);
	return check_n_failed ? 1 : 0;
}

static void test_enforce_json(void)
{
	char out[8192];
	int status = in_child(child_json, out, sizeof(out));

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!CHECK(strstr(out, "\",\"level\":\"error\",\"service\":\"core\",\"msg\":\"seccomp: "
			       "denied system call getppid (") != NULL && !strncmp(out, "{\"ts\":\"20", 9)))
		fprintf(stderr, "\tits stderr:\n%s", out);
	CHECK(strstr(out, "\"syscall\":\"getppid\",\"nr\":") != NULL);
}

static int child_log(void)
{
	pid_t parent = getppid();

	if (bw_priv_seccomp_install(BW_SECCOMP_LOG) < 0)
		return 10;
	CHECK_EQ_INT(status_num("/proc/self/status", "Seccomp"), 2);
	CHECK_EQ_INT(syscall(SYS_getppid), parent); /* runs: only the kernel logs it */
	return check_n_failed ? 1 : 0;
}

static void test_log(void)
{
	char out[4096];
	int status = in_child(child_log, out, sizeof(out));

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(strstr(out, "denied") == NULL);
}

static int child_off(void)
{
	if (bw_priv_seccomp_install(BW_SECCOMP_OFF) < 0)
		return 10;
	CHECK_EQ_INT(status_num("/proc/self/status", "Seccomp"), 0);
	return check_n_failed ? 1 : 0;
}

static void test_off(void)
{
	char out[4096];
	int status = in_child(child_off, out, sizeof(out));

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	test_drop();
	test_enforce();
	test_enforce_json();
	test_log();
	test_off();
	return check_summary();
}
