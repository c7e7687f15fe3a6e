#!/usr/bin/env bash
# Stage 1: install what the project needs from Debian's archive, and fetch the two
# base sources (Linux 6.12, QEMU 7.2). Idempotent: a second run with nothing changed
# makes no network request. Writes the versions actually used to build/inputs.env.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
. "$here/pins.env"

build=$top/build
downloads=$build/downloads
mkdir -p "$downloads"

[ "$(id -u)" = 0 ] || die "setup needs root to run apt-get; fix: run 'make check' as root (or with sudo)"
command -v apt-get >/dev/null || die "apt-get not found; fix: run on Debian bookworm (the only supported build host)"

deb_src_file=/etc/apt/sources.list.d/sea-platform-deb-src.sources
deb_src_want=$(cat <<'EOF'
# Written by sea-platform harness/setup.sh: source packages for 'apt-get source qemu'.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
)

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	say "apt-get update"
	apt-get update -qq || die "apt-get update failed; fix: check that the Debian archive is reachable, then re-run"
	apt_updated=1
}

if [ ! -f "$deb_src_file" ] || [ "$(cat "$deb_src_file")" != "$deb_src_want" ]; then
	printf '%s\n' "$deb_src_want" > "$deb_src_file"
	apt_update
fi

# shellcheck disable=SC2086
missing=$(missing_packages $TOOLCHAIN_PACKAGES)
if [ -n "$missing" ]; then
	apt_update
	say "installing:$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		die "apt-get install failed for:$missing; fix: check the package names in harness/pins.env, then re-run"
fi

# pick_version PKG PINNED SERIES_REGEX KIND: print PINNED if the archive has it,
# else the newest version matching the series, loudly.
pick_version() {
	local pkg=$1 pinned=$2 series=$3 kind=$4 avail newest
	avail=$(apt-cache madison "$pkg" 2>/dev/null | awk -v k="$kind" '$0 ~ k {print $3}' | sort -u)
	if [ -z "$avail" ]; then
		apt_update
		avail=$(apt-cache madison "$pkg" 2>/dev/null | awk -v k="$kind" '$0 ~ k {print $3}' | sort -u)
	fi
	if printf '%s\n' "$avail" | grep -qxF "$pinned"; then
		echo "$pinned"
		return
	fi
	newest=$(printf '%s\n' "$avail" | grep -E "$series" | sort -V | tail -n 1)
	[ -n "$newest" ] || die "no $pkg $kind version matching '$series' in the archive; fix: update harness/pins.env"
	{
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
		echo "!!! PINNED $pkg $pinned HAS LEFT THE ARCHIVE"
		echo "!!! USING THE NEWEST AVAILABLE: $newest"
		echo "!!! update harness/pins.env once the queues are verified on it"
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	} >&2
	echo "$newest"
}

installed_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | awk '/install ok installed/ {print $4}' || true
}

linux_version=$(installed_version "$LINUX_SOURCE_PACKAGE")
if [ "$linux_version" != "$LINUX_SOURCE_VERSION" ]; then
	want=$(pick_version "$LINUX_SOURCE_PACKAGE" "$LINUX_SOURCE_VERSION" "^${LINUX_SOURCE_SERIES//./\\.}\." Packages)
	if [ "$linux_version" != "$want" ]; then
		apt_update
		say "installing $LINUX_SOURCE_PACKAGE=$want"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"$LINUX_SOURCE_PACKAGE=$want" >/dev/null ||
			die "could not install $LINUX_SOURCE_PACKAGE=$want; fix: check harness/pins.env, then re-run"
		linux_version=$want
	fi
fi
linux_tarball=/usr/src/$LINUX_SOURCE_PACKAGE.tar.xz
[ -f "$linux_tarball" ] || die "$linux_tarball missing after install; fix: apt-get install --reinstall $LINUX_SOURCE_PACKAGE"

# The qemu source is fetched into build/downloads; a .dsc already there is reused.
qemu_dsc=$(ls "$downloads"/qemu_*.dsc 2>/dev/null | sort -V | tail -n 1 || true)
qemu_pinned_dsc=$downloads/qemu_${QEMU_SOURCE_VERSION#*:}.dsc
if [ -f "$qemu_pinned_dsc" ]; then
	qemu_dsc=$qemu_pinned_dsc
	qemu_version=$QEMU_SOURCE_VERSION
else
	qemu_version=$(pick_version "$QEMU_SOURCE_PACKAGE" "$QEMU_SOURCE_VERSION" "^1:${QEMU_SOURCE_SERIES//./\\.}[+.]" Sources)
	qemu_dsc=$downloads/qemu_${qemu_version#*:}.dsc
	if [ ! -f "$qemu_dsc" ]; then
		say "fetching source $QEMU_SOURCE_PACKAGE=$qemu_version"
		(cd "$downloads" && apt-get source -qq -o APT::Sandbox::User=root --download-only "$QEMU_SOURCE_PACKAGE=$qemu_version" >/dev/null) ||
			die "apt-get source $QEMU_SOURCE_PACKAGE=$qemu_version failed; fix: check deb-src in $deb_src_file and the archive, then re-run"
	fi
fi

cat > "$build/inputs.env.new" <<EOF
LINUX_VERSION_USED=$linux_version
LINUX_TARBALL=$linux_tarball
QEMU_VERSION_USED=$qemu_version
QEMU_DSC=$qemu_dsc
EOF
# Only touch inputs.env when it changes, so make sees nothing new on a warm run.
if ! cmp -s "$build/inputs.env.new" "$build/inputs.env"; then
	mv "$build/inputs.env.new" "$build/inputs.env"
else
	rm -f "$build/inputs.env.new"
fi
say "inputs: linux $linux_version, qemu $qemu_version"
