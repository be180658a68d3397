/* What a read transfer sends: a file (shared by concurrent readers) or a generated blob,
 * optionally converted to netascii (LF -> CR LF, CR -> CR NUL) on the fly. */
#ifndef BW_TFTP_SRC_H
#define BW_TFTP_SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "core/vfs.h"

/* The netascii size of a file: counting its LFs and CRs reads all of it (about 40 ms for
 * 60 MiB), so it is done on libuv's thread pool, one file at a time (the pool is shared
 * with the store), once per file identity however many requests wait for it, and
 * remembered for the last BW_TFTP_NASIZE_KEEP files. */
#define BW_TFTP_NASIZE_KEEP 64

struct bw_tftp_nasize {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint64_t na_size;
};

/* Open files shared between transfers, keyed by device, inode, size and mtime; the
 * netascii sizes known and being computed. Loop thread only. */
struct bw_tftp_fcache {
	struct bw_tftp_fentry *head;
	unsigned n;
	struct bw_tftp_nasize known[BW_TFTP_NASIZE_KEEP];
	unsigned n_known, next_known; /* filled slots; the one replaced next */
	struct bw_tftp_najob *jobs;   /* oldest first; the first runs when job_running */
	bool job_running;
	uv_loop_t *loop;              /* set by the first bw_tftp_src_size_wait */
};

struct bw_tftp_src;
/* r: 0 (s->size is set) or a negative errno. */
typedef void (*bw_tftp_src_size_cb)(struct bw_tftp_src *s, int r, void *data);

struct bw_tftp_src {
	struct bw_tftp_fcache *cache;
	struct bw_tftp_fentry *file; /* NULL for a blob */
	struct bw_blob *blob;
	uint64_t raw_size;           /* bytes in the file or blob */
	uint64_t size;               /* bytes sent: raw_size, or its netascii length */
	bool netascii;
	bool size_pending;           /* netascii size not known yet: bw_tftp_src_size_wait */
	/* netascii: the conversion state at converted offset ck_out */
	uint64_t ck_out, ck_in;
	int ck_pending;              /* a byte still owed (the NUL or LF after a CR), or -1 */
	/* waiting for a size */
	struct bw_tftp_najob *job;
	struct bw_tftp_src *wnext;
	bw_tftp_src_size_cb cb;
	void *cb_data;
};

/* Largest file served in netascii mode (-EFBIG above): bounds the work one request makes. */
#define BW_TFTP_NETASCII_MAX (64ull << 20)

/* Takes ownership of fd (closes it, or keeps it in the cache). fd must be a regular file.
 * In netascii mode the size may not be known yet (s->size_pending): the source must not be
 * read before bw_tftp_src_size_wait() says so. */
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
/* For a source with size_pending, at its final address (the job keeps a pointer to s):
 * computes the netascii size off the loop and calls cb(s, r, data) from the loop when it is
 * known, never from inside this call. bw_tftp_src_done() before that cancels the call.
 * Returns 0, or a negative errno (and cb is never called). */
int bw_tftp_src_size_wait(struct bw_tftp_src *s, uv_loop_t *loop, bw_tftp_src_size_cb cb,
			  void *data);
/* Takes one reference of blob (its netascii size is counted at once: it is in memory). */
int bw_tftp_src_open_blob(struct bw_tftp_src *s, struct bw_blob *blob, bool netascii);
/* Reads up to len bytes of the (converted) stream at off into buf. Returns the number of
 * bytes read (less than len only at the end of the stream) or a negative errno; -EIO when
 * the file shrank under us. */
ssize_t bw_tftp_src_read(struct bw_tftp_src *s, uint64_t off, uint8_t *buf, size_t len);
/* Everything before off is acknowledged: netascii may forget how to get there. */
void bw_tftp_src_release(struct bw_tftp_src *s, uint64_t off);
void bw_tftp_src_done(struct bw_tftp_src *s);

void bw_tftp_fcache_init(struct bw_tftp_fcache *c);
/* Every source must be done. A size computation still running is left to finish on its own
 * (its files are its own) and frees itself. */
void bw_tftp_fcache_done(struct bw_tftp_fcache *c);

#endif
