#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int bw_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EBADMSG;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EBADMSG;
		if (!bw_mul_u64(v, 10, &v) || !bw_add_u64(v, (uint64_t)(*p - '0'), &v))
			return -EBADMSG;
	}
	if (v < min || v > max)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int bw_parse_size(const char *s, uint64_t *ret)
{
	char num[32];
	size_t n = s ? strlen(s) : 0;
	unsigned shift = 0;
	uint64_t v;

	if (n == 0 || n >= sizeof(num))
		return -EBADMSG;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: break;
	}
	if (shift)
		num[n - 1] = '\0';
	if (bw_parse_u64(num, 0, UINT64_MAX, &v) < 0)
		return -EBADMSG;
	if (shift && v > (UINT64_MAX >> shift))
		return -EBADMSG;
	*ret = v << shift;
	return 0;
}

char *bw_escape(const char *in, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (cap == 0)
		return out;
	for (size_t i = 0; i < len && in; i++) {
		unsigned char c = (unsigned char)in[i];
		char tmp[4];
		size_t n;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			tmp[0] = (char)c;
			n = 1;
		} else {
			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[c >> 4];
			tmp[3] = hex[c & 15];
			n = 4;
		}
		if (o + n >= cap)
			break;
		memcpy(out + o, tmp, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

uint64_t bw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
