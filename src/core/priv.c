#include "core/priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

int bw_priv_prepare(const char *user, bool allow_root, struct bw_priv *ret)
{
	struct passwd *pw;

	memset(ret, 0, sizeof(*ret));
	if (user && *user) {
		if (geteuid() != 0) {
			bw_log(BW_LOG_WARN, "core", NULL,
			       "not running as root: ignoring user \"%s\"", user);
			return 0;
		}
		pw = getpwnam(user);
		if (!pw) {
			bw_log(BW_LOG_ERROR, "core", NULL, "user \"%s\" does not exist", user);
			return -ENOENT;
		}
		ret->drop = true;
		snprintf(ret->user, sizeof(ret->user), "%s", pw->pw_name);
		ret->uid = pw->pw_uid;
		ret->gid = pw->pw_gid;
		return 0;
	}
	if (geteuid() == 0) {
		if (!allow_root) {
			bw_log(BW_LOG_ERROR, "core", NULL,
			       "refusing to run as root: set `user:` in the config (e.g. nobody) "
			       "or pass --allow-root");
			return -EPERM;
		}
		bw_log(BW_LOG_WARN, "core", NULL,
		       "running as root (--allow-root): set `user:` to drop privileges");
	}
	return 0;
}

int bw_priv_apply(const struct bw_priv *p)
{
	if (!p->drop)
		return 0;
	if (initgroups(p->user, p->gid) < 0 || setgid(p->gid) < 0 || setuid(p->uid) < 0) {
		int r = -errno;
		bw_log(BW_LOG_ERROR, "core", NULL, "cannot switch to user \"%s\": %s", p->user,
		       strerror(-r));
		return r;
	}
	if (setuid(0) == 0) {
		bw_log(BW_LOG_ERROR, "core", NULL, "could regain root after dropping it");
		return -EPERM;
	}
	bw_log(BW_LOG_INFO, "core", NULL, "running as user %s (uid %u)", p->user,
	       (unsigned)p->uid);
	return 0;
}

/* Whether capability bit `cap` is in the effective set (from /proc/self/status). */
static bool priv_has_cap(unsigned cap)
{
	unsigned long long eff = 0;
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return true; /* cannot tell: say nothing */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return !found || (eff >> cap) & 1;
}

void bw_priv_warn_caps(bool low_ports, bool raw_socket)
{
	enum { CAP_NET_BIND_SERVICE_BIT = 10, CAP_NET_RAW_BIT = 13 };

	if (geteuid() == 0)
		return;
	if (low_ports && !priv_has_cap(CAP_NET_BIND_SERVICE_BIT))
		bw_log(BW_LOG_WARN, "core", NULL,
		       "not root and without CAP_NET_BIND_SERVICE: ports below 1024 cannot be "
		       "bound (run as root with `user:`, or grant it: setcap "
		       "cap_net_bind_service,cap_net_raw+ep bootwire)");
	if (raw_socket && !priv_has_cap(CAP_NET_RAW_BIT))
		bw_log(BW_LOG_WARN, "core", NULL,
		       "not root and without CAP_NET_RAW: DHCP cannot open its packet socket "
		       "for replies to clients that have no address yet");
}
