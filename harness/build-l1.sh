#!/usr/bin/env bash
# Stage: the emulated host's (L1) userspace for one kernel base. Cross-builds the
# tree's KVM selftests with its own Makefile, the programs of l1/ that the planned
# cells name (KVM ones against the same selftest library), the reference VMM with
# its guest (L2) if named, and packs them with l1/init.c as PID 1 into OUT/initramfs.cpio.
#
#   build-l1.sh SRC KBUILD OUT TESTS_LIST...
#
# SRC is the kernel tree, KBUILD its configured build directory (the uapi headers
# and, for the VMM's guest, the Image come from there), TESTS_LIST the normalized
# per-cell lists written by plan.sh. The uapi headers and the KVM selftests are
# built once per tree, beside it (build/BASE/usr, build/BASE/selftests for the tree
# build/BASE/linux; make keeps them incremental); the initramfs is OUT's. The KVM selftests are installed under
# /kvm/arm64/ whatever the tree calls its arm64 directory (6.12: aarch64/).
# /kvm-base/... names a selftest as the base tarball has it, when the queue changes
# it: built from the base's tools/ (library and test byte for byte the tarball's)
# against the tree's uapi headers, which only add to the base's.
# /bin/sh is Debian's static busybox for arm64 (build/inputs.env: BUSYBOX_ARM64).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
require_tools aarch64-linux-gnu-gcc cpio make

