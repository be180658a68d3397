#!/usr/bin/env bash
# netboot-assets.sh [--boot-programs] [--force] [--quiet] OUTDIR
#
# Builds what a test or demo VM network-boots, from Debian 12 packages, into OUTDIR:
#   vmlinuz      Debian's packaged kernel: the linux-image-<abi>-amd64 package that
#                linux-image-amd64 depends on, fetched with `apt-get download` and unpacked
#                with dpkg-deb (no kernel is installed on the host).
#   initrd.img   a small initramfs (newc cpio, gzip): busybox from busybox-static's .deb
#                (fetched, not installed: it conflicts with the busybox package) and an /init
#                that mounts proc, sys and dev, prints
#                    Hello from bootwire: this machine booted over the network
#                and, for every `bootwire.marker=XYZ` on the kernel command line, a line
#                    BOOTWIRE-MARKER XYZ
#                then powers off (`poweroff -f`; with QEMU's -no-reboot the VM ends).
#                `bootwire.shell` on the command line gives a shell on the console instead.
#                Callers boot it with `console=ttyS0` to see all this on the serial port.
#   VERSIONS     shell-sourceable KEY=value lines: packages, versions, sizes, sha256.
#   boot/        only with --boot-programs: copies of Debian's iPXE programs
#                (undionly.kpxe, ipxe.efi, snponly.efi; package ipxe) and pxelinux
#                (pxelinux.0, ldlinux.c32; packages pxelinux, syslinux-common), for callers
#                that serve a boot root with them. A missing one is left out with a warning
#                naming the package to install.
#
# Cached and idempotent: when OUTDIR already holds vmlinuz, initrd.img and VERSIONS newer
# than this script, nothing is fetched or built (--force rebuilds). Safe to run concurrently
# on one OUTDIR (flock). Needs network access to the Debian archive through apt only; runs
# `apt-get update` by itself (as root) if the package lists do not know the packages or are
# too old to download them. Needs dpkg-deb, tar, gzip and cpio (GNU cpio, or busybox's).
#
# Environment: BW_KERNEL_PKG (default: what linux-image-amd64 depends on),
# BW_BUSYBOX_PKG (default: busybox-static).
set -euo pipefail

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
boot_programs=0
force=0
quiet=0
usage()
{
	sed -n '2p' "$SCRIPT" | sed 's/^# /usage: /' >&2
	exit 2
}
while (($#)); do
	case $1 in
	--boot-programs) boot_programs=1 ;;
	--force) force=1 ;;
	--quiet | -q) quiet=1 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$SCRIPT" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
