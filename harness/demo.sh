#!/usr/bin/env bash
# make demo: boot the emulated RAS platform, run the reference VMM's full
# scenario in it (guest/demo.list), and tell what happened: a short story, then
# the VMM's JSON events. Exits 0 only if every expected step was observed and
# the host kernel stayed clean.
#
#   MODE=vhe|nvhe (default vhe)   SEA_VERBOSE=1 also streams the whole console
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
. "$here/platform.env"

mode=${MODE:-vhe}
list=$top/guest/demo.list
log=$top/build/logs/demo-$mode.log
"$here/build-guest.sh" "$list"
rm -f "$log"
run_ok=1
"$here/run-vm.sh" "$mode" "$top/build/initramfs-demo.cpio" "$log" || run_ok=0

# The VMM's output reaches the console through guest/init, each line behind "# ".
vmm_lines() { sed -n 's/^# //p' "$log" | grep -aE '^(\{"|demo: |\[ *[0-9.]+\] (Kernel panic|Internal error))' || true; }

echo
echo "== What happened =="
vmm_lines | awk '
function field(name,    v) {
	if (!match($0, "\"" name "\":(\"[^\"]*\"|[^,}]*)"))
		return ""
	v = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
	gsub(/"/, "", v)
	return v
}
/^\{"time":[0-9.]+,"event":"start"/ {
	printf "vmm    started: %s vCPUs, %s MiB, KVM_CAP_ARM_SEA_TO_USER %s, threshold %s pages\n",
		field("vcpus"), field("memory_mib"),
		field("sea_to_user") == "true" ? "enabled" : "NOT available", field("threshold")
	next
}
/"event":"sea"/ {
	printf "vmm    SEA #%s on vCPU %s: %s, FSC %s (%s), guest EL%s, gva %s, gpa %s\n",
		field("count"), field("vcpu"), field("ec"), field("fsc"), field("fsc_name"),
		field("guest_el"), field("gva"), field("gpa_valid") == "true" ? field("gpa") : "unknown"
	printf "vmm      -> page %s; %s injected; %s distinct poisoned pages\n",
		field("page"), field("injected"), field("distinct_pages")
	next
}
/"event":"vmm-sigbus"/ {
	printf "vmm    SIGBUS in the VMM while %s (si_code %s): %s\n", field("during"), field("si_code"), field("outcome")
	next
}
/"event":"page-retired"/ {
	printf "vmm      -> guest page %s: %s\n", field("gpa"), field("page")
	next
}
/"event":"hwpoison-signal"/ {
	printf "vmm    memory-failure SIGBUS on vCPU %s for gpa %s: %s; %s\n", field("vcpu"), field("gpa"), field("page"), field("injected")
	next
}
/"event":"restart"/ {
	printf "vmm    the guest reset: boot %s starts with %s retired pages already replaced\n",
		field("boot"), field("retired_pages")
	next
}
/"event":"guest-step"/ {
	printf "step   %-16s %s\n", field("step"), field("ok") == "true" ? "observed by the guest" : "FAILED in the guest"
	next
}
/"event":"report"/ {
	printf "vmm    stopped (%s): %s; %s SEAs, %s distinct pages, %s boots\n",
		field("stop"), field("detail"), field("seas"), field("distinct_pages"), field("boots")
	next
}
/^demo: / { sub(/^demo: /, ""); print "guest  " $0; next }
/Kernel panic|Internal error/ { sub(/^\[ *[0-9.]+\] /, ""); print "guest  kernel: " $0 }
'

echo
echo "== JSON events (the VMM's stdout) =="
vmm_lines | grep -a '^{' || true

echo
echo "== Verdict =="
report=$(vmm_lines | grep -a '"event":"report"' | tail -n 1)
if [ -n "$report" ]; then
	steps=${report#*\"steps\":\{}
	echo "steps: ${steps%%\}*}" | sed 's/"//g; s/,/, /g'
fi
verdict_ok=1
"$here/verdict.sh" "$list" "$mode=$log" || verdict_ok=0
if [ "$run_ok" = 1 ] && [ "$verdict_ok" = 1 ] && printf '%s' "$report" | grep -q '"ok":true'; then
	echo "demo: every expected step was observed (console: ${log#$top/})"
	exit 0
fi
echo "demo: FAILED: an expected step was not observed (console: ${log#$top/})" >&2
exit 1
