#include "tftp/tftp_path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/openat2.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tftp/tftp_config.h"

int bw_tftp_path_normalize(const char *in, size_t len, const char *root_prefix, char *out,
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

void bw_tftp_path_map_backslash(char *s)
{
	for (; *s; s++)
		if (*s == '\\')
			*s = '/';
}

int bw_tftp_path_remap(const struct bw_tftp_remaps *rs, const char *in, char *out, size_t cap)
{
	for (unsigned i = 0; rs && i < rs->n; i++) {
		regmatch_t m[10];
		const char *rep = rs->v[i].replace;
		size_t o = 0;

		if (regexec(&rs->v[i].re, in, 10, m, 0) != 0)
			continue;
		/* prefix before the match, the replacement, the rest after the match */
		for (size_t k = 0; k < (size_t)m[0].rm_so; k++) {
			if (o + 1 >= cap)
				return -ENAMETOOLONG;
			out[o++] = in[k];
		}
		for (const char *p = rep; *p; p++) {
			if (*p == '\\' && p[1] >= '0' && p[1] <= '9') {
				int g = p[1] - '0';
				p++;
				if (m[g].rm_so < 0)
					continue;
				size_t gl = (size_t)(m[g].rm_eo - m[g].rm_so);
				if (o + gl >= cap)
					return -ENAMETOOLONG;
				memcpy(out + o, in + m[g].rm_so, gl);
				o += gl;
				continue;
			}
			if (o + 1 >= cap)
				return -ENAMETOOLONG;
			out[o++] = *p;
		}
		size_t rest = strlen(in + m[0].rm_eo);
		if (o + rest >= cap)
			return -ENAMETOOLONG;
		memcpy(out + o, in + m[0].rm_eo, rest);
		o += rest;
		out[o] = '\0';
		return 1;
	}
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

int bw_tftp_path_open(int root_fd, const char *root_path, const char *rel,
		      bool case_insensitive, int flags, unsigned mode)
{
	int fd = path_openat_beneath(root_fd, rel, flags, mode);

	if (fd == -ENOENT && case_insensitive)
		fd = path_open_nocase(root_fd, rel, flags, mode);
	if (fd == -EACCES && root_path && !(flags & O_CREAT))
		fd = path_open_resolved(root_fd, root_path, rel, flags, mode);
	return fd;
}

bool bw_tftp_path_is_outside(const char *in, const char *root_prefix)
{
	size_t rl = root_prefix ? strlen(root_prefix) : 0;

	if (in[0] != '/')
		return false;
	while (in[1] == '/')
		in++;
	return !(rl > 1 && strncmp(in, root_prefix, rl) == 0 && in[rl] == '/');
}

const struct bw_tftp_upload *bw_tftp_upload_match(const struct bw_tftp_uploads *us,
						  const char *rel)
{
	for (unsigned i = 0; us && i < us->n; i++) {
		size_t dl = strlen(us->v[i].dir);

		if (strncmp(rel, us->v[i].dir, dl) == 0 && rel[dl] == '/' && rel[dl + 1])
			return &us->v[i];
	}
	return NULL;
}
