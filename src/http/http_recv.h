/* Feeding the bytes libmicrohttpd reads from plain-HTTP connections to their raw head
 * scanners (http_raw.h); how, and why, in http_recv.c. */
#ifndef BW_HTTP_RECV_H
#define BW_HTTP_RECV_H

#include <stdbool.h>

#include "http/http_raw.h"

/* Allocates the descriptor table (once per process); call before MHD's threads start. */
int bw_http_recv_init(void);
/* Starts feeding what is read from fd to r (initialised here); false when fd is beyond the
 * table (the connection is then not scanned). Only from the thread that reads fd. */
bool bw_http_recv_watch(int fd, struct bw_http_raw *r);
void bw_http_recv_unwatch(int fd);

#endif
