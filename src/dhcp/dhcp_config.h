/* The `dhcp:` section of the configuration. Disabled unless the file says otherwise:
 * bootwire never answers DHCP where it was not told to. */
#ifndef BW_DHCP_CONFIG_H
#define BW_DHCP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

enum bw_dhcp_mode {
	BW_DHCP_MODE_SERVER = 0, /* hands out addresses on the subnets below */
	BW_DHCP_MODE_PROXY = 1,  /* proxyDHCP: boot information only, beside another server */
};

struct bw_dhcp_subnet {
	uint32_t net, mask;           /* host byte order */
	uint32_t range_first, range_last; /* the pool; both 0 when the subnet only has reservations */
	uint32_t router;              /* 0: none */
	unsigned n_dns;
	uint32_t dns[8];
	char *domain;                 /* NULL: none */
	uint32_t lease_time_s;
	char *interface;              /* NULL: any configured interface whose address is inside */
};

struct bw_dhcp_reservation {
	bool has_mac;
	uint8_t mac[6];
	uint8_t client_id_len;        /* 0: match by MAC only */
	uint8_t client_id[64];        /* option 61 as sent (type byte first) */
	uint32_t addr;                /* host byte order; 0: boot information only, no fixed address */
	char *hostname;               /* NULL: none */
	char *boot_file;              /* NULL: the boot_files default for its firmware */
};

struct bw_dhcp_boot_files_cfg {
	char *bios, *efi_x64, *efi_ia32, *efi_arm64, *ipxe;
};

struct bw_dhcp_config {
	bool enabled;
	int mode;                     /* enum bw_dhcp_mode */
	unsigned n_interfaces;
	char **interfaces;
	char *server_ip;              /* NULL: each interface's own IPv4 address */
	char *lease_db;               /* absolute after validation */
	uint32_t offer_timeout_ms;
	uint32_t decline_hold_s;
	uint32_t decline_max_per_mac; /* addresses one client's DECLINEs may hold in quarantine */
	uint32_t decline_max_percent; /* share of a pool that may be quarantined at once */
	uint32_t rate_per_mac;        /* packets per second accepted from one MAC (burst 2x) */
	char *http_base;              /* NULL: iPXE clients get boot_files.ipxe over TFTP */
	struct bw_dhcp_boot_files_cfg boot_files;
	unsigned n_subnets;
	struct bw_dhcp_subnet *subnets;
	unsigned n_reservations;
	struct bw_dhcp_reservation *reservations;
};

extern const struct bw_cfg_section bw_dhcp_cfg_section;

#endif
