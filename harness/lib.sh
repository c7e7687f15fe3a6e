# shellcheck shell=bash
# Shared helpers for the harness scripts (sourced, not run).

say() { printf '[harness] %s\n' "$*" >&2; }

# die MESSAGE: one line naming the cause and the fix, then a non-zero exit.
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# missing_packages PKG...: print the packages that are not installed.
missing_packages() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || printf ' %s' "$p"
	done
}

# stems DIR SUFFIX: the names of DIR's files ending in SUFFIX, without it, on one line.
stems() {
	local f out=()
	for f in "$1"/*"$2"; do
		[ -e "$f" ] && out+=("$(basename "$f" "$2")")
	done
	echo "${out[*]}"
}

# tree_state DIR [PATH...]: what a build of git tree DIR depends on, for a stamp:
# its HEAD, uncommitted changes and untracked files (under PATHs, if given).
tree_state() {
	local dir=$1
	shift
	git -C "$dir" rev-parse HEAD
	git -C "$dir" diff HEAD -- "$@"
	git -C "$dir" ls-files -z --others --exclude-standard -- "$@" | (cd "$dir" && xargs -0 -r sha256sum)
}

# use_ccache: the compiler cache settings of every build stage (kernel, L1 programs,
# QEMU). Depend mode takes the headers a file used from the compiler's own -MD
# output, instead of running the preprocessor a second time to hash its result:
# measured on the mainline kernel's kernel/ and mm/ (make -j2, an empty cache),
# plain gcc 114-137 s, ccache's default mode 188 s, depend mode 123-146 s, and a
# rebuild from the cache 10 s in depend mode.
use_ccache() {
	local top
	top=$(dirname "$(dirname "$(realpath "${BASH_SOURCE[0]}")")")
	export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1 CCACHE_COMPILERCHECK=content CCACHE_DEPEND=1
}

# require_tools TOOL...: fail with the fix if setup has not run.
require_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || die "'$t' not found; fix: run 'make setup' (or 'make check', which runs it)"
	done
}

# The results of cells that passed, by the hash of everything their boot depends on
# (run-vm.sh --reuse computes it into CELLDIR/run.key): make check with nothing
# changed reuses them instead of booting again. RERUN=1 boots every cell.
results_dir() { echo "$(dirname "$(dirname "$(realpath "${BASH_SOURCE[0]}")")")/build/results"; }

# result_fetch KEY CELLDIR: copy a stored passing result into CELLDIR; fails if none.
result_fetch() {
	local entry
	entry=$(results_dir)/$1
	[ -f "$entry/console.log" ] && [ "$(cat "$entry/run.status" 2>/dev/null)" = ok ] || return 1
	cp "$entry/console.log" "$entry/run.status" "$2/"
	touch "$entry"
}

# result_store CELLDIR: keep CELLDIR's result under its run.key; the 64 newest stay.
result_store() {
	local dir=$1 store key
	store=$(results_dir)
	key=$(cat "$dir/run.key")
	mkdir -p "$store"
	rm -rf "$store/$key.new"
	mkdir "$store/$key.new"
	cp "$dir/console.log" "$dir/run.status" "$store/$key.new/"
	rm -rf "${store:?}/$key"
	mv "$store/$key.new" "$store/$key"
	find "$store" -mindepth 1 -maxdepth 1 -type d -printf '%T@ %p\n' | sort -rn | tail -n +65 | cut -d' ' -f2- | xargs -r rm -rf
}
