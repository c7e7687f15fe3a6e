#!/usr/bin/env bash
# Stage of make check-bisect: every patch of a kernel queue builds on its own,
# kernel Image and KVM selftests, in a worktree of the base's tree (the tree
# itself is not touched).
#
#   check-bisect.sh SRC KBUILD      SRC: build/BASE/linux, KBUILD: its configured kernel
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
require_tools aarch64-linux-gnu-gcc ccache

[ $# -eq 2 ] || die "usage: check-bisect.sh SRC KBUILD (got $# arguments); fix: make check-bisect BASE=mainline|lts"
src=$(realpath -m "$1") kbuild=$(realpath -m "$2")
work=$(dirname "$src")/bisect
[ -d "$src/.git" ] || die "kernel tree ${src#"$top"/} missing; fix: run 'make trees'"
[ -f "$kbuild/.config" ] || die "no kernel config in ${kbuild#"$top"/}; fix: run 'make kernels'"
export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
use_ccache
export KBUILD_BUILD_TIMESTAMP="Sat Jan  1 00:00:00 UTC 2000" KBUILD_BUILD_USER=sea KBUILD_BUILD_HOST=harness

git -C "$src" worktree remove --force "$work/tree" 2>/dev/null || true
rm -rf "$work" && mkdir -p "$work/kernel"
git -C "$src" worktree add -q --detach "$work/tree" base
cp "$kbuild/.config" "$work/kernel/.config"

failed=0
[ -n "$(git -C "$src" rev-list base..HEAD)" ] || say "${src#"$top"/} carries no patch: nothing to bisect"
for commit in $(git -C "$src" rev-list --reverse base..HEAD); do
	subject=$(git -C "$src" log -1 --format=%s "$commit")
	git -C "$work/tree" checkout -q "$commit"
	log=$work/$(git -C "$src" rev-parse --short "$commit").log
	if make -s -C "$work/tree" O="$work/kernel" CC="ccache ${CROSS_COMPILE}gcc" olddefconfig Image -j"$(nproc)" >"$log" 2>&1 &&
		make -s -C "$work/tree" O="$work/kernel" headers_install INSTALL_HDR_PATH="$work/usr" >>"$log" 2>&1 &&
		make -s -C "$work/tree/tools/testing/selftests/kvm" CC="ccache ${CROSS_COMPILE}gcc" \
			OUTPUT="$work/selftests" KHDR_INCLUDES="-isystem $work/usr/include" -j"$(nproc)" >>"$log" 2>&1; then
		printf 'PASS  builds  %s\n' "$subject"
	else
		printf 'FAIL  builds  %s (log: %s)\n' "$subject" "${log#"$top"/}"
		failed=1
	fi
done
git -C "$src" worktree remove --force "$work/tree"
exit $failed
