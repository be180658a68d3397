/* Configuration: one YAML file loaded into plain structs through schema tables, validated
 * completely before anything uses it. Errors read `file:line: message`.
 *
 * Each service owns a section (its struct, key table and validation) and registers it; the
 * core only assembles them. One entry of a key table says everything about a key: its name,
 * its type, where its value lives (offsets into the section struct or record), its default
 * (as text, read like the file's), its bounds, a check for strings, whether a running daemon can take a new value without a
 * restart (reload_safe), and its documentation (doc: one line; docs/config.md says the same
 * at length, and tests/config/docs.sh fails when the two name different keys).
 *
 * Lists of records are keys too: BW_CFG_LIST is a YAML sequence of mappings (dhcp.subnets,
 * machines), BW_CFG_MAP a mapping of names to mappings (profiles), BW_CFG_RECORD a single
 * nested mapping (dhcp.boot_files, loaders). Each record is parsed against the key table of
 * its struct bw_cfg_record, which adds a per-record check (the container key gives the
 * maximum count); the
 * core parses, prints (YAML that loads again), compares and frees them, so a section writes
 * no parse, print or free code. A record whose keys do not parse, or that its check refuses,
 * is reported and left out; the others are still read and checked, and the sections'
 * validation runs on whatever was read, so one pass reports every problem it can (a check
 * that depends on a value that was refused asks bw_cfg_rejected() and stays quiet). A LIST
 * or MAP is allocated once, at its final size: pointers to records stay valid for the life
 * of the config.
 *
 * Host checks (check-config, BW_CFG_CHECK_HOST): after validation, each section's
 * check_host compares the config with the machine it runs on: the user exists, interfaces
 * exist and have addresses in the subnets, the files named exist and `user` can read them.
 * `serve` does not run them: it meets the same facts when it starts, and a boot file that is
 * missing there is a "not found" for the machines asking, not a reason to stop.
 *
 * Key paths (bw_config_for_each_key, bw_config_restart_keys) name a key wherever it is:
 * `tftp.port`, `boot_root`, `dhcp.boot_files.bios`, `dhcp.subnets[].router` (a key of every
 * LIST entry), `profiles.<name>.kernel` (a key of every MAP entry).
 *
 * Lines: while loading, the core remembers the line of every value by the address of the
 * field it went into (and of every record by its address), so validation reports
 * `file:line` for any field of any record: bw_cfg_error_at(ctx, &sn->router, ...). */
#ifndef BW_CONFIG_H
#define BW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bw_config;
struct bw_cfg_ctx; /* one load or validation: the file, the messages, the lines */

/* Types, and what the field at `off` (and `off2`) holds. min/max bound the value (UINT,
 * SIZE), the byte count (HEX) or the number of entries (the list types; max 0: no limit). */
enum bw_cfg_type {
	BW_CFG_BOOL,       /* bool */
	BW_CFG_UINT,       /* uint32_t */
	BW_CFG_SIZE,       /* uint64_t, with K/M/G/T suffixes */
	BW_CFG_STR,        /* char *, NULL when unset; `check` may refuse or normalise it */
	BW_CFG_ENUM,       /* int: index into choices; an empty choices[0] names "unset" (never
			    * accepted from the file, not printed when BW_CFG_OPTIONAL) */
	BW_CFG_IPV4,       /* uint32_t, host order; 0: unset */
	BW_CFG_IPV4_NET,   /* NETWORK/BITS, host bits zero: uint32_t network; off2: uint32_t mask */
	BW_CFG_IPV4_RANGE, /* FIRST-LAST: uint32_t first; off2: uint32_t last; 0-0: unset */
	BW_CFG_MAC,        /* uint8_t[6]; off2: bool, true when given */
	BW_CFG_UUID,       /* uint8_t[16]; off2: bool, true when given */
	BW_CFG_HEX,        /* uint8_t[max] (bytes like 01:52:54); off2: uint8_t length */
	BW_CFG_STR_LIST,   /* char **, each checked by `check`; off2: unsigned count. A single
			    * value is a list of one. */
	BW_CFG_IPV4_LIST,  /* uint32_t[max] in place (max required); off2: unsigned count; one
			    * value or a list */
	BW_CFG_RECORD,     /* a struct laid out by `rec`, in place */
	BW_CFG_LIST,       /* struct * (an array of rec->size items); off2: unsigned count */
	BW_CFG_MAP,        /* like LIST, from a mapping of names; `check` checks the names */
};

