#!/usr/bin/env bash
# Stage: build qemu-system-aarch64 from build/qemu (Debian's QEMU with qemu/patches),
# and the qtests named on the command line (harness/matrix.env: QEMU_QTESTS).
#
#   build-qemu.sh [QTEST...]
#
# Output: build/qemu-build/qemu-system-aarch64, build/qemu-build/tests/qtest/QTEST.
# The compiler goes through ccache (named explicitly: meson does not use it here on
# its own); a content stamp skips ninja entirely when nothing changed. QEMU 10 needs meson >= 1.5
# (setup installs it from bookworm-backports as /usr/bin/meson) and Debian's python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
# Debian's python3 and meson, not another python first on PATH.
export PATH=/usr/bin:$PATH
require_tools gcc ninja meson pkg-config ccache

src=$top/build/qemu
out=$top/build/qemu-build
[ -d "$src/.git" ] || die "build/qemu missing; fix: run 'make trees'"

use_ccache
configure_args=(
	--python=/usr/bin/python3
	--cc="ccache gcc"
	--target-list=aarch64-softmmu
	--without-default-features
	--enable-fdt=system
	--disable-install-blobs
	--disable-werror
	--disable-docs
	--disable-tools
	--disable-user
	# The virt board and what it selects, nothing else (the harness's command
	# lines use no -device), and no debug information: 1,426 build steps, a
	# cold build in 6 min 32 s on the 2-core machine (README, costs).
	--without-default-devices
	--with-devices-aarch64=minimal
	--disable-debug-info
)

stamp_key=$(
	{
		tree_state "$src"
		echo "${configure_args[*]}" "$@"
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
qtest_targets=("${@/#/tests/qtest/}")
ninja -C "$out" qemu-system-aarch64 "${qtest_targets[@]}" >"$out/build.log" 2>&1 || {
	grep -E ' error: |FAILED:' "$out/build.log" | head -n 20 >&2
	die "qemu build failed (log: build/qemu-build/build.log); fix: the error above"
}
echo "$stamp_key" > "$stamp"
say "qemu: ${binary#"$top"/}"
