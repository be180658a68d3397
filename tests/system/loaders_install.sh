#!/usr/bin/env bash
# loaders_install: `bootwire loaders install` puts Debian's boot programs into a boot root,
# and every config in docs/lab-guide.md passes `bootwire check-config`. No network needed.
#
# Checks: usage errors exit 2 with the reason (--help exits 0); a missing root is refused
# and not created; a full install puts iPXE's and pxelinux's files in place identical to
# Debian's (cmp) and GRUB's netboot directory identical to what grub-mknetdir makes (diff
# -r), leaving no temporary or staging file; a second run changes nothing ("unchanged");
# a modified file is kept (exit 1) without --force and replaced with it; symlinks in the
# root never lead a write outside it; --only installs only the sets named; -c FILE uses the
# config's boot_root; missing packages are named (apt-get install ...) while the rest is
# still installed (exit 1); the printed config lines pass check-config; and so does every
# YAML block of docs/lab-guide.md.
#
# Run: bash tests/system/loaders_install.sh   (BOOTWIRE=..., BW_KEEP=1)
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bw_require_server
[[ $BW_SERVER == bootwire ]] || bw_skip "bootwire only"
bw_setup_trap
bw_make_work

IPXE=(undionly.kpxe ipxe.efi snponly.efi)
C32=(ldlinux.c32 libcom32.c32 libutil.c32 menu.c32 vesamenu.c32 chain.c32)
for f in "${IPXE[@]}"; do
	[[ -r /usr/lib/ipxe/$f ]] || bw_skip "no /usr/lib/ipxe/$f (apt-get install ipxe; make deps)"
done
[[ -r /usr/lib/PXELINUX/pxelinux.0 ]] || bw_skip "no pxelinux.0 (apt-get install pxelinux)"
have_grub=1
[[ -x /usr/bin/grub-mknetdir && -r /usr/lib/grub/x86_64-efi/moddep.lst ]] || have_grub=0
have_grub_pc=0
[[ -r /usr/lib/grub/i386-pc/moddep.lst ]] && have_grub_pc=1

# src_of NAME: the Debian file a boot root name comes from.
src_of()
{
	case $1 in
	*.kpxe | *.efi) echo "/usr/lib/ipxe/$1" ;;
	pxelinux.0) echo /usr/lib/PXELINUX/pxelinux.0 ;;
	*.c32) echo "/usr/lib/syslinux/modules/bios/$1" ;;
	esac
}

# install_run LOG ARGS...: bootwire loaders install ARGS, stdout+stderr in LOG; sets RC.
install_run()
{
	local log=$1
	shift
	RC=0
	"$BOOTWIRE" loaders install "$@" >"$log" 2>&1 </dev/null || RC=$?
}

# has FILE STRING / has_re FILE ERE: FILE holds the (fixed) string / a line matching ERE.
has()
{
	grep -qF -- "$2" "$1"
}

has_re()
{
	grep -qE -- "$2" "$1"
}

# verdict DESC OK DETAIL...: one check line; OK is 1 or 0.
verdict()
{
	local desc=$1 ok=$2
	shift 2
	if [[ $ok == 1 ]]; then bw_pass "$desc"; else bw_fail "$desc" "$@"; fi
}

# ---------------------------------------------------------------------------------------
# Arguments

rc=0
"$BOOTWIRE" loaders install --help >"$BW_WORK/help.out" 2>&1 || rc=$?
ok=0
if [[ $rc == 0 ]] && has "$BW_WORK/help.out" "usage: bootwire loaders install"; then ok=1; fi
verdict "--help exits 0 and prints the usage" $ok "status $rc" "$(head -n 3 "$BW_WORK/help.out")"

