#!/usr/bin/env bash
# Stage 4: the guest side. Cross-builds the KVM selftests with the tree's own
# Makefile, builds our guest programs against the same selftest library, and packs
# them with the aarch64 runtime and guest/init into build/initramfs.cpio.
#
#   build-guest.sh [TESTS_LIST]     default: guest/tests.list
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
require_tools aarch64-linux-gnu-gcc cpio make

list=${1:-$top/guest/tests.list}
[ -f "$list" ] || die "test list '$list' not found; fix: pass an existing file (default guest/tests.list)"
src=$top/build/linux
kbuild=$top/build/kernel
out=$top/build/guest
selftests=$out/selftests
hdr=$out/usr
cross=aarch64-linux-gnu-
sysroot=/usr/aarch64-linux-gnu
[ -d "$src/.git" ] || die "build/linux missing; fix: run 'make linux-tree'"
[ -f "$kbuild/.config" ] || die "build/kernel is not configured; fix: run 'make kernel'"
export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1

stamp_key=$(
	{
		git -C "$src" rev-parse HEAD
		git -C "$src" diff HEAD -- tools include/uapi arch/arm64/include/uapi
		cat "$list"
		find "$top/guest" "$top/vmm" -type f | sort | xargs cat
		sha256sum < "$kbuild/arch/arm64/boot/Image"
		${cross}gcc --version | head -n 1
	} | sha256sum | cut -c1-32
)
initramfs=$top/build/initramfs-$(basename "$list" .list).cpio
stamp=$initramfs.stamp
if [ -f "$initramfs" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$stamp_key" ]; then
	say "guest initramfs up to date"
	exit 0
fi
mkdir -p "$out"

say "installing uapi headers"
make -s -C "$src" O="$kbuild" ARCH=arm64 CROSS_COMPILE=$cross headers_install INSTALL_HDR_PATH="$hdr" >/dev/null

say "building KVM selftests"
make -s -C "$src/tools/testing/selftests/kvm" ARCH=arm64 CROSS_COMPILE=$cross \
	CC="ccache ${cross}gcc" OUTPUT="$selftests" KHDR_INCLUDES="-isystem $hdr/include" \
	-j"$(nproc)" >"$out/selftests.log" 2>&1 || {
	grep -E ' error: |Error [0-9]' "$out/selftests.log" | head -n 20 >&2
	die "KVM selftests build failed (log: build/guest/selftests.log); fix: the error above"
}

say "building guest programs"
kvm_src=$src/tools/testing/selftests/kvm
guest_cflags=(-O2 -g -Wall -Wextra -Wno-unused-parameter -std=gnu99 -D_GNU_SOURCE)
# The flags the selftests Makefile compiles guest code with: no builtins or
# stack protector the guest could not run, no PIE.
kvm_cflags=(-O2 -g -Wall -Wstrict-prototypes -Wuninitialized -std=gnu99 -D_GNU_SOURCE -DCONFIG_64BIT
	-U_FORTIFY_SOURCE -fno-builtin-memcmp -fno-builtin-memcpy -fno-builtin-memset -fno-builtin-strnlen
	-fno-stack-protector -fno-PIE -fno-strict-aliasing
	-I"$src/tools/include" -I"$src/tools/arch/arm64/include" -I"$kvm_src/include" -I"$kvm_src/include/aarch64"
	-I"$kvm_src/.." -I"$src/tools/arch/arm64/include/generated" -isystem "$hdr/include")
mkdir -p "$out/bin"
${cross}gcc "${guest_cflags[@]}" -static -o "$out/bin/init" "$top/guest/init.c"
for prog in "$top"/guest/tools/*.c; do
	${cross}gcc "${guest_cflags[@]}" -o "$out/bin/$(basename "$prog" .c)" "$prog" ||
		die "building ${prog#$top/} failed; fix: the compiler error above"
done
for prog in "$top"/guest/kvm/*.c; do
	[ -e "$prog" ] || continue
	name=$(basename "$prog" .c)
	${cross}gcc "${kvm_cflags[@]}" -no-pie -o "$out/bin/$name" "$prog" "$selftests"/lib/*.o "$selftests"/lib/aarch64/*.o -pthread ||
		die "building guest/kvm/$name.c failed; fix: the compiler error above"
done

say "building the reference VMM and its demo guest"
make -s -C "$top/vmm" CROSS_COMPILE=$cross CC="ccache ${cross}gcc" O="$out/bin" \
	LIBFDT="$src/scripts/dtc/libfdt" KHDR="$hdr/include" ||
	die "building vmm/ failed; fix: the compiler error above"
vmm_guest=$out/vmm-guest
rm -rf "$vmm_guest" && mkdir -p "$vmm_guest"
mv "$out/bin/demo-init" "$vmm_guest/init"
(cd "$vmm_guest" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible > "$out/vmm-guest.cpio")

say "packing initramfs"
root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,etc,lib,kvm/aarch64,dev,proc,sys,tmp}
cp "$out/bin/init" "$root/init"
# The reference VMM boots the same kernel Image as its guest.
mkdir -p "$root/vmm"
cp "$kbuild/arch/arm64/boot/Image" "$root/vmm/Image"
cp "$out/vmm-guest.cpio" "$root/vmm/guest.cpio"
for f in "$out"/bin/*; do [ "$(basename "$f")" = init ] || cp "$f" "$root/bin/"; done
# Everything the list names must be in the image, or the run has a missing result.
missing=()
while read -r name timeout cmd _; do
	case "$name" in '' | '#'*) continue ;; esac
	case "$cmd" in
	/kvm/*)
		rel=${cmd#/kvm/}
		if [ -f "$selftests/$rel" ]; then
			install -D "$selftests/$rel" "$root/kvm/$rel"
		else
			missing+=("$name ($cmd)")
		fi
		;;
	/bin/*) [ -f "$root$cmd" ] || missing+=("$name ($cmd)") ;;
	esac
done < <(sed 's/#.*//' "$list")
[ ${#missing[@]} -eq 0 ] || say "warning: not built, will report as failed: ${missing[*]}"
grep -v '^[[:space:]]*#' "$list" | grep -v '^[[:space:]]*$' > "$root/etc/tests.list"
for lib in ld-linux-aarch64.so.1 libc.so.6 libm.so.6; do
	cp -L "$sysroot/lib/$lib" "$root/lib/"
done
${cross}strip --strip-debug "$root"/kvm/*/* "$root"/kvm/* "$root"/bin/* 2>/dev/null || true
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible > "$initramfs")
echo "$stamp_key" > "$stamp"
say "initramfs: ${initramfs#$top/} ($(du -h "$initramfs" | cut -f1))"
