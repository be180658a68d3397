/* The provider: which paths it serves over TFTP and HTTP, queries and per-MAC names,
 * pxelinux's and GRUB's lookup orders, and what it leaves to boot_root (-ENOENT). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "check.h"
#include "core/cfg_live.h"
#include "core/http_base.h"
#include "core/peers.h"
#include "core/vfs.h"
#include "profile_test.h"

static const char *const yaml_machines =
	"profiles:\n"
	"  rescue: { kernel: rescue/vmlinuz, cmdline: 'ip=${ip} host=${hostname} srv=${server}' }\n"
	"  efi: { kernel: efi/vmlinuz, cmdline: 'host=${hostname} ip=${ip}' }\n"
	"  menu1: { menu: [rescue, local], timeout: 3 }\n"
	"machines:\n"
	"  - { mac: '52:54:00:12:34:56', profile: rescue, hostname: node1 }\n"
	"  - { uuid: 8f3e0f1c-9a4b-4c5d-8e6f-0123456789ab, profile: efi }\n"
	"  - { arch: efi_x64, profile: efi }\n"
	"  - { mac: '52:54:00:ab:cd:ef', profile: menu1 }\n";

static struct sockaddr_in peer4, local4;
static struct sockaddr_in6 local6;

/* Opens path (query NULL: none) over service; returns the text (malloc'd) or NULL with the
 * error in *ret_err. */
static char *vfs_get(const struct bw_vfs *vfs, const char *service, const char *path,
		     const char *query, int *ret_err)
{
	struct bw_vfs_req req = {.path = path, .peer = (const struct sockaddr *)&peer4,
				 .local = (const struct sockaddr *)&local4, .service = service,
				 .query = query};
	struct bw_blob *b = NULL;
	char *s;
	int r = bw_vfs_open(vfs, &req, &b);

	*ret_err = r;
	if (r < 0)
		return NULL;
	s = strndup((const char *)b->data, b->len);
	bw_blob_unref(b);
	return s;
}

/* The text of path must contain want. */
static void expect(const struct bw_vfs *vfs, const char *service, const char *path,
		   const char *query, const char *want)
{
	int r;
	char *s = vfs_get(vfs, service, path, query, &r);

	check_context = path;
	if (CHECK_EQ_INT(r, 0) && !CHECK(strstr(s, want) != NULL))
		fprintf(stderr, "\twant \"%s\" in:\n%s\n", want, s);
	check_context = NULL;
	free(s);
}

static void expect_none(const struct bw_vfs *vfs, const char *service, const char *path,
			const char *query)
{
	int r;
	char *s = vfs_get(vfs, service, path, query, &r);

	check_context = path;
	CHECK_EQ_INT(r, -ENOENT);
	check_context = NULL;
	free(s);
}

