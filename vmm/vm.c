// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtual machine: KVM VM, guest RAM, vCPUs with PSCI and the arch timer,
 * a vGICv3, the boot images, and the vCPU run loops.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

#define CORE_REG(name) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			(offsetof(struct kvm_regs, name) / sizeof(uint32_t)))

/* arm64 Image header (Documentation/arch/arm64/booting.rst) */
struct arm64_image_header {
	uint32_t code0, code1;
	uint64_t text_offset;
	uint64_t image_size;
	uint64_t flags;
	uint64_t res2, res3, res4;
	uint32_t magic;
	uint32_t res5;
};
#define ARM64_IMAGE_MAGIC 0x644d5241	/* "ARM\x64" */

static uint64_t kernel_entry, dtb_gpa;

void *gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa < RAM_BASE || gpa - RAM_BASE > vm->ram_size || len > vm->ram_size - (gpa - RAM_BASE))
		return NULL;
	return vm->ram + (gpa - RAM_BASE);
}

void vm_request_stop(struct vm *vm, enum stop_reason reason, const char *fmt, ...)
{
	va_list ap;
	int i;

	pthread_mutex_lock(&vm->lock);
	if (vm->stop == STOP_NONE) {
		__atomic_store_n(&vm->stop, reason, __ATOMIC_RELEASE);
		va_start(ap, fmt);
		vsnprintf(vm->stop_detail, sizeof(vm->stop_detail), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&vm->lock);

	/* Kick every vCPU out of KVM_RUN; immediate_exit covers one not in it yet. */
	for (i = 0; i < vm->opts->vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->run)
			continue;
		v->run->immediate_exit = 1;
		if (v->thread && !pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, SIGUSR1);
	}
}

static int set_reg(struct vcpu *vcpu, uint64_t id, uint64_t value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&value };

	return ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg);
}

static int create_gic(struct vm *vm)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GIC_DIST_BASE, redist = GIC_REDIST_BASE;
	uint32_t nr_irqs = 128;
	struct kvm_device_attr attrs[] = {
		{ .group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V3_ADDR_TYPE_DIST,
		  .addr = (uintptr_t)&dist },
		{ .group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V3_ADDR_TYPE_REDIST,
		  .addr = (uintptr_t)&redist },
		{ .group = KVM_DEV_ARM_VGIC_GRP_NR_IRQS, .addr = (uintptr_t)&nr_irqs },
		{ .group = KVM_DEV_ARM_VGIC_GRP_CTRL, .attr = KVM_DEV_ARM_VGIC_CTRL_INIT },
	};
	size_t i;

	if (ioctl(vm->fd, KVM_CREATE_DEVICE, &dev)) {
		perror("seavmm: KVM_CREATE_DEVICE(vGICv3)");
		return -1;
	}
	vm->gic_fd = dev.fd;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (ioctl(vm->gic_fd, KVM_SET_DEVICE_ATTR, &attrs[i])) {
			fprintf(stderr, "seavmm: vGICv3 attribute %zu: %s\n", i, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int create_vcpus(struct vm *vm)
{
	struct kvm_vcpu_init init;
	int i;

	if (ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &init)) {
		perror("seavmm: KVM_ARM_PREFERRED_TARGET");
		return -1;
	}
	init.features[0] |= 1 << KVM_ARM_VCPU_PSCI_0_2;
	for (i = 0; i < vm->opts->vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct kvm_vcpu_init this = init;

		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0) {
			perror("seavmm: KVM_CREATE_VCPU");
			return -1;
		}
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			perror("seavmm: mmap(kvm_run)");
			return -1;
		}
		/* Secondaries wait for PSCI CPU_ON, handled inside KVM. */
		if (i)
			this.features[0] |= 1 << KVM_ARM_VCPU_POWER_OFF;
		if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &this)) {
			perror("seavmm: KVM_ARM_VCPU_INIT");
			return -1;
		}
	}
	return 0;
}

