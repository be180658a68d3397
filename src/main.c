/* bootwire: one binary, subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct bw_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct bw_cmd bw_cmds[] = {
	{"serve", bw_cmd_serve, "run every configured service from a config file"},
	{"tftp", bw_cmd_tftp, "run only the TFTP service on a directory, no config needed"},
	{"check-config", bw_cmd_check_config, "validate a config file (and print the effective one)"},
	{"leases", bw_cmd_leases, "list DHCP leases from the lease database"},
	{"boot", bw_cmd_boot, "boot every machine that asks into a kernel, no config needed"},
	{"reload", bw_cmd_reload, "make the running daemon load its config file again"},
	{"loaders", bw_cmd_loaders, "install Debian's iPXE, pxelinux and GRUB into the boot root"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: bootwire COMMAND [OPTIONS]\n\n"
		   "bootwire is a network boot server: DHCP, TFTP and HTTP in one daemon.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(bw_cmds) / sizeof(bw_cmds[0]); i++)
		fprintf(f, "  %-13s %s\n", bw_cmds[i].name, bw_cmds[i].summary);
	fprintf(f, "  %-13s %s\n", "version", "print the version");
	fprintf(f, "\n'bootwire COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		if (argc > 2 && (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
			printf("usage: bootwire version\n\nPrints the version of bootwire.\n");
			return 0;
		}
		if (argc > 2) {
			fprintf(stderr, "usage: bootwire version\n");
			return 2;
		}
		printf("bootwire %s\n", BW_VERSION);
		return 0;
	}
	bw_cli_register_sections();
	for (size_t i = 0; i < sizeof(bw_cmds) / sizeof(bw_cmds[0]); i++)
		if (!strcmp(argv[1], bw_cmds[i].name))
			return bw_cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "bootwire: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
