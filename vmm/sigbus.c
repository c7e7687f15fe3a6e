// SPDX-License-Identifier: GPL-2.0-only
/* The VMM's SIGBUS handler; see sigbus.h. */
#include <setjmp.h>
#include <stddef.h>
#include <unistd.h>

#include "sigbus.h"

#define AO_QUEUE	64

static __thread sigjmp_buf *guard;
static __thread volatile siginfo_t guard_info;
static __thread void *volatile action_required;
static __thread volatile sig_atomic_t in_kvm_run;

/* BUS_MCEERR_AO addresses: written by the handler, read by any thread. */
static void *ao_queue[AO_QUEUE];
static unsigned int ao_head, ao_tail;

static void on_sigbus(int sig, siginfo_t *info, void *ucontext)
{
	static const char msg[] = "{\"event\":\"vmm-sigbus\",\"guarded\":false,"
				  "\"outcome\":\"not a memory error the VMM can handle: stopping\"}\n";
	unsigned int tail;

	/* Asynchronous: queued whatever this thread was doing, even a guarded access. */
	if (info->si_code == BUS_MCEERR_AO) {
		tail = __atomic_load_n(&ao_tail, __ATOMIC_RELAXED);
		/* A full queue drops the report: the page is poisoned all the same. */
		if (tail - __atomic_load_n(&ao_head, __ATOMIC_ACQUIRE) < AO_QUEUE) {
			ao_queue[tail % AO_QUEUE] = info->si_addr;
			__atomic_store_n(&ao_tail, tail + 1, __ATOMIC_RELEASE);
		}
		return;
	}
	if (guard) {
		guard_info = *info;
		siglongjmp(*guard, 1);
	}
	/*
	 * Only KVM_RUN may return to a poisoned access: it returns EINTR and the
	 * vCPU thread injects the abort. Anywhere else, returning would repeat
	 * the faulting access for ever.
	 */
	if (info->si_code == BUS_MCEERR_AR && in_kvm_run) {
		action_required = info->si_addr;
		return;
	}
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

void sigbus_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };

	sigaction(SIGBUS, &sa, NULL);
}

bool sigbus_guarded(void (*fn)(void *), void *arg, siginfo_t *info)
{
	sigjmp_buf env;

	if (sigsetjmp(env, 1)) {
		guard = NULL;
		*info = *(siginfo_t *)&guard_info;
		return false;
	}
	guard = &env;
	fn(arg);
	guard = NULL;
	return true;
}

void sigbus_in_kvm_run(bool in_run)
{
	in_kvm_run = in_run;
}

void *sigbus_take_action_required(void)
{
	void *addr = action_required;

	action_required = NULL;
	return addr;
}

void *sigbus_take_action_optional(void)
{
	unsigned int head = __atomic_load_n(&ao_head, __ATOMIC_RELAXED);

	/* Several takers: claim the slot with a compare-and-swap. */
	while (head != __atomic_load_n(&ao_tail, __ATOMIC_ACQUIRE)) {
		void *addr = ao_queue[head % AO_QUEUE];

		if (__atomic_compare_exchange_n(&ao_head, &head, head + 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return addr;
	}
	return NULL;
}
