/* The HTTP thread's file cache (http_cache): which fstat() results keep an entry, what a
 * refilled entry says, when a body may be kept, and that references are counted. No files:
 * struct stat is filled by hand. */
#include <microhttpd.h>
#include <sys/stat.h>

#include "check.h"
#include "http/http_cache.h"

#define NOW 1700000000

static struct stat st_of(uint64_t ino, uint64_t size, int64_t mtime, long ns)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_dev = 7;
	st.st_ino = ino;
	st.st_size = (off_t)size;
	st.st_mtim.tv_sec = mtime;
	st.st_mtim.tv_nsec = ns;
	return st;
}

static void test_lookup_fills(void)
{
	struct bw_http_cache *cache = bw_http_cache_new();
	struct stat st = st_of(0x30, 4096, NOW - 60, 5);
	char etag[BW_HTTP_ETAG_MAX], date[BW_HTTP_DATE_MAX];
	struct bw_http_file *f;

	if (!CHECK(cache != NULL))
		return;
	f = bw_http_cache_lookup(cache, "sub/boot.ipxe", &st, NOW);
	bw_http_etag_file(0x30, 4096, NOW - 60, 5, etag, sizeof(etag));
	bw_http_date_format(NOW - 60, date, sizeof(date));
	CHECK_EQ_STR(f->rel, "sub/boot.ipxe");
	CHECK_EQ_STR(f->etag, etag);
	CHECK_EQ_STR(f->lastmod, date);
	CHECK_EQ_STR(f->type, "text/plain");
	CHECK_EQ_U64(f->size, 4096);
	CHECK(f->keep_body);
	CHECK(f->body == NULL && f->full == NULL);
	CHECK(bw_http_cache_lookup(cache, "sub/boot.ipxe", &st, NOW) == f);
	bw_http_cache_free(cache);
}

/* Any change of inode, size or modification time (to the nanosecond) makes a new entry. */
static void test_lookup_changes(void)
{
	struct bw_http_cache *cache = bw_http_cache_new();
	struct stat st = st_of(0x30, 4096, NOW - 60, 5), other;
	struct bw_http_file *f;
	struct bw_blob *blob = bw_blob_new("abcd", 4);
	char etag[BW_HTTP_ETAG_MAX];

	if (!CHECK(cache != NULL && blob != NULL))
		return;
	f = bw_http_cache_lookup(cache, "a.bin", &st, NOW);
	bw_http_cache_keep_body(f, blob);
	CHECK(f->body == blob);
	CHECK_EQ_INT(blob->refs, 2);
	other = st_of(0x30, 4096, NOW - 60, 6);
	f = bw_http_cache_lookup(cache, "a.bin", &other, NOW);
	bw_http_etag_file(0x30, 4096, NOW - 60, 6, etag, sizeof(etag));
	CHECK_EQ_STR(f->etag, etag);
	CHECK(f->body == NULL);
	CHECK_EQ_INT(blob->refs, 1); /* the old entry's reference was dropped */
	other = st_of(0x31, 4096, NOW - 60, 6);
	CHECK(bw_http_cache_lookup(cache, "a.bin", &other, NOW)->ino == 0x31);
	other = st_of(0x31, 4097, NOW - 60, 6);
	CHECK(bw_http_cache_lookup(cache, "a.bin", &other, NOW)->size == 4097);
	/* the same file under another name is another entry (its type may differ) */
	f = bw_http_cache_lookup(cache, "a.efi", &other, NOW);
	CHECK_EQ_STR(f->type, "application/efi");
	bw_blob_unref(blob);
	bw_http_cache_free(cache);
}