int vm_create(struct vm *vm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = RAM_BASE,
		.memory_size = vm->ram_size,
		.userspace_addr = (uintptr_t)vm->ram,
	};

	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		perror("seavmm: KVM_CREATE_VM");
		return -1;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if ((ssize_t)vm->run_size < (ssize_t)sizeof(struct kvm_run)) {
		perror("seavmm: KVM_GET_VCPU_MMAP_SIZE");
		return -1;
	}

	vm->sea_to_user = false;
	if (ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SEA_TO_USER) > 0) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_SEA_TO_USER };

		vm->sea_to_user = !ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
	}
	vm->inject_caps = ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_INJECT_EXT_DABT);
	if (vm->inject_caps < 0)
		vm->inject_caps = 0;

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region)) {
		perror("seavmm: KVM_SET_USER_MEMORY_REGION");
		return -1;
	}
	if (create_vcpus(vm) || create_gic(vm))
		return -1;
	uart_reset();
	return 0;
}

void vm_destroy(struct vm *vm)
{
	int i;

	for (i = 0; i < vm->opts->vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->run)
			munmap(v->run, vm->run_size);
		if (v->fd > 0)
			close(v->fd);
		memset(v, 0, sizeof(*v));
	}
	if (vm->gic_fd > 0)
		close(vm->gic_fd);
	if (vm->fd > 0)
		close(vm->fd);
	vm->gic_fd = vm->fd = -1;
}

/* Reads a whole file into guest RAM at gpa; returns its size or -1. */
static int64_t load_file(struct vm *vm, const char *path, uint64_t gpa, uint64_t limit)
{
	struct stat st;
	int64_t done = 0;
	void *dst;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "seavmm: cannot read %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	dst = gpa_to_hva(vm, gpa, st.st_size);
	if (!dst || (uint64_t)st.st_size > limit) {
		fprintf(stderr, "seavmm: %s (%lld bytes) does not fit in guest RAM; use a larger --memory\n",
			path, (long long)st.st_size);
		close(fd);
		return -1;
	}
	while (done < st.st_size) {
		ssize_t n = read(fd, (uint8_t *)dst + done, st.st_size - done);

		if (n <= 0) {
			fprintf(stderr, "seavmm: short read of %s\n", path);
			close(fd);
			return -1;
		}
		done += n;
	}
	close(fd);
	return done;
}

/*
 * Kernel at RAM_BASE + 2M (+ text_offset), the DTB in the last 2M of RAM, the
 * initramfs right below it. Called for every boot: the images come back fresh
 * while the rest of RAM, with its replaced pages, stays as it is.
 */
int vm_load_images(struct vm *vm)
{
	uint64_t ram_end = RAM_BASE + vm->ram_size;
	struct arm64_image_header hdr;
	int64_t kernel_size, initrd_size;
	uint64_t initrd_gpa;
	struct stat st;
	void *dtb;

	kernel_size = load_file(vm, vm->opts->kernel, RAM_BASE + KERNEL_OFFSET,
				vm->ram_size / 2);
	if (kernel_size < (int64_t)sizeof(hdr))
		return -1;
	memcpy(&hdr, gpa_to_hva(vm, RAM_BASE + KERNEL_OFFSET, sizeof(hdr)), sizeof(hdr));
	if (hdr.magic != ARM64_IMAGE_MAGIC) {
		fprintf(stderr, "seavmm: %s is not an arm64 Image (no \"ARM\\x64\" magic)\n",
			vm->opts->kernel);
		return -1;
	}
	if (hdr.text_offset) {
		/* Pre-3.17 kernels: the image must sit at text_offset from a 2M base. */
		if (load_file(vm, vm->opts->kernel, RAM_BASE + KERNEL_OFFSET + hdr.text_offset,
			      vm->ram_size / 2) < 0)
			return -1;
	}
	kernel_entry = RAM_BASE + KERNEL_OFFSET + hdr.text_offset;

	/* The DTB may be up to 2M and must not cross a 2M boundary. */
	dtb_gpa = ram_end - 0x200000;
	if (stat(vm->opts->initrd, &st)) {
		fprintf(stderr, "seavmm: cannot read %s: %s\n", vm->opts->initrd, strerror(errno));
		return -1;
	}
	initrd_gpa = (dtb_gpa - st.st_size) & ~(PAGE_4K - 1);
	if (st.st_size >= (off_t)(dtb_gpa - RAM_BASE) ||
	    initrd_gpa < kernel_entry + (hdr.image_size ? hdr.image_size : (uint64_t)kernel_size)) {
		fprintf(stderr, "seavmm: kernel and initramfs do not fit in %llu MiB; use a larger --memory\n",
			(unsigned long long)(vm->ram_size >> 20));
		return -1;
	}
	initrd_size = load_file(vm, vm->opts->initrd, initrd_gpa, dtb_gpa - initrd_gpa);
	if (initrd_size < 0)
		return -1;

	dtb = gpa_to_hva(vm, dtb_gpa, 0x200000);
	if (dt_build(vm, dtb, 0x200000, initrd_gpa, initrd_gpa + initrd_size))
		return -1;

	if (set_reg(&vm->vcpus[0], CORE_REG(regs.pc), kernel_entry) ||
	    set_reg(&vm->vcpus[0], CORE_REG(regs.regs[0]), dtb_gpa)) {
		perror("seavmm: KVM_SET_ONE_REG(boot registers)");
		return -1;
	}
	return 0;
}

