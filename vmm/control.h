/* SPDX-License-Identifier: GPL-2.0-only */
/* The demo control device: see control_regs.h. */
#ifndef SEAVMM_CONTROL_H
#define SEAVMM_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

void control_mmio(struct vm *vm, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
