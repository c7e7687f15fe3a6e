#!/usr/bin/env bash
# Stage: turn a test list and the narrowing choices into one normalized test list
# per cell. This is the only reader of the list format (harness/lists/README.md);
# the emulated host's PID 1, the VM runner and the verdict read what it writes.
#
#   plan.sh OUTDIR LIST BASES MODES PROFILES ONLY
#
# LIST is a list name (check, debug, demo, bench: harness/lists/NAME.list) or a
# file. BASES, MODES and PROFILES are space-separated subsets of harness/matrix.env
# (empty: all); ONLY, if not empty, keeps the tests whose name contains it.
# Writes, for each cell BASE/MODE/PROFILE the matrix supports:
#   OUTDIR/BASE-MODE-PROFILE/tests.list   "NAME TIMEOUT[!][~] COMMAND [ARGS...]" or
#                                         "NAME skip REASON...", in list order
#   OUTDIR/BASE-MODE-PROFILE/cell.env     BASE=, MODE=, PROFILE=, CELL=
#   OUTDIR/cells                          the cell directories, one a line
# A cell in which the list has no entry is left out.
# An earlier plan in OUTDIR is replaced only when this one succeeds.
set -euo pipefail
set -f # cell patterns and narrowing words are globs only where this script says so
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
. "$here/matrix.env"

[ $# -eq 6 ] || die "usage: plan.sh OUTDIR LIST BASES MODES PROFILES ONLY (got $# arguments); fix: pass all six, empty ones as ''"
outdir=$1 list=$2 want_bases=${3:-$MATRIX_BASES} want_modes=${4:-$MATRIX_MODES} want_profiles=${5:-$MATRIX_PROFILES} only=$6

# check_subset WHAT GIVEN ALLOWED: every word of GIVEN is one of ALLOWED.
check_subset() {
	local w
	for w in $2; do
		case " $3 " in *" $w "*) ;; *) die "unknown $1 '$w'; fix: use one or more of: $3" ;; esac
	done
}
check_subset base "$want_bases" "$MATRIX_BASES"
check_subset mode "$want_modes" "$MATRIX_MODES"
check_subset profile "$want_profiles" "$MATRIX_PROFILES"
case "$only" in *[[:space:]]*) die "ONLY='$only' contains white space; fix: give one substring of a test name" ;; esac

case "$list" in
*/*) list_file=$list ;;
*) list_file=$here/lists/$list.list ;;
esac
if [ ! -f "$list_file" ]; then
	die "unknown test list '$list'; fix: use one of: $(stems "$here/lists" .list) (or a path to a list file)"
fi

# Read the list once: NAME TIMEOUT|skip CELLS REST...
names=() timeouts=() patterns=() rests=()
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
	lineno=$((lineno + 1))
	line=${line%%#*}
	read -r name timeout cells rest <<<"$line" || true
	[ -n "$name" ] || continue
	where="${list_file#"$top"/}:$lineno"
	case "${timeout%%[~!]*}" in
	skip) [ "$timeout" = skip ] || die "$where: '$name' has '$timeout'; fix: flags ('!', '~') go after a timeout, not after skip"
		[ -n "$rest" ] || die "$where: '$name' is skipped without a reason; fix: write the measured reason after the cells" ;;
	'' | *[!0-9]* | 0* | ?????*) die "$where: '$name' has timeout '$timeout'; fix: a whole number of seconds (1-9999, then the flags '!' and '~' if any), or 'skip' with a reason" ;;
	*)
		case "${timeout##*[0-9]}" in '' | '!' | '~' | '!~' | '~!') ;; *) die "$where: '$name' has timeout '$timeout'; fix: the flags after a timeout are '!' and '~'" ;; esac
		[ -n "$rest" ] || die "$where: '$name' has no command; fix: NAME TIMEOUT CELLS COMMAND [ARGS...]"
		;;
	esac
	IFS=, read -ra globs <<<"$cells"
	for glob in "${globs[@]}"; do
		case "$glob" in */*/*) ;; *) die "$where: '$name' has cells '$cells'; fix: comma-separated BASE/MODE/PROFILE patterns such as */*/dt" ;; esac
		hit=
		for b in $MATRIX_BASES; do
			modes_var=BASE_${b}_MODES
			for m in ${!modes_var}; do
				for p in $MATRIX_PROFILES; do
					# shellcheck disable=SC2053
					[[ $b/$m/$p == $glob ]] && hit=1
				done
			done
		done
		[ -n "$hit" ] || die "$where: '$name': cell pattern '$glob' matches no cell of harness/matrix.env; fix: correct the pattern"
	done
	names+=("$name") timeouts+=("$timeout") patterns+=("$cells") rests+=("$rest")
done <"$list_file"

# Write beside OUTDIR and swap at the end: a failed plan leaves the last one intact.
final=$outdir
outdir=$final.new
trap 'rm -rf "$outdir"' EXIT
rm -rf "$outdir"
mkdir -p "$outdir"
: >"$outdir/cells"
matched=0
for base in $want_bases; do
	modes_var=BASE_${base}_MODES
	for mode in $want_modes; do
		case " ${!modes_var} " in *" $mode "*) ;; *) continue ;; esac
		for profile in $want_profiles; do
			cell=$base/$mode/$profile
			dir=$outdir/$base-$mode-$profile
			mkdir -p "$dir"
			printf 'BASE=%s\nMODE=%s\nPROFILE=%s\nCELL=%s\n' "$base" "$mode" "$profile" "$cell" >"$dir/cell.env"
			: >"$dir/tests.list"
			declare -A seen=()
			for i in "${!names[@]}"; do
				[ -z "$only" ] || [[ ${names[i]} == *"$only"* ]] || continue
				in_cell=
				IFS=, read -ra globs <<<"${patterns[i]}"
				for glob in "${globs[@]}"; do
					# shellcheck disable=SC2053
					[[ $cell == $glob ]] && in_cell=1
				done
				[ -n "$in_cell" ] || continue
				[ -z "${seen[${names[i]}]:-}" ] ||
					die "${list_file#"$top"/}: '${names[i]}' is listed twice for cell $cell; fix: make the CELLS patterns of its lines disjoint"
				seen[${names[i]}]=1
				echo "${names[i]} ${timeouts[i]} ${rests[i]}" >>"$dir/tests.list"
				matched=$((matched + 1))
			done
			unset seen
			# A cell with nothing to run or report is not booted.
			if [ -s "$dir/tests.list" ]; then
				echo "$final/${dir##*/}" >>"$outdir/cells"
			else
				rm -rf "$dir"
			fi
		done
	done
done
[ "$matched" -gt 0 ] || [ -z "$only" ] || die "ONLY='$only' matches no test of list '$list' in the chosen cells; fix: use part of a name listed in ${list_file#"$top"/}"
[ -s "$outdir/cells" ] || die "BASES='$want_bases' MODES='$want_modes' PROFILES='$want_profiles' select no cell in which list '$list' has a test; fix: see the modes each base supports in harness/matrix.env and the cells column of ${list_file#"$top"/}"
rm -rf "$final"
mv "$outdir" "$final"