uint64_t vcpu_get_pstate(struct vcpu *vcpu)
{
	struct kvm_one_reg reg;
	uint64_t value = 0;

	reg.id = CORE_REG(regs.pstate);
	reg.addr = (uintptr_t)&value;
	ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg);
	return value;
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint64_t addr = run->mmio.phys_addr;

	if (addr >= UART_BASE && addr < UART_BASE + UART_SIZE) {
		uart_mmio(vcpu->vm, addr - UART_BASE, run->mmio.data, run->mmio.len, run->mmio.is_write);
	} else if (addr >= CONTROL_BASE && addr < CONTROL_BASE + CONTROL_SIZE) {
		control_mmio(vcpu->vm, addr - CONTROL_BASE, run->mmio.data, run->mmio.len,
			     run->mmio.is_write);
	} else if (!run->mmio.is_write) {
		/* Nothing there: reads return 0, writes are ignored. */
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;

	for (;;) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				vm_request_stop(vm, STOP_ERROR, "vCPU %d: KVM_RUN: %s", vcpu->id,
						strerror(errno));
				break;
			}
			/* A kick to stop, or a memory-failure SIGBUS to deal with. */
			sea_handle_hwpoison_signal(vcpu);
			if (__atomic_load_n(&vm->stop, __ATOMIC_ACQUIRE) != STOP_NONE)
				break;
			continue;
		}
		switch (vcpu->run->exit_reason) {
		case KVM_EXIT_MMIO:
			handle_mmio(vcpu);
			break;
		case KVM_EXIT_ARM_SEA:
			sea_handle_exit(vcpu);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			if (vcpu->run->system_event.type == KVM_SYSTEM_EVENT_RESET)
				vm_request_stop(vm, STOP_RESET, "the guest asked for a reset (vCPU %d)", vcpu->id);
			else
				vm_request_stop(vm, STOP_POWER_OFF, "the guest powered off (vCPU %d)", vcpu->id);
			break;
		default:
			vm_request_stop(vm, STOP_ERROR, "vCPU %d: unexpected exit reason %u",
					vcpu->id, vcpu->run->exit_reason);
			break;
		}
		if (__atomic_load_n(&vm->stop, __ATOMIC_ACQUIRE) != STOP_NONE)
			break;
	}
	return NULL;
}

static void kick(int sig)
{
}

/* Runs the vCPUs until something stops the VM; returns why. */
int vm_run(struct vm *vm)
{
	/* SA_RESTART spares stdio; KVM_RUN returns EINTR regardless. */
	struct sigaction sa = { .sa_handler = kick, .sa_flags = SA_RESTART };
	int i;

	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < vm->opts->vcpus; i++) {
		if (pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i])) {
			vm_request_stop(vm, STOP_ERROR, "cannot start vCPU thread %d", i);
			break;
		}
	}
	for (i = 0; i < vm->opts->vcpus; i++)
		if (vm->vcpus[i].thread)
			pthread_join(vm->vcpus[i].thread, NULL);
	return vm->stop;
}
