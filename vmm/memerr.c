// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the VMM does about a guest SEA (KVM_EXIT_ARM_SEA):
 *
 *  1. log one JSON event: time, vCPU, the decoded syndrome, gva, gpa, the
 *     host page behind it, running counts;
 *  2. retire the guest page: the host page behind it goes to the host
 *     kernel's memory-failure handling (MADV_HWPOISON), so that the host never
 *     reuses it, and a fresh zeroed page takes its place in guest RAM;
 *  3. hand the abort back to the guest (KVM_SET_VCPU_EVENTS) as the guest
 *     would have taken it: a data or instruction abort with the exit's ISS,
 *     so that the guest kernel contains it, usually by killing one process;
 *  4. stop the VM once the number of distinct poisoned pages reaches the
 *     threshold: the point where a real VMM would migrate or restart it.
 *
 * Why replace the page at once rather than leave it poisoned (unmapped, so
 * that every later access ends in an SEA, as QEMU does until reset): this
 * guest has no firmware-first channel (GHES) through which it would learn
 * that the page is bad and offline it. Left poisoned, the page would be freed
 * when the victim dies and reused by the guest kernel, whose next touch would
 * be an uncontainable kernel SEA. The price of replacing it: any other user
 * of the page in the guest (a copy-on-write parent, the page cache) reads
 * zeroes from then on instead of taking an error. A VMM with GHES should
 * report the error to the guest first and replace the page afterwards.
 *
 * The VMM's own threads may touch poisoned guest memory too (here: a device
 * reading guest memory on the guest's behalf); that SIGBUS is caught, logged
 * and turned into a device error, never a crash.
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
#include "control_regs.h"
#include "../l1/mem_error_injector.h"

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
#define ESR_FSC_SEA		0x10

static struct timespec start_time;
static const char *no_injector_reason;
static uint64_t injected[MAX_RETIRED];
static int nr_injected;
static pthread_mutex_t injector_lock = PTHREAD_MUTEX_INITIALIZER;
static long host_page_size;

/* Host pages that could not go to memory-failure are parked here, never touched. */
static uint8_t *quarantine;
static int nr_quarantined;

/* A guarded access sets this; the SIGBUS handler jumps back to it. */
static __thread sigjmp_buf *sigbus_guard;
static __thread volatile siginfo_t sigbus_info;
/* A memory-failure SIGBUS taken by a vCPU thread in KVM_RUN, for its loop. */
static __thread void *volatile hwpoison_addr;

double now_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - start_time.tv_sec) + (t.tv_nsec - start_time.tv_nsec) / 1e9;
}

