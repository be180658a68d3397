#include "core/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>

#include "core/util.h"

static enum bw_log_level log_level = BW_LOG_INFO;
static enum bw_log_format log_format = BW_LOG_TEXT;
static enum bw_log_target log_target = BW_LOG_STDERR;

static const char *const log_names[] = {"error", "warn", "info", "debug"};

void bw_log_setup(enum bw_log_level level, enum bw_log_format format)
{
	log_level = level;
	log_format = format;
}

void bw_log_set_target(enum bw_log_target target)
{
	if (target == BW_LOG_SYSLOG && log_target != BW_LOG_SYSLOG)
		openlog("bootwire", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (target != BW_LOG_SYSLOG && log_target == BW_LOG_SYSLOG)
		closelog();
	log_target = target;
}

bool bw_log_enabled(enum bw_log_level level)
{
	return level <= log_level;
}

static void log_timestamp(char *buf, size_t cap)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(tv.tv_usec / 1000));
}

/* Bytes the JSON line needs after the n fields' keys with empty strings and the widest
 * numbers, and its closing brace: what a string before them must leave room for, so a line
 * cut short (a long request-target) is still one well-formed object. */
static size_t log_json_tail(const struct bw_log_field *fields, unsigned n)
{
	size_t t = 1; /* } */

	for (unsigned i = 0; i < n; i++)
		t += strlen(fields[i].key) + 4 + (fields[i].type == BW_LF_STR ? 2 : 32);
	return t;
}

/* Appends s as a JSON string body (without quotes), leaving at least keep bytes of cap
 * (and one for the closing quote): a value that does not fit is cut before an escape. */
static size_t log_json_str(char *out, size_t o, size_t cap, size_t keep, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	cap = cap > keep + 1 ? cap - keep - 1 : 0;
	for (; s && *s && o + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[c >> 4];
			out[o + 5] = hex[c & 15];
			o += 6;
		} else {
			out[o++] = (char)c;
		}
	}
	return o;
}

static size_t log_put(char *out, size_t o, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t log_put(char *out, size_t o, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o >= cap)
		return o;
	va_start(ap, fmt);
	n = vsnprintf(out + o, cap - o, fmt, ap);
	va_end(ap);
	if (n < 0)
		return o;
	return (size_t)n >= cap - o ? cap - 1 : o + (size_t)n;
}

static size_t log_field_text(char *out, size_t o, size_t cap, const struct bw_log_field *f)
{
	char esc[512];

	switch (f->type) {
	case BW_LF_STR:
		bw_escape(f->s, f->s ? strlen(f->s) : 0, esc, sizeof(esc));
		if (strpbrk(esc, " =") || !*esc)
			return log_put(out, o, cap, " %s=\"%s\"", f->key, esc);
		return log_put(out, o, cap, " %s=%s", f->key, esc);
	case BW_LF_U64:
		return log_put(out, o, cap, " %s=%llu", f->key, (unsigned long long)f->u);
	default:
		return log_put(out, o, cap, " %s=%.3f", f->key, f->f);
	}
}

/* keep: what the fields after f need (log_json_tail). */
static size_t log_field_json(char *out, size_t o, size_t cap, const struct bw_log_field *f,
			     size_t keep)
{
	o = log_put(out, o, cap, ",\"%s\":", f->key);
	switch (f->type) {
	case BW_LF_STR:
		o = log_put(out, o, cap, "\"");
		o = log_json_str(out, o, cap, keep, f->s);
		return log_put(out, o, cap, "\"");
	case BW_LF_U64:
		return log_put(out, o, cap, "%llu", (unsigned long long)f->u);
	default:
		return log_put(out, o, cap, "%.3f", f->f);
	}
}

