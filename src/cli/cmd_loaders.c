/* `bootwire loaders install`: puts Debian's boot programs into the boot root, so a new lab
 * does not have to find out where undionly.kpxe, ipxe.efi, pxelinux.0 and GRUB's netboot
 * directory come from. Three sets, each from its packages:
 *   ipxe      /usr/lib/ipxe/{undionly.kpxe,ipxe.efi,snponly.efi}          (ipxe)
 *   pxelinux  /usr/lib/PXELINUX/pxelinux.0                                (pxelinux)
 *             /usr/lib/syslinux/modules/bios/{ldlinux,menu,...}.c32       (syslinux-common)
 *   grub      `grub-mknetdir --subdir=grub` per platform: x86_64-efi (grub-efi-amd64-bin)
 *             and, when installed, i386-pc (grub-pc-bin)
 *
 * Every file goes through one path: compare with what is there ("unchanged" when identical;
 * a different file is kept unless --force), else write a temporary name in the destination
 * directory, fsync, rename, fsync the directory. Directories are opened one component at a
 * time with O_NOFOLLOW below the root's descriptor, so a symlink inside the root cannot lead
 * a write outside it. grub-mknetdir writes into a private staging directory inside the root
 * (removed afterwards); its files are then installed like the others.
 *
 * BOOTWIRE_LOADERS_SYSROOT (for tests) looks for the packages' files below that directory
 * instead of /. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"

enum {
	LOADERS_IPXE = 1,
	LOADERS_PXELINUX = 2,
	LOADERS_GRUB = 4,
	LOADERS_ALL = 7,
};

enum loaders_status {
	LOADERS_INSTALLED,
	LOADERS_REPLACED,
	LOADERS_UNCHANGED,
	LOADERS_KEPT,
	LOADERS_FAILED,
	LOADERS_NSTATUS,
};

static const char *const loaders_status_names[] = {"installed", "replaced", "unchanged", "kept",
						   "failed"};

struct loaders_file {
	unsigned set;
	const char *src; /* below the sysroot */
	const char *dst; /* relative to the boot root */
	const char *pkg;
};

/* pxelinux.0 looks for ldlinux.c32 and modules in its own directory. menu.c32 and
 * vesamenu.c32 need libutil.c32 and libcom32.c32; chain.c32 is the usual "boot the local
 * disk" entry. (bootwire's own pxelinux menus need none of them: they use PROMPT/LABEL.) */
static const struct loaders_file loaders_files[] = {
	{LOADERS_IPXE, "/usr/lib/ipxe/undionly.kpxe", "undionly.kpxe", "ipxe"},
	{LOADERS_IPXE, "/usr/lib/ipxe/ipxe.efi", "ipxe.efi", "ipxe"},
	{LOADERS_IPXE, "/usr/lib/ipxe/snponly.efi", "snponly.efi", "ipxe"},
	{LOADERS_PXELINUX, "/usr/lib/PXELINUX/pxelinux.0", "pxelinux.0", "pxelinux"},
#define LOADERS_C32(name)                                                                        \
	{LOADERS_PXELINUX, "/usr/lib/syslinux/modules/bios/" name, name, "syslinux-common"}
	LOADERS_C32("ldlinux.c32"),
	LOADERS_C32("libcom32.c32"),
	LOADERS_C32("libutil.c32"),
	LOADERS_C32("menu.c32"),
	LOADERS_C32("vesamenu.c32"),
	LOADERS_C32("chain.c32"),
#undef LOADERS_C32
};

struct loaders_grub_platform {
	const char *name; /* /usr/lib/grub/NAME */
	const char *pkg;
	const char *program; /* what firmware loads, relative to the boot root */
	bool required;       /* part of the grub set; the others only when installed */
};

static const struct loaders_grub_platform loaders_grub_platforms[] = {
	{"x86_64-efi", "grub-efi-amd64-bin", "grub/x86_64-efi/core.efi", true},
	{"i386-pc", "grub-pc-bin", "grub/i386-pc/core.0", false},
};

