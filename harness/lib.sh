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

# require_tools TOOL...: fail with the fix if setup has not run.
require_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || die "'$t' not found; fix: run 'make setup' (or 'make check', which runs it)"
	done
}
