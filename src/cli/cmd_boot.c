/* `bootwire boot KERNEL [INITRD...]`: boot every machine that asks into this kernel, with
 * nothing to configure. Builds a private boot root (the kernel, its initrds and Debian's iPXE
 * programs), writes the equivalent config file beside it (so what runs is an ordinary,
 * validated config that `bootwire serve` could run too) and serves it: proxyDHCP by default,
 * the DHCP server of an isolated network with --dhcp-range, TFTP and HTTP. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <net/if.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/netaddr.h"

#define BOOT_MAX_INITRDS 16

struct boot_opts {
	const char *kernel;
	const char *initrds[BOOT_MAX_INITRDS];
	unsigned n_initrds;
	const char *cmdline;
	const char *iface;
	const char *range;
	const char *http_port;
	const char *log_format;
	bool keep;
};

static void boot_usage(FILE *f)
{
	fprintf(f,
		"usage: bootwire boot KERNEL [INITRD...] [OPTIONS]\n\n"
		"Boots every machine that network-boots on the interface into KERNEL, with nothing\n"
		"else to configure. By default bootwire is a proxyDHCP beside the network's own DHCP\n"
		"server (which keeps giving addresses); with --dhcp-range it is the DHCP server of an\n"
		"isolated network. Firmware gets iPXE (Debian's /usr/lib/ipxe) over TFTP, iPXE gets a\n"
		"script over HTTP, and the kernel and initrds follow over HTTP. One line per step of\n"
		"each machine is printed as it happens.\n\n"
		"  -a, --cmdline STR        kernel command line (default: console=ttyS0 console=tty0)\n"
		"  -i, --interface IF       interface to serve (default: the default route's)\n"
		"  -r, --dhcp-range A-B     be the DHCP server, handing out A..B (same subnet as IF)\n"
		"      --http-port N        HTTP port (default 80)\n"
		"      --log-format FORMAT  text (default) or json\n"
		"      --keep               keep the generated boot root and config on exit\n"
		"  -h, --help               this help\n");
}

/* The interface of the default route, else the first up, non-loopback one with IPv4. */
static int boot_pick_iface(char *out, size_t cap)
{
	FILE *f = fopen("/proc/net/route", "r");
	char line[256], name[IF_NAMESIZE + 1];
	unsigned long dest;
	struct ifaddrs *ifa, *i;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%16s %lx", name, &dest) == 2 && dest == 0) {
			snprintf(out, cap, "%s", name);
			fclose(f);
			return 0;
		}
	}
	if (f)
		fclose(f);
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !(i->ifa_flags & IFF_LOOPBACK) && (i->ifa_flags & IFF_UP)) {
			snprintf(out, cap, "%s", i->ifa_name);
			freeifaddrs(ifa);
			return 0;
		}
	}
	freeifaddrs(ifa);
	return -ENODEV;
}

static int boot_iface_addr(const char *iface, uint32_t *ret_addr, uint32_t *ret_mask)
{
	struct ifaddrs *ifa, *i;
	int r = -EADDRNOTAVAIL;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !strcmp(i->ifa_name, iface)) {
			*ret_addr = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
			*ret_mask = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
			r = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return r;
}

