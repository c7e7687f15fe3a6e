// SPDX-License-Identifier: GPL-2.0-only
/* The device table; see devices.h. */
#include "channel.h"
#include "control.h"
#include "devices.h"
#include "uart.h"

const struct device devices[] = {
	{ "uart", "ns16550a", UART_BASE, UART_SIZE, UART_SPI, uart_mmio, uart_dt_props, uart_reset },
	{ "control", "seavmm,control", CONTROL_BASE, CONTROL_SIZE, -1, control_mmio, NULL, NULL },
	{ "memory-errors", MEMERR_CHANNEL_COMPATIBLE, MEMERR_CHANNEL_BASE, MEMERR_CHANNEL_SIZE, -1,
	  channel_mmio, NULL, channel_reset },
};
const size_t nr_devices = sizeof(devices) / sizeof(devices[0]);

const struct device *device_at(uint64_t gpa)
{
	size_t i;

	for (i = 0; i < nr_devices; i++)
		if (gpa >= devices[i].base && gpa - devices[i].base < devices[i].size)
			return &devices[i];
	return NULL;
}

void devices_reset(void)
{
	size_t i;

	for (i = 0; i < nr_devices; i++)
		if (devices[i].reset)
			devices[i].reset();
}
