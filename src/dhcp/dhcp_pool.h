/* The address pool of one subnet: which address a client gets, offers that expire quickly,
 * bindings with a lease time, releases, and declined addresses held in quarantine.
 * Pure: the caller passes `now`; durability is the store's job (later). */
#ifndef BW_DHCP_POOL_H
#define BW_DHCP_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bw_dhcp_slot_state {
	BW_DHCP_SLOT_FREE = 0,
	BW_DHCP_SLOT_OFFERED,  /* held for a client until its offer expires */
	BW_DHCP_SLOT_BOUND,    /* leased until `expires_ms` */
	BW_DHCP_SLOT_DECLINED, /* a client found it in use (DECLINE): quarantined */
};

struct bw_dhcp_slot {
	enum bw_dhcp_slot_state state;
	uint8_t mac[6];
	uint64_t expires_ms; /* OFFERED, BOUND, DECLINED: when the state lapses */
};

#define BW_DHCP_POOL_MAX 65536 /* addresses in one range */

struct bw_dhcp_pool {
	uint32_t first, last; /* host byte order, inclusive */
	size_t n;
	struct bw_dhcp_slot *slots;
	uint32_t offer_ms;      /* how long an unanswered offer holds an address */
	uint32_t quarantine_ms; /* how long a declined address stays out */
	uint32_t next;          /* where the search for a free address starts (round robin) */
};

/* first..last in host byte order. -EINVAL for an empty or reversed range, -E2BIG above
 * BW_DHCP_POOL_MAX addresses, -ENOMEM. */
int bw_dhcp_pool_init(struct bw_dhcp_pool *p, uint32_t first, uint32_t last, uint32_t offer_ms,
		      uint32_t quarantine_ms);
void bw_dhcp_pool_done(struct bw_dhcp_pool *p);

/* Chooses an address for mac and holds it for offer_ms: the client's current lease or
 * offer first, then the address it asked for (requested, 0 for none) when that is free,
 * then the next free one (expired offers and leases count as free, the least recently used
 * first by round robin). -ENOSPC when every address is taken. */
int bw_dhcp_pool_offer(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t requested,
		       uint64_t now, uint32_t *ret_addr);
/* Binds addr to mac until now + lease_ms (a REQUEST). -ERANGE outside the pool, -EACCES
 * when another client holds it (offered or bound and not expired) or it is quarantined. */
int bw_dhcp_pool_bind(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr,
		      uint64_t now, uint32_t lease_ms);
/* RELEASE: frees addr if mac holds it; -EACCES otherwise, -ERANGE outside the pool. */
int bw_dhcp_pool_release(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr);
/* DECLINE: quarantines addr for quarantine_ms if mac holds it. */
int bw_dhcp_pool_decline(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr,
			 uint64_t now);
/* The slot of addr, or NULL outside the pool. */
const struct bw_dhcp_slot *bw_dhcp_pool_slot(const struct bw_dhcp_pool *p, uint32_t addr);
/* Addresses neither offered, bound nor quarantined at now. */
size_t bw_dhcp_pool_free_count(const struct bw_dhcp_pool *p, uint64_t now);

#endif
