#!/usr/bin/env bash
# Stage 5: boot the emulated host once and let guest/init run a test list.
#
#   run-vm.sh MODE INITRAMFS LOG [KERNEL_IMAGE] [EXTRA_CMDLINE]
#
# MODE is a KVM mode from harness/platform.env (vhe, nvhe). The console goes to LOG
# and, with SEA_VERBOSE=1, to the terminal too. Exits non-zero, with one line naming
# the cause and the fix, if QEMU cannot start or the VM does not power off in time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
. "$here/platform.env"

mode=${1:-}
initramfs=${2:-}
log=${3:-}
image=${4:-$top/build/kernel/arch/arm64/boot/Image}
extra_cmdline=${5:-}
qemu=$top/build/qemu-build/qemu-system-aarch64

case " $KVM_MODES " in *" $mode "*) ;; *) die "unknown KVM mode '$mode'; fix: use one of: $KVM_MODES" ;; esac
[ -x "$qemu" ] || die "$qemu missing; fix: run 'make qemu'"
[ -f "$image" ] || die "kernel $image missing; fix: run 'make kernel'"
[ -f "$initramfs" ] || die "initramfs $initramfs missing; fix: run 'make guest'"
[ -n "$log" ] || die "no log file given; fix: run-vm.sh MODE INITRAMFS LOG"

mode_cmdline_var=KERNEL_CMDLINE_$mode
cmdline="$KERNEL_CMDLINE_BASE ${!mode_cmdline_var} sea.mode=$mode $extra_cmdline"

# The VM gets the sum of the listed timeouts plus a margin, then is killed.
list_budget=$(cpio -i --quiet --to-stdout etc/tests.list < "$initramfs" | awk '{s += $2} END {print s + 0}')
budget=$((list_budget + VM_TIMEOUT_MARGIN))

mkdir -p "$(dirname "$log")"
say "booting $mode (budget ${budget}s): console in ${log#$top/}"
set +e
if [ "${SEA_VERBOSE:-0}" = 1 ]; then
	timeout --kill-after=10 "$budget" "$qemu" \
		-M "$QEMU_MACHINE" -cpu "$QEMU_CPU" -smp "$QEMU_SMP" -m "$QEMU_MEMORY" \
		-kernel "$image" -initrd "$initramfs" -append "$cmdline" $QEMU_EXTRA_ARGS \
		-nodefaults -display none -serial stdio -monitor none -no-reboot \
		</dev/null 2>"$log.qemu-stderr" | tee "$log"
	rc=${PIPESTATUS[0]}
else
	timeout --kill-after=10 "$budget" "$qemu" \
		-M "$QEMU_MACHINE" -cpu "$QEMU_CPU" -smp "$QEMU_SMP" -m "$QEMU_MEMORY" \
		-kernel "$image" -initrd "$initramfs" -append "$cmdline" $QEMU_EXTRA_ARGS \
		-nodefaults -display none -serial stdio -monitor none -no-reboot \
		</dev/null >"$log" 2>"$log.qemu-stderr"
	rc=$?
fi
set -e
case $rc in
0) ;;
124 | 137)
	die "the $mode VM did not power off within ${budget}s (killed); fix: read ${log#$top/} for the test that hung and lower its timeout or exclude it in guest/tests.list"
	;;
*)
	die "qemu exited with status $rc in $mode mode: $(head -n 1 "$log.qemu-stderr"); fix: see ${log#$top/}.qemu-stderr"
	;;
esac
grep -q '# sea-platform guest: done' "$log" ||
	die "the $mode VM stopped before guest/init finished (panic or reset); fix: read ${log#$top/}"
exit 0
