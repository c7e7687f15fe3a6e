// SPDX-License-Identifier: GPL-2.0-only
/* The virtual machine; see vm.h. Errors: 0 or -errno, and one line on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

/* Prints "seavmm: WHAT: strerror" and returns -errno. */
static int fail(const char *what)
{
	int err = errno ? errno : EINVAL;

	fprintf(stderr, "seavmm: %s: %s\n", what, strerror(err));
	return -err;
}

void *gpa_to_hva(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa < RAM_BASE || gpa - RAM_BASE > vm->ram_size || len > vm->ram_size - (gpa - RAM_BASE))
		return NULL;
	return vm->ram + (gpa - RAM_BASE);
}

bool hva_to_gpa(struct vm *vm, const void *hva, uint64_t *gpa)
{
	const uint8_t *p = hva;

	if (p < vm->ram || p >= vm->ram + vm->ram_size)
		return false;
	*gpa = RAM_BASE + (uint64_t)(p - vm->ram);
	return true;
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

bool vm_stopping(struct vm *vm)
{
	return __atomic_load_n(&vm->stop, __ATOMIC_ACQUIRE) != STOP_NONE;
}

int vcpu_set_reg(struct vcpu *vcpu, uint64_t id, uint64_t value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&value };

	return ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg) ? -errno : 0;
}

int vcpu_guest_el(struct vcpu *vcpu)
{
	uint64_t pstate = 0;
	struct kvm_one_reg reg = { .id = CORE_REG(regs.pstate), .addr = (uintptr_t)&pstate };

	if (ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg))
		return -1;
	return (pstate >> 2) & 3;
}

static int create_gic(struct vm *vm)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GIC_DIST_BASE, redist = GIC_REDIST_BASE;
	uint32_t nr_irqs = GIC_NR_IRQS;
	struct kvm_device_attr attrs[] = {
		{ .group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V3_ADDR_TYPE_DIST,
		  .addr = (uintptr_t)&dist },
		{ .group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_V3_ADDR_TYPE_REDIST,
		  .addr = (uintptr_t)&redist },
		{ .group = KVM_DEV_ARM_VGIC_GRP_NR_IRQS, .addr = (uintptr_t)&nr_irqs },
		{ .group = KVM_DEV_ARM_VGIC_GRP_CTRL, .attr = KVM_DEV_ARM_VGIC_CTRL_INIT },
	};
	size_t i;

	if (ioctl(vm->fd, KVM_CREATE_DEVICE, &dev))
		return fail("KVM_CREATE_DEVICE(vGICv3)");
	vm->gic_fd = dev.fd;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (ioctl(vm->gic_fd, KVM_SET_DEVICE_ATTR, &attrs[i]))
			return fail("KVM_SET_DEVICE_ATTR(vGICv3)");
	return 0;
}

static int create_vcpus(struct vm *vm)
{
	struct kvm_vcpu_init init;
	int i;

	if (ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &init))
		return fail("KVM_ARM_PREFERRED_TARGET");
	init.features[0] |= 1 << KVM_ARM_VCPU_PSCI_0_2;
	for (i = 0; i < vm->opts->vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct kvm_vcpu_init this = init;

		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			return fail("KVM_CREATE_VCPU");
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			return fail("mmap(kvm_run)");
		}
		/* Secondaries wait for PSCI CPU_ON, handled inside KVM. */
		if (i)
			this.features[0] |= 1 << KVM_ARM_VCPU_POWER_OFF;
		if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &this))
			return fail("KVM_ARM_VCPU_INIT");
	}
	return 0;
}

int vm_init(struct vm *vm, const struct options *opts)
{
	vm->opts = opts;
	vm->fd = vm->gic_fd = -1;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return fail("cannot open /dev/kvm (run on a KVM host, as root)");
	vm->ram_size = opts->memory_mb << 20;
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED)
		return fail("cannot allocate guest RAM");
	/*
	 * One guest page, one host page: memory failure on a transparent huge
	 * page could take 2 MiB of guest memory where the VMM records 4 KiB.
	 */
	if (madvise(vm->ram, vm->ram_size, MADV_NOHUGEPAGE) && errno != EINVAL)
		return fail("madvise(MADV_NOHUGEPAGE) on guest RAM");
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
	int err;

	vm->stop = STOP_NONE;
	vm->stop_detail[0] = '\0';
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return fail("KVM_CREATE_VM");
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if ((ssize_t)vm->run_size < (ssize_t)sizeof(struct kvm_run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");

	vm->sea_to_user = false;
	if (ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SEA_TO_USER) > 0) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_SEA_TO_USER };

		vm->sea_to_user = !ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
	}
	vm->inject_caps = ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_INJECT_EXT_DABT);
	if (vm->inject_caps < 0)
		vm->inject_caps = 0;

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	err = create_vcpus(vm);
	return err ? err : create_gic(vm);
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
