#include "core/netaddr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int bw_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Two hex digits at s into *ret; false on anything else. */
static bool netaddr_hex_pair(const char *s, uint8_t *ret)
{
	int hi = bw_hex_digit(s[0]), lo = bw_hex_digit(s[1]);

	if (hi < 0 || lo < 0)
		return false;
	*ret = (uint8_t)(hi << 4 | lo);
	return true;
}

int bw_hex_parse(const char *s, size_t len, uint8_t *out, size_t cap, size_t *ret_n)
{
	char sep = len > 2 ? s[2] : '\0';
	size_t step = sep == ':' || sep == '-' ? 3 : 2, n;

	if (step == 2)
		sep = '\0';
	/* separated: 2 + 3(n-1) characters; run together: 2n */
	if (len < 2 || (step == 3 ? (len + 1) % 3 : len % 2))
		return -EINVAL;
	n = step == 3 ? (len + 1) / 3 : len / 2;
	if (n > cap)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const char *p = s + i * step;

		if (sep && i + 1 < n && p[2] != sep)
			return -EINVAL;
		if (!netaddr_hex_pair(p, &out[i]))
			return -EINVAL;
	}
	*ret_n = n;
	return 0;
}

size_t bw_hex_format(const uint8_t *v, size_t n, char sep, char *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	size_t need = n ? 2 * n + (sep ? n - 1 : 0) : 0, o = 0;

	for (size_t i = 0; i < n && cap; i++) {
		char c[3] = {sep, digits[v[i] >> 4], digits[v[i] & 15]};

		for (unsigned k = i && sep ? 0 : 1; k < 3; k++)
			if (o + 1 < cap)
				out[o++] = c[k];
	}
	if (cap)
		out[o] = '\0';
	return need;
}

int bw_mac_parse(const char *s, size_t len, uint8_t ret[6])
{
	uint8_t mac[6];
	size_t n;

	if (bw_hex_parse(s, len, mac, sizeof(mac), &n) < 0 || n != 6)
		return -EINVAL;
	memcpy(ret, mac, 6);
	return 0;
}

void bw_mac_format(const uint8_t mac[6], char sep, char out[BW_MAC_STRLEN])
{
	bw_hex_format(mac, 6, sep, out, BW_MAC_STRLEN);
}

/* A decimal number within [0, max] from len bytes, no leading zero. */
static int netaddr_decimal(const char *s, size_t len, unsigned max, unsigned *ret)
{
	unsigned v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int bw_ipv4_parse(const char *s, size_t len, uint32_t *ret)
{
	uint32_t a = 0;
	size_t o = 0;

	for (unsigned i = 0; i < 4; i++) {
		const char *dot = memchr(s + o, '.', len - o);
		size_t n = dot ? (size_t)(dot - (s + o)) : len - o;
		unsigned v;

		if ((i < 3) != (dot != NULL) || netaddr_decimal(s + o, n, 255, &v) < 0)
			return -EINVAL;
		a = a << 8 | v;
		o += n + 1;
	}
	*ret = a;
	return 0;
}

void bw_ipv4_format(uint32_t a, char out[BW_IPV4_STRLEN])
{
	snprintf(out, BW_IPV4_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
		 a & 255);
}

int bw_ipv4_prefix_parse(const char *s, size_t len, uint32_t *ret_addr, unsigned *ret_bits)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : 0;
	uint32_t a;
	unsigned bits;

	if (!slash || bw_ipv4_parse(s, alen, &a) < 0 ||
	    netaddr_decimal(slash + 1, len - alen - 1, 32, &bits) < 0)
		return -EINVAL;
	*ret_addr = a;
	*ret_bits = bits;
	return 0;
}

uint32_t bw_ipv4_mask(unsigned bits)
{
	return bits == 0 ? 0 : bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
}

int bw_ipv4_mask_bits(uint32_t mask)
{
	int bits = __builtin_popcount(mask);

	return bw_ipv4_mask((unsigned)bits) == mask ? bits : -1;
}

int bw_uuid_parse(const char *s, size_t len, uint8_t ret[16])
{
	static const unsigned group[] = {4, 2, 2, 2, 6}; /* bytes per group */
	uint8_t uuid[16];
	size_t o = 0, b = 0;

	if (len != 32 && len != 36)
		return -EINVAL;
	for (unsigned g = 0; g < 5; g++) {
		if (g && len == 36 && s[o++] != '-')
			return -EINVAL;
		for (unsigned k = 0; k < group[g]; k++, o += 2)
			if (!netaddr_hex_pair(s + o, &uuid[b++]))
				return -EINVAL;
	}
	memcpy(ret, uuid, 16);
	return 0;
}

void bw_uuid_format(const uint8_t u[16], char out[BW_UUID_STRLEN])
{
	size_t o = 0;

	for (unsigned i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		o += bw_hex_format(&u[i], 1, '\0', out + o, 3);
	}
	out[o] = '\0';
}
