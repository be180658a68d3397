/* The stream reader: which bytes a protocol wants next and whether they are all there.
 * Pure: no sockets, no clock. Bytes arrive in any pieces through space()/commit(); next()
 * returns each complete request, keeping its state between calls (as iPXE's
 * iscsi_socket_deliver and nginx's parsers do). Only a partly filled request into the caller's
 * buffer holds bytes outside [pos, end): everything else stays staged until it is complete,
 * so a header is parsed (and its body length computed) once and delivered in one piece. */
#include "core/stream.h"

#include <errno.h>
#include <string.h>

void bw_stream_rd_init(struct bw_stream_rd *rd, uint8_t *buf, size_t cap)
{
	memset(rd, 0, sizeof(*rd));
	rd->buf = buf;
	rd->cap = cap;
}

size_t bw_stream_rd_staged(const struct bw_stream_rd *rd)
{
	return rd->end - rd->pos;
}

static bool rd_is_busy(const struct bw_stream_rd *rd)
{
	return rd->mode == BW_STREAM_RD_INTO && rd->have > 0;
}

static void rd_reset(struct bw_stream_rd *rd, enum bw_stream_rd_mode mode)
{
	rd->mode = mode;
	rd->want = 0;
	rd->dst = NULL;
	rd->have = 0;
	rd->have_body = false;
	rd->body = 0;
}

int bw_stream_rd_exact(struct bw_stream_rd *rd, size_t n)
{
	if (rd_is_busy(rd))
		return -EBUSY;
	if (n > rd->cap)
		return -EMSGSIZE;
	rd_reset(rd, BW_STREAM_RD_EXACT);
	rd->want = n;
	return 0;
}

int bw_stream_rd_into(struct bw_stream_rd *rd, void *dst, size_t n)
{
	if (rd_is_busy(rd))
		return -EBUSY;
	if (!dst)
		return -EINVAL;
	rd_reset(rd, BW_STREAM_RD_INTO);
	rd->dst = dst;
	rd->want = n;
	return 0;
}

int bw_stream_rd_frames(struct bw_stream_rd *rd, size_t hdr_len, size_t body_max,
                        bw_stream_body_len_fn body_len, void *arg)
{
	if (rd_is_busy(rd))
		return -EBUSY;
	if (!hdr_len || !body_len)
		return -EINVAL;
	if (hdr_len > rd->cap || body_max > rd->cap - hdr_len)
		return -EMSGSIZE;
	rd_reset(rd, BW_STREAM_RD_FRAMES);
	rd->hdr_len = hdr_len;
	rd->body_max = body_max;
	rd->body_len = body_len;
	rd->body_arg = arg;
	return 0;
}

int bw_stream_rd_stop(struct bw_stream_rd *rd)
{
	if (rd_is_busy(rd))
		return -EBUSY;
	rd_reset(rd, BW_STREAM_RD_NONE);
	return 0;
}

/* Consumes n staged bytes. The bytes stay where they are (views into them remain valid);
 * only the indices move, back to 0 once nothing is staged. */
static void rd_consume(struct bw_stream_rd *rd, size_t n)
{
	rd->pos += n;
	if (rd->pos == rd->end)
		rd->pos = rd->end = 0;
}

static int rd_next_exact(struct bw_stream_rd *rd, struct bw_stream_msg *ret)
{
	if (bw_stream_rd_staged(rd) < rd->want)
		return 0;
	*ret = (struct bw_stream_msg){.data = rd->buf + rd->pos, .len = rd->want};
	rd_consume(rd, rd->want);
	rd_reset(rd, BW_STREAM_RD_NONE);
	return 1;
}

