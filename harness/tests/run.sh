#!/usr/bin/env bash
# The harness's own tests, run first by make check (and alone by make check-harness):
#   verdict/NAME   verdict.sh on a captured cell (harness/tests/verdict/NAME/) prints
#                  exactly NAME/expected (its last line: "exit N")
#   bad-input/NAME a broken invocation of a stage fails with exactly one
#                  "error: ... fix: ..." line, and the run changes nothing
#   lint           shellcheck finds nothing in the harness scripts and .ci/run
# The results are written as a cell that verdict.sh reads like any other:
#
#   run.sh OUTDIR      writes OUTDIR/{cell.env,tests.list,console.log,run.status}
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
harness=$(dirname "$here")
top=$(dirname "$harness")

out=${1:?usage: run.sh OUTDIR}
rm -rf "$out" && mkdir -p "$out"
printf 'CELL=harness\n' >"$out/cell.env"
log=$out/console.log
list=$out/tests.list
scratch=$out/scratch
mkdir -p "$scratch"
n=0
echo "KTAP version 1" >"$log"
: >"$list"

# result NAME OK DETAIL: one KTAP line (DETAIL explains a failure).
result() {
	n=$((n + 1))
	echo "$1 1 -" >>"$list"
	if [ "$2" = 1 ]; then
		echo "ok $n $1 # time=0.0s" >>"$log"
	else
		echo "not ok $n $1 # $3" >>"$log"
	fi
}

for fixture in "$here"/verdict/*/; do
	name=$(basename "$fixture")
	got=$("$harness/verdict.sh" "$fixture" 2>&1)
	got=$(printf '%s\nexit %s' "$got" "$?")
	if [ "$got" = "$(cat "$fixture/expected")" ]; then
		result "verdict/$name" 1
	else
		diff <(printf '%s\n' "$got") "$fixture/expected" | sed 's/^/# /' >>"$log"
		result "verdict/$name" 0 "output differs from harness/tests/verdict/$name/expected"
	fi
done

# expect_error NAME COMMAND...: fails, with one error line that names a fix.
expect_error() {
	local name=$1 err rc
	shift
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$(printf '%s\n' "$err" | grep -c .)" = 1 ] &&
		printf '%s\n' "$err" | grep -q '^error: .*; fix: '; then
		result "bad-input/$name" 1
	else
		printf '# exit %s, stderr:\n' "$rc" >>"$log"
		printf '%s\n' "$err" | head -n 5 | sed 's/^/#   /' >>"$log"
		result "bad-input/$name" 0 "expected a failure with one 'error: ...; fix: ...' line"
	fi
}

# What a failed invocation must leave alone: the work tree, build/'s layout, the
# earlier runs' outputs and the recorded inputs (builds may go on beside it).
snapshot() {
	git -C "$top" status --porcelain --untracked-files=all -- harness linux qemu l1 vmm 2>/dev/null
	find "$top/build" -maxdepth 1 2>/dev/null | sort
	find "$top/build/runs" -maxdepth 2 -not -path "$out*" 2>/dev/null | sort
	sha256sum "$top/build/inputs.env" 2>/dev/null
}
before=$(snapshot)
plan=$scratch/plan
expect_error plan-unknown-base "$harness/plan.sh" "$plan" check "lts bogus" "" "" ""
expect_error plan-unknown-mode "$harness/plan.sh" "$plan" check "" "vhe hyp" "" ""
expect_error plan-unknown-profile "$harness/plan.sh" "$plan" check "" "" "uefi" ""
expect_error plan-unknown-list "$harness/plan.sh" "$plan" no-such-list "" "" "" ""
expect_error plan-missing-list-file "$harness/plan.sh" "$plan" /nonexistent/x.list "" "" "" ""
expect_error plan-only-with-space "$harness/plan.sh" "$plan" check "" "" "" "a b"
expect_error plan-only-matches-nothing "$harness/plan.sh" "$plan" check "" "" "" no-such-test
expect_error plan-no-cell "$harness/plan.sh" "$plan" check lts nested "" ""
expect_error plan-wrong-arity "$harness/plan.sh" "$plan" check
printf 'x/y 0 */*/* /bin/true\n' >"$scratch/zero.list"
expect_error plan-zero-timeout "$harness/plan.sh" "$plan" "$scratch/zero.list" "" "" "" ""
printf 'x/y skip */*/*\n' >"$scratch/noreason.list"
expect_error plan-skip-without-reason "$harness/plan.sh" "$plan" "$scratch/noreason.list" "" "" "" ""
printf 'x/y 10? */*/* /bin/true\n' >"$scratch/flag.list"
expect_error plan-unknown-timeout-flag "$harness/plan.sh" "$plan" "$scratch/flag.list" "" "" "" ""
printf 'x/y 10 */nvhe/td /bin/true\n' >"$scratch/typo.list"
expect_error plan-cells-match-nothing "$harness/plan.sh" "$plan" "$scratch/typo.list" "" "" "" ""
printf 'x/y 10 everywhere /bin/true\n' >"$scratch/cells.list"
expect_error plan-bad-cells "$harness/plan.sh" "$plan" "$scratch/cells.list" "" "" "" ""
printf 'x/y 10 */*/* /bin/true\nx/y skip lts/*/* twice\n' >"$scratch/twice.list"
expect_error plan-listed-twice "$harness/plan.sh" "$plan" "$scratch/twice.list" "" "" "" ""
expect_error pipeline-unknown-target "$harness/pipeline.sh" frobnicate
expect_error pipeline-demo-unknown-base "$harness/pipeline.sh" demo bogus vhe dt
expect_error pipeline-demo-unsupported-mode "$harness/pipeline.sh" demo lts nested dt
expect_error pipeline-check-unknown-base env BASES=bogus "$harness/pipeline.sh" check bad-input check
expect_error pipeline-bench-unknown-base "$harness/pipeline.sh" bench bogus
expect_error tree-unknown-tree "$harness/tree.sh" apply bogus
expect_error tree-unknown-action "$harness/tree.sh" frobnicate lts
expect_error setup-unknown-base "$harness/setup.sh" bogus
expect_error kernel-unknown-flavour "$harness/build-kernel.sh" "$top/build/lts/linux" "$scratch/k" no-such-flavour
expect_error kernel-no-tree "$harness/build-kernel.sh" /nonexistent "$scratch/k"
expect_error l1-tree-without-source "$harness/build-l1.sh" --tree mainline "$top/build/lts/linux" "$top/build/lts/kernel" "$scratch/l1" /nonexistent/tests.list
expect_error l1-missing-list "$harness/build-l1.sh" "$top/build/lts/linux" "$top/build/lts/kernel" "$scratch/l1" /nonexistent/tests.list
expect_error run-vm-not-a-cell "$harness/run-vm.sh" "$scratch" /nonexistent/Image /nonexistent/initramfs.cpio
expect_error verdict-no-cell "$harness/verdict.sh"
expect_error pipeline-pristine-unknown-base "$harness/pipeline.sh" pristine bogus
expect_error proof-report-no-verdict "$harness/proof-report.sh" "$scratch/no-proof" mainline "$harness/lists/proof.expect"
expect_error verdict-not-a-cell "$harness/verdict.sh" /nonexistent
after=$(snapshot)
if [ "$before" = "$after" ]; then
	result bad-input/nothing-changed 1
