/* `bootwire serve` and the daemon's run loop: the service table started in order, stopped
 * in reverse, SIGHUP reloading the config file, a pid file for `bootwire reload`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cli/cli.h"
#include "cli/services.h"
#include "core/cfg_live.h"
#include "core/log.h"
#include "core/peers.h"
#include "core/priv.h"
#include "core/sock.h"
#include "core/vfs.h"
#include "dhcp/dhcp_config.h"
#include "http/http_config.h"
#include "profile/profile.h"
#include "profile/profile_config.h"
#include "tftp/tftp_config.h"

void bw_cli_register_sections(void)
{
	/* this order is the order of `check-config --print` */
	bw_config_register(&bw_core_cfg_section);
	bw_config_register(&bw_log_cfg_section);
	bw_config_register(&bw_tftp_cfg_section);
	bw_config_register(&bw_dhcp_cfg_section);
	bw_config_register(&bw_http_cfg_section);
	bw_config_register(&bw_profile_cfg_section);
}

void bw_cli_print_errors(const char *err)
{
	fputs(err, stderr);
	if (*err && err[strlen(err) - 1] != '\n')
		fputc('\n', stderr);
}

#define RUN_MAX_SERVICES 8

struct bw_run {
	const struct bw_run_opts *opts;
	uv_loop_t *loop;
	uv_signal_t sigint, sigterm, sighup;
	struct bw_cfg_live *live;
	struct bw_config *first; /* what the services started with: keys that need a restart */
	struct bw_vfs vfs;
	struct bw_http_base http;
	bool has_http;
	struct bw_peers *peers;
	const struct bw_service *rows[RUN_MAX_SERVICES];
	void *svc[RUN_MAX_SERVICES];
	unsigned n;     /* rows started */
	bool stopped;
	char *pid_file; /* written by us, removed at exit */
};

static void run_apply_log(const struct bw_run *run, const struct bw_config *cfg)
{
	const struct bw_log_config *lc = bw_config_get(cfg, &bw_log_cfg_section);
	int level = run->opts->log_level >= 0 ? run->opts->log_level : lc->level;

	bw_log_set_target((enum bw_log_target)lc->target);
	bw_log_setup((enum bw_log_level)level, (enum bw_log_format)lc->format);
	bw_priv_seccomp_set_json(lc->format == BW_LOG_JSON);
}

static void run_env(struct bw_run *run, struct bw_config *cfg, struct bw_service_env *env)
{
	const struct bw_core_config *core = bw_config_get(run->first, &bw_core_cfg_section);

	*env = (struct bw_service_env){
		.loop = run->loop,
		.cfg = cfg,
		.live = run->live,
		.boot_root = core->boot_root,
		.vfs = &run->vfs,
		.http = run->has_http ? &run->http : NULL,
		.peers = run->peers,
	};
}

/* Stops every started service, last started first (once). */
static void run_stop_all(struct bw_run *run)
{
	if (run->stopped)
		return;
	run->stopped = true;
	for (unsigned i = run->n; i-- > 0;)
		run->rows[i]->stop(run->svc[i]);
}

/* After the loop has finished: what the stopped services kept until then. */
static void run_done_all(struct bw_run *run)
{
	for (unsigned i = run->n; i-- > 0;) {
		if (run->rows[i]->done)
			run->rows[i]->done(run->svc[i]);
		run->svc[i] = NULL;
	}
	run->n = 0;
}

/* Starts the enabled rows in table order; on a failure, stops those already started. */
static int run_start_all(struct bw_run *run, struct bw_config *cfg)
{
	static const struct bw_service *const table[] = BW_SERVICES_INIT;
	struct bw_service_env env;
	int r;

	run_env(run, cfg, &env);
	for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct bw_service *row = table[i];

		if (!row->enabled(bw_config_get(cfg, row->section)))
			continue;
		r = row->start(&env, &run->svc[run->n]);
		if (r < 0) {
			bw_log(BW_LOG_ERROR, "core", NULL, "%s: cannot start: %s", row->name,
			       strerror(-r));
			run_stop_all(run);
			return r;
		}
		run->rows[run->n++] = row;
	}
	if (!run->n) {
		bw_log(BW_LOG_ERROR, "core", NULL, "no service is enabled: nothing to do");
		return -ENOENT;
	}
	return 0;
}

/* ---- reload ---- */

static void run_restart_key_cb(void *ud, const char *path)
{
	(void)ud;
	bw_log(BW_LOG_WARN, "core", NULL, "reload: %s changed: needs a restart (keeping the "
	       "running value)", path);
}

