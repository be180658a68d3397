/* The TFTP service on the event loop: the listening socket, a socket per transfer on a port
 * the kernel picks (the server's TID, RFC 1350, which a client learns only by receiving the
 * first answer: docs/design.md tells why), a timer per transfer, limits, logging. */
#ifndef BW_TFTP_IO_H
#define BW_TFTP_IO_H

#include <uv.h>

#include "core/vfs.h"
#include "tftp/tftp_config.h"

struct bw_tftp_service;

/* Binds the listening socket on listen (one of cfg's addresses: each address is a service
 * of its own, with its own limits; its transfers' sockets bind the address each request
 * arrived on) and starts serving. cfg, boot_root
 * and vfs must outlive the service. */
int bw_tftp_service_new(uv_loop_t *loop, const struct bw_tftp_config *cfg, const char *listen,
			const char *boot_root, const struct bw_vfs *vfs,
			struct bw_tftp_service **ret);
/* Aborts every transfer (partial uploads are removed), closes the sockets and frees the
 * service once libuv has closed its handles. */
void bw_tftp_service_stop(struct bw_tftp_service *svc);
/* Reload: cfg (a section of snap, of which the service takes a reference) applies to the
 * next request; transfers in progress keep the snapshot they started under. */
struct bw_peers;
/* Who is behind an address (NULL: nobody knows), for the MAC in the transfer log lines. */
void bw_tftp_service_set_peers(struct bw_tftp_service *svc, const struct bw_peers *peers);
void bw_tftp_service_reload(struct bw_tftp_service *svc, const struct bw_tftp_config *cfg,
			    struct bw_config *snap);

#endif
