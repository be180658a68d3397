/* A boot root with one file of each type, for tests of what may be opened below a root
 * (test_fspath, test_tftp_src). Header-only: include it once per test program, after check.h. */
#ifndef BW_TEST_FS_NODES_H
#define BW_TEST_FS_NODES_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* In dir: "file" holding content, "fifo", "sub" (a directory), "fifo-link" -> fifo and "tty"
 * (char device 5,0). Returns whether the device node could be made (root only). */
static inline bool fs_nodes_make(const char *dir, const char *content)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/file", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	CHECK_EQ_INT(write(fd, content, strlen(content)), (long long)strlen(content));
	close(fd);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	CHECK_EQ_INT(mkfifo(p, 0644), 0);
	snprintf(p, sizeof(p), "%s/sub", dir);
	CHECK_EQ_INT(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/fifo-link", dir);
	CHECK_EQ_INT(symlink("fifo", p), 0);
	snprintf(p, sizeof(p), "%s/tty", dir);
	return mknod(p, S_IFCHR | 0666, makedev(5, 0)) == 0;
}

#endif
