// SPDX-License-Identifier: GPL-2.0-only
/*
 * sea_stress - KVM_EXIT_ARM_SEA under pressure
 *
 *  - concurrent: NR_VCPUS vCPUs, each on its own host thread, consume
 *    distinct poisoned pages at the same time, NR_EVENTS in total. Every SEA
 *    is reported exactly once, on the vCPU that took it, with the exact GVA
 *    and GPA of the page that vCPU poisoned, and no syndrome bit outside the
 *    documented set; every one is handed back and counted by the guest.
 *  - repoison: one page poisoned, cleared and poisoned again, REPOISON times:
 *    each consumption is reported, with the same addresses.
 *  - abandon: VMs destroyed while an SEA exit is unhandled (the vCPU thread
 *    just stops); the harness fails the run on any warning, and the debug
 *    kernel (make check-debug) on any leak kmemleak finds.
 *
 * Figures printed: events, time taken.
 */
#include <pthread.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#include "../mem_error_injector.h"
#include "selftest_compat.h"

#define NR_VCPUS		4
#define NR_EVENTS		1000
#define EVENTS_PER_VCPU		(NR_EVENTS / NR_VCPUS)
#define REGION_GPA		0x80000000UL
#define REGION_SLOT		1
#define PAGES_PER_VCPU		16
#define REPOISON		5
#define NR_ABANDONED		20

#define ESR_EC_DABT_LOW		0x24
/* The syndrome bits KVM_EXIT_ARM_SEA may report (Documentation/virt/kvm/api.rst). */
#define ESR_DOCUMENTED		(0xfc000000UL | BIT(25) | GENMASK(12, 8) | BIT(6) | 0x3fUL)
#define DABT_SEA_ESR		((uint64_t)ESR_EC_DABT_LOW << 26 | BIT(25) | BIT(9) | 0x10)

static uint64_t guest_seas[NR_VCPUS];
static pthread_mutex_t injector_lock = PTHREAD_MUTEX_INITIALIZER;

/* Event i of a vCPU reads one of its first `pages` pages, at a varying offset. */
static uint64_t event_gva(int vcpu, int i, int pages)
{
	return REGION_GPA + (vcpu * PAGES_PER_VCPU + i % pages) * 4096UL + (i * 8) % 4096;
}

static void guest_handler(struct ex_regs *regs)
{
	uint32_t id = guest_get_vcpuid();

	WRITE_ONCE(guest_seas[id], READ_ONCE(guest_seas[id]) + 1);
	regs->pc += 4;
}

static void guest_consume(int events, int pages)
{
	uint32_t id = guest_get_vcpuid();

	for (int i = 0; i < events; i++) {
		GUEST_SYNC(i);
		(void)READ_ONCE(*(uint64_t *)event_gva(id, i, pages));
		GUEST_ASSERT_EQ(READ_ONCE(guest_seas[id]), i + 1);
	}
	GUEST_DONE();
}

/* The injector's registers take one command at a time. */
static uint32_t locked_command(uint32_t (*command)(uint64_t), uint64_t pa)
{
	uint32_t status;

	pthread_mutex_lock(&injector_lock);
	status = command(pa);
	pthread_mutex_unlock(&injector_lock);
	return status;
}

struct worker {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int id;
	int pages;
	int reported;
};

static void inject_dabt(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_events events = { .exception.ext_dabt_pending = 1 };

	vcpu_events_set(vcpu, &events);
}

