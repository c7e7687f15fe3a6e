/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMM's emulated devices, in one table: the MMIO dispatch (run.c) and
 * the device-tree builder (dt.c) both walk it, so that a device exists for
 * the guest exactly when the VMM emulates it.
 */
#ifndef SEAVMM_DEVICES_H
#define SEAVMM_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm.h"

struct device {
	const char *name;		/* device-tree node name, before the '@' */
	const char *compatible;
	uint64_t base, size;		/* guest physical window (layout.h) */
	int spi;			/* GIC SPI number, or -1 for no interrupt */
	/* An access at base + offset; a read fills data[0..len). */
	void (*mmio)(struct vm *vm, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
	/* Extra device-tree properties (libfdt sequential write), or NULL. */
	int (*dt_props)(void *fdt);
	/* Back to the power-on state before each boot, or NULL. */
	void (*reset)(void);
};

extern const struct device devices[];
extern const size_t nr_devices;

/* The device whose window holds gpa, or NULL. */
const struct device *device_at(uint64_t gpa);
void devices_reset(void);

#endif
