/* Rendering: golden texts for every kind and loader, variable expansion and its escape,
 * hostile values, the iPXE stubs, GRUB's per-architecture branches; GRUB configs are run
 * through grub-script-check when it is installed. */
#include <sys/wait.h>

#include "check.h"
#include "profile_test.h"

static const char *const yaml =
	"profiles:\n"
	"  rescue: { kernel: rescue/vmlinuz, initrd: [rescue/initrd.img, fw/initrd.img], cmdline: "
	"'console=ttyS0 host=${hostname} ip=${ip} srv=${server} lit=$${mac} ipxe=${net0/mac} "
	"root=LABEL=\"my disk\"' }\n"
	"  bare: { kernel: vmlinuz }\n"
	"  shell: { script: \"#!ipxe\\necho ${hostname} on ${arch}\\nshell\\n\", title: \"iPXE shell\" }\n"
	"  xyz: { chain: \"http://boot.netboot.xyz/x.efi?a=1&b=${mac}\", title: netboot.xyz }\n"
	"  wds: { chain: windows/wdsnbp.com }\n"
	"  tftpc: { chain: \"tftp://10.0.0.9/other.0\" }\n"
	"  secure: { chain: \"https://example.org/x.efi\" }\n"
	"  disk: { local: true, title: Boot from disk }\n"
	"  tools: { menu: [shell, xyz, wds], timeout: 0, title: Tools }\n"
	"  main: { menu: [rescue, tools, disk, secure], default: tools, timeout: 5, title: Main menu }\n"
	"default_profile: main\n"
	"loaders: { pxelinux_bios: syslinux/pxelinux.0 }\n";

enum renderer { R_IPXE, R_PXELINUX, R_GRUB };

struct render_case {
	const char *id;
	enum renderer r;
	const char *profile;
	enum bw_arch arch;
	const char *http_base;
	bool no_server;
	bool no_ps;       /* pxelinux.0 at the top of boot_root */
	const char *want;
};

static const char ipxe_linux_efi_tftp[] =
	"#!ipxe\n"
	"# bootwire: profile 'rescue' for 52:54:00:12:34:56 (efi_x64)\n"
	"set base tftp://10.0.0.1/\n"
	"kernel ${base}rescue/vmlinuz initrd=initrd.img initrd=initrd1-initrd.img console=ttyS0 host=node1 ip=10.0.0.50 srv=10.0.0.1 lit=${mac} ipxe=${net0/mac} root=LABEL=\"my disk\"\n"
	"initrd ${base}rescue/initrd.img\n"
	"initrd --name initrd1-initrd.img ${base}fw/initrd.img\n"
	"boot\n";

static const char ipxe_linux_bios_http[] =
	"#!ipxe\n"
	"# bootwire: profile 'rescue' for 52:54:00:12:34:56 (bios)\n"
	"set base http://10.0.0.1:8080/\n"
	"kernel ${base}rescue/vmlinuz console=ttyS0 host=node1 ip=10.0.0.50 srv=10.0.0.1 lit=${mac} ipxe=${net0/mac} root=LABEL=\"my disk\"\n"
	"initrd ${base}rescue/initrd.img\n"
	"initrd --name initrd1-initrd.img ${base}fw/initrd.img\n"
	"boot\n";

static const char ipxe_linux_noserver[] =
	"#!ipxe\n"
	"# bootwire: profile 'rescue' for 52:54:00:12:34:56\n"
	"set base http://${next-server}:8080/\n"
	"kernel ${base}rescue/vmlinuz initrd=initrd.img initrd=initrd1-initrd.img console=ttyS0 host=node1 ip=10.0.0.50 srv= lit=${mac} ipxe=${net0/mac} root=LABEL=\"my disk\"\n"
	"initrd ${base}rescue/initrd.img\n"
	"initrd --name initrd1-initrd.img ${base}fw/initrd.img\n"
	"boot\n";

static const char ipxe_linux_noinitrd[] =
	"#!ipxe\n"
	"# bootwire: profile 'bare' for 52:54:00:12:34:56 (efi_x64)\n"
	"set base tftp://10.0.0.1/\n"
	"kernel ${base}vmlinuz\n"
	"boot\n";

