/* The service table: every service the daemon can run, in start order. */
#ifndef BW_CLI_SERVICES_H
#define BW_CLI_SERVICES_H

#include "core/service.h"

/* Rows, defined beside each service (src/<service>/<service>_service.c). */
extern const struct bw_service bw_dhcp_service_row;
extern const struct bw_service bw_tftp_service_row;
extern const struct bw_service bw_http_service_row;

/* Start order. DHCP first: it opens the lease database, and a database that cannot be
 * opened stops the daemon before any service says it is listening. Nothing is answered
 * before every service has started (the loop runs after), so the order is invisible on
 * the wire. Stop order is the reverse. */
#define BW_SERVICES_INIT {&bw_dhcp_service_row, &bw_tftp_service_row, &bw_http_service_row}

#endif
