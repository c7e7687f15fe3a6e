#!/usr/bin/env bash
# make check: run the test list once per KVM mode and print the verdict.
#
#   MODES="vhe nvhe"   the KVM modes to run (default: KVM_MODES in platform.env)
#   ONLY=SUBSTRING     run only the tests whose name contains SUBSTRING
#   LIST=FILE          the test list (default: guest/tests.list)
#   FLAVOUR=NAME       the kernel built with linux/config/NAME.config (default: none)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
. "$here/platform.env"

list=${LIST:-$top/guest/tests.list}
[ -f "$list" ] || die "LIST='$list' does not exist; fix: give a test list such as guest/tests.list"
flavour=${FLAVOUR:-}
image=$top/build/kernel${flavour:+-$flavour}/arch/arm64/boot/Image
modes=${MODES:-$KVM_MODES}
only=${ONLY:-}
for m in $modes; do
	case " $KVM_MODES " in *" $m "*) ;; *) die "MODES='$modes' has unknown mode '$m'; fix: MODES must be a subset of '$KVM_MODES'" ;; esac
done
case "$only" in *[[:space:]]*) die "ONLY='$only' contains white space; fix: give one substring of a test name" ;; esac
initramfs=$top/build/initramfs-$(basename "$list" .list).cpio
logs=$top/build/logs
run_list=$list
if [ -n "$only" ]; then
	run_list=$logs/only.list
	mkdir -p "$logs"
	awk -v o="$only" '/^[[:space:]]*#/ || NF == 0 || index($1, o)' "$list" > "$run_list"
	grep -qE '^[[:space:]]*[^#[:space:]]' "$run_list" || die "ONLY='$only' matches no test in ${list#$top/}; fix: use part of a name listed there"
fi

# The harness's own bad-input tests come first (they take a second); they
# run check.sh themselves, with SEA_IN_SELFTEST set so that it goes no deeper.
results=()
if [ -z "${SEA_IN_SELFTEST:-}" ]; then
	SEA_IN_SELFTEST=1 "$here/selftest.sh" "$logs/selftest.log" "$logs/selftest.list"
	results=("host=$logs/selftest.log@$logs/selftest.list")
fi
vm_failed=0
for m in $modes; do
	log=$logs/check${flavour:+-$flavour}-$m.log
	rm -f "$log"
	"$here/run-vm.sh" "$m" "$initramfs" "$log" "$image" "${only:+sea.only=$only}" || vm_failed=1
	results+=("$m=$log")
done
"$here/verdict.sh" "$run_list" "${results[@]}" || exit 1
exit $vm_failed
