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

static void test_open_regular(void)
{
	char tmpl[] = "/tmp/bw-fspath-XXXXXX", top[32], dir[64], p[256], real[PATH_MAX];
	char *topdir = mkdtemp(tmpl);
	struct stat st;
	int root, fd;

	if (!CHECK(topdir != NULL))
		return;
	/* outside the root: a regular file and a FIFO, reached by symlinks from inside */
	snprintf(top, sizeof(top), "%.22s", topdir);
	snprintf(p, sizeof(p), "%s/secret", top);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/outfifo", top);
	CHECK_EQ_INT(mkfifo(p, 0644), 0);
	snprintf(dir, sizeof(dir), "%.22s/root", top);
	CHECK_EQ_INT(mkdir(dir, 0755), 0);
	if (!CHECK(realpath(dir, real) != NULL))
		return;
	snprintf(p, sizeof(p), "%s/out", dir);
	CHECK_EQ_INT(symlink("../secret", p), 0);
	snprintf(p, sizeof(p), "%s/out-fifo", dir);
	CHECK_EQ_INT(symlink("../outfifo", p), 0);
	snprintf(p, sizeof(p), "%s/file", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	CHECK_EQ_INT(write(fd, "hello", 5), 5);
	close(fd);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	CHECK_EQ_INT(mkfifo(p, 0644), 0);
	snprintf(p, sizeof(p), "%s/sub", dir);
	CHECK_EQ_INT(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/fifo-link", dir);
	CHECK_EQ_INT(symlink("fifo", p), 0);
	snprintf(p, sizeof(p), "%s/file-link", dir);
	CHECK_EQ_INT(symlink("file", p), 0);
	snprintf(p, sizeof(p), "%s/tty", dir);
	bool have_dev = mknod(p, S_IFCHR | 0666, makedev(5, 0)) == 0; /* root only */
	snprintf(p, sizeof(p), "%s/sock", dir);
	bool have_sock = make_socket_node(p);
	root = open(dir, O_RDONLY | O_DIRECTORY);

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
	if (have_dev)
		CHECK_EQ_INT(bw_fspath_open_regular(root, real, "tty", false, NULL), -ENODEV);
	else
		fprintf(stderr, "test_open_regular: no device node (not root): skipped\n");
	if (have_sock)
		CHECK_EQ_INT(bw_fspath_open_regular(root, real, "sock", false, NULL), -ENODEV);
	else
		fprintf(stderr, "test_open_regular: no socket node: skipped\n");
	close(root);
	snprintf(p, sizeof(p), "rm -rf '%s'", top);
	CHECK_EQ_INT(system(p), 0);
}

int main(void)
{
	test_open_regular();
	return check_summary();
}
