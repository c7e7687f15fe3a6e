/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * seavmm: a reference VMM that keeps an arm64 Linux guest alive through
 * memory errors, using KVM_CAP_ARM_SEA_TO_USER / KVM_EXIT_ARM_SEA.
 */
#ifndef SEAVMM_H
#define SEAVMM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Guest physical memory map (a subset of QEMU's virt board, so it reads familiar). */
#define GIC_DIST_BASE		0x08000000UL
#define GIC_DIST_SIZE		0x00010000UL
#define GIC_REDIST_BASE		0x080a0000UL
#define GIC_REDIST_SIZE_PER_CPU	0x00020000UL
#define UART_BASE		0x09000000UL
#define UART_SIZE		0x00001000UL
#define UART_SPI		1		/* GIC INTID 33 */
#define CONTROL_BASE		0x0a000000UL
#define CONTROL_SIZE		0x00001000UL
#define RAM_BASE		0x40000000UL
#define KERNEL_OFFSET		0x00200000UL	/* 2M-aligned, as the arm64 boot protocol asks */
#define PAGE_4K			4096UL

#define MAX_VCPUS		8
#define MAX_RETIRED		1024

struct options {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *expect;	/* comma-separated step names that must be observed */
	uint64_t memory_mb;
	int vcpus;
	int threshold;		/* distinct poisoned pages that stop the VM */
	int max_boots;
};

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

	pthread_mutex_t lock;		/* protects everything below */
	enum stop_reason stop;
	char stop_detail[160];
	uint64_t sea_count;
	int retired_count;
	uint64_t retired[MAX_RETIRED];	/* guest pages replaced after poison */
	uint64_t steps_ok, steps_failed;	/* bit n: guest step n reported */
	uint64_t control_index;
	uint64_t control_status;
	uint64_t control_data;
};

/* vm.c */
int vm_create(struct vm *vm);
void vm_destroy(struct vm *vm);
int vm_load_images(struct vm *vm);
int vm_run(struct vm *vm);
void vm_request_stop(struct vm *vm, enum stop_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void *gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len);
uint64_t vcpu_get_pstate(struct vcpu *vcpu);

/* dt.c */
int dt_build(struct vm *vm, void *buf, size_t size, uint64_t initrd_start, uint64_t initrd_end);

/* uart.c */
void uart_mmio(struct vm *vm, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
void uart_flush(void);
void uart_reset(void);

/* control.c: the paravirtual control device of the demo guest */
void control_mmio(struct vm *vm, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
const char *step_name(int step);
int step_by_name(const char *name);

/* sea.c */
void sea_init(size_t max_quarantine);
void sea_handle_exit(struct vcpu *vcpu);
bool sea_handle_hwpoison_signal(struct vcpu *vcpu);
int sea_poison_guest_page(struct vm *vm, uint64_t gpa);
int sea_device_read(struct vm *vm, uint64_t gpa, uint64_t *value);
void sea_clear_injected(void);
/* One JSON event line: {"time":T,"event":"NAME" FIELDS}, FIELDS starting with ','. */
void event(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *json_escape(const char *s, char *buf, size_t size);
double now_seconds(void);

#endif