[ $# -ge 4 ] || die "usage: build-l1.sh SRC KBUILD OUT TESTS_LIST... (got $# arguments); fix: pass the tree, its build directory, the output directory and the cell lists"
src=$(realpath -m "$1") kbuild=$(realpath -m "$2") out=$(realpath -m "$3")
shift 3
lists=("$@")
for l in "${lists[@]}"; do
	[ -f "$l" ] || die "cell list '$l' not found; fix: run plan.sh first"
done
[ -e "$src/.git" ] || die "kernel tree ${src#"$top"/} missing; fix: run 'make trees'"
[ -f "$kbuild/.config" ] || die "${kbuild#"$top"/} is not configured; fix: run 'make kernels'"
# Beside the tree, one set per tree: build/BASE/linux's are selftests/ and usr/,
# build/BASE/pristine's selftests-pristine/ and usr-pristine/.
suffix=
[ "$(basename "$src")" = linux ] || suffix=-$(basename "$src")
selftests=$(dirname "$src")/selftests$suffix
hdr=$(dirname "$src")/usr$suffix
cross=aarch64-linux-gnu-
sysroot=/usr/aarch64-linux-gnu
kvm_src=$src/tools/testing/selftests/kvm
karch=arm64
[ -d "$kvm_src/$karch" ] || karch=aarch64
export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
# shellcheck disable=SC1091
. "$top/build/inputs.env"
[ -x "${BUSYBOX_ARM64:-}" ] || die "the arm64 busybox is missing; fix: run 'make setup'"

# What the lists run: /kvm/... and /kvm-base/... selftests and /bin/... programs of ours.
# A command's arguments may name another program (/bin/mei_fnv /kvm-base/...).
mapfile -t commands < <(awk '$2 != "skip" { for (i = 3; i <= NF; i++) if ($i ~ /^\/(kvm|kvm-base|bin)\//) print $i }' "${lists[@]}" | sort -u)
need_vmm=
for c in "${commands[@]}"; do [ "$c" = /bin/seavmm ] || [ "$c" = /bin/vmm_bad_args ] && need_vmm=1; done

stamp_key=$(
	{
		tree_state "$src" tools include/uapi arch/arm64/include/uapi scripts/dtc/libfdt
		printf '%s\n' "${commands[@]}"
		find "$top/l1" "$top/vmm" -type f | sort | xargs cat
		[ -z "$need_vmm" ] || sha256sum <"$kbuild/arch/arm64/boot/Image"
		${cross}gcc --version | head -n 1
		sha256sum <"$BUSYBOX_ARM64"
	} | sha256sum | cut -c1-32
)
initramfs=$out/initramfs.cpio
stamp=$initramfs.stamp
if [ -f "$initramfs" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$stamp_key" ]; then
	say "${initramfs#"$top"/} up to date"
	exit 0
fi
mkdir -p "$out"

say "installing uapi headers of ${src#"$top"/}"
make -s -C "$src" O="$kbuild" ARCH=arm64 CROSS_COMPILE=$cross headers_install INSTALL_HDR_PATH="$hdr" >/dev/null

say "building the KVM selftests of ${src#"$top"/}"
make -s -C "$kvm_src" ARCH=arm64 CROSS_COMPILE=$cross \
	CC="ccache ${cross}gcc" OUTPUT="$selftests" KHDR_INCLUDES="-isystem $hdr/include" \
	-j"$(nproc)" >"$selftests.log" 2>&1 || {
	grep -E ' error: |Error [0-9]' "$selftests.log" | head -n 20 >&2
	die "KVM selftests build failed (log: ${selftests#"$top"/}.log); fix: the error above"
}

base_commands=()
for c in "${commands[@]}"; do case "$c" in /kvm-base/*) base_commands+=("$c") ;; esac; done
base_tools=$(dirname "$src")/base-tools
base_selftests=$(dirname "$src")/selftests-base
if [ ${#base_commands[@]} -gt 0 ]; then
	base_commit=$(git -C "$src" rev-parse base)
	if [ "$(cat "$base_tools/.sea-base" 2>/dev/null)" != "$base_commit" ]; then
		say "extracting the base's tools/ to ${base_tools#"$top"/}"
		rm -rf "$base_tools" "$base_selftests"
		mkdir -p "$base_tools"
		git -C "$src" archive --format=tar base tools arch/arm64/tools scripts/subarch.include | tar -x -C "$base_tools"
		echo "$base_commit" >"$base_tools/.sea-base"
	fi
	targets=()
	for c in "${base_commands[@]}"; do
		rel=${c#/kvm-base/}
		targets+=("$base_selftests/${rel/#arm64\//$karch/}")
	done
	say "building the base's own ${base_commands[*]#/kvm-base/}"
	make -s -C "$base_tools/tools/testing/selftests/kvm" ARCH=arm64 CROSS_COMPILE=$cross \
		CC="ccache ${cross}gcc" OUTPUT="$base_selftests" KHDR_INCLUDES="-isystem $hdr/include" \
		-j"$(nproc)" "${targets[@]}" >"$base_selftests.log" 2>&1 || {
		grep -E ' error: |Error [0-9]' "$base_selftests.log" | head -n 20 >&2
		die "building the base's selftests failed (log: ${base_selftests#"$top"/}.log); fix: the error above"
	}
fi

say "building L1 programs"
l1_cflags=(-O2 -g -Wall -Wextra -Wno-unused-parameter -std=gnu99 -D_GNU_SOURCE)
# The flags the selftests Makefile compiles guest code with: no builtins or
# stack protector the guest could not run, no PIE.
kvm_cflags=(-O2 -g -Wall -Wstrict-prototypes -Wuninitialized -std=gnu99 -D_GNU_SOURCE -DCONFIG_64BIT
	-U_FORTIFY_SOURCE -fno-builtin-memcmp -fno-builtin-memcpy -fno-builtin-memset -fno-builtin-strnlen
	-fno-stack-protector -fno-PIE -fno-strict-aliasing
	-I"$src/tools/include" -I"$src/tools/arch/arm64/include" -I"$kvm_src/include" -I"$kvm_src/include/$karch"
	-I"$kvm_src/.." -I"$src/tools/arch/arm64/include/generated" -isystem "$hdr/include")
bin=$out/bin
rm -rf "$bin" && mkdir -p "$bin"
${cross}gcc "${l1_cflags[@]}" -static -o "$bin/init" "$top/l1/init.c"
for c in "${commands[@]}"; do
	case "$c" in /bin/*) ;; *) continue ;; esac
	name=${c#/bin/}
	if [ -f "$top/l1/tools/$name.c" ]; then
		${cross}gcc "${l1_cflags[@]}" -o "$bin/$name" "$top/l1/tools/$name.c" ||
			die "building l1/tools/$name.c failed; fix: the compiler error above"
	elif [ -f "$top/l1/kvm/$name.c" ]; then
		${cross}gcc "${kvm_cflags[@]}" -no-pie -o "$bin/$name" "$top/l1/kvm/$name.c" \
			"$selftests"/lib/*.o "$selftests/lib/$karch"/*.o -pthread ||
			die "building l1/kvm/$name.c against ${src#"$top"/} failed; fix: the compiler error above, or leave the test out of this base's cells"
	elif [ "$name" != seavmm ]; then
		die "a list runs $c, which is not l1/tools/$name.c, l1/kvm/$name.c or the VMM; fix: correct the command in harness/lists/"
	fi
done

root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,etc,lib,kvm/arm64,dev,proc,sys,tmp}
if [ -n "$need_vmm" ]; then
	say "building the reference VMM and its guest (L2)"
	make -s -C "$top/vmm" CROSS_COMPILE=$cross CC="ccache ${cross}gcc" O="$bin" \
		LIBFDT="$src/scripts/dtc/libfdt" KHDR="$hdr/include" ||
		die "building vmm/ against ${src#"$top"/} failed; fix: the compiler error above, or leave the VMM's tests out of this base's cells"
	l2=$out/l2
	rm -rf "$l2" && mkdir -p "$l2"
	mv "$bin/demo-init" "$l2/init"
	mkdir -p "$root/vmm"
	(cd "$l2" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible >"$root/vmm/guest.cpio")
	# The reference VMM boots the same kernel Image as its guest.
	cp "$kbuild/arch/arm64/boot/Image" "$root/vmm/Image"
fi

say "packing ${initramfs#"$top"/}"
cp "$bin/init" "$root/init"
for f in "$bin"/*; do [ "$(basename "$f")" = init ] || cp "$f" "$root/bin/"; done
# /etc/provenance: for each selftest, whether its source is the base tarball's, byte
# for byte, or what the queue made of it; l1/init.c prints it before the test runs.
: >"$root/etc/provenance"
for c in "${commands[@]}"; do
	case "$c" in
	/kvm-base/*)
		rel=${c#/kvm-base/}
		built=$base_selftests/${rel/#arm64\//$karch/}
		[ -f "$built" ] || die "a list runs $c, which the base does not build; fix: correct the command in harness/lists/"
		install -D "$built" "$root/kvm-base/$rel"
		source_file=tools/testing/selftests/kvm/${rel/#arm64\//$karch/}.c
		sha=$(sha256sum <"$base_tools/$source_file" | cut -c1-16)
		echo "$c $source_file sha256:$sha, unmodified: the base's own ($(git -C "$src" config sea.base-version)), built with the base's selftest library" >>"$root/etc/provenance"
		continue
		;;
	/kvm/*) ;;
	*) continue ;;
	esac
	rel=${c#/kvm/}
	built=$selftests/${rel/#arm64\//$karch/}
	[ -f "$built" ] || die "a list runs $c, which ${src#"$top"/} does not build; fix: correct the command or the cells in harness/lists/"
	install -D "$built" "$root/kvm/$rel"
	source_file=tools/testing/selftests/kvm/${rel/#arm64\//$karch/}.c
	sha=$(sha256sum <"$src/$source_file" | cut -c1-16)
	if [ "$(git -C "$src" show "base:$source_file" 2>/dev/null | sha256sum | cut -c1-16)" = "$sha" ]; then
		origin="unmodified: byte-identical to the base source ($(git -C "$src" config sea.base-version))"
	elif git -C "$src" cat-file -e "base:$source_file" 2>/dev/null; then
		origin="changed by the queue (base $(git -C "$src" config sea.base-version))"
	else
		origin="added by the queue (not in base $(git -C "$src" config sea.base-version))"
	fi
	echo "$c $source_file sha256:$sha, $origin" >>"$root/etc/provenance"
done
cp "$BUSYBOX_ARM64" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
for lib in ld-linux-aarch64.so.1 libc.so.6 libm.so.6; do
	cp -L "$sysroot/lib/$lib" "$root/lib/"
done
find "$root/kvm" "$root/bin" -type f -exec ${cross}strip --strip-debug {} + 2>/dev/null || true
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible >"$initramfs")
echo "$stamp_key" >"$stamp"
say "${initramfs#"$top"/} ($(du -h "$initramfs" | cut -f1))"