static const char ipxe_script[] =
	"#!ipxe\n"
	"# bootwire: profile 'shell' for 52:54:00:12:34:56 (efi_x64)\n"
	"set base tftp://10.0.0.1/\n"
	"echo node1 on efi_x64\n"
	"shell\n";

static const char ipxe_chain_url[] =
	"#!ipxe\n"
	"# bootwire: profile 'xyz' for 52:54:00:12:34:56 (efi_x64)\n"
	"set base tftp://10.0.0.1/\n"
	"chain http://boot.netboot.xyz/x.efi?a=1&b=52:54:00:12:34:56\n";

static const char ipxe_chain_file[] =
	"#!ipxe\n"
	"# bootwire: profile 'wds' for 52:54:00:12:34:56 (bios)\n"
	"set base tftp://10.0.0.1/\n"
	"chain ${base}windows/wdsnbp.com\n";

static const char ipxe_menu[] =
	"#!ipxe\n"
	"# bootwire: profile 'main' for 52:54:00:12:34:56 (efi_x64)\n"
	"set base tftp://10.0.0.1/\n"
	"\n"
	":bw-main\n"
	"menu Main menu\n"
	"item bw-rescue rescue\n"
	"item bw-tools Tools\n"
	"item bw-disk Boot from disk\n"
	"item bw-secure secure\n"
	"choose --timeout 5000 --default bw-tools bw-choice || exit\n"
	"goto ${bw-choice}\n"
	"\n"
	":bw-rescue\n"
	"kernel ${base}rescue/vmlinuz initrd=initrd.img initrd=initrd1-initrd.img console=ttyS0 host=node1 ip=10.0.0.50 srv=10.0.0.1 lit=${mac} ipxe=${net0/mac} root=LABEL=\"my disk\"\n"
	"initrd ${base}rescue/initrd.img\n"
	"initrd --name initrd1-initrd.img ${base}fw/initrd.img\n"
	"boot\n"
	"\n"
	":bw-tools\n"
	"menu Tools\n"
	"item bw-shell iPXE shell\n"
	"item bw-xyz netboot.xyz\n"
	"item bw-wds wds\n"
	"choose --default bw-shell bw-choice || exit\n"
	"goto ${bw-choice}\n"
	"\n"
	":bw-shell\n"
	"echo node1 on efi_x64\n"
	"shell\n"
	"exit\n"
	"\n"
	":bw-xyz\n"
	"chain http://boot.netboot.xyz/x.efi?a=1&b=52:54:00:12:34:56\n"
	"exit\n"
	"\n"
	":bw-wds\n"
	"chain ${base}windows/wdsnbp.com\n"
	"exit\n"
	"\n"
	":bw-disk\n"
	"exit\n"
	"\n"
	":bw-secure\n"
	"chain https://example.org/x.efi\n"
	"exit\n";

static const char ipxe_local[] =
	"#!ipxe\n"
	"# bootwire: profile 'disk' for 52:54:00:12:34:56 (bios)\n"
	"set base tftp://10.0.0.1/\n"
	"exit\n";

static const char pxe_linux_top[] =
	"# bootwire: profile 'rescue' for 52:54:00:12:34:56 (bios)\n"
	"PROMPT 0\n"
	"DEFAULT rescue\n"
	"LABEL rescue\n"
	"  LINUX rescue/vmlinuz\n"
	"  INITRD rescue/initrd.img,fw/initrd.img\n"
	"  APPEND console=ttyS0 host=node1 ip=10.0.0.50 srv=10.0.0.1 lit=${mac} ipxe=${net0/mac} root=LABEL=\"my disk\"\n";

static const char pxe_linux_subdir[] =
	"# bootwire: profile 'rescue' for 52:54:00:12:34:56 (bios)\n"
	"PROMPT 0\n"
	"DEFAULT rescue\n"
	"LABEL rescue\n"
	"  LINUX ::rescue/vmlinuz\n"
	"  INITRD ::rescue/initrd.img,::fw/initrd.img\n"
	"  APPEND console=ttyS0 host=node1 ip=10.0.0.50 srv=10.0.0.1 lit=${mac} ipxe=${net0/mac} root=LABEL=\"my disk\"\n";

