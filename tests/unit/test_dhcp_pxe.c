/* Client classification and boot-file choice over real-looking requests, built with the
 * builder and parsed back, as the server sees them. */
#include "check.h"
#include "dhcp/dhcp_pxe.h"

static struct bw_dhcp_msg msg;

struct req {
	const char *vendor;  /* option 60 or NULL */
	int arch;            /* option 93 or -1 */
	const uint8_t *user; /* option 77 */
	size_t user_len;
	bool ipxe175;
	const uint8_t *uuid; /* option 97, 17 bytes */
	size_t uuid_len;
};

static void make(const struct req *r)
{
	uint8_t buf[1024];
	struct bw_dhcp_builder b;
	struct bw_dhcp_hdr h = {.op = 1, .htype = 1, .hlen = 6, .xid = 1,
				.chaddr = {0x52, 0x54, 0, 0x12, 0x34, 0x56}};
	size_t len;

	bw_dhcp_build_start(&b, buf, sizeof(buf), &h);
	bw_dhcp_build_opt_u8(&b, BW_DHCP_OPT_MSG_TYPE, BW_DHCP_DISCOVER);
	if (r->vendor)
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_VENDOR_CLASS, r->vendor, strlen(r->vendor));
	if (r->arch >= 0) {
		uint8_t a[2] = {(uint8_t)(r->arch >> 8), (uint8_t)r->arch};
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_CLIENT_ARCH, a, 2);
	}
	if (r->user)
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_USER_CLASS, r->user, r->user_len);
	if (r->ipxe175)
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_IPXE, "\x13\x01\x01", 3);
	if (r->uuid)
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_UUID, r->uuid, r->uuid_len);
	bw_dhcp_build_finish(&b, &len);
	CHECK_EQ_INT(bw_dhcp_parse(buf, len, &msg), 0);
}

static void choose(const struct req *r, struct bw_pxe_client *c, struct bw_pxe_choice *ch)
{
	make(r);
	bw_pxe_classify(&msg, c);
	bw_pxe_choose(c, &bw_pxe_boot_files_default, "http://10.0.0.1:8080/", ch);
}

static void test_firmwares(void)
{
	static const uint8_t ipxe_uc[] = {4, 'i', 'P', 'X', 'E'};
	static const struct {
		const char *what;
		struct req r;
		enum bw_pxe_arch arch;
		bool boot, url, echo;
		const char *file;
	} cases[] = {
		{"BIOS PXE ROM", {"PXEClient:Arch:00000:UNDI:002001", 0, NULL, 0, false, NULL, 0},
		 BW_ARCH_BIOS, true, false, false, "undionly.kpxe"},
		{"old BIOS ROM without option 93", {"PXEClient", -1, NULL, 0, false, NULL, 0},
		 BW_ARCH_BIOS, true, false, false, "undionly.kpxe"},
		{"OVMF PXE (arch 7)", {"PXEClient:Arch:00007:UNDI:003000", 7, NULL, 0, false, NULL, 0},
		 BW_ARCH_EFI_X64, true, false, false, "ipxe.efi"},
		{"UEFI x86-64 (arch 9)", {"PXEClient:Arch:00009:UNDI:003016", 9, NULL, 0, false, NULL, 0},
		 BW_ARCH_EFI_X64, true, false, false, "ipxe.efi"},
		{"UEFI IA32", {"PXEClient:Arch:00006:UNDI:003016", 6, NULL, 0, false, NULL, 0},
		 BW_ARCH_EFI_IA32, true, false, false, "ipxe-ia32.efi"},
		{"UEFI ARM64", {"PXEClient:Arch:00011:UNDI:003000", 11, NULL, 0, false, NULL, 0},
		 BW_ARCH_EFI_ARM64, true, false, false, "ipxe-arm64.efi"},
		{"OVMF HTTP boot", {"HTTPClient:Arch:00016:UNDI:003000", 16, NULL, 0, false, NULL, 0},
		 BW_ARCH_EFI_X64, true, true, true, "http://10.0.0.1:8080/ipxe.efi"},
		{"ARM64 HTTP boot", {"HTTPClient:Arch:00019:UNDI:003000", 19, NULL, 0, false, NULL, 0},
		 BW_ARCH_EFI_ARM64, true, true, true, "http://10.0.0.1:8080/ipxe-arm64.efi"},
		{"iPXE on BIOS (user class)", {"PXEClient:Arch:00000:UNDI:002001", 0, ipxe_uc, 5,
		 false, NULL, 0}, BW_ARCH_BIOS, true, true, false, "http://10.0.0.1:8080/boot.ipxe"},
		{"iPXE under OVMF (arch 7, option 175)", {"PXEClient:Arch:00007:UNDI:003010", 7, NULL,
		 0, true, NULL, 0}, BW_ARCH_EFI_X64, true, true, false, "http://10.0.0.1:8080/boot.ipxe"},
		{"iPXE with a bare user class", {NULL, -1, (const uint8_t *)"iPXE", 4, false, NULL, 0},
		 BW_ARCH_UNKNOWN, true, true, false, "http://10.0.0.1:8080/boot.ipxe"},
		{"plain DHCP client", {"udhcp 1.35.0", -1, NULL, 0, false, NULL, 0}, BW_ARCH_UNKNOWN,
		 false, false, false, ""},
		{"no vendor class", {NULL, -1, NULL, 0, false, NULL, 0}, BW_ARCH_UNKNOWN, false, false,
		 false, ""},
		{"EFI Itanium (unsupported)", {"PXEClient:Arch:00002:UNDI:003000", 2, NULL, 0, false,
		 NULL, 0}, BW_ARCH_UNKNOWN, false, false, false, ""},
	};
	struct bw_pxe_client c;
	struct bw_pxe_choice ch;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].what;
		choose(&cases[i].r, &c, &ch);
		CHECK_EQ_INT(c.arch, cases[i].arch);
		CHECK_EQ_INT(ch.boot, cases[i].boot);
		CHECK_EQ_INT(ch.url, cases[i].url);
		CHECK_EQ_INT(ch.echo_http_client, cases[i].echo);
		CHECK_EQ_STR(ch.file, cases[i].file);
	}
	check_context = NULL;
}

