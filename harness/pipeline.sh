#!/usr/bin/env bash
# The stage graph: the one place that decides which stage runs after which. The
# Makefile's targets call this script; the stage scripts it calls never run
# another stage or make. Data passes between stages as arguments and files.
#
#   pipeline.sh setup | qemu | trees | kernels
#   pipeline.sh check RUN LIST [FLAVOUR]   RUN names the output, build/runs/RUN
#   pipeline.sh demo BASES MODES PROFILES  one cell per combination
#   pipeline.sh bench BASE
#   pipeline.sh pristine BASE              the proof table: pristine vs queue
#   pipeline.sh bisect BASE
#   pipeline.sh export TREE                TREE: mainline, lts or qemu
#   pipeline.sh harness-tests
#
# Narrowing (environment, validated by plan.sh): BASES, MODES, PROFILES (subsets
# of harness/matrix.env, empty = all) and ONLY (a substring of test names).
# V=1 streams the consoles. make check reuses the results of cells whose inputs
# are those of a run that passed; RERUN=1 boots them all. Nothing else is read
# from the environment.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

bases=${BASES:-} modes=${MODES:-} profiles=${PROFILES:-} only=${ONLY:-}
reuse=(--reuse)
[ "${RERUN:-0}" != 1 ] || reuse=()
. "$here/matrix.env"
build=$top/build
runs=$build/runs

# select_bases: sets the array sel to the bases BASES names, or all, validated.
select_bases() {
	local b
	read -ra sel <<<"${bases:-$MATRIX_BASES}"
	for b in "${sel[@]}"; do
		case " $MATRIX_BASES " in *" $b "*) ;; *) die "unknown base '$b'; fix: use one or more of: $MATRIX_BASES" ;; esac
	done
}

kernel_dir() { echo "$build/$1/kernel${2:+-$2}"; }

stage_setup() { "$here/setup.sh" "$@"; }
stage_qemu() {
	local qtests
	read -ra qtests <<<"$QEMU_QTESTS"
	"$here/tree.sh" apply qemu
	"$here/build-qemu.sh" "${qtests[@]}"
}
# stage_kernel BASE [FLAVOUR]: the tree and its kernel. The non-debug kernel is
# always built: its headers and Image serve the L1 programs and the VMM's guest.
stage_kernel() {
	"$here/tree.sh" apply "$1"
	"$here/build-kernel.sh" "$build/$1/linux" "$(kernel_dir "$1")"
	[ -z "${2:-}" ] || "$here/build-kernel.sh" "$build/$1/linux" "$(kernel_dir "$1" "$2")" "$2"
}

# plan_cells OUTDIR LIST: plan.sh with the narrowing; prints nothing.
plan_cells() { "$here/plan.sh" "$1" "$2" "$bases" "$modes" "$profiles" "$only"; }

# planned_bases OUTDIR: the bases of the planned cells, in plan order, once each.
planned_bases() { awk -F/ '{print $NF}' "$1/cells" | cut -d- -f1 | awk '!seen[$0]++'; }

# cells_of OUTDIR BASE: the planned cell directories of BASE.
cells_of() { grep "/$2-[^/]*\$" "$1/cells" || true; }

# other_trees OUTDIR BASE: the other bases whose selftests BASE's cells run
# (/kvm-OTHER/... or /kvm-OTHER-base/...), once each.
other_trees() {
	local b
	for b in $MATRIX_BASES; do
		[ "$b" != "$2" ] || continue
		cells_of "$1" "$2" | sed 's|$|/tests.list|' | xargs -r grep -qE "(^|[[:space:]])/kvm-$b(-base)?/" && echo "$b"
	done
	return 0
}

