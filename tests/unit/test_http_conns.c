/* The HTTP connection table (http_conns): head deadlines with a fake clock, the victim at
 * the connection limit, per-client counts and the accept decision. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "http/http_conns.h"

#define HEAD 2000
#define IDLE 30000

static void slot_at(struct bw_http_slot *s, const char *ip, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&s->addr;

	memset(s, 0, sizeof(*s));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	inet_pton(AF_INET, ip, &in->sin_addr);
	s->fd = -1;
}

static void test_deadlines(void)
{
	struct bw_http_conns t;
	struct bw_http_slot a, b;

	bw_http_conns_init(&t);
	slot_at(&a, "10.0.0.1", 1000);
	slot_at(&b, "10.0.0.2", 1000);
	CHECK_EQ_INT(bw_http_conns_next_deadline(&t), INT64_MAX);
	bw_http_conns_add(&t, &a, 0, HEAD);
	bw_http_conns_add(&t, &b, 500, HEAD);
	CHECK_EQ_INT(bw_http_conns_next_deadline(&t), 2000);
	CHECK(bw_http_conns_expired(&t, 1999) == NULL);
	CHECK(bw_http_conns_expired(&t, 2000) == &a);
	/* a request line does not extend the deadline of the connection (slowloris) */
	bw_http_conns_head(&t, &a, 1500, HEAD);
	CHECK_EQ_INT(a.deadline, 2000);
	CHECK_EQ_INT(a.state, BW_HTTP_SLOT_HEAD);
	/* a complete head: no deadline while it is answered */
	bw_http_conns_busy(&t, &a, 1900);
	CHECK_EQ_INT(a.deadline, INT64_MAX);
	CHECK(bw_http_conns_expired(&t, 100000) == &b);
	/* kept alive: the next head within the idle timeout plus head_ms */
	bw_http_conns_idle(&t, &a, 3000, IDLE, HEAD);
	CHECK_EQ_INT(a.deadline, 3000 + IDLE + HEAD);
	/* its next request line, late in the idle time: head_ms from there */
	bw_http_conns_head(&t, &a, 4000, HEAD);
	CHECK_EQ_INT(a.deadline, 6000);
	/* ... but never past the idle deadline */
	bw_http_conns_idle(&t, &a, 10000, IDLE, HEAD);
	bw_http_conns_head(&t, &a, 10000 + IDLE + 1000, HEAD);
	CHECK_EQ_INT(a.deadline, 10000 + IDLE + HEAD);
	/* closing ones are done with */
	bw_http_conns_closing(&t, &b);
	bw_http_conns_closing(&t, &b);
	CHECK_EQ_INT(t.n_closing, 1);
	CHECK_EQ_INT(bw_http_conns_live(&t), 1);
	CHECK_EQ_INT(bw_http_conns_next_deadline(&t), 10000 + IDLE + HEAD);
	CHECK(bw_http_conns_expired(&t, 10000 + IDLE + HEAD - 1) == NULL);
	bw_http_conns_remove(&t, &b);
	bw_http_conns_remove(&t, &a);
	CHECK_EQ_INT(t.n, 0);
	CHECK_EQ_INT(t.n_closing, 0);
	CHECK(t.head == NULL && t.tail == NULL);
}

static void test_victim(void)
{
	struct bw_http_conns t;
	struct bw_http_slot s[4];

	bw_http_conns_init(&t);
	for (int i = 0; i < 4; i++) {
		slot_at(&s[i], "10.0.0.1", (uint16_t)(1000 + i));
		bw_http_conns_add(&t, &s[i], i * 100, HEAD);
	}
	CHECK(bw_http_conns_victim(&t) == &s[0]); /* the oldest that sent nothing */
	bw_http_conns_head(&t, &s[0], 400, HEAD); /* sending its head: not idle */
	CHECK(bw_http_conns_victim(&t) == &s[1]);
	bw_http_conns_busy(&t, &s[1], 500); /* being answered: never a victim */
	CHECK(bw_http_conns_victim(&t) == &s[2]);
	bw_http_conns_busy(&t, &s[0], 600);
	bw_http_conns_idle(&t, &s[0], 700, IDLE, HEAD); /* idle since 700: the newest idle */
	CHECK(bw_http_conns_victim(&t) == &s[2]);
	bw_http_conns_closing(&t, &s[2]);
	CHECK(bw_http_conns_victim(&t) == &s[3]);
	bw_http_conns_remove(&t, &s[3]);
	CHECK(bw_http_conns_victim(&t) == &s[0]);
	bw_http_conns_busy(&t, &s[0], 800);
	CHECK(bw_http_conns_victim(&t) == NULL); /* everything busy (or closing) */
}