static void test_malformed_pxe_options(void)
{
	static const uint8_t uuid_ok[17] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const uint8_t uuid_short[3] = {0, 1, 2};
	static const uint8_t bad_uc[] = {9, 'i', 'P', 'X', 'E'}; /* length past the end */
	struct req r = {"PXEClient:Arch:00000:UNDI:002001", 0, NULL, 0, false, uuid_ok, 17};
	struct bw_pxe_client c;
	struct bw_pxe_choice ch;

	choose(&r, &c, &ch);
	CHECK(c.has_uuid);
	CHECK_EQ_INT(c.uuid[15], 16);
	r.uuid = uuid_short;
	r.uuid_len = 3;
	choose(&r, &c, &ch);
	CHECK(!c.has_uuid);
	CHECK(ch.boot); /* a bad UUID does not stop the boot */
	r.uuid = NULL;
	r.user = bad_uc;
	r.user_len = sizeof(bad_uc);
	choose(&r, &c, &ch);
	CHECK(!c.is_ipxe);
	CHECK_EQ_STR(ch.file, "undionly.kpxe");
	/* an option 93 of odd length is not trusted: no guess at BIOS */
	{
		uint8_t buf[600];
		struct bw_dhcp_builder b;
		struct bw_dhcp_hdr h = {.op = 1, .htype = 1, .hlen = 6};
		size_t len;

		bw_dhcp_build_start(&b, buf, sizeof(buf), &h);
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_VENDOR_CLASS, "PXEClient", 9);
		bw_dhcp_build_opt(&b, BW_DHCP_OPT_CLIENT_ARCH, "\x00", 1);
		bw_dhcp_build_finish(&b, &len);
		CHECK_EQ_INT(bw_dhcp_parse(buf, len, &msg), 0);
		bw_pxe_classify(&msg, &c);
		bw_pxe_choose(&c, &bw_pxe_boot_files_default, "http://x/", &ch);
		CHECK(!c.has_arch);
		CHECK(!ch.boot);
	}
	/* no HTTP server: iPXE and HTTP clients get nothing rather than a broken answer */
	r = (struct req){"HTTPClient:Arch:00016:UNDI:003000", 16, NULL, 0, false, NULL, 0};
	make(&r);
	bw_pxe_classify(&msg, &c);
	bw_pxe_choose(&c, &bw_pxe_boot_files_default, NULL, &ch);
	CHECK(!ch.boot);
}

/* The same decisions on requests captured from real firmware and clients. */
static void test_captures(void)
{
	static const struct {
		const char *file;
		bool pxe, ipxe;
		enum bw_pxe_arch arch;
		const char *boot;
	} cases[] = {
		{"dhcp/discover-ipxe-bios.bin", true, true, BW_ARCH_BIOS, "http://10.0.0.1:8080/boot.ipxe"},
		{"dhcp/request-ipxe-bios.bin", true, true, BW_ARCH_BIOS, "http://10.0.0.1:8080/boot.ipxe"},
		{"dhcp/discover-ovmf-x64.bin", true, false, BW_ARCH_EFI_X64, "ipxe.efi"},
		{"dhcp/discover-dhclient.bin", false, false, BW_ARCH_UNKNOWN, ""},
		{"dhcp/discover-udhcpc.bin", false, false, BW_ARCH_UNKNOWN, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bw_pxe_client c;
		struct bw_pxe_choice ch;
		uint8_t *buf;
		size_t len;

		check_context = cases[i].file;
		if (!CHECK_EQ_INT(check_load_fixture(cases[i].file, &buf, &len), 0))
			continue;
		if (CHECK_EQ_INT(bw_dhcp_parse(buf, len, &msg), 0)) {
			bw_pxe_classify(&msg, &c);
			bw_pxe_choose(&c, &bw_pxe_boot_files_default, "http://10.0.0.1:8080/", &ch);
			CHECK_EQ_INT(c.is_pxe, cases[i].pxe);
			CHECK_EQ_INT(c.is_ipxe, cases[i].ipxe);
			CHECK_EQ_INT(c.arch, cases[i].arch);
			CHECK_EQ_STR(ch.file, cases[i].boot);
			if (cases[i].pxe)
				CHECK(c.has_uuid);
		}
		free(buf);
	}
	check_context = NULL;
}

static void test_arch_codes(void)
{
	bool http = false;

	CHECK_EQ_INT(bw_pxe_arch_from_code(0, &http), BW_ARCH_BIOS);
	CHECK(!http);
	CHECK_EQ_INT(bw_pxe_arch_from_code(16, &http), BW_ARCH_EFI_X64);
	CHECK(http);
	CHECK_EQ_INT(bw_pxe_arch_from_code(15, &http), BW_ARCH_EFI_IA32);
	CHECK_EQ_INT(bw_pxe_arch_from_code(10, NULL), BW_ARCH_EFI_ARM32);
	CHECK_EQ_INT(bw_pxe_arch_from_code(0xffff, NULL), BW_ARCH_UNKNOWN);
	CHECK_EQ_STR(bw_pxe_arch_name(BW_ARCH_EFI_ARM64), "efi_arm64");
}

int main(void)
{
	test_firmwares();
	test_malformed_pxe_options();
	test_captures();
	test_arch_codes();
	return check_summary();
}
