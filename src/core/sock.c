#include "core/sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int bw_sock_addr_parse(const char *host, uint16_t port, struct sockaddr_storage *ret)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (!host || !*host)
		host = "0.0.0.0";
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		char tmp[INET6_ADDRSTRLEN + 2];
		size_t n = strlen(host);

		/* Accept "[::1]" as well as "::1". */
		if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(tmp)) {
			memcpy(tmp, host + 1, n - 2);
			tmp[n - 2] = '\0';
			host = tmp;
		}
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
	}
	*ret = ss;
	return 0;
}

const char *bw_sock_ip_str(const struct sockaddr *sa, char *buf, size_t cap)
{
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)cap);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)cap);
	else
		snprintf(buf, cap, "?");
	return buf;
}

const char *bw_sock_addr_str(const struct sockaddr *sa, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	bw_sock_ip_str(sa, ip, sizeof(ip));
	if (sa->sa_family == AF_INET6)
		snprintf(buf, cap, "[%s]:%u", ip, bw_sock_port(sa));
	else
		snprintf(buf, cap, "%s:%u", ip, bw_sock_port(sa));
	return buf;
}

socklen_t bw_sock_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

uint16_t bw_sock_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

bool bw_sock_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

bool bw_sock_same(const struct sockaddr *a, const struct sockaddr *b)
{
	return bw_sock_same_ip(a, b) && bw_sock_port(a) == bw_sock_port(b);
}

int bw_sock_udp_bind(const struct sockaddr *addr, bool pktinfo)
{
	int one = 1;
	int fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return -errno;
	if (addr->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (pktinfo) {
		if (addr->sa_family == AF_INET)
			r = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		else
			r = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		if (r < 0)
			goto out_close;
	}
	if (bind(fd, addr, bw_sock_len(addr)) < 0)
		goto out_close;
	return fd;
out_close:
	r = -errno;
	close(fd);
	return r;
}

int bw_sock_pktinfo_local(struct msghdr *mh, int family, struct sockaddr_storage *ret_local)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (family == AF_INET && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			struct sockaddr_in *in = (struct sockaddr_in *)ret_local;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(ret_local, 0, sizeof(*ret_local));
			in->sin_family = AF_INET;
			in->sin_addr = pi.ipi_addr;
			return 0;
		}
		if (family == AF_INET6 && c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret_local;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(ret_local, 0, sizeof(*ret_local));
			in6->sin6_family = AF_INET6;
			in6->sin6_addr = pi.ipi6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
				in6->sin6_scope_id = pi.ipi6_ifindex;
			return 0;
		}
	}
	return -ENOENT;
}

void bw_sock_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

size_t bw_sock_pktinfo_build(void *buf, const struct sockaddr *local)
{
	struct msghdr mh = {.msg_control = buf, .msg_controllen = BW_SOCK_PKTINFO_SPACE};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	memset(buf, 0, BW_SOCK_PKTINFO_SPACE);
	if (local->sa_family == AF_INET) {
		struct in_pktinfo pi = {0};

		pi.ipi_spec_dst = ((const struct sockaddr_in *)local)->sin_addr;
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	if (local->sa_family == AF_INET6) {
		struct in6_pktinfo pi = {0};
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)local;

		pi.ipi6_addr = in6->sin6_addr;
		pi.ipi6_ifindex = in6->sin6_scope_id;
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	return 0;
}

bool bw_sock_is_wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

void bw_sock_set_buffers(int fd, int rcv, int snd)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
}

void bw_sock_rx_batch_prepare(struct mmsghdr *mm, struct iovec *iov, void *froms,
			      size_t from_size, void *bufs, size_t buf_size, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){.iov_base = (uint8_t *)bufs + i * buf_size,
					.iov_len = buf_size};
		mm[i].msg_hdr = (struct msghdr){.msg_name = (uint8_t *)froms + i * from_size,
						.msg_namelen = (socklen_t)from_size,
						.msg_iov = &iov[i], .msg_iovlen = 1};
		mm[i].msg_len = 0;
	}
}
