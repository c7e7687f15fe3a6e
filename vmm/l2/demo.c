// SPDX-License-Identifier: GPL-2.0-only
/*
 * PID 1 of the reference VMM's demo guest. It plays the scenario of `make demo`
 * and reports each step to the VMM through the "seavmm,control" device
 * (../control_regs.h):
 *
 *  first boot:
 *   1 victim-data: a process has one of its pages poisoned and reads it; the
 *     guest kernel kills it with SIGBUS, and a workload then runs to the end;
 *   8 second-consumer: another process that maps the same page reads it: it
 *     is killed too, not fed zeroes (the VMM kept the page poisoned);
 *   2 victim-exec: the same as 1 with an instruction fetch;
 *   7 vmm-sigbus: the VMM's device reads a poisoned page for the guest: the
 *     VMM takes the SIGBUS itself, and the device reports an error;
 *   9 guest-offline: the guest agent (agent.c) offlines every poisoned page
 *     the VMM reported; a process touching one now gets SIGBUS from the guest
 *     kernel alone, and memory handed out afterwards never includes one;
 *   3 kernel-consumer: the guest kernel itself reads a poisoned page (a
 *     write() from it); the guest dies (oops=panic, panic=-1) and the VMM
 *     restarts it;
 *  after the restart:
 *   5 restart-clean: every page the VMM knows as poisoned reads fine, with no
 *     memory error: the VMM gave them clean memory before this boot;
 *   6 threshold: more victims, until the VMM's threshold stops the VM.
 *
 * demo.scenario=short stops after step 9 (make check). demo.scenario=hostile
 * instead plays a guest that misuses the memory-error channel: garbage
 * accesses, a page nobody answers for, a page the guest refuses; the VMM must
 * log each and keep the guest running. demo.scenario=replace-early, for a VMM
 * run with --replace-early, shows that option's price: 13 unsafe-zeroes, a
 * second reader of a victim's page reads zeroes where the data was.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "device.h"
#include "../channel_regs.h"
#include "../control_regs.h"

#define AGENT			"/bin/seavmm-agent"
#define POOL_PAGES		64
#define INSN_RET		0xd65f03c0U
#define POOL_DATA		0x5eedda7a00000000ULL	/* | page index: what a pool page holds */
#define AGENT_WAIT_S		30
#define HOSTILE_WAIT_S		5	/* longer than the --agent-timeout the hostile run gets */
#define WORKLOAD_MEMORY		(8UL << 20)
#define FRESH_MEMORY		(32UL << 20)

static volatile uint64_t *control, *chan;
static uint8_t *pool;		/* distinct pages, shared with the victims by fork() */
static long page_size;

/*
 * Console output is drained by the kernel after write() returns; a kernel
 * message (an oops on the poisoned access that follows) would cut a line in
 * two. Wait until it is out.
 */
static void flush_console(void)
{
	fflush(stdout);
	tcdrain(STDOUT_FILENO);
}

static uint64_t control_read(unsigned int reg)
{
	return control[reg / 8];
}

static void control_write(unsigned int reg, uint64_t value)
{
	control[reg / 8] = value;
}

static void report(int step, bool ok)
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

	flush_console();
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

/* Reads the page, which must not survive: exit 1 if it did, and what it read. */
static void read_page(void *page)
{
	uint64_t value, pa = guest_pa(page);

	if (pa)
		printf("demo: pid %d: reading page %p (GPA 0x%llx)\n", getpid(), page,
		       (unsigned long long)pa);
	else
		printf("demo: pid %d: reading page %p (not present: offline?)\n", getpid(), page);
	flush_console();
	value = *(volatile uint64_t *)page;
	printf("demo: pid %d: read 0x%llx from it and survived\n", getpid(), (unsigned long long)value);
	_exit(1);
}

static void poison_and_read(void *page)
{
	if (poison(page)) {
		printf("demo: pid %d: the VMM could not poison the page\n", getpid());
		_exit(2);
	}
	read_page(page);
}

