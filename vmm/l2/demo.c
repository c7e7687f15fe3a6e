// SPDX-License-Identifier: GPL-2.0-only
/*
 * PID 1 of the reference VMM's demo guest. It plays the scenario of `make demo`
 * and reports each step to the VMM through the "seavmm,control" device:
 *
 *  first boot:
 *   1 victim-data: a process has one of its pages poisoned and reads it; the
 *     guest kernel kills it with SIGBUS, and a second workload then runs to
 *     completion;
 *   2 victim-exec: the same with an instruction fetch from a poisoned code page;
 *   7 vmm-sigbus: the VMM's device reads a poisoned page for the guest: the
 *     VMM takes the SIGBUS itself, and the device reports an error;
 *   3 kernel-consumer: the guest kernel itself reads a poisoned page (a write()
 *     from it); the guest dies (oops=panic, panic=-1) and the VMM restarts it;
 *  after the restart:
 *   5 restart-clean: every page the VMM retired reads fine, through the kernel;
 *   6 threshold: more victims, until the VMM's threshold stops the VM.
 *
 * demo.scenario=short on the command line stops after step 7 (make check).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../control_regs.h"

#define CONTROL_NODE		"/sys/firmware/devicetree/base/control@a000000"
#define CONTROL_BASE		0x0a000000UL

#define POOL_PAGES		64
#define INSN_RET		0xd65f03c0U

static volatile uint64_t *control;
static uint8_t *pool;		/* distinct pages, shared with the victims by fork() */
static long page_size;

static uint64_t control_read(unsigned int reg)
{
	return control[reg / 8];
}

static void control_write(unsigned int reg, uint64_t value)
{
	control[reg / 8] = value;
}

static void report(int step, int ok)
{
	printf("demo: step %d %s\n", step, ok ? "ok" : "FAILED");
	fflush(stdout);
	control_write(ok ? CONTROL_STEP_OK : CONTROL_STEP_FAIL, step);
}

static void power_off(void)
{
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void die(const char *why)
{
	printf("demo: %s: %s\n", why, strerror(errno));
	power_off();
}

static uint64_t guest_pa(const void *va)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &entry, 8, (uintptr_t)va / page_size * 8) != 8)
		entry = 0;
	if (fd >= 0)
		close(fd);
	if (!(entry >> 63))
		return 0;
	return (entry & ((1ULL << 55) - 1)) * page_size + (uintptr_t)va % page_size;
}

/* Has the VMM poison the page behind va; returns 0 on success. */
static int poison(const void *va)
{
	uint64_t pa = guest_pa(va);

	if (!pa)
		return -1;
	control_write(CONTROL_POISON, pa);
	return control_read(CONTROL_STATUS) ? -1 : 0;
}

static void on_sigbus(int sig, siginfo_t *info, void *uc)
{
	char msg[128];
	int n;

	n = snprintf(msg, sizeof(msg), "demo: pid %d: SIGBUS, si_code %d, si_addr %p\n",
		     getpid(), info->si_code, info->si_addr);
	if (write(1, msg, n) < 0)
		_exit(1);
	/* Die of it, so that the parent sees what the kernel decided. */
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

/* Runs fn in a child; returns its wait status. */
static int in_child(void (*fn)(void *), void *arg)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		sigaction(SIGBUS, &sa, NULL);
		fn(arg);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return status;
}

