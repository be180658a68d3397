/* Virtual files: generated content that services serve as if it were a file in boot_root
 * (a pxelinux config for one MAC, an iPXE script, ...). A provider is asked first for every
 * path; it answers with an immutable, reference-counted blob, or -ENOENT to pass.
 * Providers may be called from the HTTP service's thread as well as the loop: they must only
 * read state that does not change while the services run. Blob references are atomic. */
#ifndef BW_VFS_H
#define BW_VFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct bw_blob {
	unsigned refs;
	size_t len;
	uint8_t data[];
};

/* A new blob holding a copy of len bytes (refs = 1); NULL when out of memory. */
struct bw_blob *bw_blob_new(const void *data, size_t len);
struct bw_blob *bw_blob_ref(struct bw_blob *b);
void bw_blob_unref(struct bw_blob *b);

struct bw_vfs_req {
	const char *path;            /* normalised, relative to boot_root, no leading '/' */
	const struct sockaddr *peer; /* who asks */
	const struct sockaddr *local; /* the address it asked (our side; port may be 0), or NULL */
	const char *service;         /* "tftp", "http" */
	const char *query;           /* HTTP: the query string without '?' (NULL: none) */
};

/* Returns 0 and a blob the caller owns (one reference), -ENOENT when the provider does not
 * serve this path, or another negative errno. */
typedef int (*bw_vfs_open_fn)(void *ctx, const struct bw_vfs_req *req, struct bw_blob **ret);

#define BW_VFS_MAX_PROVIDERS 16

struct bw_vfs {
	unsigned n;
	struct {
		const char *name;
		bw_vfs_open_fn fn;
		void *ctx;
	} providers[BW_VFS_MAX_PROVIDERS];
};

void bw_vfs_init(struct bw_vfs *vfs);
int bw_vfs_register(struct bw_vfs *vfs, const char *name, bw_vfs_open_fn fn, void *ctx);
/* Asks each provider in registration order; -ENOENT when none serves the path. */
int bw_vfs_open(const struct bw_vfs *vfs, const struct bw_vfs_req *req, struct bw_blob **ret);

#endif
