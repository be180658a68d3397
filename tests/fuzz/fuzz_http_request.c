/* Fuzz target: an HTTP request head as bootwire's own code sees it, in the order http_io.c's
 * callbacks and bw_http_answer() (http_answer.c) take it: the raw request-target kept
 * (cut to 200 bytes past BW_HTTP_URI_MAX: 414), the method (GET and HEAD only: 405), the
 * target decoded (http_url: 400, 414) and normalised (core/fspath: 403, 404, 414), the
 * head checked for ambiguous framing (http_head on the headers, http_raw on the bytes: 400),
 * the virtual files asked with the path and the raw query (the profile provider, as the daemon
 * registers it), the conditional and Range headers planned against the answer
 * (http_range), and the request's JSON log line written by core/log with the fields
 * http_completed() gives it.
 *
 * The input is the head as it arrives: a request line "METHOD SP TARGET SP VERSION", then
 * "Name: value" lines, to an empty line or the end ('\n' or "\r\n"). This file splits it the
 * simple way (libmicrohttpd's own parser is not ours to fuzz: it rejects much of what this
 * accepts); header names are matched without regard to case, the first of a name wins, as
 * MHD_lookup_connection_value() does.
 * Invariants (abort() when broken): the status is one bw_http_answer() can give for that
 * request; a path that reaches the files is relative, without "." or ".." or empty
 * segments; the virtual files fail only for want of memory (a 500 is never the
 * request's doing); the log line is one line of well-formed JSON, whatever the request held.
 * Built with libFuzzer (BW_FUZZ=ON) and, with replay_main.c, as a corpus replay test. */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fspath.h"
#include "core/log.h"
#include "core/util.h"
#include "core/vfs.h"
#include "http/http_conn.h"
#include "http/http_head.h"
#include "http/http_raw.h"
#include "http/http_range.h"
#include "http/http_url.h"
#include "profile/profile_config.h"
#include "fuzz_assert.h"

#define FUZZ_HEAD_MAX (16 * 1024) /* HTTP_POOL_SIZE: MHD refuses a longer head */
#define FUZZ_HDRS_MAX 64
#define FUZZ_PATH_MAX 1024 /* HTTP_PATH_MAX of http_answer.c */

struct fuzz_req {
	const char *method, *target, *version;
	unsigned n;
	const char *name[FUZZ_HDRS_MAX], *value[FUZZ_HDRS_MAX];
};

static char fuzz_buf[FUZZ_HEAD_MAX + 1];
static const char *fuzz_raw_why; /* the raw scanner's verdict on the input's bytes */

/* ---- a small profile set, as the daemon registers it for HTTP ---- */

static struct bw_profile fuzz_profiles[2] = {
	{.name = "shell", .kind = BW_PROFILE_IPXE, .idx = 0,
	 .script = "#!ipxe\necho ${hostname} ${ip} ${mac}\nshell\n"},
	{.name = "rescue", .kind = BW_PROFILE_LINUX, .idx = 1, .kernel = "rescue/vmlinuz",
	 .cmdline = "console=ttyS0 host=${hostname} mac=${mac}"},
};
static struct bw_profile_machine fuzz_machines[] = {
	{.has_mac = true, .mac = {0x52, 0x54, 0, 0x12, 0x34, 0x56},
	 .profile = &fuzz_profiles[1], .hostname = "node1"},
};
static struct bw_profile_set fuzz_set = {
	.profiles = {2, fuzz_profiles},
	.machines = {1, fuzz_machines},
	.loaders = {.pxelinux_dir = "", .grub_dir = "grub/"},
	.def = &fuzz_profiles[0],
};
static struct bw_vfs fuzz_vfs;
static struct sockaddr_in fuzz_peer = {.sin_family = AF_INET, .sin_port = 0xc0,
				       .sin_addr = {0x4d00000a}}; /* 10.0.0.77 */
