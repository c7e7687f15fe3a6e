#!/usr/bin/env bash
# make demo's report: tell what happened in a demo cell (harness/lists/demo.list,
# booted by pipeline.sh): a short story, then the reference VMM's JSON events,
# then the steps. Exits 0 only if the VMM reported every expected step observed
# (pipeline.sh runs the verdict on the cell, for the console, beforehand).
#
#   demo-report.sh CELLDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

cell_dir=${1:-}
[ -f "$cell_dir/cell.env" ] || die "usage: demo-report.sh CELLDIR (got '${cell_dir}'); fix: pass the demo cell pipeline.sh booted"
log=$cell_dir/console.log
[ -f "$log" ] || die "the demo cell has no console log (${log#"$top"/}); fix: read the boot error above"

# The VMM's output reaches the console through l1/init, each line behind "# ".
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
report=$(vmm_lines | grep -a '"event":"report"' | tail -n 1 || true)
if [ -n "$report" ]; then
	steps=${report#*\"steps\":\{}
	echo "steps: ${steps%%\}*}" | sed 's/"//g; s/,/, /g'
fi
if printf '%s' "$report" | grep -q '"ok":true'; then
	echo "demo: every expected step was observed (console: ${log#"$top"/})"
	exit 0
fi
echo "demo: FAILED: an expected step was not observed (console: ${log#"$top"/})" >&2
exit 1
