#!/usr/bin/env bash
# Stage: boot the emulated host once for one cell and let its PID 1 (l1/init.c)
# run the cell's test list.
#
#   run-vm.sh [--reuse] CELLDIR KERNEL INITRAMFS [QEMU_ARG...]
#
# CELLDIR is a cell directory written by plan.sh (cell.env, tests.list). The QEMU
# command line is built here, from harness/matrix.env, and nowhere else; it is
# printed before the boot and kept in CELLDIR/qemu.cmd, so a failing cell can be
# reproduced by copy and paste. Extra QEMU arguments (make bench: -icount) follow
# the kernel's. Writes CELLDIR/console.log and CELLDIR/run.status ("ok", or why
# not). With V=1 the console is also streamed to the terminal. Exits non-zero,
# with one line naming the cause and the fix, if QEMU cannot start or the VM
# does not power off after its tests in time. With --reuse (make check), a cell
# whose inputs (QEMU, kernel, initramfs, firmware, list and command line) are those
# of a run that passed takes that run's console instead of booting (lib.sh:
# result_fetch); CELLDIR/run.key is the hash of those inputs.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
. "$here/matrix.env"

reuse=
[ "${1:-}" != --reuse ] || { reuse=1; shift; }
[ $# -ge 3 ] || die "usage: run-vm.sh CELLDIR KERNEL INITRAMFS [QEMU_ARG...] (got $# arguments); fix: pass a planned cell, a kernel Image and an initramfs"
cell_dir=$(realpath -m "$1") kernel=$(realpath -m "$2") initramfs=$(realpath -m "$3")
shift 3
if ! { [ -f "$cell_dir/cell.env" ] && [ -f "$cell_dir/tests.list" ]; }; then
	die "${cell_dir#"$top"/} is not a planned cell (no cell.env or tests.list); fix: run plan.sh first"
fi
[ -f "$kernel" ] || die "kernel $kernel missing; fix: run 'make kernels'"
[ -f "$initramfs" ] || die "initramfs $initramfs missing; fix: run 'make check' (the L1 initramfs is built per run)"
qemu=$top/build/qemu-build/qemu-system-aarch64
[ -x "$qemu" ] || die "${qemu#"$top"/} missing; fix: run 'make qemu'"
# shellcheck disable=SC1091
. "$cell_dir/cell.env"
status=$cell_dir/run.status log=$cell_dir/console.log
rm -f "$status" "$log"

# The cell's list travels as a second cpio archive after the base's initramfs.
stage=$cell_dir/initramfs
rm -rf "$stage" && mkdir -p "$stage/etc"
cp "$cell_dir/tests.list" "$stage/etc/tests.list"
(cd "$stage" && find etc | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) >"$cell_dir/list.cpio"
rm -rf "$stage"
cat "$initramfs" "$cell_dir/list.cpio" >"$cell_dir/initramfs.cpio"

mode_var=MODE_${MODE}_CMDLINE machine_var=PROFILE_${PROFILE}_MACHINE
firmware_var=PROFILE_${PROFILE}_FIRMWARE profile_cmdline_var=PROFILE_${PROFILE}_CMDLINE
cmdline="$KERNEL_CMDLINE ${!mode_var} ${!profile_cmdline_var} sea.cell=$CELL"
read -ra words <<<"$cmdline"
cmdline="${words[*]}"
cmd=("$qemu" -M "${!machine_var}" -cpu "$QEMU_CPU" -smp "$QEMU_SMP" -m "$QEMU_MEMORY")
case "${!firmware_var}" in
no) ;;
uefi)
	# shellcheck disable=SC1091
	. "$top/build/inputs.env"
	if ! { [ -f "$FIRMWARE_CODE" ] && [ -f "$FIRMWARE_VARS" ]; }; then
		die "UEFI firmware ${FIRMWARE_CODE:-AAVMF_CODE.fd} missing; fix: run 'make setup' (it installs qemu-efi-aarch64)"
	fi
	cp "$FIRMWARE_VARS" "$cell_dir/efivars.fd"
	cmd+=(-drive "if=pflash,format=raw,readonly=on,file=$FIRMWARE_CODE"
		-drive "if=pflash,format=raw,file=$cell_dir/efivars.fd")
	;;
*) die "profile $PROFILE has firmware '${!firmware_var}'; fix: PROFILE_${PROFILE}_FIRMWARE in harness/matrix.env must be no or uefi" ;;
esac
cmd+=(-kernel "$kernel" -initrd "$cell_dir/initramfs.cpio" -append "$cmdline"
	-nodefaults -display none -serial stdio -monitor none -no-reboot "$@")

# The VM gets the sum of the listed timeouts plus a margin, then is killed.
budget=$(awk '$2 != "skip" {s += $2 + 0} END {print s + 0}' "$cell_dir/tests.list")
budget=$((budget + VM_TIMEOUT_MARGIN))
# Quoted only where the shell needs it, so the line reads as typed.
for arg in "${cmd[@]}"; do
	if [[ $arg =~ ^[A-Za-z0-9_./,=:+@%-]+$ ]]; then printf '%s ' "$arg"; else printf "'%s' " "${arg//\'/\'\\\'\'}"; fi
done | sed 's/ $/\n/' >"$cell_dir/qemu.cmd"

key=$(
	{
		sha256sum "$qemu" "$kernel" "$initramfs" | cut -d' ' -f1
		[ "${!firmware_var}" = no ] || sha256sum <"$FIRMWARE_CODE"
		cat "$cell_dir/tests.list" "$cell_dir/qemu.cmd"
	} | sha256sum | cut -c1-32
)
echo "$key" >"$cell_dir/run.key"
if [ -n "$reuse" ] && result_fetch "$key" "$cell_dir"; then
	say "$CELL: inputs unchanged since a run that passed; its results stand (RERUN=1 boots it again)"
	[ "${V:-0}" != 1 ] || cat "$log"
	exit 0
fi
say "$CELL: booting (budget ${budget}s), console in ${log#"$top"/}; running:"
printf '  $ %s\n' "$(cat "$cell_dir/qemu.cmd")" >&2

set +e
if [ "${V:-0}" = 1 ]; then
	timeout --kill-after=10 "$budget" "${cmd[@]}" </dev/null 2>"$cell_dir/qemu.stderr" | tee "$log"
	rc=${PIPESTATUS[0]}
else
	timeout --kill-after=10 "$budget" "${cmd[@]}" </dev/null >"$log" 2>"$cell_dir/qemu.stderr"
	rc=$?
fi
set -e
case $rc in
0)
	if grep -aq '^# sea-platform L1: done' "$log"; then
		echo ok >"$status"
		exit 0
	fi
	echo "the VM stopped before l1/init finished (panic or reset)" >"$status"
	die "$CELL: the VM stopped before l1/init finished (panic or reset); fix: read ${log#"$top"/}"
	;;
124 | 137)
	echo "the VM did not power off within ${budget}s (killed)" >"$status"
	die "$CELL: the VM did not power off within ${budget}s (killed); fix: read ${log#"$top"/} for the test that hung and lower its timeout or exclude it in harness/lists/"
	;;
*)
	echo "qemu exited with status $rc: $(head -n 1 "$cell_dir/qemu.stderr")" >"$status"
	die "$CELL: qemu exited with status $rc: $(head -n 1 "$cell_dir/qemu.stderr"); fix: see ${cell_dir#"$top"/}/qemu.stderr and qemu.cmd"
	;;
esac
