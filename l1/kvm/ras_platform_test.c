// SPDX-License-Identifier: GPL-2.0-only
/*
 * ras_platform_test - the emulated RAS platform works, on either kernel base
 *
 * Needs none of the kernel series: it checks what the QEMU patches promise
 * (s2_walk_host_owned needs KVM_CAP_ARM_SEA_TO_USER, which 7.1 has and the
 * lts queue brings to 6.12, and skips without it).
 *  - injector_registers: the injector is found through the device tree and
 *    its read-only registers hold their documented values.
 *  - injector_bad_input: an unknown error type or command, an address outside
 *    RAM, clearing a granule that is not poisoned and a write of a read-only
 *    register each give their error status and change nothing.
 *  - injector_hostile: thousands of random register writes poison nothing,
 *    and the device (and QEMU) still answer.
 *  - poisoned_write_lands: writing a poisoned page is not an error, and the
 *    data is there once the poison is cleared.
 *  - host_read_sigbus: a host userspace read of a poisoned page kills the
 *    reading thread with SIGBUS (si_code BUS_OBJERR, si_addr exact), and the
 *    host keeps running.
 *  - guest_read_serror: a KVM guest load from a poisoned page reaches KVM as
 *    an SEA (HCR_EL2.TEA routing), and KVM's fallback virtual SError runs the
 *    guest's SError handler; the SEA itself never reaches the guest.
 *  - s2_walk_host_owned: the injector's stage 2 walk error, armed at the IPA
 *    of the guest's last-level stage 1 table for one page, makes the guest's
 *    load of that page an SEA on the stage 2 walk of a stage 1 descriptor
 *    read (ESR_EL2.S1PTW = 1). That SEA is the host's (KVM's host_owns_sea()):
 *    even with KVM_CAP_ARM_SEA_TO_USER enabled there is no KVM_EXIT_ARM_SEA,
 *    the guest gets a virtual SError (ESR_EL1 0xbf000000: EC SError, IL, IDS)
 *    in place of the load, and the host keeps running. Disarmed, the same
 *    load reads the page.
 */
#include <setjmp.h>
#include <signal.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#include "../mem_error_injector.h"

#define POISON_GPA	0x80000000UL
#define POISON_GVA	POISON_GPA
#define POISON_SLOT	1
/*
 * Built against either base's selftest library: 6.12's processor.h names the
 * data abort class ESR_EC_DABT, 7.1 takes <asm/esr.h>'s ESR_ELx_EC_DABT_CUR.
 */
#ifdef ESR_ELx_EC_DABT_CUR
#define EC_DABT_CUR	ESR_ELx_EC_DABT_CUR
#else
#define EC_DABT_CUR	ESR_EC_DABT
#endif
/* Also in processor.h once the series' selftests are applied. */
#ifndef ESR_EC_SERROR
#define ESR_EC_SERROR	0x2f
#endif
#ifndef ESR_SERROR_IDS
#define ESR_SERROR_IDS	(1UL << 24)
#endif

static uint64_t injector_granule;

static void clear_all_poison(void)
{
	if (mei_regs)
		mei_clear_all();
}

static void test_injector_registers(void)
{
	injector_granule = mei_read(MEI_REG_GRANULE);
	TEST_ASSERT_EQ(mei_read(MEI_REG_ID), MEI_ID_VALUE);
	TEST_ASSERT_EQ(injector_granule, 4096);
	TEST_ASSERT_EQ(mei_read(MEI_REG_ERROR_TYPES), MEI_TYPE_MEM_UNCORRECTABLE);
	TEST_ASSERT_EQ(mei_read(MEI_REG_COUNT), 0);
	ksft_test_result_pass("injector_registers\n");
}

