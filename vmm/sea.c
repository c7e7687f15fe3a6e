// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the VMM does about a guest SEA (KVM_EXIT_ARM_SEA):
 *
 *  1. log one JSON event: time, vCPU, the decoded syndrome, gva, gpa, the
 *     host page behind it, running counts;
 *  2. retire the guest page: the host page behind it is handed to the host
 *     kernel's memory-failure handling (MADV_HWPOISON), so that the host never
 *     reuses it, and a fresh zeroed page takes its place in guest RAM. The
 *     data is lost either way (a first attempt to salvage it may take a SIGBUS,
 *     which is caught and logged), but the guest can never consume the same
 *     error again, not even after a reboot;
 *  3. hand the abort back to the guest (KVM_SET_VCPU_EVENTS) as the guest
 *     would have taken it: a data or instruction abort with the exit's ISS,
 *     so that the guest kernel contains it, usually by killing one process;
 *  4. stop the VM once the number of distinct poisoned pages reaches the
 *     threshold: the point where a real VMM would migrate or restart it.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmm.h"
#include "../guest/mem_error_injector.h"

#define ESR_EC(esr)		(((esr) >> 26) & 0x3f)
#define ESR_EC_IABT_LOW		0x20
#define ESR_EC_DABT_LOW		0x24
#define ESR_ISS_MASK		0x1ffffffULL
#define ESR_IL			(1ULL << 25)
#define ESR_SET(esr)		(((esr) >> 11) & 3)
#define ESR_FNV			(1ULL << 10)
#define ESR_EA			(1ULL << 9)
#define ESR_CM			(1ULL << 8)
#define ESR_WNR			(1ULL << 6)
#define ESR_FSC(esr)		((esr) & 0x3f)

static struct timespec start_time;
static const char *no_injector_reason;
static uint64_t injected[MAX_RETIRED];
static int nr_injected;
static pthread_mutex_t injector_lock = PTHREAD_MUTEX_INITIALIZER;

/* A guarded access sets this; the SIGBUS handler jumps back to it. */
static __thread sigjmp_buf *sigbus_guard;
static __thread volatile siginfo_t sigbus_info;

double now_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - start_time.tv_sec) + (t.tv_nsec - start_time.tv_nsec) / 1e9;
}

void event_printf(const char *fmt, ...)
{
	va_list ap;

	flockfile(stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	funlockfile(stdout);
}

static void on_sigbus(int sig, siginfo_t *info, void *ucontext)
{
	static const char msg[] = "{\"event\":\"vmm-sigbus\",\"guarded\":false,"
				  "\"action\":\"a VMM thread touched poisoned memory outside a guarded access; stopping\"}\n";

	if (sigbus_guard) {
		sigbus_info = *info;
		siglongjmp(*sigbus_guard, 1);
	}
	/* Not ours to recover: say so and stop cleanly rather than dump core. */
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

void sea_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };

	clock_gettime(CLOCK_MONOTONIC, &start_time);
	sigaction(SIGBUS, &sa, NULL);
	if (mei_open(&no_injector_reason))
		event_printf("{\"event\":\"injector\",\"present\":false,\"reason\":\"%s\"}", no_injector_reason);
}

/*
 * Runs fn(arg) and returns true, or returns false with *info filled in if the
 * thread took a SIGBUS meanwhile: a synchronous External abort on poisoned
 * memory, or the host's memory-failure handling telling this thread that a
 * page it maps is gone (BUS_MCEERR_AR).
 */
static bool guarded(void (*fn)(void *), void *arg, siginfo_t *info)
{
	sigjmp_buf env;

	if (sigsetjmp(env, 1)) {
		sigbus_guard = NULL;
		*info = *(siginfo_t *)&sigbus_info;
		return false;
	}
	sigbus_guard = &env;
	fn(arg);
	sigbus_guard = NULL;
	return true;
}

static void log_sigbus(const char *during, const siginfo_t *info, const char *outcome)
{
	event_printf("{\"time\":%.3f,\"event\":\"vmm-sigbus\",\"during\":\"%s\",\"si_code\":%d,"
		     "\"si_addr\":\"%p\",\"outcome\":\"%s\"}",
		     now_seconds(), during, info->si_code, info->si_addr, outcome);
}

static uint64_t host_pa(void *hva)
{
	return mei_virt_to_phys(hva);
}

