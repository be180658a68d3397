#include "core/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct bw_blob *bw_blob_new(const void *data, size_t len)
{
	struct bw_blob *b = malloc(sizeof(*b) + len);

	if (!b)
		return NULL;
	b->refs = 1;
	b->len = len;
	if (len)
		memcpy(b->data, data, len);
	return b;
}

struct bw_blob *bw_blob_ref(struct bw_blob *b)
{
	if (b)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return b;
}

void bw_blob_unref(struct bw_blob *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(b);
}

void bw_vfs_init(struct bw_vfs *vfs)
{
	memset(vfs, 0, sizeof(*vfs));
}

int bw_vfs_register(struct bw_vfs *vfs, const char *name, bw_vfs_open_fn fn, void *ctx)
{
	if (vfs->n == BW_VFS_MAX_PROVIDERS)
		return -ENOSPC;
	vfs->providers[vfs->n].name = name;
	vfs->providers[vfs->n].fn = fn;
	vfs->providers[vfs->n].ctx = ctx;
	vfs->n++;
	return 0;
}

int bw_vfs_open(const struct bw_vfs *vfs, const struct bw_vfs_req *req, struct bw_blob **ret)
{
	for (unsigned i = 0; vfs && i < vfs->n; i++) {
		int r = vfs->providers[i].fn(vfs->providers[i].ctx, req, ret);

		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}
