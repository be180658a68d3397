#include "http/http_range.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- Range ---------------------------------------------------------------------------- */

static bool range_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool range_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A token character (RFC 9110 5.6.2), for the range unit. */
static bool range_is_tchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Reads 1*DIGIT at s[*i], saturating at UINT64_MAX. False when there is no digit. */
static bool range_number(const char *s, size_t len, size_t *i, uint64_t *ret)
{
	uint64_t v = 0;
	size_t start = *i;

	while (*i < len && range_is_digit(s[*i])) {
		unsigned d = (unsigned)(s[*i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			v = UINT64_MAX;
		else
			v = v * 10 + d;
		(*i)++;
	}
	*ret = v;
	return *i > start;
}

/* One range-spec at s[*i] (up to the next ',' or the end), resolved against size.
 * Returns 1 satisfiable (*ret set), 0 unsatisfiable, -EBADMSG malformed, and 2 for a suffix
 * range of an empty body: satisfiable, but there is no byte to name in a Content-Range. */
static int range_spec(const char *s, size_t len, size_t *i, uint64_t size,
		      struct bw_http_range *ret)
{
	uint64_t a, b;

	if (*i < len && s[*i] == '-') { /* suffix-range: the last b bytes */
		(*i)++;
		if (!range_number(s, len, i, &b))
			return -EBADMSG;
		if (b == 0)
			return 0;
		if (size == 0)
			return 2;
		ret->first = b >= size ? 0 : size - b;
		ret->len = size - ret->first;
		return 1;
	}
	if (!range_number(s, len, i, &a) || *i >= len || s[*i] != '-')
		return -EBADMSG;
	(*i)++;
	if (*i < len && range_is_digit(s[*i])) {
		if (!range_number(s, len, i, &b))
			return -EBADMSG;
		if (b < a)
			return -EBADMSG; /* RFC 9110 14.1.1: invalid, the header is ignored */
	} else {
		b = UINT64_MAX;
	}
	if (a >= size)
		return 0;
	if (b > size - 1)
		b = size - 1;
	ret->first = a;
	ret->len = b - a + 1;
	return 1;
}

int bw_http_range_parse(const char *s, size_t len, uint64_t size, struct bw_http_range *ret)
{
	struct bw_http_range one = {0, 0};
	unsigned n_specs = 0, n_ok = 0, n_empty_ok = 0;
	size_t i = 0, u;

	while (i < len && range_is_ows(s[i]))
		i++;
	u = i;
	while (i < len && range_is_tchar(s[i]))
		i++;
	if (i == u || i >= len || s[i] != '=')
		return -EBADMSG;
	bool bytes = i - u == 5 && strncasecmp(s + u, "bytes", 5) == 0;
	i++;
	/* 1#range-spec: elements separated by commas with optional whitespace; empty elements
	 * are allowed (RFC 9110 5.6.1). */
	for (;;) {
		struct bw_http_range r;
		int k;

		while (i < len && (range_is_ows(s[i]) || s[i] == ','))
			i++;
		if (i >= len)
			break;
		k = range_spec(s, len, &i, size, &r);
		if (k < 0)
			return k;
		while (i < len && range_is_ows(s[i]))
			i++;
		if (i < len && s[i] != ',')
			return -EBADMSG;
		n_specs++;
		if (k == 1 && n_ok++ == 0)
			one = r;
		if (k == 2)
			n_empty_ok++;
	}
	if (n_specs == 0)
		return -EBADMSG;
	if (!bytes)
		return -EOPNOTSUPP;
	if (n_ok + n_empty_ok == 0)
		return -ERANGE;
	if (n_specs > 1 || n_empty_ok)
		return -EOPNOTSUPP;
	*ret = one;
	return 0;
}

int bw_http_content_range(const struct bw_http_range *r, uint64_t size, char *out, size_t cap)
{
	int n;

	if (r)
		n = snprintf(out, cap, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, r->first,
			     r->first + r->len - 1, size);
	else
		n = snprintf(out, cap, "bytes */%" PRIu64, size);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* ---- entity tags ---------------------------------------------------------------------- */

int bw_http_etag_file(uint64_t ino, uint64_t size, int64_t mtime_s, long mtime_ns, char *out,
		      size_t cap)
{
	int n = snprintf(out, cap, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 ".%lx\"", ino, size,
			 (uint64_t)mtime_s, (unsigned long)mtime_ns);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int bw_http_etag_blob(const void *data, size_t len, char *out, size_t cap)
{
	const uint8_t *p = data;
	uint64_t h = 1469598103934665603ull;
	int n;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	n = snprintf(out, cap, "\"g%016" PRIx64 "-%zx\"", h, len);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

bool bw_http_etag_matches(const char *list, const char *etag, bool strong)
{
	size_t el = strlen(etag);
	const char *p = list;
	bool matched = false;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '*') {
		for (p++; *p == ' ' || *p == '\t'; p++)
			;
		return *p == '\0';
	}
	/* Read the whole list: a malformed one matches nothing. */
	for (;;) {
		bool weak = false;
		const char *q;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (p[0] == 'W' && p[1] == '/') {
			weak = true;
			p += 2;
		}
		if (*p != '"')
			return false;
		q = strchr(p + 1, '"');
		if (!q)
			return false;
		/* opaque-tag including its quotes: [p, q] */
		if ((size_t)(q - p + 1) == el && memcmp(p, etag, el) == 0 && !(strong && weak))
			matched = true;
		p = q + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != ',')
			return false;
	}
	return matched;
}

/* ---- dates ----------------------------------------------------------------------------- */

static const char date_months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char date_wdays[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t date_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static void date_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Exactly n digits at *p. */
static bool date_digits(const char **p, unsigned n, unsigned *ret)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!range_is_digit((*p)[i]))
			return false;
		v = v * 10 + (unsigned)((*p)[i] - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

static bool date_lit(const char **p, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

static bool date_month(const char **p, unsigned *ret)
{
	for (unsigned i = 0; i < 12; i++) {
		if (strncmp(*p, date_months[i], 3) == 0) {
			*p += 3;
			*ret = i + 1;
			return true;
		}
	}
	return false;
}

/* "HH:MM:SS" */
static bool date_time(const char **p, unsigned *h, unsigned *mi, unsigned *s)
{
	return date_digits(p, 2, h) && date_lit(p, ":") && date_digits(p, 2, mi) &&
	       date_lit(p, ":") && date_digits(p, 2, s) && *h < 24 && *mi < 60 && *s <= 60;
}

int bw_http_date_parse(const char *s, int64_t *ret)
{
	const char *p = s;
	unsigned d, m, y, h, mi, sec;
	int64_t year;

	while ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
		p++; /* day name: "Sun" or "Sunday" */
	if (p == s)
		return -EBADMSG;
	if (date_lit(&p, ", ")) {
		if (range_is_digit(p[0]) && range_is_digit(p[1]) && p[2] == ' ') {
			/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
			if (!(date_digits(&p, 2, &d) && date_lit(&p, " ") && date_month(&p, &m) &&
			      date_lit(&p, " ") && date_digits(&p, 4, &y) && date_lit(&p, " ") &&
			      date_time(&p, &h, &mi, &sec) && date_lit(&p, " GMT")))
				return -EBADMSG;
			year = y;
		} else {
			/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; two-digit years from 1970 */
			if (!(date_digits(&p, 2, &d) && date_lit(&p, "-") && date_month(&p, &m) &&
			      date_lit(&p, "-") && date_digits(&p, 2, &y) && date_lit(&p, " ") &&
			      date_time(&p, &h, &mi, &sec) && date_lit(&p, " GMT")))
				return -EBADMSG;
			year = y < 70 ? 2000 + y : 1900 + y;
		}
	} else if (date_lit(&p, " ")) {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		if (!(date_month(&p, &m) && date_lit(&p, " ")))
			return -EBADMSG;
		if (*p == ' ')
			p++;
		if (range_is_digit(p[0]) && range_is_digit(p[1])) {
			if (!date_digits(&p, 2, &d))
				return -EBADMSG;
		} else if (!date_digits(&p, 1, &d)) {
			return -EBADMSG;
		}
		if (!(date_lit(&p, " ") && date_time(&p, &h, &mi, &sec) && date_lit(&p, " ") &&
		      date_digits(&p, 4, &y)))
			return -EBADMSG;
		year = y;
	} else {
		return -EBADMSG;
	}
	if (d < 1 || d > 31)
		return -EBADMSG;
	/* Old clients append "; length=N" to If-Modified-Since: what follows is ignored. */
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p && *p != ';')
		return -EBADMSG;
	*ret = date_days_from_civil(year, m, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
}

int bw_http_date_format(int64_t t, char *out, size_t cap)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400, y;
	unsigned m, d;
	int n;

	date_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return -ERANGE;
	n = snprintf(out, cap, "%s, %02u %s %04d %02d:%02d:%02d GMT",
		     date_wdays[((days % 7) + 7) % 7], d, date_months[m - 1], (int)y,
		     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* ---- the decision ---------------------------------------------------------------------- */

/* If-Range: an entity tag (strong comparison) or a date (equal to Last-Modified). */
static bool plan_if_range_holds(const char *v, const struct bw_http_entity *e)
{
	int64_t t;

	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '"' || (v[0] == 'W' && v[1] == '/'))
		return bw_http_etag_matches(v, e->etag, true);
	return e->has_mtime && bw_http_date_parse(v, &t) == 0 && t == e->mtime;
}

void bw_http_plan(const struct bw_http_req_hdrs *h, const struct bw_http_entity *e,
		  struct bw_http_plan *ret)
{
	struct bw_http_range r;
	int64_t t;
	int k;

	ret->first = 0;
	ret->len = 0;
	if (h->if_match) {
		if (!bw_http_etag_matches(h->if_match, e->etag, true)) {
			ret->status = 412;
			return;
		}
	} else if (h->if_unmodified_since && e->has_mtime &&
		   bw_http_date_parse(h->if_unmodified_since, &t) == 0 && e->mtime > t) {
		ret->status = 412;
		return;
	}
	if (h->if_none_match) {
		if (bw_http_etag_matches(h->if_none_match, e->etag, false)) {
			ret->status = 304;
			return;
		}
	} else if (h->if_modified_since && e->has_mtime &&
		   bw_http_date_parse(h->if_modified_since, &t) == 0 && e->mtime <= t) {
		ret->status = 304;
		return;
	}
	ret->status = 200;
	ret->len = e->size;
	if (h->head || !h->range || (h->if_range && !plan_if_range_holds(h->if_range, e)))
		return;
	k = bw_http_range_parse(h->range, strlen(h->range), e->size, &r);
	if (k == 0) {
		ret->status = 206;
		ret->first = r.first;
		ret->len = r.len;
	} else if (k == -ERANGE) {
		ret->status = 416;
		ret->len = 0;
	}
}

/* ---- content types --------------------------------------------------------------------- */

static const struct {
	const char *ext;
	const char *type;
} http_types[] = {
	/* UEFI HTTP boot tells images apart by these (edk2 HttpBootDxe) */
	{"efi", "application/efi"},
	{"iso", "application/vnd.efi-iso"},
	{"img", "application/vnd.efi-img"},
	/* scripts and configs */
	{"ipxe", "text/plain"},
	{"cfg", "text/plain"},
	{"conf", "text/plain"},
	{"txt", "text/plain"},
	{"ks", "text/plain"},
	{"seed", "text/plain"},
	{"preseed", "text/plain"},
	{"sh", "text/plain"},
	{"yaml", "text/plain"},
	{"yml", "text/plain"},
	{"lst", "text/plain"},
	{"menu", "text/plain"},
	{"json", "application/json"},
	{"xml", "application/xml"},
	{"html", "text/html"},
	{"htm", "text/html"},
	{"css", "text/css"},
	{"js", "text/javascript"},
	{"png", "image/png"},
	{"jpg", "image/jpeg"},
	{"jpeg", "image/jpeg"},
	{"gif", "image/gif"},
	{"svg", "image/svg+xml"},
	/* archives, initramfs */
	{"cpio", "application/x-cpio"},
	{"gz", "application/gzip"},
	{"tgz", "application/gzip"},
	{"xz", "application/x-xz"},
	{"zst", "application/zstd"},
	{"bz2", "application/x-bzip2"},
	{"lz4", "application/x-lz4"},
	{"tar", "application/x-tar"},
	{"zip", "application/zip"},
	/* loaders and kernels: binary */
	{"0", "application/octet-stream"},
	{"kpxe", "application/octet-stream"},
	{"kkpxe", "application/octet-stream"},
	{"pxe", "application/octet-stream"},
	{"lkrn", "application/octet-stream"},
	{"c32", "application/octet-stream"},
	{"com", "application/octet-stream"},
	{"bin", "application/octet-stream"},
	{"mod", "application/octet-stream"},
	{"pf2", "application/octet-stream"},
	{"wim", "application/octet-stream"},
	{"sdi", "application/octet-stream"},
	{"squashfs", "application/octet-stream"},
};

/* True when a directory component of path (not its last one) is one of the config
 * directories whose files have no extension: pxelinux.cfg/01-52-54-00-12-34-56. */
static bool http_in_config_dir(const char *path)
{
	static const char *const dirs[] = {"pxelinux.cfg", "grub", "grub2"};

	for (const char *p = path;;) {
		const char *slash = strchr(p, '/');

		if (!slash)
			return false;
		for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
			if ((size_t)(slash - p) == strlen(dirs[i]) &&
			    strncasecmp(p, dirs[i], (size_t)(slash - p)) == 0)
				return true;
		p = slash + 1;
	}
}

const char *bw_http_content_type(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot && dot != base) {
		for (unsigned i = 0; i < sizeof(http_types) / sizeof(http_types[0]); i++)
			if (strcasecmp(dot + 1, http_types[i].ext) == 0)
				return http_types[i].type;
	}
	if (http_in_config_dir(path))
		return "text/plain";
	return "application/octet-stream";
}
