/* `bootwire reload -c FILE`: checks FILE, then asks the daemon named by its pid file to
 * load it again (SIGHUP). The daemon logs what took effect and what needs a restart. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void reload_usage(FILE *f)
{
	fprintf(f, "usage: bootwire reload -c FILE [--pid-file PATH]\n\n"
		   "Validates FILE, then sends SIGHUP to the bootwire daemon whose process id is in\n"
		   "the config's pid_file (or PATH), so it loads FILE again. An invalid FILE is\n"
		   "reported here and nothing is signalled; the daemon keeps its configuration.\n\n"
		   "  -c, --config FILE    the configuration file the daemon runs (required)\n"
		   "      --pid-file PATH  where the daemon's pid is, instead of the config's\n"
		   "  -h, --help           this help\n");
}

/* The pid in path if that process is a running bootwire; 0 and a message otherwise. */
static long reload_find_daemon(const char *path)
{
	char buf[64] = "", comm[64] = "", proc[64];
	long pid;
	char *end;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "bootwire reload: cannot read pid file %s: %s (is the daemon "
				"running?)\n", path, strerror(errno));
		return 0;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	pid = strtol(buf, &end, 10);
	if (pid <= 1 || (*end && *end != '\n')) {
		fprintf(stderr, "bootwire reload: %s does not hold a process id\n", path);
		return 0;
	}
	snprintf(proc, sizeof(proc), "/proc/%ld/comm", pid);
	f = fopen(proc, "r");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = '\0';
	if (strcmp(comm, "bootwire") != 0) {
		fprintf(stderr, "bootwire reload: process %ld from %s is %s: the daemon is not "
				"running (stale pid file)\n", pid, path, f ? "not bootwire" : "gone");
		return 0;
	}
	return pid;
}

int bw_cmd_reload(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"pid-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *file = NULL, *pid_file = NULL;
	const struct bw_core_config *core;
	struct bw_config *cfg;
	char err[8192];
	long pid;
	int o;

	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': file = optarg; break;
		case 'p': pid_file = optarg; break;
		case 'h': reload_usage(stdout); return 0;
		default: reload_usage(stderr); return 2;
		}
	}
	if (!file || optind != argc) {
		reload_usage(stderr);
		return 2;
	}
	if (bw_config_load(file, &cfg, err, sizeof(err)) < 0) {
		bw_cli_print_errors(err);
		fprintf(stderr, "bootwire reload: %s is not valid: nothing was signalled\n", file);
		return 1;
	}
	core = bw_config_get(cfg, &bw_core_cfg_section);
	if (!pid_file)
		pid_file = core->pid_file;
	if (!pid_file || !*pid_file) {
		fprintf(stderr, "bootwire reload: %s sets no pid_file: give --pid-file\n", file);
		bw_config_free(cfg);
		return 1;
	}
	pid = reload_find_daemon(pid_file);
	bw_config_free(cfg);
	if (!pid)
		return 1;
	if (kill((pid_t)pid, SIGHUP) < 0) {
		fprintf(stderr, "bootwire reload: cannot signal process %ld: %s\n", pid,
			strerror(errno));
		return 1;
	}
	printf("bootwire reload: asked bootwire (pid %ld) to reload %s; its log says what took "
	       "effect\n", pid, file);
	return 0;
}