/* Puts src into dir under its own name: a hard link when it can, else a copy. */
static int boot_place(const char *dir, const char *src, char *ret_name, size_t cap)
{
	char tmp[4096], dst[4096], buf[1 << 16];
	struct stat st;
	int in, out, r = 0;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s", src);
	snprintf(ret_name, cap, "%s", basename(tmp));
	snprintf(dst, sizeof(dst), "%s/%s", dir, ret_name);
	/* A hard link shares the file's mode: only when everyone may read it already. Links to
	 * the file a symlink names (Debian's /usr/lib/ipxe/ipxe.efi -> /boot/ipxe.efi): a
	 * symlink leaving the boot root would never be served. */
	if (stat(src, &st) == 0 && (st.st_mode & S_IROTH) &&
	    linkat(AT_FDCWD, src, AT_FDCWD, dst, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			r = -EIO;
			break;
		}
	if (n < 0)
		r = -errno;
	close(in);
	if (close(out) < 0 && !r)
		r = -errno;
	return r;
}

static void boot_yaml_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static void boot_ip(uint32_t a, char *buf)
{
	bw_ipv4_format(a, buf);
}

/* Writes the config that `serve` would run for these options. */
static int boot_write_config(const struct boot_opts *o, const char *dir, const char *iface,
			     uint32_t addr, uint32_t mask, char names[][256], const char *cfgpath)
{
	FILE *f = fopen(cfgpath, "w");
	char net[16];

	if (!f)
		return -errno;
	fprintf(f, "# Written by `bootwire boot`: the same boot as `bootwire serve -c %s`.\n",
		cfgpath);
	fprintf(f, "boot_root: ");
	boot_yaml_str(f, dir);
	if (getpwnam("nobody"))
		fprintf(f, "\nuser: nobody");
	fprintf(f, "\nlog: {level: info, format: %s}\n", o->log_format ? o->log_format : "text");
	fprintf(f, "tftp: {enabled: true}\n");
	fprintf(f, "http: {enabled: true, port: %s}\n", o->http_port ? o->http_port : "80");
	fprintf(f, "dhcp:\n  enabled: true\n  mode: %s\n  interfaces: [", o->range ? "server" : "proxy");
	boot_yaml_str(f, iface);
	fprintf(f, "]\n  lease_db: leases.db\n");
	if (o->range) {
		boot_ip(addr & mask, net);
		fprintf(f, "  subnets:\n    - { subnet: %s/%d, range: ", net, __builtin_popcount(mask));
		boot_yaml_str(f, o->range);
		fprintf(f, " }\n");
	}
	fprintf(f, "profiles:\n  boot:\n    kernel: ");
	boot_yaml_str(f, names[0]);
	fprintf(f, "\n    initrd: [");
	for (unsigned i = 0; i < o->n_initrds; i++) {
		fputs(i ? ", " : "", f);
		boot_yaml_str(f, names[1 + i]);
	}
	fprintf(f, "]\n    cmdline: ");
	boot_yaml_str(f, o->cmdline ? o->cmdline : "console=ttyS0 console=tty0");
	fprintf(f, "\ndefault_profile: boot\n");
	return fclose(f) < 0 ? -errno : 0;
}

/* The boot root: the kernel, initrds and Debian's iPXE programs, readable by `nobody`. */
static int boot_make_root(const struct boot_opts *o, const char *dir, char names[][256])
{
	static const char *const ipxe[] = {"undionly.kpxe", "ipxe.efi", "snponly.efi"};
	char src[256], dummy[256];
	struct passwd *pw = getpwnam("nobody");
	int r;

	r = boot_place(dir, o->kernel, names[0], 256);
	for (unsigned i = 0; !r && i < o->n_initrds; i++)
		r = boot_place(dir, o->initrds[i], names[1 + i], 256);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < o->n_initrds; i++)
		for (unsigned k = 0; k < i + 1; k++)
			if (!strcmp(names[1 + i], names[k]))
				return -EEXIST;
	for (size_t i = 0; i < sizeof(ipxe) / sizeof(ipxe[0]); i++) {
		snprintf(src, sizeof(src), "/usr/lib/ipxe/%s", ipxe[i]);
		if (boot_place(dir, src, dummy, sizeof(dummy)) < 0)
			fprintf(stderr, "bootwire boot: %s missing (apt-get install ipxe): %s "
				"clients cannot chainload iPXE\n", src, i ? "UEFI" : "BIOS");
	}
	/* The daemon switches to nobody: the directory must stay writable for the leases and
	 * for cleaning up. */
	if (pw && chown(dir, pw->pw_uid, pw->pw_gid) < 0)
		return -errno;
	return 0;
}

static void boot_cleanup(const char *dir, char names[][256], unsigned n)
{
	/* dir is short (mkdtemp's template) and names are at most 255 bytes. */
	static const char *const extra[] = {"undionly.kpxe", "ipxe.efi", "snponly.efi",
					    "bootwire.yaml", "leases.db", "leases.db-wal",
					    "leases.db-shm"};
	char p[4096 + 512];

	for (unsigned i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, extra[i]);
		unlink(p);
	}
	rmdir(dir);
}

static volatile sig_atomic_t boot_child;

static void boot_forward(int sig)
{
	if (boot_child > 0)
		kill(boot_child, sig);
}

/* Runs the daemon in a child, which drops to `nobody`; this process stays privileged only to
 * pass on SIGINT/SIGTERM and to remove the boot root afterwards (files the daemon could not
 * delete once it is nobody). Returns the child's exit status. */
static int boot_run_child(struct bw_config *cfg, const char *cfgpath)
{
	struct bw_run_opts ro = {.allow_root = true, .config_file = cfgpath, .log_level = -1};
	struct sigaction sa = {.sa_handler = boot_forward};
	int status = 0;
	pid_t pid, w;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		_exit(bw_cli_run(cfg, &ro));
	}
	boot_child = pid;
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	boot_child = 0;
	if (w < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* A file to serve: it must be a readable regular file (said here, by its own name, rather
 * than as a line of the generated config). */
static bool boot_check_file(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		fprintf(stderr, "bootwire boot: %s %s: %s\n", what, path, strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "bootwire boot: %s %s: not a regular file\n", what, path);
		return false;
	}
	return true;
}

