/* Tiny assertions for unit tests. Each CHECK_* prints both sides and file:line when it fails,
 * counts the failure and returns false; it never returns from or jumps out of the caller, so
 * a test that cannot go on after a failure says so itself:
 *
 *	if (!CHECK_EQ_INT(r, 0))
 *		return;
 *
 * main() ends with `return check_summary();`. Header-only: include it once per test program. */
#ifndef BW_TEST_CHECK_H
#define BW_TEST_CHECK_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BW_FIXTURES_DIR
#define BW_FIXTURES_DIR "tests/fixtures"
#endif

static unsigned check_n_run;
static unsigned check_n_failed;

/* Set by tests to say which case a failure belongs to (e.g. inside a loop); printed with it. */
static const char *check_context;

static void check_fail_where(const char *file, int line, const char *what)
{
	check_n_failed++;
	fprintf(stderr, "%s:%d: FAIL: %s", file, line, what);
	if (check_context)
		fprintf(stderr, " [%s]", check_context);
	fputc('\n', stderr);
}

static inline bool check_true(bool ok, const char *expr, const char *file, int line)
{
	check_n_run++;
	if (!ok)
		check_fail_where(file, line, expr);
	return ok;
}

static inline bool check_eq_int(long long a, long long b, const char *ea, const char *eb,
                                const char *file, int line)
{
	check_n_run++;
	if (a == b)
		return true;
	check_fail_where(file, line, "CHECK_EQ_INT");
	fprintf(stderr, "\t%s == %lld\n\t%s == %lld\n", ea, a, eb, b);
	return false;
}

static inline bool check_eq_u64(uint64_t a, uint64_t b, const char *ea, const char *eb,
                                const char *file, int line)
{
	check_n_run++;
	if (a == b)
		return true;
	check_fail_where(file, line, "CHECK_EQ_U64");
	fprintf(stderr,
	        "\t%s == %" PRIu64 " (0x%" PRIx64 ")\n\t%s == %" PRIu64 " (0x%" PRIx64 ")\n", ea, a,
	        a, eb, b, b);
	return false;
}

static inline void check_print_str(const char *label, const char *s)
{
	if (!s) {
		fprintf(stderr, "\t%s == NULL\n", label);
		return;
	}
	fprintf(stderr, "\t%s == \"", label);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			fputc(*p, stderr);
		else
			fprintf(stderr, "\\x%02x", *p);
	}
	fprintf(stderr, "\"\n");
}

static inline bool check_eq_str(const char *a, const char *b, const char *ea, const char *eb,
                                const char *file, int line)
{
	check_n_run++;
	if (a == b || (a && b && strcmp(a, b) == 0))
		return true;
	check_fail_where(file, line, "CHECK_EQ_STR");
	check_print_str(ea, a);
	check_print_str(eb, b);
	return false;
}

static inline void check_print_hex(const char *label, const uint8_t *p, size_t len, size_t from)
{
	size_t start = from > 16 ? (from - 16) & ~(size_t)15 : 0;
	size_t end = start + 64 < len ? start + 64 : len;

	fprintf(stderr, "\t%s (%zu bytes)%s", label, len, start ? ", from offset" : ":");
	if (start)
		fprintf(stderr, " %zu:", start);
	for (size_t i = start; i < end; i++)
		fprintf(stderr, "%s%02x", (i - start) % 16 ? " " : "\n\t\t", p[i]);
	fprintf(stderr, "%s\n", end < len ? " ..." : "");
}

static inline bool check_eq_mem(const void *a, size_t alen, const void *b, size_t blen,
                                const char *ea, const char *eb, const char *file, int line)
{
	const uint8_t *pa = a, *pb = b;
	size_t n = alen < blen ? alen : blen;
	size_t diff = 0;

	check_n_run++;
	if (alen == blen && (n == 0 || memcmp(pa, pb, n) == 0))
		return true;
	while (diff < n && pa[diff] == pb[diff])
		diff++;
	check_fail_where(file, line, "CHECK_EQ_MEM");
	fprintf(stderr, "\tlengths %zu and %zu, first difference at offset %zu\n", alen, blen,
	        diff);
	check_print_hex(ea, pa, alen, diff);
	check_print_hex(eb, pb, blen, diff);
	return false;
}

#define CHECK(expr) check_true((expr) ? true : false, #expr, __FILE__, __LINE__)
#define CHECK_EQ_INT(a, b) check_eq_int((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_U64(a, b) check_eq_u64((uint64_t)(a), (uint64_t)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_STR(a, b) check_eq_str((a), (b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_MEM(a, alen, b, blen)                                                             \
	check_eq_mem((a), (alen), (b), (blen), #a, #b, __FILE__, __LINE__)

/* Prints the totals; returns the process exit status (0 when nothing failed). */
static inline int check_summary(void)
{
	fprintf(stderr, "%u checks, %u failed\n", check_n_run, check_n_failed);
	return check_n_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Reads BW_FIXTURES_DIR/rel into a malloc'ed buffer (the caller frees *ret_buf). Returns 0 or a
 * negative errno; a missing or unreadable fixture also counts as a failed check. */
static inline int check_load_fixture(const char *rel, uint8_t **ret_buf, size_t *ret_len)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int r = 0;

	check_n_run++;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", BW_FIXTURES_DIR, rel) >= sizeof(path)) {
		r = -ENAMETOOLONG;
		goto out_fail;
	}
	f = fopen(path, "rb");
	if (!f) {
		r = -errno;
		goto out_fail;
	}
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint8_t *nbuf = realloc(buf, ncap);
			if (!nbuf) {
				r = -ENOMEM;
				goto out_close;
			}
			buf = nbuf;
			cap = ncap;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		r = -EIO;
out_close:
	fclose(f);
	if (r < 0) {
		free(buf);
		goto out_fail;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
out_fail:
	check_n_failed++;
	fprintf(stderr, "FAIL: cannot load fixture %s: %s\n", path, strerror(-r));
	return r;
}

#endif
