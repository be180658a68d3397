/* core/config: the key tables walked for every key, the keys a reload cannot apply, lines of
 * errors deep inside long lists, and setting keys from the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/config.h"
#include "core/log.h"
#include "dhcp/dhcp_config.h"
#include "http/http_config.h"
#include "profile/profile_config.h"
#include "tftp/tftp_config.h"

static char tc_dir[64];

static void tc_register(void)
{
	bw_config_register(&bw_core_cfg_section);
	bw_config_register(&bw_log_cfg_section);
	bw_config_register(&bw_tftp_cfg_section);
	bw_config_register(&bw_dhcp_cfg_section);
	bw_config_register(&bw_http_cfg_section);
	bw_config_register(&bw_profile_cfg_section);
}

/* Loads "boot_root: .\n" + yaml from a file in a temporary directory; NULL when it does not
 * load (the messages in err). */
static struct bw_config *tc_load(const char *yaml, char *err, size_t errcap)
{
	char path[128];
	struct bw_config *cfg = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bootwire.yaml", tc_dir);
	f = fopen(path, "w");
	if (!CHECK(f != NULL))
		return NULL;
	fprintf(f, "boot_root: .\n%s", yaml);
	fclose(f);
	if (bw_config_load(path, &cfg, err, errcap) < 0)
		cfg = NULL;
	unlink(path);
	return cfg;
}

static struct bw_config *tc_load_ok(const char *yaml)
{
	char err[4096];
	struct bw_config *cfg = tc_load(yaml, err, sizeof(err));

	if (!cfg)
		fprintf(stderr, "config does not load:\n%s", err);
	CHECK(cfg != NULL);
	return cfg;
}

/* ---- every key ---- */

struct tc_keys {
	char paths[4096];
	unsigned n, undocumented, restart;
};

static void tc_key_cb(void *ud, const char *path, const struct bw_cfg_key *k)
{
	struct tc_keys *t = ud;
	size_t o = strlen(t->paths);

	snprintf(t->paths + o, sizeof(t->paths) - o, "%s\n", path);
	t->n++;
	t->undocumented += !k->doc || !*k->doc;
	t->restart += !k->reload_safe;
}

static bool tc_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void test_for_each_key(void)
{
	static const char *const want[] = {
		"boot_root", "log.level", "tftp.port", "tftp.remap", "tftp.remap[].match",
		"tftp.uploads[].max_size", "dhcp.boot_files", "dhcp.boot_files.bios",
		"dhcp.subnets", "dhcp.subnets[].router", "dhcp.reservations[].client_id",
		"http.tls_key", "profiles", "profiles.<name>.kernel", "machines[].mac",
		"default_profile", "loaders.grub_dir",
	};
	struct tc_keys t = {.paths = ""};

	bw_config_for_each_key(tc_key_cb, &t);
	CHECK(t.n > 80);
	CHECK_EQ_INT(t.undocumented, 0);
	CHECK(t.restart > 10 && t.restart < t.n);
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		check_context = want[i];
		CHECK(tc_has_line(t.paths, want[i]));
	}
	check_context = NULL;
	CHECK(!tc_has_line(t.paths, "dhcp.subnets.router"));
	CHECK(!tc_has_line(t.paths, "profiles.kernel"));
}

/* ---- what a reload cannot apply ---- */

struct tc_restart {
	char paths[1024];
	unsigned n;
};

static void tc_restart_cb(void *ud, const char *path)
{
	struct tc_restart *t = ud;
	size_t o = strlen(t->paths);

	snprintf(t->paths + o, sizeof(t->paths) - o, "%s\n", path);
	t->n++;
}

static const char tc_base[] =
	"log: { level: info }\n"
	"tftp: { port: 6969, retries: 5 }\n"
	"dhcp:\n"
	"  interfaces: [br0]\n"
	"  boot_files: { bios: undionly.kpxe }\n"
	"  subnets:\n"
	"    - { subnet: 10.0.0.0/24, range: 10.0.0.10-10.0.0.20, router: 10.0.0.1,"
	" interface: br0 }\n"
	"  reservations:\n"
	"    - { mac: '52:54:00:12:34:56', ip: 10.0.0.5 }\n"
	"profiles:\n"
	"  a: { kernel: vmlinuz }\n"
	"machines:\n"
	"  - { mac: '52:54:00:12:34:56', profile: a }\n";