static const char pxe_menu[] =
	"# bootwire: profile 'main' for 52:54:00:12:34:56 (bios)\n"
	"PROMPT 1\n"
	"TIMEOUT 50\n"
	"DEFAULT shell\n"
	"SAY Main menu\n"
	"SAY   rescue - rescue\n"
	"SAY   shell - iPXE shell\n"
	"SAY   xyz - netboot.xyz\n"
	"SAY   wds - wds\n"
	"SAY   disk - Boot from disk\n"
	"SAY   secure - secure\n"
	"SAY Type a name and press Enter; shell starts in 5 seconds.\n"
	"LABEL rescue\n"
	"  LINUX ::rescue/vmlinuz\n"
	"  INITRD ::rescue/initrd.img,::fw/initrd.img\n"
	"  APPEND console=ttyS0 host=node1 ip=10.0.0.50 srv=10.0.0.1 lit=${mac} ipxe=${net0/mac} root=LABEL=\"my disk\"\n"
	"LABEL shell\n"
	"  # bootwire: this profile is an iPXE script, which pxelinux cannot run: booting from the local disk instead\n"
	"  LOCALBOOT 0\n"
	"LABEL xyz\n"
	"  # bootwire: pxelinux.0 cannot fetch 'http://boot.netboot.xyz/x.efi?a=1&b=${mac}' (only TFTP): booting from the local disk instead\n"
	"  LOCALBOOT 0\n"
	"LABEL wds\n"
	"  PXE ::windows/wdsnbp.com\n"
	"LABEL disk\n"
	"  LOCALBOOT 0\n"
	"LABEL secure\n"
	"  # bootwire: pxelinux.0 cannot fetch 'https://example.org/x.efi' (only TFTP): booting from the local disk instead\n"
	"  LOCALBOOT 0\n";

static const char pxe_chain_tftp[] =
	"# bootwire: profile 'tftpc' for 52:54:00:12:34:56 (bios)\n"
	"PROMPT 0\n"
	"DEFAULT tftpc\n"
	"LABEL tftpc\n"
	"  PXE tftp://10.0.0.9/other.0\n";

static const char pxe_local[] =
	"# bootwire: profile 'disk' for 52:54:00:12:34:56 (bios)\n"
	"PROMPT 0\n"
	"DEFAULT disk\n"
	"LABEL disk\n"
	"  LOCALBOOT 0\n";

static const char grub_linux_tftp[] =
	"# bootwire: profile 'rescue' for 52:54:00:12:34:56 (efi_x64)\n"
	"set timeout=0\n"
	"set default=bw-rescue\n"
	"menuentry 'rescue' --id bw-rescue {\n"
	"\tlinux /rescue/vmlinuz console=ttyS0 host=node1 ip=10.0.0.50 srv=10.0.0.1 lit=\\$\\{mac\\} ipxe=\\$\\{net0/mac\\} root=LABEL=\"my disk\"\n"
	"\tinitrd /rescue/initrd.img /fw/initrd.img\n"
	"}\n";

static const char grub_linux_http[] =
	"# bootwire: profile 'rescue' for 52:54:00:12:34:56 (efi_x64)\n"
	"set timeout=0\n"
	"set default=bw-rescue\n"
	"menuentry 'rescue' --id bw-rescue {\n"
	"\tlinux (http,10.0.0.1:8080)/boot/rescue/vmlinuz console=ttyS0 host=node1 ip=10.0.0.50 srv=10.0.0.1 lit=\\$\\{mac\\} ipxe=\\$\\{net0/mac\\} root=LABEL=\"my disk\"\n"
	"\tinitrd (http,10.0.0.1:8080)/boot/rescue/initrd.img (http,10.0.0.1:8080)/boot/fw/initrd.img\n"
	"}\n";

static const char grub_linux_http80[] =
	"# bootwire: profile 'rescue' for 52:54:00:12:34:56 (bios)\n"
	"set timeout=0\n"
	"set default=bw-rescue\n"
	"menuentry 'rescue' --id bw-rescue {\n"
	"\tlinux (http,10.0.0.1)/rescue/vmlinuz console=ttyS0 host=node1 ip=10.0.0.50 srv=10.0.0.1 lit=\\$\\{mac\\} ipxe=\\$\\{net0/mac\\} root=LABEL=\"my disk\"\n"
	"\tinitrd (http,10.0.0.1)/rescue/initrd.img (http,10.0.0.1)/fw/initrd.img\n"
	"}\n";

