/* SPDX-License-Identifier: GPL-2.0-only */
/* The guest's device tree, built at every boot. */
#ifndef SEAVMM_DT_H
#define SEAVMM_DT_H

#include <stddef.h>
#include <stdint.h>

#include "vm.h"

#define GIC_PHANDLE		1
#define GIC_SPI			0
#define GIC_PPI			1
#define IRQ_TYPE_LEVEL_HIGH	4
#define IRQ_TYPE_LEVEL_LOW	8

/* 0 or -errno, with a message on stderr. */
int dt_build(struct vm *vm, void *buf, size_t size, uint64_t initrd_start, uint64_t initrd_end);

#endif