/* The paths bw_config_restart_keys() reports between tc_base and tc_base with the text from
 * `from` replaced by `to`. */
static const char *tc_restart(const char *from, const char *to, struct tc_restart *t)
{
	char yaml[2048];
	const char *at = strstr(tc_base, from);
	struct bw_config *a, *b;
	int r = -1;

	memset(t, 0, sizeof(*t));
	if (!CHECK(at != NULL))
		return "";
	snprintf(yaml, sizeof(yaml), "%.*s%s%s", (int)(at - tc_base), tc_base, to,
		 at + strlen(from));
	a = tc_load_ok(tc_base);
	b = tc_load_ok(yaml);
	if (a && b)
		r = bw_config_restart_keys(a, b, tc_restart_cb, t);
	CHECK_EQ_INT(r, (int)t->n);
	bw_config_free(a);
	bw_config_free(b);
	return t->paths;
}

static void test_restart_keys(void)
{
	struct tc_restart t;

	CHECK_EQ_STR(tc_restart("info", "info", &t), "");
	/* reload-safe changes: none needs a restart */
	CHECK_EQ_STR(tc_restart("level: info", "level: debug", &t), "");
	CHECK_EQ_STR(tc_restart("retries: 5", "retries: 7", &t), "");
	CHECK_EQ_STR(tc_restart("router: 10.0.0.1", "router: 10.0.0.2", &t), "");
	CHECK_EQ_STR(tc_restart("bios: undionly.kpxe", "bios: x.kpxe", &t), "");
	CHECK_EQ_STR(tc_restart("ip: 10.0.0.5", "ip: 10.0.0.6", &t), "");
	CHECK_EQ_STR(tc_restart("kernel: vmlinuz", "kernel: bzImage", &t), "");
	CHECK_EQ_STR(tc_restart("profile: a }\n", "profile: a }\n  - { arch: bios, profile: a }\n",
				&t), "");
	/* the others */
	CHECK_EQ_STR(tc_restart("port: 6969", "port: 69", &t), "tftp.port\n");
	CHECK_EQ_STR(tc_restart("[br0]", "[br0, br1]", &t), "dhcp.interfaces\n");
	CHECK_EQ_STR(tc_restart("interface: br0", "interface: br1", &t),
		     "dhcp.subnets[].interface\n");
	CHECK_EQ_STR(tc_restart("10.0.0.10-10.0.0.20", "10.0.0.10-10.0.0.30", &t),
		     "dhcp.subnets[].range\n");
	CHECK_EQ_STR(tc_restart("log: { level: info }\n", "user: nobody\n", &t), "user\n");
	/* a new subnet: every key of it that needs a restart differs */
	CHECK_EQ_STR(tc_restart("  reservations:\n",
				"    - { subnet: 10.1.0.0/24 }\n  reservations:\n", &t),
		     "dhcp.subnets[].subnet\ndhcp.subnets[].range\ndhcp.subnets[].interface\n");
	CHECK_EQ_STR(tc_restart("tftp: { port: 6969, retries: 5 }\n",
				"tftp: { port: 6970, enabled: false }\n"
				"http: { enabled: true }\n", &t),
		     "tftp.enabled\ntftp.port\nhttp.enabled\n");
}

/* ---- lines ---- */

/* An error in entry 3000 of a list, found by parsing and by validation, is reported at its
 * own line (the line table has no fixed size). */
static void test_lines_deep(void)
{
	size_t cap = 512 * 1024, o;
	char *yaml = malloc(cap), err[2048];
	struct bw_config *cfg;

	if (!CHECK(yaml != NULL))
		return;
	o = (size_t)snprintf(yaml, cap, "dhcp:\n  subnets:\n    - { subnet: 10.0.0.0/16 }\n"
				       "  reservations:\n"); /* lines 2-5 */
	for (unsigned i = 0; i < 3000; i++) /* lines 6.. */
		o += (size_t)snprintf(yaml + o, cap - o,
				      "    - { mac: '52:54:00:00:%02x:%02x', ip: 10.0.%u.%u }\n",
				      i >> 8, i & 255, 1 + i / 200, 1 + i % 200);
	snprintf(yaml + o, cap - o, "    - { mac: '52:54:00:ff:00:01', ip: 10.9.0.1 }\n"
				    "    - { mac: '52:54:00:ff:00:0', ip: 10.0.200.1 }\n");
	cfg = tc_load(yaml, err, sizeof(err));
	CHECK(cfg == NULL);
	CHECK(strstr(err, ":3007: dhcp.reservations.mac: '52:54:00:ff:00:0' is not a MAC") != NULL);
	bw_config_free(cfg);
	/* without the parse error, validation finds the address outside the subnets */
	yaml[o + strlen("    - { mac: '52:54:00:ff:00:01', ip: 10.9.0.1 }\n")] = '\0';
	cfg = tc_load(yaml, err, sizeof(err));
	CHECK(cfg == NULL);
	CHECK(strstr(err, ":3006: dhcp.reservations: 10.9.0.1 is in none of the subnets") != NULL);
	bw_config_free(cfg);
	free(yaml);
}