static void test_ipxe(const struct bw_vfs *vfs)
{
	/* HTTP with a query: the machine's profile; MAC in any case and separator */
	expect(vfs, "http", "boot.ipxe", "mac=52:54:00:12:34:56&arch=i386&platform=pcbios",
	       "# bootwire: profile 'rescue' for 52:54:00:12:34:56 (bios)\n");
	expect(vfs, "http", "boot.ipxe", "mac=52-54-00-12-34-56&arch=x86_64&platform=efi",
	       "# bootwire: profile 'rescue' for 52:54:00:12:34:56 (efi_x64)\n");
	expect(vfs, "http", "autoexec.ipxe", "MAC=x&mac=525400123456", "profile 'rescue'");
	/* the machine's own hostname wins; the query's ip wins over the peer address */
	expect(vfs, "http", "boot.ipxe", "mac=52:54:00:12:34:56&hostname=other&ip=10.9.9.9",
	       " ip=10.9.9.9 host=node1 srv=10.0.0.1\n");
	/* a machine without entry: by arch, by uuid */
	expect(vfs, "http", "boot.ipxe", "mac=52:54:00:00:00:01&arch=x86_64&platform=efi",
	       "profile 'efi'");
	expect(vfs, "http", "boot.ipxe", "mac=52:54:00:00:00:01&arch=efi_x64", "profile 'efi'");
	expect(vfs, "http", "boot.ipxe", "uuid=8F3E0F1C-9A4B-4C5D-8E6F-0123456789AB",
	       "profile 'efi'");
	/* nothing applies and there is no default_profile */
	expect_none(vfs, "http", "boot.ipxe", "mac=52:54:00:00:00:01&arch=i386&platform=pcbios");
	expect_none(vfs, "http", "boot.ipxe", "arch=i386&platform=pcbios");
	/* without a query: stubs that ask again */
	expect(vfs, "http", "boot.ipxe", NULL, "\nchain boot.ipxe?mac=${netX/mac}&");
	expect(vfs, "http", "boot.ipxe", "", "\nchain boot.ipxe?mac=${netX/mac}&");
	expect(vfs, "tftp", "boot.ipxe?", NULL, "\nchain boot-${netX/mac:hexhyp}");
	expect(vfs, "tftp", "boot.ipxe", NULL,
	       "\nchain boot-${netX/mac:hexhyp}-${platform}-${buildarch}-${uuid}.ipxe\n");
	expect(vfs, "tftp", "autoexec.ipxe", NULL, "isset ${netX/ip} || dhcp\n");
	/* a TFTP client that sends the query in the name */
	expect(vfs, "tftp", "boot.ipxe?mac=52:54:00:12:34:56", NULL, "profile 'rescue'");
	/* what the TFTP stub asks for */
	expect(vfs, "tftp", "boot-52-54-00-12-34-56-pcbios-x86_64-.ipxe", NULL,
	       "for 52:54:00:12:34:56 (bios)\n");
	expect(vfs, "tftp", "boot-52-54-00-00-00-01-efi-x86_64-.ipxe", NULL, "profile 'efi'");
	expect(vfs, "tftp", "boot-52-54-00-00-00-01---8f3e0f1c-9a4b-4c5d-8e6f-0123456789ab.ipxe",
	       NULL, "profile 'efi'");
	expect(vfs, "tftp", "boot-52-54-00-12-34-56.ipxe", NULL, "profile 'rescue'");
	expect_none(vfs, "tftp", "boot-52-54-00-00-00-01.ipxe", NULL);
	expect_none(vfs, "tftp", "boot-52:54:00:12:34:56.ipxe", NULL);
	expect_none(vfs, "tftp", "boot-52-54-00-12-34-56-efi-x86_64-nope.ipxe", NULL);
	expect_none(vfs, "tftp", "boot-.ipxe", NULL);
	expect_none(vfs, "tftp", "sub/boot-52-54-00-12-34-56.ipxe", NULL);
}

static void test_hostile_query(const struct bw_vfs *vfs)
{
	static const char q[] = "mac=52:54:00:00:00:01&arch=x86_64&platform=efi";
	char buf[256];

	snprintf(buf, sizeof(buf), "%s&hostname=good-name&ip=10.1.1.1", q);
	expect(vfs, "http", "boot.ipxe", buf, " host=good-name ip=10.1.1.1\n");
	/* values that do not parse are unknown: no newline, quote or space ever reaches text */
	snprintf(buf, sizeof(buf), "%s&hostname=a%%0Akernel%%20x&ip=1.2.3.4%%0Aboot", q);
	expect(vfs, "http", "boot.ipxe", buf, " host= ip=10.0.0.50\nboot\n");
	snprintf(buf, sizeof(buf), "%s&hostname=a%%22b&ip=1.2.3.4'", q);
	expect(vfs, "http", "boot.ipxe", buf, " host= ip=10.0.0.50\nboot\n");
	expect_none(vfs, "http", "boot.ipxe", "mac=52:54:00:12:34:56%0A");
}

