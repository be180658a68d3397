/* core/util.h: the number parser every option value goes through, sizes with suffixes, checked
 * arithmetic and escaping of wire text for logs. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "core/util.h"

static void test_parse_u64(void)
{
	static const struct {
		const char *s;
		uint64_t min, max;
		int r;
		uint64_t v;
	} cases[] = {
	    {"0", 0, UINT64_MAX, 0, 0},
	    {"1", 0, UINT64_MAX, 0, 1},
	    {"512", 8, 65464, 0, 512},
	    {"8", 8, 65464, 0, 8},
	    {"65464", 8, 65464, 0, 65464},
	    {"7", 8, 65464, -EBADMSG, 0},
	    {"65465", 8, 65464, -EBADMSG, 0},
	    {"18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX},
	    {"18446744073709551616", 0, UINT64_MAX, -EBADMSG, 0},
	    {"99999999999999999999999", 0, UINT64_MAX, -EBADMSG, 0},
	    {"4294967808", 0, 65535, -EBADMSG, 0},
	    {"", 0, UINT64_MAX, -EBADMSG, 0},
	    {"+5", 0, UINT64_MAX, -EBADMSG, 0},
	    {"-5", 0, UINT64_MAX, -EBADMSG, 0},
	    {"-0", 0, UINT64_MAX, -EBADMSG, 0},
	    {" 5", 0, UINT64_MAX, -EBADMSG, 0},
	    {"5 ", 0, UINT64_MAX, -EBADMSG, 0},
	    {"\t5", 0, UINT64_MAX, -EBADMSG, 0},
	    {"5\n", 0, UINT64_MAX, -EBADMSG, 0},
	    {"12abc", 0, UINT64_MAX, -EBADMSG, 0},
	    {"0x10", 0, UINT64_MAX, -EBADMSG, 0},
	    {"1e3", 0, UINT64_MAX, -EBADMSG, 0},
	    {"1.5", 0, UINT64_MAX, -EBADMSG, 0},
	    {"abc", 0, UINT64_MAX, -EBADMSG, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0xdeadbeef;
		check_context = cases[i].s;
		CHECK_EQ_INT(bw_parse_u64(cases[i].s, cases[i].min, cases[i].max, &v), cases[i].r);
		CHECK_EQ_U64(v, cases[i].r == 0 ? cases[i].v : 0xdeadbeef);
	}
	check_context = NULL;
}

static void test_parse_size(void)
{
	static const struct {
		const char *s;
		bool ok;
		uint64_t v;
	} cases[] = {
	    {"0", true, 0},
	    {"4096", true, 4096},
	    {"1K", true, 1024},
	    {"64M", true, 64ull << 20},
	    {"2G", true, 2ull << 30},
	    {"3T", true, 3ull << 40},
	    {"16777215T", true, 16777215ull << 40},
	    {"16777216T", false, 0}, /* 2^64: overflow */
	    {"18446744073709551615", true, UINT64_MAX},
	    {"18446744073709551616", false, 0},
	    {"", false, 0},
	    {"K", false, 0},
	    {"64X", false, 0},
	    {"64MB", false, 0},
	    {"64 M", false, 0},
	    {"-1K", false, 0},
	    {"+1K", false, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0xdeadbeef;
		int r = bw_parse_size(cases[i].s, &v);
		check_context = cases[i].s;
		if (cases[i].ok) {
			CHECK_EQ_INT(r, 0);
			CHECK_EQ_U64(v, cases[i].v);
		} else {
			CHECK(r < 0);
			CHECK_EQ_U64(v, 0xdeadbeef);
		}
	}
	check_context = NULL;
}

static void test_checked_math(void)
{
	uint64_t v = 7;
	size_t z = 7;

	CHECK(bw_add_u64(1, 2, &v));
	CHECK_EQ_U64(v, 3);
	CHECK(!bw_add_u64(UINT64_MAX, 1, &v));
	CHECK_EQ_U64(v, 3);
	CHECK(bw_mul_u64(65464, 65535, &v));
	CHECK_EQ_U64(v, 65464ull * 65535);
	CHECK(!bw_mul_u64(1ull << 32, 1ull << 32, &v));
	CHECK(bw_mul_size(3, 5, &z));
	CHECK_EQ_U64(z, 15);
	CHECK(!bw_mul_size(SIZE_MAX, 2, &z));
	CHECK_EQ_U64(z, 15);
}

/* True when out holds only printable ASCII (what a log line may carry). */
static bool all_printable(const char *out)
{
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return false;
	return true;
}

static void test_escape(void)
{
	char out[64];

	/* Plain text is copied as it is. */
	CHECK_EQ_STR(bw_escape("pxelinux.0", 10, out, sizeof(out)), "pxelinux.0");
	CHECK(bw_escape("abc", 3, out, sizeof(out)) == out);
	/* At most len bytes. */
	CHECK_EQ_STR(bw_escape("pxelinux.0", 3, out, sizeof(out)), "pxe");
	CHECK_EQ_STR(bw_escape("", 0, out, sizeof(out)), "");

	/* Control characters, non-ASCII, quotes and backslashes never come out raw. */
	static const char nasty[] = "a\nb\rc\x1b[2Jd\x7f\xff\"q\\";
	bw_escape(nasty, sizeof(nasty) - 1, out, sizeof(out));
	CHECK(all_printable(out));
	CHECK(strchr(out, '"') == NULL || strstr(out, "\\\"") != NULL ||
	      strstr(out, "\\x22") != NULL);
	CHECK(strncmp(out, "a\\", 2) == 0);
	CHECK(strlen(out) > sizeof(nasty) - 1);

	/* An embedded NUL inside len does not end the copy early or come out raw. */
	bw_escape("a\0b", 3, out, sizeof(out));
	CHECK(all_printable(out));
	CHECK(strlen(out) > 2);

	/* Always terminated within cap, whatever the input's length. */
	static const char lots[] = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
	                           "0123456789abcdef0123456789abcdef0123456789abcdef";
	for (size_t cap = 1; cap < 40; cap++) {
		char small[48];
		memset(small, 'Z', sizeof(small));
		bw_escape(lots, sizeof(lots) - 1, small, cap);
		CHECK(memchr(small, 0, cap) != NULL);
		CHECK(small[cap] == 'Z');
		CHECK(all_printable(small));
	}
}

int main(void)
{
	test_parse_u64();
	test_parse_size();
	test_checked_math();
	test_escape();
	return check_summary();
}