static void test_errors(void)
{
	char err[2048];
	struct bw_config *cfg;

	/* every problem of a record at once, each at its line; the record is left out */
	cfg = tc_load("dhcp:\n"
		      "  subnets:\n"
		      "    - subnet: 10.0.0.0/24\n"
		      "      router: 10.0.0.256\n"
		      "      dns: [10.0.0.1, 010.0.0.2]\n"
		      "      lease_time: 1\n"
		      "      colour: blue\n"
		      "    - { range: 10.1.0.1-10.1.0.2 }\n",
		      err, sizeof(err));
	CHECK(cfg == NULL);
	CHECK(strstr(err, ":5: dhcp.subnets.router: '10.0.0.256' is not an IPv4 address\n"));
	CHECK(strstr(err, ":6: dhcp.subnets.dns: '010.0.0.2' is not an IPv4 address\n"));
	CHECK(strstr(err, ":7: dhcp.subnets.lease_time: expected seconds from 60 to 31536000, "
			  "got '1'\n"));
	CHECK(strstr(err, ":8: dhcp.subnets: unknown key 'colour'\n"));
	CHECK(strstr(err, ":9: dhcp.subnets: each entry needs subnet\n"));
	bw_config_free(cfg);
	/* a MAC the old sscanf reader took */
	cfg = tc_load("dhcp:\n  reservations:\n    - { mac: '-1:+f: 1:0x:-2:ff' }\n", err,
		      sizeof(err));
	CHECK(cfg == NULL);
	CHECK(strstr(err, ":4: dhcp.reservations.mac: '-1:+f: 1:0x:-2:ff' is not a MAC address"));
	bw_config_free(cfg);
	cfg = tc_load("tftp: { port: 69 }\ntftp: { port: 70 }\n", err, sizeof(err));
	CHECK(cfg == NULL);
	CHECK(strstr(err, ":3: duplicate key 'tftp'\n"));
	bw_config_free(cfg);
}

static void test_values(void)
{
	struct bw_config *cfg = tc_load_ok(
		"dhcp:\n"
		"  interfaces: eth0\n" /* one value is a list of one */
		"  subnets: [{ subnet: 10.2.0.0/15, range: 10.3.0.1-10.3.255.254,\n"
		"              dns: 10.2.0.1 }]\n"
		"  reservations:\n"
		"    - { mac: 525400ABCDEF, client_id: 01-52-54-00-ab-cd-ef }\n"
		"profiles:\n"
		"  q: { kernel: ./a//b, title: \"it's \\\"q\\\"\" }\n");
	const struct bw_dhcp_config *d = cfg ? bw_config_get(cfg, &bw_dhcp_cfg_section) : NULL;
	const struct bw_profile_set *ps = cfg ? bw_config_get(cfg, &bw_profile_cfg_section) : NULL;

	if (!d || !ps)
		goto out;
	CHECK_EQ_INT(d->n_interfaces, 1);
	CHECK_EQ_STR(d->interfaces[0], "eth0");
	CHECK_EQ_INT(d->n_subnets, 1);
	CHECK_EQ_U64(d->subnets[0].net, 0x0a020000u);
	CHECK_EQ_U64(d->subnets[0].mask, 0xfffe0000u);
	CHECK_EQ_U64(d->subnets[0].range_last, 0x0a03fffeu);
	CHECK_EQ_INT(d->subnets[0].n_dns, 1);
	CHECK_EQ_INT(d->subnets[0].lease_time_s, 3600); /* the record's default */
	CHECK_EQ_INT(d->n_reservations, 1);
	CHECK(d->reservations[0].has_mac);
	CHECK_EQ_MEM(d->reservations[0].mac, 6, "\x52\x54\x00\xab\xcd\xef", 6);
	CHECK_EQ_MEM(d->reservations[0].client_id, d->reservations[0].client_id_len,
		     "\x01\x52\x54\x00\xab\xcd\xef", 7);
	CHECK_EQ_INT(ps->profiles.n, 1);
	CHECK_EQ_STR(ps->profiles.v[0].name, "q");
	CHECK_EQ_STR(ps->profiles.v[0].kernel, "a/b");
	CHECK_EQ_STR(ps->profiles.v[0].title, "it's \"q\"");
out:
	bw_config_free(cfg);
}

