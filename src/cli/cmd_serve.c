#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/priv.h"
#include "core/sock.h"
#include "core/vfs.h"
#include "dhcp/dhcp_config.h"
#include "dhcp/dhcp_io.h"
#include "http/http_config.h"
#include "http/http_io.h"
#include "profile/profile_config.h"
#include "tftp/tftp_config.h"
#include "tftp/tftp_io.h"

void bw_cli_register_sections(void)
{
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

struct bw_run_state {
	uv_signal_t sigint, sigterm;
	struct bw_tftp_service *tftp;
	struct bw_dhcp_service *dhcp;
	struct bw_http_service *http;
};

static void run_signal_cb(uv_signal_t *h, int signum)
{
	struct bw_run_state *st = h->data;

	bw_log(BW_LOG_INFO, "core", NULL, "%s: shutting down", strsignal(signum));
	bw_tftp_service_stop(st->tftp);
	st->tftp = NULL;
	bw_dhcp_service_stop(st->dhcp);
	st->dhcp = NULL;
	bw_http_service_stop(st->http);
	st->http = NULL;
	uv_close((uv_handle_t *)&st->sigint, NULL);
	uv_close((uv_handle_t *)&st->sigterm, NULL);
}

int bw_cli_run(struct bw_config *cfg, bool allow_root)
{
	const struct bw_core_config *core = bw_config_get(cfg, &bw_core_cfg_section);
	const struct bw_log_config *lc = bw_config_get(cfg, &bw_log_cfg_section);
	const struct bw_tftp_config *tc = bw_config_get(cfg, &bw_tftp_cfg_section);
	struct bw_dhcp_config *dc = bw_config_get(cfg, &bw_dhcp_cfg_section);
	const struct bw_http_config *hc = bw_config_get(cfg, &bw_http_cfg_section);
	struct bw_run_state st = {0};
	uv_loop_t *loop = uv_default_loop();
	struct bw_vfs vfs;
	static char http_base[256]; /* outlives the vfs and the services */
	const char *base = NULL;
	int r;

	bw_log_setup((enum bw_log_level)lc->level, (enum bw_log_format)lc->format);
	signal(SIGPIPE, SIG_IGN);
	bw_sock_raise_nofile();
	bw_vfs_init(&vfs);
	/* With HTTP on, scripts send kernels over HTTP and DHCP points iPXE and UEFI HTTP boot
	 * at it: "http://${server}:PORT/", ${server} being the address each client reaches. */
	if (hc->enabled && bw_http_base_url(hc, "${server}", http_base, sizeof(http_base)) == 0) {
		base = http_base;
		if (!dc->http_base)
			dc->http_base = strdup(http_base);
	}
	if (bw_profile_vfs_register(&vfs, bw_profile_set_of(cfg), base) < 0)
		return 1;
	if (tc->enabled && bw_tftp_service_new(loop, tc, core->boot_root, &vfs, &st.tftp) < 0)
		return 1;
	if (dc->enabled && bw_dhcp_service_new(loop, dc, &st.dhcp) < 0) {
		bw_tftp_service_stop(st.tftp);
		uv_run(loop, UV_RUN_DEFAULT);
		return 1;
	}
	if (st.dhcp)
		bw_dhcp_service_set_profiles(st.dhcp, bw_profile_set_of(cfg));
	if (hc->enabled && bw_http_service_new(loop, hc, core->boot_root, &vfs, &st.http) < 0) {
		bw_tftp_service_stop(st.tftp);
		bw_dhcp_service_stop(st.dhcp);
		uv_run(loop, UV_RUN_DEFAULT);
		return 1;
	}
	if (!st.tftp && !st.dhcp && !st.http) {
		bw_log(BW_LOG_ERROR, "core", NULL, "no service is enabled: nothing to do");
		return 1;
	}
	r = bw_priv_drop(core->user, allow_root);
	if (r < 0) {
		bw_tftp_service_stop(st.tftp);
		bw_dhcp_service_stop(st.dhcp);
		bw_http_service_stop(st.http);
		uv_run(loop, UV_RUN_DEFAULT);
		return 1;
	}
	uv_signal_init(loop, &st.sigint);
	uv_signal_init(loop, &st.sigterm);
	st.sigint.data = st.sigterm.data = &st;
	uv_signal_start(&st.sigint, run_signal_cb, SIGINT);
	uv_signal_start(&st.sigterm, run_signal_cb, SIGTERM);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	return 0;
}

static void serve_usage(FILE *f)
{
	fprintf(f, "usage: bootwire serve -c FILE [--allow-root]\n\n"
		   "Runs every service enabled in the YAML config FILE (see docs/config.md).\n\n"
		   "  -c, --config FILE  the configuration file (required)\n"
		   "      --allow-root   keep running as root when the config sets no `user`\n"
		   "  -h, --help         this help\n");
}

int bw_cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"allow-root", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *file = NULL;
	bool allow_root = false;
	struct bw_config *cfg;
	char err[8192];
	int o, r;

	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': file = optarg; break;
		case 'R': allow_root = true; break;
		case 'h': serve_usage(stdout); return 0;
		default: serve_usage(stderr); return 2;
		}
	}
	if (!file || optind != argc) {
		serve_usage(stderr);
		return 2;
	}
	if (bw_config_load(file, &cfg, err, sizeof(err)) < 0) {
		bw_cli_print_errors(err);
		return 1;
	}
	r = bw_cli_run(cfg, allow_root);
	bw_config_free(cfg);
	return r;
}
