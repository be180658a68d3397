/* PXE intelligence: what kind of firmware or loader sent a DHCP request, and which boot
 * program it should get. Pure policy over a parsed message (RFC 4578, PXE 2.1, UEFI HTTP
 * boot, iPXE's options); no I/O. */
#ifndef BW_DHCP_PXE_H
#define BW_DHCP_PXE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arch.h"
#include "dhcp/dhcp_wire.h"

struct bw_pxe_client {
	bool is_pxe;       /* option 60 starts with "PXEClient" */
	bool is_http;      /* option 60 starts with "HTTPClient": UEFI HTTP boot */
	bool is_ipxe;      /* user class "iPXE" (77) or iPXE's encapsulated options (175) */
	bool has_arch;
	uint16_t arch_code; /* option 93's first entry */
	enum bw_arch arch;
	bool has_uuid;
	uint8_t uuid[16];  /* option 97 (type 0 + 16 bytes) */
	char vendor_class[64]; /* option 60 as sent (bounded, NUL-terminated, may hold NULs cut) */
};

/* Classifies a request. Never fails: unknown or malformed PXE options leave the fields
 * unset (a client with a 3-byte option 97 simply has no UUID). */
void bw_pxe_classify(const struct bw_dhcp_msg *m, struct bw_pxe_client *ret);

/* Option 93 codes (RFC 4578, IANA's processor architecture types): 0 BIOS, 6 EFI IA32, 7 and 9
 * EFI x64, 10 ARM32, 11 ARM64; 15, 16, 18, 19 the same over HTTP (*ret_http set). */
enum bw_arch bw_pxe_arch_from_code(uint16_t code, bool *ret_http);

/* Boot programs, relative to boot_root (defaults in bw_pxe_boot_files_default). */
struct bw_pxe_boot_files {
	const char *bios;      /* undionly.kpxe */
	const char *efi_x64;   /* ipxe.efi */
	const char *efi_ia32;  /* ipxe-ia32.efi */
	const char *efi_arm64; /* ipxe-arm64.efi */
	const char *ipxe;      /* the script an iPXE client is sent to: boot.ipxe */
};

extern const struct bw_pxe_boot_files bw_pxe_boot_files_default;

struct bw_pxe_choice {
	bool boot;           /* false: nothing to boot for this client (not PXE, unknown arch) */
	bool url;            /* file is a URL (iPXE script, UEFI HTTP boot) */
	bool echo_http_client; /* the reply must carry option 60 "HTTPClient" */
	char file[256];      /* what goes into `file` / option 67 */
};

/* Chooses the boot file. An iPXE client gets the HTTP URL of its script (http_base plus
 * files->ipxe), never iPXE again; an HTTPClient gets the URL of its architecture's EFI
 * program; a PXE client gets its architecture's program over TFTP. http_base is like
 * "http://10.0.0.1:8080/". NULL: HTTP clients get nothing; iPXE clients get files->ipxe as a
 * bare name, which iPXE fetches over TFTP from next-server (or as is when it is a URL). */
void bw_pxe_choose(const struct bw_pxe_client *c, const struct bw_pxe_boot_files *files,
		   const char *http_base, struct bw_pxe_choice *ret);


/* Per-firmware workarounds, kept in one table in dhcp_pxe.c (first matching entry wins). */
struct bw_pxe_quirks {
	const char *name;     /* which firmware, for the log */
	bool omit_opt43;      /* send no option 43 (PXE discovery control) */
	bool echo_vendor;     /* echo the client's vendor class word (PXEClient / HTTPClient) */
	uint32_t proxy_delay_ms; /* hold proxyDHCP offers this long */
};

/* The quirks for a classified client (never NULL: a default entry ends the table). */
const struct bw_pxe_quirks *bw_pxe_quirks_for(const struct bw_pxe_client *c);

#endif
