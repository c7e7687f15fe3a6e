#!/usr/bin/env bash
# Stage: read the cells' console logs and decide. One line per test and cell,
#   PASS|FAIL|SKIP  CELL  TEST (detail)
# then a console line per cell, then exactly "N passed, N failed, N skipped".
# Exits non-zero on any failure, timeout, missing result, a VM that did not finish,
# or a kernel splat anywhere in a console log.
#
#   verdict.sh CELLDIR...
#
# A CELLDIR holds cell.env (CELL=label), tests.list (plan.sh's normalized list),
# console.log (KTAP from l1/init.c) and run.status (run-vm.sh: "ok" or why not;
# absent when the VM never ran). harness/tests/verdict/ pins this script's output.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

[ $# -gt 0 ] || die "usage: verdict.sh CELLDIR... (got no cell); fix: pass the cell directories plan.sh wrote"
for dir in "$@"; do
	if ! { [ -f "$dir/tests.list" ] && [ -f "$dir/cell.env" ]; }; then
		die "$dir is not a planned cell (no tests.list or cell.env); fix: pass the cell directories plan.sh wrote"
	fi
done

# Kernel messages carry a printk timestamp; a splat is matched only there, so a
# test that prints such a word itself is not mistaken for one. A line that starts
# "# [" is a kernel message a test relays from its own guest (the reference VMM's
# guest dies on purpose in the demo): that test's business.
splat_re='\[ *[0-9]+\.[0-9]+\] .*(WARNING:|BUG:|Oops|Unable to handle|Kernel panic|Unsupported FSC|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|KASAN|UBSAN|kmemleak: [0-9]+ new suspected|Internal error:|Call trace:|rcu: INFO: .*stall|blocked for more than|soft lockup|hard LOCKUP)'

passed=0 failed=0 skipped=0
for dir in "$@"; do
	cell=$(sed -n 's/^CELL=//p' "$dir/cell.env")
	log=$dir/console.log
	[ -f "$log" ] || log=/dev/null
	# KTAP results of l1/init.c: "ok N NAME # time=Xs", "ok N NAME # SKIP why",
	# "not ok N NAME # why". The last result for a name counts.
	while IFS=$'\t' read -r verdict name detail; do
		printf '%s  %s  %s (%s)\n' "$verdict" "$cell" "$name" "$detail"
		case $verdict in
		PASS) passed=$((passed + 1)) ;;
		SKIP) skipped=$((skipped + 1)) ;;
		*) failed=$((failed + 1)) ;;
		esac
	done < <(LC_ALL=C awk '
		FNR == NR {
			if (match($0, /^(not )?ok [0-9]+ [^ ]+( # .*)?\r?$/)) {
				line = $0
				sub(/\r$/, "", line)
				bad = line ~ /^not /
				sub(/^(not )?ok [0-9]+ /, "", line)
				name = line
				sub(/ # .*/, "", name)
				detail = ""
				if (index(line, " # "))
					detail = substr(line, index(line, " # ") + 3)
				result[name] = bad ? "FAIL" : (detail ~ /^SKIP/ ? "SKIP" : "PASS")
				why[name] = detail
			}
			next
		}
		NF == 0 { next }
		{
			n = $1
			if (!(n in result)) {
				printf "FAIL\t%s\tno result: the VM stopped before this test reported\n", n
				next
			}
			d = why[n]
			# "TIMEOUT!" in the list: this cell exists to run the test, a skip fails.
			if (result[n] == "SKIP" && $2 ~ /!/) {
				printf "FAIL\t%s\tskipped where it must run: %s\n", n, d
				next
			}
			if (result[n] == "SKIP")
				sub(/^SKIP ?/, "", d)
			else if (result[n] == "PASS")
				sub(/^time=/, "", d)
			printf "%s\t%s\t%s\n", result[n], n, d
		}' "$log" "$dir/tests.list")

	status=$(cat "$dir/run.status" 2>/dev/null || echo "the VM did not run")
	if [ "$status" != ok ]; then
		printf 'FAIL  %s  vm (%s)\n' "$cell" "$status"
		failed=$((failed + 1))
	fi
	# No console at all: the vm line above already says why.
	[ "$log" != /dev/null ] || continue
	splats=$(LC_ALL=C grep -aE "$splat_re" "$log" | LC_ALL=C grep -avE '^# \[ *[0-9]+\.[0-9]+\] ' || true)
	if [ -n "$splats" ]; then
		# One line: the first splat line and how many there are (all in console.log).
		printf 'FAIL  %s  console (kernel splat: %s; %s matching lines in console.log)\n' "$cell" \
			"$(printf '%s\n' "$splats" | head -n 1 | tr -d '\r' | cut -c1-160)" "$(printf '%s\n' "$splats" | wc -l)"
		failed=$((failed + 1))
	else
		printf 'PASS  %s  console (no kernel splat)\n' "$cell"
		passed=$((passed + 1))
	fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