static struct sockaddr_in fuzz_local = {.sin_family = AF_INET, .sin_port = 0x901f,
					.sin_addr = {0x0100000a}}; /* 10.0.0.1:8080 */

/* ---- the head, split ---- */

static char *fuzz_line(char **p)
{
	char *l = *p, *nl;

	if (!l)
		return NULL;
	nl = strchr(l, '\n');
	*p = nl ? nl + 1 : NULL;
	if (nl) {
		*nl = '\0';
		if (nl > l && nl[-1] == '\r')
			nl[-1] = '\0';
	}
	return l;
}

static char *fuzz_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static bool fuzz_split(char *buf, struct fuzz_req *rq)
{
	char *p = buf, *l = fuzz_line(&p), *sp1, *sp2;

	if (!l || !(sp1 = strchr(l, ' ')) || !(sp2 = strrchr(l, ' ')) || sp2 == sp1)
		return false;
	*sp1 = *sp2 = '\0';
	rq->method = l;
	rq->target = sp1 + 1;
	rq->version = sp2 + 1;
	rq->n = 0;
	while ((l = fuzz_line(&p)) && *l && rq->n < FUZZ_HDRS_MAX) {
		char *colon = strchr(l, ':');

		if (!colon || colon == l)
			continue; /* MHD refuses such a line; nothing of ours sees it */
		*colon = '\0';
		rq->name[rq->n] = l;
		rq->value[rq->n++] = fuzz_trim(colon + 1);
	}
	return true;
}

static const char *fuzz_hdr(const struct fuzz_req *rq, const char *name)
{
	for (unsigned i = 0; i < rq->n; i++)
		if (strcasecmp(rq->name[i], name) == 0)
			return rq->value[i];
	return NULL;
}

/* ---- the JSON log line ---- */

/* A JSON string at *p (after its opening quote) up to its closing quote. */
static bool fuzz_json_str(const char **p)
{
	const char *s = *p;

	for (;; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"') {
			*p = s + 1;
			return true;
		}
		if (c < 0x20)
			return false; /* also the end of the text */
		if (c != '\\')
			continue;
		s++;
		if (*s == 'u') {
			for (int i = 1; i <= 4; i++)
				if (bw_hex_digit(s[i]) < 0)
					return false;
			s += 4;
		} else if (!strchr("\"\\/bfnrt", *s) || !*s) {
			return false;
		}
	}
}

/* One flat object of string and number values, then a newline and nothing more. */
static bool fuzz_json_line(const char *s, size_t len)
{
	const char *p = s;

	if (len < 3 || strlen(s) != len || s[len - 1] != '\n' || memchr(s, '\n', len - 1))
		return false;
	if (*p++ != '{')
		return false;
	for (;;) {
		if (*p++ != '"' || !fuzz_json_str(&p) || *p++ != ':')
			return false;
		if (*p == '"') {
			p++;
			if (!fuzz_json_str(&p))
				return false;
		} else {
			if (!strchr("0123456789", *p))
				return false;
			while (strchr("0123456789.", *p) && *p)
				p++;
		}
		if (*p == '}')
			return p[1] == '\n' && p[2] == '\0';
		if (*p++ != ',')
			return false;
	}
}

/* The line http_completed() logs for c, captured from stderr. */
static void fuzz_check_log(const struct bw_http_conn *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *saved = stderr, *mem = open_memstream(&text, &len);

	FUZZ_ASSERT(mem != NULL);
	struct bw_log_field f[] = {
		BW_LF_S("method", c->method),
		BW_LF_S("path", c->uri),
		BW_LF_U("status", c->status),
		BW_LF_U("bytes", c->bytes),
		BW_LF_F("seconds", 0.001),
		BW_LF_S("range", c->range[0] ? c->range : "-"),
		BW_LF_S("agent", c->agent[0] ? c->agent : "-"),
		BW_LF_S("end", "ok"),
		BW_LF_S("mac", "-"),
	};
	stderr = mem;
	bw_log_f(BW_LOG_INFO, "http", "10.0.0.77:49152", f, sizeof(f) / sizeof(f[0]), "%s",
		 c->note ? c->note : "served");
	stderr = saved;
	FUZZ_ASSERT(fclose(mem) == 0);
	if (!fuzz_json_line(text, len))
		fprintf(stderr, "not one line of JSON (%zu bytes): %s\n", len, text);
	FUZZ_ASSERT(fuzz_json_line(text, len));
	free(text);
}

