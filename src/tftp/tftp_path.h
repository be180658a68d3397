/* TFTP's own name handling: backslashes, remap rules, absolute names, upload directories.
 * Normalising and opening below boot_root are protocol-neutral: core/fspath.h. */
#ifndef BW_TFTP_PATH_H
#define BW_TFTP_PATH_H

#include <stdbool.h>
#include <stddef.h>

struct bw_tftp_remaps;
struct bw_tftp_uploads;
struct bw_tftp_upload;

/* Pure. Replaces every backslash with a slash (Windows loaders ask for \Boot\BCD). */
void bw_tftp_path_map_backslash(char *s);

/* Applies the first remap rule that matches in: writes the result to out and returns 1; 0
 * when no rule matched (out untouched); -ENAMETOOLONG when the result does not fit. */
int bw_tftp_path_remap(const struct bw_tftp_remaps *rs, const char *in, char *out, size_t cap);

/* Pure. True when in is an absolute name ("/etc/passwd", "//x") that does not start with
 * root_prefix: a name of something outside the root, refused with ERROR 2 when it is not
 * found inside the root either. */
bool bw_tftp_path_is_outside(const char *in, const char *root_prefix);

/* The upload rule whose directory contains rel, or NULL. */
const struct bw_tftp_upload *bw_tftp_upload_match(const struct bw_tftp_uploads *us,
						  const char *rel);

#endif