#define LOADERS_MAX_PKGS 8

/* SIGINT, SIGTERM, SIGHUP: stop after the current file and remove the staging directory. */
static volatile sig_atomic_t loaders_signal;

static void loaders_on_signal(int sig)
{
	loaders_signal = sig;
}

struct loaders_run {
	int root_fd;
	char root[PATH_MAX];
	const char *sysroot;
	unsigned sets;
	bool force, verbose;
	unsigned n[LOADERS_NSTATUS];
	const char *missing[LOADERS_MAX_PKGS]; /* packages to install, each once */
	unsigned n_missing;
};

static void loaders_usage(FILE *f)
{
	fprintf(f,
		"usage: bootwire loaders install [--root DIR | -c FILE] [OPTIONS]\n\n"
		"Copies Debian's network boot programs into the boot root:\n"
		"  ipxe      undionly.kpxe, ipxe.efi, snponly.efi    (apt-get install ipxe)\n"
		"  pxelinux  pxelinux.0, ldlinux.c32, menu modules   (apt-get install pxelinux\n"
		"                                                      syslinux-common)\n"
		"  grub      grub/ by grub-mknetdir: x86_64-efi/core.efi (apt-get install\n"
		"            grub-efi-amd64-bin), i386-pc/core.0 (with grub-pc-bin installed)\n"
		"and prints the config lines that use them. A file identical to the package's\n"
		"is left alone; a different one is kept unless --force. Exit status 1 when a\n"
		"package is missing, a file was kept or a copy failed (all else is still\n"
		"installed), 2 for bad arguments.\n\n"
		"  -r, --root DIR     the boot root (must exist)\n"
		"  -c, --config FILE  use FILE's boot_root\n"
		"      --only LIST    only these sets: ipxe,pxelinux,grub (default: all three)\n"
		"  -f, --force        replace files that differ from the packages'\n"
		"  -v, --verbose      list every GRUB file, not only the boot programs\n"
		"  -h, --help         this help\n");
}

static void loaders_add_missing(struct loaders_run *run, const char *pkg)
{
	for (unsigned i = 0; i < run->n_missing; i++)
		if (!strcmp(run->missing[i], pkg))
			return;
	if (run->n_missing < LOADERS_MAX_PKGS)
		run->missing[run->n_missing++] = pkg;
}

/* ---- one file ---- */

static bool loaders_is_symlink(int dir, const char *name)
{
	struct stat st;

	return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

static const char *loaders_strerror(int err)
{
	return err == ELOOP ? "a symlink on the way (never followed: it could lead out of the "
			      "boot root)"
			    : strerror(err);
}

/* Opens the directory of rel below the root (creating missing directories, mode 0755) and
 * points *ret_base at rel's last component. A symlink on the way is -ELOOP. */
static int loaders_open_parent(int root_fd, const char *rel, const char **ret_base)
{
	char comp[NAME_MAX + 1];
	const char *p = rel, *slash;
	int fd = dup(root_fd), next;

	if (fd < 0)
		return -errno;
	while ((slash = strchr(p, '/'))) {
		if ((size_t)(slash - p) > NAME_MAX || slash == p) {
			close(fd);
			return -EINVAL;
		}
		snprintf(comp, sizeof(comp), "%.*s", (int)(slash - p), p);
		if (mkdirat(fd, comp, 0755) == 0)
			fchmodat(fd, comp, 0755, 0);
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			next = loaders_is_symlink(fd, comp) ? -ELOOP : -errno;
			close(fd);
			return next;
		}
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*ret_base = p;
	return fd;
}

/* True when the two descriptors hold the same bytes. */
static int loaders_same(int a, int b, off_t size)
{
	static char ba[1 << 16], bb[1 << 16];
	ssize_t na, nb;
	off_t done = 0;

	while (done < size) {
		na = pread(a, ba, sizeof(ba), done);
		nb = pread(b, bb, sizeof(bb), done);
		if (na < 0 || nb < 0)
			return -errno;
		if (na != nb || na == 0 || memcmp(ba, bb, (size_t)na))
			return 0;
		done += na;
	}
	return 1;
}

/* What is at dir/base now: -ENOENT (nothing), 1 (identical to src), 0 (something else). */
static int loaders_compare(int dir, const char *base, int src, off_t size, off_t *ret_size)
{
	struct stat st;
	int fd, r;

	if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*ret_size = st.st_size;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) || st.st_size != size)
		return 0;
	fd = openat(dir, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = loaders_same(src, fd, size);
	close(fd);
	return r;
}

