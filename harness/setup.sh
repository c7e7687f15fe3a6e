#!/usr/bin/env bash
# Stage: install what the build machine needs from Debian's archive and fetch the
# pinned sources (harness/pins.env). Idempotent: a second run with nothing changed
# makes no network request. Writes the inputs actually used to build/inputs.env.
#
#   setup.sh BASE...        the kernel bases to fetch (mainline, lts)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
. "$here/pins.env"

[ $# -gt 0 ] || die "setup.sh needs the kernel bases to fetch; fix: setup.sh mainline lts"
for base in "$@"; do
	pkg_var=LINUX_${base}_PACKAGE
	[ -n "${!pkg_var:-}" ] || die "no pins for kernel base '$base'; fix: add LINUX_${base}_* to harness/pins.env"
done

build=$top/build
downloads=$build/downloads
mkdir -p "$downloads"

[ "$(id -u)" = 0 ] || die "setup needs root to run apt-get; fix: run make as root (or with sudo)"
command -v apt-get >/dev/null || die "apt-get not found; fix: run on Debian bookworm amd64 (the supported build machine)"

apt_file=/etc/apt/sources.list.d/sea-platform.sources
apt_want=$(
	echo "# Written by sea-platform harness/setup.sh: the suites harness/pins.env names."
	printf '\nTypes: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$APT_SOURCE_SUITES"
	printf '\nTypes: deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$APT_SECURITY_SUITES"
	printf '\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$APT_BINARY_SUITES"
)

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	say "apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed; fix: check that the Debian archive is reachable, then re-run"
	apt_updated=1
}
apt_install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The file of an earlier harness version lists a subset of these suites.
rm -f /etc/apt/sources.list.d/sea-platform-deb-src.sources
if [ ! -f "$apt_file" ] || [ "$(cat "$apt_file")" != "$apt_want" ]; then
	printf '%s\n' "$apt_want" > "$apt_file"
	apt_update
fi

installed_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | awk '/install ok installed/ {print $4}' || true
}

# shellcheck disable=SC2086
missing=$(missing_packages $TOOLCHAIN_PACKAGES)
if [ -n "$missing" ]; then
	apt_update
	say "installing:$missing"
	# shellcheck disable=SC2086
	apt_install $missing || die "apt-get install failed for:$missing; fix: check TOOLCHAIN_PACKAGES in harness/pins.env, then re-run"
fi

meson_ok() {
	local v
	v=$(/usr/bin/meson --version 2>/dev/null) || return 1
	[ "$(printf '%s\n%s\n' "$MESON_MIN_VERSION" "$v" | sort -V | head -n 1)" = "$MESON_MIN_VERSION" ]
}
if ! meson_ok; then
	apt_update
	say "installing meson from $MESON_RELEASE"
	apt_install -t "$MESON_RELEASE" meson ||
		die "could not install meson from $MESON_RELEASE; fix: check MESON_RELEASE in harness/pins.env and $apt_file"
	meson_ok || die "meson $(/usr/bin/meson --version 2>/dev/null || echo missing) is older than $MESON_MIN_VERSION, which QEMU $QEMU_SOURCE_SERIES needs; fix: install meson >= $MESON_MIN_VERSION from $MESON_RELEASE"
fi

# candidates PKG SERIES KIND: the archive's versions of PKG in SERIES, newest first.
# KIND is Sources or Packages (apt-cache madison's last column).
candidates() {
	local pkg=$1 series=$2 kind=$3 out
	out=$(apt-cache madison "$pkg" 2>/dev/null | awk -v k="$kind" '$NF == k {print $3}' | sort -u)
	if [ -z "$out" ]; then
		apt_update
		out=$(apt-cache madison "$pkg" 2>/dev/null | awk -v k="$kind" '$NF == k {print $3}' | sort -u)
	fi
	printf '%s\n' "$out" | grep -E "^([0-9]+:)?${series//./\\.}[.+~-]" | sort -rV || true
}

loud_fallback() {
	{
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
		echo "!!! PINNED $1 $2 IS NOT IN THE ARCHIVE'S POOL"
		echo "!!! USING THE NEWEST OF SERIES $3 THAT FETCHES: $4"
		echo "!!! update harness/pins.env once the queues are verified on it"
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
	} >&2
}

