/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtual machine: the KVM VM, guest RAM, vCPUs with PSCI and the arch
 * timer, a vGICv3. Guest RAM outlives the KVM VM: a guest reset builds a new
 * VM around the same memory.
 */
#ifndef SEAVMM_VM_H
#define SEAVMM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "options.h"

#define CORE_REG(name) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			(offsetof(struct kvm_regs, name) / sizeof(uint32_t)))

enum stop_reason {
	STOP_NONE,
	STOP_POWER_OFF,		/* the guest powered off (PSCI SYSTEM_OFF) */
	STOP_RESET,		/* the guest asked for a reset: restart it */
	STOP_THRESHOLD,		/* too many distinct poisoned pages */
	STOP_ERROR,		/* the VMM cannot go on */
};

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
};

struct vm {
	const struct options *opts;
	int kvm_fd;
	int fd;
	int gic_fd;
	size_t run_size;
	uint8_t *ram;			/* guest RAM, anonymous memory of the VMM */
	uint64_t ram_size;
	bool sea_to_user;		/* KVM_CAP_ARM_SEA_TO_USER enabled */
	int inject_caps;		/* KVM_CHECK_EXTENSION(KVM_CAP_ARM_INJECT_EXT_DABT) */
	int boot;			/* 1 for the first boot, 2 after the first restart... */
	struct vcpu vcpus[MAX_VCPUS];

	pthread_mutex_t lock;		/* protects stop and stop_detail */
	enum stop_reason stop;
	char stop_detail[160];
};

/* Opens /dev/kvm and allocates guest RAM; 0 or -errno, with a message. */
int vm_init(struct vm *vm, const struct options *opts);
/* A new KVM VM around guest RAM, for each boot; 0 or -errno, with a message. */
int vm_create(struct vm *vm);
void vm_destroy(struct vm *vm);
void vm_request_stop(struct vm *vm, enum stop_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool vm_stopping(struct vm *vm);

/* The VMM's address of guest RAM at [gpa, gpa + len), or NULL if not all RAM. */
void *gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);
/* The guest physical address of a VMM address in guest RAM; false if not. */
bool hva_to_gpa(struct vm *vm, const void *hva, uint64_t *gpa);

int vcpu_set_reg(struct vcpu *vcpu, uint64_t id, uint64_t value);
/* The exception level the vCPU was at (PSTATE.EL), or -1 if unreadable. */
int vcpu_guest_el(struct vcpu *vcpu);

#endif
