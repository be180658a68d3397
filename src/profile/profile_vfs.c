/* The virtual files rendered from profiles, for TFTP and HTTP alike:
 *
 *   boot.ipxe, autoexec.ipxe      with a query (?mac=..&uuid=..&arch=..&platform=..&ip=..
 *                                 &hostname=..): the machine's profile as an iPXE script.
 *                                 Without one (TFTP never has one: iPXE drops the query from
 *                                 TFTP names) a stub that asks again saying who it is.
 *   boot-<mac>[-<platform>-<buildarch>[-<uuid>]].ipxe
 *                                 what the TFTP stub asks for (<mac> as aa-bb-cc-dd-ee-ff).
 *   <dir>pxelinux.cfg/01-<mac>    a machine an entry matches (as arch bios: pxelinux.0 is a
 *   <dir>pxelinux.cfg/<uuid>      BIOS program), <uuid> only when an entry names it;
 *   <dir>pxelinux.cfg/default     default_profile. Hex IP names are never served here, so
 *                                 files of boot_root still apply before `default`.
 *                                 <dir>: where pxelinux.0 is (loaders.pxelinux_bios).
 *   <grub_dir>grub.cfg-01-<mac>   a machine an entry matches, branching on the architecture
 *   <grub_dir>grub.cfg-<uuid>     when the answer depends on it; <uuid> as for pxelinux;
 *   <grub_dir>grub.cfg            a redirect to the per-MAC file, then default_profile.
 *
 * Everything else, and a machine nothing applies to, is -ENOENT (the file system decides).
 * Only reads the immutable set: safe from the loop and the HTTP thread at once. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/netaddr.h"
#include "profile/profile_config.h"

struct profile_vfs_ctx {
	const struct bw_profile_set *ps;
	const char *http_base;
	const char *hostname; /* DHCP's name for the asking address, or NULL */
};


/* ---- parsing what the machine says ---- */

static enum bw_arch profile_ipxe_arch(const char *buildarch, const char *platform)
{
	bool efi = strcmp(platform, "efi") == 0;

	if (strcmp(platform, "pcbios") == 0 &&
	    (!*buildarch || !strcmp(buildarch, "i386") || !strcmp(buildarch, "x86_64")))
		return BW_ARCH_BIOS;
	if (!efi && *platform)
		return BW_ARCH_UNKNOWN;
	if (efi && strcmp(buildarch, "x86_64") == 0)
		return BW_ARCH_EFI_X64;
	if (efi && strcmp(buildarch, "i386") == 0)
		return BW_ARCH_EFI_IA32;
	if (strcmp(buildarch, "arm64") == 0) /* iPXE runs on ARM only as a UEFI program */
		return BW_ARCH_EFI_ARM64;
	if (strcmp(buildarch, "arm32") == 0)
		return BW_ARCH_EFI_ARM32;
	return BW_ARCH_UNKNOWN;
}

/* Percent-decodes s[0..n) into out (cap bytes with the NUL); false when it does not fit,
 * is malformed or holds a NUL. '+' is a space, as forms send it. */
static bool profile_url_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3 || (hi = bw_hex_digit(s[i + 1])) < 0 ||
			    (lo = bw_hex_digit(s[i + 2])) < 0)
				return false;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == '\0' || o + 1 >= cap)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

/* An address as text, normalised (inet_ntop of what inet_pton read); false otherwise. */
static bool profile_ip_norm(const char *s, char *out, size_t cap)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, out, (socklen_t)cap) != NULL;
	if (inet_pton(AF_INET6, s, a) == 1)
		return inet_ntop(AF_INET6, a, out, (socklen_t)cap) != NULL;
	return false;
}

enum { QK_MAC, QK_UUID, QK_ARCH, QK_PLATFORM, QK_IP, QK_HOSTNAME, QK_N };

