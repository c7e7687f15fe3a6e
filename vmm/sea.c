// SPDX-License-Identifier: GPL-2.0-only
/* The kernel-first and firmware-first paths into the VMM; see sea.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"
#include "memerr.h"
#include "sea.h"
#include "sigbus.h"
#include "steps.h"
#include "control_regs.h"

/* ESR_ELx (Arm ARM D24.2.46) */
#define ESR_EC(esr)		(((esr) >> 26) & 0x3f)
#define ESR_EC_IABT_LOW		0x20
#define ESR_EC_DABT_LOW		0x24
#define ESR_ISS_MASK		0x1ffffffULL
#define ESR_IL			(1ULL << 25)
#define ESR_SET(esr)		(((esr) >> 11) & 3)
#define ESR_FNV			(1ULL << 10)
#define ESR_EA			(1ULL << 9)
#define ESR_CM			(1ULL << 8)
#define ESR_WNR			(1ULL << 6)
#define ESR_FSC(esr)		((esr) & 0x3f)
#define ESR_FSC_SEA		0x10
#define ESR_FSC_SEA_TTW_MIN	0x13	/* on a translation table walk, levels -1..3 */
#define ESR_FSC_SEA_TTW_MAX	0x17

static const char *ec_name(unsigned int ec)
{
	return ec == ESR_EC_IABT_LOW ? "IABT_LOW" : ec == ESR_EC_DABT_LOW ? "DABT_LOW" : "other";
}

static const char *fsc_name(unsigned int fsc)
{
	if (fsc == ESR_FSC_SEA)
		return "SEA";
	if (fsc >= ESR_FSC_SEA_TTW_MIN && fsc <= ESR_FSC_SEA_TTW_MAX)
		return "SEA on table walk";
	return "other";
}

/* ESR_ELx.SET: with FEAT_RAS, for an SEA (FSC 0x10) only. */
static const char *set_name(uint64_t esr)
{
	static const char *const names[] = { "UER", "reserved", "UC", "UEO" };

	return ESR_FSC(esr) == ESR_FSC_SEA ? names[ESR_SET(esr)] : "n/a";
}

static int set_events(struct vcpu *vcpu, struct kvm_vcpu_events *events)
{
	return ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, events) ? -errno : 0;
}

/*
 * Hands the abort back as the guest would have taken it: an instruction
 * abort for a fetch, a data abort otherwise, with the exit's ISS.
 */
