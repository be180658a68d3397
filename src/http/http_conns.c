/* The connection table: see http_conns.h. */
#include "http/http_conns.h"

#include <stddef.h>
#include <string.h>

#include "core/sock.h"

void bw_http_conns_init(struct bw_http_conns *t)
{
	memset(t, 0, sizeof(*t));
}

static void http_conns_unlink(struct bw_http_conns *t, struct bw_http_slot *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		t->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		t->tail = s->prev;
	s->prev = s->next = NULL;
}

static void http_conns_append(struct bw_http_conns *t, struct bw_http_slot *s)
{
	s->prev = t->tail;
	s->next = NULL;
	if (t->tail)
		t->tail->next = s;
	else
		t->head = s;
	t->tail = s;
}

/* s enters state at now: it moves to the end (the table stays ordered by since). */
static void http_conns_enter(struct bw_http_conns *t, struct bw_http_slot *s,
                             enum bw_http_slot_state state, int64_t now, int64_t deadline)
{
	http_conns_unlink(t, s);
	http_conns_append(t, s);
	s->state = state;
	s->since = now;
	s->deadline = deadline;
}

void bw_http_conns_add(struct bw_http_conns *t, struct bw_http_slot *s, int64_t now,
                       int64_t head_ms)
{
	s->prev = s->next = NULL;
	s->closing = false;
	s->file_fd = -1;
	http_conns_append(t, s);
	t->n++;
	s->state = BW_HTTP_SLOT_NEW;
	s->since = now;
	s->deadline = now + head_ms;
}

void bw_http_conns_head(struct bw_http_conns *t, struct bw_http_slot *s, int64_t now,
                        int64_t head_ms)
{
	(void)t;
	s->state = BW_HTTP_SLOT_HEAD; /* keeps its place: it is not a victim */
	if (now + head_ms < s->deadline)
		s->deadline = now + head_ms;
}

void bw_http_conns_busy(struct bw_http_conns *t, struct bw_http_slot *s, int64_t now)
{
	http_conns_enter(t, s, BW_HTTP_SLOT_BUSY, now, INT64_MAX);
}

void bw_http_conns_idle(struct bw_http_conns *t, struct bw_http_slot *s, int64_t now,
                        int64_t idle_ms, int64_t head_ms)
{
	http_conns_enter(t, s, BW_HTTP_SLOT_IDLE, now, now + idle_ms + head_ms);
}

void bw_http_conns_closing(struct bw_http_conns *t, struct bw_http_slot *s)
{
	if (!s->closing) {
		s->closing = true;
		t->n_closing++;
	}
}

void bw_http_conns_remove(struct bw_http_conns *t, struct bw_http_slot *s)
{
	http_conns_unlink(t, s);
	t->n--;
	if (s->closing)
		t->n_closing--;
	s->closing = false;
	if (s->file_fd >= 0)
		t->n_files--;
	s->file_fd = -1;
}

void bw_http_conns_file_start(struct bw_http_conns *t, struct bw_http_slot *s, int file_fd,
                              uint64_t end)
{
	if (s->file_fd < 0 && file_fd >= 0)
		t->n_files++;
	s->file_fd = file_fd;
	s->file_end = end;
}

int bw_http_conns_file_end(struct bw_http_conns *t, struct bw_http_slot *s)
{
	int fd = s->file_fd;

	if (fd >= 0)
		t->n_files--;
	s->file_fd = -1;
	return fd;
}

unsigned bw_http_conns_files(const struct bw_http_conns *t)
{
	return t->n_files;
}

struct bw_http_slot *bw_http_conns_next_file(const struct bw_http_conns *t,
                                             const struct bw_http_slot *prev)
{
	for (struct bw_http_slot *s = prev ? prev->next : t->head; s; s = s->next)
		if (!s->closing && s->file_fd >= 0)
			return s;
	return NULL;
}

bool bw_http_slot_file_shrank(const struct bw_http_slot *s, uint64_t size)
{
	return s->file_fd >= 0 && size < s->file_end;
}

unsigned bw_http_conns_live(const struct bw_http_conns *t)
{
	return t->n - t->n_closing;
}

unsigned bw_http_conns_from(const struct bw_http_conns *t, const struct sockaddr *addr)
{
	unsigned n = 0;

	for (const struct bw_http_slot *s = t->head; s; s = s->next)
		if (!s->closing && bw_sock_same_ip((const struct sockaddr *)&s->addr, addr))
			n++;
	return n;
}

static bool http_conns_is_idle(const struct bw_http_slot *s)
{
	return !s->closing && (s->state == BW_HTTP_SLOT_NEW || s->state == BW_HTTP_SLOT_IDLE);
}

struct bw_http_slot *bw_http_conns_victim(const struct bw_http_conns *t)
{
	for (struct bw_http_slot *s = t->head; s; s = s->next)
		if (http_conns_is_idle(s))
			return s;
	return NULL;
}

struct bw_http_slot *bw_http_conns_expired(const struct bw_http_conns *t, int64_t now)
{
	for (struct bw_http_slot *s = t->head; s; s = s->next)
		if (!s->closing && s->deadline <= now)
			return s;
	return NULL;
}

int64_t bw_http_conns_next_deadline(const struct bw_http_conns *t)
{
	int64_t next = INT64_MAX;

	for (const struct bw_http_slot *s = t->head; s; s = s->next)
		if (!s->closing && s->deadline < next)
			next = s->deadline;
	return next;
}

enum bw_http_admit bw_http_conns_admit(unsigned live, unsigned from_client, bool have_victim,
                                       unsigned max_connections, unsigned max_per_client)
{
	if (from_client >= max_per_client)
		return BW_HTTP_REFUSE_CLIENT;
	if (live < max_connections)
		return BW_HTTP_ADMIT;
	return have_victim ? BW_HTTP_ADMIT_EVICT : BW_HTTP_REFUSE_FULL;
}
