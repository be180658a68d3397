/* Fuzz target: any bytes as what a booting machine tells the profile provider: an HTTP query
 * on boot.ipxe, the middle of a per-MAC TFTP name (boot-<that>.ipxe), and a path of its own,
 * against a fixed set of profiles (built here: no YAML).
 * Invariants (abort() when broken): parsed values are well-formed (host names and addresses
 * only of [A-Za-z0-9._:-]); rendered text has no control bytes but newlines and tabs; and a
 * rendering from request values has exactly as many lines as the same profile rendered
 * with harmless values, so no value can add a line (a command) of its own. */
#include <stdlib.h>
#include <string.h>

#include "core/vfs.h"
#include "profile/profile_config.h"
#include "fuzz_assert.h"

static char *fuzz_initrds[] = {"rescue/initrd.img", "fw/initrd.img"};
enum { FUZZ_RESCUE, FUZZ_SHELL, FUZZ_CHAIN, FUZZ_MENU };
static struct bw_profile fuzz_profiles[4];
static const struct bw_profile *fuzz_items[] = {&fuzz_profiles[FUZZ_RESCUE],
						&fuzz_profiles[FUZZ_SHELL],
						&fuzz_profiles[FUZZ_CHAIN], &bw_profile_local};
static struct bw_profile fuzz_profiles[4] = {
	[FUZZ_RESCUE] = {.name = "rescue", .kind = BW_PROFILE_LINUX, .idx = 0,
			 .kernel = "rescue/vmlinuz", .n_initrd = 2, .initrd = fuzz_initrds,
			 .cmdline = "console=ttyS0 host=${hostname} ip=${ip} mac=${mac} uuid=${uuid} "
				    "srv=${server} arch=${arch} lit=$${mac} x=${net0/mac}"},
	[FUZZ_SHELL] = {.name = "shell", .kind = BW_PROFILE_IPXE, .idx = 1,
			.script = "#!ipxe\necho ${hostname} ${ip} ${mac}\nshell\n"},
	[FUZZ_CHAIN] = {.name = "xyz", .kind = BW_PROFILE_CHAIN, .idx = 2,
			.chain = "http://boot.example/x.efi?mac=${mac}&h=${hostname}"},
	[FUZZ_MENU] = {.name = "menu1", .kind = BW_PROFILE_MENU, .idx = 3, .n_items = 4,
		       .item_p = fuzz_items, .timeout_s = 5},
};
static char *fuzz_labels[] = {"lab"};
static struct bw_profile_machine fuzz_machines[] = {
	{.has_mac = true, .mac = {0x52, 0x54, 0, 0x12, 0x34, 0x56},
	 .profile = &fuzz_profiles[FUZZ_RESCUE], .hostname = "node1"},
	{.has_uuid = true, .uuid = {0x8f, 0x3e, 0x0f, 0x1c, 0x9a, 0x4b, 0x4c, 0x5d, 0x8e, 0x6f, 1,
				    0x23, 0x45, 0x67, 0x89, 0xab},
	 .n_labels = 1, .labels = fuzz_labels},
	{.label = "lab", .profile = &fuzz_profiles[FUZZ_SHELL]},
	{.arch = BW_ARCH_EFI_X64, .profile = &fuzz_profiles[FUZZ_MENU]},
	{.arch = BW_ARCH_EFI_ARM64, .profile = &fuzz_profiles[FUZZ_CHAIN]},
};
static struct bw_profile_set fuzz_set = {
	.profiles = {4, fuzz_profiles},
	.machines = {sizeof(fuzz_machines) / sizeof(fuzz_machines[0]), fuzz_machines},
	.loaders = {.pxelinux_dir = "", .grub_dir = "grub/"},
	.def = &fuzz_profiles[FUZZ_MENU],
};

static unsigned fuzz_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++) {
		FUZZ_ASSERT((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t');
		n += *s == '\n';
	}
	return n;
}

static void fuzz_check_request(const struct bw_profile_request *rq)
{
	const struct bw_profile_query *q = &rq->q;

	FUZZ_ASSERT(!q->mac || q->mac == rq->mac);
	FUZZ_ASSERT(!q->uuid || q->uuid == rq->uuid);
	FUZZ_ASSERT((unsigned)q->arch <= BW_ARCH_EFI_ARM64);
	FUZZ_ASSERT(!q->hostname || (bw_profile_value_is_safe(q->hostname) &&
				     bw_profile_hostname_is_valid(q->hostname,
								  strlen(q->hostname))));
	FUZZ_ASSERT(!q->ip || (*q->ip && bw_profile_value_is_safe(q->ip)));
}

/* Renders the request's profile with its values and with harmless ones: same line count. */
static void fuzz_render(const struct bw_profile_request *rq)
{
	struct bw_profile_choice ch;
	struct bw_profile_env env = {.ps = &fuzz_set, .arch = rq->q.arch, .ip = rq->q.ip,
				     .hostname = rq->q.hostname, .server = "10.0.0.1",
				     .http_base = "http://${server}:8080/"};
	struct bw_profile_env calm;
	char mac[18], uuid[37], *a = NULL, *b = NULL;

	if (bw_profile_resolve(&fuzz_set, &rq->q, &ch) < 0)
		return;
	if (rq->q.mac) {
		bw_profile_mac_str(rq->q.mac, ':', mac);
		env.mac = mac;
	}
	if (rq->q.uuid) {
		bw_profile_uuid_str(rq->q.uuid, uuid);
		env.uuid = uuid;
	}
	if (ch.hostname)
		env.hostname = ch.hostname;
	calm = env;
	calm.ip = calm.hostname = calm.mac = calm.uuid = "v";
	if (bw_profile_render_ipxe(ch.profile, &env, &a) == 0 &&
	    bw_profile_render_ipxe(ch.profile, &calm, &b) == 0)
		FUZZ_ASSERT(fuzz_lines(a) == fuzz_lines(b));
	free(a);
	free(b);
	a = b = NULL;
	if (bw_profile_render_pxelinux(ch.profile, &env, &a) == 0 &&
	    bw_profile_render_pxelinux(ch.profile, &calm, &b) == 0)
		FUZZ_ASSERT(fuzz_lines(a) == fuzz_lines(b));
	free(a);
	free(b);
}

static void fuzz_vfs(const char *path, const char *query, const char *service)
{
	static struct bw_vfs vfs;
	static int ready;
	struct bw_vfs_req req = {.path = path, .service = service, .query = query};
	struct bw_blob *blob = NULL;
	char *text;

	if (!ready) {
		bw_vfs_init(&vfs);
		FUZZ_ASSERT(bw_profile_vfs_register(&vfs, &fuzz_set, "http://${server}:8080/") == 0);
		ready = 1;
	}
	if (bw_vfs_open(&vfs, &req, &blob) < 0)
		return;
	text = strndup((const char *)blob->data, blob->len);
	FUZZ_ASSERT(text && strlen(text) == blob->len);
	fuzz_lines(text);
	free(text);
	bw_blob_unref(blob);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_profile_request rq;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (bw_profile_query_parse(s, size, &rq) == 0) {
		fuzz_check_request(&rq);
		fuzz_render(&rq);
	}
	if (bw_profile_name_parse(s, size, &rq) == 0) {
		fuzz_check_request(&rq);
		fuzz_render(&rq);
	}
	fuzz_vfs("boot.ipxe", s, "http");
	fuzz_vfs(s, NULL, "tftp");
	free(s);
	return 0;
}
