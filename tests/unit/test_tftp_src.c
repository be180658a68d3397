/* Transfer sources: files shared between readers, blobs from virtual files, netascii. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"
#include "fs_nodes.h"
#include "core/vfs.h"
#include "tftp/tftp_src.h"

static void test_netascii_blob(void)
{
	static const char text[] = "a\nb\rc\n\n";
	static const char want[] = "a\r\nb\r\0c\r\n\r\n";
	struct bw_blob *b = bw_blob_new(text, sizeof(text) - 1);
	struct bw_tftp_src s;
	uint8_t buf[64];

	if (!CHECK_EQ_INT(bw_tftp_src_open_blob(&s, b, true), 0))
		return;
	bw_blob_unref(b); /* the source keeps its own reference */
	CHECK_EQ_U64(s.size, sizeof(want) - 1);
	CHECK_EQ_INT(bw_tftp_src_read(&s, 0, buf, sizeof(buf)), sizeof(want) - 1);
	CHECK_EQ_MEM(buf, sizeof(want) - 1, want, sizeof(want) - 1);
	/* block-sized reads from a moving checkpoint, as the transfer does */
	for (uint64_t off = 0; off < s.size; off += 3) {
		ssize_t n;
		bw_tftp_src_release(&s, off);
		n = bw_tftp_src_read(&s, off, buf, 3);
		CHECK(n > 0);
		CHECK_EQ_MEM(buf, (size_t)n, want + off, (size_t)n);
	}
	CHECK_EQ_INT(bw_tftp_src_read(&s, 0, buf, 3), -EINVAL); /* released */
	CHECK_EQ_INT(bw_tftp_src_read(&s, s.size, buf, 3), 0);
	bw_tftp_src_done(&s);
}

static int vfs_hello(void *ctx, const struct bw_vfs_req *req, struct bw_blob **ret)
{
	(*(int *)ctx)++;
	if (strcmp(req->path, "pxelinux.cfg/default") != 0)
		return -ENOENT;
	*ret = bw_blob_new("DEFAULT x\n", 10);
	return *ret ? 0 : -ENOMEM;
}

static void test_vfs(void)
{
	struct bw_vfs vfs;
	struct bw_blob *b = NULL;
	struct bw_tftp_src s;
	struct bw_vfs_req req = {.path = "pxelinux.cfg/default", .service = "tftp"};
	int calls = 0;
	uint8_t buf[32];

	bw_vfs_init(&vfs);
	CHECK_EQ_INT(bw_vfs_register(&vfs, "hello", vfs_hello, &calls), 0);
	CHECK_EQ_INT(bw_vfs_open(&vfs, &req, &b), 0);
	if (!CHECK(b != NULL))
		return;
	CHECK_EQ_INT(bw_tftp_src_open_blob(&s, b, false), 0);
	CHECK_EQ_U64(s.size, 10); /* what tsize reports */
	CHECK_EQ_INT(bw_tftp_src_read(&s, 8, buf, 32), 2);
	bw_tftp_src_done(&s);
	bw_blob_unref(b);
	req.path = "other";
	CHECK_EQ_INT(bw_vfs_open(&vfs, &req, &b), -ENOENT);
	CHECK_EQ_INT(calls, 2);
}

static void test_file_cache(void)
{
	char path[] = "/tmp/bw-src-XXXXXX";
	int fd = mkstemp(path);
	struct bw_tftp_fcache cache;
	struct bw_tftp_src a, b;
	uint8_t buf[16];

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(write(fd, "0123456789", 10), 10);
	close(fd);
	bw_tftp_fcache_init(&cache);
	CHECK_EQ_INT(bw_tftp_src_open_fd(&a, &cache, open(path, O_RDONLY), false), 0);
	CHECK_EQ_INT(bw_tftp_src_open_fd(&b, &cache, open(path, O_RDONLY), false), 0);
	CHECK_EQ_INT(cache.n, 1); /* one open file for both readers */
	CHECK_EQ_INT(bw_tftp_src_read(&b, 4, buf, 16), 6);
	CHECK_EQ_MEM(buf, 6, "456789", 6);
	/* the file shrinks under the reader: an error, not a crash or garbage */
	CHECK_EQ_INT(truncate(path, 5), 0);
	CHECK_EQ_INT(bw_tftp_src_read(&a, 0, buf, 10), -EIO);
	bw_tftp_src_done(&a);
	CHECK_EQ_INT(cache.n, 1);
	bw_tftp_src_done(&b);
	CHECK_EQ_INT(cache.n, 0);
	bw_tftp_fcache_done(&cache);
	unlink(path);
}

/* Device nodes, FIFOs and sockets below the root are refused by type before anything opens
 * them: a FIFO must not block (no writer), a tty must not become anything's terminal. */
