/* Turning a requested name into a safe path below a served directory (boot_root), and opening
 * it without ever leaving that directory. Protocol-neutral: TFTP and HTTP both use it. */
#ifndef BW_FSPATH_H
#define BW_FSPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* Pure. Strips the root's own absolute path (root_prefix, may be NULL) or leading slashes,
 * drops empty and "." segments and writes the relative path to out.
 * -EACCES for any ".." segment, -ENOENT for a name that names the root itself,
 * -ENAMETOOLONG when out is too small. */
int bw_fspath_normalize(const char *in, size_t len, const char *root_prefix, char *out,
			size_t cap);

/* Opens rel (normalised) below the directory root_fd, never leaving it: ".." and symlinks
 * that point outside are refused (-EACCES). Absolute symlinks whose target lies inside
 * root_path (the directory's resolved absolute path; NULL: refuse them all) are followed.
 * With case_insensitive, a name that does not exist as written is looked up component by
 * component ignoring case. flags are open(2) flags (O_RDONLY for reads). Returns an fd or a
 * negative errno. Thread-safe (no shared state). */
int bw_fspath_open(int root_fd, const char *root_path, const char *rel, bool case_insensitive,
		   int flags, unsigned mode);

/* Opens rel like bw_fspath_open for reading, if it is a regular file, and nothing else is
 * ever opened: its type is checked first without opening it (fstatat, or when that does not
 * find a regular file, a resolution beneath the root with O_PATH, which opens nothing: no
 * side effects of opening a device such as a tty or a tape, no wait for a FIFO's writer).
 * Only then is it opened by name (an O_PATH descriptor cannot be reopened without /proc)
 * with O_RDONLY | O_NOCTTY | O_NONBLOCK, so a FIFO swapped in meanwhile cannot block, and
 * it must be the inode checked. Returns an fd and its fstat in
 * *ret_st (may be NULL), or -EISDIR for a directory, -ENODEV for a device node, FIFO or
 * socket, -ESTALE when the name was replaced between the check and the open, otherwise a
 * negative errno as bw_fspath_open. Thread-safe. */
int bw_fspath_open_regular(int root_fd, const char *root_path, const char *rel,
			   bool case_insensitive, struct stat *ret_st);
/* Its second half, for a caller that has seen rel as the regular file checked (an fstatat
 * relative to root_fd, S_ISREG): opens it as bw_fspath_open_regular does and returns the fd
 * only if it is that inode (-ESTALE otherwise, -ENODEV or -EISDIR if it was replaced by
 * something else than a regular file). */
int bw_fspath_open_checked(int root_fd, const char *root_path, const char *rel,
			   bool case_insensitive, const struct stat *checked, struct stat *ret_st);

#endif