static int loaders_copy_fd(int in, int out)
{
	static char buf[1 << 16];
	ssize_t n, w;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w < 0)
				return -errno;
		}
	return n < 0 ? -errno : 0;
}

/* Writes src to dir/.base.bootwire-tmp, fsyncs it, renames it to base, fsyncs dir. */
static int loaders_write(int dir, const char *base, int src)
{
	char tmp[NAME_MAX + 64];
	int fd, r;

	snprintf(tmp, sizeof(tmp), ".%.200s.bootwire-tmp%ld", base, (long)getpid());
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = lseek(src, 0, SEEK_SET) < 0 ? -errno : loaders_copy_fd(src, fd);
	if (!r && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(dir, tmp, dir, base) < 0)
		r = -errno;
	if (r) {
		unlinkat(dir, tmp, 0);
		return r;
	}
	return fsync(dir) < 0 ? -errno : 0;
}

/* Decides and does what src -> rel needs. Returns the status; *ret_err is the errno of a
 * failure, *ret_size the size of a kept file. */
static enum loaders_status loaders_place(struct loaders_run *run, int src, off_t size,
					 const char *rel, int *ret_err, off_t *ret_size)
{
	const char *base = NULL;
	int dir, r;
	enum loaders_status s;

	dir = loaders_open_parent(run->root_fd, rel, &base);
	if (dir < 0) {
		*ret_err = -dir;
		return LOADERS_FAILED;
	}
	r = loaders_compare(dir, base, src, size, ret_size);
	if (r == 1)
		s = LOADERS_UNCHANGED;
	else if (r == 0 && !run->force)
		s = LOADERS_KEPT;
	else if (r == 0 || r == -ENOENT) {
		s = r == 0 ? LOADERS_REPLACED : LOADERS_INSTALLED;
		r = loaders_write(dir, base, src);
		if (r < 0)
			s = LOADERS_FAILED;
	} else {
		s = LOADERS_FAILED;
	}
	if (s == LOADERS_FAILED)
		*ret_err = -r;
	close(dir);
	return s;
}

/* Installs the file at path src as rel; prints its line unless quiet (failures, kept and
 * replaced files are always printed). label is what the line calls the source. */
static enum loaders_status loaders_install(struct loaders_run *run, const char *src,
					   const char *label, const char *rel, bool quiet)
{
	enum loaders_status s;
	struct stat st;
	off_t had = 0;
	int fd, err = 0;

	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = fd < 0 ? errno : EINVAL;
		st.st_size = 0;
		s = LOADERS_FAILED;
	} else {
		s = loaders_place(run, fd, st.st_size, rel, &err, &had);
	}
	if (fd >= 0)
		close(fd);
	run->n[s]++;
	if (quiet && s != LOADERS_FAILED && s != LOADERS_KEPT && s != LOADERS_REPLACED)
		return s;
	printf("%-9s  %s -> %s/%s (%lld bytes)", loaders_status_names[s], label, run->root, rel,
	       (long long)st.st_size);
	if (s == LOADERS_KEPT)
		printf(": the file there differs (%lld bytes); --force replaces it",
		       (long long)had);
	else if (s == LOADERS_FAILED)
		printf(": %s", loaders_strerror(err));
	putchar('\n');
	return s;
}