/* Flags of keys inside records. */
#define BW_CFG_REQUIRED 0x1u /* each entry must give it */
#define BW_CFG_OPTIONAL 0x2u /* printed only when set (not NULL, 0, empty or "unset") */

/* Checks a string value (STR, STR_LIST items, MAP names): returns 0 to keep s as it is, 1 to
 * keep out instead (a normalised form; cap bytes), or -1 after writing into why the message
 * that follows "PATH: " (it quotes s itself where that helps). */
typedef int bw_cfg_check_fn(const char *s, char *out, size_t cap, char *why, size_t whycap);

struct bw_cfg_record;

struct bw_cfg_key {
	const char *name;
	enum bw_cfg_type type;
	size_t off, off2;
	uint64_t min, max;
	const char *const *choices;        /* ENUM: NULL-terminated names */
	bw_cfg_check_fn *check;
	const struct bw_cfg_record *rec;   /* RECORD, LIST, MAP */
	const char *def;                   /* the default, written as in the file ("69", "64M");
					    * NULL: zero, false, unset or empty */
	const char *expect;                /* what a valid value is, for messages ("seconds from
					    * 60 to 31536000"); NULL: the type's own words */
	unsigned flags;
	bool reload_safe;                  /* a reload can apply it (no new socket, no restart).
					    * RECORD, LIST, MAP: their own keys say it, unless the
					    * container is not reload-safe as a whole. */
	const char *doc;
};

struct bw_cfg_record {
	const struct bw_cfg_key *keys;
	unsigned n_keys;
	size_t size;                       /* of one item */
	size_t name_off;                   /* MAP: the char * that receives the item's name */
	/* Cross-field checks of an item whose keys all parsed. items is the array and i the
	 * item's index (items[0..i-1] are the earlier entries; RECORD: 0); path names it in
	 * messages ("dhcp.subnets", "profiles.rescue"). Return < 0 (after reporting) to leave the
	 * item out. */
	int (*validate)(struct bw_cfg_ctx *ctx, const char *path, void *items, unsigned i);
	void (*done)(void *item);          /* frees what validate derived; the core frees keys */
	/* Which keys --print writes for this item (NULL: all, BW_CFG_OPTIONAL ones when set). */
	bool (*shown)(const void *item, const struct bw_cfg_key *k);
};