static void poison_and_call(void *page)
{
	if (poison(page)) {
		printf("demo: pid %d: the VMM could not poison the page\n", getpid());
		_exit(2);
	}
	printf("demo: pid %d: calling code on poisoned page %p (GPA 0x%llx)\n", getpid(), page,
	       (unsigned long long)guest_pa(page));
	flush_console();
	((void (*)(void))page)();
	printf("demo: pid %d: survived a poisoned instruction fetch\n", getpid());
	_exit(1);
}

/* Some honest work that touches plenty of memory: it must finish. */
static void workload(void *arg)
{
	size_t len = WORKLOAD_MEMORY, i;
	uint64_t *buf = malloc(len), sum = 0;

	if (!buf)
		_exit(1);
	for (i = 0; i < len / 8; i++)
		buf[i] = i;
	for (i = 0; i < len / 8; i++)
		sum += buf[i];
	_exit(sum == (len / 8) * (len / 8 - 1) / 2 ? 0 : 1);
}

/* New memory, a lot of it: none of its pages may be one the VMM knows as poisoned. */
static void fresh_memory(void *arg)
{
	size_t len = FRESH_MEMORY, pages = len / page_size, i, j, n;
	uint64_t poisoned[POOL_PAGES], *entries = malloc(pages * 8);
	uint8_t *buf = malloc(len);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (!buf || !entries || fd < 0)
		_exit(1);
	n = control_read(CONTROL_POISONED_COUNT);
	n = n < POOL_PAGES ? n : POOL_PAGES;
	for (j = 0; j < n; j++) {
		control_write(CONTROL_POISONED_INDEX, j);
		poisoned[j] = control_read(CONTROL_POISONED_GPA) / page_size;
	}
	memset(buf, 0x5a, len);
	if (pread(fd, entries, pages * 8, (uintptr_t)buf / page_size * 8) != (ssize_t)(pages * 8))
		_exit(1);
	for (i = 0; i < pages; i++)
		for (j = 0; j < n; j++)
			if ((entries[i] & ((1ULL << 55) - 1)) == poisoned[j]) {
				printf("demo: pid %d: was handed poisoned page 0x%llx\n", getpid(),
				       (unsigned long long)poisoned[j] * page_size);
				_exit(3);
			}
	_exit(0);
}

static bool runs_to_completion(void (*fn)(void *), const char *what)
{
	int status = in_child(fn, NULL);
	bool ok = WIFEXITED(status) && !WEXITSTATUS(status);

	printf("demo: %s %s\n", what, ok ? "ran to completion" : "FAILED");
	return ok;
}

static bool victim_then_workload(void (*victim)(void *), void *page)
{
	bool ok = killed_by_sigbus(in_child(victim, page));

	printf("demo: victim %s\n", ok ? "killed by SIGBUS, guest kernel still running" :
	       "did not die of SIGBUS");
	return runs_to_completion(workload, "a workload") && ok;
}

/* Another process reads a page a victim died of: it must die too. */
static bool second_consumer(void *page)
{
	uint64_t errors = control_read(CONTROL_MEMORY_ERRORS);
	bool ok = killed_by_sigbus(in_child(read_page, page));

	ok &= control_read(CONTROL_MEMORY_ERRORS) == errors + 1;
	printf("demo: a second process reading the page %s\n",
	       ok ? "was killed by SIGBUS too: the VMM injected the abort again" :
	       "was not stopped by a memory error");
	return ok;
}

static void device_read_poison(void *page)
{
	uint64_t status, errors;

	if (poison(page))
		_exit(2);
	/* A read that would span into the poisoned page is refused, with no error. */
	errors = control_read(CONTROL_MEMORY_ERRORS);
	control_write(CONTROL_DEVICE_READ, guest_pa(page) - 4);
	status = control_read(CONTROL_STATUS);
	if (status != CONTROL_STATUS_UNALIGNED || control_read(CONTROL_MEMORY_ERRORS) != errors) {
		printf("demo: an unaligned device read into the poisoned page was not refused "
		       "(status %llu)\n", (unsigned long long)status);
		_exit(1);
	}
	printf("demo: asking the VMM's device to read poisoned page %p (GPA 0x%llx)\n", page,
	       (unsigned long long)guest_pa(page));
	control_write(CONTROL_DEVICE_READ, guest_pa(page));
	status = control_read(CONTROL_STATUS);
	printf("demo: the device read %s (status %llu)\n",
	       status == CONTROL_STATUS_MEMORY_ERROR ? "failed with a memory error, the VMM carries on" :
	       "did not fail", (unsigned long long)status);
	_exit(status == CONTROL_STATUS_MEMORY_ERROR ? 0 : 1);
}

