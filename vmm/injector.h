/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The demo's hook into the emulated platform's memory error injector
 * (l1/mem_error_injector.h): poisons the host page behind a guest page, so
 * that the guest meets a real memory error. A production VMM has no such
 * thing; it only meets the errors.
 */
#ifndef SEAVMM_INJECTOR_H
#define SEAVMM_INJECTOR_H

#include <stdint.h>

#include "vm.h"

void injector_init(void);
/* Poisons the host page behind gpa; 0, -ENXIO (not RAM), -ENODEV or -EIO. */
int injector_poison(struct vm *vm, uint64_t gpa);
/* Clears what injector_poison() poisoned: at exit, so the host is left clean. */
void injector_clear_all(void);

#endif
