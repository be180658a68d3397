#include "http/http_cache.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

struct bw_http_cache {
	struct bw_http_file slot[BW_HTTP_CACHE_SLOTS];
	struct bw_http_file scratch; /* names longer than a slot holds */
	uint8_t readbuf[BW_HTTP_INLINE_MAX];
};

struct bw_http_cache *bw_http_cache_new(void)
{
	return calloc(1, sizeof(struct bw_http_cache));
}

static void http_cache_clear(struct bw_http_file *f)
{
	/* The answer holds its own reference to the body; connections still sending it hold
	 * theirs (MHD counts them). */
	MHD_destroy_response(f->full);
	if (f->body)
		bw_blob_unref(f->body);
	memset(f, 0, sizeof(*f));
}

void bw_http_cache_free(struct bw_http_cache *cache)
{
	if (!cache)
		return;
	for (unsigned i = 0; i < BW_HTTP_CACHE_SLOTS; i++)
		http_cache_clear(&cache->slot[i]);
	http_cache_clear(&cache->scratch);
	free(cache);
}

static unsigned http_cache_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h % BW_HTTP_CACHE_SLOTS;
}

static bool http_cache_matches(const struct bw_http_file *f, const char *rel, const struct stat *st)
{
	return f->dev == (uint64_t)st->st_dev && f->ino == (uint64_t)st->st_ino &&
	       f->size == (uint64_t)st->st_size && f->mtime_s == (int64_t)st->st_mtim.tv_sec &&
	       f->mtime_ns == st->st_mtim.tv_nsec && strcmp(f->rel, rel) == 0;
}

static void http_cache_fill(struct bw_http_file *f, const char *rel, const struct stat *st,
                            int64_t now, bool keepable)
{
	http_cache_clear(f);
	if (keepable)
		memcpy(f->rel, rel, strlen(rel) + 1);
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	f->size = (uint64_t)st->st_size;
	f->mtime_s = st->st_mtim.tv_sec;
	f->mtime_ns = st->st_mtim.tv_nsec;
	bw_http_etag_file(f->ino, f->size, f->mtime_s, f->mtime_ns, f->etag, sizeof(f->etag));
	if (bw_http_date_format(f->mtime_s, f->lastmod, sizeof(f->lastmod)) < 0)
		f->lastmod[0] = '\0';
	f->type = bw_http_content_type(rel);
	f->keep_body = keepable && f->size <= BW_HTTP_INLINE_MAX &&
	               now - f->mtime_s >= BW_HTTP_CACHE_SETTLED_S;
}

struct bw_http_file *bw_http_cache_lookup(struct bw_http_cache *cache, const char *rel,
                                          const struct stat *st, int64_t now)
{
	struct bw_http_file *f;

	if (strlen(rel) >= BW_HTTP_CACHE_NAME_MAX) {
		http_cache_fill(&cache->scratch, rel, st, now, false);
		return &cache->scratch;
	}
	f = &cache->slot[http_cache_hash(rel)];
	if (!http_cache_matches(f, rel, st))
		http_cache_fill(f, rel, st, now, true);
	else if (!f->keep_body && f->size <= BW_HTTP_INLINE_MAX &&
	         now - f->mtime_s >= BW_HTTP_CACHE_SETTLED_S)
		f->keep_body = true; /* filled while the file was fresh: it has settled since */
	return f;
}

struct bw_http_file *bw_http_cache_find_body(struct bw_http_cache *cache, const char *rel,
                                             const struct stat *st)
{
	struct bw_http_file *f;

	if (strlen(rel) >= BW_HTTP_CACHE_NAME_MAX)
		return NULL;
	f = &cache->slot[http_cache_hash(rel)];
	return f->body && http_cache_matches(f, rel, st) ? f : NULL;
}

void bw_http_cache_keep_body(struct bw_http_file *f, struct bw_blob *body)
{
	if (f->keep_body && !f->body)
		f->body = bw_blob_ref(body);
}

uint8_t *bw_http_cache_readbuf(struct bw_http_cache *cache)
{
	return cache->readbuf;
}
