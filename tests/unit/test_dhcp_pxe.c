/* Client classification and boot-file choice over real-looking requests, built with the
 * builder and parsed back, as the server sees them. */
#include "check.h"
#include "dhcp/dhcp_pxe.h"

/* The message the tests decide on, and the bytes it views: a parsed message points into its
 * buffer (dhcp_wire.h), so the buffer make() builds into lives as long as msg does. */
static struct bw_dhcp_msg msg;
static uint8_t msg_buf[1024];

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
	struct bw_dhcp_builder b;
	struct bw_dhcp_hdr h = {.op = 1, .htype = 1, .hlen = 6, .xid = 1,
				.chaddr = {0x52, 0x54, 0, 0x12, 0x34, 0x56}};
	size_t len;

	bw_dhcp_build_start(&b, msg_buf, sizeof(msg_buf), &h);
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
	CHECK_EQ_INT(bw_dhcp_parse(msg_buf, len, &msg), 0);
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
		enum bw_arch arch;
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

/* The same decisions on requests captured from real firmware and clients
 * (tests/fixtures/dhcp/README.md). */
static void test_captures(void)
{
	static const char ipxe_script[] = "http://10.0.0.1:8080/boot.ipxe";
	static const struct {
		const char *file;
		enum bw_dhcp_msg_type type;
		bool pxe, http, ipxe;
		int arch_code; /* option 93, -1: none */
		enum bw_arch arch;
		const char *boot;
		bool url, echo;
	} cases[] = {
		{"dhcp/discover-ipxe-bios.bin", BW_DHCP_DISCOVER, true, false, true, 0, BW_ARCH_BIOS,
		 ipxe_script, true, false},
		{"dhcp/request-ipxe-bios.bin", BW_DHCP_REQUEST, true, false, true, 0, BW_ARCH_BIOS,
		 ipxe_script, true, false},
		{"dhcp/discover-ovmf-x64.bin", BW_DHCP_DISCOVER, true, false, false, 7, BW_ARCH_EFI_X64,
		 "ipxe.efi", false, false},
		{"dhcp/request-ovmf-pxe.bin", BW_DHCP_REQUEST, true, false, false, 7, BW_ARCH_EFI_X64,
		 "ipxe.efi", false, false},
		{"dhcp/discover-ovmf-http.bin", BW_DHCP_DISCOVER, false, true, false, 16,
		 BW_ARCH_EFI_X64, "http://10.0.0.1:8080/ipxe.efi", true, true},
		{"dhcp/request-ovmf-http.bin", BW_DHCP_REQUEST, false, true, false, 16, BW_ARCH_EFI_X64,
		 "http://10.0.0.1:8080/ipxe.efi", true, true},
		{"dhcp/discover-ipxe-efi.bin", BW_DHCP_DISCOVER, true, false, true, 7, BW_ARCH_EFI_X64,
		 ipxe_script, true, false},
		{"dhcp/request-ipxe-efi.bin", BW_DHCP_REQUEST, true, false, true, 7, BW_ARCH_EFI_X64,
		 ipxe_script, true, false},
		{"dhcp/discover-dhclient.bin", BW_DHCP_DISCOVER, false, false, false, -1,
		 BW_ARCH_UNKNOWN, "", false, false},
		{"dhcp/discover-udhcpc.bin", BW_DHCP_DISCOVER, false, false, false, -1, BW_ARCH_UNKNOWN,
		 "", false, false},
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
			CHECK_EQ_INT(msg.type, cases[i].type);
			bw_pxe_classify(&msg, &c);
			bw_pxe_choose(&c, &bw_pxe_boot_files_default, "http://10.0.0.1:8080/", &ch);
			CHECK_EQ_INT(c.is_pxe, cases[i].pxe);
			CHECK_EQ_INT(c.is_http, cases[i].http);
			CHECK_EQ_INT(c.is_ipxe, cases[i].ipxe);
			CHECK_EQ_INT(c.has_arch, cases[i].arch_code >= 0);
			if (cases[i].arch_code >= 0)
				CHECK_EQ_INT(c.arch_code, cases[i].arch_code);
			CHECK_EQ_INT(c.arch, cases[i].arch);
			CHECK_EQ_INT(ch.boot, cases[i].boot[0] != '\0');
			CHECK_EQ_STR(ch.file, cases[i].boot);
			CHECK_EQ_INT(ch.url, cases[i].url);
			CHECK_EQ_INT(ch.echo_http_client, cases[i].echo);
			if (cases[i].pxe || cases[i].http)
				CHECK(c.has_uuid); /* QEMU without -uuid: 16 zero bytes, still a UUID */
		}
		free(buf);
	}
	check_context = NULL;
}