static const char grub_linux_https[] =
	"# bootwire: profile 'rescue' for 52:54:00:12:34:56 (bios)\n"
	"set timeout=0\n"
	"set default=bw-rescue\n"
	"menuentry 'rescue' --id bw-rescue {\n"
	"\tlinux /rescue/vmlinuz console=ttyS0 host=node1 ip=10.0.0.50 srv=10.0.0.1 lit=\\$\\{mac\\} ipxe=\\$\\{net0/mac\\} root=LABEL=\"my disk\"\n"
	"\tinitrd /rescue/initrd.img /fw/initrd.img\n"
	"}\n";

static const char grub_linux_noserver[] =
	"# bootwire: profile 'rescue' for 52:54:00:12:34:56 (efi_x64)\n"
	"set timeout=0\n"
	"set default=bw-rescue\n"
	"menuentry 'rescue' --id bw-rescue {\n"
	"\tlinux (http,${net_default_server}:8080)/rescue/vmlinuz console=ttyS0 host=node1 ip=10.0.0.50 srv= lit=\\$\\{mac\\} ipxe=\\$\\{net0/mac\\} root=LABEL=\"my disk\"\n"
	"\tinitrd (http,${net_default_server}:8080)/rescue/initrd.img (http,${net_default_server}:8080)/fw/initrd.img\n"
	"}\n";

static const char grub_menu[] =
	"# bootwire: profile 'main' for 52:54:00:12:34:56\n"
	"set timeout=5\n"
	"set default=bw-tools\n"
	"menuentry 'rescue' --id bw-rescue {\n"
	"\tlinux /rescue/vmlinuz console=ttyS0 host=node1 ip=10.0.0.50 srv=10.0.0.1 lit=\\$\\{mac\\} ipxe=\\$\\{net0/mac\\} root=LABEL=\"my disk\"\n"
	"\tinitrd /rescue/initrd.img /fw/initrd.img\n"
	"}\n"
	"submenu 'Tools' --id bw-tools {\n"
	"\tset timeout=-1\n"
	"\tset default=bw-shell\n"
	"\tmenuentry 'iPXE shell' --id bw-shell {\n"
	"\t\techo 'bootwire: this profile is an iPXE script, which GRUB cannot run; booting from the next device'\n"
	"\t\tsleep 3\n"
	"\t\texit\n"
	"\t}\n"
	"\tmenuentry 'netboot.xyz' --id bw-xyz {\n"
	"\t\tif [ \"$grub_platform\" = \"pc\" ]; then pxechainloader (http,boot.netboot.xyz)/x.efi\\?a=1\\&b=52:54:00:12:34:56; else chainloader (http,boot.netboot.xyz)/x.efi\\?a=1\\&b=52:54:00:12:34:56; fi\n"
	"\t}\n"
	"\tmenuentry 'wds' --id bw-wds {\n"
	"\t\tif [ \"$grub_platform\" = \"pc\" ]; then pxechainloader /windows/wdsnbp.com; else chainloader /windows/wdsnbp.com; fi\n"
	"\t}\n"
	"}\n"
	"menuentry 'Boot from disk' --id bw-disk {\n"
	"\texit\n"
	"}\n"
	"menuentry 'secure' --id bw-secure {\n"
	"\techo 'bootwire: GRUB cannot fetch this boot program (tftp:// and http:// only); booting from the next device'\n"
	"\tsleep 3\n"
	"\texit\n"
	"}\n";

static const char grub_chain_bios[] =
	"# bootwire: profile 'wds' for 52:54:00:12:34:56 (bios)\n"
	"set timeout=0\n"
	"set default=bw-wds\n"
	"menuentry 'wds' --id bw-wds {\n"
	"\tpxechainloader /windows/wdsnbp.com\n"
	"}\n";

static const char grub_chain_efi[] =
	"# bootwire: profile 'wds' for 52:54:00:12:34:56 (efi_x64)\n"
	"set timeout=0\n"
	"set default=bw-wds\n"
	"menuentry 'wds' --id bw-wds {\n"
	"\tchainloader /windows/wdsnbp.com\n"
	"}\n";

static const char grub_chain_tftp_url[] =
	"# bootwire: profile 'tftpc' for 52:54:00:12:34:56\n"
	"set timeout=0\n"
	"set default=bw-tftpc\n"
	"menuentry 'tftpc' --id bw-tftpc {\n"
	"\tif [ \"$grub_platform\" = \"pc\" ]; then pxechainloader (tftp,10.0.0.9)/other.0; else chainloader (tftp,10.0.0.9)/other.0; fi\n"
	"}\n";

