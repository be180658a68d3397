#include "tftp/tftp_opts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum tftp_opt_id { OPT_BLKSIZE, OPT_TSIZE, OPT_TIMEOUT, OPT_WINDOWSIZE, OPT_COUNT };

static const char *const tftp_opt_names[OPT_COUNT] = {
	[OPT_BLKSIZE] = "blksize",
	[OPT_TSIZE] = "tsize",
	[OPT_TIMEOUT] = "timeout",
	[OPT_WINDOWSIZE] = "windowsize",
};

static int tftp_opt_lookup(const char *name)
{
	for (int i = 0; i < OPT_COUNT; i++)
		if (strcasecmp(name, tftp_opt_names[i]) == 0)
			return i;
	return -1;
}

/* Applies one known option; false when its value is invalid. */
static bool tftp_opt_apply(int id, const char *value, const struct bw_tftp_limits *lim,
			   struct bw_tftp_neg *neg)
{
	uint64_t v;

	switch (id) {
	case OPT_BLKSIZE:
		if (bw_parse_u64(value, BW_TFTP_BLKSIZE_MIN, BW_TFTP_BLKSIZE_MAX, &v) < 0)
			return false;
		neg->blksize = (uint16_t)(v > lim->blksize_max ? lim->blksize_max : v);
		neg->blksize_ok = true;
		return true;
	case OPT_WINDOWSIZE:
		if (bw_parse_u64(value, 1, BW_TFTP_WINDOW_MAX, &v) < 0)
			return false;
		neg->windowsize = (uint16_t)(v > lim->windowsize_max ? lim->windowsize_max : v);
		neg->windowsize_ok = true;
		return true;
	case OPT_TIMEOUT:
		if (bw_parse_u64(value, 1, 255, &v) < 0)
			return false;
		neg->timeout_s = (uint8_t)v;
		neg->timeout_ok = true;
		return true;
	case OPT_TSIZE:
		if (bw_parse_u64(value, 0, UINT64_MAX, &v) < 0)
			return false;
		neg->tsize_req = v;
		neg->tsize_ok = true;
		return true;
	default:
		return false;
	}
}

void bw_tftp_negotiate(const struct bw_tftp_req *req, const struct bw_tftp_limits *lim,
		       struct bw_tftp_neg *ret)
{
	struct bw_tftp_neg neg = {.blksize = BW_TFTP_BLKSIZE_DEFAULT, .windowsize = 1};
	bool seen[OPT_COUNT] = {false};

	for (unsigned i = 0; i < req->n_opts; i++) {
		int id = tftp_opt_lookup(req->opts[i].name);

		if (id < 0 || seen[id]) {
			neg.n_ignored++;
			continue;
		}
		seen[id] = true;
		if (!tftp_opt_apply(id, req->opts[i].value, lim, &neg))
			neg.n_ignored++;
	}
	/* Keep one window's worth of data within the configured memory cap. */
	if (neg.windowsize_ok && lim->window_bytes_max) {
		uint32_t fit = lim->window_bytes_max / neg.blksize;

		if (fit < 1)
			fit = 1;
		if (neg.windowsize > fit)
			neg.windowsize = (uint16_t)fit;
	}
	*ret = neg;
}

bool bw_tftp_neg_wants_oack(const struct bw_tftp_neg *neg, bool have_tsize)
{
	return neg->blksize_ok || neg->windowsize_ok || neg->timeout_ok ||
	       (neg->tsize_ok && have_tsize);
}

int bw_tftp_neg_build_oack(const struct bw_tftp_neg *neg, bool have_tsize, uint64_t tsize,
			   uint8_t *buf, size_t cap, size_t *ret_len)
{
	struct bw_tftp_opt opts[OPT_COUNT];
	char vals[OPT_COUNT][24];
	unsigned n = 0;

	if (neg->blksize_ok) {
		snprintf(vals[n], sizeof(vals[n]), "%u", (unsigned)neg->blksize);
		opts[n].name = "blksize";
		opts[n].value = vals[n];
		n++;
	}
	if (neg->tsize_ok && have_tsize) {
		snprintf(vals[n], sizeof(vals[n]), "%" PRIu64, tsize);
		opts[n].name = "tsize";
		opts[n].value = vals[n];
		n++;
	}
	if (neg->timeout_ok) {
		snprintf(vals[n], sizeof(vals[n]), "%u", (unsigned)neg->timeout_s);
		opts[n].name = "timeout";
		opts[n].value = vals[n];
		n++;
	}
	if (neg->windowsize_ok) {
		snprintf(vals[n], sizeof(vals[n]), "%u", (unsigned)neg->windowsize);
		opts[n].name = "windowsize";
		opts[n].value = vals[n];
		n++;
	}
	return bw_tftp_build_oack(buf, cap, opts, n, ret_len);
}
