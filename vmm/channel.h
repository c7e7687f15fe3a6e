/* SPDX-License-Identifier: GPL-2.0-only */
/* The memory-error channel device: see channel_regs.h for the guest's view. */
#ifndef SEAVMM_CHANNEL_H
#define SEAVMM_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "channel_regs.h"
#include "vm.h"

/* Queues a poisoned guest page for the guest; false if the queue is full. */
bool channel_notify(uint64_t gpa);
void channel_mmio(struct vm *vm, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* A new boot: the pages are clean again, nothing to tell. */
void channel_reset(void);
/* Called about once a second: reports an answer overdue by more than timeout seconds. */
void channel_tick(int timeout);

#endif
