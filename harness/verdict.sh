#!/usr/bin/env bash
# Stage 6: read console logs and decide. One line per test and mode, then exactly
# "N passed, N failed, N skipped". Exits non-zero on any failure, timeout, missing
# result, or kernel splat anywhere in a console log.
#
#   verdict.sh TESTS_LIST MODE=LOG[@LIST] [MODE=LOG[@LIST]...]
#
# A MODE=LOG@LIST argument checks that log against its own list.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

list=${1:-}
[ -f "$list" ] || die "test list '$list' not found; fix: verdict.sh TESTS_LIST MODE=LOG..."
shift

# Kernel messages carry a printk timestamp; a splat is matched only there, so a
# test that prints such a word itself is not mistaken for one.
splat_re='\[ *[0-9]+\.[0-9]+\] .*(WARNING:|BUG:|Oops|Unable to handle|Kernel panic|Unsupported FSC|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|KASAN|UBSAN|kmemleak: [0-9]+ new suspected|Internal error:|Call trace:)'

splat_lines() {
	grep -aE "$splat_re" "$1" | grep -avE '^# \[ *[0-9]+\.[0-9]+\] ' || true
}

passed=0 failed=0 skipped=0
for arg in "$@"; do
	mode=${arg%%=*}
	log=${arg#*=}
	mode_list=$list
	case "$log" in *@*) mode_list=${log#*@} log=${log%@*} ;; esac
	if [ ! -f "$log" ]; then
		say "no console log for $mode ($log)"
		log=/dev/null
	fi
	while read -r name _; do
		case "$name" in '' | '#'*) continue ;; esac
		# init prints: "ok N NAME # time=Xs", "ok N NAME # SKIP why", "not ok N NAME # why".
		line=$(grep -aE "^(not )?ok [0-9]+ $(printf '%s' "$name" | sed 's/[][\.*^$/]/\\&/g')( |$)" "$log" | tail -n 1 || true)
		detail=${line#*# }
		[ "$detail" = "$line" ] && detail=
		case "$line" in
		"") printf 'FAIL  %-5s %s (no result: the VM stopped before this test reported)\n' "$mode" "$name"; failed=$((failed + 1)) ;;
		"not ok "*) printf 'FAIL  %-5s %s (%s)\n' "$mode" "$name" "$detail"; failed=$((failed + 1)) ;;
		*"# SKIP"*) printf 'SKIP  %-5s %s (%s)\n' "$mode" "$name" "${detail#SKIP }"; skipped=$((skipped + 1)) ;;
		*) printf 'PASS  %-5s %s (%s)\n' "$mode" "$name" "${detail#time=}"; passed=$((passed + 1)) ;;
		esac
	done < <(sed 's/#.*//' "$mode_list")
	# The console itself is checked like a test: no kernel splat anywhere.
	# A line that starts "# [" is a kernel message a test relays from its
	# own guest (the reference VMM's guest dies on purpose in the demo).
	if splat_lines "$log" | grep -q .; then
		printf 'FAIL  %-5s console: kernel splat in %s:\n' "$mode" "$log"
		splat_lines "$log" | head -n 5 | sed 's/^/      /'
		failed=$((failed + 1))
	else
		printf 'PASS  %-5s console: no kernel splat\n' "$mode"
		passed=$((passed + 1))
	fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