/* One key=value; seen[] makes the first of repeated keys count. */
static void profile_query_param(struct bw_profile_request *r, const char *k, size_t kn,
				const char *v, size_t vn, bool *seen, char *buildarch,
				char *platform)
{
	static const char *const keys[QK_N] = {"mac", "uuid", "arch", "platform", "ip", "hostname"};
	char val[256];
	unsigned i;

	for (i = 0; i < QK_N; i++)
		if (strlen(keys[i]) == kn && memcmp(keys[i], k, kn) == 0)
			break;
	if (i == QK_N || seen[i] || !profile_url_decode(v, vn, val, sizeof(val)) || !*val)
		return;
	seen[i] = true;
	switch (i) {
	case QK_MAC:
		if (bw_profile_mac_parse(val, strlen(val), r->mac) == 0)
			r->q.mac = r->mac;
		break;
	case QK_UUID:
		if (bw_profile_uuid_parse(val, strlen(val), r->uuid) == 0)
			r->q.uuid = r->uuid;
		break;
	case QK_ARCH:
		if (bw_arch_parse(val, &r->q.arch) < 0 && strlen(val) < 16)
			strcpy(buildarch, val);
		break;
	case QK_PLATFORM:
		if (strlen(val) < 16)
			strcpy(platform, val);
		break;
	case QK_IP:
		if (profile_ip_norm(val, r->ip, sizeof(r->ip)))
			r->q.ip = r->ip;
		break;
	case QK_HOSTNAME:
		if (bw_profile_hostname_is_valid(val, strlen(val))) {
			memcpy(r->hostname, val, strlen(val) + 1);
			r->q.hostname = r->hostname;
		}
		break;
	}
}

int bw_profile_query_parse(const char *query, size_t len, struct bw_profile_request *ret)
{
	bool seen[QK_N] = {false};
	char buildarch[16] = "", platform[16] = "";
	size_t i = 0;

	if (len > BW_PROFILE_QUERY_MAX)
		return -EMSGSIZE;
	memset(ret, 0, sizeof(*ret));
	while (i < len) {
		size_t n = 0, kn;

		while (i + n < len && query[i + n] != '&' && query[i + n] != ';')
			n++;
		for (kn = 0; kn < n && query[i + kn] != '='; kn++)
			;
		if (kn < n)
			profile_query_param(ret, query + i, kn, query + i + kn + 1, n - kn - 1, seen,
					    buildarch, platform);
		i += n + 1;
	}
	if (ret->q.arch == BW_ARCH_UNKNOWN)
		ret->q.arch = profile_ipxe_arch(buildarch, platform);
	return 0;
}

int bw_profile_name_parse(const char *s, size_t len, struct bw_profile_request *ret)
{
	char platform[16] = "", buildarch[16] = "";
	uint8_t mac[6], uuid[16];
	bool has_uuid = false;
	size_t i = 17, n;

	if (len < 17 || s[2] != '-' || bw_profile_mac_parse(s, 17, mac) < 0)
		return -EBADMSG;
	if (i < len) {
		if (s[i++] != '-')
			return -EBADMSG;
		for (n = 0; i + n < len && s[i + n] != '-'; n++)
			;
		if (n >= sizeof(platform))
			return -EBADMSG;
		memcpy(platform, s + i, n);
		i += n;
		if (i < len)
			i++; /* the '-' */
		for (n = 0; i + n < len && s[i + n] != '-'; n++)
			;
		if (n >= sizeof(buildarch))
			return -EBADMSG;
		memcpy(buildarch, s + i, n);
		i += n;
		if (i < len && s[i++] != '-')
			return -EBADMSG;
		if (i < len && bw_profile_uuid_parse(s + i, len - i, uuid) < 0)
			return -EBADMSG;
		has_uuid = i < len;
	}
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->mac, mac, 6);
	ret->q.mac = ret->mac;
	if (has_uuid) {
		memcpy(ret->uuid, uuid, 16);
		ret->q.uuid = ret->uuid;
	}
	ret->q.arch = profile_ipxe_arch(buildarch, platform);
	return 0;
}

/* ---- the request ---- */

