/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal 16550 UART, output only: the guest's console. */
#ifndef SEAVMM_UART_H
#define SEAVMM_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "vm.h"

void uart_mmio(struct vm *vm, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
int uart_dt_props(void *fdt);
void uart_reset(void);
/* Ends a partial output line, so that the next event starts a line. */
void uart_flush(void);

#endif
