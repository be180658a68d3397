/* HTTP decisions without sockets: Range parsing, entity tags, dates, conditional requests,
 * content types (http_range), request-target decoding (http_url) and the base URL
 * (http_config). */
#include <stdint.h>

#include "check.h"
#include "http/http_config.h"
#include "http/http_range.h"
#include "http/http_url.h"

static int range(const char *s, uint64_t size, struct bw_http_range *r)
{
	r->first = r->len = 12345;
	return bw_http_range_parse(s, strlen(s), size, r);
}

static void test_range_valid(void)
{
	static const struct {
		const char *hdr;
		uint64_t size, first, len;
	} cases[] = {
		{"bytes=0-0", 100, 0, 1},
		{"bytes=0-99", 100, 0, 100},
		{"bytes=0-", 100, 0, 100},
		{"bytes=10-19", 100, 10, 10},
		{"bytes=99-", 100, 99, 1},
		{"bytes=90-1000", 100, 90, 10},            /* last-pos past the end: clamped */
		{"bytes=-1", 100, 99, 1},
		{"bytes=-10", 100, 90, 10},
		{"bytes=-100", 100, 0, 100},
		{"bytes=-5000", 100, 0, 100},              /* suffix longer than the body */
		{"Bytes=1-2", 100, 1, 2},                  /* units are case-insensitive */
		{"  bytes=1-2  ", 100, 1, 2},
		{"bytes=,1-2,", 100, 1, 2},                /* empty list elements are allowed */
		{"bytes= 1-2", 100, 1, 2},
		{"bytes=0-99999999999999999999999", 100, 0, 100}, /* saturates, then clamps */
		{"bytes=-99999999999999999999999", 100, 0, 100},
		{"bytes=0-18446744073709551615", 100, 0, 100},
		{"bytes=5-", UINT64_MAX, 5, UINT64_MAX - 5},
	};
	struct bw_http_range r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].hdr;
		if (!CHECK_EQ_INT(range(cases[i].hdr, cases[i].size, &r), 0))
			continue;
		CHECK_EQ_U64(r.first, cases[i].first);
		CHECK_EQ_U64(r.len, cases[i].len);
	}
	check_context = NULL;
}

static void test_range_other(void)
{
	static const struct {
		const char *hdr;
		uint64_t size;
		int r;
	} cases[] = {
		/* malformed: ignored, the whole body is sent */
		{"", 100, -EBADMSG},
		{"bytes", 100, -EBADMSG},
		{"bytes=", 100, -EBADMSG},
		{"bytes=,", 100, -EBADMSG},
		{"bytes=-", 100, -EBADMSG},
		{"bytes=5-3", 100, -EBADMSG},
		{"bytes=a-b", 100, -EBADMSG},
		{"bytes=1", 100, -EBADMSG},
		{"bytes=1-2-3", 100, -EBADMSG},
		{"bytes=1 -2", 100, -EBADMSG},
		{"bytes=1- 2", 100, -EBADMSG},
		{"bytes =1-2", 100, -EBADMSG},
		{"bytes=1-2;x", 100, -EBADMSG},
		{"bytes=+1-2", 100, -EBADMSG},
		{"bytes=0x10-20", 100, -EBADMSG},
		{"=1-2", 100, -EBADMSG},
		{"bytes=0-1,5-3", 100, -EBADMSG},
		/* other units, several ranges: answered with the whole body */
		{"items=0-5", 100, -EOPNOTSUPP},
		{"bytesx=0-5", 100, -EOPNOTSUPP},
		{"bytes=0-1,5-9", 100, -EOPNOTSUPP},
		{"bytes=0-1, 200-300", 100, -EOPNOTSUPP},  /* one satisfiable is enough */
		{"bytes=-5", 0, -EOPNOTSUPP},              /* empty body: nothing to name */
		/* unsatisfiable: 416 */
		{"bytes=-0", 100, -ERANGE},
		{"bytes=100-", 100, -ERANGE},
		{"bytes=100-200", 100, -ERANGE},
		{"bytes=99999999999999999999999-", 100, -ERANGE},
		{"bytes=0-", 0, -ERANGE},
		{"bytes=200-300,400-", 100, -ERANGE},
		{"bytes=-0,-0", 100, -ERANGE},
	};
	struct bw_http_range r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].hdr;
		CHECK_EQ_INT(range(cases[i].hdr, cases[i].size, &r), cases[i].r);
		CHECK_EQ_U64(r.first, 12345); /* untouched */
	}
	check_context = NULL;
	/* not NUL-terminated: only len bytes are read */
	CHECK_EQ_INT(bw_http_range_parse("bytes=1-2XXXX", 9, 100, &r), 0);
	CHECK_EQ_U64(r.len, 2);
}