/* One vCPU's loop: poison what the guest is about to read, check the exit. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct kvm_run *run = w->vcpu->run;
	struct ucall uc;

	for (;;) {
		uint64_t gva, pa;
		int i;

		vcpu_run(w->vcpu);
		switch (get_ucall(w->vcpu, &uc)) {
		case UCALL_DONE:
			return NULL;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_SYNC:
			break;
		default:
			TEST_FAIL("vCPU %d: unexpected exit %s", w->id, exit_reason_str(run->exit_reason));
		}
		i = uc.args[1];
		gva = event_gva(w->id, i, w->pages);
		pa = mei_virt_to_phys(addr_gpa2hva(w->vm, gva));
		TEST_ASSERT(pa, "no host address for guest page 0x%lx", gva);
		TEST_ASSERT_EQ(locked_command(mei_poison, pa), MEI_STATUS_OK);

		vcpu_run(w->vcpu);
		TEST_ASSERT(run->exit_reason == KVM_EXIT_ARM_SEA, "vCPU %d event %d: exit %s, not an SEA",
			    w->id, i, exit_reason_str(run->exit_reason));
		TEST_ASSERT_EQ(run->arm_sea.esr & ~ESR_DOCUMENTED, 0);
		TEST_ASSERT_EQ(run->arm_sea.esr, DABT_SEA_ESR);
		TEST_ASSERT_EQ(run->arm_sea.gva, gva);
		TEST_ASSERT_EQ(run->arm_sea.flags, KVM_EXIT_ARM_SEA_FLAG_GPA_VALID);
		TEST_ASSERT_EQ(run->arm_sea.gpa, gva & ~0xfffULL);
		w->reported++;
		TEST_ASSERT_EQ(locked_command(mei_clear, pa), MEI_STATUS_OK);
		inject_dabt(w->vcpu);
	}
}

static struct kvm_vm *create_vm(int nr_vcpus, struct kvm_vcpu **vcpus)
{
	struct kvm_vm *vm = vm_create_with_vcpus(nr_vcpus, guest_consume, vcpus);
	int pages = NR_VCPUS * PAGES_PER_VCPU;

	vm_init_descriptor_tables(vm);
	for (int i = 0; i < nr_vcpus; i++)
		vcpu_init_descriptor_tables(vcpus[i]);
	vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, L1_EC_DABT_CUR, guest_handler);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, REGION_GPA, REGION_SLOT,
				    pages * 4096 / vm->page_size, 0);
	virt_map(vm, REGION_GPA, REGION_GPA, pages * 4096 / vm->page_size);
	memset(addr_gpa2hva(vm, REGION_GPA), 0x5a, pages * 4096);
	vm_enable_cap(vm, KVM_CAP_ARM_SEA_TO_USER, 0);
	return vm;
}

static double seconds_since(struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_concurrent(void)
{
	struct kvm_vcpu *vcpus[NR_VCPUS];
	struct worker workers[NR_VCPUS];
	pthread_t threads[NR_VCPUS];
	struct timespec t0;
	int total = 0, i;
	struct kvm_vm *vm;

	vm = create_vm(NR_VCPUS, vcpus);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < NR_VCPUS; i++) {
		workers[i] = (struct worker){ .vm = vm, .vcpu = vcpus[i], .id = i,
					      .pages = PAGES_PER_VCPU };
		vcpu_args_set(vcpus[i], 2, EVENTS_PER_VCPU, PAGES_PER_VCPU);
		pthread_create(&threads[i], NULL, worker_run, &workers[i]);
	}
	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(threads[i], NULL);
	sync_global_from_guest(vm, guest_seas);
	for (i = 0; i < NR_VCPUS; i++) {
		TEST_ASSERT_EQ(workers[i].reported, EVENTS_PER_VCPU);
		TEST_ASSERT_EQ(guest_seas[i], EVENTS_PER_VCPU);
		total += workers[i].reported;
	}
	kvm_vm_free(vm);
	ksft_print_msg("concurrent: %d SEAs on %d vCPUs, each reported once with exact addresses, %.1f s\n",
		       total, NR_VCPUS, seconds_since(&t0));
	ksft_test_result(total == NR_EVENTS, "concurrent\n");
}

static void test_repoison(void)
{
	struct kvm_vcpu *vcpu;
	struct worker w;
	struct kvm_vm *vm;

	/* One vCPU reading one page: poisoned, cleared, poisoned again... */
	vm = create_vm(1, &vcpu);
	vcpu_args_set(vcpu, 2, REPOISON, 1);
	w = (struct worker){ .vm = vm, .vcpu = vcpu, .id = 0, .pages = 1 };
	worker_run(&w);
	TEST_ASSERT_EQ(w.reported, REPOISON);
	kvm_vm_free(vm);
	ksft_test_result_pass("repoison: %d consumptions of re-poisoned pages, each reported\n", REPOISON);
}

static void test_abandon(void)
{
	for (int n = 0; n < NR_ABANDONED; n++) {
		struct kvm_vcpu *vcpu;
		struct kvm_vm *vm = create_vm(1, &vcpu);
		uint64_t pa = mei_virt_to_phys(addr_gpa2hva(vm, event_gva(0, 0, 1)));
		struct ucall uc;

		vcpu_args_set(vcpu, 2, 1, 1);
		vcpu_run(vcpu);
		TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
		TEST_ASSERT_EQ(mei_poison(pa), MEI_STATUS_OK);
		vcpu_run(vcpu);
		TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_ARM_SEA);
		/* Walk away from the exit: no injection, no further KVM_RUN. */
		kvm_vm_free(vm);
		TEST_ASSERT_EQ(mei_clear(pa), MEI_STATUS_OK);
	}
	ksft_test_result_pass("abandon: %d VMs freed with an SEA exit unhandled\n", NR_ABANDONED);
}

static void clear_all_poison(void)
{
	mei_clear_all();
}

int main(void)
{
	const char *why;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SEA_TO_USER));
	if (mei_open(&why))
		ksft_exit_skip("no memory error injector: %s\n", why);
	atexit(clear_all_poison);

	ksft_print_header();
	ksft_set_plan(3);
	test_concurrent();
	test_repoison();
	test_abandon();
	ksft_finished();
}