int sea_poison_guest_page(struct vm *vm, uint64_t gpa)
{
	volatile uint8_t *hva = gpa_to_hva(vm, gpa, 1);
	uint64_t pa;
	uint32_t status;

	if (!hva)
		return 1;
	if (!mei_regs) {
		event_printf("{\"event\":\"poison-request\",\"gpa\":\"0x%llx\",\"ok\":false,\"reason\":\"%s\"}",
			     (unsigned long long)gpa, no_injector_reason);
		return 2;
	}
	/* Make the page resident and the VMM's own, so that it has a host address. */
	hva[0] = hva[0];
	pa = host_pa((void *)hva);

	pthread_mutex_lock(&injector_lock);
	status = pa ? mei_poison(pa) : MEI_STATUS_INVALID_ADDRESS;
	if (status == MEI_STATUS_OK && nr_injected < MAX_RETIRED)
		injected[nr_injected++] = pa;
	pthread_mutex_unlock(&injector_lock);

	event_printf("{\"time\":%.3f,\"event\":\"poison-request\",\"gpa\":\"0x%llx\",\"host_pa\":\"0x%llx\","
		     "\"ok\":%s}", now_seconds(), (unsigned long long)gpa, (unsigned long long)pa,
		     status == MEI_STATUS_OK ? "true" : "false");
	return status == MEI_STATUS_OK ? 0 : 2;
}

/* Poison the VMM injected on the guest's behalf is cleared when it exits. */
void sea_clear_injected(void)
{
	pthread_mutex_lock(&injector_lock);
	while (nr_injected)
		mei_clear(injected[--nr_injected]);
	pthread_mutex_unlock(&injector_lock);
}

struct page_op {
	void *hva;
	uint8_t *copy;
	int result;
};

static void copy_page_out(void *arg)
{
	struct page_op *op = arg;

	memcpy(op->copy, op->hva, PAGE_4K);
}

static void hand_to_memory_failure(void *arg)
{
	struct page_op *op = arg;

	op->result = madvise(op->hva, PAGE_4K, MADV_HWPOISON);
}

/*
 * Replace the guest page with a fresh one. Returns a short description of
 * what happened to the old host page and its data, for the event log.
 */
