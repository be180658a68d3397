/* Which profile a machine boots: machine entries in file order, labels, default_profile;
 * and the small name helpers the rest of the folder shares. Pure. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "profile/profile_config.h"

const struct bw_profile bw_profile_local = {
	.name = "local",
	.kind = BW_PROFILE_LOCAL,
	.idx = (unsigned)-1,
};

/* ---- names ---- */

static const char *const profile_loader_names[] = {
	[BW_LOADER_DEFAULT] = "", [BW_LOADER_IPXE] = "ipxe",
	[BW_LOADER_PXELINUX] = "pxelinux", [BW_LOADER_GRUB] = "grub",
};

const char *bw_profile_loader_name(enum bw_loader l)
{
	return (unsigned)l < sizeof(profile_loader_names) / sizeof(profile_loader_names[0])
		       ? profile_loader_names[l]
		       : "";
}

int bw_profile_loader_parse(const char *s, enum bw_loader *ret)
{
	for (unsigned i = 1; i < sizeof(profile_loader_names) / sizeof(profile_loader_names[0]);
	     i++) {
		if (strcmp(s, profile_loader_names[i]) == 0) {
			*ret = (enum bw_loader)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool bw_profile_name_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > BW_PROFILE_NAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

bool bw_profile_hostname_is_valid(const char *s, size_t len)
{
	if (len == 0 || len > 63)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '.' && c != '-')
			return false;
	}
	return true;
}

/* ---- matching ---- */

const struct bw_profile *bw_profile_find(const struct bw_profile_set *ps, const char *name)
{
	if (!name)
		return NULL;
	if (strcmp(name, bw_profile_local.name) == 0)
		return &bw_profile_local;
	for (unsigned i = 0; ps && i < ps->profiles.n; i++)
		if (strcmp(ps->profiles.v[i].name, name) == 0)
			return &ps->profiles.v[i];
	return NULL;
}

/* The selectors other than label. */
static bool profile_entry_matches_wire(const struct bw_profile_machine *m,
				       const struct bw_profile_query *q)
{
	if (m->has_mac && (!q->mac || memcmp(m->mac, q->mac, 6) != 0))
		return false;
	if (m->has_uuid && (!q->uuid || memcmp(m->uuid, q->uuid, 16) != 0))
		return false;
	if (m->arch != BW_ARCH_UNKNOWN && m->arch != q->arch)
		return false;
	return true;
}

/* Labels come from every entry that matches by MAC, UUID or architecture (entries that
 * select by label give none, so the answer never depends on the order of entries). */
static bool profile_machine_has_label(const struct bw_profile_set *ps,
				      const struct bw_profile_query *q, const char *label)
{
	for (unsigned i = 0; i < ps->machines.n; i++) {
		const struct bw_profile_machine *m = &ps->machines.v[i];

		if (m->label || !m->n_labels || !profile_entry_matches_wire(m, q))
			continue;
		for (unsigned k = 0; k < m->n_labels; k++)
			if (strcmp(m->labels[k], label) == 0)
				return true;
	}
	return false;
}

static bool profile_entry_matches(const struct bw_profile_set *ps,
				  const struct bw_profile_machine *m,
				  const struct bw_profile_query *q)
{
	if (!profile_entry_matches_wire(m, q))
		return false;
	return !m->label || profile_machine_has_label(ps, q, m->label);
}

int bw_profile_resolve(const struct bw_profile_set *ps, const struct bw_profile_query *q,
		       struct bw_profile_choice *ret)
{
	struct bw_profile_choice c = {0};
	enum bw_loader loader = BW_LOADER_DEFAULT;

	if (!ps)
		return -ENOENT;
	for (unsigned i = 0; i < ps->machines.n; i++) {
		const struct bw_profile_machine *m = &ps->machines.v[i];

		if (!profile_entry_matches(ps, m, q))
			continue;
		c.matched = true;
		if (!c.profile && m->profile)
			c.profile = m->profile;
		if (!c.hostname && m->hostname)
			c.hostname = m->hostname;
		if (loader == BW_LOADER_DEFAULT && m->loader != BW_LOADER_DEFAULT)
			loader = m->loader;
	}
	if (!c.profile)
		c.profile = ps->def;
	if (!c.profile)
		return -ENOENT;
	if (loader == BW_LOADER_DEFAULT)
		loader = c.profile->loader;
	c.loader = loader == BW_LOADER_DEFAULT ? BW_LOADER_IPXE : loader;
	c.name = c.profile->name;
	*ret = c;
	return 0;
}

bool bw_profile_next_address(const struct bw_profile_set *ps, unsigned *pos,
			     struct bw_profile_address *ret)
{
	for (; ps && *pos < ps->machines.n; ++*pos) {
		const struct bw_profile_machine *m = &ps->machines.v[*pos];

		if (!m->addr || !m->has_mac)
			continue;
		*ret = (struct bw_profile_address){.mac = m->mac, .addr = m->addr,
						   .hostname = m->hostname, .field = &m->addr};
		++*pos;
		return true;
	}
	return false;
}

int bw_profile_machine_address(const struct bw_profile_set *ps, const uint8_t mac[6],
			       struct bw_profile_address *ret)
{
	struct bw_profile_address a;
	unsigned pos = 0;

	while (bw_profile_next_address(ps, &pos, &a)) {
		if (memcmp(a.mac, mac, 6) == 0) {
			*ret = a;
			return 0;
		}
	}
	return -ENOENT;
}

const char *bw_profile_loader_file(const struct bw_profile_set *ps, enum bw_loader loader,
				   enum bw_arch arch)
{
	const char *f = NULL;

	if (!ps)
		return NULL;
	if (loader == BW_LOADER_PXELINUX && arch == BW_ARCH_BIOS) {
		f = ps->loaders.path[BW_LOADER_SLOT_PXELINUX_BIOS];
	} else if (loader == BW_LOADER_GRUB) {
		switch (arch) {
		case BW_ARCH_BIOS: f = ps->loaders.path[BW_LOADER_SLOT_GRUB_BIOS]; break;
		case BW_ARCH_EFI_IA32: f = ps->loaders.path[BW_LOADER_SLOT_GRUB_EFI_IA32]; break;
		case BW_ARCH_EFI_X64: f = ps->loaders.path[BW_LOADER_SLOT_GRUB_EFI_X64]; break;
		case BW_ARCH_EFI_ARM64: f = ps->loaders.path[BW_LOADER_SLOT_GRUB_EFI_ARM64]; break;
		default: break;
		}
	}
	return f && *f ? f : NULL;
}

bool bw_profile_set_chooses_boot(const struct bw_profile_set *ps)
{
	if (!ps)
		return false;
	if (ps->profiles.n || ps->def)
		return true;
	for (unsigned i = 0; i < ps->machines.n; i++)
		if (ps->machines.v[i].profile_name)
			return true;
	return false;
}