static void test_query_parse(void)
{
	struct bw_profile_request rq;
	char big[BW_PROFILE_QUERY_MAX + 2];

	CHECK_EQ_INT(bw_profile_query_parse("mac=52%3A54%3A00%3A12%3A34%3A56&mac=52:54:00:00:00:01"
					    "&ip=%3A%3Affff%3A10.0.0.7&hostname=node+1&hostname=x"
					    "&uuid=&arch=arm64&junk&=&x=y;platform=efi",
					    strlen("mac=52%3A54%3A00%3A12%3A34%3A56&mac=52:54:00:00:00:01"
						   "&ip=%3A%3Affff%3A10.0.0.7&hostname=node+1&hostname=x"
						   "&uuid=&arch=arm64&junk&=&x=y;platform=efi"),
					    &rq),
		     0);
	CHECK(rq.q.mac == rq.mac && rq.mac[5] == 0x56); /* the first mac counts */
	CHECK_EQ_STR(rq.q.ip, "::ffff:10.0.0.7");
	CHECK(rq.q.hostname == NULL); /* "node 1" is no host name, and the first one counts */
	CHECK(rq.q.uuid == NULL);     /* empty: unknown */
	CHECK_EQ_INT(rq.q.arch, BW_ARCH_EFI_ARM64);
	CHECK_EQ_INT(bw_profile_query_parse("arch=x86_64", 11, &rq), 0);
	CHECK_EQ_INT(rq.q.arch, BW_ARCH_UNKNOWN); /* x86_64 alone: BIOS or UEFI? */
	CHECK_EQ_INT(bw_profile_query_parse("arch=i386&platform=efi", 22, &rq), 0);
	CHECK_EQ_INT(rq.q.arch, BW_ARCH_EFI_IA32);
	CHECK_EQ_INT(bw_profile_query_parse("platform=pcbios", 15, &rq), 0);
	CHECK_EQ_INT(rq.q.arch, BW_ARCH_BIOS);
	CHECK_EQ_INT(bw_profile_query_parse("arch=bios&platform=efi", 22, &rq), 0);
	CHECK_EQ_INT(rq.q.arch, BW_ARCH_BIOS); /* ours wins */
	CHECK_EQ_INT(bw_profile_query_parse("hostname=%00x&mac=%zz", 21, &rq), 0);
	CHECK(rq.q.hostname == NULL && rq.q.mac == NULL);
	/* the length given counts, not the NUL */
	CHECK_EQ_INT(bw_profile_query_parse("hostname=abcdef", 11, &rq), 0);
	CHECK_EQ_STR(rq.q.hostname, "ab");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ_INT(bw_profile_query_parse(big, strlen(big), &rq), -EMSGSIZE);
}

static void test_pxelinux(const struct bw_vfs *vfs)
{
	/* 01-MAC, any case; served as a BIOS machine; the peer is the machine */
	expect(vfs, "tftp", "pxelinux.cfg/01-52-54-00-12-34-56",
	       NULL, "LABEL rescue\n  LINUX rescue/vmlinuz\n  APPEND ip=10.0.0.50 host=node1 "
		     "srv=10.0.0.1\n");
	expect(vfs, "tftp", "pxelinux.cfg/01-52-54-00-12-34-56", NULL, "(bios)");
	expect(vfs, "tftp", "pxelinux.cfg/01-52-54-00-AB-CD-EF", NULL, "profile 'menu1'");
	expect(vfs, "tftp", "pxelinux.cfg/01-52-54-00-ab-cd-ef", NULL, "profile 'menu1'");
	expect_none(vfs, "tftp", "pxelinux.cfg/01-52:54:00:12:34:56", NULL);
	/* a MAC no entry matches as bios: left to the files (hex IP names, then default) */
	expect_none(vfs, "tftp", "pxelinux.cfg/01-52-54-00-00-00-01", NULL);
	/* UUID names only for UUIDs an entry names */
	expect(vfs, "tftp", "pxelinux.cfg/8f3e0f1c-9a4b-4c5d-8e6f-0123456789ab", NULL,
	       "profile 'efi'");
	expect_none(vfs, "tftp", "pxelinux.cfg/8f3e0f1c-9a4b-4c5d-8e6f-0123456789ac", NULL);
	/* hex IP prefixes are never ours; default needs default_profile */
	expect_none(vfs, "tftp", "pxelinux.cfg/0A000032", NULL);
	expect_none(vfs, "tftp", "pxelinux.cfg/0A", NULL);
	expect_none(vfs, "tftp", "pxelinux.cfg/default", NULL);
	expect_none(vfs, "tftp", "pxelinux.cfg", NULL);
	expect_none(vfs, "tftp", "other/pxelinux.cfg/01-52-54-00-12-34-56", NULL);
}

