/* Small helpers shared by the system-test tools: clock, numbers, addresses, TFTP packets.
 * Deliberately independent of src/: the tools check the daemon, so they must not share its
 * parser or its bugs. Header-only, every function static. */
#ifndef BW_TEST_TFTP_COMMON_H
#define BW_TEST_TFTP_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

enum {
	TT_OP_RRQ = 1,
	TT_OP_WRQ = 2,
	TT_OP_DATA = 3,
	TT_OP_ACK = 4,
	TT_OP_ERROR = 5,
	TT_OP_OACK = 6,
};

#define TT_PKT_MAX 65536 /* 4 + 65464 fits; one more byte detects oversized packets */

static inline uint64_t tt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Parses a decimal number in [min, max]; rejects junk. */
static inline int tt_parse_ulong(const char *s, unsigned long min, unsigned long max,
				 unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Parses a probability in [0, 1], e.g. "0.05". */
static inline int tt_parse_prob(const char *s, double *ret)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= 0.0 && v <= 1.0))
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Numeric host and port to a socket address (IPv4 or IPv6, no DNS). */
static inline int tt_resolve(const char *host, const char *port, struct sockaddr_storage *ret,
			     socklen_t *ret_len)
{
	struct addrinfo hints, *res = NULL;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0 || !res)
		return -EINVAL;
	memcpy(ret, res->ai_addr, res->ai_addrlen);
	*ret_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6). */
static inline int tt_resolve_hostport(const char *s, struct sockaddr_storage *ret,
				      socklen_t *ret_len)
{
	char host[128];
	const char *colon, *h = s;
	size_t hl;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	return tt_resolve(host, colon + 1, ret, ret_len);
}

static inline uint16_t tt_sa_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

static inline void tt_sa_set_port(struct sockaddr_storage *sa, uint16_t port)
{
	if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
}

/* Same address (ports not compared). */
static inline bool tt_sa_same_host(const struct sockaddr_storage *a,
				   const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

static inline bool tt_sa_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return tt_sa_same_host(a, b) && tt_sa_port(a) == tt_sa_port(b);
}

static inline uint16_t tt_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void tt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Appends a NUL-terminated string; returns the new length or 0 when it does not fit. */
static inline size_t tt_put_str(uint8_t *buf, size_t cap, size_t len, const char *s)
{
	size_t n = strlen(s) + 1;

	if (len > cap || n > cap - len)
		return 0;
	memcpy(buf + len, s, n);
	return len + n;
}

struct tt_opt {
	const char *name;
	const char *value;
};

/* Builds RRQ/WRQ; returns its length or 0 when it does not fit. */
static inline size_t tt_build_req(uint8_t *buf, size_t cap, int op, const char *file,
				  const char *mode, const struct tt_opt *opts, unsigned n)
{
	size_t len;
	unsigned i;

	if (cap < 2)
		return 0;
	tt_put16(buf, (uint16_t)op);
	len = tt_put_str(buf, cap, 2, file);
	if (len)
		len = tt_put_str(buf, cap, len, mode);
	for (i = 0; i < n && len; i++) {
		len = tt_put_str(buf, cap, len, opts[i].name);
		if (len)
			len = tt_put_str(buf, cap, len, opts[i].value);
	}
	return len;
}

static inline size_t tt_build_ack(uint8_t *buf, uint16_t block)
{
	tt_put16(buf, TT_OP_ACK);
	tt_put16(buf + 2, block);
	return 4;
}

static inline size_t tt_build_error(uint8_t *buf, size_t cap, uint16_t code, const char *msg)
{
	size_t len;

	tt_put16(buf, TT_OP_ERROR);
	tt_put16(buf + 2, code);
	len = tt_put_str(buf, cap, 4, msg);
	return len ? len : 4;
}

/* Copies an ERROR packet's message, printable characters only. */
static inline void tt_error_text(const uint8_t *pkt, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 4; i < len && pkt[i] && o + 1 < cap; i++)
		out[o++] = (pkt[i] >= 0x20 && pkt[i] < 0x7f) ? (char)pkt[i] : '?';
	out[o] = '\0';
}

#endif
