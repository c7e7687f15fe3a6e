// SPDX-License-Identifier: GPL-2.0-only
/*
 * The memory-error channel: a queue of poisoned guest pages that the guest
 * agent reads and answers, one at a time (channel_regs.h). It is the
 * device-tree guest's stand-in for a GHES error source: an ACPI guest's
 * kernel would read a memory error record and run memory_failure() on the
 * address; here the agent does it from user space, by writing the address to
 * /sys/devices/system/memory/hard_offline_page.
 *
 * Nothing the guest writes can hurt the VMM: a malformed access is logged
 * (a few times a boot, then counted silently) and ignored.
 */
#include <string.h>

#include "channel.h"
#include "control_regs.h"
#include "log.h"
#include "steps.h"

#define QUEUE_SIZE		1024
#define MAX_ERRORS_LOGGED	8

static struct {
	pthread_mutex_t lock;
	uint64_t queue[QUEUE_SIZE];
	unsigned int head, tail;
	double head_since;	/* when the page at the head became the one shown */
	bool head_overdue;	/* its timeout was reported */
	uint64_t offlined;
	unsigned int errors;
} chan = { .lock = PTHREAD_MUTEX_INITIALIZER };

bool channel_notify(uint64_t gpa)
{
	bool ok;

	pthread_mutex_lock(&chan.lock);
	ok = chan.tail - chan.head < QUEUE_SIZE;
	if (ok) {
		if (chan.tail == chan.head) {
			chan.head_since = now_seconds();
			chan.head_overdue = false;
		}
		chan.queue[chan.tail++ % QUEUE_SIZE] = gpa;
	}
	pthread_mutex_unlock(&chan.lock);
	return ok;
}

void channel_reset(void)
{
	pthread_mutex_lock(&chan.lock);
	chan.head = chan.tail = 0;
	chan.offlined = 0;
	chan.errors = 0;
	pthread_mutex_unlock(&chan.lock);
}

/* Called with the lock held. */
static void bad_access(const char *what, uint64_t offset, uint64_t value)
{
	step_observed(STEP_CHANNEL_ERROR);
	if (++chan.errors > MAX_ERRORS_LOGGED)
		return;
	event("channel-error", ",\"error\":\"%s\",\"offset\":\"0x%llx\",\"value\":\"0x%llx\","
	      "\"outcome\":\"ignored%s\"", what, (unsigned long long)offset,
	      (unsigned long long)value,
	      chan.errors == MAX_ERRORS_LOGGED ? "; further errors this boot are not logged" : "");
}

static void answer(uint64_t value)
{
	uint64_t gpa = value & ~CHANNEL_STATUS_MASK;
	unsigned int status = value & CHANNEL_STATUS_MASK;

	if (chan.head == chan.tail || chan.queue[chan.head % QUEUE_SIZE] != gpa) {
		bad_access(chan.head == chan.tail ? "an answer with no page pending" :
			   "an answer for a page other than the one shown", CHANNEL_ANSWER, value);
		return;
	}
	chan.head++;
	chan.head_since = now_seconds();
	chan.head_overdue = false;
	if (!status)
		chan.offlined++;
	else
		step_observed(STEP_AGENT_REJECTED);
	event("guest-offline", ",\"gpa\":\"0x%llx\",\"ok\":%s,\"errno\":%u,\"outcome\":\"%s\"",
	      (unsigned long long)gpa, status ? "false" : "true", status,
	      status ? "the guest kept the page: every access still ends in an abort" :
	      "the guest kernel took the page out of use");
}

void channel_mmio(struct vm *vm, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	uint64_t value = 0;

	pthread_mutex_lock(&chan.lock);
	if (is_write)
		memcpy(&value, data, len > 8 ? 8 : len);
	if (len != 8) {
		bad_access("an access that is not 64-bit", offset, value);
		value = 0;
	} else if (is_write && offset == CHANNEL_ANSWER) {
		answer(value);
	} else if (is_write) {
		bad_access("a write to a read-only or unknown register", offset, value);
	} else if (offset == CHANNEL_GPA) {
		value = chan.head == chan.tail ? CHANNEL_NONE : chan.queue[chan.head % QUEUE_SIZE];
	} else if (offset == CHANNEL_PENDING) {
		value = chan.tail - chan.head;
	} else if (offset == CHANNEL_OFFLINED) {
		value = chan.offlined;
	} else {
		bad_access("a read of a write-only or unknown register", offset, 0);
	}
	pthread_mutex_unlock(&chan.lock);
	if (!is_write) {
		memset(data, 0, len);
		memcpy(data, &value, len > 8 ? 8 : len);
	}
}

void channel_tick(int timeout)
{
	pthread_mutex_lock(&chan.lock);
	if (chan.head != chan.tail && !chan.head_overdue && now_seconds() - chan.head_since > timeout) {
		chan.head_overdue = true;
		step_observed(STEP_AGENT_TIMEOUT);
		event("guest-agent", ",\"gpa\":\"0x%llx\",\"answered\":false,\"timeout_s\":%d,"
		      "\"outcome\":\"no answer: the page stays poisoned and every access still ends in an abort\"",
		      (unsigned long long)chan.queue[chan.head % QUEUE_SIZE], timeout);
	}
	pthread_mutex_unlock(&chan.lock);
}
