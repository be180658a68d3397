/* bw_fspath_open_regular (core/fspath): only a regular file below the root is opened; a
 * directory, a FIFO, a device node (when the test may make one) and a socket are refused by
 * type before any open, with or without a symlink or case-insensitive lookup on the way. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "core/fspath.h"
#include "fs_nodes.h"

/* A listening-free AF_UNIX socket file at path (bound, then closed: the node stays). */
static bool make_socket_node(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool ok;

	if (fd < 0 || strlen(path) >= sizeof(sun.sun_path)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ok = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

/* The test's tree: top/secret and top/outfifo outside the root, reached by symlinks
 * root/out and root/out-fifo; in the root the nodes of fs_nodes.h, file-link -> file and a
 * socket "sock". Returns the root's fd (or -1), its real path in real. */
struct fspath_tree {
	char top[32], real[PATH_MAX];
	bool have_dev, have_sock;
};

static int fspath_make_tree(struct fspath_tree *t)
{
	char tmpl[] = "/tmp/bw-fspath-XXXXXX", dir[64], p[256];
	char *topdir = mkdtemp(tmpl);

	if (!CHECK(topdir != NULL))
		return -1;
	snprintf(t->top, sizeof(t->top), "%.22s", topdir);
	snprintf(p, sizeof(p), "%s/secret", t->top);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/outfifo", t->top);
	CHECK_EQ_INT(mkfifo(p, 0644), 0);
	snprintf(dir, sizeof(dir), "%.22s/root", t->top);
	CHECK_EQ_INT(mkdir(dir, 0755), 0);
	if (!CHECK(realpath(dir, t->real) != NULL))
		return -1;
	snprintf(p, sizeof(p), "%s/out", dir);
	CHECK_EQ_INT(symlink("../secret", p), 0);
	snprintf(p, sizeof(p), "%s/out-fifo", dir);
	CHECK_EQ_INT(symlink("../outfifo", p), 0);
	t->have_dev = fs_nodes_make(dir, "hello");
	snprintf(p, sizeof(p), "%s/file-link", dir);
	CHECK_EQ_INT(symlink("file", p), 0);
	snprintf(p, sizeof(p), "%s/sock", dir);
	t->have_sock = make_socket_node(p);
	return open(dir, O_RDONLY | O_DIRECTORY);
}

/* A regular file, directly, case-insensitively and through a symlink: opened read-only,
 * close-on-exec, with its stat. */
static void fspath_check_opened(int root, const char *real)
{
	struct stat st;
	int fd;

	memset(&st, 0, sizeof(st));
	fd = bw_fspath_open_regular(root, real, "file", false, &st);
	if (CHECK(fd >= 0)) {
		CHECK_EQ_INT(st.st_size, 5);
		CHECK(S_ISREG(st.st_mode));
		CHECK_EQ_INT(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		CHECK_EQ_INT(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
		close(fd);
	}
	fd = bw_fspath_open_regular(root, real, "FILE", true, NULL);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	fd = bw_fspath_open_regular(root, real, "file-link", false, NULL);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
}

/* Everything else is refused, by type before any open. */
static void fspath_check_refused(int root, const struct fspath_tree *t)
{
	const char *real = t->real;

	/* a FIFO without a writer: refused at once, never opened (an open would block or, with
	 * O_NONBLOCK, succeed) */
	CHECK_EQ_INT(bw_fspath_open_regular(root, real, "fifo", false, NULL), -ENODEV);
	CHECK_EQ_INT(bw_fspath_open_regular(root, real, "fifo-link", false, NULL), -ENODEV);
	CHECK_EQ_INT(bw_fspath_open_regular(root, real, "FIFO", true, NULL), -ENODEV);
	CHECK_EQ_INT(bw_fspath_open_regular(root, real, "sub", false, NULL), -EISDIR);
	CHECK_EQ_INT(bw_fspath_open_regular(root, real, "none", false, NULL), -ENOENT);
	CHECK_EQ_INT(bw_fspath_open_regular(root, real, "file/x", false, NULL), -ENOTDIR);
	/* out of the root: refused as outside, whatever the target's type */
	CHECK_EQ_INT(bw_fspath_open_regular(root, real, "out", false, NULL), -EACCES);
	CHECK_EQ_INT(bw_fspath_open_regular(root, real, "out-fifo", false, NULL), -EACCES);
	/* /dev/tty (5,0): opening it without a controlling terminal fails with ENXIO, so a
	 * -ENODEV here shows it was refused before any open */
	if (t->have_dev)
		CHECK_EQ_INT(bw_fspath_open_regular(root, real, "tty", false, NULL), -ENODEV);
	else
		fprintf(stderr, "test_open_regular: no device node (not root): skipped\n");
	if (t->have_sock)
		CHECK_EQ_INT(bw_fspath_open_regular(root, real, "sock", false, NULL), -ENODEV);
	else
		fprintf(stderr, "test_open_regular: no socket node: skipped\n");
}

static void test_open_regular(void)
{
	struct fspath_tree t = {0};
	char p[64];
	int root = fspath_make_tree(&t);

	if (root >= 0) {
		fspath_check_opened(root, t.real);
		fspath_check_refused(root, &t);
		close(root);
	}
	if (t.top[0]) {
		snprintf(p, sizeof(p), "rm -rf '%s'", t.top);
		CHECK_EQ_INT(system(p), 0);
	}
}

int main(void)
{
	test_open_regular();
	return check_summary();
}
