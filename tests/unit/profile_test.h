/* Shared by the profile tests: load a config from YAML text (boot_root is a fresh temporary
 * directory), and compare rendered text. Include after check.h. */
#ifndef BW_PROFILE_TEST_H
#define BW_PROFILE_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "profile/profile_config.h"

static char pt_dir[64];

/* Loads "boot_root: <tmp>\n" + yaml. NULL (and a failed check) when it does not load, unless
 * err is given: then the messages go there and NULL is returned quietly. */
static inline struct bw_config *pt_load_err(const char *yaml, char *err, size_t errcap)
{
	char path[128], buf[8192];
	struct bw_config *cfg = NULL;
	FILE *f;

	bw_log_setup(BW_LOG_ERROR, BW_LOG_TEXT); /* no warnings about missing kernels */
	bw_config_register(&bw_core_cfg_section);
	bw_config_register(&bw_profile_cfg_section);
	if (!pt_dir[0]) {
		snprintf(pt_dir, sizeof(pt_dir), "/tmp/bw-profile-test-XXXXXX");
		if (!mkdtemp(pt_dir)) {
			CHECK(!"mkdtemp");
			return NULL;
		}
	}
	snprintf(path, sizeof(path), "%s/bootwire.yaml", pt_dir);
	f = fopen(path, "w");
	if (!f) {
		CHECK(!"fopen");
		return NULL;
	}
	fprintf(f, "boot_root: .\n%s", yaml);
	fclose(f);
	if (bw_config_load(path, &cfg, err ? err : buf, err ? errcap : sizeof(buf)) < 0) {
		if (!err) {
			fprintf(stderr, "config does not load:\n%s", buf);
			CHECK(!"config loads");
		}
		cfg = NULL;
	}
	unlink(path);
	return cfg;
}

static inline struct bw_config *pt_load(const char *yaml)
{
	return pt_load_err(yaml, NULL, 0);
}

static inline void pt_cleanup(void)
{
	if (pt_dir[0])
		rmdir(pt_dir);
}

/* Compares texts line by line so a failure shows the first line that differs. */
static inline bool pt_check_text(const char *got, const char *want, const char *what, const char *file,
			  int line)
{
	size_t i = 0, ln = 1;

	check_n_run++;
	if (got && want && strcmp(got, want) == 0)
		return true;
	check_n_failed++;
	fprintf(stderr, "%s:%d: FAIL: %s differs\n", file, line, what);
	if (!got || !want) {
		fprintf(stderr, "\tgot %s\n", got ? "text" : "NULL");
		return false;
	}
	while (got[i] && got[i] == want[i]) {
		if (got[i] == '\n')
			ln++;
		i++;
	}
	fprintf(stderr, "\tfirst difference in line %zu\n--- want:\n%s\n--- got:\n%s\n---\n", ln,
		want, got);
	return false;
}

#define CHECK_TEXT(got, want) pt_check_text((got), (want), #got, __FILE__, __LINE__)

#endif