static const char grub_local[] =
	"# bootwire: profile 'disk' for 52:54:00:12:34:56 (efi_x64)\n"
	"set timeout=0\n"
	"set default=bw-disk\n"
	"menuentry 'Boot from disk' --id bw-disk {\n"
	"\texit\n"
	"}\n";

static const struct render_case render_cases[] = {
	{"ipxe_linux_efi_tftp", R_IPXE, "rescue", BW_ARCH_EFI_X64, NULL, false, false, ipxe_linux_efi_tftp},
	{"ipxe_linux_bios_http", R_IPXE, "rescue", BW_ARCH_BIOS, "http://${server}:8080/", false, false, ipxe_linux_bios_http},
	{"ipxe_linux_noserver", R_IPXE, "rescue", BW_ARCH_UNKNOWN, "http://${server}:8080/", true, false, ipxe_linux_noserver},
	{"ipxe_linux_noinitrd", R_IPXE, "bare", BW_ARCH_EFI_X64, NULL, false, false, ipxe_linux_noinitrd},
	{"ipxe_script", R_IPXE, "shell", BW_ARCH_EFI_X64, NULL, false, false, ipxe_script},
	{"ipxe_chain_url", R_IPXE, "xyz", BW_ARCH_EFI_X64, NULL, false, false, ipxe_chain_url},
	{"ipxe_chain_file", R_IPXE, "wds", BW_ARCH_BIOS, NULL, false, false, ipxe_chain_file},
	{"ipxe_menu", R_IPXE, "main", BW_ARCH_EFI_X64, NULL, false, false, ipxe_menu},
	{"ipxe_local", R_IPXE, "disk", BW_ARCH_BIOS, NULL, false, false, ipxe_local},
	{"pxe_linux_top", R_PXELINUX, "rescue", BW_ARCH_BIOS, NULL, false, true, pxe_linux_top},
	{"pxe_linux_subdir", R_PXELINUX, "rescue", BW_ARCH_BIOS, NULL, false, false, pxe_linux_subdir},
	{"pxe_menu", R_PXELINUX, "main", BW_ARCH_BIOS, NULL, false, false, pxe_menu},
	{"pxe_chain_tftp", R_PXELINUX, "tftpc", BW_ARCH_BIOS, NULL, false, false, pxe_chain_tftp},
	{"pxe_local", R_PXELINUX, "disk", BW_ARCH_BIOS, NULL, false, false, pxe_local},
	{"grub_linux_tftp", R_GRUB, "rescue", BW_ARCH_EFI_X64, NULL, false, false, grub_linux_tftp},
	{"grub_linux_http", R_GRUB, "rescue", BW_ARCH_EFI_X64, "http://${server}:8080/boot", false, false, grub_linux_http},
	{"grub_linux_http80", R_GRUB, "rescue", BW_ARCH_BIOS, "http://${server}:80/", false, false, grub_linux_http80},
	{"grub_linux_https", R_GRUB, "rescue", BW_ARCH_BIOS, "https://${server}/", false, false, grub_linux_https},
	{"grub_linux_noserver", R_GRUB, "rescue", BW_ARCH_EFI_X64, "http://${server}:8080/", true, false, grub_linux_noserver},
	{"grub_menu", R_GRUB, "main", BW_ARCH_UNKNOWN, NULL, false, false, grub_menu},
	{"grub_chain_bios", R_GRUB, "wds", BW_ARCH_BIOS, NULL, false, false, grub_chain_bios},
	{"grub_chain_efi", R_GRUB, "wds", BW_ARCH_EFI_X64, NULL, false, false, grub_chain_efi},
	{"grub_chain_tftp_url", R_GRUB, "tftpc", BW_ARCH_UNKNOWN, NULL, false, false, grub_chain_tftp_url},
	{"grub_local", R_GRUB, "disk", BW_ARCH_EFI_X64, NULL, false, false, grub_local},
};

static bool grub_check_available(void)
{
	return access("/usr/bin/grub-script-check", X_OK) == 0 ||
	       access("/usr/sbin/grub-script-check", X_OK) == 0;
}