/* Validation runs after parse errors, but checks that depend on a refused value stay quiet. */
static void test_after_errors(void)
{
	char err[2048];
	struct bw_config *cfg;

	cfg = tc_load("tftp: { port: 0, listen: nowhere }\n"           /* 2 */
		      "dhcp:\n"                                          /* 3 */
		      "  enabled: true\n"                                /* 4 */
		      "  mode: relay\n"                                  /* 5 */
		      "  interfaces: ['bad/name']\n"                     /* 6 */
		      "  subnets:\n"                                     /* 7 */
		      "    - { subnet: 10.0.0.1/24 }\n"                  /* 8 */
		      "  reservations:\n"                                /* 9 */
		      "    - { mac: '52:54:00:12:34:56', ip: 10.0.0.5 }\n" /* 10 */
		      "profiles:\n"                                      /* 11 */
		      "  bad: { kernel: /abs }\n"                        /* 12 */
		      "machines:\n"                                      /* 13 */
		      "  - { mac: '52:54:00:12:34:56', profile: bad }\n" /* 14 */
		      "  - { mac: '52:54:00:12:34:57', profile: nosuch }\n",
		      err, sizeof(err));
	CHECK(cfg == NULL);
	CHECK(strstr(err, ":2: tftp.port: expected a whole number") != NULL);
	CHECK(strstr(err, ":2: tftp.listen: 'nowhere' is not an IPv4 or IPv6 address\n") != NULL);
	CHECK(strstr(err, ":15: machines.profile: no profile named 'nosuch'\n") != NULL);
	/* quiet: no interfaces (they were refused), no subnet (refused), the reservation's
	 * subnet (refused), the profile 'bad' (refused) */
	CHECK(strstr(err, "list the interfaces") == NULL);
	CHECK(strstr(err, "server mode needs") == NULL);
	CHECK(strstr(err, "none of the subnets") == NULL);
	CHECK(strstr(err, "'bad'") == NULL);
	bw_config_free(cfg);
}

static void tc_write(const char *name, const char *text, mode_t mode)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tc_dir, name);
	f = fopen(path, "w");
	if (!CHECK(f != NULL))
		return;
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int tc_load_flags(const char *name, unsigned flags, char *err, size_t errcap)
{
	char path[160];
	struct bw_config *cfg = NULL;
	int r;

	snprintf(path, sizeof(path), "%s/%s", tc_dir, name);
	r = bw_config_load_flags(path, flags, &cfg, err, errcap);
	bw_config_free(cfg);
	return r;
}

