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
vmm_lines() { sed -n 's/^# //p' "$log" | grep -aE '^(\{"|demo: |seavmm-agent: |\[ *[0-9.]+\] (Kernel panic|Internal error|Memory failure))' || true; }

. "$cell_dir/cell.env"
echo
echo "== What happened: $BASE/$MODE/$PROFILE =="
vmm_lines | awk '
function field(name,    v) {
	if (!match($0, "\"" name "\":(\"[^\"]*\"|[^,}]*)"))
		return ""
	v = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
	gsub(/"/, "", v)
	return v
}
/^\{"time":[0-9.]+,"event":"start"/ {
	printf "vmm    started: %s vCPUs, %s MiB, KVM_CAP_ARM_SEA_TO_USER %s, threshold %s pages, replace early: %s\n",
		field("vcpus"), field("memory_mib"),
		field("sea_to_user") == "true" ? "enabled" : "NOT available", field("threshold"), field("replace_early")
	next
}
/"event":"memory-error"/ {
	printf "vmm    memory error #%s, %s, met by %s%s%s: gpa %s (page %s)%s\n",
		field("count"), field("path"), field("access"), field("vcpu") == "-1" ? "" : " on vCPU " field("vcpu"),
		field("guest_el") == "-1" ? "" : " at guest EL" field("guest_el"),
		field("gpa_valid") == "true" ? field("gpa") : "unknown", field("page"),
		field("ec") == "" ? "" : "; " field("ec") ", FSC " field("fsc") " (" field("fsc_name") ")"
	printf "vmm      -> host page %s; guest told: %s; injected: %s; %s distinct poisoned pages\n",
		field("host_page"), field("guest_told"), field("injected"), field("distinct_pages")
	next
}
/"event":"vmm-sigbus"/ {
	printf "vmm    SIGBUS in the VMM during %s (si_code %s): %s\n", field("during"), field("si_code"), field("outcome")
	next
}
/"event":"guest-offline"/ {
	printf "vmm    the guest answered for %s: %s\n", field("gpa"), field("outcome")
	next
}
/"event":"guest-agent"/ {
	printf "vmm    no answer from the guest for %s within %s s: %s\n", field("gpa"), field("timeout_s"), field("outcome")
	next
}
/"event":"channel-error"/ {
	printf "vmm    channel misuse (%s at %s): %s\n", field("error"), field("offset"), field("outcome")
	next
}
/"event":"pages-replaced"/ {
	printf "vmm    %s: clean memory behind %s poisoned pages\n", field("when"), field("count")
	next
}
/"event":"restart"/ {
	printf "vmm    the guest reset: boot %s starts\n", field("boot")
	next
}
/"event":"guest-step"/ {
	printf "step   %-16s %s\n", field("step"), field("ok") == "true" ? "observed by the guest" : "FAILED in the guest"
	next
}
/"event":"report"/ {
	printf "vmm    stopped (%s): %s; %s memory errors, %s distinct pages, %s boots\n",
		field("stop"), field("detail"), field("memory_errors"), field("distinct_pages"), field("boots")
	next
}
/^demo: / { sub(/^demo: /, ""); print "guest  " $0; next }
/^seavmm-agent: / { sub(/^seavmm-agent: /, ""); print "agent  " $0; next }
/Kernel panic|Internal error|Memory failure/ { sub(/^\[ *[0-9.]+\] /, ""); print "guest  kernel: " $0 }
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