static void run_log_errors(const char *file, const char *err)
{
	const char *p = err;

	while (*p) {
		size_t n = strcspn(p, "\n");

		bw_log(BW_LOG_ERROR, "core", NULL, "reload: %.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
	bw_log(BW_LOG_ERROR, "core", NULL, "reload: %s is not valid: keeping the running "
	       "configuration", file);
}

static void run_reload(struct bw_run *run)
{
	struct bw_config *cfg;
	struct bw_service_env env;
	static char err[16384];
	int restart;

	if (!run->opts->config_file) {
		bw_log(BW_LOG_WARN, "core", NULL, "SIGHUP: no config file to reload (started "
		       "from the command line): ignoring");
		return;
	}
	bw_log(BW_LOG_INFO, "core", NULL, "SIGHUP: reloading %s", run->opts->config_file);
	if (bw_config_load(run->opts->config_file, &cfg, err, sizeof(err)) < 0) {
		run_log_errors(run->opts->config_file, err);
		return;
	}
	/* against the values running since the start, not the last file: a key put back is
	 * no longer reported, one still changed is reported at every reload */
	restart = bw_config_restart_keys(run->first, cfg, run_restart_key_cb, NULL);
	run_apply_log(run, cfg);
	/* services first (they take their own references), then the snapshot readers */
	run_env(run, cfg, &env);
	for (unsigned i = 0; i < run->n; i++)
		if (run->rows[i]->reload)
			run->rows[i]->reload(run->svc[i], &env);
	bw_cfg_live_swap(run->live, cfg);
	bw_log(BW_LOG_INFO, "core", NULL, "reloaded %s: profiles, machines, reservations, "
	       "boot files, subnet options, limits and log settings apply to the next request%s",
	       run->opts->config_file, restart > 0 ? "; see above for what needs a restart" : "");
}

/* ---- pid file ---- */

static void run_write_pid(struct bw_run *run, const struct bw_config *cfg)
{
	const struct bw_core_config *core = bw_config_get(cfg, &bw_core_cfg_section);
	char buf[32];
	int fd, n;

	if (!core->pid_file || !*core->pid_file)
		return;
	fd = open(core->pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		bw_log(BW_LOG_WARN, "core", NULL, "cannot write pid file %s: %s (bootwire reload "
		       "will not find this daemon)", core->pid_file, strerror(errno));
		return;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		bw_log(BW_LOG_WARN, "core", NULL, "cannot write pid file %s: %s", core->pid_file,
		       strerror(errno));
	close(fd);
	run->pid_file = strdup(core->pid_file);
}

/* Removes the pid file if it still names us (another daemon may have taken it over). */
static void run_remove_pid(struct bw_run *run)
{
	char buf[32] = "";
	FILE *f;

	if (!run->pid_file)
		return;
	f = fopen(run->pid_file, "r");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && atol(buf) == (long)getpid())
			unlink(run->pid_file); /* may fail after the privilege drop: harmless */
		fclose(f);
	}
	free(run->pid_file);
	run->pid_file = NULL;
}

/* ---- signals and the loop ---- */

static void run_close_signals(struct bw_run *run)
{
	uv_close((uv_handle_t *)&run->sigint, NULL);
	uv_close((uv_handle_t *)&run->sigterm, NULL);
	uv_close((uv_handle_t *)&run->sighup, NULL);
}

static void run_signal_cb(uv_signal_t *h, int signum)
{
	struct bw_run *run = h->data;

	if (signum == SIGHUP) {
		run_reload(run);
		return;
	}
	bw_log(BW_LOG_INFO, "core", NULL, "%s: shutting down", strsignal(signum));
	run_stop_all(run);
	run_close_signals(run);
}

/* The filter's mode. A sanitizer build (make test's build-asan) logs what enforce would deny
 * instead: LeakSanitizer's check at exit stops the threads from a helper process it clones
 * and ptraces, which the allow-list rightly refuses (SIGSYS, exit 159). test_priv still
 * proves enforce in that build, calling bw_priv_seccomp_install itself. */
static enum bw_seccomp_mode run_seccomp_mode(enum bw_seccomp_mode mode)
{
#if defined(__SANITIZE_ADDRESS__)
	if (mode == BW_SECCOMP_ENFORCE) {
		bw_log(BW_LOG_WARN, "core", NULL, "seccomp: sanitizer build: log instead of "
		       "enforce (LeakSanitizer's exit check needs ptrace)");
		return BW_SECCOMP_LOG;
	}
#endif
	return mode;
}

static void run_signals(struct bw_run *run)
{
	uv_signal_t *hs[] = {&run->sigint, &run->sigterm, &run->sighup};
	int sigs[] = {SIGINT, SIGTERM, SIGHUP};

	for (unsigned i = 0; i < 3; i++) {
		uv_signal_init(run->loop, hs[i]);
		hs[i]->data = run;
		uv_signal_start(hs[i], run_signal_cb, sigs[i]);
	}
}

/* What a start without root would lack, said before the binds fail. */
static void run_check_caps(const struct bw_config *cfg)
{
	const struct bw_tftp_config *tc = bw_config_get(cfg, &bw_tftp_cfg_section);
	const struct bw_dhcp_config *dc = bw_config_get(cfg, &bw_dhcp_cfg_section);
	const struct bw_http_config *hc = bw_config_get(cfg, &bw_http_cfg_section);
	bool low = (tc->enabled && tc->port < 1024) || dc->enabled || (hc->enabled && hc->port < 1024);

	bw_priv_warn_caps(low, dc->enabled && dc->mode == BW_DHCP_MODE_SERVER);
}

int bw_cli_run(struct bw_config *cfg, const struct bw_run_opts *opts)
{
	const struct bw_core_config *core = bw_config_get(cfg, &bw_core_cfg_section);
	const struct bw_http_config *hc = bw_config_get(cfg, &bw_http_cfg_section);
	struct bw_run run = {.opts = opts, .loop = uv_default_loop()};
	struct bw_priv priv;
	int r = 1;

	run_apply_log(&run, cfg);
	signal(SIGPIPE, SIG_IGN);
	/* restrict before any service starts: its threads inherit it */
	if (bw_priv_prepare(core->user, opts->allow_root, &priv) < 0 || bw_priv_restrict() < 0 ||
	    bw_cfg_live_new(cfg, &run.live) < 0) {
		bw_config_unref(cfg);
		return 1;
	}
	run.first = bw_config_ref(cfg);
	run_check_caps(cfg);
	run.peers = bw_peers_new(); /* without it the logs just lack MACs */
	bw_sock_raise_nofile();
	bw_vfs_init(&run.vfs);
	if (hc->enabled) {
		bw_http_base_of(hc, &run.http);
		run.has_http = true;
	}
	if (bw_profile_vfs_register_live(&run.vfs, run.live, run.has_http ? &run.http : NULL,
					 run.peers) < 0)
		goto out;
	if (run_start_all(&run, cfg) < 0)
		goto out_loop;
	run_write_pid(&run, cfg); /* as root still: /run is not writable afterwards */
	if (bw_priv_apply(&priv) < 0) {
		run_stop_all(&run);
		goto out_loop;
	}
	run_signals(&run);
	/* last: the filter allows what serving and reloading need, not what starting did */
	if (bw_priv_seccomp_install(run_seccomp_mode((enum bw_seccomp_mode)core->seccomp)) < 0) {
		run_stop_all(&run);
		run_close_signals(&run);
		goto out_loop;
	}
	r = 0;
out_loop:
	uv_run(run.loop, UV_RUN_DEFAULT);
	run_done_all(&run);
	uv_loop_close(run.loop);
	run_remove_pid(&run);
out:
	/* every service is stopped (HTTP's threads joined): nothing asks the vfs any more */
	bw_profile_vfs_unregister_live(&run.vfs);
	bw_peers_free(run.peers);
	bw_config_unref(run.first);
	bw_cfg_live_free(run.live);
	return r;
}

static void serve_usage(FILE *f)
{
	fprintf(f, "usage: bootwire serve -c FILE [--allow-root] [--log-level LEVEL]\n\n"
		   "Runs every service enabled in the YAML config FILE (see docs/config.md).\n"
		   "SIGHUP (or `bootwire reload -c FILE`) loads FILE again.\n\n"
		   "  -c, --config FILE      the configuration file (required)\n"
		   "      --allow-root       keep running as root when the config sets no `user`\n"
		   "      --log-level LEVEL  error, warn, info or debug (overrides log.level)\n"
		   "  -h, --help             this help\n");
}

int bw_cli_parse_log_level(const char *s)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int bw_cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"allow-root", no_argument, NULL, 'R'},
		{"log-level", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct bw_run_opts ro = {.log_level = -1};
	struct bw_config *cfg;
	char err[8192];
	int o;

	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': ro.config_file = optarg; break;
		case 'R': ro.allow_root = true; break;
		case 'L':
			ro.log_level = bw_cli_parse_log_level(optarg);
			if (ro.log_level < 0) {
				fprintf(stderr, "bootwire serve: --log-level: expected error, warn, "
						"info or debug, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': serve_usage(stdout); return 0;
		default: serve_usage(stderr); return 2;
		}
	}
	if (!ro.config_file || optind != argc) {
		serve_usage(stderr);
		return 2;
	}
	if (bw_config_load(ro.config_file, &cfg, err, sizeof(err)) < 0) {
		bw_cli_print_errors(err);
		return 1;
	}
	return bw_cli_run(cfg, &ro);
}
