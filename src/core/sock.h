/* Socket helpers: address parsing and printing, UDP sockets with packet info. */
#ifndef BW_SOCK_H
#define BW_SOCK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define BW_ADDRSTRLEN 64 /* "[ffff:...]:65535" */

/* Parses an IPv4 or IPv6 literal and a port into *ret. */
int bw_sock_addr_parse(const char *host, uint16_t port, struct sockaddr_storage *ret);
/* "1.2.3.4:69" or "[::1]:69". */
const char *bw_sock_addr_str(const struct sockaddr *sa, char *buf, size_t cap);
/* Only the address: "1.2.3.4" or "::1". */
const char *bw_sock_ip_str(const struct sockaddr *sa, char *buf, size_t cap);
socklen_t bw_sock_len(const struct sockaddr *sa);
bool bw_sock_same_ip(const struct sockaddr *a, const struct sockaddr *b);
bool bw_sock_same(const struct sockaddr *a, const struct sockaddr *b);
uint16_t bw_sock_port(const struct sockaddr *sa);

/* A non-blocking UDP socket bound to addr. With pktinfo, recvmsg reports the local address
 * each datagram was sent to (IP_PKTINFO / IPV6_RECVPKTINFO). Returns the fd or -errno. */
int bw_sock_udp_bind(const struct sockaddr *addr, bool pktinfo);

/* Reads the destination address of a datagram from recvmsg control data into *ret_local
 * (port left 0). -ENOENT when absent. */
int bw_sock_pktinfo_local(struct msghdr *mh, int family, struct sockaddr_storage *ret_local);

/* Writes an IP_PKTINFO / IPV6_PKTINFO control message that makes a datagram leave from
 * local's address; returns its length (0 when local has no address family we know). buf
 * must hold BW_SOCK_PKTINFO_SPACE bytes and be aligned for struct cmsghdr. */
#define BW_SOCK_PKTINFO_SPACE 64
size_t bw_sock_pktinfo_build(void *buf, const struct sockaddr *local);

/* True for 0.0.0.0 and ::. */
bool bw_sock_is_wildcard(const struct sockaddr *sa);

/* Asks for large socket buffers (forcing them past the sysctl limits when privileged). */
void bw_sock_set_buffers(int fd, int rcv, int snd);

/* Raises RLIMIT_NOFILE's soft limit to the hard limit. */
void bw_sock_raise_nofile(void);

/* Readies n slots for one recvmmsg: slot i reads into bufs + i * buf_size (buf_size bytes),
 * its source into froms + i * from_size (a sockaddr_in or sockaddr_storage array). Call
 * before every recvmmsg (the kernel writes the lengths). */
void bw_sock_rx_batch_prepare(struct mmsghdr *mm, struct iovec *iov, void *froms,
			      size_t from_size, void *bufs, size_t buf_size, unsigned n);

#endif
