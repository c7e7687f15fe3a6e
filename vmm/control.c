// SPDX-License-Identifier: GPL-2.0-only
/*
 * The demo guest's paravirtual control device ("seavmm,control" in the device
 * tree). A test program in the guest uses it to have one of its own pages
 * poisoned (the VMM asks the platform's memory error injector to poison the
 * host page behind it), to report the steps of the scenario, and to learn
 * which guest pages the VMM has retired. All registers are 64-bit.
 *
 *   0x00 POISON        WO  guest physical address to poison
 *   0x08 STATUS        RO  0 ok, 1 not guest RAM, 2 memory error (the injection
 *                          failed, or the device read hit poison)
 *   0x10 STEP_OK       WO  the guest observed step N as expected
 *   0x18 STEP_FAIL     WO  the guest observed step N go wrong
 *   0x20 BOOT          RO  1 on the first boot, 2 after the first restart, ...
 *   0x28 RETIRED_INDEX WO  selects an entry of the retired-page list
 *   0x30 RETIRED_GPA   RO  that entry's guest page, or ~0 past the end
 *   0x38 RETIRED_COUNT RO  guest pages retired (replaced after poison)
 *   0x40 DEVICE_READ   WO  the device reads 8 bytes of guest memory at this
 *                          guest physical address, as a DMA would
 *   0x48 DEVICE_DATA   RO  what it read
 *
 * STATUS and DEVICE_DATA are per device, not per vCPU: the demo guest uses
 * the device from one process at a time.
 */
#include <string.h>

#include "vmm.h"
#include "control_regs.h"

static const char *const steps[] = {
	[STEP_VICTIM_DATA] = "victim-data",	/* guest: a process killed by SIGBUS on a data read, others run on */
	[STEP_VICTIM_EXEC] = "victim-exec",	/* guest: the same for an instruction fetch */
	[STEP_KERNEL_CONSUMER] = "kernel-consumer",	/* VMM: an SEA taken by the guest kernel (EL1) */
	[STEP_GUEST_RESTART] = "guest-restart",	/* VMM: the guest reset and was booted again */
	[STEP_RESTART_CLEAN] = "restart-clean",	/* guest: after the restart, every retired page reads fine */
	[STEP_THRESHOLD] = "threshold",	/* VMM: the distinct-page threshold stopped the VM */
	[STEP_VMM_SIGBUS] = "vmm-sigbus",	/* guest: a device read of poisoned memory failed cleanly */
};

const char *step_name(int step)
{
	if (step <= 0 || step >= (int)(sizeof(steps) / sizeof(steps[0])) || !steps[step])
		return "unknown";
	return steps[step];
}

int step_by_name(const char *name)
{
	size_t i;

	for (i = 1; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i] && !strcmp(name, steps[i]))
			return i;
	return -1;
}

static void report_step(struct vm *vm, uint64_t step, bool ok)
{
	pthread_mutex_lock(&vm->lock);
	if (step < 64) {
		if (ok)
			vm->steps_ok |= 1ULL << step;
		else
			vm->steps_failed |= 1ULL << step;
	}
	pthread_mutex_unlock(&vm->lock);
	event("guest-step", ",\"step\":\"%s\",\"ok\":%s", step_name(step), ok ? "true" : "false");
}

void control_mmio(struct vm *vm, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	uint64_t value = 0, device_data = 0;
	int status = 0;

	if (is_write) {
		memcpy(&value, data, len > 8 ? 8 : len);
		switch (offset) {
		case CONTROL_POISON:
			status = sea_poison_guest_page(vm, value);
			break;
		case CONTROL_DEVICE_READ:
			status = sea_device_read(vm, value, &device_data);
			break;
		case CONTROL_STEP_OK:
			report_step(vm, value, true);
			break;
		case CONTROL_STEP_FAIL:
			report_step(vm, value, false);
			break;
		case CONTROL_RETIRED_INDEX:
			pthread_mutex_lock(&vm->lock);
			vm->control_index = value;
			pthread_mutex_unlock(&vm->lock);
			break;
		}
		if (offset == CONTROL_POISON || offset == CONTROL_DEVICE_READ) {
			pthread_mutex_lock(&vm->lock);
			vm->control_status = status;
			vm->control_data = device_data;
			pthread_mutex_unlock(&vm->lock);
		}
		return;
	}

	pthread_mutex_lock(&vm->lock);
	switch (offset) {
	case CONTROL_STATUS:
		value = vm->control_status;
		break;
	case CONTROL_BOOT:
		value = vm->boot;
		break;
	case CONTROL_RETIRED_GPA:
		value = vm->control_index < (uint64_t)vm->retired_count ?
			vm->retired[vm->control_index] : ~0ULL;
		break;
	case CONTROL_RETIRED_COUNT:
		value = vm->retired_count;
		break;
	case CONTROL_DEVICE_DATA:
		value = vm->control_data;
		break;
	}
	pthread_mutex_unlock(&vm->lock);
	memset(data, 0, len);
	memcpy(data, &value, len > 8 ? 8 : len);
}
