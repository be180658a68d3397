#include "core/peers.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/netaddr.h"

#define PEERS_BUCKETS 4096 /* power of two */
#define PEERS_WAYS 4

struct peers_entry {
	bool used;
	uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	uint8_t mac[6];
	char hostname[64];
	uint64_t seen_ms;
};

struct bw_peers {
	pthread_mutex_t mu; /* HTTP's thread reads while the loop learns */
	struct peers_entry e[PEERS_BUCKETS][PEERS_WAYS];
};

struct bw_peers *bw_peers_new(void)
{
	struct bw_peers *p = calloc(1, sizeof(*p));

	if (p)
		pthread_mutex_init(&p->mu, NULL);
	return p;
}

void bw_peers_free(struct bw_peers *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* addr as 16 bytes; false for other families. */
static bool peers_key(const struct sockaddr *sa, uint8_t k[16])
{
	if (sa->sa_family == AF_INET) {
		memset(k, 0, 10);
		k[10] = k[11] = 0xff;
		memcpy(k + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(k, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	return false;
}

static unsigned peers_hash(const uint8_t k[16])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ k[i]) * 16777619u;
	return h & (PEERS_BUCKETS - 1);
}

static void peers_put(struct bw_peers *p, const uint8_t k[16], const uint8_t mac[6],
		      const char *hostname, uint64_t now_ms)
{
	struct peers_entry *b = p->e[peers_hash(k)], *slot = &b[0];

	pthread_mutex_lock(&p->mu);
	for (int i = 0; i < PEERS_WAYS; i++) {
		if (b[i].used && memcmp(b[i].addr, k, 16) == 0) {
			slot = &b[i];
			break;
		}
		if (!b[i].used || b[i].seen_ms < slot->seen_ms)
			slot = &b[i]; /* a free way, else the oldest */
	}
	if (hostname && *hostname)
		snprintf(slot->hostname, sizeof(slot->hostname), "%s", hostname);
	else if (!slot->used || memcmp(slot->mac, mac, 6) != 0)
		slot->hostname[0] = '\0'; /* another machine now: its name is not known */
	slot->used = true;
	memcpy(slot->addr, k, 16);
	memcpy(slot->mac, mac, 6);
	slot->seen_ms = now_ms;
	pthread_mutex_unlock(&p->mu);
}

void bw_peers_learn(struct bw_peers *p, const struct sockaddr *addr, const uint8_t mac[6],
		    uint64_t now_ms)
{
	uint8_t k[16];

	if (p && peers_key(addr, k))
		peers_put(p, k, mac, NULL, now_ms);
}

void bw_peers_learn_v4(struct bw_peers *p, uint32_t addr, const uint8_t mac[6],
		       const char *hostname, uint64_t now_ms)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(addr)};
	uint8_t k[16];

	if (p && peers_key((const struct sockaddr *)&sin, k))
		peers_put(p, k, mac, hostname, now_ms);
}

/* The entry of addr under the lock, copied out. */
static bool peers_get(const struct bw_peers *p, const struct sockaddr *addr,
		      struct peers_entry *ret)
{
	struct bw_peers *mp = (struct bw_peers *)p; /* the lock is not part of the value */
	const struct peers_entry *b;
	uint8_t k[16];
	bool found = false;

	if (!p || !peers_key(addr, k))
		return false;
	b = p->e[peers_hash(k)];
	pthread_mutex_lock(&mp->mu);
	for (int i = 0; i < PEERS_WAYS && !found; i++) {
		if (b[i].used && memcmp(b[i].addr, k, 16) == 0) {
			*ret = b[i];
			found = true;
		}
	}
	pthread_mutex_unlock(&mp->mu);
	return found;
}

bool bw_peers_hostname(const struct bw_peers *p, const struct sockaddr *addr, char *out,
		       size_t cap)
{
	struct peers_entry e;

	if (!peers_get(p, addr, &e) || !e.hostname[0])
		return false;
	snprintf(out, cap, "%s", e.hostname);
	return true;
}

bool bw_peers_lookup(const struct bw_peers *p, const struct sockaddr *addr, uint8_t ret_mac[6])
{
	struct peers_entry e;

	if (!peers_get(p, addr, &e))
		return false;
	memcpy(ret_mac, e.mac, 6);
	return true;
}

const char *bw_peers_mac_str(const struct bw_peers *p, const struct sockaddr *addr, char out[18])
{
	uint8_t m[6];

	if (!bw_peers_lookup(p, addr, m))
		return NULL;
	bw_mac_format(m, ':', out);
	return out;
}