(($# == 1)) || usage
OUT=$1

say()
{
	((quiet)) || printf 'netboot-assets: %s\n' "$*" >&2
}

die()
{
	printf 'netboot-assets: error: %s\n' "$*" >&2
	exit 1
}

SUDO=
[[ $(id -u) -eq 0 ]] || SUDO=sudo

# ---------------------------------------------------------------------------------------
# Boot programs (copies from installed packages; cheap, so always refreshed)

copy_boot_programs()
{
	local spec src pkg
	mkdir -p "$OUT/boot"
	for spec in /usr/lib/ipxe/undionly.kpxe:ipxe /usr/lib/ipxe/ipxe.efi:ipxe \
		/usr/lib/ipxe/snponly.efi:ipxe /usr/lib/PXELINUX/pxelinux.0:pxelinux \
		/usr/lib/syslinux/modules/bios/ldlinux.c32:syslinux-common; do
		src=${spec%:*}
		pkg=${spec##*:}
		if [[ ! -r $src ]]; then
			printf 'netboot-assets: warning: no %s: install the Debian package %s\n' "$src" "$pkg" >&2
			continue
		fi
		cp -u -p "$src" "$OUT/boot/"
		chmod 0644 "$OUT/boot/${src##*/}"
	done
}

# ---------------------------------------------------------------------------------------
# Kernel and initramfs

is_fresh()
{
	local f
	for f in vmlinuz initrd.img VERSIONS; do
		[[ -s $OUT/$f && $OUT/$f -nt $SCRIPT ]] || return 1
	done
}

# kernel_pkg: the versioned image package linux-image-amd64 depends on.
kernel_pkg()
{
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}

apt_update()
{
	say "apt-get update (the package lists do not have what is needed)"
	$SUDO apt-get update -qq
}

# download DIR PKG...: apt-get download, retrying once after an update (stale lists point
# at versions the archive no longer has).
download()
{
	local dir=$1
	shift
	if ! (cd "$dir" && apt-get download -q "$@" >"$dir/apt.log" 2>&1); then
		apt_update
		(cd "$dir" && apt-get download -q "$@" >"$dir/apt.log" 2>&1) ||
			die "apt-get download $* failed: $(tail -n 3 "$dir/apt.log")"
	fi
}

# The initramfs's /init (busybox sh).
write_init()
{
	cat >"$1" <<'EOF'
#!/bin/busybox sh
# bootwire test initramfs (scripts/netboot-assets.sh): greet, print markers, power off.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
read -r up _ </proc/uptime
read -r cmdline </proc/cmdline
mem=$(awk '/^MemTotal:/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)
echo
echo "Hello from bootwire: this machine booted over the network"
echo "bootwire-initramfs: kernel $(uname -r), $mem of memory, /init started ${up}s after the kernel"
echo "bootwire-initramfs: cmdline: $cmdline"
shell=0
for arg in $cmdline; do
	case $arg in
	bootwire.marker=*) echo "BOOTWIRE-MARKER ${arg#bootwire.marker=}" ;;
	bootwire.shell) shell=1 ;;
	esac
done
if [ "$shell" = 1 ]; then
	echo "bootwire-initramfs: bootwire.shell given: a shell on the console (exit powers off)"
	setsid cttyhack sh
fi
echo "bootwire-initramfs: powering off"
poweroff -f
EOF
	chmod 0755 "$1"
}

# make_cpio DIR OUT: newc cpio of DIR, owned by root, gzip'ed.
make_cpio()
{
	local dir=$1 out=$2 cpio=(cpio -o -H newc -R 0:0 --quiet)
	command -v cpio >/dev/null 2>&1 || cpio=(busybox cpio -o -H newc -R 0:0)
	command -v "${cpio[0]}" >/dev/null 2>&1 || die "no cpio (install cpio or busybox)"
	(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | "${cpio[@]}" 2>"$out.err") | gzip -9 -n >"$out"
	# busybox cpio reports "N blocks" on stderr
	if grep -qv 'blocks$' "$out.err"; then die "cpio: $(cat "$out.err")"; fi
	rm -f "$out.err"
}

build_assets()
{
	local work kpkg kabi kver bpkg bver deb root
	work=$(mktemp -d "${TMPDIR:-/tmp}/netboot-assets.XXXXXX")
	# shellcheck disable=SC2064 # expand now
	trap "rm -rf '$work'" EXIT
	chmod 0755 "$work"
	mkdir "$work/dl"
	# apt downloads as _apt when it can write the directory (else it warns and uses root)
	if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$work/dl"; fi

	kpkg=${BW_KERNEL_PKG:-$(kernel_pkg)}
	if [[ -z $kpkg ]]; then
		apt_update
		kpkg=$(kernel_pkg)
	fi
	[[ -n $kpkg ]] || die "apt-cache knows no linux-image-amd64 (is deb.debian.org in sources.list?)"
	bpkg=${BW_BUSYBOX_PKG:-busybox-static}
	say "downloading $kpkg and $bpkg (apt-get download; nothing is installed)"
	download "$work/dl" "$kpkg" "$bpkg"

	deb=$(ls "$work/dl/${kpkg}"_*.deb)
	kver=$(dpkg-deb -f "$deb" Version)
	kabi=${kpkg#linux-image-}
	# Only ./boot/vmlinuz-*: it comes third in the archive, so tar stops early (dpkg-deb
	# then dies of SIGPIPE, which is expected; the file is checked instead).
	(dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --occurrence=1 -f - "./boot/vmlinuz-$kabi") 2>/dev/null || true
	[[ -s $work/boot/vmlinuz-$kabi ]] || die "no /boot/vmlinuz-$kabi in $deb"

	deb=$(ls "$work/dl/${bpkg}"_*.deb)
	bver=$(dpkg-deb -f "$deb" Version)
	mkdir "$work/bb"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/bb" ./bin/busybox
	[[ -x $work/bb/bin/busybox ]] || die "no /bin/busybox in $deb"

	root=$work/initramfs
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}
	cp "$work/bb/bin/busybox" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	write_init "$root/init"
	make_cpio "$root" "$work/initrd.img"

	mkdir -p "$OUT"
	install -m 0644 "$work/boot/vmlinuz-$kabi" "$OUT/.vmlinuz.new"
	install -m 0644 "$work/initrd.img" "$OUT/.initrd.img.new"
	{
		printf '# written by scripts/netboot-assets.sh on %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		printf 'KERNEL_PACKAGE=%s\n' "$kpkg"
		printf 'KERNEL_VERSION=%s\n' "$kver"
		printf 'KERNEL_RELEASE=%s\n' "$kabi"
		printf 'KERNEL_SIZE=%s\n' "$(stat -c %s "$OUT/.vmlinuz.new")"
		printf 'KERNEL_SHA256=%s\n' "$(sha256sum <"$OUT/.vmlinuz.new" | cut -d' ' -f1)"
		printf 'BUSYBOX_PACKAGE=%s\n' "$bpkg"
		printf 'BUSYBOX_VERSION=%s\n' "$bver"
		printf 'INITRD_SIZE=%s\n' "$(stat -c %s "$OUT/.initrd.img.new")"
		printf 'INITRD_SHA256=%s\n' "$(sha256sum <"$OUT/.initrd.img.new" | cut -d' ' -f1)"
	} >"$OUT/.VERSIONS.new"
	mv -f "$OUT/.vmlinuz.new" "$OUT/vmlinuz"
	mv -f "$OUT/.initrd.img.new" "$OUT/initrd.img"
	mv -f "$OUT/.VERSIONS.new" "$OUT/VERSIONS" # last: it marks the set complete
	rm -rf "$work"
	trap - EXIT
	say "built $OUT: vmlinuz ($kpkg $kver, $(stat -c %s "$OUT/vmlinuz") bytes)," \
		"initrd.img (busybox $bver, $(stat -c %s "$OUT/initrd.img") bytes)"
}

mkdir -p "$OUT"
chmod 0755 "$OUT"
exec 9>"$OUT/.lock"
flock -w 600 9 || die "another netboot-assets.sh holds $OUT/.lock for 10 minutes"
if ((force == 0)) && is_fresh; then
	say "cached in $OUT ($(grep -E '^KERNEL_PACKAGE=' "$OUT/VERSIONS" | cut -d= -f2))"
else
	build_assets
fi
if ((boot_programs)); then copy_boot_programs; fi
exit 0