static const char *retire_page(struct vm *vm, uint64_t page_gpa)
{
	static __thread uint8_t salvaged[PAGE_4K];
	struct page_op op = { .hva = gpa_to_hva(vm, page_gpa, PAGE_4K), .copy = salvaged };
	bool salvage_ok;
	siginfo_t info;

	/*
	 * A VMM may try to keep the data, but poisoned memory is what it is:
	 * expect the read to end in a SIGBUS and the data to be lost.
	 */
	salvage_ok = guarded(copy_page_out, &op, &info);
	if (!salvage_ok)
		log_sigbus("salvaging the poisoned page", &info, "handled: page content lost");

	/*
	 * The host kernel then never reuses the page. It tells this thread with
	 * a SIGBUS (BUS_MCEERR_AR) that its mapping of the page is gone.
	 */
	if (!guarded(hand_to_memory_failure, &op, &info))
		log_sigbus("retiring the host page", &info, "handled: expected");

	if (mmap(op.hva, PAGE_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		return "replacement failed";
	if (salvage_ok)
		memcpy(op.hva, salvaged, PAGE_4K);
	if (op.result)
		return salvage_ok ? "replaced, data kept (MADV_HWPOISON unavailable)" :
				    "replaced with zeroes (MADV_HWPOISON unavailable)";
	return salvage_ok ? "replaced, data kept; host page retired (MADV_HWPOISON)" :
			    "replaced with zeroes; host page retired (MADV_HWPOISON)";
}

static const char *ec_name(unsigned int ec)
{
	return ec == ESR_EC_IABT_LOW ? "IABT_LOW" : ec == ESR_EC_DABT_LOW ? "DABT_LOW" : "other";
}

static const char *fsc_name(unsigned int fsc)
{
	if (fsc == 0x10)
		return "SEA";
	if (fsc >= 0x13 && fsc <= 0x17)
		return "SEA on table walk";
	return "other";
}

static const char *const set_names[] = { "UER", "reserved", "UC", "UEO" };

/* Hands the abort back: an instruction abort for a fetch, with the exit's ISS. */
static const char *inject_abort(struct vcpu *vcpu, uint64_t esr)
{
	struct kvm_vcpu_events events = {};
	bool iabt = ESR_EC(esr) == ESR_EC_IABT_LOW;
	int caps = vcpu->vm->inject_caps;
	const char *what = iabt ? "instruction abort" : "data abort";

	if (iabt && (caps & KVM_ARM_INJECT_EXT_IABT))
		events.exception.ext_iabt_pending = 1;
	else
		events.exception.ext_dabt_pending = 1;
	if (iabt && !(caps & KVM_ARM_INJECT_EXT_IABT))
		what = "data abort (this kernel cannot inject instruction aborts)";
	if (caps & KVM_ARM_INJECT_EXT_ABT_ESR) {
		events.exception.ext_abt_has_esr = 1;
		events.ext_abt_esr = esr & ESR_ISS_MASK;
	}
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &events)) {
		vm_request_stop(vcpu->vm, STOP_ERROR, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
		return "injection failed";
	}
	return what;
}

void sea_handle_exit(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint64_t esr = vcpu->run->arm_sea.esr;
	uint64_t gva = vcpu->run->arm_sea.gva;
	bool gpa_valid = vcpu->run->arm_sea.flags & KVM_EXIT_ARM_SEA_FLAG_GPA_VALID;
	uint64_t gpa = vcpu->run->arm_sea.gpa;
	uint64_t page = gpa & ~(PAGE_4K - 1);
	int guest_el = (vcpu_get_pstate(vcpu) >> 2) & 3;
	const char *retired = "none (no guest physical address)";
	uint64_t count, hva = 0, pa = 0;
	bool first = false;
	int distinct, i;
	const char *injected_as;

	pthread_mutex_lock(&vm->lock);
	count = ++vm->sea_count;
	if (gpa_valid && gpa_to_hva(vm, page, PAGE_4K)) {
		/* Whatever backs the page now is bad, even if it was replaced before. */
		hva = (uintptr_t)gpa_to_hva(vm, page, PAGE_4K);
		pa = host_pa((void *)hva);
		retired = retire_page(vm, page);
		first = true;
		for (i = 0; i < vm->retired_count; i++)
			first &= vm->retired[i] != page;
		if (first && vm->retired_count < MAX_RETIRED)
			vm->retired[vm->retired_count++] = page;
	}
	distinct = vm->retired_count;
	if (guest_el == 1)
		vm->steps_ok |= 1ULL << step_by_name("kernel-consumer");
	pthread_mutex_unlock(&vm->lock);

	injected_as = inject_abort(vcpu, esr);

	event_printf("{\"time\":%.3f,\"event\":\"sea\",\"vcpu\":%d,\"count\":%llu,\"distinct_pages\":%d,"
		     "\"esr\":\"0x%llx\",\"ec\":\"%s\",\"il\":%d,\"fnv\":%d,\"ea\":%d,\"wnr\":%d,\"cm\":%d,"
		     "\"set\":\"%s\",\"fsc\":\"0x%llx\",\"fsc_name\":\"%s\",\"guest_el\":%d,"
		     "\"gva\":\"0x%llx\",\"gpa\":\"0x%llx\",\"gpa_valid\":%s,\"hva\":\"0x%llx\","
		     "\"host_pa\":\"0x%llx\",\"page\":\"%s\",\"injected\":\"%s\"}",
		     now_seconds(), vcpu->id, (unsigned long long)count, distinct,
		     (unsigned long long)esr, ec_name(ESR_EC(esr)), !!(esr & ESR_IL), !!(esr & ESR_FNV),
		     !!(esr & ESR_EA), !!(esr & ESR_WNR), !!(esr & ESR_CM), set_names[ESR_SET(esr)],
		     (unsigned long long)ESR_FSC(esr), fsc_name(ESR_FSC(esr)), guest_el,
		     (unsigned long long)gva, (unsigned long long)gpa, gpa_valid ? "true" : "false",
		     (unsigned long long)hva, (unsigned long long)pa, retired, injected_as);

	if (distinct >= vm->opts->threshold) {
		pthread_mutex_lock(&vm->lock);
		vm->steps_ok |= 1ULL << step_by_name("threshold");
		pthread_mutex_unlock(&vm->lock);
		vm_request_stop(vm, STOP_THRESHOLD, "%d distinct guest pages poisoned (threshold %d)",
				distinct, vm->opts->threshold);
	}
}