/* Runs grub-script-check on text (skipped when GRUB is not installed). */
static void grub_script_check(const char *text, const char *what)
{
	char path[] = "/tmp/bw-grub-XXXXXX";
	int fd, status;
	char cmd[128];
	FILE *f;

	if (!grub_check_available())
		return;
	fd = mkstemp(path);
	if (!CHECK(fd >= 0))
		return;
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "grub-script-check %s", path);
	status = system(cmd);
	check_context = what;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check_context = NULL;
	unlink(path);
}

static void env_default(struct bw_profile_env *env, const struct bw_profile_set *ps)
{
	*env = (struct bw_profile_env){
		.ps = ps,
		.arch = BW_ARCH_EFI_X64,
		.mac = "52:54:00:12:34:56",
		.ip = "10.0.0.50",
		.server = "10.0.0.1",
		.hostname = "node1",
	};
}

static int render(enum renderer r, const struct bw_profile *p, const struct bw_profile_env *env,
		  char **out)
{
	struct bw_profile_grub_case c = {env->arch, p, NULL};

	switch (r) {
	case R_IPXE: return bw_profile_render_ipxe(p, env, out);
	case R_PXELINUX: return bw_profile_render_pxelinux(p, env, out);
	default: return bw_profile_render_grub(&c, 1, false, env, out);
	}
}

static void test_goldens(const struct bw_profile_set *ps)
{
	for (unsigned i = 0; i < sizeof(render_cases) / sizeof(render_cases[0]); i++) {
		const struct render_case *rc = &render_cases[i];
		const struct bw_profile *p = bw_profile_find(ps, rc->profile);
		struct bw_profile_env env;
		char *out = NULL;

		env_default(&env, rc->no_ps ? NULL : ps);
		env.arch = rc->arch;
		env.http_base = rc->http_base;
		if (rc->no_server)
			env.server = NULL;
		check_context = rc->id;
		if (!CHECK(p != NULL) || !CHECK_EQ_INT(render(rc->r, p, &env, &out), 0))
			continue;
		CHECK_TEXT(out, rc->want);
		if (rc->r == R_GRUB)
			grub_script_check(out, rc->id);
		free(out);
		check_context = NULL;
	}
}

