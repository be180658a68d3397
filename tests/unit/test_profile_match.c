/* Which profile a machine gets: selectors (ANDed within an entry), file order, labels,
 * default_profile, hostname and loader merging, loader files. */
#include "check.h"
#include "profile_test.h"

static const uint8_t mac_a[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t mac_b[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static const uint8_t mac_c[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x01};
static const uint8_t uuid_a[16] = {0x8f, 0x3e, 0x0f, 0x1c, 0x9a, 0x4b, 0x4c, 0x5d,
				   0x8e, 0x6f, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab};

static const char *const yaml =
	"profiles:\n"
	"  rescue: { kernel: rescue/vmlinuz, loader: pxelinux }\n"
	"  install: { kernel: debian/linux }\n"
	"  tools: { chain: tools.efi }\n"
	"  menu1: { menu: [rescue, local] }\n"
	"machines:\n"
	"  - { mac: '52:54:00:12:34:56', profile: rescue, hostname: node1 }\n"       /* 0 */
	"  - { mac: '52:54:00:ab:cd:ef', labels: [lab], hostname: labby }\n"         /* 1 */
	"  - { uuid: 8F3E0F1C-9A4B-4C5D-8E6F-0123456789AB, profile: tools }\n"       /* 2 */
	"  - { label: lab, arch: bios, profile: install, loader: grub }\n"           /* 3 */
	"  - { label: lab, profile: menu1 }\n"                                       /* 4 */
	"  - { arch: efi_x64, loader: grub }\n"                                      /* 5 */
	"  - { arch: efi_x64, profile: install, hostname: late }\n"                  /* 6 */
	"default_profile: menu1\n";

static const char *resolve_name(const struct bw_profile_set *ps, const uint8_t *mac,
				const uint8_t *uuid, enum bw_arch arch,
				struct bw_profile_choice *ch)
{
	struct bw_profile_query q = {.mac = mac, .uuid = uuid, .arch = arch};

	memset(ch, 0, sizeof(*ch));
	if (bw_profile_resolve(ps, &q, ch) < 0)
		return NULL;
	return ch->profile->name;
}

static void test_selectors(const struct bw_profile_set *ps)
{
	struct bw_profile_choice ch;

	/* mac: exact; the entry's hostname and the profile's loader */
	CHECK_EQ_STR(resolve_name(ps, mac_a, NULL, BW_ARCH_BIOS, &ch), "rescue");
	CHECK_EQ_STR(ch.hostname, "node1");
	CHECK_EQ_STR(ch.name, "rescue");
	CHECK_EQ_INT(ch.loader, BW_LOADER_PXELINUX);
	CHECK(ch.matched);
	/* the first matching entry wins, even when a later one is as specific */
	CHECK_EQ_STR(resolve_name(ps, mac_a, uuid_a, BW_ARCH_EFI_X64, &ch), "rescue");
	/* uuid: exact */
	CHECK_EQ_STR(resolve_name(ps, mac_c, uuid_a, BW_ARCH_BIOS, &ch), "tools");
	CHECK_EQ_INT(ch.loader, BW_LOADER_IPXE);
	CHECK(ch.hostname == NULL);
	/* arch: only with the architecture known */
	CHECK_EQ_STR(resolve_name(ps, mac_c, NULL, BW_ARCH_EFI_X64, &ch), "install");
	CHECK_EQ_STR(ch.hostname, "late");
	CHECK_EQ_INT(ch.loader, BW_LOADER_GRUB); /* from entry 5, which gave no profile */
	CHECK_EQ_STR(resolve_name(ps, mac_c, NULL, BW_ARCH_UNKNOWN, &ch), "menu1");
	CHECK(!ch.matched);
	/* nothing known at all: default_profile */
	CHECK_EQ_STR(resolve_name(ps, NULL, NULL, BW_ARCH_UNKNOWN, &ch), "menu1");
	CHECK(!ch.matched);
	CHECK_EQ_INT(ch.loader, BW_LOADER_IPXE);
}

static void test_labels(const struct bw_profile_set *ps)
{
	struct bw_profile_choice ch;

	/* mac_b carries `lab` (entry 1): entry 3 needs lab AND bios */
	CHECK_EQ_STR(resolve_name(ps, mac_b, NULL, BW_ARCH_BIOS, &ch), "install");
	CHECK_EQ_STR(ch.hostname, "labby"); /* from the entry that gave the label */
	CHECK_EQ_INT(ch.loader, BW_LOADER_GRUB);
	CHECK(ch.matched);
	/* not bios: entry 4 (lab only) comes before the efi_x64 entries */
	CHECK_EQ_STR(resolve_name(ps, mac_b, NULL, BW_ARCH_EFI_X64, &ch), "menu1");
	CHECK_EQ_INT(ch.loader, BW_LOADER_GRUB); /* entry 5's loader still applies */
	/* a machine without the label: entries 3 and 4 do not apply */
	CHECK_EQ_STR(resolve_name(ps, mac_c, NULL, BW_ARCH_BIOS, &ch), "menu1");
	CHECK(!ch.matched);
}

static void test_no_default(void)
{
	struct bw_config *cfg = pt_load("profiles: { a: { local: true } }\n"
					"machines: [ { mac: '52:54:00:12:34:56', profile: a } ]\n");
	const struct bw_profile_set *ps = cfg ? bw_profile_set_of(cfg) : NULL;
	struct bw_profile_choice ch;
	struct bw_profile_query q = {.mac = mac_c};

	if (!CHECK(ps != NULL))
		goto out;
	CHECK_EQ_INT(bw_profile_resolve(ps, &q, &ch), -ENOENT);
	CHECK_EQ_STR(resolve_name(ps, mac_a, NULL, BW_ARCH_UNKNOWN, &ch), "a");
	CHECK_EQ_INT(bw_profile_resolve(NULL, &q, &ch), -ENOENT);
out:
	bw_config_free(cfg);
}

static void test_empty_and_local(void)
{
	struct bw_config *cfg = pt_load("");
	struct bw_profile_choice ch;

	CHECK(cfg && bw_profile_set_of(cfg) == NULL); /* nothing declared */
	bw_config_free(cfg);
	/* the built-in local profile needs no definition */
	cfg = pt_load("default_profile: local\n");
	if (!CHECK(cfg && bw_profile_set_of(cfg)))
		goto out;
	CHECK_EQ_STR(resolve_name(bw_profile_set_of(cfg), mac_a, NULL, BW_ARCH_BIOS, &ch), "local");
	CHECK_EQ_INT(ch.profile->kind, BW_PROFILE_LOCAL);
out:
	bw_config_free(cfg);
}

static void test_loader_files(void)
{
	struct bw_config *cfg = pt_load("default_profile: local\n"
					"loaders: { grub_efi_ia32: '', grub_bios: boot/grub/i386-pc/core.0 }\n");
	const struct bw_profile_set *ps = cfg ? bw_profile_set_of(cfg) : NULL;

	if (!CHECK(ps != NULL))
		goto out;
	CHECK(bw_profile_loader_file(ps, BW_LOADER_IPXE, BW_ARCH_BIOS) == NULL);
	CHECK(bw_profile_loader_file(ps, BW_LOADER_DEFAULT, BW_ARCH_EFI_X64) == NULL);
	CHECK_EQ_STR(bw_profile_loader_file(ps, BW_LOADER_PXELINUX, BW_ARCH_BIOS), "pxelinux.0");
	CHECK(bw_profile_loader_file(ps, BW_LOADER_PXELINUX, BW_ARCH_EFI_X64) == NULL);
	CHECK_EQ_STR(bw_profile_loader_file(ps, BW_LOADER_GRUB, BW_ARCH_BIOS),
		     "boot/grub/i386-pc/core.0");
	CHECK_EQ_STR(bw_profile_loader_file(ps, BW_LOADER_GRUB, BW_ARCH_EFI_X64),
		     "grub/x86_64-efi/core.efi");
	CHECK_EQ_STR(bw_profile_loader_file(ps, BW_LOADER_GRUB, BW_ARCH_EFI_ARM64),
		     "grub/arm64-efi/core.efi");
	CHECK(bw_profile_loader_file(ps, BW_LOADER_GRUB, BW_ARCH_EFI_IA32) == NULL); /* '' */
	CHECK(bw_profile_loader_file(ps, BW_LOADER_GRUB, BW_ARCH_EFI_ARM32) == NULL);
	CHECK(bw_profile_loader_file(ps, BW_LOADER_GRUB, BW_ARCH_UNKNOWN) == NULL);
	CHECK(bw_profile_loader_file(NULL, BW_LOADER_GRUB, BW_ARCH_BIOS) == NULL);
out:
	bw_config_free(cfg);
}

/* `ip`: the address of the machine with that MAC (entries selecting by mac alone), with the
 * same entry's hostname; refused with other selectors, twice, or in an entry giving only a
 * selector. */
static void test_addresses(void)
{
	struct bw_config *cfg = pt_load("profiles: { a: { local: true } }\n"
					"machines:\n"
					"  - { mac: '52:54:00:12:34:56', arch: bios, profile: a }\n"
					"  - { mac: '52:54:00:12:34:56', ip: 10.0.0.10, hostname: n1 }\n"
					"  - { mac: '52:54:00:ab:cd:ef', profile: a }\n"
					"  - { mac: '52:54:00:00:00:01', ip: 10.0.0.11 }\n");
	const struct bw_profile_set *ps = cfg ? bw_profile_set_of(cfg) : NULL;
	struct bw_profile_address a = {0};
	unsigned pos = 0;
	char err[2048];

	if (!CHECK(ps != NULL))
		goto out;
	CHECK_EQ_INT(bw_profile_machine_address(ps, mac_a, &a), 0);
	CHECK_EQ_U64(a.addr, 0x0a00000au);
	CHECK_EQ_STR(a.hostname, "n1");
	CHECK_EQ_MEM(a.mac, 6, mac_a, 6);
	CHECK_EQ_INT(bw_profile_machine_address(ps, mac_b, &a), -ENOENT);
	CHECK_EQ_INT(bw_profile_machine_address(ps, mac_c, &a), 0);
	CHECK(a.hostname == NULL);
	CHECK_EQ_INT(bw_profile_machine_address(NULL, mac_c, &a), -ENOENT);
	/* the walk: both, in file order */
	CHECK(bw_profile_next_address(ps, &pos, &a));
	CHECK_EQ_U64(a.addr, 0x0a00000au);
	CHECK(bw_profile_next_address(ps, &pos, &a));
	CHECK_EQ_U64(a.addr, 0x0a00000bu);
	CHECK(!bw_profile_next_address(ps, &pos, &a));
	CHECK(!bw_profile_next_address(ps, &pos, &a));
	pos = 0;
	CHECK(!bw_profile_next_address(NULL, &pos, &a));
	bw_config_free(cfg);
	/* refused: ip beside arch or uuid or label, without mac; the same ip twice */
	cfg = pt_load_err("machines:\n"
			  "  - { mac: '52:54:00:12:34:56', arch: bios, ip: 10.0.0.1 }\n"
			  "  - { uuid: 8f3e0f1c-9a4b-4c5d-8e6f-0123456789ab, ip: 10.0.0.2 }\n"
			  "  - { label: lab, ip: 10.0.0.3 }\n"
			  "  - { mac: '52:54:00:ab:cd:ef', ip: 10.0.0.4 }\n"
			  "  - { mac: '52:54:00:00:00:01', ip: 10.0.0.4, hostname: x }\n",
			  err, sizeof(err));
	CHECK(cfg == NULL);
	CHECK(strstr(err, ":3: machines.ip: an entry with ip selects its machine by mac alone") !=
	      NULL);
	CHECK(strstr(err, ":4: machines.ip: an entry with ip") != NULL);
	CHECK(strstr(err, ":5: machines.ip: an entry with ip") != NULL);
	CHECK(strstr(err, ":7: machines.ip: 10.0.0.4 is already the address of the entry at line "
			  "6") != NULL);
out:
	bw_config_free(cfg);
}

static void test_text_helpers(void)
{
	uint8_t mac[6], uuid[16];
	char s[40];

	CHECK_EQ_INT(bw_profile_mac_parse("52:54:00:AB:cd:EF", 17, mac), 0);
	CHECK_EQ_MEM(mac, 6, mac_b, 6);
	CHECK_EQ_INT(bw_profile_mac_parse("52-54-00-ab-cd-ef", 17, mac), 0);
	CHECK_EQ_INT(bw_profile_mac_parse("525400abcdef", 12, mac), 0);
	CHECK_EQ_INT(bw_profile_mac_parse("52:54-00:ab:cd:ef", 17, mac), -EINVAL);
	CHECK_EQ_INT(bw_profile_mac_parse("52:54:00:ab:cd:eg", 17, mac), -EINVAL);
	CHECK_EQ_INT(bw_profile_mac_parse("52:54:00:ab:cd", 14, mac), -EINVAL);
	CHECK_EQ_INT(bw_profile_uuid_parse("8F3E0F1C-9A4B-4C5D-8E6F-0123456789AB", 36, uuid), 0);
	CHECK_EQ_MEM(uuid, 16, uuid_a, 16);
	CHECK_EQ_INT(bw_profile_uuid_parse("8f3e0f1c9a4b4c5d8e6f0123456789ab", 32, uuid), 0);
	CHECK_EQ_INT(bw_profile_uuid_parse("8f3e0f1c-9a4b-4c5d-8e6f0123456789ab-", 36, uuid),
		     -EINVAL);
	bw_profile_uuid_str(uuid_a, s);
	CHECK_EQ_STR(s, "8f3e0f1c-9a4b-4c5d-8e6f-0123456789ab");
	bw_profile_mac_str(mac_b, '-', s);
	CHECK_EQ_STR(s, "52-54-00-ab-cd-ef");
	CHECK(bw_profile_name_is_valid("rescue-2.x_y"));
	CHECK(!bw_profile_name_is_valid("-x"));
	CHECK(!bw_profile_name_is_valid("a b"));
	CHECK(!bw_profile_name_is_valid(""));
}

int main(void)
{
	struct bw_config *cfg = pt_load(yaml);

	if (CHECK(cfg != NULL)) {
		test_selectors(bw_profile_set_of(cfg));
		test_labels(bw_profile_set_of(cfg));
	}
	bw_config_free(cfg);
	test_no_default();
	test_empty_and_local();
	test_loader_files();
	test_addresses();
	test_text_helpers();
	pt_cleanup();
	return check_summary();
}
