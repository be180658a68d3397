#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"

static void check_usage(FILE *f)
{
	fprintf(f, "usage: bootwire check-config -c FILE [--print]\n"
		   "       bootwire check-config --keys\n\n"
		   "Loads and validates FILE; prints every problem as file:line: message.\n\n"
		   "  -c, --config FILE  the configuration file\n"
		   "  -p, --print        print the effective configuration (all defaults filled in)\n"
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
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *file = NULL;
	bool print = false;
	struct bw_config *cfg;
	char err[8192];
	int o;

	while ((o = getopt_long(argc, argv, "c:pkh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': file = optarg; break;
		case 'p': print = true; break;
		case 'k': bw_config_print_keys(stdout); return 0;
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
	if (bw_config_load(file, &cfg, err, sizeof(err)) < 0) {
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