static void test_from(void)
{
	struct bw_http_conns t;
	struct bw_http_slot s[3], probe;

	bw_http_conns_init(&t);
	slot_at(&s[0], "10.0.0.1", 1000);
	slot_at(&s[1], "10.0.0.1", 1001);
	slot_at(&s[2], "10.0.0.2", 1000);
	for (int i = 0; i < 3; i++)
		bw_http_conns_add(&t, &s[i], 0, HEAD);
	slot_at(&probe, "10.0.0.1", 9);
	CHECK_EQ_INT(bw_http_conns_from(&t, (struct sockaddr *)&probe.addr), 2);
	bw_http_conns_closing(&t, &s[0]);
	CHECK_EQ_INT(bw_http_conns_from(&t, (struct sockaddr *)&probe.addr), 1);
	slot_at(&probe, "10.0.0.3", 9);
	CHECK_EQ_INT(bw_http_conns_from(&t, (struct sockaddr *)&probe.addr), 0);
}

static void test_admit(void)
{
	CHECK_EQ_INT(bw_http_conns_admit(0, 0, false, 32, 8), BW_HTTP_ADMIT);
	CHECK_EQ_INT(bw_http_conns_admit(31, 7, false, 32, 8), BW_HTTP_ADMIT);
	CHECK_EQ_INT(bw_http_conns_admit(32, 0, true, 32, 8), BW_HTTP_ADMIT_EVICT);
	CHECK_EQ_INT(bw_http_conns_admit(32, 0, false, 32, 8), BW_HTTP_REFUSE_FULL);
	/* the per-client limit comes first: a client at it never evicts anyone */
	CHECK_EQ_INT(bw_http_conns_admit(10, 8, true, 32, 8), BW_HTTP_REFUSE_CLIENT);
	CHECK_EQ_INT(bw_http_conns_admit(32, 8, true, 32, 8), BW_HTTP_REFUSE_CLIENT);
}

/* File answers: held until ended, skipped once closing, shrank only below the body's end. */
static void test_files(void)
{
	struct bw_http_conns t;
	struct bw_http_slot s[3];

	bw_http_conns_init(&t);
	for (int i = 0; i < 3; i++) {
		slot_at(&s[i], "10.0.0.1", (uint16_t)(1000 + i));
		bw_http_conns_add(&t, &s[i], 0, HEAD);
		bw_http_conns_busy(&t, &s[i], 10);
	}
	CHECK_EQ_INT(bw_http_conns_files(&t), 0);
	CHECK(bw_http_conns_next_file(&t, NULL) == NULL);
	CHECK_EQ_INT(bw_http_conns_file_end(&t, &s[0]), -1); /* none held: nothing to close */
	bw_http_conns_file_start(&t, &s[0], 7, 1000);
	bw_http_conns_file_start(&t, &s[2], 9, 4096 + 500); /* a range ending at 4596 */
	CHECK_EQ_INT(bw_http_conns_files(&t), 2);
	CHECK(bw_http_conns_next_file(&t, NULL) == &s[0]);
	CHECK(bw_http_conns_next_file(&t, &s[0]) == &s[2]);
	CHECK(bw_http_conns_next_file(&t, &s[2]) == NULL);
	/* a file at or past the body's end can still complete it; below, never */
	CHECK(!bw_http_slot_file_shrank(&s[0], 1000));
	CHECK(!bw_http_slot_file_shrank(&s[0], 5000));
	CHECK(bw_http_slot_file_shrank(&s[0], 999));
	CHECK(bw_http_slot_file_shrank(&s[2], 4595));
	CHECK(!bw_http_slot_file_shrank(&s[1], 0)); /* no file answer */
	/* the closer skips a connection it already closed */
	bw_http_conns_closing(&t, &s[0]);
	CHECK(bw_http_conns_next_file(&t, NULL) == &s[2]);
	CHECK_EQ_INT(bw_http_conns_files(&t), 2);
	CHECK_EQ_INT(bw_http_conns_file_end(&t, &s[0]), 7);
	CHECK_EQ_INT(bw_http_conns_file_end(&t, &s[0]), -1);
	CHECK_EQ_INT(bw_http_conns_files(&t), 1);
	/* a connection taken out with its file answer still held stops counting */
	bw_http_conns_remove(&t, &s[2]);
	CHECK_EQ_INT(bw_http_conns_files(&t), 0);
	CHECK(bw_http_conns_next_file(&t, NULL) == NULL);
}

int main(void)
{
	test_deadlines();
	test_victim();
	test_from();
	test_admit();
	test_files();
	return check_summary();
}
