/* Path normalisation and opening below the root (core/fspath, shared with HTTP), remapping
 * and upload matching (tftp_path). */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/fspath.h"
#include "tftp/tftp_config.h"
#include "tftp/tftp_path.h"

static int norm(const char *in, const char *root, char *out)
{
	return bw_fspath_normalize(in, strlen(in), root, out, 64);
}

static void test_normalize(void)
{
	static const struct {
		const char *in, *root, *want;
		int r;
	} cases[] = {
		{"pxelinux.0", NULL, "pxelinux.0", 0},
		{"/pxelinux.0", NULL, "pxelinux.0", 0},
		{"//a//b/./c", NULL, "a/b/c", 0},
		{"/srv/tftp/pxelinux.0", "/srv/tftp", "pxelinux.0", 0},
		{"//srv/tftp/pxelinux.0", "/srv/tftp", "pxelinux.0", 0},
		{"/srv/tftpx/a", "/srv/tftp", "srv/tftpx/a", 0},
		{"/srv/tftp", "/srv/tftp", "srv/tftp", 0},
		{"a/./b/", NULL, "a/b", 0},
		{"../etc/passwd", NULL, NULL, -EACCES},
		{"a/../../x", NULL, NULL, -EACCES},
		{"a/..", NULL, NULL, -EACCES},
		{"/srv/tftp/../x", "/srv/tftp", NULL, -EACCES},
		{"..a/b..", NULL, "..a/b..", 0},
		{"/", NULL, NULL, -ENOENT},
		{".", NULL, NULL, -ENOENT},
		{"", NULL, NULL, -ENOENT},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_context = cases[i].in;
		CHECK_EQ_INT(norm(cases[i].in, cases[i].root, out), cases[i].r);
		if (cases[i].r == 0)
			CHECK_EQ_STR(out, cases[i].want);
	}
	check_context = NULL;
	char small[8];
	CHECK_EQ_INT(bw_fspath_normalize("abcdefgh", 8, NULL, small, sizeof(small)), -ENAMETOOLONG);
	CHECK_EQ_INT(bw_fspath_normalize("abcdefg", 7, NULL, small, sizeof(small)), 0);
}

static void test_outside(void)
{
	CHECK(bw_tftp_path_is_outside("/etc/passwd", "/srv/tftp"));
	CHECK(bw_tftp_path_is_outside("//etc/passwd", "/srv/tftp"));
	CHECK(bw_tftp_path_is_outside("/srv/tftp2/x", "/srv/tftp"));
	CHECK(bw_tftp_path_is_outside("/pxelinux.0", "/srv/tftp"));
	CHECK(!bw_tftp_path_is_outside("/srv/tftp/x", "/srv/tftp"));
	CHECK(!bw_tftp_path_is_outside("//srv/tftp/x", "/srv/tftp"));
	CHECK(!bw_tftp_path_is_outside("pxelinux.0", "/srv/tftp"));
}

static void test_backslash(void)
{
	char s[] = "\\Boot\\BCD";

	bw_tftp_path_map_backslash(s);
	CHECK_EQ_STR(s, "/Boot/BCD");
}

static void test_remap(void)
{
	struct bw_tftp_remap rules[2] = {
		{.match = "^pxelinux\\.cfg/(.*)$", .replace = "cfg/\\1"},
		{.match = "BCD", .replace = "bcd-\\0"},
	};
	struct bw_tftp_remaps rs = {.n = 2, .v = rules};
	char out[64];

	CHECK_EQ_INT(regcomp(&rules[0].re, rules[0].match, REG_EXTENDED), 0);
	CHECK_EQ_INT(regcomp(&rules[1].re, rules[1].match, REG_EXTENDED), 0);
	CHECK_EQ_INT(bw_tftp_path_remap(&rs, "pxelinux.cfg/default", out, sizeof(out)), 1);
	CHECK_EQ_STR(out, "cfg/default");
	CHECK_EQ_INT(bw_tftp_path_remap(&rs, "Boot/BCD.x", out, sizeof(out)), 1);
	CHECK_EQ_STR(out, "Boot/bcd-BCD.x");
	CHECK_EQ_INT(bw_tftp_path_remap(&rs, "other", out, sizeof(out)), 0);
	CHECK_EQ_INT(bw_tftp_path_remap(&rs, "pxelinux.cfg/default", out, 5), -ENAMETOOLONG);
	regfree(&rules[0].re);
	regfree(&rules[1].re);
}

