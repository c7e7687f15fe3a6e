#!/usr/bin/env bash
# Stage 3b: build qemu-system-aarch64 from build/qemu (Debian's 7.2 with qemu/patches).
# Output: build/qemu-build/qemu-system-aarch64. Meson picks up ccache by itself; a
# content stamp skips ninja entirely when nothing changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
require_tools gcc ninja meson pkg-config ccache

src=$top/build/qemu
out=$top/build/qemu-build
[ -d "$src/.git" ] || die "build/qemu missing; fix: run 'make qemu-tree'"

export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
configure_args=(
	--target-list=aarch64-softmmu
	--without-default-features
	--enable-fdt=system
	--disable-install-blobs
	--disable-werror
	--disable-docs
	--disable-tools
	--disable-user
)

stamp_key=$(
	{
		git -C "$src" rev-parse HEAD
		git -C "$src" diff HEAD
		echo "${configure_args[*]}"
		gcc --version | head -n 1
	} | sha256sum | cut -c1-32
)
stamp=$out/.sea-stamp
binary=$out/qemu-system-aarch64
if [ -x "$binary" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$stamp_key" ]; then
	say "qemu up to date"
	exit 0
fi

if [ ! -f "$out/build.ninja" ] || [ "$(cat "$out/.sea-configured" 2>/dev/null)" != "${configure_args[*]}" ]; then
	rm -rf "$out" && mkdir -p "$out"
	say "configuring qemu"
	(cd "$out" && "$src/configure" "${configure_args[@]}" >"$out/configure.log" 2>&1) ||
		die "qemu configure failed (log: build/qemu-build/configure.log); fix: install the missing dependency it names, via TOOLCHAIN_PACKAGES in harness/pins.env"
	echo "${configure_args[*]}" > "$out/.sea-configured"
fi
say "building qemu-system-aarch64"
ninja -C "$out" qemu-system-aarch64 >"$out/build.log" 2>&1 || {
	grep -E ' error: |FAILED:' "$out/build.log" | head -n 20 >&2
	die "qemu build failed (log: build/qemu-build/build.log); fix: the error above"
}
echo "$stamp_key" > "$stamp"
say "qemu: ${binary#$top/}"
