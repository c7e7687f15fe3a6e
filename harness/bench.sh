#!/usr/bin/env bash
# make bench: what the SEA path costs, and proof that nothing else got slower.
#
# Builds the unpatched base kernel beside the series kernel and runs the same
# benchmark guest (guest/kvm/sea_bench.c) on both, under QEMU -icount so that
# guest time is a deterministic instruction count. Everything runs twice, so
# the run-to-run spread shows. The injector's idle cost is wall time (icount
# would hide it): a memory-bound loop with einj=on and einj=off, alternated.
# Writes build/bench.md and prints it.
#
#   BENCH_DEVLOOP=0 skips timing two warm `make check` runs (about 5 minutes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

icount_shift=0
icount_args="-icount shift=$icount_shift"
logs=$top/build/logs/bench
results=$logs/results.txt
table=$top/build/bench.md
mkdir -p "$logs"
: > "$results"

# Kernels: the series (build/kernel) and the pinned base (tag 'base' of build/linux).
"$here/build-kernel.sh"
base_tree=$top/build/linux-base
if [ "$(git -C "$base_tree" rev-parse HEAD 2>/dev/null)" != "$(git -C "$top/build/linux" rev-parse base)" ]; then
	git -C "$top/build/linux" worktree remove --force "$base_tree" 2>/dev/null || rm -rf "$base_tree"
	git -C "$top/build/linux" worktree prune
	git -C "$top/build/linux" worktree add -q --detach "$base_tree" base
fi
KERNEL_SRC=$base_tree KERNEL_OUT=$top/build/kernel-base "$here/build-kernel.sh"
"$here/build-guest.sh" "$top/guest/bench.list"
initramfs=$top/build/initramfs-bench.cpio

declare -A image=(
	[base]=$top/build/kernel-base/arch/arm64/boot/Image
	[series]=$top/build/kernel/arch/arm64/boot/Image
)

# record KERNEL RUN LOG: append "KERNEL RUN NAME MEDIAN P99" for each bench line.
record() {
	sed -n 's/^# bench: \([a-z_0-9]*\) median=\([0-9]*\) p99=\([0-9]*\).*/\1 \2 \3/p' "$3" |
		while read -r name median p99; do echo "$1 $2 $name $median $p99"; done >> "$results"
}

for kernel in base series; do
	for run in 1 2; do
		log=$logs/$kernel-$run.log
		QEMU_EXTRA_ARGS=$icount_args "$here/run-vm.sh" vhe "$initramfs" "$log" "${image[$kernel]}" sea.only=sea_bench
		grep -aq '^ok [0-9]* bench/sea_bench' "$log" || die "sea_bench failed on the $kernel kernel; fix: read ${log#$top/}"
		record "$kernel" "$run" "$log"
	done
done

# Idle injector: wall time of the memory loop, einj=off and einj=on alternated.
idle_runs="1 2 3 4 5"
for run in $idle_runs; do
	for einj in off on; do
		log=$logs/mem-$einj-$run.log
		QEMU_MACHINE=virt,virtualization=on,gic-version=3,einj=$einj \
			"$here/run-vm.sh" vhe "$initramfs" "$log" "${image[series]}" sea.only=mem_loop
		ns=$(sed -n 's/^# bench: mem_loop ns=\([0-9]*\).*/\1/p' "$log")
		[ -n "$ns" ] || die "mem_loop printed no result with einj=$einj; fix: read ${log#$top/}"
		echo "einj-$einj $run mem_loop $ns $ns" >> "$results"
	done
done

if [ "${BENCH_DEVLOOP:-1}" = 1 ]; then
	for run in 1 2; do
		start=$(date +%s)
		make -s -C "$top" check > "$logs/devloop-$run.log" 2>&1 || die "make check failed while timing it; fix: read build/logs/bench/devloop-$run.log"
		echo "devloop $run warm_check $(( $(date +%s) - start )) 0" >> "$results"
	done
fi