static void test_grub(const struct bw_vfs *vfs)
{
	/* the same answer for every architecture: one config */
	expect(vfs, "tftp", "grub/grub.cfg-01-52-54-00-12-34-56", NULL,
	       "# bootwire: profile 'rescue' for 52:54:00:12:34:56\nset timeout=0\n");
	expect(vfs, "http", "grub/grub.cfg-01-52-54-00-12-34-56", NULL,
	       "\tlinux /rescue/vmlinuz ip=10.0.0.50 host=node1 srv=10.0.0.1\n");
	/* an unknown MAC that only the efi_x64 entry matches: branches */
	expect(vfs, "tftp", "grub/grub.cfg-01-52-54-00-00-00-01", NULL,
	       "elif [ \"$grub_platform\" = \"efi\" -a \"$grub_cpu\" = \"x86_64\" ]; then\n"
	       "\tset timeout=0\n\tset default=bw-efi\n");
	expect(vfs, "tftp", "grub/grub.cfg-8f3e0f1c-9a4b-4c5d-8e6f-0123456789ab", NULL,
	       "profile 'efi'");
	expect_none(vfs, "tftp", "grub/grub.cfg-8f3e0f1c-9a4b-4c5d-8e6f-0123456789ac", NULL);
	expect_none(vfs, "tftp", "grub/grub.cfg-0A000032", NULL);
	expect_none(vfs, "tftp", "grub/grub.cfg-01-52-54-00-12-34", NULL);
	/* grub.cfg: the redirect, then (without default_profile) the next boot device */
	expect(vfs, "tftp", "grub/grub.cfg", NULL, "\t\tconfigfile \"$bw_cfg\"\n");
	expect(vfs, "tftp", "grub/grub.cfg", NULL, "menuentry 'local' --id bw-local {\n\texit\n");
	expect_none(vfs, "tftp", "grub.cfg", NULL);
	expect_none(vfs, "tftp", "grub/x86_64-efi/normal.mod", NULL);
	expect_none(vfs, "tftp", "grub/grub.cfg/x", NULL);
	expect_none(vfs, "tftp", "grub/grubenv", NULL);
}

static void test_default_and_dirs(void)
{
	static struct bw_vfs vfs; /* providers keep their context for the life of the process */
	struct bw_config *cfg = pt_load("profiles:\n"
					"  menu1: { menu: [local], timeout: 3 }\n"
					"default_profile: menu1\n"
					"loaders: { pxelinux_bios: boot/syslinux/pxelinux.0, grub_dir: '' }\n");
	const struct bw_profile_set *ps = cfg ? bw_profile_set_of(cfg) : NULL;
	struct bw_vfs_req req = {.path = "boot.ipxe", .peer = (const struct sockaddr *)&peer4,
				 .local = (const struct sockaddr *)&local6, .service = "http",
				 .query = "mac=52:54:00:12:34:56"};
	struct bw_blob *b = NULL;

	bw_vfs_init(&vfs);
	if (!CHECK(ps != NULL) || !CHECK_EQ_INT(bw_profile_vfs_register(&vfs, ps, NULL), 0))
		goto out;
	/* default_profile for everyone; pxelinux.cfg where pxelinux.0 is */
	expect(&vfs, "tftp", "boot/syslinux/pxelinux.cfg/default", NULL,
	       "PROMPT 1\nTIMEOUT 30\nDEFAULT local\n");
	expect_none(&vfs, "tftp", "pxelinux.cfg/default", NULL);
	/* no machine entries: a MAC is never "known" */
	expect_none(&vfs, "tftp", "boot/syslinux/pxelinux.cfg/01-52-54-00-12-34-56", NULL);
	expect(&vfs, "tftp", "grub.cfg", NULL, "set timeout=3\nset default=bw-local\n");
	expect_none(&vfs, "tftp", "grub/grub.cfg", NULL);
	expect(&vfs, "http", "boot.ipxe", "mac=00:11:22:33:44:55", "profile 'menu1'");
	/* our address through an IPv4-mapped IPv6 socket is dotted IPv4 */
	if (CHECK_EQ_INT(bw_vfs_open(&vfs, &req, &b), 0)) {
		CHECK(memmem(b->data, b->len, "set base tftp://10.0.0.1/\n", 26) != NULL);
		bw_blob_unref(b);
	}
out:
	bw_config_free(cfg);
}

