/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SIGBUS in the VMM. Three kinds reach it:
 *
 *  - a VMM thread touching poisoned memory itself (a device reading guest
 *    memory): run the access with sigbus_guarded(), which turns the signal
 *    into a return value;
 *  - the host kernel's memory-failure handling telling a vCPU thread that the
 *    guest page it just faulted on is poisoned (BUS_MCEERR_AR from KVM_RUN,
 *    which the thread brackets with sigbus_in_kvm_run()): taken by
 *    sigbus_take_action_required() once KVM_RUN has returned EINTR;
 *  - the same handling telling the process that a page it maps went bad
 *    before anyone consumed it (BUS_MCEERR_AO, early-kill policy): queued,
 *    even during a guarded access, and taken by sigbus_take_action_optional()
 *    from any thread.
 *
 * Any other SIGBUS, a BUS_MCEERR_AR outside KVM_RUN and a guard included,
 * stops the VMM at once (exit status 3) with a JSON line.
 */
#ifndef SEAVMM_SIGBUS_H
#define SEAVMM_SIGBUS_H

#include <signal.h>
#include <stdbool.h>

void sigbus_init(void);
/* Runs fn(arg); false, with *info filled in, if it took a SIGBUS. */
bool sigbus_guarded(void (*fn)(void *), void *arg, siginfo_t *info);
/* Around KVM_RUN: a BUS_MCEERR_AR taken meanwhile is the guest's. */
void sigbus_in_kvm_run(bool in_run);
/* The address of a BUS_MCEERR_AR this thread took in KVM_RUN, or NULL. */
void *sigbus_take_action_required(void);
/* The address of a queued BUS_MCEERR_AO, or NULL. */
void *sigbus_take_action_optional(void);

#endif