static void test_injector_bad_input(void)
{
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t pa;

	TEST_ASSERT(page != MAP_FAILED, "mmap");
	memset(page, 0x5a, 4096);
	pa = mei_virt_to_phys(page);
	TEST_ASSERT(pa, "no physical address for a resident page");

	TEST_ASSERT_EQ(mei_command(MEI_CMD_INJECT, pa, 0x8), MEI_STATUS_INVALID_TYPE);
	TEST_ASSERT_EQ(mei_read(MEI_REG_COUNT), 0);
	/* The GIC distributor: not RAM. */
	TEST_ASSERT_EQ(mei_poison(0x08000000), MEI_STATUS_INVALID_ADDRESS);
	TEST_ASSERT_EQ(mei_poison(~0ULL), MEI_STATUS_INVALID_ADDRESS);
	TEST_ASSERT_EQ(mei_read(MEI_REG_COUNT), 0);
	TEST_ASSERT_EQ(mei_clear(pa), MEI_STATUS_NOT_POISONED);
	TEST_ASSERT_EQ(mei_command(42, pa, MEI_TYPE_MEM_UNCORRECTABLE), MEI_STATUS_INVALID_COMMAND);
	TEST_ASSERT_EQ(mei_read(MEI_REG_COUNT), 0);
	mei_write(MEI_REG_COUNT, 7);
	TEST_ASSERT_EQ(mei_read(MEI_REG_STATUS), MEI_STATUS_READ_ONLY);
	TEST_ASSERT_EQ(mei_read(MEI_REG_COUNT), 0);
	mei_write(MEI_REG_ID, 0);
	TEST_ASSERT_EQ(mei_read(MEI_REG_STATUS), MEI_STATUS_READ_ONLY);
	TEST_ASSERT_EQ(mei_read(MEI_REG_ID), MEI_ID_VALUE);
	/* Injecting twice poisons once; the page still reads fine after all this. */
	TEST_ASSERT_EQ(mei_poison(pa), MEI_STATUS_OK);
	TEST_ASSERT_EQ(mei_poison(pa + 8), MEI_STATUS_OK);
	TEST_ASSERT_EQ(mei_read(MEI_REG_COUNT), 1);
	TEST_ASSERT_EQ(mei_clear(pa + 100), MEI_STATUS_OK);
	TEST_ASSERT_EQ(mei_read(MEI_REG_COUNT), 0);
	TEST_ASSERT_EQ(page[4095], 0x5a);
	munmap(page, 4096);
	ksft_test_result_pass("injector_bad_input\n");
}

/*
 * Hostile register values: random writes to every register but COMMAND, and
 * random commands while ADDR is outside RAM (so none can poison anything).
 * Nothing may get poisoned, and the device must still answer.
 */
static void test_injector_hostile(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int writes = 0;

	for (int i = 0; i < 4000; i++) {
		unsigned int reg;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		reg = (x >> 3) % 0x400 * 4;
		if (reg == MEI_REG_COMMAND)
			continue;
		mei_write(reg, x);
		writes++;
	}
	for (int i = 0; i < 200; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		mei_write(MEI_REG_ADDR_LO, 0);
		mei_write(MEI_REG_ADDR_HI, 0xffff0000 | (uint32_t)x);
		mei_write(MEI_REG_TYPE, x >> 32);
		/* Commands 0-7: inject, clear, clear all, arm and disarm the stage 2 walk error. */
		mei_write(MEI_REG_COMMAND, (x >> 40) % 8);
		writes += 4;
		TEST_ASSERT_EQ(mei_read(MEI_REG_COUNT), 0);
		TEST_ASSERT_EQ(mei_s2_walk_armed(), 0);
	}
	TEST_ASSERT_EQ(mei_read(MEI_REG_COUNT), 0);
	TEST_ASSERT_EQ(mei_s2_walk_armed(), 0);
	TEST_ASSERT_EQ(mei_read(MEI_REG_ID), MEI_ID_VALUE);
	TEST_ASSERT_EQ(mei_read(MEI_REG_GRANULE), 4096);
	ksft_print_msg("%d hostile register writes: nothing poisoned, the device still answers\n",
		       writes);
	ksft_test_result_pass("injector_hostile\n");
}

static void test_poisoned_write_lands(void)
{
	volatile uint64_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t pa;

	TEST_ASSERT(page != MAP_FAILED, "mmap");
	page[3] = 1;
	pa = mei_virt_to_phys((void *)page);
	TEST_ASSERT_EQ(mei_poison(pa), MEI_STATUS_OK);
	page[3] = 0x1122334455667788ULL;
	TEST_ASSERT_EQ(mei_clear(pa), MEI_STATUS_OK);
	TEST_ASSERT_EQ(page[3], 0x1122334455667788ULL);
	munmap((void *)page, 4096);
	ksft_test_result_pass("poisoned_write_lands\n");
}

