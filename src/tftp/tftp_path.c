#include "tftp/tftp_path.h"

#include <errno.h>
#include <string.h>

#include "tftp/tftp_config.h"

void bw_tftp_path_map_backslash(char *s)
{
	for (; *s; s++)
		if (*s == '\\')
			*s = '/';
}

int bw_tftp_path_remap(const struct bw_tftp_remaps *rs, const char *in, char *out, size_t cap)
{
	for (unsigned i = 0; rs && i < rs->n; i++) {
		regmatch_t m[10];
		const char *rep = rs->v[i].replace;
		size_t o = 0;

		if (regexec(&rs->v[i].re, in, 10, m, 0) != 0)
			continue;
		/* prefix before the match, the replacement, the rest after the match */
		for (size_t k = 0; k < (size_t)m[0].rm_so; k++) {
			if (o + 1 >= cap)
				return -ENAMETOOLONG;
			out[o++] = in[k];
		}
		for (const char *p = rep; *p; p++) {
			if (*p == '\\' && p[1] >= '0' && p[1] <= '9') {
				int g = p[1] - '0';
				p++;
				if (m[g].rm_so < 0)
					continue;
				size_t gl = (size_t)(m[g].rm_eo - m[g].rm_so);
				if (o + gl >= cap)
					return -ENAMETOOLONG;
				memcpy(out + o, in + m[g].rm_so, gl);
				o += gl;
				continue;
			}
			if (o + 1 >= cap)
				return -ENAMETOOLONG;
			out[o++] = *p;
		}
		size_t rest = strlen(in + m[0].rm_eo);
		if (o + rest >= cap)
			return -ENAMETOOLONG;
		memcpy(out + o, in + m[0].rm_eo, rest);
		o += rest;
		out[o] = '\0';
		return 1;
	}
	return 0;
}

bool bw_tftp_path_is_outside(const char *in, const char *root_prefix)
{
	size_t rl = root_prefix ? strlen(root_prefix) : 0;

	if (in[0] != '/')
		return false;
	while (in[1] == '/')
		in++;
	return !(rl > 1 && strncmp(in, root_prefix, rl) == 0 && in[rl] == '/');
}

const struct bw_tftp_upload *bw_tftp_upload_match(const struct bw_tftp_uploads *us,
						  const char *rel)
{
	for (unsigned i = 0; us && i < us->n; i++) {
		size_t dl = strlen(us->v[i].dir);

		if (strncmp(rel, us->v[i].dir, dl) == 0 && rel[dl] == '/' && rel[dl + 1])
			return &us->v[i];
	}
	return NULL;
}
