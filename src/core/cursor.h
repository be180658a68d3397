/* Bounds-checked reading and writing of byte buffers. Every getter checks what is left first;
 * nothing here forms a pointer past the end. Pure and header-only. */
#ifndef BW_CURSOR_H
#define BW_CURSOR_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bw_cursor {
	const uint8_t *p;
	size_t left;
};

static inline void bw_cur_init(struct bw_cursor *c, const uint8_t *buf, size_t len)
{
	c->p = buf;
	c->left = len;
}

static inline int bw_cur_u8(struct bw_cursor *c, uint8_t *ret)
{
	if (c->left < 1)
		return -EBADMSG;
	*ret = c->p[0];
	c->p++;
	c->left--;
	return 0;
}

static inline int bw_cur_be16(struct bw_cursor *c, uint16_t *ret)
{
	if (c->left < 2)
		return -EBADMSG;
	*ret = (uint16_t)((c->p[0] << 8) | c->p[1]);
	c->p += 2;
	c->left -= 2;
	return 0;
}

static inline int bw_cur_be32(struct bw_cursor *c, uint32_t *ret)
{
	if (c->left < 4)
		return -EBADMSG;
	*ret = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) | ((uint32_t)c->p[2] << 8) |
	       c->p[3];
	c->p += 4;
	c->left -= 4;
	return 0;
}

/* Returns a view of the next n bytes. */
static inline int bw_cur_bytes(struct bw_cursor *c, size_t n, const uint8_t **ret)
{
	if (c->left < n)
		return -EBADMSG;
	*ret = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

static inline int bw_cur_skip(struct bw_cursor *c, size_t n)
{
	const uint8_t *ignored;
	return bw_cur_bytes(c, n, &ignored);
}

/* A NUL-terminated string inside the buffer: returns a view (terminated in place) and its
 * length without the NUL. -EBADMSG when no NUL is left in the buffer. */
static inline int bw_cur_cstr(struct bw_cursor *c, const char **ret, size_t *ret_len)
{
	const uint8_t *nul = memchr(c->p, 0, c->left);
	if (!nul)
		return -EBADMSG;
	size_t n = (size_t)(nul - c->p);
	*ret = (const char *)c->p;
	*ret_len = n;
	c->p += n + 1;
	c->left -= n + 1;
	return 0;
}

/* Writing cursor: builders fail with -EMSGSIZE and never truncate. */
struct bw_wcursor {
	uint8_t *p;
	size_t left;
	size_t used;
};

static inline void bw_wcur_init(struct bw_wcursor *w, uint8_t *buf, size_t cap)
{
	w->p = buf;
	w->left = cap;
	w->used = 0;
}

static inline int bw_wcur_bytes(struct bw_wcursor *w, const void *src, size_t n)
{
	if (w->left < n)
		return -EMSGSIZE;
	if (n)
		memcpy(w->p, src, n);
	w->p += n;
	w->left -= n;
	w->used += n;
	return 0;
}

static inline int bw_wcur_u8(struct bw_wcursor *w, uint8_t v)
{
	return bw_wcur_bytes(w, &v, 1);
}

static inline int bw_wcur_be16(struct bw_wcursor *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return bw_wcur_bytes(w, b, 2);
}

static inline int bw_wcur_be32(struct bw_wcursor *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return bw_wcur_bytes(w, b, 4);
}

/* A string and its terminating NUL. */
static inline int bw_wcur_cstr(struct bw_wcursor *w, const char *s)
{
	return bw_wcur_bytes(w, s, strlen(s) + 1);
}

#endif
