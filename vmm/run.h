/* SPDX-License-Identifier: GPL-2.0-only */
/* Running a boot: one thread per vCPU, and its exits dispatched. */
#ifndef SEAVMM_RUN_H
#define SEAVMM_RUN_H

#include "vm.h"

/* Runs the vCPUs until something stops the VM; returns why. */
enum stop_reason run_vm(struct vm *vm);

#endif
