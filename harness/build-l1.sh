#!/usr/bin/env bash
# Stage: the emulated host's (L1) userspace for one kernel base. Cross-builds the
# tree's KVM selftests with its own Makefile, the programs of l1/ that the planned
# cells name (KVM ones against the same selftest library), the reference VMM with
# its guest (L2) if named, and packs them with l1/init.c as PID 1 into OUT/initramfs.cpio.
#
#   build-l1.sh [--tree NAME=SRC]... SRC KBUILD OUT TESTS_LIST...
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
# /kvm-NAME/... and /kvm-NAME-base/... name another tree's selftest (--tree NAME=SRC,
# e.g. mainline's in the lts cells): as its HEAD commits it, and as its base tarball
# has it; both built with that tree's own selftest library and uapi headers.
# /bin/sh is Debian's static busybox for arm64 (build/inputs.env: BUSYBOX_ARM64).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
require_tools aarch64-linux-gnu-gcc cpio make

declare -A other_trees=()
while [ "${1:-}" = --tree ]; do
	[[ "${2:-}" == ?*=?* ]] || die "--tree needs NAME=SRC (got '${2:-}'); fix: name another kernel tree, e.g. --tree mainline=build/mainline/linux"
	other_trees[${2%%=*}]=$(realpath -m "${2#*=}")
	shift 2