/* Loads and parses a fixture into msg; false (with a failure counted) if it cannot. */
static bool load_capture(const char *file, uint8_t **ret_buf)
{
	size_t len;

	check_context = file;
	*ret_buf = NULL;
	if (!CHECK_EQ_INT(check_load_fixture(file, ret_buf, &len), 0))
		return false;
	return CHECK_EQ_INT(bw_dhcp_parse(*ret_buf, len, &msg), 0);
}

static bool addr_is(const struct bw_dhcp_msg *m, uint8_t code, uint8_t a, uint8_t b, uint8_t c,
		    uint8_t d)
{
	const uint8_t want[4] = {a, b, c, d};
	uint32_t v;

	return bw_dhcp_opt_addr(m, code, &v) && memcmp(&v, want, 4) == 0;
}

static bool param_list_has(const struct bw_dhcp_msg *m, uint8_t code)
{
	const struct bw_dhcp_opt *o = &m->opt[BW_DHCP_OPT_PARAM_LIST];

	return o->present && memchr(o->data, code, o->len) != NULL;
}

/* OVMF's own UEFI HTTP boot (Debian 12 ovmf 2022.11): HTTPClient, arch 16, no option 43,
 * 61 or 77; it only REQUESTs after an OFFER that echoes option 60 "HTTPClient". */
static void test_capture_ovmf_http(void)
{
	static const char *const files[] = {"dhcp/discover-ovmf-http.bin",
					    "dhcp/request-ovmf-http.bin"};
	struct bw_pxe_boot_files snp = bw_pxe_boot_files_default;
	struct bw_pxe_client c;
	struct bw_pxe_choice ch;
	uint8_t *buf;

	snp.efi_x64 = "snponly.efi";
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (load_capture(files[i], &buf)) {
			CHECK_EQ_INT(msg.hdr.flags, BW_DHCP_FLAG_BROADCAST);
			CHECK(!msg.opt[BW_DHCP_OPT_VENDOR].present);
			CHECK(!msg.opt[BW_DHCP_OPT_CLIENT_ID].present);
			CHECK(!msg.opt[BW_DHCP_OPT_USER_CLASS].present);
			CHECK(param_list_has(&msg, BW_DHCP_OPT_BOOTFILE));
			CHECK(param_list_has(&msg, BW_DHCP_OPT_VENDOR_CLASS));
			bw_pxe_classify(&msg, &c);
			CHECK_EQ_STR(c.vendor_class, "HTTPClient:Arch:00016:UNDI:003000");
			CHECK(c.is_http);
			CHECK(!c.is_pxe);
			CHECK_EQ_INT(c.arch_code, 16);
			CHECK_EQ_INT(c.arch, BW_ARCH_EFI_X64);
			/* the URL follows the configured x86-64 EFI program */
			bw_pxe_choose(&c, &snp, "http://10.98.0.1/", &ch);
			CHECK(ch.boot && ch.url && ch.echo_http_client);
			CHECK_EQ_STR(ch.file, "http://10.98.0.1/snponly.efi");
			/* no HTTP server: nothing, and in particular no echo of HTTPClient */
			bw_pxe_choose(&c, &bw_pxe_boot_files_default, NULL, &ch);
			CHECK(!ch.boot);
			CHECK(!ch.echo_http_client);
			CHECK_EQ_STR(ch.file, "");
		}
		free(buf);
	}
	if (load_capture("dhcp/request-ovmf-http.bin", &buf)) {
		CHECK(addr_is(&msg, BW_DHCP_OPT_REQUESTED_IP, 10, 98, 0, 50));
		CHECK(addr_is(&msg, BW_DHCP_OPT_SERVER_ID, 10, 98, 0, 1));
		CHECK_EQ_INT(msg.hdr.ciaddr, 0);
	}
	free(buf);
	/* the OFFER OVMF accepted: option 60 is exactly "HTTPClient", the URL is in option 67
	 * (NUL included, as dnsmasq sends it) and the file field is empty */
	if (load_capture("dhcp/offer-dnsmasq-http.bin", &buf)) {
		const struct bw_dhcp_opt *vc = &msg.opt[BW_DHCP_OPT_VENDOR_CLASS];
		const struct bw_dhcp_opt *bf = &msg.opt[BW_DHCP_OPT_BOOTFILE];

		CHECK_EQ_INT(msg.hdr.op, BW_DHCP_OP_REPLY);
		CHECK_EQ_INT(msg.type, BW_DHCP_OFFER);
		CHECK(vc->present && vc->len == 10 && memcmp(vc->data, "HTTPClient", 10) == 0);
		CHECK(bf->present && bf->len == 23 && memcmp(bf->data, "http://10.98.0.1/x.efi", 23) == 0);
		CHECK_EQ_STR(msg.hdr.file, "");
		CHECK(!msg.opt[BW_DHCP_OPT_VENDOR].present);
	}
	free(buf);
	check_context = NULL;
}