static void log_emit(enum bw_log_level level, const char *service, const char *peer,
		     const struct bw_log_field *fields, unsigned n, const char *msg)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char ts[64], line[4096];
	size_t o = 0, cap = sizeof(line) - 2;

	log_timestamp(ts, sizeof(ts));
	if (log_target == BW_LOG_SYSLOG && log_format == BW_LOG_TEXT) {
		/* syslog stamps the time and carries the level as the priority */
		o = log_put(line, o, cap, "%s%s%s%s%s", service ? service : "",
			    service ? " " : "", peer ? peer : "", peer ? ": " : "", msg);
		for (unsigned i = 0; i < n; i++)
			o = log_field_text(line, o, cap, &fields[i]);
	} else if (log_format == BW_LOG_JSON) {
		o = log_put(line, o, cap, "{\"ts\":\"%s\",\"level\":\"%s\"", ts, log_names[level]);
		if (service)
			o = log_put(line, o, cap, ",\"service\":\"%s\"", service);
		size_t keep = log_json_tail(fields, n);

		if (peer) {
			o = log_put(line, o, cap, ",\"peer\":\"");
			o = log_json_str(line, o, cap, keep + strlen(",\"msg\":\"\""), peer);
			o = log_put(line, o, cap, "\"");
		}
		o = log_put(line, o, cap, ",\"msg\":\"");
		o = log_json_str(line, o, cap, keep, msg);
		o = log_put(line, o, cap, "\"");
		for (unsigned i = 0; i < n; i++)
			o = log_field_json(line, o, cap, &fields[i],
					   log_json_tail(fields + i + 1, n - i - 1));
		o = log_put(line, o, cap, "}");
	} else {
		o = log_put(line, o, cap, "%s %-5s %s%s%s%s%s", ts, log_names[level],
			    service ? service : "", service ? " " : "", peer ? peer : "",
			    peer ? ": " : "", msg);
		for (unsigned i = 0; i < n; i++)
			o = log_field_text(line, o, cap, &fields[i]);
	}
	if (log_target == BW_LOG_SYSLOG) {
		line[o] = '\0';
		syslog(prio[level], "%s", line);
		return;
	}
	line[o++] = '\n';
	fwrite(line, 1, o, stderr);
}

static void log_vemit(enum bw_log_level level, const char *service, const char *peer,
		      const struct bw_log_field *fields, unsigned n, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_emit(level, service, peer, fields, n, msg);
}

void bw_log_f(enum bw_log_level level, const char *service, const char *peer,
	      const struct bw_log_field *fields, unsigned n, const char *fmt, ...)
{
	va_list ap;

	if (!bw_log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vemit(level, service, peer, fields, n, fmt, ap);
	va_end(ap);
}

void bw_log(enum bw_log_level level, const char *service, const char *peer, const char *fmt, ...)
{
	va_list ap;

	if (!bw_log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vemit(level, service, peer, NULL, 0, fmt, ap);
	va_end(ap);
}

#define LOG_RL_BUCKETS 256
#define LOG_RL_BURST 5

struct log_rl_bucket {
	uint64_t hash;
	uint64_t second;
	unsigned count;
	unsigned long suppressed;
};

static struct log_rl_bucket log_rl[LOG_RL_BUCKETS];

static uint64_t log_hash(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = a; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (const char *p = b; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

/* The HTTP service calls this from its own thread: the table is shared, so it is locked.
 * (Writing a line needs no lock: it is formatted on the stack and written with one fwrite,
 * which stdio serialises.) */
static pthread_mutex_t log_rl_lock = PTHREAD_MUTEX_INITIALIZER;

bool bw_log_ratelimit(const char *peer, const char *reason, uint64_t now_ms)
{
	uint64_t h = log_hash(peer, reason);
	struct log_rl_bucket *b = &log_rl[h % LOG_RL_BUCKETS];
	uint64_t sec = now_ms / 1000;
	unsigned long suppressed = 0;
	bool ok = true;

	pthread_mutex_lock(&log_rl_lock);
	if (b->hash != h || b->second != sec) {
		if (b->hash == h)
			suppressed = b->suppressed;
		b->suppressed = 0;
		b->hash = h;
		b->second = sec;
		b->count = 0;
	}
	if (b->count >= LOG_RL_BURST) {
		b->suppressed++;
		ok = false;
	} else {
		b->count++;
	}
	pthread_mutex_unlock(&log_rl_lock);
	if (suppressed)
		bw_log(BW_LOG_WARN, "log", peer, "%lu lines like \"%s\" were suppressed", suppressed,
		       reason);
	return ok;
}
