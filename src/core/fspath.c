#include "core/fspath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int bw_fspath_normalize(const char *in, size_t len, const char *root_prefix, char *out,
			size_t cap)
{
	size_t i = 0, o = 0;

	if (root_prefix) {
		size_t rl = strlen(root_prefix);

		size_t j = 0;

		while (j + 1 < len && in[j] == '/' && in[j + 1] == '/')
			j++; /* "//srv/tftp/x" counts as "/srv/tftp/x" */
		/* Firmwares send the server's own path too: "/srv/tftp/pxelinux.0". */
		if (rl > 1 && len - j > rl && memcmp(in + j, root_prefix, rl) == 0 &&
		    in[j + rl] == '/')
			i = j + rl;
	}
	while (i < len) {
		size_t start, seg;

		while (i < len && in[i] == '/')
			i++;
		start = i;
		while (i < len && in[i] != '/')
			i++;
		seg = i - start;
		if (seg == 0 || (seg == 1 && in[start] == '.'))
			continue;
		if (seg == 2 && in[start] == '.' && in[start + 1] == '.')
			return -EACCES;
		if (o + (o ? 1 : 0) + seg + 1 > cap)
			return -ENAMETOOLONG;
		if (o)
			out[o++] = '/';
		memcpy(out + o, in + start, seg);
		o += seg;
	}
	if (o == 0)
		return -ENOENT;
	out[o] = '\0';
	return 0;
}

static int path_openat_beneath(int dirfd, const char *rel, int flags, unsigned mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

	if (fd >= 0)
		return (int)fd;
	switch (errno) {
	case EXDEV:  /* the path or a symlink in it leaves the root */
	case ELOOP:
		return -EACCES;
	default:
		return -errno;
	}
}

/* Finds the entry of dirfd whose name equals name ignoring case; writes it to out. */
static int path_find_nocase(int dirfd, const char *name, char *out, size_t cap)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int r = -ENOENT;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		if (strcasecmp(de->d_name, name) == 0 && strlen(de->d_name) < cap) {
			strcpy(out, de->d_name);
			r = 0;
			break;
		}
	}
	closedir(d);
	return r;
}

/* Walks rel one component at a time, matching each name case-insensitively. */
static int path_open_nocase(int root_fd, const char *rel, int flags, unsigned mode)
{
	char buf[1024], name[256];
	int dirfd = root_fd, r;
	char *save = NULL, *seg, *next;

	if (strlen(rel) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, rel);
	seg = strtok_r(buf, "/", &save);
	while (seg) {
		next = strtok_r(NULL, "/", &save);
		r = path_find_nocase(dirfd, seg, name, sizeof(name));
		if (r == -ENOENT && !next && (flags & O_CREAT)) {
			strcpy(name, seg); /* a new file keeps the case it was asked with */
			r = 0;
		}
		if (r < 0)
			goto out;
		r = path_openat_beneath(dirfd, name, next ? O_RDONLY | O_DIRECTORY : flags, mode);
		if (dirfd != root_fd)
			close(dirfd);
		dirfd = root_fd;
		if (r < 0 || !next)
			return r;
		dirfd = r;
		seg = next;
	}
	r = -ENOENT;
out:
	if (dirfd != root_fd)
		close(dirfd);
	return r;
}

/* RESOLVE_BENEATH refuses every absolute symlink. One whose target is inside the root is
 * followed here: resolve the whole path, check it lies below root_path, then open that
 * resolved path with no symlinks allowed at all, so nothing can be swapped in between. */
static int path_open_resolved(int root_fd, const char *root_path, const char *rel, int flags,
			      unsigned mode)
{
	char full[PATH_MAX], real[PATH_MAX];
	size_t rl = strlen(root_path);
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .mode = mode,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
	long fd;

	if ((size_t)snprintf(full, sizeof(full), "%s/%s", root_path, rel) >= sizeof(full))
		return -ENAMETOOLONG;
	if (!realpath(full, real))
		return errno == ENOENT ? -ENOENT : -EACCES;
	if (rl > 1 && (strncmp(real, root_path, rl) != 0 || real[rl] != '/'))
		return -EACCES;
	fd = syscall(SYS_openat2, root_fd, real + (rl > 1 ? rl + 1 : 1), &how, sizeof(how));
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EACCES;
	return (int)fd;
}

int bw_fspath_open(int root_fd, const char *root_path, const char *rel, bool case_insensitive,
		   int flags, unsigned mode)
{
	int fd = path_openat_beneath(root_fd, rel, flags, mode);

	if (fd == -ENOENT && case_insensitive)
		fd = path_open_nocase(root_fd, rel, flags, mode);
	if (fd == -EACCES && root_path && !(flags & O_CREAT))
		fd = path_open_resolved(root_fd, root_path, rel, flags, mode);
	return fd;
}

/* -EISDIR for a directory, -ENODEV for anything else that is not a regular file. */
static int path_check_type(mode_t mode)
{
	if (S_ISREG(mode))
		return 0;
	return S_ISDIR(mode) ? -EISDIR : -ENODEV;
}

/* The type of what fd (O_PATH or open) is, as path_check_type; its fstat in *st. */
static int path_fd_type(int fd, struct stat *st)
{
	return fstat(fd, st) < 0 ? -errno : path_check_type(st->st_mode);
}

/* The O_PATH check: resolves rel beneath the root (as bw_fspath_open) without opening it and
 * checks its type; its fstat in *st. */
static int path_check_beneath(int root_fd, const char *root_path, const char *rel,
			      bool case_insensitive, struct stat *st)
{
	int pfd = bw_fspath_open(root_fd, root_path, rel, case_insensitive, O_PATH, 0);
	int r;

	if (pfd < 0)
		return pfd;
	r = path_fd_type(pfd, st);
	close(pfd);
	return r;
}

int bw_fspath_open_checked(int root_fd, const char *root_path, const char *rel,
			   bool case_insensitive, const struct stat *checked, struct stat *ret_st)
{
	struct stat st;
	int fd, r;

	fd = bw_fspath_open(root_fd, root_path, rel, case_insensitive,
			    O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	r = path_fd_type(fd, &st);
	if (r == 0 && (st.st_dev != checked->st_dev || st.st_ino != checked->st_ino))
		r = -ESTALE; /* a regular file too, but not the one checked */
	if (r < 0) {
		close(fd);
		return r;
	}
	if (ret_st)
		*ret_st = st;
	return fd;
}

int bw_fspath_open_regular(int root_fd, const char *root_path, const char *rel,
			   bool case_insensitive, struct stat *ret_st)
{
	struct stat st;
	int r;

	/* The common case, a regular file, is told by one fstatat (no descriptor to make and
	 * close). fstatat follows symlinks out of the root, so it only decides whether an open
	 * is tried; the open resolves beneath the root and must find the same inode. Anything
	 * else takes the O_PATH way, for its errors. */
	if (fstatat(root_fd, rel, &st, AT_NO_AUTOMOUNT) < 0 || !S_ISREG(st.st_mode)) {
		r = path_check_beneath(root_fd, root_path, rel, case_insensitive, &st);
		if (r < 0)
			return r;
	}
	return bw_fspath_open_checked(root_fd, root_path, rel, case_insensitive, &st, ret_st);
}