static sigjmp_buf sigbus_return;
static siginfo_t sigbus_info;

static void on_sigbus(int sig, siginfo_t *info, void *ucontext)
{
	sigbus_info = *info;
	siglongjmp(sigbus_return, 1);
}

static void test_host_read_sigbus(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	volatile uint64_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile uint64_t *target;
	bool got_sigbus = false;
	uint64_t pa;

	TEST_ASSERT(page != MAP_FAILED, "mmap");
	target = &page[17];
	*target = 42;
	pa = mei_virt_to_phys((void *)target);
	TEST_ASSERT(sigaction(SIGBUS, &sa, NULL) == 0, "sigaction");

	TEST_ASSERT_EQ(mei_poison(pa), MEI_STATUS_OK);
	if (sigsetjmp(sigbus_return, 1) == 0)
		(void)*target;
	else
		got_sigbus = true;
	TEST_ASSERT_EQ(mei_clear(pa), MEI_STATUS_OK);
	signal(SIGBUS, SIG_DFL);

	TEST_ASSERT(got_sigbus, "a read of poisoned memory did not raise SIGBUS");
	TEST_ASSERT_EQ(sigbus_info.si_signo, SIGBUS);
	TEST_ASSERT_EQ(sigbus_info.si_code, BUS_OBJERR);
	TEST_ASSERT_EQ((uintptr_t)sigbus_info.si_addr, (uintptr_t)target);
	TEST_ASSERT_EQ(*target, 42);
	munmap((void *)page, 4096);
	ksft_print_msg("host SIGBUS: si_code %d (BUS_OBJERR), si_addr exact\n", sigbus_info.si_code);
	ksft_test_result_pass("host_read_sigbus\n");
}

static uint64_t guest_serror_esr, guest_serror_count;

static void guest_serror_handler(struct ex_regs *regs)
{
	WRITE_ONCE(guest_serror_esr, read_sysreg(esr_el1));
	WRITE_ONCE(guest_serror_count, READ_ONCE(guest_serror_count) + 1);
	/* The SError is taken before the load that consumed the poison: skip it. */
	regs->pc += 4;
}

static void guest_dabt_handler(struct ex_regs *regs)
{
	GUEST_FAIL("the SEA reached the guest directly: ESR_EL1 %lx FAR_EL1 %lx",
		   read_sysreg(esr_el1), read_sysreg(far_el1));
}

static void guest_read_poison(void)
{
	/* Selftest guests start with SError masked: unmask it (PSTATE.A). */
	asm volatile("msr daifclr, #4" ::: "memory");
	isb();
	(void)READ_ONCE(*(volatile uint64_t *)POISON_GVA);
	GUEST_ASSERT_EQ(READ_ONCE(guest_serror_count), 1);
	GUEST_DONE();
}

static void test_guest_read_serror(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t pa, *hva;

	vm = vm_create_with_one_vcpu(&vcpu, guest_read_poison);
	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, guest_serror_handler);
	vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, EC_DABT_CUR, guest_dabt_handler);

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, POISON_GPA, POISON_SLOT,
				    vm->page_size / getpagesize() ?: 1, 0);
	virt_map(vm, POISON_GVA, POISON_GPA, 1);
	hva = addr_gpa2hva(vm, POISON_GPA);
	memset(hva, 0xab, getpagesize());
	pa = mei_virt_to_phys(hva);
	TEST_ASSERT(pa, "no physical address for the guest page");
	TEST_ASSERT_EQ(mei_poison(pa), MEI_STATUS_OK);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(mei_clear(pa), MEI_STATUS_OK);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_DONE:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("unexpected exit: %s", exit_reason_str(vcpu->run->exit_reason));
	}
	sync_global_from_guest(vm, guest_serror_esr);
	sync_global_from_guest(vm, guest_serror_count);
	TEST_ASSERT_EQ(guest_serror_count, 1);
	TEST_ASSERT_EQ(guest_serror_esr >> 26, ESR_EC_SERROR);
	/* KVM's fallback SError carries an IMPLEMENTATION DEFINED syndrome (IDS). */
	TEST_ASSERT_EQ(guest_serror_esr & ESR_SERROR_IDS, ESR_SERROR_IDS);
	kvm_vm_free(vm);
	ksft_print_msg("guest SError: ESR_EL1 %#lx\n", guest_serror_esr);
	ksft_test_result_pass("guest_read_serror\n");
}

