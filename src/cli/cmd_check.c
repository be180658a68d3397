#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

static void check_usage(FILE *f)
{
	fprintf(f, "usage: bootwire check-config -c FILE [--print] [--no-host]\n"
		   "       bootwire check-config --keys\n\n"
		   "Loads and validates FILE; prints every problem as file:line: message. It also\n"
		   "checks FILE against this machine: the user exists, the DHCP interfaces exist and\n"
		   "have addresses in the subnets, boot files, loader images and upload directories\n"
		   "are in boot_root and the user can read them. And it reports what the daemon\n"
		   "accepts but is most likely a mistake: a machine picked out by MAC or UUID that\n"
		   "boots a command line with ${hostname} when no entry gives it a hostname.\n\n"
		   "  -c, --config FILE  the configuration file\n"
		   "  -p, --print        print the effective configuration (all defaults filled in)\n"
		   "  -n, --no-host      skip the checks against this machine (for a file meant for\n"
		   "                     another one)\n"
		   "  -k, --keys         list every key the configuration knows, one per line:\n"
		   "                     PATH, 'reload' or 'restart' (whether a running daemon can\n"
		   "                     take a new value without a restart) and what it is, tab-\n"
		   "                     separated; dhcp.subnets[].router is a key of each\n"
		   "                     dhcp.subnets entry, profiles.<name>.kernel of each profile\n"
		   "  -h, --help         this help\n");
}

int bw_cmd_check_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"print", no_argument, NULL, 'p'},
		{"keys", no_argument, NULL, 'k'},
		{"no-host", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *file = NULL;
	static char err[65536];
	unsigned flags = BW_CFG_CHECK_HOST | BW_CFG_CHECK_STRICT;
	bool print = false;
	struct bw_config *cfg;
	int o;

	while ((o = getopt_long(argc, argv, "c:pknh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': file = optarg; break;
		case 'p': print = true; break;
		case 'k': bw_config_print_keys(stdout); return 0;
		case 'n': flags &= ~BW_CFG_CHECK_HOST; break;
		case 'h': check_usage(stdout); return 0;
		default: check_usage(stderr); return 2;
		}
	}
	if (!file && optind < argc)
		file = argv[optind++];
	if (!file || optind != argc) {
		check_usage(stderr);
		return 2;
	}
	if (bw_config_load_flags(file, flags, &cfg, err, sizeof(err)) < 0) {
		bw_cli_print_errors(err);
		return 1;
	}
	if (print)
		bw_config_print(stdout, cfg);
	else
		printf("%s: ok\n", file);
	bw_config_free(cfg);
	return 0;
}
