/* Small pure helpers: checked arithmetic, number parsing, escaping for logs. */
#ifndef BW_UTIL_H
#define BW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses a plain decimal number (digits only: no sign, spaces or junk) into *ret when it is
 * within [min, max]; -EBADMSG otherwise (also on overflow). */
int bw_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Parses a size with an optional K/M/G/T suffix (powers of 1024), e.g. "64M". */
int bw_parse_size(const char *s, uint64_t *ret);

/* Checked arithmetic: false on overflow (and *ret untouched). */
static inline bool bw_add_u64(uint64_t a, uint64_t b, uint64_t *ret)
{
	uint64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return false;
	*ret = r;
	return true;
}
static inline bool bw_mul_u64(uint64_t a, uint64_t b, uint64_t *ret)
{
	uint64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return false;
	*ret = r;
	return true;
}
static inline bool bw_mul_size(size_t a, size_t b, size_t *ret)
{
	size_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return false;
	*ret = r;
	return true;
}

/* Copies at most len bytes of untrusted text into out (cap bytes, always NUL-terminated),
 * escaping control characters, quotes, backslashes and non-ASCII as \xNN. Returns out. */
char *bw_escape(const char *in, size_t len, char *out, size_t cap);

/* Monotonic milliseconds. */
uint64_t bw_now_ms(void);

#endif