#define WALK_GVA	(1UL << 40)	/* a stage 1 table of its own at each level */
#define WALK_DATA	0x5a5a5a5a5a5a5a5aUL
/* The virtual SError KVM injects without a syndrome: EC SError, IL, IDS. */
#define HOST_SERROR_ESR	((uint64_t)ESR_EC_SERROR << 26 | (1UL << 25) | ESR_SERROR_IDS)

static void guest_walk(void)
{
	asm volatile("msr daifclr, #4" ::: "memory");
	isb();
	(void)READ_ONCE(*(volatile uint64_t *)WALK_GVA);
	GUEST_ASSERT_EQ(READ_ONCE(guest_serror_count), 1);
	GUEST_ASSERT_EQ(READ_ONCE(guest_serror_esr), HOST_SERROR_ESR);
	GUEST_SYNC(1);
	/* Disarmed: the walk and the load complete. */
	GUEST_ASSERT_EQ(READ_ONCE(*(volatile uint64_t *)WALK_GVA), WALK_DATA);
	GUEST_ASSERT_EQ(READ_ONCE(guest_serror_count), 1);
	GUEST_DONE();
}

/* Runs the vCPU to its next ucall; a KVM_EXIT_ARM_SEA fails the test. */
static uint64_t run_to_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason != KVM_EXIT_ARM_SEA,
		    "KVM_EXIT_ARM_SEA for an SEA on a stage 2 walk: esr %#llx gpa %#llx",
		    vcpu->run->arm_sea.esr, vcpu->run->arm_sea.gpa);
	if (get_ucall(vcpu, uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(*uc);
	return uc->cmd;
}

static void test_s2_walk_host_owned(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t *hva, table_ipa;

	if (!kvm_has_cap(KVM_CAP_ARM_SEA_TO_USER)) {
		ksft_test_result_skip("s2_walk_host_owned: KVM_CAP_ARM_SEA_TO_USER not supported\n");
		return;
	}
	/* A new VM's guest globals come from the ELF file: guest_read_serror's counts are not in it. */
	vm = vm_create_with_one_vcpu(&vcpu, guest_walk);
	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, guest_serror_handler);
	vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, EC_DABT_CUR, guest_dabt_handler);
	vm_enable_cap(vm, KVM_CAP_ARM_SEA_TO_USER, 0);

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, POISON_GPA, POISON_SLOT,
				    vm->page_size / getpagesize() ?: 1, 0);
	virt_pg_map(vm, WALK_GVA, POISON_GPA);
	hva = addr_gpa2hva(vm, POISON_GPA);
	*hva = WALK_DATA;
	/* The descriptor the walk reads for WALK_GVA, in the last-level table. */
	table_ipa = addr_hva2gpa(vm, virt_get_pte_hva(vm, WALK_GVA));
	TEST_ASSERT_EQ(mei_s2_walk_error(table_ipa), MEI_STATUS_OK);
	TEST_ASSERT_EQ(mei_s2_walk_armed(), (table_ipa & ~0xfffUL) | 1);

	TEST_ASSERT_EQ(run_to_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(mei_command(MEI_CMD_CLEAR_S2_WALK, 0, 0), MEI_STATUS_OK);
	TEST_ASSERT_EQ(mei_s2_walk_armed(), 0);
	TEST_ASSERT_EQ(run_to_ucall(vcpu, &uc), UCALL_DONE);
	kvm_vm_free(vm);
	ksft_print_msg("stage 2 walk SEA at IPA %#lx: no exit, guest SError ESR_EL1 %#lx\n",
		       table_ipa, (unsigned long)HOST_SERROR_ESR);
	ksft_test_result_pass("s2_walk_host_owned\n");
}

int main(void)
{
	const char *why;

	if (mei_open(&why))
		ksft_exit_skip("no memory error injector: %s\n", why);
	atexit(clear_all_poison);

	ksft_print_header();
	ksft_set_plan(7);
	test_injector_registers();
	test_injector_bad_input();
	test_injector_hostile();
	test_poisoned_write_lands();
	test_host_read_sigbus();
	test_guest_read_serror();
	test_s2_walk_host_owned();
	ksft_finished();
}