/* What check-config adds: the machine (a file `user` cannot read) and strict checks. */
static void test_check_flags(void)
{
	char dir[160], err[2048];

	snprintf(dir, sizeof(dir), "%s/private", tc_dir);
	chmod(tc_dir, 0755); /* nobody may enter boot_root, not private/ */
	if (!CHECK(mkdir(dir, 0700) == 0))
		return;
	tc_write("private/x.efi", "", 0644);
	tc_write("here.kpxe", "", 0644);
	tc_write("host.yaml", "boot_root: .\nuser: nobody\ndhcp:\n  enabled: true\n"
		 "  mode: proxy\n  interfaces: [lo]\n"
		 "  boot_files: { bios: here.kpxe, efi_x64: private/x.efi }\n", 0644);
	CHECK_EQ_INT(tc_load_flags("host.yaml", 0, err, sizeof(err)), 0);
	CHECK_EQ_INT(tc_load_flags("host.yaml", BW_CFG_CHECK_HOST, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, ":7: dhcp.boot_files.efi_x64: 'private/x.efi' cannot be read by user "
			  "'nobody'\n") != NULL);
	CHECK(strstr(err, "here.kpxe") == NULL);
	chmod(dir, 0755);
	CHECK_EQ_INT(tc_load_flags("host.yaml", BW_CFG_CHECK_HOST, err, sizeof(err)), 0);

	tc_write("strict.yaml", "boot_root: .\nprofiles:\n"
		 "  a: { kernel: k, cmdline: 'h=${hostname}' }\n"
		 "machines:\n  - { mac: '52:54:00:12:34:56', profile: a }\n", 0644);
	CHECK_EQ_INT(tc_load_flags("strict.yaml", BW_CFG_CHECK_HOST, err, sizeof(err)), 0);
	CHECK_EQ_INT(tc_load_flags("strict.yaml", BW_CFG_CHECK_STRICT, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, ":5: machines.profile: 'a' uses ${hostname} in its cmdline") != NULL);

	snprintf(dir, sizeof(dir), "%s/private/x.efi", tc_dir);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/private", tc_dir);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/here.kpxe", tc_dir);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/host.yaml", tc_dir);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/strict.yaml", tc_dir);
	unlink(dir);
}

static void test_set(void)
{
	struct bw_config *cfg = bw_config_new_defaults();
	const struct bw_tftp_config *t = cfg ? bw_config_get(cfg, &bw_tftp_cfg_section) : NULL;
	char err[256];

	if (!CHECK(t != NULL))
		return;
	CHECK_EQ_INT(bw_config_set(cfg, "cli", "tftp", "port", "6969", err, sizeof(err)), 0);
	CHECK_EQ_INT(t->port, 6969);
	CHECK_EQ_INT(bw_config_set(cfg, "cli", "tftp", "port", "0", err, sizeof(err)), -EINVAL);
	CHECK_EQ_STR(err, "cli: tftp.port: expected a whole number from 1 to 65535, got '0'\n");
	CHECK_EQ_INT(bw_config_set(cfg, "cli", "tftp", "remap", "x", err, sizeof(err)), -ENOENT);
	CHECK_EQ_INT(bw_config_set(cfg, "cli", NULL, "user", "nobody", err, sizeof(err)), 0);
	CHECK_EQ_INT(bw_config_set(cfg, "cli", "dhcp", "interfaces", "br0", err, sizeof(err)), 0);
	bw_config_free(cfg);
}

/* ---- from a buffer ---- */

/* bw_config_load_buf: the same load as a file, named as given; a value with control bytes
 * is quoted in its message as \xNN, so every message stays one line. */
static void test_load_buf(void)
{
	static const char ok[] = "boot_root: /srv\ntftp: {port: 6969}\n";
	static const char bad[] = "boot_root: /srv\nmachines:\n  - { uuid: \"8f3e\\n\\rx\" }\n";
	struct bw_config *cfg = NULL;
	char err[1024];

	CHECK_EQ_INT(bw_config_load_buf("/b.yaml", ok, sizeof(ok) - 1, 0, &cfg, err, sizeof(err)),
		     0);
	CHECK(cfg != NULL);
	if (cfg)
		CHECK_EQ_INT(((const struct bw_tftp_config *)bw_config_get(cfg, &bw_tftp_cfg_section))
				 ->port,
			     6969);
	bw_config_free(cfg);
	cfg = NULL;
	CHECK(bw_config_load_buf("/b.yaml", bad, sizeof(bad) - 1, 0, &cfg, err, sizeof(err)) < 0);
	CHECK(cfg == NULL);
	CHECK_EQ_STR(err, "/b.yaml:3: machines.uuid: '8f3e\\x0a\\x0dx' is not a UUID like "
			  "8f3e0f1c-9a4b-4c5d-8e6f-0123456789ab\n");
}

int main(void)
{
	snprintf(tc_dir, sizeof(tc_dir), "/tmp/bw-config-test-XXXXXX");
	if (!mkdtemp(tc_dir)) {
		perror("mkdtemp");
		return 1;
	}
	bw_log_setup(BW_LOG_ERROR, BW_LOG_TEXT); /* no warnings about missing kernels */
	tc_register();
	test_for_each_key();
	test_restart_keys();
	test_lines_deep();
	test_errors();
	test_values();
	test_after_errors();
	test_check_flags();
	test_set();
	test_load_buf();
	rmdir(tc_dir);
	return check_summary();
}
