/* What a read transfer sends: a file (shared by concurrent readers) or a generated blob,
 * optionally converted to netascii (LF -> CR LF, CR -> CR NUL) on the fly. */
#ifndef BW_TFTP_SRC_H
#define BW_TFTP_SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/vfs.h"

/* Open files shared between transfers, keyed by device, inode, size and mtime. */
struct bw_tftp_fcache {
	struct bw_tftp_fentry *head;
	unsigned n;
};

struct bw_tftp_src {
	struct bw_tftp_fcache *cache;
	struct bw_tftp_fentry *file; /* NULL for a blob */
	struct bw_blob *blob;
	uint64_t raw_size;           /* bytes in the file or blob */
	uint64_t size;               /* bytes sent: raw_size, or its netascii length */
	bool netascii;
	/* netascii: the conversion state at converted offset ck_out */
	uint64_t ck_out, ck_in;
	int ck_pending;              /* a byte still owed (the NUL or LF after a CR), or -1 */
};

/* Largest file served in netascii mode (its converted size is computed up front). */
#define BW_TFTP_NETASCII_MAX (64ull << 20)

/* Takes ownership of fd (closes it, or keeps it in the cache). fd must be a regular file. */
int bw_tftp_src_open_fd(struct bw_tftp_src *s, struct bw_tftp_fcache *cache, int fd,
			bool netascii);
/* Opens name (normalised, below the directory root_fd whose path is root; see
 * bw_fspath_open) for reading. Its type is checked before it is opened: a device node, FIFO
 * or socket is never opened (-ENODEV), a directory is -EISDIR; other errors as
 * bw_fspath_open. So nothing a request names can block (a FIFO without writer) or have the
 * side effects of opening a device (a tty, a tape). */
int bw_tftp_src_open_path(struct bw_tftp_src *s, struct bw_tftp_fcache *cache, int root_fd,
			  const char *root, const char *name, bool case_insensitive,
			  bool netascii);
/* Takes one reference of blob. */
int bw_tftp_src_open_blob(struct bw_tftp_src *s, struct bw_blob *blob, bool netascii);
/* Reads up to len bytes of the (converted) stream at off into buf. Returns the number of
 * bytes read (less than len only at the end of the stream) or a negative errno; -EIO when
 * the file shrank under us. */
ssize_t bw_tftp_src_read(struct bw_tftp_src *s, uint64_t off, uint8_t *buf, size_t len);
/* Everything before off is acknowledged: netascii may forget how to get there. */
void bw_tftp_src_release(struct bw_tftp_src *s, uint64_t off);
void bw_tftp_src_done(struct bw_tftp_src *s);

void bw_tftp_fcache_init(struct bw_tftp_fcache *c);
void bw_tftp_fcache_done(struct bw_tftp_fcache *c);

#endif
