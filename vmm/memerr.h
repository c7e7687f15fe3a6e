/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * "A guest page is poisoned": the one routine every memory error ends in,
 * whichever way it reached the VMM, and the policy behind it. See memerr.c.
 */
#ifndef SEAVMM_MEMERR_H
#define SEAVMM_MEMERR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm.h"

enum memerr_path {
	MEMERR_KERNEL_FIRST,	/* KVM_EXIT_ARM_SEA: KVM handed the SEA to the VMM */
	MEMERR_FIRMWARE_FIRST,	/* SIGBUS BUS_MCEERR_*: the host's memory-failure handling has the page */
};

struct memerr_report {
	enum memerr_path path;
	const char *access;	/* who met the error: "guest", "vmm", or "none" (reported before use) */
	int vcpu;		/* the vCPU that consumed it, or -1 */
	int guest_el;		/* the guest's exception level when it did, or -1 */
	bool gpa_valid;
	uint64_t gpa;
	const char *syndrome;	/* extra JSON fields (the decoded ESR), or "" */
	const char *injected;	/* what went back to the guest, or "nothing" */
};

void memerr_init(void);
/*
 * Records the page, makes sure the host never hands it out again, tells the
 * guest (channel.c), logs one "memory-error" event and stops the VM at the
 * distinct-page threshold.
 */
void memerr_page_poisoned(struct vm *vm, const struct memerr_report *r);
/* Was gpa's page given fresh memory while the guest ran (--replace-early)? */
bool memerr_page_replaced(uint64_t gpa);
/* Before a new boot: clean memory behind every poisoned page; 0 or -errno. */
int memerr_reset(struct vm *vm);

uint64_t memerr_count(void);		/* memory-error events so far */
int memerr_distinct_pages(void);
/* The index'th distinct poisoned guest page, in the order they were found. */
bool memerr_page(int index, uint64_t *gpa);

#endif