static pid_t start_agent(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(AGENT, AGENT, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static uint64_t hardware_corrupted_kb(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "HardwareCorrupted: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Waits up to seconds for the channel to have no page pending; true if it emptied. */
static bool channel_drained(int seconds)
{
	struct timespec step = { 0, 50 * 1000000L };
	int i;

	for (i = 0; i < seconds * 20; i++) {
		if (!chan[CHANNEL_PENDING / 8])
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}

/*
 * The agent offlines every poisoned page; then a process touching one is
 * stopped by the guest kernel without the VMM, and new memory avoids them.
 */
static bool guest_offlines(void *page)
{
	uint64_t pages = control_read(CONTROL_POISONED_COUNT), errors, kb;
	bool ok;

	if (start_agent() < 0)
		die("fork");
	ok = channel_drained(AGENT_WAIT_S);
	kb = hardware_corrupted_kb();
	printf("demo: the agent %s; %llu of %llu pages offlined, HardwareCorrupted: %llu kB\n",
	       ok ? "answered for every page" : "did NOT answer in time",
	       (unsigned long long)chan[CHANNEL_OFFLINED / 8], (unsigned long long)pages,
	       (unsigned long long)kb);
	ok &= chan[CHANNEL_OFFLINED / 8] == pages && kb >= pages * page_size / 1024;

	errors = control_read(CONTROL_MEMORY_ERRORS);
	ok &= killed_by_sigbus(in_child(read_page, page));
	ok &= runs_to_completion(fresh_memory, "an allocation of 32 MiB that avoids every poisoned page");
	ok &= control_read(CONTROL_MEMORY_ERRORS) == errors;
	printf("demo: after the offline, %s\n", ok ?
	       "the guest kernel alone stops a reader and never hands the pages out" :
	       "a poisoned page reached a process or the VMM again");
	return ok;
}

static void kernel_consumes(void *page)
{
	int fds[2];

	if (pipe(fds) || poison(page))
		_exit(2);
	printf("demo: pid %d: handing poisoned page %p (GPA 0x%llx) to the kernel; the guest will die\n",
	       getpid(), page, (unsigned long long)guest_pa(page));
	flush_console();
	if (write(fds[1], page, 64) < 0)
		_exit(1);
	printf("demo: the kernel read a poisoned page and survived\n");
	_exit(1);
}

static void first_boot(bool short_scenario)
{
	uint8_t *code = mmap(NULL, page_size, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (code == MAP_FAILED)
		die("mmap");
	*(uint32_t *)code = INSN_RET;
	__builtin___clear_cache((char *)code, (char *)code + 4);

	report(STEP_VICTIM_DATA, victim_then_workload(poison_and_read, pool));
	report(STEP_SECOND_CONSUMER, second_consumer(pool));
	report(STEP_VICTIM_EXEC, victim_then_workload(poison_and_call, code));
	report(STEP_VMM_SIGBUS, !in_child(device_read_poison, pool + 3 * page_size));
	report(STEP_GUEST_OFFLINE, guest_offlines(pool));
	if (short_scenario)
		power_off();
	in_child(kernel_consumes, pool + page_size);
	printf("demo: still alive after the kernel consumed poison\n");
	power_off();
}

static void after_restart(void)
{
	uint64_t n = control_read(CONTROL_POISONED_COUNT), errors, i;
	int fd = open("/dev/mem", O_RDONLY);
	bool ok = n > 0 && fd >= 0;

	start_agent();
	errors = control_read(CONTROL_MEMORY_ERRORS);
	for (i = 0; i < n && ok; i++) {
		uint64_t gpa, value;

		control_write(CONTROL_POISONED_INDEX, i);
		gpa = control_read(CONTROL_POISONED_GPA);
		ok = pread(fd, &value, sizeof(value), gpa) == sizeof(value);
		printf("demo: page 0x%llx, poisoned in the last boot, %s\n", (unsigned long long)gpa,
		       ok ? "reads fine through the kernel" : "cannot be read");
	}
	ok &= control_read(CONTROL_MEMORY_ERRORS) == errors;
	report(STEP_RESTART_CLEAN, ok);

	for (i = 0; i < POOL_PAGES; i++) {
		if (!killed_by_sigbus(in_child(poison_and_read, pool + i * page_size)))
			break;
		printf("demo: victim %llu killed by SIGBUS\n", (unsigned long long)i + 1);
	}
	/* The VMM stops the VM at its threshold: getting here means it did not. */
	report(STEP_THRESHOLD, false);
	power_off();
}

/*
 * A guest that misuses the channel. The VMM observes (and the harness
 * expects) channel-error, agent-timeout and agent-rejected; the guest
 * checks that its victims still die rather than read zeroes.
 */
static void hostile(void)
{
	volatile uint32_t *narrow = (volatile uint32_t *)chan;
	uint64_t gpa;
	struct timespec wait = { HOSTILE_WAIT_S, 0 };

	/* Garbage: a 32-bit access, writes to read-only registers, an unknown one. */
	(void)narrow[0];
	chan[CHANNEL_GPA / 8] = 0x1234;
	chan[0x100 / 8] = ~0ULL;
	(void)chan[CHANNEL_ANSWER / 8];
	/* An answer with nothing pending, and one for a page that is not shown. */
	chan[CHANNEL_ANSWER / 8] = 0x40000000;
	printf("demo: garbage written to the channel; the VMM still answers: boot %llu\n",
	       (unsigned long long)control_read(CONTROL_BOOT));

	/* A page nobody answers for: the VMM reports it after --agent-timeout. */
	if (!killed_by_sigbus(in_child(poison_and_read, pool)))
		report(STEP_VICTIM_DATA, false);
	chan[CHANNEL_ANSWER / 8] = (chan[CHANNEL_GPA / 8] + page_size) | EBUSY;
	nanosleep(&wait, NULL);

	/* Refuse it: the page stays poisoned, and a reader still dies of it. */
	gpa = chan[CHANNEL_GPA / 8];
	chan[CHANNEL_ANSWER / 8] = gpa | EBUSY;
	printf("demo: refused to offline page 0x%llx\n", (unsigned long long)gpa);
	report(STEP_SECOND_CONSUMER, killed_by_sigbus(in_child(read_page, pool)));
	power_off();
}

/* A reader that survives: exit 0 if it read zeroes where POOL_DATA was. */
static void read_zeroes(void *page)
{
	uint64_t value = *(volatile uint64_t *)page;

	printf("demo: pid %d: read 0x%llx where the data was 0x%llx\n", getpid(),
	       (unsigned long long)value, (unsigned long long)POOL_DATA);
	_exit(value == 0 ? 0 : 1);
}

/*
 * With --replace-early, the price the option states: after the victim, a
 * second process sharing the page reads zeroes instead of taking an error.
 */
static void unsafe(void)
{
	report(STEP_VICTIM_DATA, victim_then_workload(poison_and_read, pool));
	report(STEP_UNSAFE_ZEROES, !in_child(read_zeroes, pool));
	power_off();
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
	control = map_device(CONTROL_COMPATIBLE);
	chan = map_device(MEMERR_CHANNEL_COMPATIBLE);
	if (!control || !chan)
		die("the VMM's devices are not in the device tree");
	pool = mmap(NULL, POOL_PAGES * page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pool == MAP_FAILED)
		die("mmap pool");
	for (i = 0; i < POOL_PAGES; i++)
		*(uint64_t *)(pool + i * page_size) = POOL_DATA | i;

	boot = control_read(CONTROL_BOOT);
	printf("demo: guest boot %llu\n", (unsigned long long)boot);
	if (strstr(cmdline, "demo.scenario=hostile"))
		hostile();
	else if (strstr(cmdline, "demo.scenario=replace-early"))
		unsafe();
	else if (boot == 1)
		first_boot(strstr(cmdline, "demo.scenario=short"));
	else
		after_restart();
	return 0;
}
