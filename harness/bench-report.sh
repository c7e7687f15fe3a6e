#!/usr/bin/env bash
# make bench's report: read the benchmark cells pipeline.sh booted and print the
# table (docs/benchmarks.md keeps the latest). What the SEA path costs, pristine
# base vs base + queue under -icount (guest time is an instruction count), and the
# memory error injector's idle cost in wall time.
#
#   bench-report.sh OUTDIR BASE
#
# OUTDIR holds sea-KERNEL-RUN/ (KERNEL: pristine or series) and idle-EINJ-RUN/ runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

[ $# -eq 2 ] || die "usage: bench-report.sh OUTDIR BASE (got $# arguments); fix: run make bench"
out=$1 base=$2
icount_args="-icount shift=0"
idle_runs=(1 2 3 4 5)
results=$out/results.txt
: >"$results"

# Each run's console has "# bench: NAME median=TICKS p99=TICKS ..." (sea_bench) or
# "# bench: mem_loop ns=NS ..." lines; results.txt: "KERNEL RUN NAME MEDIAN P99".
for kernel in pristine series; do
	for run in 1 2; do
		log=$out/sea-$kernel-$run/$base-vhe-dt/console.log
		grep -aq '^ok [0-9]* bench/sea_bench' "$log" 2>/dev/null ||
			die "sea_bench did not pass on the $kernel kernel, run $run; fix: read ${log#"$top"/}"
		sed -n 's/^# bench: \([a-z_0-9]*\) median=\([0-9]*\) p99=\([0-9]*\).*/\1 \2 \3/p' "$log" |
			while read -r name median p99; do echo "$kernel $run $name $median $p99"; done >>"$results"
	done
done
for run in "${idle_runs[@]}"; do
	for einj in off on; do
		log=$out/idle-$einj-$run/$base-vhe-dt/console.log
		ns=$(sed -n 's/^# bench: mem_loop ns=\([0-9]*\).*/\1/p' "$log" 2>/dev/null || true)
		[ -n "$ns" ] || die "mem_loop printed no result with einj=$einj; fix: read ${log#"$top"/}"
		echo "einj-$einj $run mem_loop $ns $ns" >>"$results"
	done
done

value() { awk -v k="$1" -v r="$2" -v n="$3" '$1 == k && $2 == r && $3 == n {print $4}' "$results"; }
mean() { awk -v k="$1" -v n="$2" '$1 == k && $3 == n {s += $4; c++} END {if (c) printf "%.1f", s / c}' "$results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "n/a"}'; }
p99() { awk -v k="$1" -v r="$2" -v n="$3" '$1 == k && $2 == r && $3 == n {print $5}' "$results"; }
median5() { awk -v k="$1" '$1 == k {print $4}' "$results" | sort -n | sed -n 3p; }
verdict() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN {print (v >= lo && v <= hi) ? "met" : "MISSED"}'; }

sea=$(mean series sea_roundtrip)
mmio=$(mean series mmio_roundtrip)
sea_vs_mmio=$(ratio "$sea" "$mmio")
fallback=$(ratio "$(mean series fallback_serror)" "$(mean pristine fallback_serror)")
s2=$(ratio "$(mean pristine s2_fault)" "$(mean series s2_fault)")
s2_alloc=$(ratio "$(mean pristine s2_fault_alloc)" "$(mean series s2_fault_alloc)")
idle=$(ratio "$(median5 einj-on)" "$(median5 einj-off)")
bench_cmd="make bench BASE=$base  (l1/kvm/sea_bench.c; each boot's QEMU command is in build/runs/bench/*/$base-vhe-dt/qemu.cmd)"

. "$top/build/inputs.env"
version_var=LINUX_${base}_VERSION_USED
{
	echo "# Benchmarks"
	echo
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores: Linux ${!version_var} (pristine) vs pristine + linux/$base (series),"
	echo "QEMU $QEMU_VERSION_USED + qemu/patches. Guest time is CNTVCT_EL0 ticks at 62.5 MHz under"
	echo "\`$icount_args\` (one instruction per ns, so one tick is 16 instructions of guest, KVM and"
	echo "VMM work alike). Command: \`$bench_cmd\`."
	echo
	echo "| measure | pristine run 1 | pristine run 2 | series run 1 | series run 2 | figure | target | |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
	for name in sea_roundtrip mmio_roundtrip fallback_serror s2_fault s2_fault_alloc; do
		row="| $name (median / p99 ticks)"
		for kernel in pristine series; do
			for run in 1 2; do
				m=$(value "$kernel" "$run" "$name")
				row="$row | ${m:-n/a}${m:+ / $(p99 "$kernel" "$run" "$name")}"
			done
		done
		case $name in
		sea_roundtrip) row="$row | SEA / MMIO = $sea_vs_mmio | <= 2 | $(verdict "$sea_vs_mmio" 0 2) |" ;;
		mmio_roundtrip) row="$row | reference exit | | |" ;;
		fallback_serror) row="$row | series / pristine = $fallback | 1.00 +- 0.01 | $(verdict "$fallback" 0.99 1.01) |" ;;
		s2_fault) row="$row | pristine / series = $s2 | >= 0.99 | $(verdict "$s2" 0.99 100) |" ;;
		s2_fault_alloc) row="$row | pristine / series = $s2_alloc | (host allocation included) | |" ;;
		esac
		echo "$row"
	done
	echo
	echo "Injector idle cost (wall time, no icount): l1/tools/mem_loop.c, 24 passes over 64 MiB in the"
	echo "emulated host, einj=off and einj=on alternated five times in one invocation, median of each:"
	echo
	echo "| einj | run 1 (ms) | run 2 (ms) | run 3 (ms) | run 4 (ms) | run 5 (ms) | median (ms) |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	for einj in off on; do
		echo "| $einj | $(for r in "${idle_runs[@]}"; do awk -v v="$(value "einj-$einj" "$r" mem_loop)" 'BEGIN {printf "%.0f | ", v / 1e6}'; done)$(awk -v v="$(median5 "einj-$einj")" 'BEGIN {printf "%.0f", v / 1e6}') |"
	done
	echo
	echo "on / off = $idle (target <= 1.02: $(verdict "$idle" 0 1.02))."
}
