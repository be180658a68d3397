/* Turning a requested file name into a safe path inside boot_root. */
#ifndef BW_TFTP_PATH_H
#define BW_TFTP_PATH_H

#include <stdbool.h>
#include <stddef.h>

struct bw_tftp_remaps;
struct bw_tftp_uploads;
struct bw_tftp_upload;

/* Pure. Strips the root's own absolute path (root_prefix, may be NULL) or leading slashes,
 * drops empty and "." segments and writes the relative path to out.
 * -EACCES for any ".." segment, -ENOENT for a name that names the root itself,
 * -ENAMETOOLONG when out is too small. */
int bw_tftp_path_normalize(const char *in, size_t len, const char *root_prefix, char *out,
			   size_t cap);

/* Pure. Replaces every backslash with a slash (Windows loaders ask for \Boot\BCD). */
void bw_tftp_path_map_backslash(char *s);

/* Applies the first remap rule that matches in: writes the result to out and returns 1; 0
 * when no rule matched (out untouched); -ENAMETOOLONG when the result does not fit. */
int bw_tftp_path_remap(const struct bw_tftp_remaps *rs, const char *in, char *out, size_t cap);

/* Opens rel (normalised) below the directory root_fd, never leaving it: ".." and symlinks
 * that point outside are refused (-EACCES). Absolute symlinks whose target lies inside
 * root_path (the directory's resolved absolute path; NULL: refuse them all) are followed.
 * With case_insensitive, a name that does not exist as written is looked up component by
 * component ignoring case. flags are open(2) flags (O_RDONLY for reads). Returns an fd or a
 * negative errno. */
int bw_tftp_path_open(int root_fd, const char *root_path, const char *rel,
		      bool case_insensitive, int flags, unsigned mode);

/* Pure. True when in is an absolute name ("/etc/passwd", "//x") that does not start with
 * root_prefix: a name of something outside the root, refused with ERROR 2 when it is not
 * found inside the root either. */
bool bw_tftp_path_is_outside(const char *in, const char *root_prefix);

/* The upload rule whose directory contains rel, or NULL. */
const struct bw_tftp_upload *bw_tftp_upload_match(const struct bw_tftp_uploads *us,
						  const char *rel);

#endif