# usage_case DESC REASON ARGS...: exit 2 and REASON in the output.
usage_case()
{
	local desc=$1 want=$2 ok=0
	shift 2
	install_run "$BW_WORK/usage.out" "$@"
	if [[ $RC == 2 ]] && has "$BW_WORK/usage.out" "$want"; then ok=1; fi
	verdict "$desc: exit 2 with the reason" $ok "status $RC, wanted 2 and '$want'" \
		"$(head -n 3 "$BW_WORK/usage.out")"
}
usage_case "no root" "--root DIR (or -c FILE) is required"
usage_case "--only with an unknown set" "unknown set 'kernel'" --root "$BW_WORK" --only ipxe,kernel
usage_case "both --root and -c" "not both" --root "$BW_WORK" -c "$BW_WORK/x.yaml"
usage_case "a stray argument" "unexpected argument 'extra'" --root "$BW_WORK" extra
usage_case "an unknown option" "unrecognized option '--frobnicate'" --frobnicate
rc=0
"$BOOTWIRE" loaders frob >"$BW_WORK/usage.out" 2>&1 || rc=$?
ok=0
if [[ $rc == 2 ]] && has "$BW_WORK/usage.out" "unknown action 'frob'"; then ok=1; fi
verdict "an unknown action: exit 2 with the reason" $ok "status $rc"

install_run "$BW_WORK/noroot.out" --root "$BW_WORK/does-not-exist"
ok=0
if [[ $RC == 1 && ! -e $BW_WORK/does-not-exist ]] &&
	has "$BW_WORK/noroot.out" "boot root $BW_WORK/does-not-exist: No such file or directory"; then ok=1; fi
verdict "a missing root: exit 1, said, and not created" $ok "status $RC" "$(cat "$BW_WORK/noroot.out")"

# ---------------------------------------------------------------------------------------
# A full install

ROOT=$BW_WORK/root
mkdir "$ROOT"
install_run "$BW_WORK/first.out" --root "$ROOT"
want_rc=0
((have_grub)) || want_rc=1
ok=0
[[ $RC == "$want_rc" ]] && ok=1
verdict "first install exits $want_rc" $ok "status $RC" "$(bw_log_tail "$BW_WORK/first.out" 20)"

bad=()
for f in "${IPXE[@]}" pxelinux.0 "${C32[@]}"; do
	src=$(src_of "$f")
	if ! cmp -s "$src" "$ROOT/$f"; then
		bad+=("$f differs from $src or is missing")
	elif ! has "$BW_WORK/first.out" "installed  $src -> $ROOT/$f ($(stat -L -c %s "$src") bytes)"; then
		bad+=("no 'installed  $src -> $ROOT/$f (SIZE bytes)' line")
	elif [[ $(stat -c %a "$ROOT/$f") != 644 ]]; then
		bad+=("$f has mode $(stat -c %a "$ROOT/$f")")
	fi
