/* Fuzz target: any bytes as the YAML configuration file, through the load path check-config
 * uses (bw_config_load_buf: libyaml, every section's key table, records, lists, maps, the
 * sections' validation and the strict checks) without the host checks, as the file
 * "/bootwire.yaml" (relative paths are relative to "/", so the result does not depend on
 * the directory the replay runs in). The seeds give boot_root /usr: a directory that exists
 * and only root may change, as a boot root must be.
 * Invariants (abort() when broken): a refused file has messages, each line naming the file;
 * a loaded one prints as YAML that loads again, prints the same, and asks for no restart
 * against itself; freeing either leaks nothing (the sanitizer build checks that).
 * Built with libFuzzer (BW_FUZZ=ON) and, with replay_main.c, as a corpus replay test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "dhcp/dhcp_config.h"
#include "http/http_config.h"
#include "profile/profile_config.h"
#include "tftp/tftp_config.h"
#include "fuzz_assert.h"

#define FUZZ_NAME "/bootwire.yaml"
#define FUZZ_MAX (64 * 1024)

static char fuzz_err[65536];

static void fuzz_setup(void)
{
	bw_log_setup(BW_LOG_ERROR, BW_LOG_TEXT); /* no "not in boot_root (yet)" per input */
	/* the sections of bw_cli_register_sections(), in its order */
	bw_config_register(&bw_core_cfg_section);
	bw_config_register(&bw_log_cfg_section);
	bw_config_register(&bw_tftp_cfg_section);
	bw_config_register(&bw_dhcp_cfg_section);
	bw_config_register(&bw_http_cfg_section);
	bw_config_register(&bw_profile_cfg_section);
}

/* Every complete line of a refusal names the file (the last may be cut by the buffer). */
static void fuzz_check_refusal(const char *err)
{
	FUZZ_ASSERT(err[0] != '\0');
	for (const char *l = err; *l;) {
		const char *nl = strchr(l, '\n');

		if (!nl)
			break;
		FUZZ_ASSERT(strncmp(l, FUZZ_NAME ":", strlen(FUZZ_NAME) + 1) == 0);
		l = nl + 1;
	}
}

static char *fuzz_print(const struct bw_config *cfg, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	FUZZ_ASSERT(f != NULL);
	bw_config_print(f, cfg);
	FUZZ_ASSERT(fclose(f) == 0);
	*ret_len = len;
	return text;
}

static void fuzz_no_restart(void *ud, const char *path)
{
	fprintf(stderr, "restart key against itself: %s\n", path);
	FUZZ_ASSERT(!"a config differs from its own reprint");
}

static void fuzz_check_reprint(const struct bw_config *cfg)
{
	struct bw_config *again = NULL;
	size_t len, len2;
	char *text = fuzz_print(cfg, &len), *text2;
	int r;

	r = bw_config_load_buf(FUZZ_NAME, text, len, BW_CFG_CHECK_STRICT, &again, fuzz_err,
			       sizeof(fuzz_err));
	if (r < 0)
		fprintf(stderr, "printed config:\n%s\ndoes not load again:\n%s", text, fuzz_err);
	FUZZ_ASSERT(r == 0);
	text2 = fuzz_print(again, &len2);
	if (len != len2 || memcmp(text, text2, len) != 0)
		fprintf(stderr, "printed:\n%s\nreprinted:\n%s", text, text2);
	FUZZ_ASSERT(len == len2 && memcmp(text, text2, len) == 0);
	FUZZ_ASSERT(bw_config_restart_keys(cfg, again, fuzz_no_restart, NULL) == 0);
	free(text);
	free(text2);
	bw_config_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct bw_config *cfg = NULL;
	int r;

	if (!ready) {
		fuzz_setup();
		ready = 1;
	}
	if (size > FUZZ_MAX)
		return 0;
	r = bw_config_load_buf(FUZZ_NAME, data, size, BW_CFG_CHECK_STRICT, &cfg, fuzz_err,
			       sizeof(fuzz_err));
	if (r < 0) {
		FUZZ_ASSERT(cfg == NULL);
		fuzz_check_refusal(fuzz_err);
		return 0;
	}
	FUZZ_ASSERT(r == 0 && cfg != NULL);
	fuzz_check_reprint(cfg);
	bw_config_free(cfg);
	return 0;
}