# run_cells OUTDIR FLAVOUR [RUN_VM_OPTION] [QEMU_ARG...]: build what the planned cells
# need and boot each; a cell that fails to boot is reported by the verdict, the
# others still run. RUN_VM_OPTION: --reuse.
run_cells() {
	local out=$1 flavour=$2 base other cell_bases cell_dirs lists dir opt=() trees
	shift 2
	[ "${1:-}" != --reuse ] || { opt=(--reuse); shift; }
	mapfile -t cell_bases < <(planned_bases "$out")
	# shellcheck disable=SC2046 # one base a word
	stage_setup $(printf '%s\n' "${cell_bases[@]}" $(for base in "${cell_bases[@]}"; do other_trees "$out" "$base"; done) | awk '!seen[$0]++')
	stage_qemu
	for base in "${cell_bases[@]}"; do
		stage_kernel "$base" "$flavour"
		trees=()
		for other in $(other_trees "$out" "$base"); do
			"$here/tree.sh" apply "$other"
			trees+=(--tree "$other=$build/$other/linux")
		done
		mapfile -t cell_dirs < <(cells_of "$out" "$base")
		lists=("${cell_dirs[@]/%//tests.list}")
		"$here/build-l1.sh" "${trees[@]}" "$build/$base/linux" "$(kernel_dir "$base")" "$build/$base/l1-${out##*/}" "${lists[@]}"
		for dir in "${cell_dirs[@]}"; do
			"$here/run-vm.sh" "${opt[@]}" "$dir" "$(kernel_dir "$base" "$flavour")/arch/arm64/boot/Image" \
				"$build/$base/l1-${out##*/}/initramfs.cpio" "$@" || true
		done
	done
}

target=${1:-}
[ $# -gt 0 ] && shift
case "$target" in
setup | qemu | trees | kernels)
	select_bases
	stage_setup "${sel[@]}"
	case "$target" in
	qemu) stage_qemu ;;
	trees)
		for b in "${sel[@]}" qemu; do "$here/tree.sh" apply "$b"; done
		;;
	kernels)
		for b in "${sel[@]}"; do stage_kernel "$b"; done
		;;
	esac
	;;
export)
	[ $# -eq 1 ] || die "usage: pipeline.sh export TREE; fix: make export TREE=mainline|lts|qemu"
	"$here/tree.sh" export "$1"
	;;
harness-tests)
	"$here/tests/run.sh" "$runs/harness"
	"$here/verdict.sh" "$runs/harness"
	;;
