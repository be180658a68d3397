/* Configuration: one YAML file loaded into plain structs through schema tables, validated
 * completely before anything uses it. Errors read `file:line: message`.
 * Each service owns a section (its struct, key table, defaults and validation) and
 * registers it; the core only assembles them. */
#ifndef BW_CONFIG_H
#define BW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yaml.h>

struct bw_config;

struct bw_cfg_ctx {
	const char *file;
	yaml_document_t *doc;
	char *err;       /* all messages, one per line */
	size_t errcap;
	size_t errlen;
	unsigned nerr;
	unsigned n_lines; /* where each key was seen, for errors found by validation */
	struct {
		const char *sec;
		const char *key;
		size_t line;
	} lines[256];
};

/* Records "file:line: message" for node (line of the document start when node is NULL). */
void bw_cfg_error(struct bw_cfg_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like bw_cfg_error, at the line where sec.key was written (or without a line when the key
 * came from defaults or the command line). */
void bw_cfg_error_key(struct bw_cfg_ctx *ctx, const char *sec, const char *key,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

enum bw_cfg_type {
	BW_CFG_BOOL,   /* bool */
	BW_CFG_UINT,   /* uint32_t within [min, max] */
	BW_CFG_SIZE,   /* uint64_t, with K/M/G suffixes, within [min, max] */
	BW_CFG_STR,    /* char *, owned by the section */
	BW_CFG_ENUM,   /* int: index into choices */
	BW_CFG_CUSTOM, /* parse/print/free callbacks */
};

struct bw_cfg_key {
	const char *name;
	enum bw_cfg_type type;
	size_t off;
	uint64_t min, max;
	const char *const *choices; /* ENUM: NULL-terminated names */
	int (*parse)(struct bw_cfg_ctx *ctx, yaml_node_t *node, void *field);
	void (*print)(FILE *f, const void *field, const char *indent);
	void (*free)(void *field);
	bool reload_safe;
	const char *doc;
};

struct bw_cfg_section {
	const char *name; /* key in the file; NULL for top-level keys (several sections may
			   * own top-level keys; each key belongs to one of them) */
	const struct bw_cfg_key *keys;
	unsigned n_keys;
	size_t size;
	void (*defaults)(void *sec);
	/* Cross-field checks after parsing; report with bw_cfg_error(ctx, NULL or node, ...). */
	void (*validate)(struct bw_cfg_ctx *ctx, void *sec, const struct bw_config *cfg);
};

#define BW_CFG_MAX_SECTIONS 16

struct bw_config {
	_Atomic unsigned refs; /* 1 when built; see core/cfg_live.h */
	char *file;
	void *sec[BW_CFG_MAX_SECTIONS];
};

/* The core's own sections: top-level keys and `log`. */
struct bw_core_config {
	char *boot_root; /* absolute and resolved after validation */
	char *user;
	char *pid_file;  /* "" or NULL: none */
};
struct bw_log_config {
	int level;  /* enum bw_log_level */
	int format; /* enum bw_log_format */
	int target; /* enum bw_log_target */
};
extern const struct bw_cfg_section bw_core_cfg_section;
extern const struct bw_cfg_section bw_log_cfg_section;

/* Registers a section (services call this once at start-up, before any load). */
int bw_config_register(const struct bw_cfg_section *sec);

/* A config with every section at its defaults. */
struct bw_config *bw_config_new_defaults(void);
/* Loads and validates path. On failure returns a negative errno and leaves the messages
 * (one per line, `file:line: message`) in err. */
int bw_config_load(const char *path, struct bw_config **ret, char *err, size_t errcap);
/* Validates an already-built config (defaults plus overrides from the command line). */
int bw_config_validate(struct bw_config *cfg, char *err, size_t errcap);
void bw_config_free(struct bw_config *cfg);
/* Sets one scalar key ("tftp", "port", "6969"; section NULL for top-level keys) through the
 * schema, with the same checks as the file. Errors go to err as "origin: message". */
int bw_config_set(struct bw_config *cfg, const char *origin, const char *section,
		  const char *key, const char *value, char *err, size_t errcap);
/* The section struct of sec inside cfg. */
void *bw_config_get(const struct bw_config *cfg, const struct bw_cfg_section *sec);
/* Writes the effective configuration as YAML that loads again. */
void bw_config_print(FILE *f, const struct bw_config *cfg);
/* Reload: calls cb with the path ("tftp.port") of every key that is not reload-safe and
 * whose value differs between old and new. Returns how many. */
int bw_config_restart_keys(const struct bw_config *old, const struct bw_config *new,
			   void (*cb)(void *ud, const char *path), void *ud);

/* Helpers for custom parsers. */
const char *bw_cfg_scalar(yaml_node_t *node);
int bw_cfg_parse_bool(const char *s, bool *ret);
char *bw_cfg_strdup(const char *s);
/* Reads the mapping node into vals[] by key name (NULL where a key is absent). Unknown and
 * repeated keys and a node that is not a mapping are errors, reported with the `what` prefix
 * (like "dhcp.subnets"); returns -1 then. */
int bw_cfg_map_keys(struct bw_cfg_ctx *ctx, yaml_node_t *node, const char *what,
		    const char *const *names, yaml_node_t **vals, unsigned n);
/* Prints s as a YAML single-quoted scalar. */
void bw_cfg_print_str(FILE *f, const char *s);

#endif
