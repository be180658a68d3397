/* Which machine is behind an address: IP -> MAC, learnt by DHCP (a lease granted, or read
 * back from the store) and by the profile files (a boot script asked for with ?mac= from an
 * address, which is how a proxyDHCP learns it), and read by TFTP and HTTP to put the MAC in
 * their log lines. A bounded table (the oldest entry of a bucket makes room); any thread. */
#ifndef BW_PEERS_H
#define BW_PEERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct bw_peers;

struct bw_peers *bw_peers_new(void);
void bw_peers_free(struct bw_peers *p);
/* Records that addr (AF_INET or AF_INET6; the port is ignored) is mac, at now_ms. */
void bw_peers_learn(struct bw_peers *p, const struct sockaddr *addr, const uint8_t mac[6],
		    uint64_t now_ms);
/* Records an IPv4 address given in host byte order, and the host name DHCP gave or was told
 * (NULL or "": none; a learn without one keeps a known name for the same MAC). */
void bw_peers_learn_v4(struct bw_peers *p, uint32_t addr, const uint8_t mac[6],
		       const char *hostname, uint64_t now_ms);
/* The host name known for addr, copied into out (cap bytes): true, or false when none. */
bool bw_peers_hostname(const struct bw_peers *p, const struct sockaddr *addr, char *out,
		       size_t cap);
/* The MAC last learnt for addr: true and ret_mac, or false. p may be NULL. */
bool bw_peers_lookup(const struct bw_peers *p, const struct sockaddr *addr, uint8_t ret_mac[6]);
/* The same, formatted aa:bb:cc:dd:ee:ff into out (and returned), or NULL. */
const char *bw_peers_mac_str(const struct bw_peers *p, const struct sockaddr *addr, char out[18]);

#endif