/* The daemon's provider: the live snapshot per request (a swap shows at the next request),
 * the host name DHCP gave the asking address, and ?mac= teaching the peer table. */
static void test_live(void)
{
	static struct bw_vfs vfs; /* the provider keeps its context for the process */
	struct bw_http_base http = {.port = 8080, .prefix = "/"};
	const uint8_t mac[6] = {0x52, 0x54, 0, 0xaa, 0xaa, 0xaa};
	struct bw_peers *peers = bw_peers_new();
	struct bw_cfg_live *live;
	uint8_t got[6];

	if (!CHECK_EQ_INT(bw_cfg_live_new(pt_load(yaml_machines), &live), 0))
		return;
	bw_vfs_init(&vfs);
	CHECK_EQ_INT(bw_profile_vfs_register_live(&vfs, live, &http, peers), 0);
	/* no name known: ${hostname} expands to nothing */
	expect(&vfs, "http", "boot.ipxe", "mac=52:54:00:aa:aa:aa&arch=efi_x64", "host= ip=");
	/* the script request taught the table who 10.0.0.50 is */
	CHECK(bw_peers_lookup(peers, (const struct sockaddr *)&peer4, got));
	CHECK_EQ_MEM(got, 6, mac, 6);
	/* DHCP's name for the address fills ${hostname}; the query's own wins */
	bw_peers_learn_v4(peers, 0x0a000032u, mac, "node7", 1);
	expect(&vfs, "http", "boot.ipxe", "mac=52:54:00:aa:aa:aa&arch=efi_x64", "host=node7 ");
	expect(&vfs, "http", "boot.ipxe", "mac=52:54:00:aa:aa:aa&arch=efi_x64&hostname=q",
	       "host=q ");
	expect(&vfs, "http", "boot.ipxe", "mac=52:54:00:aa:aa:aa&arch=efi_x64",
	       "set base http://10.0.0.1:8080/");
	/* a reload: the next request renders the new snapshot */
	bw_cfg_live_swap(live, pt_load("profiles:\n  efi: { kernel: efi/vmlinuz, cmdline: new }\n"
				       "default_profile: efi\n"));
	expect(&vfs, "http", "boot.ipxe", "mac=52:54:00:aa:aa:aa", "efi/vmlinuz new");
	/* a snapshot without profiles serves nothing */
	bw_cfg_live_swap(live, pt_load(""));
	expect_none(&vfs, "http", "boot.ipxe", "mac=52:54:00:aa:aa:aa");
	bw_cfg_live_free(live);
	bw_peers_free(peers);
}

int main(void)
{
	static struct bw_vfs vfs, empty; /* providers keep their context for the process */
	struct bw_config *cfg, *none;

	peer4.sin_family = local4.sin_family = AF_INET;
	inet_pton(AF_INET, "10.0.0.50", &peer4.sin_addr);
	inet_pton(AF_INET, "10.0.0.1", &local4.sin_addr);
	local6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &local6.sin6_addr);

	/* no profiles: nothing registered, boot_root's own files apply */
	none = pt_load("");
	bw_vfs_init(&empty);
	CHECK_EQ_INT(bw_profile_vfs_register(&empty, bw_profile_set_of(none), NULL), 0);
	CHECK_EQ_INT(empty.n, 0);
	bw_config_free(none);

	cfg = pt_load(yaml_machines);
	bw_vfs_init(&vfs);
	if (CHECK(cfg != NULL) &&
	    CHECK_EQ_INT(bw_profile_vfs_register(&vfs, bw_profile_set_of(cfg), NULL), 0)) {
		test_ipxe(&vfs);
		test_hostile_query(&vfs);
		test_pxelinux(&vfs);
		test_grub(&vfs);
		expect_none(&vfs, "tftp", "pxelinux.0", NULL);
		expect_none(&vfs, "http", "rescue/vmlinuz", NULL);
	}
	bw_config_free(cfg);
	test_query_parse();
	test_default_and_dirs();
	test_live();
	pt_cleanup();
	return check_summary();
}
