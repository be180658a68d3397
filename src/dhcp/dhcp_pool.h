/* The address pool of one subnet: which address a client gets, offers that expire quickly,
 * bindings with a lease time, releases, and declined addresses held in quarantine.
 * Pure: the caller passes `now`. Durability is not kept here: the server hands each lease
 * that must outlive a restart back as a record to persist (struct bw_dhcp_out), dhcp_io
 * writes it to the store before the reply leaves, and bw_dhcp_pool_restore() puts the
 * store's rows back at start-up. */
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
	BW_DHCP_SLOT_RESERVED, /* a static reservation's address: never handed out dynamically */
};

/* A slot remembers the last MAC that held it even after its lease lapsed, so a client that
 * comes back gets its old address again when nobody took it meanwhile. */
struct bw_dhcp_slot {
	enum bw_dhcp_slot_state state;
	bool has_mac;
	uint8_t mac[6];
	uint64_t expires_ms; /* OFFERED, BOUND, DECLINED: when the state lapses */
	uint32_t offer_seq;  /* OFFERED: order of the offers, to find the oldest */
	bool taken_over;     /* OFFERED: made by taking over another client's pending offer */
	uint8_t decliner[6]; /* DECLINED: the client whose DECLINE put it there */
};

/* MAC -> slot index (open addressing, linear probing, at most half full). */
struct bw_dhcp_pool_idx {
	uint8_t mac[6];
	bool used;
	uint32_t slot;
};

#define BW_DHCP_POOL_MAX 65536 /* addresses in one range */

struct bw_dhcp_pool {
	uint32_t first, last; /* host byte order, inclusive */
	size_t n;
	struct bw_dhcp_slot *slots;
	uint32_t offer_ms;      /* how long an unanswered offer holds an address */
	uint32_t quarantine_ms; /* how long a declined address stays out */
	uint32_t next;          /* where the search for a free address starts (round robin) */
	struct bw_dhcp_pool_idx *idx;
	size_t idx_mask;        /* idx has idx_mask + 1 entries, a power of two >= 2n */
	uint32_t offer_seq;
	uint32_t decline_per_mac; /* addresses one client's DECLINEs may hold out; 0: no cap */
	uint32_t decline_percent; /* share of the pool that may be quarantined; 0: no cap */
};

/* What bw_dhcp_pool_trim_quarantine() (and a DECLINE) released early to stay within the
 * caps: quarantined addresses, oldest first (the one whose quarantine ends first). */
struct bw_dhcp_trim {
	unsigned by_client;  /* released because their client was over decline_per_mac */
	unsigned by_pool;    /* released because the pool was over decline_percent */
	uint32_t first;      /* the first address released, 0 when none */
	unsigned held;       /* quarantined addresses afterwards */
	unsigned pool_cap;   /* how many the pool may hold */
};

/* first..last in host byte order. -EINVAL for an empty or reversed range, -E2BIG above
 * BW_DHCP_POOL_MAX addresses, -ENOMEM. */
int bw_dhcp_pool_init(struct bw_dhcp_pool *p, uint32_t first, uint32_t last, uint32_t offer_ms,
		      uint32_t quarantine_ms);
void bw_dhcp_pool_done(struct bw_dhcp_pool *p);

/* Chooses an address for mac and holds it for offer_ms: the client's current (or lapsed
 * but untaken) address first, then the address it asked for (requested, 0 for none) when
 * that is free, then the next free one by round robin (lapsed offers and leases count as
 * free). When every address is offered or bound, the OLDEST pending offer is taken over:
 * a flood of DISCOVERs from random MACs then only ever recycles offers, and a real client,
 * which sends its REQUEST at once, keeps its offer. -ENOSPC when every address is bound,
 * reserved or quarantined. */
int bw_dhcp_pool_offer(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t requested,
		       uint64_t now, uint32_t *ret_addr);
/* Binds addr to mac until now + lease_ms (a REQUEST). -ERANGE outside the pool, -EACCES
 * when another client is bound to it, it is quarantined or reserved, -EBUSY while it is
 * offered to another client: an offer stands until it times out, so the client it was made
 * to gets its ACK. Only an offer that itself took over a pending one (the pool was full) goes
 * to the first client that REQUESTs the address: under a DISCOVER flood every offer is such
 * a take-over, and a client that REQUESTs at once is not starved by the flood's offers. Any
 * other address mac held in this pool is let go. */
int bw_dhcp_pool_bind(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr,
		      uint64_t now, uint32_t lease_ms);
