/* The DHCP service on the event loop: one socket per configured interface (bound to it, port
 * 67, and 4011 in proxy mode), a packet socket per interface for replies to clients that have
 * no address yet, the lease store, and the log line per decision. */
#ifndef BW_DHCP_IO_H
#define BW_DHCP_IO_H

#include <uv.h>

#include "core/http_base.h"
#include "dhcp/dhcp_config.h"
#include "store/store.h"

struct bw_dhcp_service;
struct bw_peers;
struct bw_profile_set;

/* Opens the lease database, reinstates its leases, binds every interface's sockets and
 * starts serving. Must run before privileges are dropped (binding port 67, SO_BINDTODEVICE
 * and packet sockets need them). cfg and ps (may be NULL) must outlive the service; ps is
 * set before the leases are read back (machines' addresses are reservations). Errors are
 * logged. peers (may be NULL) learns the address of every lease, read back or granted.
 * store_opts (may be NULL): who owns the lease database's directory and files when they
 * are created (the user the daemon drops to). */
int bw_dhcp_service_new(uv_loop_t *loop, const struct bw_dhcp_config *cfg,
			const struct bw_profile_set *ps, struct bw_peers *peers,
			const struct bw_store_opts *store_opts, struct bw_dhcp_service **ret);

/* Our HTTP service (NULL: none), for the URLs handed to iPXE and HTTP boot clients. */
void bw_dhcp_service_set_http(struct bw_dhcp_service *svc, const struct bw_http_base *http);
/* Reload: reservations, boot files, limits, subnet options and profiles of cfg and ps apply
 * to the next request (see bw_dhcp_server_reconfigure); sockets, mode and the lease
 * database keep their start-up values. cfg and ps must outlive the next reload. */
void bw_dhcp_service_reload(struct bw_dhcp_service *svc, const struct bw_dhcp_config *cfg,
			    const struct bw_profile_set *ps);

/* Stops reading, lets pending lease writes finish (their replies still go out), closes
 * everything and frees the service from the loop. */
void bw_dhcp_service_stop(struct bw_dhcp_service *svc);

#endif
