/* Addresses as text and back: MAC, IPv4, hex bytes, UUID. Pure. The one place these are
 * parsed and printed; every parser here is strict and reads exactly len bytes of s (no NUL
 * needed, none allowed inside): no spaces, signs, "0x", or anything else around or between
 * the digits. Failures are -EINVAL and leave the outputs untouched. */
#ifndef BW_NETADDR_H
#define BW_NETADDR_H

#include <stddef.h>
#include <stdint.h>

#define BW_MAC_STRLEN 18  /* "52:54:00:12:34:56" and its NUL */
#define BW_IPV4_STRLEN 16 /* "255.255.255.255" and its NUL */
#define BW_UUID_STRLEN 37 /* 8-4-4-4-12 and its NUL */

/* The value of one hex digit (either case), or -1. */
int bw_hex_digit(char c);

/* Hex bytes: pairs of hex digits, either all run together ("015254") or all separated by one
 * ':' or one '-', the same one throughout ("01:52:54", "01-52-54"). At least one byte, at
 * most cap (more: -EINVAL). The byte count goes to *ret_n. */
int bw_hex_parse(const char *s, size_t len, uint8_t *out, size_t cap, size_t *ret_n);
/* Writes n bytes as lower-case hex pairs separated by sep ('\0': none) into out (cap bytes,
 * always NUL-terminated when cap > 0). Returns the length the full text needs, like snprintf. */
size_t bw_hex_format(const uint8_t *v, size_t n, char sep, char *out, size_t cap);

/* A MAC address: six bytes as bw_hex_parse reads them, so "52:54:00:ab:CD:ef",
 * "52-54-00-ab-cd-ef" or "525400abcdef", and nothing else. */
int bw_mac_parse(const char *s, size_t len, uint8_t ret[6]);
/* "52:54:00:ab:cd:ef" with sep between the bytes (lower case). */
void bw_mac_format(const uint8_t mac[6], char sep, char out[BW_MAC_STRLEN]);

/* A dotted quad: four decimal numbers 0-255 separated by '.', each 1 to 3 digits without a
 * leading zero ("010.0.0.1" is refused: inet_aton() would read it as octal 8, inet_pton()
 * refuses it; a lone "0" is fine). *ret is in host byte order. */
int bw_ipv4_parse(const char *s, size_t len, uint32_t *ret);
/* "10.0.0.1" from a host-order address. */
void bw_ipv4_format(uint32_t addr, char out[BW_IPV4_STRLEN]);
/* "ADDRESS/BITS", BITS a decimal 0-32 without a leading zero. The host bits are not
 * checked here (see bw_ipv4_mask). */
int bw_ipv4_prefix_parse(const char *s, size_t len, uint32_t *ret_addr, unsigned *ret_bits);
/* The netmask of a prefix length 0-32, host order. */
uint32_t bw_ipv4_mask(unsigned bits);
/* The prefix length of a contiguous netmask, or -1 when it is not one. */
int bw_ipv4_mask_bits(uint32_t mask);

/* A UUID: 8-4-4-4-12 hex digits or 32 hex digits run together, either case; the 16 bytes in
 * the order written (as DHCP option 97 sends them). */
int bw_uuid_parse(const char *s, size_t len, uint8_t ret[16]);
/* 8-4-4-4-12, lower case. */
void bw_uuid_format(const uint8_t uuid[16], char out[BW_UUID_STRLEN]);

#endif
