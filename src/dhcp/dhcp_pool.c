#include "dhcp/dhcp_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int bw_dhcp_pool_init(struct bw_dhcp_pool *p, uint32_t first, uint32_t last, uint32_t offer_ms,
		      uint32_t quarantine_ms)
{
	uint64_t n;

	memset(p, 0, sizeof(*p));
	if (last < first)
		return -EINVAL;
	n = (uint64_t)last - first + 1;
	if (n > BW_DHCP_POOL_MAX)
		return -E2BIG;
	p->slots = calloc((size_t)n, sizeof(*p->slots));
	if (!p->slots)
		return -ENOMEM;
	p->first = first;
	p->last = last;
	p->n = (size_t)n;
	p->offer_ms = offer_ms;
	p->quarantine_ms = quarantine_ms;
	return 0;
}

void bw_dhcp_pool_done(struct bw_dhcp_pool *p)
{
	free(p->slots);
	p->slots = NULL;
	p->n = 0;
}

static struct bw_dhcp_slot *pool_slot(const struct bw_dhcp_pool *p, uint32_t addr)
{
	if (addr < p->first || addr > p->last)
		return NULL;
	return &p->slots[addr - p->first];
}

const struct bw_dhcp_slot *bw_dhcp_pool_slot(const struct bw_dhcp_pool *p, uint32_t addr)
{
	return pool_slot(p, addr);
}

/* A slot whose state has lapsed is free again. */
static bool pool_is_free(const struct bw_dhcp_slot *s, uint64_t now)
{
	return s->state == BW_DHCP_SLOT_FREE || s->expires_ms <= now;
}

static bool pool_held_by(const struct bw_dhcp_slot *s, const uint8_t mac[6], uint64_t now)
{
	return (s->state == BW_DHCP_SLOT_OFFERED || s->state == BW_DHCP_SLOT_BOUND) &&
	       s->expires_ms > now && memcmp(s->mac, mac, 6) == 0;
}

static void pool_hold(struct bw_dhcp_slot *s, const uint8_t mac[6], uint64_t until)
{
	s->state = BW_DHCP_SLOT_OFFERED;
	memcpy(s->mac, mac, 6);
	s->expires_ms = until;
}

int bw_dhcp_pool_offer(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t requested,
		       uint64_t now, uint32_t *ret_addr)
{
	struct bw_dhcp_slot *s;

	for (size_t i = 0; i < p->n; i++) {
		s = &p->slots[i];
		if (pool_held_by(s, mac, now)) {
			if (s->state == BW_DHCP_SLOT_OFFERED)
				s->expires_ms = now + p->offer_ms;
			*ret_addr = p->first + (uint32_t)i;
			return 0;
		}
	}
	s = pool_slot(p, requested);
	if (s && pool_is_free(s, now)) {
		pool_hold(s, mac, now + p->offer_ms);
		*ret_addr = requested;
		return 0;
	}
	for (size_t k = 0; k < p->n; k++) {
		size_t i = (p->next + k) % p->n;

		s = &p->slots[i];
		if (!pool_is_free(s, now))
			continue;
		pool_hold(s, mac, now + p->offer_ms);
		p->next = (uint32_t)((i + 1) % p->n);
		*ret_addr = p->first + (uint32_t)i;
		return 0;
	}
	return -ENOSPC;
}

int bw_dhcp_pool_bind(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr,
		      uint64_t now, uint32_t lease_ms)
{
	struct bw_dhcp_slot *s = pool_slot(p, addr);

	if (!s)
		return -ERANGE;
	if (!pool_is_free(s, now) && !pool_held_by(s, mac, now))
		return -EACCES;
	s->state = BW_DHCP_SLOT_BOUND;
	memcpy(s->mac, mac, 6);
	s->expires_ms = now + lease_ms;
	return 0;
}

int bw_dhcp_pool_release(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr)
{
	struct bw_dhcp_slot *s = pool_slot(p, addr);

	if (!s)
		return -ERANGE;
	if (s->state != BW_DHCP_SLOT_BOUND && s->state != BW_DHCP_SLOT_OFFERED)
		return -EACCES;
	if (memcmp(s->mac, mac, 6) != 0)
		return -EACCES;
	s->state = BW_DHCP_SLOT_FREE;
	s->expires_ms = 0;
	return 0;
}

int bw_dhcp_pool_decline(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr,
			 uint64_t now)
{
	struct bw_dhcp_slot *s = pool_slot(p, addr);

	if (!s)
		return -ERANGE;
	if (!pool_held_by(s, mac, now))
		return -EACCES;
	s->state = BW_DHCP_SLOT_DECLINED;
	memset(s->mac, 0, 6);
	s->expires_ms = now + p->quarantine_ms;
	return 0;
}

size_t bw_dhcp_pool_free_count(const struct bw_dhcp_pool *p, uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		if (pool_is_free(&p->slots[i], now))
			n++;
	return n;
}