struct bw_cfg_section {
	const char *name; /* key in the file; NULL for top-level keys (several sections may
			   * own top-level keys; each key belongs to one of them) */
	const struct bw_cfg_key *keys;
	unsigned n_keys;
	size_t size;
	/* Cross-field and cross-record checks after parsing (also after parse errors, on what
	 * was read); report with bw_cfg_error_at(). */
	void (*validate)(struct bw_cfg_ctx *ctx, void *sec, const struct bw_config *cfg);
	/* Checks against this machine, with BW_CFG_CHECK_HOST only (see above). */
	void (*check_host)(struct bw_cfg_ctx *ctx, void *sec, const struct bw_config *cfg);
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
	int seccomp;     /* enum bw_seccomp_mode (core/priv.h) */
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
#define BW_CFG_CHECK_HOST 0x1u   /* also run the sections' host checks (check-config) */
#define BW_CFG_CHECK_STRICT 0x2u /* also report what serve tolerates but is most likely a
				  * mistake (check-config): see bw_cfg_strict() */
int bw_config_load_flags(const char *path, unsigned flags, struct bw_config **ret, char *err,
			 size_t errcap);
/* The same for the len bytes of YAML at buf (not NUL-terminated), as if they were the file
 * name: messages say `name:line: message` and relative paths are relative to name's
 * directory. For tests and fuzzing: the load path of check-config without a file. */
int bw_config_load_buf(const char *name, const void *buf, size_t len, unsigned flags,
		       struct bw_config **ret, char *err, size_t errcap);
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

/* Calls cb for every key of every registered section, containers first, then their keys. */
void bw_config_for_each_key(void (*cb)(void *ud, const char *path, const struct bw_cfg_key *k),
			    void *ud);
/* One line per key: "PATH<TAB>reload|restart<TAB>DOC" (check-config --keys). */
void bw_config_print_keys(FILE *f);
/* Calls cb for each key that is not reload-safe and whose value differs between old and new
 * (a LIST or MAP compares those keys across its entries: `dhcp.subnets[].interface`).
 * Returns how many were reported, or -ENOMEM. */
int bw_config_restart_keys(const struct bw_config *old, const struct bw_config *new,
			   void (*cb)(void *ud, const char *path), void *ud);

/* ---- for validate functions ---- */

/* Records "file:line: message" at the line where the value at field (a field of a section
 * or record) was written; without a line when the file did not set it (defaults, the
 * command line) or field is NULL. */
void bw_cfg_error_at(struct bw_cfg_ctx *ctx, const void *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Likewise at the line where the record item (a LIST or MAP entry) starts. */
void bw_cfg_error_item(struct bw_cfg_ctx *ctx, const void *item, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* True when loading with BW_CFG_CHECK_STRICT: validate functions then also report what
 * works but is most likely a mistake (a machine booting ${hostname} without a hostname). */
bool bw_cfg_strict(const struct bw_cfg_ctx *ctx);
/* How many problems were reported so far. */
unsigned bw_cfg_n_errors(const struct bw_cfg_ctx *ctx);
/* True when the file set the value at field. */
bool bw_cfg_given(const struct bw_cfg_ctx *ctx, const void *field);
/* True when the value at field was refused (an error was reported for it, or for one of its
 * entries), so checks that depend on it should stay quiet. name: for the MAP at field, true
 * only when the entry of that name was left out (or the whole MAP was). */
bool bw_cfg_rejected(const struct bw_cfg_ctx *ctx, const void *field, const char *name);
/* The 1-based line of the value at field (or of the record item at item), 0 when unknown. */
unsigned bw_cfg_line_of(const struct bw_cfg_ctx *ctx, const void *field);
unsigned bw_cfg_item_line(const struct bw_cfg_ctx *ctx, const void *item);
/* Makes a relative path in *field relative to the config file's directory (what boot_root,
 * lease_db and the TLS files are); reports an error for field and returns < 0 on failure. */
int bw_cfg_resolve_path(struct bw_cfg_ctx *ctx, const struct bw_config *cfg, char **field);
/* Replaces *field with a malloc'd copy of s (NULL: unset); reports "out of memory". */
int bw_cfg_set_str(struct bw_cfg_ctx *ctx, char **field, const char *s);

/* Host checks: that boot_root/rel exists (a regular file, or a directory when dir) and that
 * the configured user may read it (enter it, for a directory), judged by the mode bits of it
 * and of the directories above it (ACLs are not read). Problems are reported at field as
 * "PATH: 'REL' does not exist in boot_root", ...; a missing file only warns (on stderr, with
 * the line) when warn_missing. Quiet when boot_root itself was refused. < 0 when it is not
 * there or not readable. */
int bw_cfg_check_file(struct bw_cfg_ctx *ctx, const struct bw_config *cfg, const void *field,
		      const char *path, const char *rel, bool dir, bool warn_missing);

/* "true", "yes", "on", "1" and their opposites, in any case. */
int bw_cfg_parse_bool(const char *s, bool *ret);

#endif
