// SPDX-License-Identifier: GPL-2.0-only
/*
 * sea_bench - what the SEA path costs, in guest counter ticks (CNTVCT_EL0)
 *
 * Meant to run under QEMU -icount, where guest time is a deterministic count
 * of instructions: every figure is the work done, by the guest, KVM and the
 * VMM alike, between two reads of the counter. One line per measure:
 *
 *   bench: NAME median=TICKS p99=TICKS n=SAMPLES
 *
 *  - sea_roundtrip (needs KVM_CAP_ARM_SEA_TO_USER): guest load from a
 *    poisoned page -> KVM_EXIT_ARM_SEA -> the VMM injects an SEA -> the
 *    guest's handler runs and returns;
 *  - mmio_roundtrip: guest load from an unbacked address -> KVM_EXIT_MMIO ->
 *    the VMM completes it -> the guest continues (the reference exit);
 *  - fallback_serror: capability off, guest load from a poisoned page ->
 *    KVM injects the virtual SError -> the guest's SError handler runs;
 *  - s2_fault: first guest touch of a page the host has already populated
 *    (stage 2 translation fault handled inside KVM), per page;
 *  - s2_fault_alloc: the same, with the host page allocated in the fault.
 */
#include <stdlib.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#include "../mem_error_injector.h"
#include "selftest_compat.h"

#define NR_EVENTS	1000
#define NR_FRESH_PAGES	512
#define POISON_GPA	0x80000000UL
#define MMIO_GPA	0x90000000UL
#define FRESH_GPA	0xa0000000UL
#define POISON_SLOT	1
#define FRESH_SLOT	2

#ifndef KVM_CAP_ARM_SEA_TO_USER
#define KVM_CAP_ARM_SEA_TO_USER	245
#define KVM_EXIT_ARM_SEA	41
#endif

static uint64_t samples[NR_EVENTS];

static inline uint64_t ticks(void)
{
	isb();
	return read_sysreg(cntvct_el0);
}

static void skip_load(struct ex_regs *regs)
{
	regs->pc += 4;
}

static void guest_loads(uint64_t gva)
{
	for (int i = 0; i < NR_EVENTS; i++) {
		uint64_t t0 = ticks();

		(void)READ_ONCE(*(uint64_t *)gva);
		WRITE_ONCE(samples[i], ticks() - t0);
	}
	GUEST_DONE();
}

static void guest_loads_serror(uint64_t gva)
{
	asm volatile("msr daifclr, #4" ::: "memory");
	guest_loads(gva);
}

static void guest_fresh_pages(uint64_t gva)
{
	uint64_t t0 = ticks();

	for (int i = 0; i < NR_FRESH_PAGES; i++)
		WRITE_ONCE(*(uint64_t *)(gva + i * 4096UL), i);
	WRITE_ONCE(samples[0], (ticks() - t0) / NR_FRESH_PAGES);
	GUEST_DONE();
}

static struct kvm_vm *create_vm(void *guest_code, uint64_t arg, struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);
	int pages = 4096 / vm->page_size ?: 1;

	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(*vcpu);
	vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, L1_EC_DABT_CUR, skip_load);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, skip_load);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, POISON_GPA, POISON_SLOT, pages, 0);
	virt_map(vm, POISON_GPA, POISON_GPA, pages);
	virt_map(vm, MMIO_GPA, MMIO_GPA, 1);
	memset(addr_gpa2hva(vm, POISON_GPA), 0, 4096);
	vcpu_args_set(*vcpu, 1, arg);
	return vm;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, struct kvm_vm *vm, int n)
{
	sync_global_from_guest(vm, samples);
	qsort(samples, n, sizeof(samples[0]), cmp_u64);
	printf("bench: %s median=%lu p99=%lu n=%d\n", name, samples[n / 2], samples[n * 99 / 100], n);
}

/* Runs the guest to completion, injecting an SEA back at every SEA exit. */
static void run_to_done(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_events events = { .exception.ext_dabt_pending = 1 };
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_ARM_SEA) {
			vcpu_events_set(vcpu, &events);
			continue;
		}
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO && vcpu->run->mmio.phys_addr == MMIO_GPA)
			continue;
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_DONE:
			return;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
		}
	}
}

static void bench_poisoned_loads(const char *name, bool sea_to_user)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t pa;

	vm = create_vm(sea_to_user ? guest_loads : guest_loads_serror, POISON_GPA, &vcpu);
	if (sea_to_user)
		vm_enable_cap(vm, KVM_CAP_ARM_SEA_TO_USER, 0);
	pa = mei_virt_to_phys(addr_gpa2hva(vm, POISON_GPA));
	TEST_ASSERT_EQ(mei_poison(pa), MEI_STATUS_OK);
	run_to_done(vcpu);
	TEST_ASSERT_EQ(mei_clear(pa), MEI_STATUS_OK);
	report(name, vm, NR_EVENTS);
	kvm_vm_free(vm);
}

static void bench_mmio(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_vm(guest_loads, MMIO_GPA, &vcpu);

	run_to_done(vcpu);
	report("mmio_roundtrip", vm, NR_EVENTS);
	kvm_vm_free(vm);
}

static void bench_s2_fault(const char *name, bool host_populated)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_vm(guest_fresh_pages, FRESH_GPA, &vcpu);
	int pages = NR_FRESH_PAGES * 4096 / vm->page_size;

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, FRESH_GPA, FRESH_SLOT, pages, 0);
	virt_map(vm, FRESH_GPA, FRESH_GPA, pages);
	/*
	 * With the host side populated first, each guest touch costs KVM's
	 * stage 2 fault handling only; otherwise the host page allocator's
	 * work (and its state) is part of the figure.
	 */
	if (host_populated)
		memset(addr_gpa2hva(vm, FRESH_GPA), 1, NR_FRESH_PAGES * 4096UL);
	run_to_done(vcpu);
	report(name, vm, 1);
	kvm_vm_free(vm);
}

static void clear_all_poison(void)
{
	mei_clear_all();
}

int main(void)
{
	const char *why;

	if (mei_open(&why))
		ksft_exit_skip("no memory error injector: %s\n", why);
	atexit(clear_all_poison);

	if (kvm_has_cap(KVM_CAP_ARM_SEA_TO_USER))
		bench_poisoned_loads("sea_roundtrip", true);
	else
		printf("bench: sea_roundtrip skipped: no KVM_CAP_ARM_SEA_TO_USER\n");
	bench_mmio();
	bench_poisoned_loads("fallback_serror", false);
	bench_s2_fault("s2_fault", true);
	bench_s2_fault("s2_fault_alloc", false);
	return 0;
}
