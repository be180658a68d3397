/* The `tftp:` section of the configuration. */
#ifndef BW_TFTP_CONFIG_H
#define BW_TFTP_CONFIG_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

struct bw_tftp_remap {
	char *match;   /* POSIX extended regex */
	char *replace; /* \0..\9 refer to the match and its groups */
	regex_t re;
	bool compiled; /* re holds match, compiled (validation did it) */
};

struct bw_tftp_upload {
	char *dir;     /* relative to boot_root, normalised, no leading or trailing '/' */
	bool overwrite;
	uint64_t max_size;
};

struct bw_tftp_remaps {
	unsigned n;
	struct bw_tftp_remap *v;
};

struct bw_tftp_uploads {
	unsigned n;
	struct bw_tftp_upload *v;
};

struct bw_tftp_config {
	bool enabled;
	char **listen;            /* addresses to bind (one listener each) */
	unsigned n_listen;
	uint32_t port;
	uint32_t blksize_max;
	uint32_t windowsize_max;
	uint32_t timeout_ms;
	uint32_t retries;
	uint32_t max_transfers;
	uint32_t max_transfers_per_client;
	bool case_insensitive;
	bool map_backslash;
	struct bw_tftp_remaps remap;
	struct bw_tftp_uploads uploads;
};

extern const struct bw_cfg_section bw_tftp_cfg_section;

#endif
