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
int bw_cmd_loaders(int argc, char **argv);

/* Registers every section the binary knows (core, log, services). */
void bw_cli_register_sections(void);
/* Applies log settings, starts the enabled services, drops privileges and runs the loop
 * until SIGINT or SIGTERM. Returns the process exit status. */
int bw_cli_run(struct bw_config *cfg, bool allow_root);
/* Prints errors from a failed load or validation. */
void bw_cli_print_errors(const char *err);

#endif
