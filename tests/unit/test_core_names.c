/* The names services share: architectures (core/arch) and our HTTP base URL
 * (core/http_base). */
#include <errno.h>

#include "check.h"
#include "core/arch.h"
#include "core/http_base.h"

static void test_arch(void)
{
	enum bw_arch a;

	for (unsigned i = BW_ARCH_BIOS; i < BW_ARCH_COUNT; i++) {
		CHECK_EQ_INT(bw_arch_parse(bw_arch_name((enum bw_arch)i), &a), 0);
		CHECK_EQ_INT(a, i);
	}
	CHECK_EQ_STR(bw_arch_name(BW_ARCH_EFI_X64), "efi_x64");
	CHECK_EQ_STR(bw_arch_name(BW_ARCH_UNKNOWN), "unknown");
	CHECK_EQ_STR(bw_arch_name((enum bw_arch)77), "unknown");
	CHECK_EQ_INT(bw_arch_parse("unknown", &a), -EINVAL);
	CHECK_EQ_INT(bw_arch_parse("", &a), -EINVAL);
	CHECK_EQ_INT(bw_arch_parse("EFI_X64", &a), -EINVAL);
	CHECK_EQ_INT(bw_arch_parse("efi_x64 ", &a), -EINVAL);
}

static void test_http_base(void)
{
	struct bw_http_base b = {.port = 80, .prefix = "/"};
	char out[64];

	CHECK_EQ_INT(bw_http_base_format(&b, "10.0.0.1", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "http://10.0.0.1/");
	b.port = 8080;
	CHECK_EQ_INT(bw_http_base_format(&b, "${server}", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "http://${server}:8080/");
	CHECK_EQ_INT(bw_http_base_format(&b, "fd00::1", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "http://[fd00::1]:8080/");
	b.tls = true;
	b.port = 443;
	snprintf(b.prefix, sizeof(b.prefix), "/boot/");
	CHECK_EQ_INT(bw_http_base_format(&b, "10.0.0.1", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "https://10.0.0.1/boot/");
	snprintf(b.host, sizeof(b.host), "boot.lab");
	CHECK_EQ_INT(bw_http_base_format(&b, "10.0.0.1", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "https://boot.lab/boot/");
	b.prefix[0] = '\0';
	CHECK_EQ_INT(bw_http_base_format(&b, "10.0.0.1", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "https://boot.lab/");
	CHECK_EQ_INT(bw_http_base_format(&b, "10.0.0.1", out, 10), -ENAMETOOLONG);
}

int main(void)
{
	test_arch();
	test_http_base();
	return check_summary();
}
