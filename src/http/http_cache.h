/* What the HTTP service remembers about the files it answers, one cache per HTTP thread (no
 * locks): what depends only on a file's version and name (ETag, Last-Modified, Content-Type)
 * and, for small files, the content and a ready 200 answer, so that a repeated request costs
 * one fstatat (http_answer.c) and no open, formatting, allocation or read.
 *
 * An entry is found by the name the client asked for (normalised, below boot_root) and is
 * used only while the file's device, inode, size and modification time (to the nanosecond)
 * are those fstat() reports for the file just opened. Contents are kept only for files
 * last modified BW_HTTP_CACHE_SETTLED_S seconds ago or more: a later write gives the file a
 * newer modification time, so a kept content can never hide a change (the ETag makes the
 * same assumption). Direct-mapped: a name takes the slot of its hash. */
#ifndef BW_HTTP_CACHE_H
#define BW_HTTP_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/vfs.h"
#include "http/http_range.h"

#define BW_HTTP_CACHE_SLOTS 64
#define BW_HTTP_CACHE_NAME_MAX 256      /* longer names are described, never kept */
#define BW_HTTP_INLINE_MAX (64u * 1024) /* bodies up to this size leave with their headers */
#define BW_HTTP_CACHE_SETTLED_S 2

struct MHD_Response;

struct bw_http_file {
	char rel[BW_HTTP_CACHE_NAME_MAX]; /* "": a free slot */
	uint64_t dev, ino, size;
	int64_t mtime_s;
	long mtime_ns;
	char etag[BW_HTTP_ETAG_MAX];
	char lastmod[BW_HTTP_DATE_MAX]; /* "" when the date cannot be written */
	const char *type;
	bool keep_body;            /* small and settled: body may be kept */
	struct bw_blob *body;      /* the whole content, or NULL (not read yet, or not kept) */
	struct MHD_Response *full; /* the 200 answer on body, headers added, or NULL */
	uint64_t full_head;        /* the size of full's header block (see http_answer.c) */
};

struct bw_http_cache;

/* NULL when out of memory. */
struct bw_http_cache *bw_http_cache_new(void);
/* Drops every entry (their answers stay valid for connections still sending them). */
void bw_http_cache_free(struct bw_http_cache *cache);

/* The description of the file named rel whose fstat() is st, now being the wall-clock time
 * in seconds: the cached entry when it is still valid, else a slot refilled (validators and
 * type computed, no body). A name too long for a slot gets a scratch entry, valid until the
 * next call. Never NULL; the entry belongs to the cache. */
struct bw_http_file *bw_http_cache_lookup(struct bw_http_cache *cache, const char *rel,
                                          const struct stat *st, int64_t now);

/* The entry of rel when it holds the content of the file version st describes (device,
 * inode, size, modification time), else NULL. Nothing is refilled. */
struct bw_http_file *bw_http_cache_find_body(struct bw_http_cache *cache, const char *rel,
                                             const struct stat *st);

/* Keeps a reference to body (the file's whole content) in f when f may keep one. */
void bw_http_cache_keep_body(struct bw_http_file *f, struct bw_blob *body);

/* A buffer of BW_HTTP_INLINE_MAX bytes to read a small file into, the cache's own. */
uint8_t *bw_http_cache_readbuf(struct bw_http_cache *cache);

#endif
