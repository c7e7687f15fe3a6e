// SPDX-License-Identifier: GPL-2.0-only
/*
 * sea_fuzz - seeded random input to the series' ioctls
 *
 *  - vcpu_events: NR_EVENT_CALLS KVM_SET_VCPU_EVENTS calls with random
 *    contents, biased towards the interesting bytes (flags of 0, 1, 2 or
 *    0xff; syndromes inside and outside the ISS; padding and reserved words
 *    mostly zero). Each returns 0 or -EINVAL; after a rejected call the vCPU's
 *    events, PC, PSTATE, ESR_EL1, FAR_EL1, ELR_EL1 and SPSR_EL1 read exactly
 *    as before. Afterwards the vCPU takes whatever the accepted calls left
 *    pending, and the guest ends in the first handler (or by itself).
 *  - enable_cap: NR_CAP_CALLS KVM_ENABLE_CAP(KVM_CAP_ARM_SEA_TO_USER) calls
 *    with random flags and arguments on a fresh VM: 0 exactly when flags is 0
 *    (mainline ignores the arguments), -EINVAL otherwise; while every call was rejected, a poisoned read
 *    still ends in the virtual SError (nothing changed), and once one call is
 *    accepted, in KVM_EXIT_ARM_SEA.
 *
 * The seed is printed so that a failure can be replayed: sea_fuzz [SEED [CALLS]].
 */
#include <stdlib.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#include "../mem_error_injector.h"
#include "selftest_compat.h"

#define NR_EVENT_CALLS	100000
#define NR_CAP_CALLS	2000
/* A full state snapshot costs 7 ioctls: the cheap checks run on every call. */
#define FULL_CHECK_EVERY	64
#define POISON_GPA	0x80000000UL
#define POISON_SLOT	1

static uint64_t rng_state;

/* xorshift64*: small, seedable, good enough to pick bytes. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint8_t rnd_flag(void)
{
	static const uint8_t picks[] = { 0, 0, 0, 0, 1, 1, 1, 2, 0x80, 0xff };

	return picks[rnd() % sizeof(picks)];
}

static uint64_t rnd_syndrome(void)
{
	switch (rnd() % 4) {
	case 0:
		return 0;
	case 1:
		return rnd() & GENMASK(24, 0);	/* inside the ISS */
	case 2:
		return rnd() & GENMASK(6, 0);	/* a plausible FSC */
	default:
		return rnd();			/* anything */
	}
}

static void random_events(struct kvm_vcpu_events *e)
{
	memset(e, 0, sizeof(*e));
	e->exception.serror_pending = rnd_flag();
	e->exception.serror_has_esr = rnd_flag();
	e->exception.ext_dabt_pending = rnd_flag();
	e->exception.ext_iabt_pending = rnd_flag();
	e->exception.ext_abt_has_esr = rnd_flag();
	e->exception.serror_esr = rnd_syndrome();
	e->ext_abt_esr = rnd_syndrome();
	if (rnd() % 16 == 0)
		e->exception.pad[rnd() % ARRAY_SIZE(e->exception.pad)] = rnd();
	if (rnd() % 16 == 0)
		e->reserved[rnd() % ARRAY_SIZE(e->reserved)] = rnd();
}

struct vcpu_state {
	struct kvm_vcpu_events events;
	uint64_t esr;		/* an injected abort writes ESR_EL1 at once */
	uint64_t regs[5];
};

static const uint64_t state_regs[] = {
	ARM64_CORE_REG(regs.pc),
	ARM64_CORE_REG(regs.pstate),
	KVM_ARM64_SYS_REG(SYS_FAR_EL1),
	ARM64_CORE_REG(elr_el1),
	ARM64_CORE_REG(spsr[KVM_SPSR_EL1]),
};

/*
 * The events and ESR_EL1 are read after every call; the rest of the state
 * (full) every FULL_CHECK_EVERY calls, as each register is another ioctl.
 */
static void snapshot(struct kvm_vcpu *vcpu, struct vcpu_state *s, bool full)
{
	vcpu_events_get(vcpu, &s->events);
	s->esr = l1_get_reg(vcpu, KVM_ARM64_SYS_REG(SYS_ESR_EL1));
	for (int i = 0; full && i < ARRAY_SIZE(state_regs); i++)
		s->regs[i] = l1_get_reg(vcpu, state_regs[i]);
}

static bool same_state(const struct vcpu_state *a, const struct vcpu_state *b, bool full)
{
	return !memcmp(&a->events, &b->events, sizeof(a->events)) && a->esr == b->esr &&
	       (!full || !memcmp(a->regs, b->regs, sizeof(a->regs)));
}

static void guest_done(void)
{
	GUEST_DONE();
}

/*
 * The guest ends in the first handler it enters. Returning would not do: a
 * kernel that commits each injected abort at once (7.1) nests the accepted
 * calls' exceptions, each one's ELR_EL1 the previous one's vector, and the
 * handler would return into a vector forever.
 */
static void done_in_handler(struct ex_regs *regs)
{
	GUEST_DONE();
}

static void expect_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
}