static void test_upload_match(void)
{
	struct bw_tftp_upload ups[1] = {{.dir = "up/logs", .max_size = 10}};
	struct bw_tftp_uploads us = {.n = 1, .v = ups};

	CHECK(bw_tftp_upload_match(&us, "up/logs/a.txt") == &ups[0]);
	CHECK(bw_tftp_upload_match(&us, "up/logs/sub/a.txt") == &ups[0]);
	CHECK(bw_tftp_upload_match(&us, "up/logs") == NULL);
	CHECK(bw_tftp_upload_match(&us, "up/logs/") == NULL);
	CHECK(bw_tftp_upload_match(&us, "up/logsx/a") == NULL);
	CHECK(bw_tftp_upload_match(&us, "a.txt") == NULL);
}

static void test_open(void)
{
	char tmpl[] = "/tmp/bw-path-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char p[256], target[256], real[PATH_MAX];
	int root, fd;

	if (!CHECK(dir != NULL))
		return;
	snprintf(p, sizeof(p), "%s/root", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/root/Sub", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/root/Sub/File.BIN", dir);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/secret", dir);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/root/out", dir);
	CHECK_EQ_INT(symlink("../secret", p), 0);
	snprintf(p, sizeof(p), "%s/root/outdir", dir);
	CHECK_EQ_INT(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/root/in", dir);
	CHECK_EQ_INT(symlink("Sub/File.BIN", p), 0);
	snprintf(p, sizeof(p), "%s/root/in-abs", dir);
	snprintf(target, sizeof(target), "%s/root/Sub/File.BIN", dir);
	CHECK_EQ_INT(symlink(target, p), 0);
	snprintf(p, sizeof(p), "%s/root/out-abs", dir);
	snprintf(target, sizeof(target), "%s/secret", dir);
	CHECK_EQ_INT(symlink(target, p), 0);
	snprintf(p, sizeof(p), "%s/root", dir);
	root = open(p, O_RDONLY | O_DIRECTORY);
	if (!CHECK(realpath(p, real) != NULL))
		return;

	fd = bw_fspath_open(root, real, "Sub/File.BIN", false, O_RDONLY, 0);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(bw_fspath_open(root, real, "sub/file.bin", false, O_RDONLY, 0), -ENOENT);
	fd = bw_fspath_open(root, real, "sub/file.bin", true, O_RDONLY, 0);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(bw_fspath_open(root, real, "out", false, O_RDONLY, 0), -EACCES);
	CHECK_EQ_INT(bw_fspath_open(root, real, "outdir/passwd", false, O_RDONLY, 0), -EACCES);
	fd = bw_fspath_open(root, real, "in", false, O_RDONLY, 0);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(bw_fspath_open(root, real, "missing", true, O_RDONLY, 0), -ENOENT);
	/* absolute symlinks: followed when the target is inside the root, refused otherwise */
	fd = bw_fspath_open(root, real, "in-abs", false, O_RDONLY, 0);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(bw_fspath_open(root, NULL, "in-abs", false, O_RDONLY, 0), -EACCES);
	CHECK_EQ_INT(bw_fspath_open(root, real, "out-abs", false, O_RDONLY, 0), -EACCES);
	close(root);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	CHECK_EQ_INT(system(p), 0);
}

int main(void)
{
	test_normalize();
	test_outside();
	test_backslash();
	test_remap();
	test_upload_match();
	test_open();
	return check_summary();
}