check)
	[ $# -ge 2 ] || die "usage: pipeline.sh check RUN LIST [FLAVOUR]; fix: see harness/pipeline.sh"
	run=$1 list=$2 flavour=${3:-}
	out=$runs/$run
	# Validate the narrowing before anything slow happens.
	plan_cells "$out" "$list"
	mapfile -t bases_planned < <(planned_bases "$out")
	cells=()
	if [ "$run" = check ]; then
		# The harness's own tests need setup's tools (shellcheck) on a new machine.
		stage_setup "${bases_planned[@]}"
		"$here/tests/run.sh" "$runs/harness"
		cells+=("$runs/harness")
	fi
	run_cells "$out" "$flavour" "${reuse[@]}"
	if [ "$run" = check ]; then
		read -ra qtests <<<"$QEMU_QTESTS"
		"$here/run-qtests.sh" "$out/qemu" "${qtests[@]}"
		cells+=("$out/qemu")
	fi
	mapfile -t -O "${#cells[@]}" cells <"$out/cells"
	verdict_rc=0
	"$here/verdict.sh" "${cells[@]}" || verdict_rc=$?
	# Keep the result of every cell that passed on its own, for the next run.
	while read -r dir; do
		if [ -f "$dir/run.key" ] && "$here/verdict.sh" "$dir" >/dev/null 2>&1; then result_store "$dir"; fi
	done <"$out/cells"
	exit "$verdict_rc"
	;;
demo)
	[ $# -eq 3 ] || die "usage: pipeline.sh demo BASES MODES PROFILES; fix: make demo [BASE=...] [MODE=...] [PROFILE=...]"
	out=$runs/demo
	bases=$1 modes=$2 profiles=$3 only=
	plan_cells "$out" demo
	run_cells "$out" ""
	# One story per cell (per platform mode, by default), then all the verdicts.
	demo_rc=0
	while read -r cell; do
		"$here/verdict.sh" "$cell" >"$cell/verdict.txt" || demo_rc=1
		"$here/demo-report.sh" "$cell" || demo_rc=1
	done <"$out/cells"
	echo
	while read -r cell; do cat "$cell/verdict.txt"; done <"$out/cells"
	exit "$demo_rc"
	;;
bench)
	[ $# -eq 1 ] || die "usage: pipeline.sh bench BASE; fix: make bench BASE=mainline|lts"
	base=$1
	out=$runs/bench
	bases=$base modes=vhe profiles=dt only=
	plan_cells "$out/plan" bench
	stage_setup "$base"
	stage_qemu
	stage_kernel "$base"
	"$here/tree.sh" pristine "$base"
	"$here/build-kernel.sh" "$build/$base/pristine" "$build/$base/kernel-pristine"
	"$here/build-l1.sh" "$build/$base/linux" "$(kernel_dir "$base")" "$out/l1" "$out/plan/$base-vhe-dt/tests.list"
	# Guest time under -icount is an instruction count: the SEA path's cost, pristine
	# vs series, twice each. The injector's idle cost is wall time, einj off and on
	# alternated five times (icount would hide it).
	for kernel in pristine series; do
		image=$build/$base/kernel/arch/arm64/boot/Image
		[ $kernel = series ] || image=$build/$base/kernel-pristine/arch/arm64/boot/Image
		for run in 1 2; do
			"$here/plan.sh" "$out/sea-$kernel-$run" bench "$base" vhe dt sea_bench
			"$here/run-vm.sh" "$out/sea-$kernel-$run/$base-vhe-dt" "$image" "$out/l1/initramfs.cpio" -icount shift=0
		done
	done
	for run in 1 2 3 4 5; do
		for einj in off on; do
			"$here/plan.sh" "$out/idle-$einj-$run" bench "$base" vhe dt mem_loop
			"$here/run-vm.sh" "$out/idle-$einj-$run/$base-vhe-dt" "$(kernel_dir "$base")/arch/arm64/boot/Image" \
				"$out/l1/initramfs.cpio" -machine "einj=$einj"
		done
	done
	"$here/bench-report.sh" "$out" "$base" | tee "$build/bench.md"
	;;
pristine)
	# The proof table: the proof list in three columns (harness/lists/proof.expect).
	[ $# -eq 1 ] || die "usage: pipeline.sh pristine BASE; fix: make check-pristine BASE=mainline|lts"
	bases=$1 modes='' profiles='' only=''
	select_bases
	out=$runs/proof
	for column in base base-kernel queue; do plan_cells "$out/$column" proof; done
	stage_setup "$1"
	stage_qemu
	stage_kernel "$1"
	"$here/tree.sh" pristine "$1"
	"$here/build-kernel.sh" "$build/$1/pristine" "$(kernel_dir "$1" pristine)"
	mapfile -t cell_dirs < <(cells_of "$out/base" "$1")
	"$here/build-l1.sh" "$build/$1/pristine" "$(kernel_dir "$1" pristine)" "$build/$1/l1-proof-base" "${cell_dirs[@]/%//tests.list}"
	mapfile -t cell_dirs < <(cells_of "$out/queue" "$1")
	"$here/build-l1.sh" "$build/$1/linux" "$(kernel_dir "$1")" "$build/$1/l1-proof" "${cell_dirs[@]/%//tests.list}"
	for column in base base-kernel queue; do
		kernel=$(kernel_dir "$1" pristine) l1=$build/$1/l1-proof
		[ "$column" != queue ] || kernel=$(kernel_dir "$1")
		[ "$column" != base ] || l1=$build/$1/l1-proof-base
		mapfile -t cell_dirs < <(cells_of "$out/$column" "$1")
		for dir in "${cell_dirs[@]}"; do
			"$here/run-vm.sh" "$dir" "$kernel/arch/arm64/boot/Image" "$l1/initramfs.cpio" || true
		done
		"$here/verdict.sh" "${cell_dirs[@]}" >"$out/$column/verdict.txt" || true
	done
	"$here/proof-report.sh" "$out" "$1" "$here/lists/proof.expect" | tee "$build/proof.md"
	;;
bisect)
	[ $# -eq 1 ] || die "usage: pipeline.sh bisect BASE; fix: make check-bisect BASE=mainline|lts"
	bases=$1
	select_bases
	stage_setup "$1"
	stage_kernel "$1"
	"$here/check-bisect.sh" "$build/$1/linux" "$(kernel_dir "$1")"
	;;
*)
	die "unknown pipeline target '$target'; fix: use one of: setup qemu trees kernels check demo bench pristine bisect export harness-tests"
	;;
esac
