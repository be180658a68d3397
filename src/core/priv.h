/* Dropping root after the privileged ports are bound. */
#ifndef BW_PRIV_H
#define BW_PRIV_H

#include <stdbool.h>

/* Decides and applies the privilege policy after binding:
 * - user set: switch to it (groups, gid, uid); an error if that fails;
 * - running as root without user: refuse (-EPERM) unless allow_root, then warn;
 * - not root: nothing to do. */
int bw_priv_drop(const char *user, bool allow_root);

#endif
