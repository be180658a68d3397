/* Dropping root after the privileged ports are bound, decided before anything starts. */
#ifndef BW_PRIV_H
#define BW_PRIV_H

#include <stdbool.h>
#include <sys/types.h>

struct bw_priv {
	bool drop;        /* switch to uid/gid after binding */
	char user[64];
	uid_t uid;
	gid_t gid;
};

/* Decides the privilege policy before any service starts, so a bad `user` stops the
 * daemon before it says it is listening:
 * - user set and running as root: it must exist (-ENOENT otherwise);
 * - user set and not root: ignored with a warning;
 * - running as root without user: refused (-EPERM) unless allow_root, then a warning.
 * Logs its own errors. */
int bw_priv_prepare(const char *user, bool allow_root, struct bw_priv *ret);
/* Takes what no service needs, before any starts (threads they create inherit it; these
 * are per-thread attributes): no_new_privs (nothing it could exec gains privileges), every
 * capability out of the bounding set (when permitted: it needs CAP_SETPCAP) and out of the
 * ambient and inheritable sets. The permitted and effective sets are untouched: the
 * services still bind their ports. Logs its own errors. */
int bw_priv_restrict(void);
/* Once every port is bound and every file that needs root is open: switches to the prepared
 * user (groups, gid, uid) and checks root cannot be regained. Nothing after the start needs
 * a capability (the packet socket is open, the ports are bound, socket buffers are sized),
 * so a process that is not root afterwards (a prepared user, or a start without root with
 * file capabilities) keeps none in its permitted and effective sets; root by --allow-root
 * keeps root's. */
int bw_priv_apply(const struct bw_priv *p);

/* The system call filter (seccomp), from the top-level `seccomp` key. */
enum bw_seccomp_mode {
	BW_SECCOMP_ENFORCE, /* calls not on the list fail with EPERM, each logged on stderr */
	BW_SECCOMP_LOG,     /* calls not on the list run; the kernel logs them (audit) */
	BW_SECCOMP_OFF,
};
/* Installs the allow-list of the calls the daemon makes after its start (priv_seccomp.c
 * says how it was drawn up) for every thread of the process; sets no_new_privs. In enforce
 * mode a call off the list is trapped: a SIGSYS handler writes one line naming it to stderr
 * (in the log's JSON shape after bw_priv_seccomp_set_json(true)) and the call returns
 * -EPERM, so the daemon goes on and the operator learns which call to report. Logs its own
 * errors; < 0 when it failed (the caller stops: a sandbox asked for is not skipped). */
int bw_priv_seccomp_install(enum bw_seccomp_mode mode);
/* Whether the denial line is JSON (log.format; a reload may change it). */
void bw_priv_seccomp_set_json(bool json);

/* Names the capabilities a start without root lacks for what the config asks (ports below
 * 1024: CAP_NET_BIND_SERVICE; DHCP's packet socket: CAP_NET_RAW), as a warning. */
void bw_priv_warn_caps(bool low_ports, bool raw_socket);

#endif