/* RELEASE: frees addr if mac holds it; -EACCES otherwise, -ERANGE outside the pool. */
int bw_dhcp_pool_release(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr);
/* DECLINE: quarantines addr for quarantine_ms if it is bound to mac (-EACCES otherwise: an
 * offer is no binding, -ERANGE outside the pool), then keeps the quarantine within the caps
 * as bw_dhcp_pool_trim_quarantine() does (*ret_trim says what it released; may be NULL). */
int bw_dhcp_pool_decline(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr,
			 uint64_t now, struct bw_dhcp_trim *ret_trim);
/* Caps on the quarantine (a reload; 0: none): at most per_mac addresses declined by one
 * client, at most percent of the pool's addresses (at least one) in all. */
void bw_dhcp_pool_set_decline_caps(struct bw_dhcp_pool *p, uint32_t per_mac, uint32_t percent);
/* Releases quarantined addresses past the caps, oldest first: a client's own first when it is
 * over per_mac, then the pool's when it is over percent. The newest evidence of a conflict
 * wins: a DECLINE storm cannot take more than the cap out of the pool, and a genuine conflict
 * reported late is still quarantined. -ENOMEM (nothing released). */
int bw_dhcp_pool_trim_quarantine(struct bw_dhcp_pool *p, uint64_t now,
				 struct bw_dhcp_trim *ret_trim);
/* Takes addr out of dynamic allocation (a static reservation). -ERANGE outside the pool. */
int bw_dhcp_pool_reserve(struct bw_dhcp_pool *p, uint32_t addr);
/* Gives a reserved addr back to dynamic allocation (a reservation removed by a reload);
 * -ERANGE outside the pool, -ENOENT when it is not reserved. */
int bw_dhcp_pool_unreserve(struct bw_dhcp_pool *p, uint32_t addr);
/* New offer and quarantine durations (a reload), for offers and declines from now on. */
void bw_dhcp_pool_set_times(struct bw_dhcp_pool *p, uint32_t offer_ms, uint32_t quarantine_ms);
/* Reinstates a lease read from the store (BOUND or DECLINED until expires_ms); lapsed ones
 * only teach the pool whose address it was. -ERANGE outside, -EEXIST when the slot is
 * reserved or already held by another MAC (the store row loses). */
int bw_dhcp_pool_restore(struct bw_dhcp_pool *p, const uint8_t mac[6], uint32_t addr,
			 enum bw_dhcp_slot_state state, uint64_t expires_ms, uint64_t now);
/* The address mac holds (offered or bound and not lapsed): 0 and *ret_addr, or -ENOENT.
 * *ret_state tells which (may be NULL). */
int bw_dhcp_pool_find(const struct bw_dhcp_pool *p, const uint8_t mac[6], uint64_t now,
		      uint32_t *ret_addr, enum bw_dhcp_slot_state *ret_state);
/* The slot of addr, or NULL outside the pool. */
const struct bw_dhcp_slot *bw_dhcp_pool_slot(const struct bw_dhcp_pool *p, uint32_t addr);
/* Addresses neither offered, bound nor quarantined at now. */
size_t bw_dhcp_pool_free_count(const struct bw_dhcp_pool *p, uint64_t now);

/* Undoing a binding whose lease could not be made durable (its commit failed: no ACK went
 * out, so the pool must not keep the address bound either). Taken just before
 * bw_dhcp_pool_bind() with the binding's expiry. */
struct bw_dhcp_pool_undo {
	uint32_t addr;               /* the address bound; 0: nothing to undo */
	uint8_t mac[6];
	uint64_t until;              /* the binding's expires_ms: a later binding is not undone */
	struct bw_dhcp_slot before;  /* addr's slot before */
	uint32_t other;              /* mac's other address, which the bind lets go (0: none) */
	struct bw_dhcp_slot other_before;
};

/* Records what bw_dhcp_pool_bind(p, mac, addr, now, until - now) is about to change. */
void bw_dhcp_pool_undo_prepare(const struct bw_dhcp_pool *p, const uint8_t mac[6],
			       uint32_t addr, uint64_t until, struct bw_dhcp_pool_undo *ret);
/* Puts the slots back as they were before that bind: a previous lease (a renewal's) is
 * bound again until its old expiry, a free address is free again; an address that was only
 * offered becomes free, remembering whose it was (an offer binds nobody). Only while the
 * slot still holds that very binding: -ESTALE when a later request changed it (it stays
 * as it is), -ERANGE outside the pool. */
int bw_dhcp_pool_unbind(struct bw_dhcp_pool *p, const struct bw_dhcp_pool_undo *u);

#endif
