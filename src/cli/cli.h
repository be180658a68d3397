/* Subcommands of the bootwire binary. */
#ifndef BW_CLI_H
#define BW_CLI_H

#include <stdbool.h>

#include "core/config.h"

int bw_cmd_serve(int argc, char **argv);
int bw_cmd_tftp(int argc, char **argv);
int bw_cmd_check_config(int argc, char **argv);
int bw_cmd_leases(int argc, char **argv);
int bw_cmd_boot(int argc, char **argv);
int bw_cmd_reload(int argc, char **argv);
int bw_cmd_loaders(int argc, char **argv);

/* Registers every section the binary knows (core, log, services). */
void bw_cli_register_sections(void);
struct bw_run_opts {
	bool allow_root;         /* stay root when the config names no user */
	const char *config_file; /* what SIGHUP reloads; NULL: nothing (command-line config) */
	int log_level;           /* enum bw_log_level overriding log.level; -1: the config's */
};

/* Applies log settings, checks the user, starts the enabled services (the table in
 * services.h), writes the pid file, drops privileges and runs the loop until SIGINT or
 * SIGTERM; SIGHUP reloads opts->config_file. Takes ownership of cfg. Returns the process
 * exit status. */
int bw_cli_run(struct bw_config *cfg, const struct bw_run_opts *opts);
/* "error", "warn", "info", "debug" -> enum bw_log_level; -1 for anything else. */
int bw_cli_parse_log_level(const char *s);
/* Prints errors from a failed load or validation. */
void bw_cli_print_errors(const char *err);

#endif