/* iPXE (ipxe.efi) chainloaded by OVMF's PXE: arch 7 like the firmware itself, but user class
 * iPXE and option 175. It gets its script, never an EFI program again (the loop). */
static void test_capture_ipxe_efi(void)
{
	static const char *const files[] = {"dhcp/discover-ipxe-efi.bin",
					    "dhcp/request-ipxe-efi.bin"};
	struct bw_pxe_boot_files f = bw_pxe_boot_files_default;
	struct bw_pxe_client c;
	struct bw_pxe_choice ch;
	uint8_t *buf;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (load_capture(files[i], &buf)) {
			bw_pxe_classify(&msg, &c);
			CHECK_EQ_STR(c.vendor_class, "PXEClient:Arch:00007:UNDI:003010");
			CHECK(c.is_ipxe && c.is_pxe && !c.is_http);
			CHECK(msg.opt[BW_DHCP_OPT_USER_CLASS].present);
			CHECK(msg.opt[BW_DHCP_OPT_IPXE].present);
			CHECK_EQ_INT(c.arch_code, 7);
			CHECK_EQ_INT(c.arch, BW_ARCH_EFI_X64);
			bw_pxe_choose(&c, &f, "http://10.0.0.1:8080/", &ch);
			CHECK(ch.boot && ch.url && !ch.echo_http_client);
			CHECK_EQ_STR(ch.file, "http://10.0.0.1:8080/boot.ipxe");
			CHECK(strstr(ch.file, ".efi") == NULL);
			/* whatever the EFI program is called */
			f.efi_x64 = "snponly.efi";
			bw_pxe_choose(&c, &f, "http://10.0.0.1:8080/", &ch);
			CHECK_EQ_STR(ch.file, "http://10.0.0.1:8080/boot.ipxe");
			f.efi_x64 = bw_pxe_boot_files_default.efi_x64;
			/* no HTTP server: at most the script (over TFTP), never ipxe.efi */
			bw_pxe_choose(&c, &f, NULL, &ch);
			CHECK(strstr(ch.file, ".efi") == NULL);
			if (ch.boot)
				CHECK_EQ_STR(ch.file, f.ipxe);
			else
				CHECK_EQ_STR(ch.file, "");
		}
		free(buf);
	}
	check_context = NULL;
}

/* OVMF's UEFI PXE REQUEST after an OFFER with a boot file: arch 7, and a maximum message
 * size of 65280 where its DISCOVER said 1472. */
static void test_capture_ovmf_pxe_request(void)
{
	struct bw_pxe_client c;
	struct bw_pxe_choice ch;
	uint16_t max = 0;
	uint8_t *buf;

	if (load_capture("dhcp/request-ovmf-pxe.bin", &buf)) {
		CHECK_EQ_INT(msg.type, BW_DHCP_REQUEST);
		CHECK_EQ_INT(msg.hdr.flags, BW_DHCP_FLAG_BROADCAST);
		CHECK(addr_is(&msg, BW_DHCP_OPT_REQUESTED_IP, 10, 98, 0, 99));
		CHECK(addr_is(&msg, BW_DHCP_OPT_SERVER_ID, 10, 98, 0, 1));
		CHECK(bw_dhcp_opt_u16(&msg, BW_DHCP_OPT_MAX_SIZE, &max));
		CHECK_EQ_INT(max, 65280);
		CHECK(!msg.opt[BW_DHCP_OPT_CLIENT_ID].present);
		bw_pxe_classify(&msg, &c);
		CHECK_EQ_STR(c.vendor_class, "PXEClient:Arch:00007:UNDI:003000");
		CHECK(c.is_pxe && !c.is_http && !c.is_ipxe);
		CHECK_EQ_INT(c.arch_code, 7);
		CHECK_EQ_INT(c.arch, BW_ARCH_EFI_X64);
		/* TFTP, not HTTP, even with an HTTP server */
		bw_pxe_choose(&c, &bw_pxe_boot_files_default, "http://10.0.0.1:8080/", &ch);
		CHECK(ch.boot && !ch.url && !ch.echo_http_client);
		CHECK_EQ_STR(ch.file, "ipxe.efi");
	}
	free(buf);
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
	CHECK_EQ_STR(bw_arch_name(BW_ARCH_EFI_ARM64), "efi_arm64");
}

int main(void)
{
	test_firmwares();
	test_malformed_pxe_options();
	test_captures();
	test_capture_ovmf_http();
	test_capture_ipxe_efi();
	test_capture_ovmf_pxe_request();
	test_arch_codes();
	return check_summary();
}
