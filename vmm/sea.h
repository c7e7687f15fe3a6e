/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The two ways a guest's memory error reaches the VMM, and the abort that
 * goes back to the guest for each:
 *
 *  kernel-first    KVM_EXIT_ARM_SEA (KVM_CAP_ARM_SEA_TO_USER): the host does
 *                  not own the SEA and KVM hands it over, with the syndrome;
 *  firmware-first  SIGBUS BUS_MCEERR_AR from KVM_RUN: the host's memory-failure
 *                  handling has the page (its APEI claimed the SEA from a GHES
 *                  record, or the page was poisoned before) and KVM refuses to
 *                  map it; BUS_MCEERR_AO reports a page before anyone used it.
 *
 * Both end in memerr_page_poisoned().
 */
#ifndef SEAVMM_SEA_H
#define SEAVMM_SEA_H

#include <stdbool.h>

#include "vm.h"

void sea_handle_exit(struct vcpu *vcpu);
/* After KVM_RUN returned EINTR: handles a BUS_MCEERR_AR the vCPU took; true if there was one. */
bool sea_handle_sigbus(struct vcpu *vcpu);
/* Handles the queued BUS_MCEERR_AO reports, from any thread. */
void sea_handle_action_optional(struct vm *vm);

#endif
