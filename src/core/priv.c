#include "core/priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "core/log.h"

int bw_priv_drop(const char *user, bool allow_root)
{
	struct passwd *pw;

	if (user && *user) {
		if (getuid() != 0 && geteuid() != 0) {
			bw_log(BW_LOG_WARN, "core", NULL,
			       "not running as root: ignoring user \"%s\"", user);
			return 0;
		}
		pw = getpwnam(user);
		if (!pw) {
			bw_log(BW_LOG_ERROR, "core", NULL, "user \"%s\" does not exist", user);
			return -ENOENT;
		}
		if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
		    setuid(pw->pw_uid) < 0) {
			int r = -errno;
			bw_log(BW_LOG_ERROR, "core", NULL, "cannot switch to user \"%s\"", user);
			return r;
		}
		if (setuid(0) == 0) {
			bw_log(BW_LOG_ERROR, "core", NULL, "could regain root after dropping it");
			return -EPERM;
		}
		bw_log(BW_LOG_INFO, "core", NULL, "running as user %s (uid %u)", user,
		       (unsigned)pw->pw_uid);
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
