#!/usr/bin/env bash
# Stage: run QEMU's own tests of the emulated RAS platform (qtests of qemu/patches,
# built by build-qemu.sh) on the build machine, and write the results as a cell
# that verdict.sh reads like any other: one KTAP line per qtest binary, its TAP
# output behind "# ".
#
#   run-qtests.sh OUTDIR QTEST...      writes OUTDIR/{cell.env,tests.list,console.log,run.status}
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

[ $# -ge 2 ] || die "usage: run-qtests.sh OUTDIR QTEST... (got $# arguments); fix: name the output directory and the qtests (QEMU_QTESTS in harness/matrix.env)"
out=$1
shift
build=$top/build/qemu-build
qemu=$build/qemu-system-aarch64
[ -x "$qemu" ] || die "${qemu#"$top"/} missing; fix: run 'make qemu'"
rm -rf "$out" && mkdir -p "$out"
printf 'CELL=qemu\n' >"$out/cell.env"
log=$out/console.log
echo "KTAP version 1" >"$log"
: >"$out/tests.list"
n=0
for t in "$@"; do
	n=$((n + 1))
	bin=$build/tests/qtest/$t
	echo "qtest/$t 120 $bin" >>"$out/tests.list"
	if [ ! -x "$bin" ]; then
		echo "not ok $n qtest/$t # not built (build-qemu.sh builds QEMU_QTESTS)" >>"$log"
		continue
	fi
	start=$(date +%s.%N)
	QTEST_QEMU_BINARY=$qemu timeout --kill-after=10 120 "$bin" --tap -k >"$out/$t.tap" 2>&1
	rc=$?
	sed 's/^/# /' "$out/$t.tap" >>"$log"
	seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
	case $rc in
	0) echo "ok $n qtest/$t # time=${seconds}s" >>"$log" ;;
	124 | 137) echo "not ok $n qtest/$t # TIMEOUT after 120s" >>"$log" ;;
	*) echo "not ok $n qtest/$t # exit=$rc" >>"$log" ;;
	esac
done
echo ok >"$out/run.status"