/* --dhcp-range FIRST-LAST: two addresses of the interface's subnet, in order. */
static bool boot_check_range(const char *range, const char *iface, uint32_t addr, uint32_t mask)
{
	char a[32], b[32], net[16];
	struct in_addr fa, la;
	const char *dash = strchr(range, '-');
	uint32_t f, l, n = htonl(addr & mask);

	inet_ntop(AF_INET, &n, net, sizeof(net));
	if (!dash || (size_t)(dash - range) >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
		goto bad;
	snprintf(a, sizeof(a), "%.*s", (int)(dash - range), range);
	snprintf(b, sizeof(b), "%s", dash + 1);
	if (inet_pton(AF_INET, a, &fa) != 1 || inet_pton(AF_INET, b, &la) != 1)
		goto bad;
	f = ntohl(fa.s_addr);
	l = ntohl(la.s_addr);
	if ((f & mask) != (addr & mask) || (l & mask) != (addr & mask)) {
		fprintf(stderr, "bootwire boot: --dhcp-range %s: not inside %s's subnet %s/%d\n",
			range, iface, net, __builtin_popcount(mask));
		return false;
	}
	if (f > l) {
		fprintf(stderr, "bootwire boot: --dhcp-range %s: the first address is above the "
				"last\n", range);
		return false;
	}
	if (addr >= f && addr <= l) {
		fprintf(stderr, "bootwire boot: --dhcp-range %s: holds %s's own address\n", range,
			iface);
		return false;
	}
	return true;
bad:
	fprintf(stderr, "bootwire boot: --dhcp-range '%s': expected FIRST-LAST, two IPv4 "
			"addresses of %s's subnet %s/%d (e.g. 10.0.0.100-10.0.0.150)\n",
		range, iface, net, __builtin_popcount(mask));
	return false;
}

static int boot_parse(int argc, char **argv, struct boot_opts *o)
{
	static const struct option opts[] = {
		{"cmdline", required_argument, NULL, 'a'},
		{"interface", required_argument, NULL, 'i'},
		{"dhcp-range", required_argument, NULL, 'r'},
		{"http-port", required_argument, NULL, 'P'},
		{"log-format", required_argument, NULL, 'F'},
		{"keep", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "a:i:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': o->cmdline = optarg; break;
		case 'i': o->iface = optarg; break;
		case 'r': o->range = optarg; break;
		case 'P': o->http_port = optarg; break;
		case 'F': o->log_format = optarg; break;
		case 'k': o->keep = true; break;
		case 'h': boot_usage(stdout); return 0;
		default: boot_usage(stderr); return 2;
		}
	}
	if (optind >= argc || argc - optind - 1 > BOOT_MAX_INITRDS) {
		boot_usage(stderr);
		return 2;
	}
	o->kernel = argv[optind++];
	while (optind < argc)
		o->initrds[o->n_initrds++] = argv[optind++];
	return -1;
}

int bw_cmd_boot(int argc, char **argv)
{
	struct boot_opts o = {0};
	char iface[IF_NAMESIZE + 1], dir[] = "/tmp/bootwire-boot.XXXXXX", cfgpath[4096];
	char names[BOOT_MAX_INITRDS + 1][256], err[8192], a[16];
	struct bw_config *cfg;
	uint32_t addr = 0, mask = 0;
	int r;

	r = boot_parse(argc, argv, &o);
	if (r >= 0)
		return r;
	if (o.iface)
		snprintf(iface, sizeof(iface), "%s", o.iface);
	else if (boot_pick_iface(iface, sizeof(iface)) < 0) {
		fprintf(stderr, "bootwire boot: no interface to serve: give --interface\n");
		return 1;
	}
	if (boot_iface_addr(iface, &addr, &mask) < 0) {
		fprintf(stderr, "bootwire boot: interface %s has no IPv4 address\n", iface);
		return 1;
	}
	if (!boot_check_file("kernel", o.kernel))
		return 1;
	for (unsigned i = 0; i < o.n_initrds; i++)
		if (!boot_check_file("initrd", o.initrds[i]))
			return 1;
	if (o.range && !boot_check_range(o.range, iface, addr, mask))
		return 1;
	if (!mkdtemp(dir) || chmod(dir, 0755) < 0) {
		fprintf(stderr, "bootwire boot: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(cfgpath, sizeof(cfgpath), "%s/bootwire.yaml", dir);
	memset(names, 0, sizeof(names));
	r = boot_make_root(&o, dir, names);
	if (r == 0)
		r = boot_write_config(&o, dir, iface, addr, mask, names, cfgpath);
	if (r < 0) {
		fprintf(stderr, "bootwire boot: preparing %s: %s\n", dir,
			r == -EEXIST ? "two files share a name" : strerror(-r));
		goto out;
	}
	if (bw_config_load(cfgpath, &cfg, err, sizeof(err)) < 0) {
		bw_cli_print_errors(err);
		r = -EINVAL;
		goto out;
	}
	boot_ip(addr, a);
	fprintf(stderr, "bootwire boot: serving %s on %s (%s) as %s; Ctrl-C stops%s%s\n",
		names[0], iface, a, o.range ? "the DHCP server" : "a proxyDHCP",
		o.keep ? "; config: " : "", o.keep ? cfgpath : "");
	r = boot_run_child(cfg, cfgpath) ? -EIO : 0;
	bw_config_free(cfg);
out:
	if (!o.keep)
		boot_cleanup(dir, names, 1 + o.n_initrds);
	return r < 0 ? 1 : 0;
}
