// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vCPU threads and what each exit leads to, and the VMM's main thread,
 * which wakes up once a second meanwhile for what no vCPU exit reports: a
 * guest agent that does not answer, a BUS_MCEERR_AO sent to the process.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "channel.h"
#include "devices.h"
#include "run.h"
#include "sea.h"
#include "sigbus.h"

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int running;

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	const struct device *dev = device_at(run->mmio.phys_addr);

	if (dev)
		dev->mmio(vcpu->vm, run->mmio.phys_addr - dev->base, run->mmio.data, run->mmio.len,
			  run->mmio.is_write);
	else if (!run->mmio.is_write)
		/* Nothing there: reads return 0, writes are ignored. */
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
}

static void handle_exit(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

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
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	int ret;

	while (!vm_stopping(vm)) {
		sigbus_in_kvm_run(true);
		ret = ioctl(vcpu->fd, KVM_RUN, 0);
		sigbus_in_kvm_run(false);
		if (!ret) {
			handle_exit(vcpu);
			continue;
		}
		if (errno != EINTR && errno != EAGAIN) {
			vm_request_stop(vm, STOP_ERROR, "vCPU %d: KVM_RUN: %s", vcpu->id, strerror(errno));
			break;
		}
		/* A kick to stop, or a SIGBUS from the host's memory-failure handling. */
		sea_handle_sigbus(vcpu);
		sea_handle_action_optional(vm);
	}
	pthread_mutex_lock(&done_lock);
	running--;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&done_lock);
	return NULL;
}

static void kick(int sig)
{
}

enum stop_reason run_vm(struct vm *vm)
{
	/* SA_RESTART spares stdio; KVM_RUN returns EINTR regardless. */
	struct sigaction sa = { .sa_handler = kick, .sa_flags = SA_RESTART };
	struct timespec tick;
	int i;

	sigaction(SIGUSR1, &sa, NULL);
	running = 0;
	for (i = 0; i < vm->opts->vcpus; i++) {
		pthread_mutex_lock(&done_lock);
		running++;
		pthread_mutex_unlock(&done_lock);
		if (pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i])) {
			pthread_mutex_lock(&done_lock);
			running--;
			pthread_mutex_unlock(&done_lock);
			vm_request_stop(vm, STOP_ERROR, "cannot start vCPU thread %d", i);
			break;
		}
	}
	pthread_mutex_lock(&done_lock);
	while (running) {
		clock_gettime(CLOCK_REALTIME, &tick);
		tick.tv_sec++;
		pthread_cond_timedwait(&done_cond, &done_lock, &tick);
		pthread_mutex_unlock(&done_lock);
		channel_tick(vm->opts->agent_timeout);
		sea_handle_action_optional(vm);
		pthread_mutex_lock(&done_lock);
	}
	pthread_mutex_unlock(&done_lock);
	for (i = 0; i < vm->opts->vcpus; i++)
		if (vm->vcpus[i].thread)
			pthread_join(vm->vcpus[i].thread, NULL);
	return vm->stop;
}