/* ---- the ipxe and pxelinux sets: fixed lists of files ---- */

static bool loaders_install_files(struct loaders_run *run)
{
	char src[PATH_MAX];
	bool ok = true;

	for (size_t i = 0; i < sizeof(loaders_files) / sizeof(loaders_files[0]); i++) {
		const struct loaders_file *f = &loaders_files[i];

		if (!(run->sets & f->set))
			continue;
		if (loaders_signal)
			return false;
		snprintf(src, sizeof(src), "%s%s", run->sysroot, f->src);
		if (access(src, R_OK) < 0) {
			printf("missing    %s -> %s/%s: apt-get install %s\n", src, run->root,
			       f->dst, f->pkg);
			loaders_add_missing(run, f->pkg);
			ok = false;
			continue;
		}
		if (loaders_install(run, src, src, f->dst, false) >= LOADERS_KEPT)
			ok = false;
	}
	return ok;
}

/* ---- the grub set: grub-mknetdir into a staging directory, then file by file ---- */

static bool loaders_is_grub_program(const char *rel)
{
	for (size_t i = 0; i < sizeof(loaders_grub_platforms) / sizeof(loaders_grub_platforms[0]);
	     i++)
		if (!strcmp(rel, loaders_grub_platforms[i].program))
			return true;
	return false;
}

/* Installs every file below top/sub (grub-mknetdir's net directory) as sub/... in the root.
 * Lines are printed for the boot programs, for whatever is not simply installed or
 * unchanged, and for everything with --verbose. */
static bool loaders_install_tree(struct loaders_run *run, const char *top, const char *sub)
{
	char dir[PATH_MAX], rel[PATH_MAX], src[PATH_MAX], label[PATH_MAX + 16];
	struct dirent **ents;
	struct stat st;
	bool ok = true, quiet;
	int n;

	if (snprintf(dir, sizeof(dir), "%s/%s", top, sub) >= (int)sizeof(dir))
		return false;
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		printf("failed     reading %s: %s\n", dir, strerror(errno));
		return false;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (loaders_signal) {
			ok = false;
			break;
		}
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (snprintf(rel, sizeof(rel), "%s/%s", sub, name) >= (int)sizeof(rel) ||
		    snprintf(src, sizeof(src), "%s/%s", top, rel) >= (int)sizeof(src)) {
			printf("failed     %s/%s: name too long\n", dir, name);
			ok = false;
			continue;
		}
		if (lstat(src, &st) == 0 && S_ISDIR(st.st_mode)) {
			ok = loaders_install_tree(run, top, rel) && ok;
			continue;
		}
		snprintf(label, sizeof(label), "grub-mknetdir:%s", rel);
		quiet = !run->verbose && !loaders_is_grub_program(rel);
		if (loaders_install(run, src, label, rel, quiet) >= LOADERS_KEPT)
			ok = false;
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return ok;
}