/* Our and the peer's addresses as text (IPv4-mapped IPv6 as dotted IPv4). */
static bool profile_addr_str(const struct sockaddr *sa, char *out, size_t cap)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET)
		return inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				 out, (socklen_t)cap) != NULL;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a))
			return inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)cap) != NULL;
		return inet_ntop(AF_INET6, a, out, (socklen_t)cap) != NULL;
	}
	return false;
}

/* Text for the renderer: what the request told, else what the socket tells. */
struct profile_text {
	char mac[18];
	char uuid[37];
	char ip[46];
};

static void profile_env_fill(const struct profile_vfs_ctx *c, const struct bw_vfs_req *req,
			     struct bw_profile_request *rq, struct profile_text *t,
			     struct bw_profile_env *env)
{
	memset(env, 0, sizeof(*env));
	env->ps = c->ps;
	env->http_base = c->http_base;
	env->arch = rq->q.arch;
	if (rq->q.mac) {
		bw_profile_mac_str(rq->q.mac, ':', t->mac);
		env->mac = t->mac;
	}
	if (rq->q.uuid) {
		bw_profile_uuid_str(rq->q.uuid, t->uuid);
		env->uuid = t->uuid;
	}
	if (rq->q.ip)
		env->ip = rq->q.ip;
	else if (profile_addr_str(req->peer, t->ip, sizeof(t->ip)))
		env->ip = t->ip;
	if (profile_addr_str(req->local, rq->server, sizeof(rq->server)))
		env->server = rq->q.server = rq->server;
	if (!rq->q.hostname && c->hostname && bw_profile_hostname_is_valid(c->hostname,
									   strlen(c->hostname)))
		rq->q.hostname = c->hostname;
	env->hostname = rq->q.hostname;
}

static bool profile_name_is(const char *path, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(path, name, n) == 0;
}

static bool profile_uuid_is_named(const struct bw_profile_set *ps, const uint8_t *uuid)
{
	for (unsigned i = 0; i < ps->machines.n; i++)
		if (ps->machines.v[i].has_uuid && memcmp(ps->machines.v[i].uuid, uuid, 16) == 0)
			return true;
	return false;
}

/* boot.ipxe, autoexec.ipxe, boot-<...>.ipxe: rq already parsed (or empty: stub). */
static int profile_vfs_ipxe(const struct profile_vfs_ctx *c, const struct bw_vfs_req *req,
			    struct bw_profile_request *rq, bool stub, char **ret)
{
	struct bw_profile_choice ch;
	struct profile_text t;
	struct bw_profile_env env;
	int r;

	profile_env_fill(c, req, rq, &t, &env);
	if (stub) {
		enum bw_profile_stub kind = BW_PROFILE_STUB_TFTP_NAME;

		if (req->service && strcmp(req->service, "http") == 0)
			kind = BW_PROFILE_STUB_HTTP_QUERY;
		else if (c->http_base)
			kind = BW_PROFILE_STUB_HTTP_BASE;
		return bw_profile_render_ipxe_stub(kind, &env, ret);
	}
	r = bw_profile_resolve(c->ps, &rq->q, &ch);
	if (r < 0)
		return r;
	if (ch.hostname)
		env.hostname = ch.hostname;
	return bw_profile_render_ipxe(ch.profile, &env, ret);
}