static void test_open_path_types(void)
{
	char dir[] = "/tmp/bw-src-types-XXXXXX", p[256];
	struct bw_tftp_fcache cache;
	struct bw_tftp_src s;
	int root_fd;

	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	bool have_dev = fs_nodes_make(dir, "a\nb"); /* the device node: root only */
	root_fd = open(dir, O_RDONLY | O_DIRECTORY);
	bw_tftp_fcache_init(&cache);
	if (CHECK_EQ_INT(bw_tftp_src_open_path(&s, &cache, root_fd, dir, "file", false, false), 0)) {
		CHECK_EQ_U64(s.size, 3);
		bw_tftp_src_done(&s);
	}
	CHECK_EQ_INT(bw_tftp_src_open_path(&s, &cache, root_fd, dir, "fifo", false, false), -ENODEV);
	CHECK_EQ_INT(bw_tftp_src_open_path(&s, &cache, root_fd, dir, "fifo-link", false, false),
		     -ENODEV);
	CHECK_EQ_INT(bw_tftp_src_open_path(&s, &cache, root_fd, dir, "FIFO", true, false), -ENODEV);
	CHECK_EQ_INT(bw_tftp_src_open_path(&s, &cache, root_fd, dir, "sub", false, false), -EISDIR);
	CHECK_EQ_INT(bw_tftp_src_open_path(&s, &cache, root_fd, dir, "none", false, false), -ENOENT);
	if (have_dev)
		CHECK_EQ_INT(bw_tftp_src_open_path(&s, &cache, root_fd, dir, "tty", false, false),
			     -ENODEV);
	else
		fprintf(stderr, "test_open_path_types: no device node (not root): skipped\n");
	CHECK_EQ_INT(cache.n, 0);
	bw_tftp_fcache_done(&cache);
	close(root_fd);
	for (const char *n = "file\0fifo\0fifo-link\0tty\0"; *n; n += strlen(n) + 1) {
		snprintf(p, sizeof(p), "%s/%s", dir, n);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/sub", dir);
	rmdir(p);
	rmdir(dir);
}

struct size_wait {
	int calls, r;
	uint64_t size;
};

static void size_cb(struct bw_tftp_src *s, int r, void *data)
{
	struct size_wait *w = data;

	w->calls++;
	w->r = r;
	w->size = s->size;
}

/* A file's netascii size is counted on the thread pool, once for all who wait for it, and
 * remembered: the next open knows it at once. A source done before the answer is not
 * called; a cache done while the count runs leaves it to finish alone. */
static void test_netascii_async(void)
{
	char path[] = "/tmp/bw-src-na-XXXXXX";
	static const char text[] = "one\ntwo\r\nthree\n";
	int fd = mkstemp(path);
	struct bw_tftp_fcache cache;
	struct bw_tftp_src a, b, c, d;
	struct size_wait wa = {0}, wb = {0}, wc = {0};
	uv_loop_t loop;
	uint8_t buf[64];

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ_INT(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	uv_loop_init(&loop);
	bw_tftp_fcache_init(&cache);
	CHECK_EQ_INT(bw_tftp_src_open_fd(&a, &cache, open(path, O_RDONLY), true), 0);
	CHECK_EQ_INT(bw_tftp_src_open_fd(&b, &cache, open(path, O_RDONLY), true), 0);
	CHECK_EQ_INT(bw_tftp_src_open_fd(&c, &cache, open(path, O_RDONLY), true), 0);
	CHECK(a.size_pending && b.size_pending && c.size_pending);
	CHECK_EQ_INT(bw_tftp_src_read(&a, 0, buf, sizeof(buf)), 0); /* nothing before it is known */
	CHECK_EQ_INT(bw_tftp_src_size_wait(&a, &loop, size_cb, &wa), 0);
	CHECK_EQ_INT(bw_tftp_src_size_wait(&b, &loop, size_cb, &wb), 0);
	CHECK_EQ_INT(bw_tftp_src_size_wait(&c, &loop, size_cb, &wc), 0);
	CHECK_EQ_INT(bw_tftp_src_size_wait(&c, &loop, size_cb, &wc), -EINVAL); /* already waiting */
	CHECK_EQ_INT(wa.calls + wb.calls + wc.calls, 0); /* never from inside the call */
	bw_tftp_src_done(&c);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK_EQ_INT(wa.calls, 1);
	CHECK_EQ_INT(wb.calls, 1);
	CHECK_EQ_INT(wc.calls, 0);
	CHECK_EQ_INT(wa.r, 0);
	CHECK_EQ_U64(wa.size, sizeof(text) - 1 + 4);
	CHECK_EQ_U64(wb.size, sizeof(text) - 1 + 4);
	CHECK(!a.size_pending);
	CHECK_EQ_INT(bw_tftp_src_read(&a, 0, buf, sizeof(buf)), sizeof(text) - 1 + 4);
	CHECK_EQ_MEM(buf, 9, "one\r\ntwo\r", 9);
	/* known now, by file identity */
	CHECK_EQ_INT(bw_tftp_src_open_fd(&d, &cache, open(path, O_RDONLY), true), 0);
	CHECK(!d.size_pending);
	CHECK_EQ_U64(d.size, sizeof(text) - 1 + 4);
	bw_tftp_src_done(&d);
	bw_tftp_src_done(&a);
	bw_tftp_src_done(&b);
	/* changed (other size): counted again; the cache goes away while the count runs */
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK_EQ_INT(write(fd, "\n", 1), 1);
	close(fd);
	CHECK_EQ_INT(bw_tftp_src_open_fd(&a, &cache, open(path, O_RDONLY), true), 0);
	CHECK(a.size_pending);
	CHECK_EQ_INT(bw_tftp_src_size_wait(&a, &loop, size_cb, &wa), 0);
	bw_tftp_src_done(&a); /* the running count goes on, nobody is called */
	bw_tftp_fcache_done(&cache);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK_EQ_INT(wa.calls, 1);
	/* above the netascii limit (a sparse file): refused before anything is read */
	CHECK_EQ_INT(truncate(path, (off_t)BW_TFTP_NETASCII_MAX + 1), 0);
	bw_tftp_fcache_init(&cache);
	CHECK_EQ_INT(bw_tftp_src_open_fd(&a, &cache, open(path, O_RDONLY), true), -EFBIG);
	CHECK_EQ_INT(cache.n, 0);
	bw_tftp_fcache_done(&cache);
	CHECK_EQ_INT(uv_loop_close(&loop), 0);
	unlink(path);
}

int main(void)
{
	test_netascii_blob();
	test_vfs();
	test_file_cache();
	test_open_path_types();
	test_netascii_async();
	return check_summary();
}