/* Runs grub-mknetdir for one platform directory, its output into log. */
static int loaders_mknetdir(const char *prog, const char *net, const char *platdir,
			    const char *log)
{
	char arg[PATH_MAX + 128];
	int status, fd;
	pid_t pid;

	snprintf(arg, sizeof(arg), "--net-directory=%s", net);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		signal(SIGPIPE, SIG_DFL);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execl(prog, "grub-mknetdir", arg, "--subdir=grub", "-d", platdir, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static void loaders_print_log(const char *log)
{
	char line[512];
	FILE *f = fopen(log, "r");

	for (unsigned n = 0; f && n < 20 && fgets(line, sizeof(line), f); n++)
		printf("           | %s", line);
	if (f)
		fclose(f);
}

static int loaders_rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* grub-mknetdir for each platform installed, into stage/net. Returns how many ran. */
static int loaders_grub_build(struct loaders_run *run, const char *prog, const char *stage,
			      bool *ok)
{
	char plat[PATH_MAX], probe[PATH_MAX + 16], net[PATH_MAX + 64], log[PATH_MAX + 64];
	int built = 0;

	snprintf(net, sizeof(net), "%s/net", stage);
	snprintf(log, sizeof(log), "%s/log", stage);
	for (size_t i = 0; i < sizeof(loaders_grub_platforms) / sizeof(loaders_grub_platforms[0]);
	     i++) {
		const struct loaders_grub_platform *p = &loaders_grub_platforms[i];

		if (loaders_signal)
			break;
		snprintf(plat, sizeof(plat), "%s/usr/lib/grub/%s", run->sysroot, p->name);
		snprintf(probe, sizeof(probe), "%s/moddep.lst", plat);
		if (access(probe, R_OK) < 0) {
			printf("%-9s  %s -> %s/%s: apt-get install %s\n",
			       p->required ? "missing" : "optional", plat, run->root, p->program,
			       p->pkg);
			if (p->required) {
				loaders_add_missing(run, p->pkg);
				*ok = false;
			}
			continue;
		}
		if (loaders_mknetdir(prog, net, plat, log) < 0) {
			printf("failed     grub-mknetdir -d %s:\n", plat);
			loaders_print_log(log);
			run->n[LOADERS_FAILED]++;
			*ok = false;
			continue;
		}
		built++;
	}
	return built;
}

/* grub/ must be a directory of the root (created when absent), not a symlink: one line for
 * that instead of one per file. */
static bool loaders_grub_dir_ok(struct loaders_run *run)
{
	const char *base;
	int fd = loaders_open_parent(run->root_fd, "grub/x", &base);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	printf("failed     %s/grub: %s\n", run->root, loaders_strerror(-fd));
	run->n[LOADERS_FAILED]++;
	return false;
}

static bool loaders_install_grub(struct loaders_run *run)
{
	char prog[PATH_MAX], stage[PATH_MAX + 32], net[PATH_MAX + 64];
	unsigned before[LOADERS_NSTATUS], k;
	bool ok = true;

	snprintf(prog, sizeof(prog), "%s/usr/bin/grub-mknetdir", run->sysroot);
	if (access(prog, X_OK) < 0) {
		printf("missing    %s -> %s/grub: apt-get install grub-efi-amd64-bin\n", prog,
		       run->root);
		loaders_add_missing(run, "grub-efi-amd64-bin");
		return false;
	}
	if (!loaders_grub_dir_ok(run))
		return false;
	snprintf(stage, sizeof(stage), "%s/.bootwire-loaders.XXXXXX", run->root);
	if (!mkdtemp(stage)) {
		printf("failed     creating %s: %s\n", stage, strerror(errno));
		run->n[LOADERS_FAILED]++;
		return false;
	}
	memcpy(before, run->n, sizeof(before));
	if (loaders_grub_build(run, prog, stage, &ok) > 0) {
		snprintf(net, sizeof(net), "%s/net", stage);
		ok = loaders_install_tree(run, net, "grub") && ok;
		printf("grub       %s/grub:", run->root);
		for (k = 0; k < LOADERS_NSTATUS; k++)
			printf(" %u %s%s", run->n[k] - before[k], loaders_status_names[k],
			       k + 1 < LOADERS_NSTATUS ? "," : "");
		printf(" (modules, fonts, locales%s)\n",
		       run->verbose ? "" : "; --verbose lists them");
	}
	nftw(stage, loaders_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return ok;
}

/* ---- the config lines ---- */

static bool loaders_present(const struct loaders_run *run, const char *rel)
{
	struct stat st;

	return fstatat(run->root_fd, rel, &st, 0) == 0 && S_ISREG(st.st_mode);
}

static const char *loaders_if(const struct loaders_run *run, const char *rel)
{
	return loaders_present(run, rel) ? rel : "''";
}

/* What the root holds now (this run's sets or an earlier run's), as config lines. */
static void loaders_print_snippet(const struct loaders_run *run)
{
	bool bios = loaders_present(run, "undionly.kpxe");
	const char *efi = loaders_present(run, "ipxe.efi")	  ? "ipxe.efi"
			  : loaders_present(run, "snponly.efi") ? "snponly.efi"
								: NULL;

	printf("\n# bootwire.yaml lines for what %s holds (merge boot_files into your dhcp:\n"
	       "# section; '' means none: such machines keep dhcp.boot_files):\n", run->root);
	if (bios || efi) {
		printf("dhcp:\n  boot_files:\n");
		if (bios)
			printf("    %-22s # BIOS PXE firmware loads iPXE\n", "bios: undionly.kpxe");
		if (efi)
			printf("    efi_x64: %-13s # UEFI x86-64 firmware loads iPXE\n", efi);
		printf("    %-22s # iPXE gets its profile as a script\n", "ipxe: boot.ipxe");
	} else {
		printf("# (no iPXE here: apt-get install ipxe, then run this again)\n");
	}
	printf("loaders:  # for profiles and machines with `loader: pxelinux` or `loader: grub`\n");
	printf("  pxelinux_bios: %s\n",
	       loaders_present(run, "ldlinux.c32") ? loaders_if(run, "pxelinux.0") : "''");
	printf("  grub_bios: %s\n", loaders_if(run, "grub/i386-pc/core.0"));
	printf("  grub_efi_x64: %s\n", loaders_if(run, "grub/x86_64-efi/core.efi"));
	printf("  grub_dir: grub\n");
}

/* ---- the command ---- */

struct loaders_opts {
	const char *root, *config;
	unsigned sets;
	bool force, verbose;
};

static int loaders_parse_only(const char *s, unsigned *ret)
{
	static const char *const names[] = {"ipxe", "pxelinux", "grub"};
	char buf[256], *tok, *save = NULL;
	unsigned sets = 0, i;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < 3 && strcmp(tok, names[i]); i++)
			;
		if (i == 3) {
			fprintf(stderr, "bootwire loaders install: --only: unknown set '%s' "
					"(ipxe, pxelinux, grub)\n", tok);
			return -EINVAL;
		}
		sets |= 1u << i;
	}
	if (!sets) {
		fprintf(stderr, "bootwire loaders install: --only: no set named\n");
		return -EINVAL;
	}
	*ret = sets;
	return 0;
}

/* Returns -1 to go on, else the exit status. */
static int loaders_parse(int argc, char **argv, struct loaders_opts *o)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},  {"config", required_argument, NULL, 'c'},
		{"only", required_argument, NULL, 'O'},  {"force", no_argument, NULL, 'f'},
		{"verbose", no_argument, NULL, 'v'},     {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "r:c:fvh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->root = optarg; break;
		case 'c': o->config = optarg; break;
		case 'f': o->force = true; break;
		case 'v': o->verbose = true; break;
		case 'O':
			if (loaders_parse_only(optarg, &o->sets) < 0)
				return 2;
			break;
		case 'h': loaders_usage(stdout); return 0;
		default:
			fprintf(stderr, "(bootwire loaders --help describes the options)\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "bootwire loaders install: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return 2;
	}
	if (!o->root == !o->config) {
		fprintf(stderr, "bootwire loaders install: %s (see --help)\n",
			o->root ? "give --root DIR or -c FILE, not both"
				: "--root DIR (or -c FILE) is required");
		return 2;
	}
	return -1;
}