else
	diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | head -n 10 | sed 's/^/# /' >>"$log"
	result bad-input/nothing-changed 0 "the failed invocations changed the work tree or build/"
fi

# proof/NAME: proof-report.sh holds a queue to proof.expect. A kernel fix's test
# must fail on the pristine kernel: a proof where it passes there is refused.
proof_case() {
	local name=$1 want_rc=$2 kernel_result=$3 dir=$scratch/proof-$1 c rc
	for c in base base-kernel queue; do mkdir -p "$dir/$c"; done
	printf 'arm64/t  mainline/vhe/dt  PASS  FAIL  PASS  a kernel fix\n' >"$dir/expect"
	echo "PASS  mainline/vhe/dt  arm64/t (time=1.0s)" >"$dir/base/verdict.txt"
	echo "$kernel_result  mainline/vhe/dt  arm64/t (time=1.0s)" >"$dir/base-kernel/verdict.txt"
	echo "PASS  mainline/vhe/dt  arm64/t (time=1.0s)" >"$dir/queue/verdict.txt"
	"$harness/proof-report.sh" "$dir" mainline "$dir/expect" >"$dir/table" 2>&1
	rc=$?
	if [ "$rc" = "$want_rc" ] && grep -q "^| \`arm64/t\` | mainline/vhe/dt | PASS | .*$kernel_result" "$dir/table"; then
		result "proof/$name" 1
	else
		sed 's/^/# /' "$dir/table" >>"$log"
		result "proof/$name" 0 "proof-report.sh exited $rc (want $want_rc) or printed no row for arm64/t"
	fi
}
proof_case holds 0 FAIL
proof_case fix-passes-on-pristine 1 PASS

if command -v shellcheck >/dev/null; then
	if sc=$(cd "$top" && shellcheck -x -f gcc harness/*.sh harness/tests/*.sh .ci/run 2>&1); then
		result shellcheck 1
	else
		printf '%s\n' "$sc" | head -n 20 | sed 's/^/# /' >>"$log"
		result shellcheck 0 "shellcheck reports $(printf '%s\n' "$sc" | grep -c .) findings"
	fi
else
	result shellcheck 0 "shellcheck is not installed (make setup installs it)"
fi

rm -rf "$scratch"
echo ok >"$out/run.status"