/* Bodies are kept only for small files not modified in the last seconds. */
static void test_keep_body(void)
{
	struct bw_http_cache *cache = bw_http_cache_new();
	struct stat st;
	struct bw_blob *blob = bw_blob_new("abcd", 4);
	struct bw_http_file *f;

	if (!CHECK(cache != NULL && blob != NULL))
		return;
	st = st_of(1, 4, NOW - BW_HTTP_CACHE_SETTLED_S + 1, 0);
	f = bw_http_cache_lookup(cache, "young.bin", &st, NOW);
	CHECK(!f->keep_body);
	bw_http_cache_keep_body(f, blob);
	CHECK(f->body == NULL);
	CHECK_EQ_INT(blob->refs, 1);
	/* the same version asked for once it has settled: its body may be kept now */
	f = bw_http_cache_lookup(cache, "young.bin", &st, NOW + 1);
	CHECK(f->keep_body);
	CHECK(bw_http_cache_find_body(cache, "young.bin", &st) == NULL); /* not read yet */
	bw_http_cache_keep_body(f, blob);
	CHECK(bw_http_cache_find_body(cache, "young.bin", &st) == f);
	CHECK_EQ_INT(blob->refs, 2);
	st = st_of(9, 4, NOW - 60, 0); /* another inode under that name */
	CHECK(bw_http_cache_find_body(cache, "young.bin", &st) == NULL);
	CHECK(bw_http_cache_find_body(cache, "other.bin", &st) == NULL);
	st = st_of(2, 4, NOW + 100, 0); /* modified "in the future": the clock moved */
	CHECK(!bw_http_cache_lookup(cache, "future.bin", &st, NOW)->keep_body);
	st = st_of(3, BW_HTTP_INLINE_MAX + 1, NOW - 60, 0);
	CHECK(!bw_http_cache_lookup(cache, "large.bin", &st, NOW)->keep_body);
	st = st_of(4, BW_HTTP_INLINE_MAX, NOW - BW_HTTP_CACHE_SETTLED_S, 0);
	f = bw_http_cache_lookup(cache, "settled.bin", &st, NOW);
	CHECK(f->keep_body);
	bw_http_cache_keep_body(f, blob);
	bw_http_cache_keep_body(f, blob); /* already kept: no second reference */
	CHECK_EQ_INT(blob->refs, 3);
	bw_http_cache_free(cache);
	CHECK_EQ_INT(blob->refs, 1);
	bw_blob_unref(blob);
}

/* A name too long for a slot is described but never kept. */
static void test_long_name(void)
{
	struct bw_http_cache *cache = bw_http_cache_new();
	char name[BW_HTTP_CACHE_NAME_MAX + 10];
	struct stat st = st_of(9, 10, NOW - 60, 0);
	struct bw_http_file *f;

	if (!CHECK(cache != NULL))
		return;
	memset(name, 'x', sizeof(name) - 5);
	strcpy(name + sizeof(name) - 5, ".cfg");
	f = bw_http_cache_lookup(cache, name, &st, NOW);
	CHECK_EQ_STR(f->rel, "");
	CHECK_EQ_STR(f->type, "text/plain");
	CHECK(!f->keep_body);
	CHECK(f->etag[0] == '"');
	bw_http_cache_free(cache);
}

/* An entry's ready answer holds its own reference to the body; freeing the cache drops the
 * cache's, and the answer lives on for whoever still holds it. */
static void http_unref(void *cls)
{
	bw_blob_unref(cls);
}

static void test_full_answer_refs(void)
{
	struct bw_http_cache *cache = bw_http_cache_new();
	struct stat st = st_of(5, 4, NOW - 60, 0);
	struct bw_blob *blob = bw_blob_new("abcd", 4);
	struct MHD_Response *resp;
	struct bw_http_file *f;

	if (!CHECK(cache != NULL && blob != NULL))
		return;
	f = bw_http_cache_lookup(cache, "f.bin", &st, NOW);
	bw_http_cache_keep_body(f, blob);
	resp = MHD_create_response_from_buffer_with_free_callback_cls(4, blob->data, http_unref,
	                                                              bw_blob_ref(blob));
	if (!CHECK(resp != NULL))
		return;
	f->full = resp;
	CHECK_EQ_INT(blob->refs, 3);
	bw_http_cache_free(cache);
	CHECK_EQ_INT(blob->refs, 1);
	bw_blob_unref(blob);
}

int main(void)
{
	test_lookup_fills();
	test_lookup_changes();
	test_keep_body();
	test_long_name();
	test_full_answer_refs();
	return check_summary();
}