# fetch_with_fallback PKG PINNED SERIES KIND GETTER [USED]: run "GETTER PKG VERSION"
# for the pinned version, then for the series' versions newest first, until one
# succeeds. A fallback an earlier run fetched (USED, from build/inputs.env) is taken
# again without asking the archive. Prints the version that worked.
fetch_with_fallback() {
	local pkg=$1 pinned=$2 series=$3 kind=$4 getter=$5 used=${6:-} v
	if [ -n "$used" ] && [ "$used" != "$pinned" ] && "$getter" "$pkg" "$used"; then
		loud_fallback "$pkg" "$pinned" "$series" "$used"
		echo "$used"
		return
	fi
	if "$getter" "$pkg" "$pinned"; then
		echo "$pinned"
		return
	fi
	apt_update
	for v in $(candidates "$pkg" "$series" "$kind"); do
		[ "$v" = "$pinned" ] && continue
		if "$getter" "$pkg" "$v"; then
			loud_fallback "$pkg" "$pinned" "$series" "$v"
			echo "$v"
			return
		fi
	done
	die "no version of $pkg in series $series fetches from the archive (pinned: $pinned); fix: update harness/pins.env to a version the archive serves"
}

# Getters: each succeeds at once, without the network, if it already has the version.
get_binary() {
	[ "$(installed_version "$1")" = "$2" ] && return 0
	say "installing $1=$2"
	apt_update
	apt_install --allow-downgrades "$1=$2" 2>/dev/null
}
# get_orig PKG VERSION: only the pristine upstream tarball is needed (apt checks its
# hash against the Sources index); the pool sometimes serves it without the .dsc.
get_orig() {
	local orig upstream=${2#*:}
	orig=$downloads/${1}_${upstream%-*}.orig.tar.xz
	[ -f "$orig" ] && return 0
	say "fetching the orig tarball of source $1=$2"
	apt_update
	(cd "$downloads" && apt-get source -qq -o APT::Sandbox::User=root --download-only "$1=$2" >/dev/null 2>&1) || true
	[ -f "$orig" ]
}
get_source() {
	local dsc
	dsc=$downloads/${1}_${2#*:}.dsc
	[ -f "$dsc" ] && return 0
	say "fetching source $1=$2"
	apt_update
	(cd "$downloads" && apt-get source -qq -o APT::Sandbox::User=root --download-only "$1=$2" >/dev/null 2>&1)
}

# The arm64 busybox: an apt of its own (lists, cache, sources) under build/downloads.
arm64_apt=$downloads/apt-arm64
arm64_apt_opts=(-o "Dir::State::Lists=$arm64_apt/lists" -o "Dir::Cache=$arm64_apt/cache"
	-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$arm64_apt/sources.list.d"
	-o Dir::State::status=/dev/null -o APT::Architecture=arm64 -o APT::Architectures=arm64
	-o APT::Sandbox::User=root)
arm64_apt_updated=
get_arm64() {
	local deb dir=$downloads/$1-arm64-${2#*:}
	[ -x "$dir/bin/busybox" ] && return 0
	if [ -z "$arm64_apt_updated" ]; then
		mkdir -p "$arm64_apt"/{lists/partial,cache/archives/partial,sources.list.d}
		printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nArchitectures: arm64\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"$BUSYBOX_SUITE" >"$arm64_apt/sources.list.d/arm64.sources"
		say "apt-get update (arm64 lists for $1, under build/downloads)"
		apt-get "${arm64_apt_opts[@]}" update -qq ||
			die "apt-get update for arm64 failed; fix: check that the Debian archive is reachable, then re-run"
		arm64_apt_updated=1
	fi
	say "fetching $1:arm64=$2"
	(cd "$arm64_apt" && rm -f ./*.deb && apt-get "${arm64_apt_opts[@]}" download -qq "$1=$2" >/dev/null 2>&1) || return 1
	deb=$(ls "$arm64_apt"/*.deb)
	rm -rf "$dir.tmp" && dpkg-deb -x "$deb" "$dir.tmp" && mv "$dir.tmp" "$dir"
}
# candidates needs the arm64 lists for busybox: look there, not in the build machine's apt.
arm64_candidates() { apt-cache "${arm64_apt_opts[@]}" madison "$1" 2>/dev/null | awk '{print $3}' | grep -E "^([0-9]+:)?${2//./\\.}[.+~-]" | sort -rV || true; }

# What an earlier run used (a fallback is kept, without asking the archive again).
used_of() { sed -n "s/^$1=//p" "$build/inputs.env" 2>/dev/null || true; }

inputs=()
for base in "$@"; do
	pkg_var=LINUX_${base}_PACKAGE ver_var=LINUX_${base}_VERSION series_var=LINUX_${base}_SERIES
	pkg=${!pkg_var} pinned=${!ver_var} series=${!series_var}
	case "$pkg" in
	linux-source-*)
		version=$(fetch_with_fallback "$pkg" "$pinned" "$series" Packages get_binary "$(used_of "LINUX_${base}_VERSION_USED")")
		tarball=/usr/src/$pkg.tar.xz
		;;
	*)
		version=$(fetch_with_fallback "$pkg" "$pinned" "$series" Sources get_orig "$(used_of "LINUX_${base}_VERSION_USED")")
		upstream=${version#*:}
		upstream=${upstream%-*}
		tarball=$downloads/${pkg}_${upstream}.orig.tar.xz
		;;
	esac
	[ -f "$tarball" ] || die "$tarball missing after fetching $pkg=$version; fix: remove build/downloads/${pkg}_* and re-run"
	inputs+=("LINUX_${base}_VERSION_USED=$version" "LINUX_${base}_TARBALL=$tarball")
done

qemu_version=$(fetch_with_fallback "$QEMU_SOURCE_PACKAGE" "$QEMU_SOURCE_VERSION" "$QEMU_SOURCE_SERIES" Sources get_source "$(used_of QEMU_VERSION_USED)")
# shellcheck disable=SC2153 # FIRMWARE_VERSION is a pin, firmware_version the one used
firmware_version=$(fetch_with_fallback "$FIRMWARE_PACKAGE" "$FIRMWARE_VERSION" "$FIRMWARE_SERIES" Packages get_binary "$(used_of FIRMWARE_VERSION_USED)")
firmware_code=/usr/share/AAVMF/AAVMF_CODE.fd
firmware_vars=/usr/share/AAVMF/AAVMF_VARS.fd
for f in "$firmware_code" "$firmware_vars"; do
	[ -f "$f" ] || die "UEFI firmware $f missing after installing $FIRMWARE_PACKAGE; fix: apt-get install --reinstall $FIRMWARE_PACKAGE"
done
# shellcheck disable=SC2153 # BUSYBOX_VERSION is a pin, busybox_version the one used
if get_arm64 "$BUSYBOX_PACKAGE" "$BUSYBOX_VERSION"; then
	busybox_version=$BUSYBOX_VERSION
else
	busybox_version=
	for v in $(arm64_candidates "$BUSYBOX_PACKAGE" "$BUSYBOX_SERIES"); do
		if get_arm64 "$BUSYBOX_PACKAGE" "$v"; then
			loud_fallback "$BUSYBOX_PACKAGE:arm64" "$BUSYBOX_VERSION" "$BUSYBOX_SERIES" "$v"
			busybox_version=$v
			break
		fi
	done
	[ -n "$busybox_version" ] || die "no $BUSYBOX_PACKAGE:arm64 of series $BUSYBOX_SERIES fetches (pinned: $BUSYBOX_VERSION); fix: update BUSYBOX_* in harness/pins.env"
fi
inputs+=("BUSYBOX_VERSION_USED=$busybox_version" "BUSYBOX_ARM64=$downloads/$BUSYBOX_PACKAGE-arm64-${busybox_version#*:}/bin/busybox")
inputs+=("QEMU_VERSION_USED=$qemu_version" "QEMU_DSC=$downloads/${QEMU_SOURCE_PACKAGE}_${qemu_version#*:}.dsc"
	"FIRMWARE_VERSION_USED=$firmware_version" "FIRMWARE_CODE=$firmware_code" "FIRMWARE_VARS=$firmware_vars")

# Merge into build/inputs.env (other bases' lines stay); only touch it when it changes.
new=$build/inputs.env.new
{
	[ -f "$build/inputs.env" ] && cat "$build/inputs.env"
	printf '%s\n' "${inputs[@]}"
} | awk -F= '{v[$1] = $0; if (!($1 in seen)) {seen[$1] = 1; k[n++] = $1}} END {for (i = 0; i < n; i++) print v[k[i]]}' > "$new"
if cmp -s "$new" "$build/inputs.env"; then
	rm -f "$new"
else
	mv "$new" "$build/inputs.env"
fi
say "inputs: $(printf '%s ' "${inputs[@]}" | tr ' ' '\n' | grep _USED= | tr '\n' ' ')"
