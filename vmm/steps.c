// SPDX-License-Identifier: GPL-2.0-only
/* The demo's steps; see steps.h. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "control_regs.h"
#include "steps.h"

static const char *const names[NR_STEPS] = {
	[STEP_VICTIM_DATA] = "victim-data",	/* guest: a process killed by SIGBUS on a data read, others run on */
	[STEP_VICTIM_EXEC] = "victim-exec",	/* guest: the same for an instruction fetch */
	[STEP_SECOND_CONSUMER] = "second-consumer",	/* guest: another process reading the same page is killed too */
	[STEP_GUEST_OFFLINE] = "guest-offline",	/* guest: the agent offlined the pages; no process gets them again */
	[STEP_VMM_SIGBUS] = "vmm-sigbus",	/* guest: a device read of poisoned memory failed cleanly */
	[STEP_KERNEL_CONSUMER] = "kernel-consumer",	/* VMM: the guest kernel (EL1) consumed an error */
	[STEP_GUEST_RESTART] = "guest-restart",	/* VMM: the guest reset and was booted again */
	[STEP_RESTART_CLEAN] = "restart-clean",	/* guest: after the restart, no poisoned page is poisoned still */
	[STEP_THRESHOLD] = "threshold",	/* VMM: the distinct-page threshold stopped the VM */
	[STEP_CHANNEL_ERROR] = "channel-error",	/* VMM: a malformed channel access, logged and ignored */
	[STEP_AGENT_TIMEOUT] = "agent-timeout",	/* VMM: a page the guest did not answer for in time */
	[STEP_AGENT_REJECTED] = "agent-rejected",	/* VMM: a page the guest could not offline */
	[STEP_UNSAFE_ZEROES] = "unsafe-zeroes",	/* guest: with --replace-early, a second reader got zeroes */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t ok_mask, failed_mask;

const char *step_name(int step)
{
	return step > 0 && step < NR_STEPS && names[step] ? names[step] : "unknown";
}

int64_t steps_parse(const char *list, const char **bad, size_t *bad_len)
{
	uint64_t mask = 0;
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		int step;

		for (step = 1; step < NR_STEPS; step++)
			if (names[step] && strlen(names[step]) == len && !strncmp(p, names[step], len))
				break;
		if (step == NR_STEPS) {
			*bad = p;
			*bad_len = len;
			return -1;
		}
		mask |= 1ULL << step;
		p += len + (p[len] == ',');
	}
	return mask;
}

void step_observed(int step)
{
	pthread_mutex_lock(&lock);
	if (step > 0 && step < NR_STEPS)
		ok_mask |= 1ULL << step;
	pthread_mutex_unlock(&lock);
}

void step_failed(int step)
{
	pthread_mutex_lock(&lock);
	if (step > 0 && step < NR_STEPS)
		failed_mask |= 1ULL << step;
	pthread_mutex_unlock(&lock);
}

bool steps_report(uint64_t expected, char *buf, size_t size)
{
	size_t len = 0;
	bool ok;
	int i;

	pthread_mutex_lock(&lock);
	buf[0] = '\0';
	for (i = 1; i < NR_STEPS && len < size; i++) {
		if (!((ok_mask | failed_mask | expected) >> i & 1))
			continue;
		len += snprintf(buf + len, size - len, "%s\"%s\":\"%s\"", len ? "," : "", names[i],
				failed_mask >> i & 1 ? "failed" :
				ok_mask >> i & 1 ? "observed" : "missing");
	}
	ok = !(expected & ~ok_mask) && !failed_mask;
	pthread_mutex_unlock(&lock);
	return ok;
}
