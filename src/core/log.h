/* Logging: levels, human-readable text (default) or JSON lines, to stderr or syslog.
 * Every line names the service and the peer; fields become key=value in text and keys in
 * JSON. Strings that came from the wire must be escaped by the caller (bw_escape) or passed
 * as fields, which are escaped here. */
#ifndef BW_LOG_H
#define BW_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum bw_log_level { BW_LOG_ERROR, BW_LOG_WARN, BW_LOG_INFO, BW_LOG_DEBUG };
enum bw_log_format { BW_LOG_TEXT, BW_LOG_JSON };
enum bw_log_target { BW_LOG_STDERR, BW_LOG_SYSLOG };

enum bw_log_ftype { BW_LF_STR, BW_LF_U64, BW_LF_F64 };

struct bw_log_field {
	const char *key;
	enum bw_log_ftype type;
	const char *s;
	uint64_t u;
	double f;
};

#define BW_LF_S(k, v) {.key = (k), .type = BW_LF_STR, .s = (v)}
#define BW_LF_U(k, v) {.key = (k), .type = BW_LF_U64, .u = (v)}
#define BW_LF_F(k, v) {.key = (k), .type = BW_LF_F64, .f = (v)}

void bw_log_setup(enum bw_log_level level, enum bw_log_format format);
/* stderr (default) or syslog (facility daemon, ident "bootwire", the level as priority:
 * error -> LOG_ERR, warn -> LOG_WARNING, info, debug), so `journalctl -p err` works. */
void bw_log_set_target(enum bw_log_target target);
bool bw_log_enabled(enum bw_log_level level);

/* service and peer may be NULL. */
void bw_log(enum bw_log_level level, const char *service, const char *peer, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void bw_log_f(enum bw_log_level level, const char *service, const char *peer,
	      const struct bw_log_field *fields, unsigned n, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Rate limit per (peer, reason): true when a line may be written now. At most a burst of
 * lines per second per key; suppressed lines are counted and reported with the next one. */
bool bw_log_ratelimit(const char *peer, const char *reason, uint64_t now_ms);

#endif
