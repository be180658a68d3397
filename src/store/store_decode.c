/* Decoding a lease row (store_decode.h). */
#include "store/store_decode.h"

#include <errno.h>
#include <string.h>

/* Decodes cols into rec (scratch: the caller copies it out on success); NULL, or why not. */
static const char *store_row_fields(const struct bw_store_col *cols, struct bw_lease_rec *rec)
{
	const struct bw_store_col *c;

	c = &cols[BW_STORE_LEASE_ADDR];
	if (c->type != BW_STORE_COL_INT || c->i < 0 || c->i > UINT32_MAX)
		return "address out of range";
	rec->addr = (uint32_t)c->i;
	c = &cols[BW_STORE_LEASE_MAC];
	if (c->type != BW_STORE_COL_BLOB)
		return "mac is not a blob";
	if (c->len != sizeof(rec->mac))
		return "mac is not 6 bytes";
	memcpy(rec->mac, c->p, sizeof(rec->mac));
	c = &cols[BW_STORE_LEASE_CLIENT_ID];
	if (c->type != BW_STORE_COL_NULL) {
		if (c->type != BW_STORE_COL_BLOB)
			return "client_id is not a blob";
		if (c->len > BW_LEASE_CLIENT_ID_MAX)
			return "client_id too long";
		if (c->len)
			memcpy(rec->client_id, c->p, c->len);
		rec->client_id_len = (uint8_t)c->len;
	}
	c = &cols[BW_STORE_LEASE_HOSTNAME];
	if (c->type != BW_STORE_COL_NULL) {
		if (c->type != BW_STORE_COL_TEXT)
			return "hostname is not text";
		if (c->len >= BW_LEASE_HOSTNAME_MAX || (c->len && memchr(c->p, '\0', c->len)))
			return "hostname too long or with a NUL";
		if (c->len)
			memcpy(rec->hostname, c->p, c->len);
	}
	if (cols[BW_STORE_LEASE_STARTS_MS].type != BW_STORE_COL_INT ||
	    cols[BW_STORE_LEASE_EXPIRES_MS].type != BW_STORE_COL_INT)
		return "times are not integers";
	rec->starts_ms = cols[BW_STORE_LEASE_STARTS_MS].i;
	rec->expires_ms = cols[BW_STORE_LEASE_EXPIRES_MS].i;
	c = &cols[BW_STORE_LEASE_STATE];
	if (c->type != BW_STORE_COL_INT || c->i < BW_LEASE_BOUND || c->i > BW_LEASE_DECLINED)
		return "unknown state";
	rec->state = (enum bw_lease_state)c->i;
	return NULL;
}

int bw_store_lease_decode(const struct bw_store_col *cols, struct bw_lease_rec *ret_rec,
			  const char **ret_why)
{
	struct bw_lease_rec rec;
	const char *why;

	memset(&rec, 0, sizeof(rec));
	why = store_row_fields(cols, &rec);
	if (why) {
		*ret_why = why;
		return -EBADMSG;
	}
	*ret_rec = rec;
	return 0;
}
