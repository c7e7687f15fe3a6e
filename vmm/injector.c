// SPDX-License-Identifier: GPL-2.0-only
/* The demo's use of the platform's memory error injector; see injector.h. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "injector.h"
#include "log.h"
#include "sigbus.h"
#include "../l1/mem_error_injector.h"

#define MAX_INJECTED	1024

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t injected[MAX_INJECTED];
static int nr_injected;

void injector_init(void)
{
	const char *why;
	char reason[256];

	if (mei_open(&why))
		event("injector", ",\"present\":false,\"reason\":\"%s\"",
		      json_escape(why, reason, sizeof(reason)));
}

struct populate_op {
	void *page;
	int err;
};

static void populate(void *arg)
{
	struct populate_op *op = arg;

	op->err = madvise(op->page, sysconf(_SC_PAGESIZE), MADV_POPULATE_WRITE) ? errno : 0;
}

int injector_poison(struct vm *vm, uint64_t gpa)
{
	uint8_t *hva = gpa_to_hva(vm, gpa, 1);
	struct populate_op op;
	uint32_t status;
	siginfo_t info;
	uint64_t pa;

	if (!hva)
		return -ENXIO;
	if (!mei_regs) {
		event("poison-request", ",\"gpa\":\"0x%llx\",\"ok\":false,\"reason\":\"no injector\"",
		      (unsigned long long)gpa);
		return -ENODEV;
	}
	/* Resident and the VMM's own, so that it has a host physical address. */
	op.page = (void *)((uintptr_t)hva & ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1));
	if (!sigbus_guarded(populate, &op, &info) || op.err) {
		event("poison-request", ",\"gpa\":\"0x%llx\",\"ok\":false,"
		      "\"reason\":\"the page cannot be made resident: poisoned already?\"",
		      (unsigned long long)gpa);
		return -EIO;
	}
	pa = mei_virt_to_phys(hva);

	pthread_mutex_lock(&lock);
	status = pa ? mei_poison(pa) : MEI_STATUS_INVALID_ADDRESS;
	if (status == MEI_STATUS_OK && nr_injected < MAX_INJECTED)
		injected[nr_injected++] = pa;
	pthread_mutex_unlock(&lock);

	event("poison-request", ",\"gpa\":\"0x%llx\",\"host_pa\":\"0x%llx\",\"ok\":%s",
	      (unsigned long long)gpa, (unsigned long long)pa,
	      status == MEI_STATUS_OK ? "true" : "false");
	return status == MEI_STATUS_OK ? 0 : -EIO;
}

void injector_clear_all(void)
{
	pthread_mutex_lock(&lock);
	while (nr_injected)
		mei_clear(injected[--nr_injected]);
	pthread_mutex_unlock(&lock);
}