static int rd_next_into(struct bw_stream_rd *rd, struct bw_stream_msg *ret)
{
	size_t n = bw_stream_rd_staged(rd);

	if (n > rd->want - rd->have)
		n = rd->want - rd->have;
	if (n) {
		memcpy(rd->dst + rd->have, rd->buf + rd->pos, n);
		rd->have += n;
		rd_consume(rd, n);
	}
	if (rd->have < rd->want)
		return 0;
	*ret = (struct bw_stream_msg){.data = rd->dst, .len = rd->want};
	rd_reset(rd, BW_STREAM_RD_NONE);
	return 1;
}

static int rd_next_frame(struct bw_stream_rd *rd, struct bw_stream_msg *ret)
{
	size_t staged = bw_stream_rd_staged(rd);
	uint8_t *hdr = rd->buf + rd->pos;

	if (staged < rd->hdr_len)
		return 0;
	if (!rd->have_body) {
		size_t n = 0;
		int r = rd->body_len(rd->body_arg, hdr, rd->hdr_len, &n);

		if (r < 0)
			return r;
		if (n > rd->body_max)
			return -EMSGSIZE;
		rd->body = n;
		rd->have_body = true;
	}
	if (staged - rd->hdr_len < rd->body)
		return 0;
	*ret = (struct bw_stream_msg){
	    .data = hdr, .len = rd->hdr_len, .body = hdr + rd->hdr_len, .body_len = rd->body};
	rd_consume(rd, rd->hdr_len + rd->body);
	rd->have_body = false;
	rd->body = 0;
	return 1;
}

int bw_stream_rd_next(struct bw_stream_rd *rd, struct bw_stream_msg *ret)
{
	switch (rd->mode) {
	case BW_STREAM_RD_EXACT:
		return rd_next_exact(rd, ret);
	case BW_STREAM_RD_INTO:
		return rd_next_into(rd, ret);
	case BW_STREAM_RD_FRAMES:
		return rd_next_frame(rd, ret);
	case BW_STREAM_RD_NONE:
		break;
	}
	return 0;
}

/* The staged bytes the current request needs in one piece, counted from pos. */
static size_t rd_need(const struct bw_stream_rd *rd)
{
	switch (rd->mode) {
	case BW_STREAM_RD_EXACT:
		return rd->want;
	case BW_STREAM_RD_INTO:
		return rd->want - rd->have;
	case BW_STREAM_RD_FRAMES:
		return rd->hdr_len + (rd->have_body ? rd->body : 0);
	case BW_STREAM_RD_NONE:
		break;
	}
	return 0;
}

bool bw_stream_rd_wants_input(const struct bw_stream_rd *rd)
{
	return rd->mode != BW_STREAM_RD_NONE && bw_stream_rd_staged(rd) < rd_need(rd);
}

bool bw_stream_rd_is_partial(const struct bw_stream_rd *rd)
{
	return bw_stream_rd_staged(rd) > 0 || rd_is_busy(rd);
}

void bw_stream_rd_space(struct bw_stream_rd *rd, uint8_t **ret_p, size_t *ret_len)
{
	size_t staged = bw_stream_rd_staged(rd);
	size_t missing = rd->want - rd->have;

	rd->direct =
	    rd->mode == BW_STREAM_RD_INTO && staged == 0 && missing >= BW_STREAM_DIRECT_MIN;
	if (rd->direct) {
		*ret_p = rd->dst + rd->have;
		*ret_len = missing;
		return;
	}
	/* Move the staged bytes to the front when the request would not fit behind them or no
	 * room is left: a message moves at most twice (once for a frame's header, once more for
	 * its body when the header tells how long it is). */
	if (rd->pos > 0 && (rd->end == rd->cap || rd_need(rd) > rd->cap - rd->pos)) {
		memmove(rd->buf, rd->buf + rd->pos, staged);
		rd->pos = 0;
		rd->end = staged;
	}
	*ret_p = rd->buf + rd->end;
	*ret_len = rd->cap - rd->end;
}

void bw_stream_rd_commit(struct bw_stream_rd *rd, size_t n)
{
	if (rd->direct)
		rd->have += n;
	else
		rd->end += n;
	rd->direct = false;
}