value() { awk -v k="$1" -v r="$2" -v n="$3" '$1 == k && $2 == r && $3 == n {print $4}' "$results"; }
mean() { awk -v k="$1" -v n="$2" '$1 == k && $3 == n {s += $4; c++} END {if (c) printf "%.1f", s / c}' "$results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "n/a"}'; }
p99() { awk -v k="$1" -v r="$2" -v n="$3" '$1 == k && $2 == r && $3 == n {print $5}' "$results"; }
median5() { awk -v k="$1" '$1 == k {print $4}' "$results" | sort -n | sed -n 3p; }
verdict() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN {print (v >= lo && v <= hi) ? "met" : "MISSED"}'; }

sea=$(mean series sea_roundtrip)
mmio=$(mean series mmio_roundtrip)
sea_vs_mmio=$(ratio "$sea" "$mmio")
fallback=$(ratio "$(mean series fallback_serror)" "$(mean base fallback_serror)")
s2=$(ratio "$(mean base s2_fault)" "$(mean series s2_fault)")
s2_alloc=$(ratio "$(mean base s2_fault_alloc)" "$(mean series s2_fault_alloc)")
idle=$(ratio "$(median5 einj-on)" "$(median5 einj-off)")
bench_cmd="make bench  (QEMU $icount_args, -M virt,virtualization=on,gic-version=3,einj=on -cpu max -smp 2; guest/kvm/sea_bench.c)"

. "$top/build/inputs.env"
{
	echo "# Benchmarks"
	echo
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores: Linux $LINUX_VERSION_USED (base) vs base + linux/patches (series),"
	echo "QEMU $QEMU_VERSION_USED + qemu/patches. Guest time is CNTVCT_EL0 ticks at 62.5 MHz under"
	echo "\`-icount shift=$icount_shift\` (one instruction per ns, so one tick is 16 instructions of guest, KVM and"
	echo "VMM work alike). Command: \`$bench_cmd\`."
	echo
	echo "| measure | base run 1 | base run 2 | series run 1 | series run 2 | figure | target | |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
	for name in sea_roundtrip mmio_roundtrip fallback_serror s2_fault s2_fault_alloc; do
		row="| $name (median / p99 ticks)"
		for kernel in base series; do
			for run in 1 2; do
				m=$(value "$kernel" "$run" "$name")
				row="$row | ${m:-n/a}${m:+ / $(p99 "$kernel" "$run" "$name")}"
			done
		done
		case $name in
		sea_roundtrip) row="$row | SEA / MMIO = $sea_vs_mmio | <= 2 | $(verdict "$sea_vs_mmio" 0 2) |" ;;
		mmio_roundtrip) row="$row | reference exit | | |" ;;
		fallback_serror) row="$row | series / base = $fallback | 1.00 +- 0.01 | $(verdict "$fallback" 0.99 1.01) |" ;;
		s2_fault) row="$row | base / series = $s2 | >= 0.99 | $(verdict "$s2" 0.99 100) |" ;;
		s2_fault_alloc) row="$row | base / series = $s2_alloc | (host allocation included) | |" ;;
		esac
		echo "$row"
	done
	echo
	echo "Injector idle cost (wall time, no icount): guest/tools/mem_loop.c, 24 passes over 64 MiB in the"
	echo "emulated host, einj=off and einj=on alternated five times in one invocation, median of each:"
	echo
	echo "| einj | run 1 (ms) | run 2 (ms) | run 3 (ms) | run 4 (ms) | run 5 (ms) | median (ms) |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	for einj in off on; do
		echo "| $einj | $(for r in $idle_runs; do awk -v v="$(value einj-$einj $r mem_loop)" 'BEGIN {printf "%.0f | ", v / 1e6}'; done)$(awk -v v="$(median5 einj-$einj)" 'BEGIN {printf "%.0f", v / 1e6}') |"
	done
	echo
	echo "on / off = $idle (target <= 1.02: $(verdict "$idle" 0 1.02))."
	if grep -q '^devloop' "$results"; then
		echo
		echo "Developer loop: warm \`make check\` (nothing changed), $(value devloop 1 warm_check) s and $(value devloop 2 warm_check) s."
	fi
} > "$table"
cat "$table"
