/* core/sock: the recvmmsg batch set-up, on a datagram socketpair (no network), reused
 * across reads the way the services reuse it. */
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "core/sock.h"

#define SLOTS 4
#define BUF 64

static void test_rx_batch(void)
{
	struct mmsghdr mm[SLOTS];
	struct iovec iov[SLOTS];
	struct sockaddr_storage from[SLOTS];
	uint8_t bufs[SLOTS][BUF];
	static const char long_dgram[] =
		"a datagram longer than a slot's sixty-four bytes, which the kernel truncates";
	int sv[2];
	int n;

	if (!CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0))
		return;
	for (int round = 0; round < 2; round++) {
		CHECK_EQ_INT(send(sv[1], "one", 3, 0), 3);
		CHECK_EQ_INT(send(sv[1], "second", 6, 0), 6);
		CHECK_EQ_INT(send(sv[1], long_dgram, sizeof(long_dgram) - 1, 0),
			     (int)sizeof(long_dgram) - 1);
		memset(bufs, 0xee, sizeof(bufs));
		bw_sock_rx_batch_prepare(mm, iov, from, sizeof(from[0]), bufs, sizeof(bufs[0]),
					 SLOTS);
		n = recvmmsg(sv[0], mm, SLOTS, MSG_DONTWAIT, NULL);
		CHECK_EQ_INT(n, 3);
		CHECK_EQ_INT(mm[0].msg_len, 3);
		CHECK_EQ_MEM(bufs[0], 3, "one", 3);
		CHECK_EQ_INT(mm[1].msg_len, 6);
		CHECK_EQ_MEM(bufs[1], 6, "second", 6);
		CHECK_EQ_INT(mm[2].msg_len, BUF); /* cut to the slot, flagged */
		CHECK(mm[2].msg_hdr.msg_flags & MSG_TRUNC);
		CHECK_EQ_INT(bufs[3][0], 0xee); /* the unused slot untouched */
		CHECK(iov[1].iov_base == bufs[1] && iov[1].iov_len == BUF);
		CHECK(mm[2].msg_hdr.msg_name == &from[2]);
	}
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	test_rx_batch();
	return check_summary();
}
