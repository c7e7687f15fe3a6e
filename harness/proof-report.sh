#!/usr/bin/env bash
# Stage: the proof table of a kernel queue's fixes (make check-pristine). Reads the
# verdicts of the three columns and harness/lists/proof.expect, prints the table in
# Markdown (docs/proof.md keeps the latest) and exits non-zero when a result is not
# the one expected: a fix whose test passes on the pristine kernel is not a fix.
#
#   proof-report.sh OUTDIR BASE EXPECT
#
# OUTDIR holds base/, base-kernel/ and queue/, each with verdict.txt (verdict.sh's
# output for that column's cells).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

[ $# -eq 3 ] || die "usage: proof-report.sh OUTDIR BASE EXPECT; fix: see harness/pipeline.sh (target pristine)"
out=$1 base=$2 expect=$3
columns=(base base-kernel queue)
for c in "${columns[@]}"; do
	[ -f "$out/$c/verdict.txt" ] || die "no verdict for column $c in ${out#"$top"/}; fix: run 'make check-pristine BASE=$base'"
done
[ -f "$expect" ] || die "${expect#"$top"/} not found; fix: restore it from git"

# result COLUMN CELL TEST: PASS, FAIL, SKIP or "none" (the column did not report it).
result() {
	awk -v cell="$2" -v test="$3" '$2 == cell && $3 == test { r = $1 } END { print r ? r : "none" }' "$out/$1/verdict.txt"
}

# shellcheck disable=SC1091
[ ! -f "$top/build/inputs.env" ] || . "$top/build/inputs.env"
version_var=LINUX_${base}_VERSION_USED
bad=0
echo "Measured $(date -u +%Y-%m-%d) with 'make check-pristine BASE=$base': Linux ${!version_var:-?} (base) and"
echo "linux/$base/ applied (queue), on the emulated RAS platform (QEMU with qemu/patches/, TCG, -cpu max)."
echo
echo "| test | cell | base: 7.1 | base-kernel: 7.1 kernel, queue's tests | queue: 7.1 + queue | proves |"
echo "|---|---|---|---|---|---|"
while read -r test cell want_base want_kernel want_queue what; do
	case "$test" in '' | '#'*) continue ;; esac
	row="| \`$test\` | $cell"
	i=0
	for want in "$want_base" "$want_kernel" "$want_queue"; do
		got=$(result "${columns[i]}" "$cell" "$test")
		if [ "$got" = "$want" ]; then
			row="$row | $got"
		else
			row="$row | **$got** (expected $want)"
			bad=$((bad + 1))
		fi
		i=$((i + 1))
	done
	echo "$row | $what |"
done <"$expect"
echo
if [ "$bad" -gt 0 ]; then
	echo "$bad result(s) differ from ${expect#"$top"/}."
	die "the proof does not hold; fix: read the cells' console.log under ${out#"$top"/}/, then correct the queue or, with the evidence, ${expect#"$top"/}"
fi
echo "Every result is the expected one."