/* ---- bootwire's decisions ---- */

/* A bounded copy (NULL: ""), as http_io.c makes of the method and the logged headers. */
static void fuzz_copy(char *out, size_t cap, const char *v)
{
	size_t n = v ? strnlen(v, cap - 1) : 0;

	memcpy(out, v ? v : "", n);
	out[n] = '\0';
}

/* http_uri_cb and the first call of http_handler; false when the request is answered. */
static bool fuzz_accept(struct bw_http_conn *c, const struct fuzz_req *rq)
{
	size_t n = strlen(rq->target);
	const char *v;

	c->uri_too_long = n >= sizeof(c->uri);
	if (c->uri_too_long)
		n = 200;
	memcpy(c->uri, rq->target, n);
	c->uri[n] = '\0';
	fuzz_copy(c->method, sizeof(c->method), rq->method); /* snprintf in http_handler */
	c->head = strcmp(rq->method, "HEAD") == 0;
	/* http_copy_hdr: bounded copies for the log */
	v = fuzz_hdr(rq, "Range");
	fuzz_copy(c->range, sizeof(c->range), v);
	v = fuzz_hdr(rq, "User-Agent");
	fuzz_copy(c->agent, sizeof(c->agent), v);
	/* http_head_refused, then what the raw bytes showed (http_recv.c): 400 */
	struct bw_http_hdr h[FUZZ_HDRS_MAX];
	const char *why = NULL;
	for (unsigned i = 0; i < rq->n; i++)
		h[i] = (struct bw_http_hdr){rq->name[i], strlen(rq->name[i]), rq->value[i],
					    strlen(rq->value[i])};
	if (bw_http_head_check(rq->method, h, rq->n, &why) < 0 || (why = fuzz_raw_why)) {
		FUZZ_ASSERT(why && *why);
		c->status = 400;
		c->note = why;
		return false;
	}
	if (strcmp(rq->method, "GET") != 0 && !c->head) {
		c->status = 405;
		c->note = "only GET and HEAD";
		return false;
	}
	return true;
}

static void fuzz_plan(struct bw_http_conn *c, const struct fuzz_req *rq, uint64_t size,
		      const char *etag, bool has_mtime)
{
	struct bw_http_req_hdrs h = {
		.head = c->head,
		.range = fuzz_hdr(rq, "Range"),
		.if_range = fuzz_hdr(rq, "If-Range"),
		.if_match = fuzz_hdr(rq, "If-Match"),
		.if_none_match = fuzz_hdr(rq, "If-None-Match"),
		.if_modified_since = fuzz_hdr(rq, "If-Modified-Since"),
		.if_unmodified_since = fuzz_hdr(rq, "If-Unmodified-Since"),
	};
	struct bw_http_entity e = {.size = size, .etag = etag, .has_mtime = has_mtime,
				   .mtime = 1700000000};
	struct bw_http_plan plan;

	bw_http_plan(&h, &e, &plan);
	FUZZ_ASSERT(plan.status == 200 || plan.status == 206 || plan.status == 304 ||
		    plan.status == 412 || plan.status == 416);
	FUZZ_ASSERT(plan.first <= size && plan.len <= size - plan.first);
	c->status = plan.status;
	c->bytes = c->head ? 0 : plan.len;
}

