/* tftp_tid HOST PORT FILE EXPECTED_SIZE: checks that a packet from a foreign port gets
 * ERROR 5 without disturbing the transfer (RFC 1350 "unknown transfer ID").
 * Socket A reads FILE lock-step at blksize 512; after the first DATA, socket B (another
 * port) sends an ACK to the server's transfer port and must get ERROR 5; A then finishes
 * and the byte count must equal EXPECTED_SIZE. Exit 0 on success. Bounded: 2 s per wait,
 * at most 1,000,000 blocks. Plain C11 and libc, independent of src/. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("socket");
		exit(2);
	}
	return fd;
}

/* Waits up to 2 s for a datagram; returns its length or -1. */
static ssize_t recv_wait(int fd, uint8_t *buf, size_t cap, struct sockaddr_in *from)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	socklen_t fl = sizeof(*from);

	if (poll(&p, 1, 2000) != 1)
		return -1;
	return recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &fl);
}

static void send_ack(int fd, const struct sockaddr_in *to, uint16_t block)
{
	uint8_t ack[4] = {0, 4, (uint8_t)(block >> 8), (uint8_t)block};

	sendto(fd, ack, 4, 0, (const struct sockaddr *)to, sizeof(*to));
}

int main(int argc, char **argv)
{
	struct sockaddr_in srv = {.sin_family = AF_INET}, tid, from;
	uint8_t buf[1024], err[600], req[600];
	unsigned long long total, want;
	uint16_t expect = 2;
	size_t rl;
	ssize_t n;
	int a, b;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &srv.sin_addr) != 1 ||
	    strlen(argv[3]) > 500) {
		fprintf(stderr, "usage: tftp_tid HOST PORT FILE EXPECTED_SIZE\n");
		return 2;
	}
	srv.sin_port = htons((uint16_t)atoi(argv[2]));
	want = strtoull(argv[4], NULL, 10);
	a = udp_socket();
	b = udp_socket();
	req[0] = 0;
	req[1] = 1;
	rl = 2 + (size_t)sprintf((char *)req + 2, "%s", argv[3]) + 1;
	memcpy(req + rl, "octet", 6);
	rl += 6;
	sendto(a, req, rl, 0, (struct sockaddr *)&srv, sizeof(srv));
	n = recv_wait(a, buf, sizeof(buf), &tid);
	if (n < 4 || buf[1] != 3 || buf[3] != 1) {
		fprintf(stderr, "tftp_tid: no DATA 1\n");
		return 1;
	}
	total = (unsigned long long)(n - 4);
	/* the intruder: the transfer's server port, from another client port */
	send_ack(b, &tid, 1);
	n = recv_wait(b, err, sizeof(err) - 1, &from);
	if (n < 4 || err[1] != 5 || err[3] != 5 || from.sin_port != tid.sin_port) {
		fprintf(stderr, "tftp_tid: the foreign port got no ERROR 5 from the transfer port\n");
		return 1;
	}
	err[n] = 0;
	printf("foreign port got ERROR 5 \"%s\"\n", (char *)err + 4);
	send_ack(a, &tid, 1);
	for (unsigned long i = 0; total % 512 == 0 && i < 1000000; i++) {
		n = recv_wait(a, buf, sizeof(buf), &from);
		if (n < 4 || from.sin_port != tid.sin_port || buf[1] != 3) {
			fprintf(stderr, "tftp_tid: transfer stalled after %llu bytes\n", total);
			return 1;
		}
		if (((buf[2] << 8) | buf[3]) != expect)
			continue; /* a retransmission */
		total += (unsigned long long)(n - 4);
		send_ack(a, &tid, expect);
		if (n - 4 < 512)
			break;
		expect++;
	}
	printf("transfer completed: %llu bytes (expected %llu)\n", total, want);
	return total == want ? 0 : 1;
}