/* pxelinux.cfg/<name>: pxelinux is a BIOS program, so machines are matched as arch bios. */
static int profile_vfs_pxelinux(const struct profile_vfs_ctx *c, const struct bw_vfs_req *req,
				const char *name, size_t n, char **ret)
{
	struct bw_profile_request rq = {0};
	struct bw_profile_choice ch;
	struct profile_text t;
	struct bw_profile_env env;

	rq.q.arch = BW_ARCH_BIOS;
	if (profile_name_is(name, n, "default")) {
		if (!c->ps->def)
			return -ENOENT;
		profile_env_fill(c, req, &rq, &t, &env);
		return bw_profile_render_pxelinux(c->ps->def, &env, ret);
	}
	if (n == 20 && memcmp(name, "01-", 3) == 0 &&
	    bw_profile_mac_parse(name + 3, 17, rq.mac) == 0 && name[5] == '-')
		rq.q.mac = rq.mac;
	else if (n == 36 && bw_profile_uuid_parse(name, n, rq.uuid) == 0 &&
		 profile_uuid_is_named(c->ps, rq.uuid))
		rq.q.uuid = rq.uuid;
	else
		return -ENOENT;
	if (bw_profile_resolve(c->ps, &rq.q, &ch) < 0 || !ch.matched)
		return -ENOENT;
	profile_env_fill(c, req, &rq, &t, &env);
	if (ch.hostname)
		env.hostname = ch.hostname;
	return bw_profile_render_pxelinux(ch.profile, &env, ret);
}

/* grub.cfg-01-<mac> and grub.cfg-<uuid>: one answer per architecture GRUB runs on, in one
 * file (GRUB does not say which it is when it asks). */
static int profile_vfs_grub_machine(const struct profile_vfs_ctx *c, const struct bw_vfs_req *req,
				    struct bw_profile_request *rq, char **ret)
{
	static const enum bw_arch arches[] = {BW_ARCH_BIOS, BW_ARCH_EFI_IA32, BW_ARCH_EFI_X64,
						  BW_ARCH_EFI_ARM64};
	struct bw_profile_grub_case cases[4];
	struct profile_text t;
	struct bw_profile_env env;
	bool matched = false, same = true;

	for (unsigned i = 0; i < 4; i++) {
		struct bw_profile_choice ch = {0};

		rq->q.arch = arches[i];
		if (bw_profile_resolve(c->ps, &rq->q, &ch) < 0)
			ch.profile = NULL;
		matched |= ch.matched;
		cases[i] = (struct bw_profile_grub_case){arches[i], ch.profile, ch.hostname};
		same &= cases[i].profile == cases[0].profile &&
			cases[i].hostname == cases[0].hostname;
	}
	if (!matched)
		return -ENOENT;
	rq->q.arch = BW_ARCH_UNKNOWN;
	profile_env_fill(c, req, rq, &t, &env);
	if (same)
		cases[0].arch = BW_ARCH_UNKNOWN;
	return bw_profile_render_grub(cases, same ? 1 : 4, false, &env, ret);
}

static int profile_vfs_grub(const struct profile_vfs_ctx *c, const struct bw_vfs_req *req,
			    const char *name, size_t n, char **ret)
{
	struct bw_profile_request rq = {0};
	struct profile_text t;
	struct bw_profile_env env;

	if (profile_name_is(name, n, "grub.cfg")) {
		struct bw_profile_grub_case dc = {BW_ARCH_UNKNOWN, c->ps->def, NULL};

		profile_env_fill(c, req, &rq, &t, &env);
		return bw_profile_render_grub(&dc, 1, true, &env, ret);
	}
	if (n < 9 || memcmp(name, "grub.cfg-", 9) != 0)
		return -ENOENT;
	name += 9;
	n -= 9;
	if (n == 20 && memcmp(name, "01-", 3) == 0 && name[5] == '-' &&
	    bw_profile_mac_parse(name + 3, 17, rq.mac) == 0)
		rq.q.mac = rq.mac;
	else if (n == 36 && bw_profile_uuid_parse(name, n, rq.uuid) == 0 &&
		 profile_uuid_is_named(c->ps, rq.uuid))
		rq.q.uuid = rq.uuid;
	else
		return -ENOENT;
	return profile_vfs_grub_machine(c, req, &rq, ret);
}

/* path[0..n) starts with dir (which is "" or ends in '/') followed by sub: the rest. */
static const char *profile_under(const char *path, size_t n, const char *dir, const char *sub,
				 size_t *ret_n)
{
	size_t dl = strlen(dir), sl = strlen(sub);

	if (n < dl + sl || memcmp(path, dir, dl) != 0 || memcmp(path + dl, sub, sl) != 0)
		return NULL;
	*ret_n = n - dl - sl;
	return path + dl + sl;
}