static void fuzz_check_rel(const char *rel)
{
	FUZZ_ASSERT(rel[0] != '/' && rel[0] != '\0');
	for (const char *seg = rel; seg;) {
		const char *sl = strchr(seg, '/');
		size_t n = sl ? (size_t)(sl - seg) : strlen(seg);

		FUZZ_ASSERT(n > 0 && !(n == 1 && seg[0] == '.') &&
			    !(n == 2 && seg[0] == '.' && seg[1] == '.'));
		seg = sl ? sl + 1 : NULL;
	}
}

/* bw_http_answer: sets c->status and c->note. */
static void fuzz_answer(struct bw_http_conn *c, const struct fuzz_req *rq)
{
	char path[FUZZ_PATH_MAX], rel[FUZZ_PATH_MAX], etag[BW_HTTP_ETAG_MAX];
	const char *query = NULL;
	struct bw_blob *blob = NULL;
	size_t plen = 0;
	int r;

	c->status = 0;
	if (c->uri_too_long) {
		c->status = 414;
		return;
	}
	r = bw_http_target_parse(c->uri, path, sizeof(path), &plen, &query);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ENAMETOOLONG);
	if (r < 0) {
		c->status = r == -ENAMETOOLONG ? 414 : 400;
		return;
	}
	r = bw_fspath_normalize(path, plen, NULL, rel, sizeof(rel));
	FUZZ_ASSERT(r == 0 || r == -EACCES || r == -ENOENT || r == -ENAMETOOLONG);
	if (r < 0) {
		c->status = r == -EACCES ? 403 : r == -ENOENT ? 404 : 414;
		return;
	}
	fuzz_check_rel(rel);
	FUZZ_ASSERT(bw_http_content_type(rel) != NULL);
	struct bw_vfs_req vr = {.path = rel, .peer = (struct sockaddr *)&fuzz_peer,
				.local = (struct sockaddr *)&fuzz_local, .service = "http",
				.query = query};
	r = bw_vfs_open(&fuzz_vfs, &vr, &blob);
	if (r == 0) {
		c->note = "served (generated)";
		bw_http_etag_blob(blob->data, blob->len, etag, sizeof(etag));
		fuzz_plan(c, rq, blob->len, etag, false);
		bw_blob_unref(blob);
		return;
	}
	if (r != -ENOENT) {
		/* only the server's own trouble, never what the request held, is a 500 */
		FUZZ_ASSERT(r == -ENOMEM);
		c->status = 500;
		c->note = "virtual file failed";
		return;
	}
	/* a file of 1000 bytes below boot_root */
	FUZZ_ASSERT(bw_http_etag_file(4242, 1000, 1700000000, 0, etag, sizeof(etag)) == 0);
	fuzz_plan(c, rq, 1000, etag, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static struct bw_http_conn c;
	struct fuzz_req rq;

	if (!ready) {
		bw_vfs_init(&fuzz_vfs);
		FUZZ_ASSERT(bw_profile_vfs_register(&fuzz_vfs, &fuzz_set,
						    "http://${server}:8080/") == 0);
		bw_log_setup(BW_LOG_INFO, BW_LOG_JSON);
		ready = true;
	}
	if (size > FUZZ_HEAD_MAX)
		return 0;
	struct bw_http_raw raw;
	bw_http_raw_init(&raw);
	bw_http_raw_feed(&raw, data, size);
	fuzz_raw_why = raw.why;
	/* what has no CR, LF or NUL at all is never refused by the raw scanner */
	if (!memchr(data, '\r', size) && !memchr(data, '\n', size) && !memchr(data, 0, size))
		FUZZ_ASSERT(raw.why == NULL);
	memcpy(fuzz_buf, data, size);
	fuzz_buf[size] = '\0';
	if (!fuzz_split(fuzz_buf, &rq))
		return 0;
	memset(&c, 0, sizeof(c));
	if (fuzz_accept(&c, &rq))
		fuzz_answer(&c, &rq);
	FUZZ_ASSERT(c.status >= 200 && c.status <= 500);
	fuzz_check_log(&c);
	return 0;
}
