#include "core/priv.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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

/* The highest capability number the kernel knows. */
static unsigned priv_last_cap(void)
{
	unsigned last = 0;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");

	if (f) {
		if (fscanf(f, "%u", &last) != 1)
			last = 0;
		fclose(f);
	}
	if (!last) /* no /proc: probe the bounding set */
		while (last < 63 && prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
			last++;
	return last;
}

/* Empties the bounding set. Without CAP_SETPCAP (a start without root) it cannot be done
 * and is left: no_new_privs already stops an exec from using it. */
static int priv_drop_bounding(void)
{
	unsigned last = priv_last_cap();

	for (unsigned c = 0; c <= last; c++) {
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL) /* a capability this kernel does not have */
			continue;
		if (errno == EPERM && c == 0) {
			bw_log(BW_LOG_DEBUG, "core", NULL, "no CAP_SETPCAP: the capability "
			       "bounding set stays as it is (no_new_privs is set)");
			return 0;
		}
		return -errno;
	}
	return 0;
}

/* Clears the inheritable set, and the permitted and effective ones unless keep. This thread's
 * only: capabilities are per-thread. */
static int priv_set_caps(bool keep)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	for (unsigned i = 0; i < 2; i++) {
		d[i].inheritable = 0;
		if (!keep)
			d[i].permitted = d[i].effective = 0;
	}
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static int priv_switch_user(const struct bw_priv *p)
{
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
	return 0;
}

int bw_priv_restrict(void)
{
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		bw_log(BW_LOG_ERROR, "core", NULL, "cannot set no_new_privs: %s", strerror(-r));
		return r;
	}
	r = priv_drop_bounding();
	if (r < 0) {
		bw_log(BW_LOG_ERROR, "core", NULL, "cannot empty the capability bounding set: %s",
		       strerror(-r));
		return r;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		r = -errno;
		bw_log(BW_LOG_ERROR, "core", NULL, "cannot clear the ambient capabilities: %s",
		       strerror(-r));
		return r;
	}
	r = priv_set_caps(true);
	if (r < 0)
		bw_log(BW_LOG_ERROR, "core", NULL, "cannot clear the inheritable capabilities: %s",
		       strerror(-r));
	return r;
}

int bw_priv_apply(const struct bw_priv *p)
{
	int r;

	if (p->drop && (r = priv_switch_user(p)) < 0)
		return r;
	if (geteuid() != 0) {
		/* setuid() away from root cleared them already; file capabilities remain */
		r = priv_set_caps(false);
		if (r < 0) {
			bw_log(BW_LOG_ERROR, "core", NULL, "cannot drop capabilities: %s",
			       strerror(-r));
			return r;
		}
	}
	if (p->drop)
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