/* Resolves and opens the boot root: --root, or -c FILE's boot_root. */
static int loaders_open_root(const struct loaders_opts *o, struct loaders_run *run)
{
	struct bw_config *cfg = NULL;
	struct bw_core_config *core;
	const char *dir = o->root;
	char err[8192];
	int r = 0;

	if (o->config) {
		if (bw_config_load(o->config, &cfg, err, sizeof(err)) < 0) {
			bw_cli_print_errors(err);
			return -EINVAL;
		}
		core = bw_config_get(cfg, &bw_core_cfg_section);
		dir = core->boot_root;
	}
	if (!realpath(dir, run->root) ||
	    (run->root_fd = open(run->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = -errno;
		fprintf(stderr, "bootwire loaders install: boot root %s: %s%s\n", dir, strerror(-r),
			r == -ENOENT ? " (create it first: it is never created here)" : "");
	}
	bw_config_free(cfg);
	return r;
}

static void loaders_catch_signals(void)
{
	struct sigaction sa = {.sa_handler = loaders_on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* Output piped into `head` must not kill us before the staging directory is gone. */
	signal(SIGPIPE, SIG_IGN);
}

/* The totals, the config lines and what to do about what is missing. */
static void loaders_report(const struct loaders_run *run)
{
	printf("bootwire loaders install: %u installed, %u replaced, %u unchanged, %u kept, "
	       "%u failed\n", run->n[LOADERS_INSTALLED], run->n[LOADERS_REPLACED],
	       run->n[LOADERS_UNCHANGED], run->n[LOADERS_KEPT], run->n[LOADERS_FAILED]);
	loaders_print_snippet(run);
	fflush(stdout);
	if (run->n_missing) {
		fprintf(stderr, "bootwire loaders install: not installed, missing packages:\n"
				"    apt-get install");
		for (unsigned i = 0; i < run->n_missing; i++)
			fprintf(stderr, " %s", run->missing[i]);
		fprintf(stderr, "\n");
	}
	if (run->n[LOADERS_KEPT])
		fprintf(stderr, "bootwire loaders install: %u file(s) differ from the packages' "
				"and were kept: --force replaces them\n", run->n[LOADERS_KEPT]);
}

static int loaders_cmd_install(int argc, char **argv)
{
	struct loaders_opts o = {.sets = LOADERS_ALL};
	struct loaders_run run = {.root_fd = -1};
	bool ok = true;
	int r;

	r = loaders_parse(argc, argv, &o);
	if (r >= 0)
		return r;
	if (loaders_open_root(&o, &run) < 0)
		return 1;
	run.sets = o.sets;
	run.force = o.force;
	run.verbose = o.verbose;
	run.sysroot = getenv("BOOTWIRE_LOADERS_SYSROOT") ? getenv("BOOTWIRE_LOADERS_SYSROOT") : "";
	loaders_catch_signals();
	printf("bootwire loaders install: into %s:%s%s%s\n", run.root,
	       run.sets & LOADERS_IPXE ? " ipxe" : "",
	       run.sets & LOADERS_PXELINUX ? " pxelinux" : "",
	       run.sets & LOADERS_GRUB ? " grub" : "");
	if (run.sets & (LOADERS_IPXE | LOADERS_PXELINUX))
		ok = loaders_install_files(&run);
	if (run.sets & LOADERS_GRUB && !loaders_signal)
		ok = loaders_install_grub(&run) && ok;
	if (loaders_signal) {
		fprintf(stderr, "bootwire loaders install: %s: stopped\n",
			strsignal(loaders_signal));
		close(run.root_fd);
		return 128 + loaders_signal;
	}
	loaders_report(&run);
	close(run.root_fd);
	return ok ? 0 : 1;
}

int bw_cmd_loaders(int argc, char **argv)
{
	if (argc < 2) {
		loaders_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		loaders_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "install")) {
		fprintf(stderr, "bootwire loaders: unknown action '%s' (there is 'install')\n\n",
			argv[1]);
		loaders_usage(stderr);
		return 2;
	}
	argv[1] = (char *)"bootwire loaders install"; /* getopt's messages start with it */
	return loaders_cmd_install(argc - 1, argv + 1);
}