done
ok=0
((${#bad[@]} == 0)) && ok=1
verdict "iPXE and pxelinux files are Debian's (cmp), mode 644, one line each" $ok "${bad[@]}" \
	"$(bw_log_tail "$BW_WORK/first.out" 10)"

if ((have_grub)); then
	REF=$BW_WORK/grub-ref
	mkdir "$REF"
	grub-mknetdir --net-directory="$REF" --subdir=grub -d /usr/lib/grub/x86_64-efi >/dev/null 2>&1
	if ((have_grub_pc)); then
		grub-mknetdir --net-directory="$REF" --subdir=grub -d /usr/lib/grub/i386-pc >/dev/null 2>&1
	fi
	ok=0
	diff -r "$REF/grub" "$ROOT/grub" >"$BW_WORK/grub.diff" 2>&1 && ok=1
	verdict "grub/ is what grub-mknetdir makes (diff -r, $(find "$REF" -type f | wc -l) files)" $ok \
		"$(head -n 5 "$BW_WORK/grub.diff")"
	ok=0
	has_re "$BW_WORK/first.out" "^installed  grub-mknetdir:grub/x86_64-efi/core.efi -> $ROOT/grub/x86_64-efi/core.efi \([0-9]+ bytes\)$" && ok=1
	verdict "grub/x86_64-efi/core.efi has its own line" $ok "$(grep core "$BW_WORK/first.out")"
	if ((have_grub_pc)); then
		ok=0
		[[ -s $ROOT/grub/i386-pc/core.0 ]] && ok=1
		verdict "grub/i386-pc/core.0 (BIOS GRUB) is installed" $ok
	else
		bw_skip_check "BIOS GRUB" "grub-pc-bin not installed"
	fi
else
	bw_skip_check "GRUB's netboot directory" "grub-efi-amd64-bin not installed"
	ok=0
	has "$BW_WORK/first.out" "apt-get install grub-efi-amd64-bin" && ok=1
	verdict "a missing GRUB names its package" $ok "$(cat "$BW_WORK/first.out")"
fi
left=$(find "$ROOT" -name '.*' | head -n 5)
ok=0
[[ -z $left ]] && ok=1
verdict "no temporary or staging file is left in the root" $ok "$left"

# The printed config lines load, and name what was installed.
{
	printf 'boot_root: %s\n' "$ROOT"
	sed -n '/^# bootwire.yaml lines/,$p' "$BW_WORK/first.out"
} >"$BW_WORK/snippet.yaml"
rc=0
"$BOOTWIRE" check-config -p -c "$BW_WORK/snippet.yaml" >"$BW_WORK/snippet.print" 2>&1 || rc=$?
ok=0
[[ $rc == 0 ]] && ok=1
verdict "the printed config lines pass check-config" $ok "$(cat "$BW_WORK/snippet.yaml")" \
	"$(cat "$BW_WORK/snippet.print")"
want_grub="grub_efi_x64: ''"
((have_grub)) && want_grub="grub_efi_x64: 'grub/x86_64-efi/core.efi'"
ok=0
if has "$BW_WORK/snippet.print" "bios: 'undionly.kpxe'" && has "$BW_WORK/snippet.print" "efi_x64: 'ipxe.efi'" &&
	has "$BW_WORK/snippet.print" "pxelinux_bios: 'pxelinux.0'" && has "$BW_WORK/snippet.print" "$want_grub"; then
	ok=1
fi
verdict "they name what was installed (boot_files bios, efi_x64; loaders pxelinux_bios, grub_efi_x64)" $ok \
	"$(grep -E 'bios|efi_x64' "$BW_WORK/snippet.print")"

# ---------------------------------------------------------------------------------------
# Idempotence, --force

install_run "$BW_WORK/second.out" --root "$ROOT"
ok=0
if [[ $RC == "$want_rc" ]] && has "$BW_WORK/second.out" "unchanged  /usr/lib/ipxe/ipxe.efi -> $ROOT/ipxe.efi" &&
	has_re "$BW_WORK/second.out" '^bootwire loaders install: 0 installed, 0 replaced, [0-9]+ unchanged, 0 kept, 0 failed$'; then
	ok=1
fi
verdict "a second run changes nothing: exit $want_rc, everything 'unchanged'" $ok "status $RC" \
	"$(grep -E '^bootwire loaders install: [0-9]' "$BW_WORK/second.out")"

printf 'not iPXE\n' >"$ROOT/ipxe.efi"
install_run "$BW_WORK/kept.out" --root "$ROOT" --only ipxe
ok=0
if [[ $RC == 1 && $(cat "$ROOT/ipxe.efi") == "not iPXE" ]] &&
	has_re "$BW_WORK/kept.out" "^kept       /usr/lib/ipxe/ipxe.efi -> $ROOT/ipxe.efi \([0-9]+ bytes\): the file there differs \(9 bytes\); --force replaces it$"; then
	ok=1
fi
verdict "a modified file is kept without --force (exit 1, the line says so)" $ok "status $RC" \
	"$(cat "$BW_WORK/kept.out")"
install_run "$BW_WORK/force.out" --root "$ROOT" --only ipxe --force
ok=0
if [[ $RC == 0 ]] && has "$BW_WORK/force.out" "replaced   /usr/lib/ipxe/ipxe.efi -> $ROOT/ipxe.efi" &&
	cmp -s /usr/lib/ipxe/ipxe.efi "$ROOT/ipxe.efi"; then
	ok=1
fi
verdict "--force replaces it with Debian's (exit 0, 'replaced', cmp)" $ok "status $RC" "$(cat "$BW_WORK/force.out")"

if ((have_grub)); then
	printf 'x' >>"$ROOT/grub/x86_64-efi/normal.mod"
	install_run "$BW_WORK/gkept.out" --root "$ROOT" --only grub
	ok=0
	if [[ $RC == 1 ]] && has "$BW_WORK/gkept.out" "kept       grub-mknetdir:grub/x86_64-efi/normal.mod"; then ok=1; fi
	verdict "a modified GRUB module is kept and named" $ok "$(cat "$BW_WORK/gkept.out")"
	install_run "$BW_WORK/gforce.out" --root "$ROOT" --only grub --force
	ok=0
	cmp -s "$REF/grub/x86_64-efi/normal.mod" "$ROOT/grub/x86_64-efi/normal.mod" && ok=1
	verdict "... and replaced with --force" $ok "$(cat "$BW_WORK/gforce.out")"
fi

# ---------------------------------------------------------------------------------------
# Symlinks never lead outside the root

SROOT=$BW_WORK/symroot
OUTSIDE=$BW_WORK/outside
mkdir "$SROOT" "$OUTSIDE"
ln -s "$OUTSIDE/stolen.efi" "$SROOT/ipxe.efi"
ln -s "$OUTSIDE" "$SROOT/grub"
install_run "$BW_WORK/sym.out" --root "$SROOT" --only ipxe,grub
ok=0
has "$BW_WORK/sym.out" "kept       /usr/lib/ipxe/ipxe.efi -> $SROOT/ipxe.efi" && ok=1
verdict "a symlink where a file goes is kept without --force" $ok "$(cat "$BW_WORK/sym.out")"
install_run "$BW_WORK/symf.out" --root "$SROOT" --only ipxe,grub --force
ok=0
[[ -f $SROOT/ipxe.efi && ! -L $SROOT/ipxe.efi ]] && ok=1
verdict "with --force the symlink itself is replaced by the file" $ok "$(ls -l "$SROOT")"
if ((have_grub)); then
	ok=0
	if [[ $RC == 1 && $(grep -c grub "$BW_WORK/symf.out") -lt 10 ]] &&
		has "$BW_WORK/symf.out" "failed     $SROOT/grub: a symlink on the way"; then
		ok=1
	fi
	verdict "a symlinked grub/ is refused, in one line" $ok "status $RC" "$(head -n 12 "$BW_WORK/symf.out")"
fi
ok=0
[[ -z $(ls -A "$OUTSIDE") ]] && ok=1
verdict "nothing was written outside the root" $ok "$(ls -lA "$OUTSIDE")"

# ---------------------------------------------------------------------------------------
# --only, -c FILE

OROOT=$BW_WORK/only
mkdir "$OROOT"
install_run "$BW_WORK/only.out" --root "$OROOT" --only pxelinux
ok=0
if [[ $RC == 0 && -f $OROOT/pxelinux.0 && -f $OROOT/ldlinux.c32 && -f $OROOT/menu.c32 &&
	! -e $OROOT/undionly.kpxe && ! -e $OROOT/grub ]]; then
	ok=1
fi
verdict "--only pxelinux: pxelinux.0 and its modules, no iPXE, no grub/" $ok "status $RC" "$(ls "$OROOT")"
ok=0
if has "$BW_WORK/only.out" "# (no iPXE here" && has "$BW_WORK/only.out" "grub_efi_x64: ''"; then ok=1; fi
verdict "... and the config lines then say no iPXE and no GRUB" $ok \
	"$(sed -n '/^# bootwire.yaml/,$p' "$BW_WORK/only.out")"

mkdir "$BW_WORK/cfg" "$BW_WORK/cfg/boot"
printf 'boot_root: boot\n' >"$BW_WORK/cfg/bootwire.yaml"
install_run "$BW_WORK/cfg.out" -c "$BW_WORK/cfg/bootwire.yaml" --only ipxe
ok=0
[[ $RC == 0 && -f $BW_WORK/cfg/boot/undionly.kpxe ]] && ok=1
verdict "-c FILE installs into the config's boot_root (relative to the file)" $ok "status $RC" \
	"$(head -n 3 "$BW_WORK/cfg.out")"

# ---------------------------------------------------------------------------------------
# Missing packages (a sysroot with iPXE only)

SYS=$BW_WORK/sysroot
MROOT=$BW_WORK/mroot
mkdir -p "$SYS/usr/lib/ipxe" "$MROOT"
for f in "${IPXE[@]}"; do ln -s "/usr/lib/ipxe/$f" "$SYS/usr/lib/ipxe/$f"; done
RC=0
BOOTWIRE_LOADERS_SYSROOT=$SYS "$BOOTWIRE" loaders install --root "$MROOT" \
	>"$BW_WORK/missing.out" 2>"$BW_WORK/missing.err" </dev/null || RC=$?
ok=0
if [[ $RC == 1 && ! -e $MROOT/pxelinux.0 ]] && cmp -s /usr/lib/ipxe/ipxe.efi "$MROOT/ipxe.efi"; then ok=1; fi
verdict "missing packages: exit 1, and what is there is still installed" $ok "status $RC" "$(ls "$MROOT")"
ok=0
if has "$BW_WORK/missing.out" "missing    $SYS/usr/lib/PXELINUX/pxelinux.0 -> $MROOT/pxelinux.0: apt-get install pxelinux" &&
	has "$BW_WORK/missing.out" "ldlinux.c32 -> $MROOT/ldlinux.c32: apt-get install syslinux-common" &&
	has "$BW_WORK/missing.out" "apt-get install grub-efi-amd64-bin"; then
	ok=1
fi
verdict "... each missing file names its package" $ok "$(cat "$BW_WORK/missing.out")"
ok=0
grep -qxF "    apt-get install pxelinux syslinux-common grub-efi-amd64-bin" "$BW_WORK/missing.err" && ok=1
verdict "... and the end says what to install" $ok "$(cat "$BW_WORK/missing.err")"

# ---------------------------------------------------------------------------------------
# docs/lab-guide.md: every YAML block passes check-config

GUIDE=$BW_REPO_ROOT/docs/lab-guide.md
GROOT=$BW_WORK/guide-root
mkdir "$GROOT" "$BW_WORK/guide"
awk -v dir="$BW_WORK/guide" '
	/^```yaml[[:space:]]*$/ { n++; f = sprintf("%s/block%02d.yaml", dir, n); inb = 1; next }
	/^```/ { inb = 0; next }
	inb { print > f }' "$GUIDE"
shopt -s nullglob
blocks=("$BW_WORK"/guide/block*.yaml)
shopt -u nullglob
ok=0
if ((${#blocks[@]} >= 2)) && cat "${blocks[@]}" | grep -qE '^  mode: server' &&
	cat "${blocks[@]}" | grep -qE '^  mode: proxy'; then
	ok=1
fi
verdict "lab-guide.md has YAML blocks for server and proxy mode (${#blocks[@]} blocks)" $ok
for b in "${blocks[@]}"; do
	# The guide's paths moved into the test's directory: /srv/bootwire (which must exist)
	# and the lease database's.
	sed -e "s|/srv/bootwire|$GROOT|g" -e "s|/var/lib/bootwire/|$BW_WORK/guide/|g" "$b" >"$b.test"
	grep -q '^boot_root:' "$b.test" || sed -i "1i boot_root: $GROOT" "$b.test"
	rc=0
	# --no-host: the guide's interfaces (enp2s0, eno1) are the reader's, not this machine's
	"$BOOTWIRE" check-config --no-host -c "$b.test" >"$b.out" 2>&1 || rc=$?
	ok=0
	[[ $rc == 0 ]] && ok=1
	verdict "lab-guide.md YAML block $(basename "$b" .yaml) ($(head -n 1 "$b")) passes check-config" $ok \
		"$(cat "$b.out")"
done

bw_summary