static const char *inject_as_taken(struct vcpu *vcpu, uint64_t esr)
{
	struct kvm_vcpu_events events = {};
	bool iabt = ESR_EC(esr) == ESR_EC_IABT_LOW;
	const char *what = iabt ? "instruction abort" : "data abort";

#ifdef KVM_ARM_INJECT_EXT_ABT_ESR
	int caps = vcpu->vm->inject_caps;

	if (iabt && (caps & KVM_ARM_INJECT_EXT_IABT))
		events.exception.ext_iabt_pending = 1;
	else
		events.exception.ext_dabt_pending = 1;
	if (iabt && !(caps & KVM_ARM_INJECT_EXT_IABT))
		what = "data abort (this kernel cannot inject instruction aborts)";
	if (caps & KVM_ARM_INJECT_EXT_ABT_ESR) {
		events.exception.ext_abt_has_esr = 1;
		events.ext_abt_esr = esr & ESR_ISS_MASK;
	}
	if (!set_events(vcpu, &events))
		return what;
	/* Syndrome refused (an AArch32 guest...): the same abort without it. */
	if (events.exception.ext_abt_has_esr) {
		events.exception.ext_abt_has_esr = 0;
		events.ext_abt_esr = 0;
		if (!set_events(vcpu, &events))
			return events.exception.ext_iabt_pending ?
			       "instruction abort (the syndrome could not be passed on)" :
			       "data abort (the syndrome could not be passed on)";
	}
	memset(&events, 0, sizeof(events));
	what = "data abort (the abort could not be injected as taken)";
#else
	if (iabt)
		what = "data abort (these headers cannot inject instruction aborts)";
#endif
	events.exception.ext_dabt_pending = 1;
	if (set_events(vcpu, &events)) {
		vm_request_stop(vcpu->vm, STOP_ERROR, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
		return "nothing: the injection failed";
	}
	return what;
}

static void note_guest_el(int guest_el)
{
	if (guest_el == 1)
		step_observed(STEP_KERNEL_CONSUMER);
}

void sea_handle_exit(struct vcpu *vcpu)
{
	const struct kvm_run *run = vcpu->run;
	uint64_t esr = run->arm_sea.esr;
	int guest_el = vcpu_guest_el(vcpu);
	const char *injected;
	char syndrome[384];

	snprintf(syndrome, sizeof(syndrome),
		 ",\"esr\":\"0x%llx\",\"ec\":\"%s\",\"il\":%d,\"fnv\":%d,\"ea\":%d,\"wnr\":%d,"
		 "\"cm\":%d,\"set\":\"%s\",\"fsc\":\"0x%llx\",\"fsc_name\":\"%s\",\"gva\":\"0x%llx\"",
		 (unsigned long long)esr, ec_name(ESR_EC(esr)), !!(esr & ESR_IL), !!(esr & ESR_FNV),
		 !!(esr & ESR_EA), !!(esr & ESR_WNR), !!(esr & ESR_CM), set_name(esr),
		 (unsigned long long)ESR_FSC(esr), fsc_name(ESR_FSC(esr)),
		 (unsigned long long)run->arm_sea.gva);
	injected = inject_as_taken(vcpu, esr);
	note_guest_el(guest_el);
	memerr_page_poisoned(vcpu->vm, &(struct memerr_report){
		.path = MEMERR_KERNEL_FIRST, .access = "guest", .vcpu = vcpu->id,
		.guest_el = guest_el,
		.gpa_valid = run->arm_sea.flags & KVM_EXIT_ARM_SEA_FLAG_GPA_VALID,
		.gpa = run->arm_sea.gpa, .syndrome = syndrome, .injected = injected,
	});
}

static void touch_page(void *hva)
{
	(void)*(volatile uint8_t *)hva;
}

bool sea_handle_sigbus(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	void *hva = sigbus_take_action_required();
	struct kvm_vcpu_events events = { .exception.ext_dabt_pending = 1 };
	const char *injected = "data abort";
	siginfo_t info;
	int guest_el;
	uint64_t gpa;

	if (!hva)
		return false;
	if (!hva_to_gpa(vm, hva, &gpa)) {
		event("vmm-sigbus", ",\"during\":\"KVM_RUN\",\"vcpu\":%d,\"si_code\":%d,"
		      "\"si_addr\":\"%p\",\"outcome\":\"not guest memory: stopping\"",
		      vcpu->id, BUS_MCEERR_AR, hva);
		vm_request_stop(vm, STOP_ERROR, "a memory-failure SIGBUS outside guest RAM (%p)", hva);
		return true;
	}
	if (memerr_page_replaced(gpa) && sigbus_guarded(touch_page, hva, &info)) {
		/*
		 * --replace-early won the race: the page reads fine now and the
		 * access is retried. A page that faults again is a new error.
		 */
		event("vmm-sigbus", ",\"during\":\"KVM_RUN\",\"vcpu\":%d,\"gpa\":\"0x%llx\","
		      "\"outcome\":\"stale: the page was replaced meanwhile; the access is retried\"",
		      vcpu->id, (unsigned long long)gpa);
		return true;
	}
	guest_el = vcpu_guest_el(vcpu);
	/*
	 * KVM recorded the guest's fault (FAR_EL2): a data abort goes to that
	 * address, as QEMU injects one for this SIGBUS. Whether it was a fetch,
	 * and the syndrome, are not known here.
	 */
	if (set_events(vcpu, &events)) {
		vm_request_stop(vm, STOP_ERROR, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
		injected = "nothing: the injection failed";
	}
	note_guest_el(guest_el);
	memerr_page_poisoned(vm, &(struct memerr_report){
		.path = MEMERR_FIRMWARE_FIRST, .access = "guest", .vcpu = vcpu->id,
		.guest_el = guest_el, .gpa_valid = true, .gpa = gpa, .syndrome = "",
		.injected = injected,
	});
	return true;
}

void sea_handle_action_optional(struct vm *vm)
{
	uint64_t gpa;
	void *hva;

	while ((hva = sigbus_take_action_optional())) {
		if (!hva_to_gpa(vm, hva, &gpa)) {
			event("vmm-sigbus", ",\"during\":\"running\",\"si_code\":%d,\"si_addr\":\"%p\","
			      "\"outcome\":\"ignored: not guest memory, and nothing used it\"",
			      BUS_MCEERR_AO, hva);
			continue;
		}
		memerr_page_poisoned(vm, &(struct memerr_report){
			.path = MEMERR_FIRMWARE_FIRST, .access = "none", .vcpu = -1,
			.guest_el = -1, .gpa_valid = true, .gpa = gpa, .syndrome = "",
			.injected = "nothing: no one consumed it",
		});
	}
}