static void fuzz_vcpu_events(int calls)
{
	struct vcpu_state before, after;
	struct kvm_vcpu_events e;
	int accepted = 0, rejected = 0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_with_one_vcpu(&vcpu, guest_done);
	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, L1_EC_DABT_CUR, done_in_handler);
	vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, L1_EC_IABT_CUR, done_in_handler);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, done_in_handler);
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	for (int i = 0; i < calls; i++) {
		bool full = i % FULL_CHECK_EVERY == 0;
		int ret;

		if (full || !i)
			snapshot(vcpu, &before, true);
		random_events(&e);
		ret = __vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &e);
		if (!ret) {
			accepted++;
			snapshot(vcpu, &before, full);
			continue;
		}
		TEST_ASSERT(errno == EINVAL, "call %d: ret %d errno %d, expected 0 or EINVAL", i, ret, errno);
		rejected++;
		snapshot(vcpu, &after, full);
		TEST_ASSERT(same_state(&before, &after, full),
			    "call %d was rejected but changed the vCPU's state", i);
	}

	/*
	 * What the accepted calls left pending is delivered now, to handlers
	 * that end the guest; with nothing pending, the guest ends by itself.
	 */
	expect_done(vcpu);
	kvm_vm_free(vm);
	ksft_print_msg("vcpu_events: %d calls, %d accepted, %d rejected with nothing changed\n",
		       calls, accepted, rejected);
	ksft_test_result_pass("vcpu_events\n");
}

static int serror_count;

static void guest_serror(struct ex_regs *regs)
{
	WRITE_ONCE(serror_count, READ_ONCE(serror_count) + 1);
	regs->pc += 4;
}

static void guest_read_poison(void)
{
	asm volatile("msr daifclr, #4" ::: "memory");
	(void)READ_ONCE(*(uint64_t *)POISON_GPA);
	GUEST_DONE();
}

/* One poisoned read: true if it exited to userspace, false if the guest got an SError. */
static bool poisoned_read_exits(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	uint64_t pa = mei_virt_to_phys(addr_gpa2hva(vm, POISON_GPA));
	struct ucall uc;
	bool exited;

	TEST_ASSERT_EQ(mei_poison(pa), MEI_STATUS_OK);
	vcpu_run(vcpu);
	exited = vcpu->run->exit_reason == KVM_EXIT_ARM_SEA;
	TEST_ASSERT_EQ(mei_clear(pa), MEI_STATUS_OK);
	if (!exited)
		TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	return exited;
}

static struct kvm_vm *create_poison_vm(struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_read_poison);

	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(*vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, guest_serror);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, POISON_GPA, POISON_SLOT,
				    4096 / vm->page_size ?: 1, 0);
	virt_map(vm, POISON_GPA, POISON_GPA, 1);
	memset(addr_gpa2hva(vm, POISON_GPA), 0, 4096);
	return vm;
}

static void fuzz_enable_cap(void)
{
	int accepted = 0, rejected = 0, i, j;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = create_poison_vm(&vcpu);
	for (i = 0; i < NR_CAP_CALLS; i++) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_SEA_TO_USER };
		int ret;

		/* Keep the accepted call out until the rejected ones are checked. */
		cap.flags = rnd() % 4 ? rnd() : 0;
		for (j = 0; j < 4; j++)
			cap.args[j] = rnd() % 4 ? rnd() >> (rnd() % 64) : 0;
		if (!cap.flags && i < NR_CAP_CALLS / 2)
			cap.flags = 1U << (rnd() % 32);
		ret = __vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
		if (!cap.flags) {
			TEST_ASSERT_EQ(ret, 0);
			accepted++;
		} else {
			TEST_ASSERT(ret == -1 && errno == EINVAL, "flags %#x: ret %d errno %d",
				    cap.flags, ret, errno);
			rejected++;
		}
		if (i == NR_CAP_CALLS / 2 - 1)
			TEST_ASSERT(!poisoned_read_exits(vm, vcpu),
				    "KVM_EXIT_ARM_SEA after %d rejected KVM_ENABLE_CAP calls", rejected);
	}
	kvm_vm_free(vm);

	vm = create_poison_vm(&vcpu);
	vm_enable_cap(vm, KVM_CAP_ARM_SEA_TO_USER, 0);
	TEST_ASSERT(poisoned_read_exits(vm, vcpu), "no KVM_EXIT_ARM_SEA after a valid KVM_ENABLE_CAP");
	kvm_vm_free(vm);
	ksft_print_msg("enable_cap: %d calls, %d accepted, %d rejected\n", NR_CAP_CALLS, accepted, rejected);
	ksft_test_result_pass("enable_cap\n");
}

static void clear_all_poison(void)
{
	mei_clear_all();
}

int main(int argc, char **argv)
{
	struct timespec now;
	uint64_t seed;
	int calls = argc > 2 ? atoi(argv[2]) : NR_EVENT_CALLS;
	const char *why;

	/* A fresh seed each run (the guest has no RTC: the clock, not the date). */
	clock_gettime(CLOCK_MONOTONIC, &now);
	seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)now.tv_sec * 1000000000 + now.tv_nsec;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SEA_TO_USER));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_ARM_INJECT_EXT_DABT) & KVM_ARM_INJECT_EXT_ABT_ESR);
	if (mei_open(&why))
		ksft_exit_skip("no memory error injector: %s\n", why);
	atexit(clear_all_poison);

	rng_state = seed ?: 1;
	ksft_print_header();
	ksft_print_msg("seed %#lx, %d calls (replay: sea_fuzz %#lx %d)\n", seed, calls, seed, calls);
	ksft_set_plan(2);
	fuzz_vcpu_events(calls);
	fuzz_enable_cap();
	ksft_finished();
}
