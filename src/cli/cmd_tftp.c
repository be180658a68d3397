#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void tftp_usage(FILE *f)
{
	fprintf(f,
		"usage: bootwire tftp --root DIR [OPTIONS]\n\n"
		"Serves DIR over TFTP and nothing else. Settings default as in docs/config.md;\n"
		"-c FILE starts from a config file, and the options below override it.\n\n"
		"  -r, --root DIR                  directory to serve (boot_root)\n"
		"  -l, --listen ADDR               address to listen on (default 0.0.0.0)\n"
		"  -p, --port N                    UDP port (default 69)\n"
		"  -c, --config FILE               read settings from FILE first\n"
		"      --blksize-max N             largest block size granted (default 1468)\n"
		"      --windowsize-max N          largest window granted (default 64)\n"
		"      --timeout-ms N              retransmission timeout (default 1000)\n"
		"      --retries N                 retransmissions before giving up (default 5)\n"
		"      --max-transfers N           concurrent transfers (default 1000)\n"
		"      --max-transfers-per-client N  per client address (default 64)\n"
		"      --case-insensitive          match file names ignoring case\n"
		"      --user NAME                 switch to this user after binding\n"
		"      --allow-root                keep running as root without --user\n"
		"      --log-level LEVEL           error, warn, info (default) or debug\n"
		"      --log-format FORMAT         text (default) or json\n"
		"  -h, --help                      this help\n");
}

/* Long options that map straight onto a config key. */
static const struct {
	const char *opt, *section, *key;
} tftp_opt_keys[] = {
	{"root", NULL, "boot_root"},
	{"listen", "tftp", "listen"},
	{"port", "tftp", "port"},
	{"blksize-max", "tftp", "blksize_max"},
	{"windowsize-max", "tftp", "windowsize_max"},
	{"timeout-ms", "tftp", "timeout_ms"},
	{"retries", "tftp", "retries"},
	{"max-transfers", "tftp", "max_transfers"},
	{"max-transfers-per-client", "tftp", "max_transfers_per_client"},
	{"user", NULL, "user"},
	{"log-level", "log", "level"},
	{"log-format", "log", "format"},
};

#define TFTP_NKEYS (sizeof(tftp_opt_keys) / sizeof(tftp_opt_keys[0]))

int bw_cmd_tftp(int argc, char **argv)
{
	struct option opts[TFTP_NKEYS + 5];
	const char *vals[TFTP_NKEYS] = {NULL};
	const char *file = NULL;
	bool allow_root = false, nocase = false, have_root = false;
	struct bw_run_opts ro = {.log_level = -1};
	struct bw_config *cfg = NULL;
	char err[8192];
	int o, idx, r = 1;
	unsigned n = 0;

	for (; n < TFTP_NKEYS; n++)
		opts[n] = (struct option){tftp_opt_keys[n].opt, required_argument, NULL, 1000 + (int)n};
	opts[n++] = (struct option){"config", required_argument, NULL, 'c'};
	opts[n++] = (struct option){"allow-root", no_argument, NULL, 'R'};
	opts[n++] = (struct option){"case-insensitive", no_argument, NULL, 'I'};
	opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	opts[n] = (struct option){NULL, 0, NULL, 0};
	while ((o = getopt_long(argc, argv, "r:l:p:c:h", opts, &idx)) != -1) {
		switch (o) {
		case 'r': vals[0] = optarg; break;
		case 'l': vals[1] = optarg; break;
		case 'p': vals[2] = optarg; break;
		case 'c': file = optarg; break;
		case 'R': allow_root = true; break;
		case 'I': nocase = true; break;
		case 'h': tftp_usage(stdout); return 0;
		default:
			if (o >= 1000 && o < 1000 + (int)TFTP_NKEYS) {
				vals[o - 1000] = optarg;
				break;
			}
			tftp_usage(stderr);
			return 2;
		}
	}
	have_root = vals[0] != NULL;
	if (optind != argc || (!have_root && !file)) {
		fprintf(stderr, "bootwire tftp: --root DIR is required\n\n");
		tftp_usage(stderr);
		return 2;
	}
	if (file) {
		if (bw_config_load(file, &cfg, err, sizeof(err)) < 0) {
			bw_cli_print_errors(err);
			return 1;
		}
	} else {
		cfg = bw_config_new_defaults();
		if (!cfg)
			return 1;
	}
	for (unsigned i = 0; i < TFTP_NKEYS; i++) {
		if (!vals[i])
			continue;
		if (bw_config_set(cfg, "command line", tftp_opt_keys[i].section, tftp_opt_keys[i].key,
				  vals[i], err, sizeof(err)) < 0) {
			bw_cli_print_errors(err);
			goto out;
		}
	}
	if (nocase)
		bw_config_set(cfg, "command line", "tftp", "case_insensitive", "true", err,
			      sizeof(err));
	bw_config_set(cfg, "command line", "tftp", "enabled", "true", err, sizeof(err));
	bw_config_set(cfg, "command line", NULL, "pid_file", "", err, sizeof(err));
	if (bw_config_validate(cfg, err, sizeof(err)) < 0) {
		bw_cli_print_errors(err);
		goto out;
	}
	ro.allow_root = allow_root;
	return bw_cli_run(cfg, &ro);
out:
	bw_config_free(cfg);
	return r;
}