static void test_expand(void)
{
	struct bw_profile_env env;
	char *s;

	env_default(&env, NULL);
	s = bw_profile_expand("${mac} ${ip} ${hostname} ${server} ${arch} ${uuid}|", &env);
	CHECK_EQ_STR(s, "52:54:00:12:34:56 10.0.0.50 node1 10.0.0.1 efi_x64 |");
	free(s);
	/* $${ is a literal ${; names that are not ours stay for the loader; lone $ stays */
	s = bw_profile_expand("$${mac} ${net0/mac} ${MAC} ${buildarch} $mac ${ $$ ${mac", &env);
	CHECK_EQ_STR(s, "${mac} ${net0/mac} ${MAC} ${buildarch} $mac ${ $$ ${mac");
	free(s);
	/* everything unknown: empty */
	memset(&env, 0, sizeof(env));
	s = bw_profile_expand("a${mac}b${arch}c${hostname}d", &env);
	CHECK_EQ_STR(s, "abcd");
	free(s);
	s = bw_profile_expand("", &env);
	CHECK_EQ_STR(s, "");
	free(s);
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* A value that came from a request can never start a line or a command of its own: its
 * unsafe bytes are dropped and nothing else changes. */
static void test_hostile_values(const struct bw_profile_set *ps)
{
	static const char *const evil[] = {
		"x\nkernel http://evil/x", "x\r\nboot", "a\"b'c", "a b", "${mac}", "x;shell",
		"x || shell", "x`id`", "x\tshell", "\n#!ipxe\n", "x\\y", "x%0ay",
	};
	const struct bw_profile *p = bw_profile_find(ps, "rescue");

	CHECK(bw_profile_value_is_safe("node-1.example_2:ff"));
	for (unsigned i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		char filtered[64];
		size_t o = 0;

		CHECK(!bw_profile_value_is_safe(evil[i]));
		for (const char *c = evil[i]; *c; c++)
			if (bw_profile_value_is_safe((char[]){*c, 0}))
				filtered[o++] = *c;
		filtered[o] = '\0';
		check_context = evil[i];
		for (unsigned r = 0; r < 3; r++) {
			struct bw_profile_env env, fenv;
			char *out = NULL, *want = NULL, *plain = NULL;

			env_default(&env, ps);
			env.hostname = env.ip = env.mac = env.server = evil[i];
			env_default(&fenv, ps);
			fenv.hostname = fenv.ip = fenv.mac = fenv.server = filtered;
			if (CHECK_EQ_INT(render((enum renderer)r, p, &env, &out), 0) &&
			    CHECK_EQ_INT(render((enum renderer)r, p, &fenv, &want), 0)) {
				CHECK_TEXT(out, want);
				env_default(&env, ps);
				if (CHECK_EQ_INT(render((enum renderer)r, p, &env, &plain), 0))
					CHECK_EQ_INT(count_lines(out), count_lines(plain));
			}
			free(out);
			free(want);
			free(plain);
		}
		check_context = NULL;
	}
}

static void test_stubs(void)
{
	struct bw_profile_env env = {.server = "10.0.0.1", .http_base = "http://${server}:8080/"};
	char *out = NULL;

	CHECK_EQ_INT(bw_profile_render_ipxe_stub(BW_PROFILE_STUB_TFTP_NAME, &env, &out), 0);
	CHECK_TEXT(out, "#!ipxe\n"
			"# bootwire: ask again, saying which machine this is\n"
			"isset ${netX/ip} || dhcp\n"
			"chain boot-${netX/mac:hexhyp}-${platform}-${buildarch}-${uuid}.ipxe\n");
	free(out);
	CHECK_EQ_INT(bw_profile_render_ipxe_stub(BW_PROFILE_STUB_HTTP_BASE, &env, &out), 0);
	CHECK_TEXT(out, "#!ipxe\n"
			"# bootwire: ask again, saying which machine this is\n"
			"isset ${netX/ip} || dhcp\n"
			"chain http://10.0.0.1:8080/boot.ipxe?mac=${netX/mac}&uuid=${uuid}"
			"&arch=${buildarch}&platform=${platform}&ip=${netX/ip}"
			"&hostname=${hostname:uristring}\n");
	free(out);
	CHECK_EQ_INT(bw_profile_render_ipxe_stub(BW_PROFILE_STUB_HTTP_QUERY, &env, &out), 0);
	CHECK(strstr(out, "\nchain boot.ipxe?mac=${netX/mac}&") != NULL);
	free(out);
	/* IPv6: the host in brackets */
	env.server = "fd00::1";
	CHECK_EQ_INT(bw_profile_render_ipxe_stub(BW_PROFILE_STUB_HTTP_BASE, &env, &out), 0);
	CHECK(strstr(out, "\nchain http://[fd00::1]:8080/boot.ipxe?") != NULL);
	free(out);
	/* no HTTP after all: the TFTP name */
	env.http_base = NULL;
	CHECK_EQ_INT(bw_profile_render_ipxe_stub(BW_PROFILE_STUB_HTTP_BASE, &env, &out), 0);
	CHECK(strstr(out, "\nchain boot-${netX/mac:hexhyp}") != NULL);
	free(out);
}

static void test_grub_cases(const struct bw_profile_set *ps)
{
	struct bw_profile_grub_case cases[] = {
		{BW_ARCH_BIOS, bw_profile_find(ps, "wds"), NULL},
		{BW_ARCH_EFI_X64, bw_profile_find(ps, "bare"), "efi-host"},
		{BW_ARCH_EFI_ARM64, NULL, NULL},
	};
	struct bw_profile_env env;
	char *out = NULL;

	env_default(&env, ps);
	CHECK_EQ_INT(bw_profile_render_grub(cases, 3, true, &env, &out), 0);
	CHECK_TEXT(out,
		   "# bootwire: profile by architecture for 52:54:00:12:34:56 (efi_x64)\n"
		   "# a machine bootwire knows has a file of its own, named after its MAC\n"
		   "if [ -n \"$net_default_mac\" ]; then\n"
		   "\tregexp --set=1:bw_m1 --set=2:bw_m2 --set=3:bw_m3 --set=4:bw_m4 --set=5:bw_m5 "
		   "--set=6:bw_m6 '^([0-9a-fA-F][0-9a-fA-F]):([0-9a-fA-F][0-9a-fA-F]):"
		   "([0-9a-fA-F][0-9a-fA-F]):([0-9a-fA-F][0-9a-fA-F]):([0-9a-fA-F][0-9a-fA-F]):"
		   "([0-9a-fA-F][0-9a-fA-F])$' \"$net_default_mac\"\n"
		   "\tset bw_cfg=\"$prefix/grub.cfg-01-$bw_m1-$bw_m2-$bw_m3-$bw_m4-$bw_m5-$bw_m6\"\n"
		   "\tif [ -f \"$bw_cfg\" ]; then\n"
		   "\t\tconfigfile \"$bw_cfg\"\n"
		   "\tfi\n"
		   "fi\n"
		   "if [ \"$grub_platform\" = \"pc\" ]; then\n"
		   "\tset timeout=0\n"
		   "\tset default=bw-wds\n"
		   "\tmenuentry 'wds' --id bw-wds {\n"
		   "\t\tpxechainloader /windows/wdsnbp.com\n"
		   "\t}\n"
		   "elif [ \"$grub_platform\" = \"efi\" -a \"$grub_cpu\" = \"x86_64\" ]; then\n"
		   "\tset timeout=0\n"
		   "\tset default=bw-bare\n"
		   "\tmenuentry 'bare' --id bw-bare {\n"
		   "\t\tlinux /vmlinuz\n"
		   "\t}\n"
		   "elif [ \"$grub_platform\" = \"efi\" -a \"$grub_cpu\" = \"arm64\" ]; then\n"
		   "\tset timeout=0\n"
		   "\tset default=bw-local\n"
		   "\tmenuentry 'local' --id bw-local {\n"
		   "\t\texit\n"
		   "\t}\n"
		   "else\n"
		   "\tset timeout=0\n"
		   "\tset default=bw-local\n"
		   "\tmenuentry 'local' --id bw-local {\n"
		   "\t\texit\n"
		   "\t}\n"
		   "fi\n");
	grub_script_check(out, "grub cases");
	free(out);
	/* a GRUB that cannot fetch https: a message, then the next boot device */
	env.arch = BW_ARCH_EFI_X64;
	CHECK_EQ_INT(render(R_GRUB, bw_profile_find(ps, "secure"), &env, &out), 0);
	CHECK(strstr(out, "\techo 'bootwire: GRUB cannot fetch this boot program (tftp:// and "
			  "http:// only); booting from the next device'\n\tsleep 3\n\texit\n") != NULL);
	grub_script_check(out, "grub https");
	free(out);
}

/* Quotes in titles and command lines survive GRUB's parser. */
static void test_grub_quoting(void)
{
	struct bw_config *cfg = pt_load(
		"profiles:\n"
		"  q: { kernel: vmlinuz, title: \"Joe's \\\"kernel\\\" $x {y}\", cmdline: "
		"'a=\"b c$d\" e;f|g&h<i>j(k)l#m*n?o[p]q`r\\s' }\n");
	const struct bw_profile_set *ps = cfg ? bw_profile_set_of(cfg) : NULL;
	struct bw_profile_env env;
	char *out = NULL;

	if (!CHECK(ps != NULL))
		goto out;
	env_default(&env, ps);
	CHECK_EQ_INT(render(R_GRUB, bw_profile_find(ps, "q"), &env, &out), 0);
	CHECK(strstr(out, "menuentry 'Joe'\\''s \"kernel\" $x {y}' --id bw-q {\n") != NULL);
	CHECK(strstr(out, "\tlinux /vmlinuz a=\"b c\\$d\" e\\;f\\|g\\&h\\<i\\>j\\(k\\)l\\#m\\*n\\?o"
			  "\\[p\\]q\\`r\\\\s\n") != NULL);
	grub_script_check(out, "grub quoting");
	free(out);
out:
	bw_config_free(cfg);
}

int main(void)
{
	struct bw_config *cfg = pt_load(yaml);
	const struct bw_profile_set *ps = cfg ? bw_profile_set_of(cfg) : NULL;

	if (!grub_check_available())
		fprintf(stderr, "grub-script-check not installed: GRUB syntax checks skipped\n");
	if (CHECK(ps != NULL)) {
		test_goldens(ps);
		test_hostile_values(ps);
		test_grub_cases(ps);
	}
	test_expand();
	test_stubs();
	test_grub_quoting();
	bw_config_free(cfg);
	pt_cleanup();
	return check_summary();
}