const char *json_escape(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; *s && n + 7 < size; s++) {
		if (*s == '"' || *s == '\\')
			n += snprintf(buf + n, size - n, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			n += snprintf(buf + n, size - n, "\\u%04x", *s);
		else
			buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

void event(const char *name, const char *fmt, ...)
{
	va_list ap;

	flockfile(stdout);
	printf("{\"time\":%.3f,\"event\":\"%s\"", now_seconds(), name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	puts("}");
	fflush(stdout);
	funlockfile(stdout);
}

static void on_sigbus(int sig, siginfo_t *info, void *ucontext)
{
	static const char msg[] = "{\"event\":\"vmm-sigbus\",\"guarded\":false,"
				  "\"outcome\":\"not a memory error the VMM can handle: stopping\"}\n";

	if (sigbus_guard) {
		sigbus_info = *info;
		siglongjmp(*sigbus_guard, 1);
	}
	/*
	 * The host's memory-failure handling telling a vCPU thread that guest
	 * memory it just touched is gone (KVM sends BUS_MCEERR_AR from KVM_RUN;
	 * BUS_MCEERR_AO comes with the early-kill policy): the vCPU loop deals
	 * with it once KVM_RUN has returned.
	 */
	if (info->si_code == BUS_MCEERR_AR || info->si_code == BUS_MCEERR_AO) {
		hwpoison_addr = info->si_addr;
		return;
	}
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

void sea_init(size_t max_quarantine)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	char reason[256];

	clock_gettime(CLOCK_MONOTONIC, &start_time);
	host_page_size = sysconf(_SC_PAGESIZE);
	sigaction(SIGBUS, &sa, NULL);
	quarantine = mmap(NULL, max_quarantine * host_page_size, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (quarantine == MAP_FAILED)
		quarantine = NULL;
	if (mei_open(&no_injector_reason))
		event("injector", ",\"present\":false,\"reason\":\"%s\"",
		      json_escape(no_injector_reason, reason, sizeof(reason)));
}

/*
 * Runs fn(arg) and returns true, or returns false with *info filled in if the
 * thread took a SIGBUS meanwhile: a synchronous External abort on poisoned
 * memory, or the host's memory-failure handling telling this thread that a
 * page it maps is gone.
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
	event("vmm-sigbus", ",\"during\":\"%s\",\"si_code\":%d,\"si_addr\":\"%p\",\"outcome\":\"%s\"",
	      during, info->si_code, info->si_addr, outcome);
}

static void *host_page_of(void *hva)
{
	return (void *)((uintptr_t)hva & ~(uintptr_t)(host_page_size - 1));
}

struct page_op {
	void *hva;
	uint64_t value;
	int result;
};

static void populate(void *arg)
{
	struct page_op *op = arg;

	op->result = madvise(host_page_of(op->hva), host_page_size, MADV_POPULATE_WRITE);
}

int sea_poison_guest_page(struct vm *vm, uint64_t gpa)
{
	struct page_op op = { .hva = gpa_to_hva(vm, gpa, 1) };
	uint32_t status;
	siginfo_t info;
	uint64_t pa;

	if (!op.hva)
		return CONTROL_STATUS_NOT_RAM;
	if (!mei_regs) {
		event("poison-request", ",\"gpa\":\"0x%llx\",\"ok\":false,\"reason\":\"no injector\"",
		      (unsigned long long)gpa);
		return CONTROL_STATUS_MEMORY_ERROR;
	}
	/* Resident and the VMM's own, so that it has a host physical address. */
	if (!guarded(populate, &op, &info)) {
		log_sigbus("populating a page to poison", &info, "handled: already poisoned");
		return CONTROL_STATUS_MEMORY_ERROR;
	}
	pa = mei_virt_to_phys(op.hva);

	pthread_mutex_lock(&injector_lock);
	status = pa ? mei_poison(pa) : MEI_STATUS_INVALID_ADDRESS;
	if (status == MEI_STATUS_OK && nr_injected < MAX_RETIRED)
		injected[nr_injected++] = pa;
	pthread_mutex_unlock(&injector_lock);

	event("poison-request", ",\"gpa\":\"0x%llx\",\"host_pa\":\"0x%llx\",\"ok\":%s",
	      (unsigned long long)gpa, (unsigned long long)pa,
	      status == MEI_STATUS_OK ? "true" : "false");
	return status == MEI_STATUS_OK ? CONTROL_STATUS_OK : CONTROL_STATUS_MEMORY_ERROR;
}

/* Poison the VMM injected on the guest's behalf is cleared when it exits. */
void sea_clear_injected(void)
{
	pthread_mutex_lock(&injector_lock);
	while (nr_injected)
		mei_clear(injected[--nr_injected]);
	pthread_mutex_unlock(&injector_lock);
}

static void hand_to_memory_failure(void *arg)
{
	struct page_op *op = arg;

	op->result = madvise(host_page_of(op->hva), host_page_size, MADV_HWPOISON);
}

/*
 * Replace the host page behind a guest page with a fresh one. Returns what
 * happened to the old page, for the event log, or NULL if the guest page
 * could not be given fresh memory (the caller stops the VM).
 */
static const char *retire_page(uint8_t *hva)
{
	struct page_op op = { .hva = hva };
	uint8_t *page = host_page_of(hva);
	const char *how = "host page retired (MADV_HWPOISON), fresh page in its place";
	siginfo_t info;

	/*
	 * The host kernel never reuses the page after this. It tells this
	 * thread with a SIGBUS (BUS_MCEERR_AR) that its mapping is gone.
	 */
	if (!guarded(hand_to_memory_failure, &op, &info))
		log_sigbus("retiring the host page", &info, "handled: expected");

	if (op.result) {
		/*
		 * No memory-failure (no CAP_SYS_ADMIN, or no CONFIG_MEMORY_FAILURE):
		 * unmapping the page would hand it back to the host allocator.
		 * Park it, mapped but never touched, in the quarantine area.
		 */
		if (!quarantine || nr_quarantined >= MAX_RETIRED ||
		    mremap(page, host_page_size, host_page_size, MREMAP_MAYMOVE | MREMAP_FIXED,
			   quarantine + nr_quarantined * host_page_size) == MAP_FAILED)
			return NULL;
		nr_quarantined++;
		how = "host page quarantined (MADV_HWPOISON failed), fresh page in its place";
	}
	if (mmap(page, host_page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return NULL;
	return how;
}

static void read_guest_u64(void *arg)
{
	struct page_op *op = arg;

	op->value = *(volatile uint64_t *)op->hva;
}

/*
 * A device reading guest memory for the guest (DMA): a poisoned page makes
 * the VMM's own thread take the SIGBUS, which becomes a device error.
 */
int sea_device_read(struct vm *vm, uint64_t gpa, uint64_t *value)
{
	struct page_op op = { .hva = gpa_to_hva(vm, gpa, 8) };
	uint64_t page = gpa & ~(PAGE_4K - 1);
	const char *how;
	siginfo_t info;

	if (!op.hva)
		return CONTROL_STATUS_NOT_RAM;
	if (guarded(read_guest_u64, &op, &info)) {
		*value = op.value;
		return 0;
	}
	log_sigbus("a device read of guest memory", &info, "handled: device error returned");
	pthread_mutex_lock(&vm->lock);
	how = retire_page(op.hva);
	if (how && vm->retired_count < MAX_RETIRED)
		vm->retired[vm->retired_count++] = page;
	pthread_mutex_unlock(&vm->lock);
	event("page-retired", ",\"gpa\":\"0x%llx\",\"page\":\"%s\"", (unsigned long long)page,
	      how ? how : "replacement failed");
	return CONTROL_STATUS_MEMORY_ERROR;
}

static const char *ec_name(unsigned int ec)
{
	return ec == ESR_EC_IABT_LOW ? "IABT_LOW" : ec == ESR_EC_DABT_LOW ? "DABT_LOW" : "other";
}

static const char *fsc_name(unsigned int fsc)
{
	if (fsc == ESR_FSC_SEA)
		return "SEA";
	if (fsc >= 0x13 && fsc <= 0x17)
		return "SEA on table walk";
	return "other";
}

/* ESR_ELx.SET: with FEAT_RAS, for an SEA (FSC 0x10) only. */
static const char *set_name(uint64_t esr)
{
	static const char *const names[] = { "UER", "reserved", "UC", "UEO" };

	return ESR_FSC(esr) == ESR_FSC_SEA ? names[ESR_SET(esr)] : "n/a";
}

/* Hands the abort back: an instruction abort for a fetch, with the exit's ISS. */
static const char *inject_abort(struct vcpu *vcpu, uint64_t esr)
{
	struct kvm_vcpu_events events = {};
	bool iabt = ESR_EC(esr) == ESR_EC_IABT_LOW;
	const char *what = iabt ? "instruction abort" : "data abort";

#ifdef KVM_ARM_INJECT_EXT_ABT_ESR
	int caps = vcpu->vm->inject_caps;

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
	if (!ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &events))
		return what;
	/* Refused (AArch32 EL1, nested context...): fall back to the plain abort. */
	memset(&events, 0, sizeof(events));
	what = "data abort (the syndrome could not be passed on)";
#else
	if (iabt)
		what = "data abort (these headers cannot inject instruction aborts)";
#endif
	events.exception.ext_dabt_pending = 1;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &events)) {
		vm_request_stop(vcpu->vm, STOP_ERROR, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
		return "injection failed";
	}
	return what;
}

/* Retires the guest page behind gpa (if known); returns the event's description. */
static const char *retire_guest_page(struct vm *vm, uint64_t gpa, uint64_t *hva, uint64_t *pa)
{
	uint64_t page = gpa & ~(PAGE_4K - 1);
	const char *how;
	bool first = true;
	int i;

	if (!gpa_to_hva(vm, page, PAGE_4K))
		return "none (not guest RAM)";
	/*
	 * Whatever backs the page now is bad, even if it was replaced before:
	 * the guest hit new poison. (Two vCPUs consuming the same poison at
	 * once also end here twice; the second retires a healthy page. That
	 * costs the host a page, never the guest its data.)
	 */
	*hva = (uintptr_t)gpa_to_hva(vm, page, PAGE_4K);
	*pa = mei_virt_to_phys((void *)*hva);
	how = retire_page((uint8_t *)*hva);
	if (!how) {
		vm_request_stop(vm, STOP_ERROR, "cannot replace guest page 0x%llx",
				(unsigned long long)page);
		return "replacement failed";
	}
	for (i = 0; i < vm->retired_count; i++)
		first &= vm->retired[i] != page;
	if (first && vm->retired_count < MAX_RETIRED)
		vm->retired[vm->retired_count++] = page;
	return how;
}

static void after_abort(struct vcpu *vcpu, int distinct)
{
	struct vm *vm = vcpu->vm;

	if (distinct < vm->opts->threshold)
		return;
	pthread_mutex_lock(&vm->lock);
	vm->steps_ok |= 1ULL << STEP_THRESHOLD;
	pthread_mutex_unlock(&vm->lock);
	vm_request_stop(vm, STOP_THRESHOLD, "%d distinct guest pages poisoned (threshold %d)",
			distinct, vm->opts->threshold);
}

void sea_handle_exit(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint64_t esr = vcpu->run->arm_sea.esr;
	uint64_t gva = vcpu->run->arm_sea.gva;
	bool gpa_valid = vcpu->run->arm_sea.flags & KVM_EXIT_ARM_SEA_FLAG_GPA_VALID;
	uint64_t gpa = vcpu->run->arm_sea.gpa;
	int guest_el = (vcpu_get_pstate(vcpu) >> 2) & 3;
	const char *page = "unknown (no guest physical address)";
	uint64_t count, hva = 0, pa = 0;
	const char *injected_as;
	int distinct;

	pthread_mutex_lock(&vm->lock);
	count = ++vm->sea_count;
	if (gpa_valid)
		page = retire_guest_page(vm, gpa, &hva, &pa);
	distinct = vm->retired_count;
	if (guest_el == 1)
		vm->steps_ok |= 1ULL << STEP_KERNEL_CONSUMER;
	pthread_mutex_unlock(&vm->lock);

	injected_as = inject_abort(vcpu, esr);

	event("sea", ",\"vcpu\":%d,\"count\":%llu,\"distinct_pages\":%d,"
	      "\"esr\":\"0x%llx\",\"ec\":\"%s\",\"il\":%d,\"fnv\":%d,\"ea\":%d,\"wnr\":%d,\"cm\":%d,"
	      "\"set\":\"%s\",\"fsc\":\"0x%llx\",\"fsc_name\":\"%s\",\"guest_el\":%d,"
	      "\"gva\":\"0x%llx\",\"gpa\":\"0x%llx\",\"gpa_valid\":%s,\"hva\":\"0x%llx\","
	      "\"host_pa\":\"0x%llx\",\"page\":\"%s\",\"injected\":\"%s\"",
	      vcpu->id, (unsigned long long)count, distinct,
	      (unsigned long long)esr, ec_name(ESR_EC(esr)), !!(esr & ESR_IL), !!(esr & ESR_FNV),
	      !!(esr & ESR_EA), !!(esr & ESR_WNR), !!(esr & ESR_CM), set_name(esr),
	      (unsigned long long)ESR_FSC(esr), fsc_name(ESR_FSC(esr)), guest_el,
	      (unsigned long long)gva, (unsigned long long)gpa, gpa_valid ? "true" : "false",
	      (unsigned long long)hva, (unsigned long long)pa, page, injected_as);
	after_abort(vcpu, distinct);
}

/*
 * After KVM_RUN returned EINTR: if the host's memory-failure handling told
 * this vCPU thread that guest memory is gone (the guest touched a page the
 * host retired, which a concurrent retirement can race with), treat it as
 * an SEA on that page. Returns true if there was one.
 */
bool sea_handle_hwpoison_signal(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint8_t *addr = hwpoison_addr;
	uint64_t gpa, hva = 0, pa = 0;
	const char *page;
	int distinct;

	if (!addr)
		return false;
	hwpoison_addr = NULL;
	if (addr < vm->ram || addr >= vm->ram + vm->ram_size) {
		vm_request_stop(vm, STOP_ERROR, "memory-failure SIGBUS outside guest RAM (%p)", addr);
		return true;
	}
	gpa = RAM_BASE + (addr - vm->ram);
	pthread_mutex_lock(&vm->lock);
	if (mei_virt_to_phys(addr)) {
		/* Stale: a retirement already gave the page fresh memory. Retry. */
		pthread_mutex_unlock(&vm->lock);
		event("hwpoison-signal", ",\"vcpu\":%d,\"gpa\":\"0x%llx\",\"page\":\"already replaced\","
		      "\"injected\":\"nothing: the access is retried\"", vcpu->id, (unsigned long long)gpa);
		return true;
	}
	page = retire_guest_page(vm, gpa, &hva, &pa);
	distinct = vm->retired_count;
	pthread_mutex_unlock(&vm->lock);
	/* KVM recorded the guest's fault: inject at its address, as for an MMIO abort. */
	{
		struct kvm_vcpu_events events = { .exception.ext_dabt_pending = 1 };

		if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &events))
			vm_request_stop(vm, STOP_ERROR, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
	}
	event("hwpoison-signal", ",\"vcpu\":%d,\"gpa\":\"0x%llx\",\"hva\":\"%p\",\"page\":\"%s\","
	      "\"injected\":\"data abort\"", vcpu->id, (unsigned long long)gpa, addr, page);
	after_abort(vcpu, distinct);
	return true;
}
