#!/usr/bin/env bash
# The harness's own bad-input tests, run by make check before the VMs boot: each
# broken invocation must fail with exactly one "error: ... fix: ..." line, exit
# non-zero, and leave nothing changed. Writes a KTAP log and its test list for
# verdict.sh:
#
#   selftest.sh LOG LIST
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

log=${1:?usage: selftest.sh LOG LIST}
list=${2:?usage: selftest.sh LOG LIST}
mkdir -p "$(dirname "$log")"
: > "$log"
: > "$list"
n=0

# expect_error NAME COMMAND...: the command fails with one error line naming a fix.
expect_error() {
	local name=$1 out rc
	shift
	n=$((n + 1))
	echo "harness/$name 1 -" >> "$list"
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$(printf '%s\n' "$out" | grep -c '^error: .*fix: ')" = 1 ]; then
		echo "ok $n harness/$name # time=0.0s" >> "$log"
	else
		printf '# %s\n' "exit $rc, output:" $out >> "$log"
		echo "not ok $n harness/$name # expected one 'error: ... fix: ...' line and a failure" >> "$log"
	fi
}

before=$(git -C "$top" status --porcelain 2>/dev/null | sha256sum)
expect_error unknown_mode env MODES="vhe bogus" "$here/check.sh"
expect_error only_with_space env ONLY="a b" "$here/check.sh"
expect_error only_matches_nothing env ONLY=no-such-test "$here/check.sh"
expect_error unknown_list env LIST=/nonexistent "$here/check.sh"
expect_error unknown_tree "$here/tree.sh" apply bogus
expect_error unknown_tree_action "$here/tree.sh" frobnicate linux
expect_error unknown_flavour "$here/build-kernel.sh" no-such-flavour
expect_error run_vm_unknown_mode "$here/run-vm.sh" bogus /dev/null /tmp/sea-selftest.log
expect_error run_vm_missing_initramfs "$here/run-vm.sh" vhe /nonexistent /tmp/sea-selftest.log
expect_error verdict_missing_list "$here/verdict.sh" /nonexistent
after=$(git -C "$top" status --porcelain 2>/dev/null | sha256sum)

n=$((n + 1))
echo "harness/nothing_changed 1 -" >> "$list"
if [ "$before" = "$after" ]; then
	echo "ok $n harness/nothing_changed # time=0.0s" >> "$log"
else
	echo "not ok $n harness/nothing_changed # the failed invocations changed the work tree" >> "$log"
fi
echo "# sea-platform guest: done" >> "$log"