static bool killed_by_sigbus(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

static void read_page(void *page)
{
	if (poison(page)) {
		printf("demo: pid %d: the VMM could not poison the page\n", getpid());
		_exit(2);
	}
	printf("demo: pid %d: reading poisoned page %p (GPA 0x%llx)\n", getpid(), page,
	       (unsigned long long)guest_pa(page));
	fflush(stdout);
	(void)*(volatile uint64_t *)page;
	printf("demo: pid %d: survived a poisoned read\n", getpid());
	_exit(1);
}

static void call_page(void *page)
{
	if (poison(page)) {
		printf("demo: pid %d: the VMM could not poison the page\n", getpid());
		_exit(2);
	}
	printf("demo: pid %d: calling code on poisoned page %p (GPA 0x%llx)\n", getpid(), page,
	       (unsigned long long)guest_pa(page));
	fflush(stdout);
	((void (*)(void))page)();
	printf("demo: pid %d: survived a poisoned instruction fetch\n", getpid());
	_exit(1);
}

/* Some honest work that touches plenty of memory: it must finish. */
static void workload(void *arg)
{
	size_t len = 8 << 20, i;
	uint64_t *buf = malloc(len), sum = 0;

	if (!buf)
		_exit(1);
	for (i = 0; i < len / 8; i++)
		buf[i] = i;
	for (i = 0; i < len / 8; i++)
		sum += buf[i];
	_exit(sum == (len / 8) * (len / 8 - 1) / 2 ? 0 : 1);
}

static bool victim_then_workload(void (*victim)(void *), void *page)
{
	int status = in_child(victim, page);
	bool ok = killed_by_sigbus(status);

	printf("demo: victim %s\n", ok ? "killed by SIGBUS, guest kernel still running" :
	       "did not die of SIGBUS");
	status = in_child(workload, NULL);
	printf("demo: second workload %s\n", WIFEXITED(status) && !WEXITSTATUS(status) ?
	       "ran to completion" : "FAILED");
	return ok && WIFEXITED(status) && !WEXITSTATUS(status);
}

static void kernel_consumes(void *page)
{
	int fds[2];

	if (pipe(fds) || poison(page))
		_exit(2);
	printf("demo: pid %d: handing poisoned page %p (GPA 0x%llx) to the kernel; the guest will die\n",
	       getpid(), page, (unsigned long long)guest_pa(page));
	fflush(stdout);
	if (write(fds[1], page, 64) < 0)
		_exit(1);
	printf("demo: the kernel read a poisoned page and survived\n");
	_exit(1);
}

/* The VMM's device reads a poisoned page: the device must fail, not the VMM. */
static bool device_reads_poison(void *page)
{
	uint64_t status;

	if (poison(page))
		return false;
	printf("demo: asking the VMM's device to read poisoned page %p (GPA 0x%llx)\n", page,
	       (unsigned long long)guest_pa(page));
	control_write(CONTROL_DEVICE_READ, guest_pa(page));
	status = control_read(CONTROL_STATUS);
	printf("demo: the device read %s (status %llu)\n",
	       status == CONTROL_STATUS_MEMORY_ERROR ? "failed with a memory error, the VMM carries on" :
	       "did not fail",
	       (unsigned long long)status);
	return status == CONTROL_STATUS_MEMORY_ERROR;
}

static void first_boot(bool short_scenario)
{
	uint8_t *code = mmap(NULL, page_size, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (code == MAP_FAILED)
		die("mmap");
	*(uint32_t *)code = INSN_RET;
	__builtin___clear_cache((char *)code, (char *)code + 4);

	report(STEP_VICTIM_DATA, victim_then_workload(read_page, pool));
	report(STEP_VICTIM_EXEC, victim_then_workload(call_page, code));
	report(STEP_VMM_SIGBUS, device_reads_poison(pool + 3 * page_size));
	if (short_scenario)
		power_off();
	in_child(kernel_consumes, pool + page_size);
	printf("demo: still alive after the kernel consumed poison\n");
	power_off();
}

static void after_restart(void)
{
	uint64_t n = control_read(CONTROL_RETIRED_COUNT), i;
	int fd = open("/dev/mem", O_RDONLY), ok = n > 0 && fd >= 0;

	for (i = 0; i < n && ok; i++) {
		uint64_t gpa, value;

		control_write(CONTROL_RETIRED_INDEX, i);
		gpa = control_read(CONTROL_RETIRED_GPA);
		ok = pread(fd, &value, sizeof(value), gpa) == sizeof(value);
		printf("demo: retired page 0x%llx %s\n", (unsigned long long)gpa,
		       ok ? "reads fine through the kernel" : "cannot be read");
	}
	report(STEP_RESTART_CLEAN, ok);

	for (i = 0; i < POOL_PAGES; i++) {
		if (!killed_by_sigbus(in_child(read_page, pool + i * page_size)))
			break;
		printf("demo: victim %llu killed by SIGBUS\n", (unsigned long long)i + 1);
	}
	/* The VMM stops the VM at its threshold: getting here means it did not. */
	report(STEP_THRESHOLD, 0);
	power_off();
}

static void map_control(void)
{
	int fd;

	if (access(CONTROL_NODE, F_OK))
		die("no seavmm,control node in the device tree");
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0)
		die("open /dev/mem");
	control = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, CONTROL_BASE);
	if (control == MAP_FAILED)
		die("mmap control");
	close(fd);
}

int main(void)
{
	char cmdline[1024] = "";
	uint64_t boot;
	FILE *f;
	int i;

	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	/* The initramfs has no /dev/console node: open it now that /dev exists. */
	i = open("/dev/console", O_RDWR);
	if (i >= 0) {
		dup2(i, 0);
		dup2(i, 1);
		dup2(i, 2);
	}
	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);

	f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	map_control();
	pool = mmap(NULL, POOL_PAGES * page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pool == MAP_FAILED)
		die("mmap pool");
	for (i = 0; i < POOL_PAGES; i++)
		pool[i * page_size] = i;

	boot = control_read(CONTROL_BOOT);
	printf("demo: guest boot %llu\n", (unsigned long long)boot);
	if (boot == 1)
		first_boot(strstr(cmdline, "demo.scenario=short"));
	else
		after_restart();
	return 0;
}
