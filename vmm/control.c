// SPDX-License-Identifier: GPL-2.0-only
/*
 * The demo guest's control device (control_regs.h): the guest has one of its
 * own pages poisoned through the platform's injector, reports the steps of
 * the scenario, reads what the VMM knows, and has the device read guest
 * memory as a DMA would, which is how the VMM's own thread meets poison.
 */
#include <errno.h>
#include <string.h>

#include "control.h"
#include "control_regs.h"
#include "injector.h"
#include "log.h"
#include "memerr.h"
#include "sigbus.h"
#include "steps.h"

static struct {
	pthread_mutex_t lock;
	uint64_t status;
	uint64_t index;
	uint64_t data;
} control = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct read_op {
	volatile uint64_t *hva;
	uint64_t value;
};

static void read_u64(void *arg)
{
	struct read_op *op = arg;

	op->value = *op->hva;
}

/*
 * A device reading guest memory for the guest: on a poisoned page the VMM's
 * own thread takes the SIGBUS, and the guest gets a device error.
 */
static int device_read(struct vm *vm, uint64_t gpa, uint64_t *value)
{
	struct read_op op = { .hva = gpa_to_hva(vm, gpa, 8) };
	siginfo_t info;

	/* Aligned, so that the poisoned page is the one at gpa. */
	if (gpa & 7)
		return CONTROL_STATUS_UNALIGNED;
	if (!op.hva)
		return CONTROL_STATUS_NOT_RAM;
	if (sigbus_guarded(read_u64, &op, &info)) {
		*value = op.value;
		return CONTROL_STATUS_OK;
	}
	event("vmm-sigbus", ",\"during\":\"a device read of guest memory\",\"si_code\":%d,"
	      "\"si_addr\":\"%p\",\"outcome\":\"handled: device error returned\"",
	      info.si_code, info.si_addr);
	memerr_page_poisoned(vm, &(struct memerr_report){
		/* BUS_MCEERR_*: the host's memory-failure took the page; else a bare SEA. */
		.path = info.si_code == BUS_MCEERR_AR || info.si_code == BUS_MCEERR_AO ?
			MEMERR_FIRMWARE_FIRST : MEMERR_KERNEL_FIRST,
		.access = "vmm", .vcpu = -1, .guest_el = -1,
		.gpa_valid = true, .gpa = gpa, .syndrome = "",
		.injected = "nothing: the device reported an error",
	});
	return CONTROL_STATUS_MEMORY_ERROR;
}

static void write_reg(struct vm *vm, uint64_t offset, uint64_t value)
{
	uint64_t data = 0;
	int status;

	switch (offset) {
	case CONTROL_POISON:
		status = injector_poison(vm, value);
		status = !status ? CONTROL_STATUS_OK : status == -ENXIO ? CONTROL_STATUS_NOT_RAM :
			 CONTROL_STATUS_MEMORY_ERROR;
		break;
	case CONTROL_DEVICE_READ:
		status = device_read(vm, value, &data);
		break;
	case CONTROL_STEP_OK:
	case CONTROL_STEP_FAIL:
		if (offset == CONTROL_STEP_OK)
			step_observed(value);
		else
			step_failed(value);
		event("guest-step", ",\"step\":\"%s\",\"ok\":%s", step_name(value),
		      offset == CONTROL_STEP_OK ? "true" : "false");
		return;
	case CONTROL_POISONED_INDEX:
		pthread_mutex_lock(&control.lock);
		control.index = value;
		pthread_mutex_unlock(&control.lock);
		return;
	default:
		return;
	}
	pthread_mutex_lock(&control.lock);
	control.status = status;
	control.data = data;
	pthread_mutex_unlock(&control.lock);
}

static uint64_t read_reg(struct vm *vm, uint64_t offset)
{
	uint64_t value = 0;

	pthread_mutex_lock(&control.lock);
	switch (offset) {
	case CONTROL_STATUS:
		value = control.status;
		break;
	case CONTROL_BOOT:
		value = vm->boot;
		break;
	case CONTROL_POISONED_GPA:
		if (control.index > INT32_MAX || !memerr_page(control.index, &value))
			value = ~0ULL;
		break;
	case CONTROL_POISONED_COUNT:
		value = memerr_distinct_pages();
		break;
	case CONTROL_DEVICE_DATA:
		value = control.data;
		break;
	case CONTROL_MEMORY_ERRORS:
		value = memerr_count();
		break;
	}
	pthread_mutex_unlock(&control.lock);
	return value;
}

void control_mmio(struct vm *vm, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	uint64_t value = 0;

	if (is_write) {
		memcpy(&value, data, len > 8 ? 8 : len);
		write_reg(vm, offset, value);
		return;
	}
	value = read_reg(vm, offset);
	memset(data, 0, len);
	memcpy(data, &value, len > 8 ? 8 : len);
}