static void test_content_range(void)
{
	struct bw_http_range r = {10, 10};
	char out[64];

	CHECK_EQ_INT(bw_http_content_range(&r, 100, out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "bytes 10-19/100");
	CHECK_EQ_INT(bw_http_content_range(NULL, 100, out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "bytes */100");
	CHECK_EQ_INT(bw_http_content_range(&r, 100, out, 8), -ENAMETOOLONG);
}

static void test_etag(void)
{
	char a[BW_HTTP_ETAG_MAX], b[BW_HTTP_ETAG_MAX];

	CHECK_EQ_INT(bw_http_etag_file(0x1a2b, 1024, 0x5f3e1c2d, 7, a, sizeof(a)), 0);
	CHECK_EQ_STR(a, "\"1a2b-400-5f3e1c2d.7\"");
	CHECK_EQ_INT(bw_http_etag_file(UINT64_MAX, UINT64_MAX, INT64_MAX, 999999999, a, sizeof(a)),
		     0);
	CHECK_EQ_INT(bw_http_etag_file(1, 2, 3, 4, a, 4), -ENAMETOOLONG);
	CHECK_EQ_INT(bw_http_etag_blob("abc", 3, a, sizeof(a)), 0);
	CHECK_EQ_INT(bw_http_etag_blob("abd", 3, b, sizeof(b)), 0);
	CHECK(strcmp(a, b) != 0);
	CHECK(a[0] == '"' && a[strlen(a) - 1] == '"');

	const char *e = "\"x1\"";
	CHECK(bw_http_etag_matches("\"x1\"", e, true));
	CHECK(bw_http_etag_matches("\"a\", \"x1\"", e, true));
	CHECK(bw_http_etag_matches("\"a\",\"x1\" ,", e, false));
	CHECK(bw_http_etag_matches("*", e, true));
	CHECK(bw_http_etag_matches(" * ", e, false));
	CHECK(bw_http_etag_matches("W/\"x1\"", e, false)); /* weak comparison ignores W/ */
	CHECK(!bw_http_etag_matches("W/\"x1\"", e, true)); /* strong comparison does not */
	CHECK(!bw_http_etag_matches("\"x2\"", e, false));
	CHECK(!bw_http_etag_matches("x1", e, false));      /* not quoted: malformed */
	CHECK(!bw_http_etag_matches("\"x1", e, false));
	CHECK(!bw_http_etag_matches("\"x1\" junk", e, false));
	CHECK(!bw_http_etag_matches("\"a\" \"x1\"", e, false));
	CHECK(!bw_http_etag_matches("*, \"x1\"", e, false));
	CHECK(!bw_http_etag_matches("", e, false));
}

static void test_dates(void)
{
	int64_t t = -1;
	char out[BW_HTTP_DATE_MAX];

	CHECK_EQ_INT(bw_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
	CHECK_EQ_INT(t, 784111777);
	CHECK_EQ_INT(bw_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
	CHECK_EQ_INT(t, 784111777);
	CHECK_EQ_INT(bw_http_date_parse("Sun Nov  6 08:49:37 1994", &t), 0);
	CHECK_EQ_INT(t, 784111777);
	CHECK_EQ_INT(bw_http_date_parse("Sun Nov 16 08:49:37 1994", &t), 0);
	CHECK_EQ_INT(t, 784111777 + 10 * 86400);
	CHECK_EQ_INT(bw_http_date_parse("Thu, 01 Jan 1970 00:00:00 GMT", &t), 0);
	CHECK_EQ_INT(t, 0);
	CHECK_EQ_INT(bw_http_date_parse("Tue, 29 Feb 2028 23:59:59 GMT; length=12", &t), 0);
	CHECK_EQ_INT(t, 1835481599);
	CHECK_EQ_INT(bw_http_date_parse("Wed, 01-Jan-31 00:00:00 GMT", &t), 0); /* 2031 */
	CHECK_EQ_INT(t, 1924992000);
	static const char *const bad[] = {
		"", "Sun", "Sun,", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
		"Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 94 08:49:37 GMT", "Sun Nov  6 08:49:37", "1994-11-06T08:49:37Z",
		"Sun, 06 Nov 1994 08:49:37 GMT junk", "Sun, 0",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_context = bad[i];
		CHECK_EQ_INT(bw_http_date_parse(bad[i], &t), -EBADMSG);
	}
	check_context = NULL;
	CHECK_EQ_INT(bw_http_date_format(784111777, out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	CHECK_EQ_INT(bw_http_date_format(0, out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	CHECK_EQ_INT(bw_http_date_format(1835481599, out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "Tue, 29 Feb 2028 23:59:59 GMT");
	CHECK_EQ_INT(bw_http_date_format(-1, out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "Wed, 31 Dec 1969 23:59:59 GMT");
	CHECK_EQ_INT(bw_http_date_format(INT64_MAX, out, sizeof(out)), -ERANGE);
	/* round trip over a few centuries */
	for (int64_t x = -2000000000; x < 8000000000; x += 86400 * 97 + 3607) {
		int64_t y = 0;
		if (!CHECK_EQ_INT(bw_http_date_format(x, out, sizeof(out)), 0) ||
		    !CHECK_EQ_INT(bw_http_date_parse(out, &y), 0) || !CHECK_EQ_INT(y, x))
			break;
	}
}

static void plan(const struct bw_http_req_hdrs *h, unsigned status, uint64_t first,
		 uint64_t len)
{
	static const struct bw_http_entity e = {
		.size = 1000, .etag = "\"e1\"", .has_mtime = true, .mtime = 784111777};
	struct bw_http_plan p;

	bw_http_plan(h, &e, &p);
	CHECK_EQ_INT(p.status, status);
	CHECK_EQ_U64(p.first, first);
	CHECK_EQ_U64(p.len, len);
}

static void test_plan(void)
{
	const char *d_eq = "Sun, 06 Nov 1994 08:49:37 GMT";
	const char *d_before = "Sun, 06 Nov 1994 08:49:36 GMT";
	const char *d_after = "Sun, 06 Nov 1994 08:49:38 GMT";

	plan(&(struct bw_http_req_hdrs){0}, 200, 0, 1000);
	plan(&(struct bw_http_req_hdrs){.range = "bytes=10-19"}, 206, 10, 10);
	plan(&(struct bw_http_req_hdrs){.head = true, .range = "bytes=10-19"}, 200, 0, 1000);
	plan(&(struct bw_http_req_hdrs){.range = "bytes=5000-"}, 416, 0, 0);
	plan(&(struct bw_http_req_hdrs){.range = "bytes=0-1,3-4"}, 200, 0, 1000);
	plan(&(struct bw_http_req_hdrs){.range = "bytes=5-3"}, 200, 0, 1000);
	/* If-None-Match / If-Modified-Since */
	plan(&(struct bw_http_req_hdrs){.if_none_match = "\"e1\""}, 304, 0, 0);
	plan(&(struct bw_http_req_hdrs){.if_none_match = "W/\"e1\""}, 304, 0, 0);
	plan(&(struct bw_http_req_hdrs){.if_none_match = "*"}, 304, 0, 0);
	plan(&(struct bw_http_req_hdrs){.if_none_match = "\"e2\""}, 200, 0, 1000);
	plan(&(struct bw_http_req_hdrs){.if_modified_since = d_eq}, 304, 0, 0);
	plan(&(struct bw_http_req_hdrs){.if_modified_since = d_after}, 304, 0, 0);
	plan(&(struct bw_http_req_hdrs){.if_modified_since = d_before}, 200, 0, 1000);
	plan(&(struct bw_http_req_hdrs){.if_modified_since = "garbage"}, 200, 0, 1000);
	/* If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2) */
	plan(&(struct bw_http_req_hdrs){.if_none_match = "\"e2\"", .if_modified_since = d_eq},
	     200, 0, 1000);
	/* If-Match / If-Unmodified-Since */
	plan(&(struct bw_http_req_hdrs){.if_match = "\"e1\""}, 200, 0, 1000);
	plan(&(struct bw_http_req_hdrs){.if_match = "\"e2\""}, 412, 0, 0);
	plan(&(struct bw_http_req_hdrs){.if_match = "W/\"e1\""}, 412, 0, 0);
	plan(&(struct bw_http_req_hdrs){.if_unmodified_since = d_before}, 412, 0, 0);
	plan(&(struct bw_http_req_hdrs){.if_unmodified_since = d_eq}, 200, 0, 1000);
	plan(&(struct bw_http_req_hdrs){.if_match = "*", .if_unmodified_since = d_before}, 200,
	     0, 1000);
	/* If-Range */
	plan(&(struct bw_http_req_hdrs){.range = "bytes=1-2", .if_range = "\"e1\""}, 206, 1, 2);
	plan(&(struct bw_http_req_hdrs){.range = "bytes=1-2", .if_range = "\"e2\""}, 200, 0, 1000);
	plan(&(struct bw_http_req_hdrs){.range = "bytes=1-2", .if_range = "W/\"e1\""}, 200, 0,
	     1000);
	plan(&(struct bw_http_req_hdrs){.range = "bytes=1-2", .if_range = d_eq}, 206, 1, 2);
	plan(&(struct bw_http_req_hdrs){.range = "bytes=1-2", .if_range = d_after}, 200, 0, 1000);
	plan(&(struct bw_http_req_hdrs){.range = "bytes=1-2", .if_range = "junk"}, 200, 0, 1000);
	plan(&(struct bw_http_req_hdrs){.range = "bytes=5000-", .if_range = "\"e2\""}, 200, 0,
	     1000);

	/* generated content has no Last-Modified: date conditions never hold */
	struct bw_http_entity g = {.size = 10, .etag = "\"g\""};
	struct bw_http_plan p;
	bw_http_plan(&(struct bw_http_req_hdrs){.if_modified_since = d_after}, &g, &p);
	CHECK_EQ_INT(p.status, 200);
	bw_http_plan(&(struct bw_http_req_hdrs){.range = "bytes=0-0", .if_range = d_eq}, &g, &p);
	CHECK_EQ_INT(p.status, 200);
	bw_http_plan(&(struct bw_http_req_hdrs){.if_none_match = "\"g\""}, &g, &p);
	CHECK_EQ_INT(p.status, 304);
}

static void test_content_type(void)
{
	static const struct {
		const char *path, *type;
	} cases[] = {
		{"ipxe.efi", "application/efi"},
		{"EFI/BOOT/BOOTX64.EFI", "application/efi"},
		{"images/debian.iso", "application/vnd.efi-iso"},
		{"disk.img", "application/vnd.efi-img"},
		{"undionly.kpxe", "application/octet-stream"},
		{"pxelinux.0", "application/octet-stream"},
		{"menu.c32", "application/octet-stream"},
		{"boot.ipxe", "text/plain"},
		{"scripts/Boot.IPXE", "text/plain"},
		{"grub/grub.cfg", "text/plain"},
		{"pxelinux.cfg/default", "text/plain"},
		{"bios/pxelinux.cfg/01-52-54-00-12-34-56", "text/plain"},
		{"grub/grub.cfg-01-52-54-00-12-34-56", "text/plain"},
		{"grub/x86_64-efi/normal.mod", "application/octet-stream"},
		{"initrd.cpio", "application/x-cpio"},
		{"initrd.gz", "application/gzip"},
		{"initrd.xz", "application/x-xz"},
		{"index.html", "text/html"},
		{"vmlinuz", "application/octet-stream"},
		{"initrd", "application/octet-stream"},
		{".ipxe", "application/octet-stream"}, /* a dot file has no extension */
		{"a.unknownext", "application/octet-stream"},
		{"pxelinux.cfgx/default", "application/octet-stream"},
		{"x/grub", "application/octet-stream"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].path;
		CHECK_EQ_STR(bw_http_content_type(cases[i].path), cases[i].type);
	}
	check_context = NULL;
}

static void test_target(void)
{
	static const struct {
		const char *raw, *path, *query;
		int r;
	} cases[] = {
		{"/a.bin", "/a.bin", NULL, 0},
		{"/a%20b.bin", "/a b.bin", NULL, 0},
		{"/%41%62%63", "/Abc", NULL, 0},
		{"/%2e%2e/etc/passwd", "/../etc/passwd", NULL, 0},
		{"/..%2fetc%2Fpasswd", "/../etc/passwd", NULL, 0},
		{"/boot.ipxe?mac=52:54:00:12:34:56&x=%41", "/boot.ipxe", "mac=52:54:00:12:34:56&x=%41", 0},
		{"/x?", "/x", "", 0},
		{"/", "/", NULL, 0},
		{"http://10.0.0.1:8080/boot.ipxe?a=b", "/boot.ipxe", "a=b", 0},
		{"HTTPS://host/p", "/p", NULL, 0},
		{"/caf\xc3\xa9", "/caf\xc3\xa9", NULL, 0}, /* raw UTF-8 is accepted */
		{"/a+b", "/a+b", NULL, 0},                 /* '+' is not a space in a path */
		{"", NULL, NULL, -EBADMSG},
		{"*", NULL, NULL, -EBADMSG},
		{"a.bin", NULL, NULL, -EBADMSG},
		{"host:80", NULL, NULL, -EBADMSG},
		{"http://host", NULL, NULL, -EBADMSG},
		{"http://host?x", NULL, NULL, -EBADMSG},
		{"/a%00b", NULL, NULL, -EBADMSG},
		{"/a%0ab", NULL, NULL, -EBADMSG},
		{"/a%7f", NULL, NULL, -EBADMSG},
		{"/a%", NULL, NULL, -EBADMSG},
		{"/a%4", NULL, NULL, -EBADMSG},
		{"/a%4g", NULL, NULL, -EBADMSG},
		{"/a%%41", NULL, NULL, -EBADMSG},
		{"/a b", NULL, NULL, -EBADMSG},
		{"/a\tb", NULL, NULL, -EBADMSG},
		{"/a#frag", NULL, NULL, -EBADMSG},
		{"/a?x\x01", NULL, NULL, -EBADMSG},
	};
	char path[64];
	size_t len;
	const char *q;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].raw;
		len = 999;
		q = "untouched";
		if (!CHECK_EQ_INT(bw_http_target_parse(cases[i].raw, path, sizeof(path), &len, &q),
				  cases[i].r))
			continue;
		if (cases[i].r < 0) {
			CHECK_EQ_INT(len, 999);
			CHECK_EQ_STR(q, "untouched");
			continue;
		}
		CHECK_EQ_STR(path, cases[i].path);
		CHECK_EQ_INT(len, strlen(cases[i].path));
		CHECK_EQ_STR(q, cases[i].query);
	}
	check_context = NULL;
	CHECK_EQ_INT(bw_http_target_parse("/abcdefgh", path, 9, &len, &q), -ENAMETOOLONG);
	CHECK_EQ_INT(bw_http_target_parse("/abcdefg", path, 9, &len, &q), 0);
	CHECK_EQ_INT(bw_http_target_parse("/%41%41%41%41%41%41%41", path, 9, &len, &q), 0);
	CHECK_EQ_STR(path, "/AAAAAAA");
}

static void test_base_url(void)
{
	struct bw_http_config c = {.port = 80};
	char out[64];

	CHECK_EQ_INT(bw_http_base_url(&c, "10.0.0.1", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "http://10.0.0.1/");
	c.port = 8080;
	CHECK_EQ_INT(bw_http_base_url(&c, "10.0.0.1", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "http://10.0.0.1:8080/");
	CHECK_EQ_INT(bw_http_base_url(&c, "fd00::1", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "http://[fd00::1]:8080/");
	c.tls_cert = "c.pem";
	c.tls_key = "k.pem";
	CHECK_EQ_INT(bw_http_base_url(&c, "10.0.0.1", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "https://10.0.0.1:8080/");
	c.port = 443;
	CHECK_EQ_INT(bw_http_base_url(&c, "10.0.0.1", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "https://10.0.0.1/");
	c.port = 80;
	CHECK_EQ_INT(bw_http_base_url(&c, "10.0.0.1", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "https://10.0.0.1:80/");
	CHECK_EQ_INT(bw_http_base_url(&c, "10.0.0.1", out, 10), -ENAMETOOLONG);
}

int main(void)
{
	test_range_valid();
	test_range_other();
	test_content_range();
	test_etag();
	test_dates();
	test_plan();
	test_content_type();
	test_target();
	test_base_url();
	return check_summary();
}