static int profile_vfs_route(const struct profile_vfs_ctx *c, const struct bw_vfs_req *req,
			     const char *path, size_t n, const char *query, char **ret)
{
	const struct bw_profile_loaders *l = &c->ps->loaders;
	struct bw_profile_request rq = {0};
	const char *rest;
	size_t rn;

	if (profile_name_is(path, n, "boot.ipxe") || profile_name_is(path, n, "autoexec.ipxe")) {
		if (query && !*query)
			query = NULL; /* "boot.ipxe?" says no more than "boot.ipxe" */
		if (query && bw_profile_query_parse(query, strlen(query), &rq) < 0)
			return -ENOENT;
		return profile_vfs_ipxe(c, req, &rq, query == NULL, ret);
	}
	if (n > 10 && !memchr(path, '/', n) && memcmp(path, "boot-", 5) == 0 &&
	    memcmp(path + n - 5, ".ipxe", 5) == 0) {
		if (bw_profile_name_parse(path + 5, n - 10, &rq) < 0)
			return -ENOENT;
		return profile_vfs_ipxe(c, req, &rq, false, ret);
	}
	if ((rest = profile_under(path, n, l->pxelinux_dir ? l->pxelinux_dir : "",
				  "pxelinux.cfg/", &rn)))
		return profile_vfs_pxelinux(c, req, rest, rn, ret);
	if ((rest = profile_under(path, n, l->grub_dir ? l->grub_dir : "", "", &rn)) &&
	    !memchr(rest, '/', rn))
		return profile_vfs_grub(c, req, rest, rn, ret);
	return -ENOENT;
}

static int profile_vfs_serve(const struct profile_vfs_ctx *c, const struct bw_vfs_req *req,
			     struct bw_blob **ret)
{
	const char *path = req->path, *query = req->query;
	size_t n = strcspn(path, "?");
	struct bw_blob *blob;
	char *text = NULL;
	int r;

	/* a TFTP client that sends "boot.ipxe?mac=..." as the name gets the query honoured */
	if (!query && path[n] == '?')
		query = path + n + 1;
	r = profile_vfs_route(c, req, path, n, query, &text);
	if (r < 0)
		return r;
	blob = bw_blob_new(text, strlen(text));
	free(text);
	if (!blob)
		return -ENOMEM;
	*ret = blob;
	return 0;
}

int bw_profile_vfs_serve(const struct bw_profile_set *ps, const char *http_base,
			 const char *hostname, const struct bw_vfs_req *req, struct bw_blob **ret)
{
	struct profile_vfs_ctx c = {.ps = ps, .http_base = http_base, .hostname = hostname};

	return profile_vfs_serve(&c, req, ret);
}

static int profile_vfs_open(void *arg, const struct bw_vfs_req *req, struct bw_blob **ret)
{
	return profile_vfs_serve(arg, req, ret);
}

int bw_profile_vfs_register(struct bw_vfs *vfs, const struct bw_profile_set *ps,
			    const char *http_base)
{
	struct profile_vfs_ctx *c;
	int r;

	if (!ps)
		return 0; /* no profiles: nothing to serve, boot_root's own files apply */
	/* Lives as long as the process: the vfs cannot unregister providers. */
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ps = ps;
	c->http_base = http_base && *http_base ? http_base : NULL;
	r = bw_vfs_register(vfs, "profile", profile_vfs_open, c);
	if (r < 0)
		free(c);
	return r;
}

int bw_profile_script_url(const char *base, const char *script, const uint8_t mac[6],
			  enum bw_arch arch, char *out, size_t cap)
{
	char m[18];
	int n;

	bw_profile_mac_str(mac, ':', m);
	n = snprintf(out, cap, "%s%s?mac=%s&arch=%s", base, script, m, bw_arch_name(arch));
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}
