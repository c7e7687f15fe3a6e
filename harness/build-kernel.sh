#!/usr/bin/env bash
# Stage: configure and build the arm64 kernel Image of one base, for the emulated
# host (L1) and the reference VMM's guest (L2).
#
#   build-kernel.sh SRC OUT [FLAVOUR]
#
# SRC is a kernel tree (build/BASE/linux, or build/BASE/pristine: the unpatched
# base make bench compares), OUT the build directory. FLAVOUR selects
# linux/config/FLAVOUR.config on top of base.config. Output: OUT/arch/arm64/boot/Image.
# Nothing is rebuilt when the tree, the fragments and the toolchain are unchanged
# (a content stamp, not mtimes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
require_tools aarch64-linux-gnu-gcc ccache make flex bison bc

src=${1:+$(realpath -m "$1")}
out=${2:+$(realpath -m "$2")}
flavour=${3:-}
if ! { [ -n "$src" ] && [ -n "$out" ]; }; then
	die "usage: build-kernel.sh SRC OUT [FLAVOUR]; fix: name the tree and the build directory"
fi
fragments=("$top/linux/config/base.config")
if [ -n "$flavour" ]; then
	[ -f "$top/linux/config/$flavour.config" ] ||
		die "unknown kernel flavour '$flavour'; fix: use one of: $(stems "$top/linux/config" .config | sed 's/\bbase\b *//')"
	fragments+=("$top/linux/config/$flavour.config")
fi
[ -e "$src/.git" ] || die "kernel tree ${src#"$top"/} missing; fix: run 'make trees'"

export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
export KBUILD_BUILD_TIMESTAMP="Sat Jan  1 00:00:00 UTC 2000" KBUILD_BUILD_USER=sea KBUILD_BUILD_HOST=harness
use_ccache
kmake() { make -s -C "$src" O="$out" CC="ccache ${CROSS_COMPILE}gcc" "$@"; }

stamp_key=$(
	{
		tree_state "$src"
		cat "${fragments[@]}"
		aarch64-linux-gnu-gcc --version | head -n 1
	} | sha256sum | cut -c1-32
)
stamp=$out/.sea-stamp
image=$out/arch/arm64/boot/Image
if [ -f "$image" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$stamp_key" ]; then
	say "kernel ${out#"$top"/} up to date"
	exit 0
fi

mkdir -p "$out"
say "configuring ${out#"$top"/}: allnoconfig + ${fragments[*]##*/}"
# merge_config.sh -n: start from allnoconfig, so only what the fragments ask for is built.
(cd "$src" && scripts/kconfig/merge_config.sh -n -O "$out" "${fragments[@]}" >"$out/merge_config.log" 2>&1) ||
	die "merge_config.sh failed (log: ${out#"$top"/}/merge_config.log); fix: check the fragments in linux/config/"
kmake olddefconfig >/dev/null

# Every requested option must have stuck: a dependency that is not met drops it silently.
lost=()
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n) opt=${line%%=*}; grep -q "^$opt=" "$out/.config" && lost+=("$line (is $(grep "^$opt=" "$out/.config"))") ;;
	CONFIG_*=*) grep -qxF "$line" "$out/.config" || lost+=("$line (is $(grep "^${line%%=*}=" "$out/.config" || echo 'not set'))") ;;
	'# CONFIG_'*' is not set') opt=${line#\# }; opt=${opt%% *}; grep -q "^$opt=" "$out/.config" && lost+=("$opt=n (is $(grep "^$opt=" "$out/.config"))") ;;
	esac
done < <(cat "${fragments[@]}")
if [ ${#lost[@]} -gt 0 ]; then
	printf 'error: kernel option did not stick after olddefconfig: %s\n' "${lost[@]}" >&2
	die "requested kernel options were dropped; fix: add the missing dependencies to linux/config/${flavour:-base}.config"
fi

say "building kernel ${out#"$top"/}"
kmake -j"$(nproc)" Image >"$out/build.log" 2>&1 || {
	grep -E ' error: |Error [0-9]' "$out/build.log" | head -n 20 >&2
	die "kernel build failed (log: ${out#"$top"/}/build.log); fix: the error above"
}
echo "$stamp_key" > "$stamp"
say "kernel Image: ${image#"$top"/}"