done
[ $# -ge 4 ] || die "usage: build-l1.sh [--tree NAME=SRC]... SRC KBUILD OUT TESTS_LIST... (got $# arguments); fix: pass the tree, its build directory, the output directory and the cell lists"
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
use_ccache
# shellcheck disable=SC1091
. "$top/build/inputs.env"
[ -x "${BUSYBOX_ARM64:-}" ] || die "the arm64 busybox is missing; fix: run 'make setup'"

# What the lists run: /kvm/..., /kvm-base/... and /kvm-NAME[-base]/... selftests and
# /bin/... programs of ours. A command's arguments may name another program
# (/bin/mei_fnv /kvm-base/...).
mapfile -t commands < <(awk '$2 != "skip" { for (i = 3; i <= NF; i++) if ($i ~ /^\/(kvm|kvm-[a-z0-9-]+|bin)\//) print $i }' "${lists[@]}" | sort -u)
# archived_builds: "PREFIX REV TREE" for each /kvm-.../ prefix the commands use.
declare -A archived_builds=()
for c in "${commands[@]}"; do
	prefix=${c#/}
	prefix=${prefix%%/*}
	case "$prefix" in
	kvm | bin) continue ;;
	kvm-base) archived_builds[$prefix]="base $src" ;;
	*)
		name=${prefix#kvm-}
		rev=HEAD
		[ "${name%-base}" = "$name" ] || { name=${name%-base} rev=base; }
		[ -n "${other_trees[$name]:-}" ] || die "a list runs $c, but no tree '$name' was given; fix: the pipeline passes --tree $name=build/$name/linux for the bases whose lists name it"
		[ -e "${other_trees[$name]}/.git" ] || die "kernel tree ${other_trees[$name]#"$top"/} missing; fix: run 'make trees'"
		archived_builds[$prefix]="$rev ${other_trees[$name]}"
		;;
	esac
done
need_vmm=
for c in "${commands[@]}"; do [ "$c" = /bin/seavmm ] || [ "$c" = /bin/vmm_bad_args ] && need_vmm=1; done

stamp_key=$(
	{
		tree_state "$src" tools include/uapi arch/arm64/include/uapi scripts/dtc/libfdt
		for prefix in "${!archived_builds[@]}"; do
			read -r rev tree <<<"${archived_builds[$prefix]}"
			echo "$prefix $(git -C "$tree" rev-parse "$rev") $(git -C "$tree" rev-parse HEAD)"
		done | sort
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

# archived_rel DIR REL: REL (arm64/NAME) as the tree extracted in DIR/tools names it
# (6.12's arm64 directory is aarch64/).
archived_rel() {
	if [ -d "$1/tools/tools/testing/selftests/kvm/arm64" ]; then echo "$2"; else echo "${2/#arm64\//aarch64/}"; fi
}

# build_archived PREFIX REV TREE: the selftests the commands name under /PREFIX/, as
# git tree TREE's revision REV has them (library and tests byte for byte), built
# in build/BASE/PREFIX[-TREE]/ against TREE's uapi headers (for the base tarball's: this
# tree's own, which only add to the base's).
build_archived() {
	local prefix=$1 rev=$2 tree=$3 dir commit headers targets=() c
	dir=$(dirname "$src")/$prefix$suffix
	commit=$(git -C "$tree" rev-parse "$rev")
	if [ "$(cat "$dir/tools.commit" 2>/dev/null)" != "$commit" ]; then
		say "extracting ${tree#"$top"/}'s tools/ at $rev to ${dir#"$top"/}"
		rm -rf "$dir"
		mkdir -p "$dir/tools"
		git -C "$tree" archive --format=tar "$commit" tools arch/arm64/tools scripts/subarch.include | tar -x -C "$dir/tools"
		echo "$commit" >"$dir/tools.commit"
	fi
	headers=$hdr
	if [ "$tree" != "$src" ]; then
		headers=$dir/usr
		make -s -C "$tree" O="$dir/headers-build" ARCH=arm64 headers_install INSTALL_HDR_PATH="$headers" >/dev/null
	fi
	for c in "${commands[@]}"; do
		case "$c" in /"$prefix"/*) ;; *) continue ;; esac
		targets+=("$dir/out/$(archived_rel "$dir" "${c#/"$prefix"/}")")
	done
	say "building ${targets[*]#"$dir/out/"} of ${tree#"$top"/} at $rev"
	make -s -C "$dir/tools/tools/testing/selftests/kvm" ARCH=arm64 CROSS_COMPILE=$cross \
		CC="ccache ${cross}gcc" OUTPUT="$dir/out" KHDR_INCLUDES="-isystem $headers/include" \
		-j"$(nproc)" "${targets[@]}" >"$dir/build.log" 2>&1 || {
		grep -E ' error: |Error [0-9]' "$dir/build.log" | head -n 20 >&2
		die "building ${tree#"$top"/}'s selftests at $rev failed (log: ${dir#"$top"/}/build.log); fix: the error above"
	}
}
for prefix in "${!archived_builds[@]}"; do
	# shellcheck disable=SC2086 # REV and TREE, split on purpose
	build_archived "$prefix" ${archived_builds[$prefix]}
done

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
	rm -rf "$l2" && mkdir -p "$l2/bin"
	mv "$bin/demo-init" "$l2/init"
	mv "$bin/seavmm-agent" "$l2/bin/"
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
	/kvm-*/*)
		prefix=${c#/}
		prefix=${prefix%%/*}
		read -r rev tree <<<"${archived_builds[$prefix]}"
		dir=$(dirname "$src")/$prefix$suffix
		rel=${c#/"$prefix"/}
		built=$dir/out/$(archived_rel "$dir" "$rel")
		[ -f "$built" ] || die "a list runs $c, which ${tree#"$top"/} at $rev does not build; fix: correct the command in harness/lists/"
		install -D "$built" "$root/$prefix/$rel"
		source_file=tools/testing/selftests/kvm/$(archived_rel "$dir" "$rel").c
		sha=$(sha256sum <"$dir/tools/$source_file" | cut -c1-16)
		if [ "$rev" = base ]; then
			origin="unmodified: the base's own ($(git -C "$tree" config sea.base-version)), built with the base's selftest library"
		else
			origin="$(basename "$(dirname "$tree")")'s queue at $(git -C "$tree" rev-parse --short HEAD) (base $(git -C "$tree" config sea.base-version)), built with its selftest library and uapi headers"
		fi
		echo "$c $source_file sha256:$sha, $origin" >>"$root/etc/provenance"
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
