#!/bin/bash
# Build the coloctl test guest: OUTDIR/vmlinuz and OUTDIR/initrd.img (gzip'd newc cpio).
#
# usage: build-guest.sh OUTDIR
#
# Inputs (Debian 12 packages): linux-image-cloud-amd64 (kernel + virtio modules), busybox-static,
# kmod, cpio, gzip, gcc + libc6-dev (static libc). CC overrides the compiler (default: cc).
# Outputs are cached: a stamp file records the kernel version and the sha256 of init,
# guest-tools.c, this script, busybox and $CC; when it matches, nothing is rebuilt.
set -euo pipefail

me=build-guest.sh
die() {
	echo "$me: error: $*" >&2
	exit 1
}
need_cmd() { # need_cmd COMMAND DEBIAN-PACKAGE
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' not found; install the Debian package '$2' (apt-get install $2)"
}

[ $# -eq 1 ] || {
	echo "usage: $0 OUTDIR" >&2
	exit 2
}
outdir=$1
srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script="$srcdir/$(basename "${BASH_SOURCE[0]}")"
CC=${CC:-cc}
MODULES="virtio_pci virtio_blk virtio_net"

need_cmd sha256sum coreutils
need_cmd cpio cpio
need_cmd gzip gzip
need_cmd modprobe kmod

# --- kernel: newest Debian cloud kernel -------------------------------------------------
kernel=$(shopt -s nullglob && printf '%s\n' /boot/vmlinuz-*-cloud-amd64 | sort -V | tail -n 1)
[ -n "$kernel" ] ||
	die "no /boot/vmlinuz-*-cloud-amd64; install the Debian package 'linux-image-cloud-amd64'"
[ -r "$kernel" ] || die "$kernel is not readable (run as root or make it readable)"
kver=${kernel#/boot/vmlinuz-}
[ -d "/lib/modules/$kver" ] ||
	die "/lib/modules/$kver missing; reinstall the Debian package 'linux-image-$kver'"

# --- busybox: must be the static build -------------------------------------------------
busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox not found; install the Debian package 'busybox-static'"
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; install the Debian package 'busybox-static'"
fi

for f in init guest-tools.c; do
	[ -r "$srcdir/$f" ] || die "missing source file $srcdir/$f"
done

# --- cache check ------------------------------------------------------------------------
stamp_file="$outdir/.guest-image.stamp"
stamp="kver=$kver
init=$(sha256sum <"$srcdir/init" | cut -d' ' -f1)
guest-tools.c=$(sha256sum <"$srcdir/guest-tools.c" | cut -d' ' -f1)
build-guest.sh=$(sha256sum <"$script" | cut -d' ' -f1)
busybox=$(sha256sum <"$busybox" | cut -d' ' -f1)
cc=$CC"
if [ -s "$outdir/vmlinuz" ] && [ -s "$outdir/initrd.img" ] && [ -r "$stamp_file" ] &&
	[ "$(cat "$stamp_file")" = "$stamp" ]; then
	# Up to date. Refresh mtimes if a source was merely touched, so make/ninja settle.
	for f in "$srcdir/init" "$srcdir/guest-tools.c" "$script"; do
		if [ "$f" -nt "$outdir/initrd.img" ]; then
			touch "$outdir/vmlinuz" "$outdir/initrd.img"
			break
		fi
	done
	echo "$me: guest image up to date ($kver) in $outdir"
	exit 0
fi

# --- toolchain checks (only needed when actually building) -----------------------------
need_cmd "${CC%% *}" gcc
# shellcheck disable=SC2086
libc_a=$($CC -print-file-name=libc.a 2>/dev/null || true)
case "$libc_a" in
/*) [ -e "$libc_a" ] || libc_a= ;;
*) libc_a= ;;
esac
[ -n "$libc_a" ] || die "static libc (libc.a) not found for $CC; install the Debian package 'libc6-dev'"

mkdir -p "$outdir"
work=$(mktemp -d "$outdir/.guest-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,dev,etc,proc,sys,run,tmp,root,usr,lib/modules/"$kver"}
ln -s bin "$root/sbin"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"

# --- guest-tools -------------------------------------------------------------------------
# shellcheck disable=SC2086
$CC -static -O2 -Wall -Wextra -s -o "$root/bin/guest-tools" "$srcdir/guest-tools.c" ||
	die "compiling guest-tools.c with '$CC -static' failed"
for t in echo-server diskwrite diskverify dirty ctl-server; do
	ln -s guest-tools "$root/bin/$t"
done

# --- busybox + applet symlinks ----------------------------------------------------------
cp "$busybox" "$root/bin/busybox"
applets=$("$busybox" --list)
# applets /init relies on: fail loudly if this busybox build lacks one
for a in sh mount mkdir cat echo insmod ip sleep setsid cttyhack hostname dmesg; do
	# a pattern match, not `printf | grep -q`: grep -q exits at its first match, printf
	# then dies of SIGPIPE and pipefail turns a present applet into a failure
	[[ $'\n'"$applets"$'\n' == *$'\n'"$a"$'\n'* ]] || die "$busybox lacks the '$a' applet"
done
for a in $applets; do
	[ "$a" = busybox ] || [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done

# --- kernel modules, in dependency order ------------------------------------------------
modlist="$work/modules.order"
: >"$modlist"
for m in $MODULES; do
	deps=$(modprobe -S "$kver" --show-depends "$m" 2>&1) ||
		die "modprobe cannot resolve module '$m' for $kver: $deps"
	while read -r kind path _; do
		[ "$kind" = insmod ] || continue # 'builtin NAME' needs nothing
		rel=${path#/lib/modules/"$kver"/}
		case "$rel" in
		*.ko) dst=$rel ;;
		*.ko.xz)
			need_cmd xz xz-utils
			dst=${rel%.xz}
			;;
		*.ko.zst)
			need_cmd zstd zstd
			dst=${rel%.zst}
			;;
		*.ko.gz) dst=${rel%.gz} ;;
		*) die "unexpected module path '$path'" ;;
		esac
		grep -qxF "/lib/modules/$kver/$dst" "$modlist" && continue
		mkdir -p "$root/lib/modules/$kver/$(dirname "$dst")"
		case "$rel" in
		*.ko) cp "$path" "$root/lib/modules/$kver/$dst" ;;
		*.ko.xz) xz -dc "$path" >"$root/lib/modules/$kver/$dst" ;;
		*.ko.zst) zstd -qdc "$path" >"$root/lib/modules/$kver/$dst" ;;
		*.ko.gz) gzip -dc "$path" >"$root/lib/modules/$kver/$dst" ;;
		esac
		echo "/lib/modules/$kver/$dst" >>"$modlist"
	done <<<"$deps"
done
cp "$modlist" "$root/etc/coloctl-modules"

# --- /init and a minimal /etc ------------------------------------------------------------
install -m 0755 "$srcdir/init" "$root/init"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf '%s\n' "$kver" >"$root/etc/coloctl-kernel"

# --- archive -----------------------------------------------------------------------------
# reproducible: fixed mtimes, sorted names, no inode/device numbers, no gzip timestamp
find "$root" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) |
	gzip -9 -n >"$work/initrd.img"
cp "$kernel" "$work/vmlinuz"
mv -f "$work/vmlinuz" "$outdir/vmlinuz"
mv -f "$work/initrd.img" "$outdir/initrd.img"
printf '%s\n' "$stamp" >"$stamp_file.tmp"
mv -f "$stamp_file.tmp" "$stamp_file"
echo "$me: built $outdir/vmlinuz ($kver) and $outdir/initrd.img" \
	"($(stat -c %s "$outdir/initrd.img") bytes, modules: $(wc -l <"$modlist"))"
