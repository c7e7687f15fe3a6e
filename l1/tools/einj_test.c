// SPDX-License-Identifier: GPL-2.0-only
/*
 * einj_test [--firmware-first] [SEED] - the platform's ACPI EINJ, through
 * Linux's driver and raw
 *
 * Runs in the emulated host (L1) booted with ACPI (the acpi and ghes
 * profiles). KTAP:
 *  - exact_page: Linux's einj driver (debugfs, error type 0x10, notrigger)
 *    injects at an address inside one page of this process: the injector
 *    then holds exactly that page (COUNT 1, the physical neighbours not
 *    poisoned), nothing happens until the page is read, and the read is a
 *    SIGBUS. Kernel first (acpi): BUS_OBJERR at the exact address, and once
 *    cleared the page's data is intact. Firmware first (ghes, with
 *    --firmware-first): APEI claims the abort and memory failure sends
 *    BUS_MCEERR_AR for the page (si_addr in it, si_addr_lsb 12), which
 *    Linux then keeps offline.
 *  - driver_refusals: requests Linux's driver must refuse (an unsupported
 *    type, unknown flags, no address mask, addresses outside RAM, zero):
 *    each write fails with EINVAL and nothing is poisoned.
 *  - hostile_registers: 10,000 random sequences on the EINJ registers
 *    themselves (garbage of every size at every offset, then a parameter
 *    structure whose address is this process's third page, MMIO, the injector's
 *    own window, zero, unaligned or beyond RAM, and EXECUTE with garbage or
 *    1): each EXECUTE's status is the one the parameters call for, only this
 *    process's page is ever poisoned, the read-only registers keep their
 *    values, and QEMU keeps answering. The seed is printed; pass it to
 *    replay a run.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "../mem_error_injector.h"

#define EINJ_DIR		"/sys/kernel/debug/apei/einj"
#define EINJ_TYPE_MEM_UE	0x10
#define SETWA_FLAGS_APICID	0x1
#define SETWA_FLAGS_MEM		0x2
#define PAGE_MASK_ALL		0xfffffffffffff000ULL

/* The injector's EINJ window (docs/system/devices/mem-error-injector.rst). */
#define EINJ_EXECUTE		0x100
#define EINJ_BUSY		0x104
#define EINJ_CMD_STATUS		0x108
#define EINJ_TRIGGER_TABLE	0x110
#define EINJ_PARAM		0x140
#define EINJ_PARAM_SIZE		48
#define EINJ_TRIGGER		0x200
#define EINJ_WINDOW_END		0x210
#define EINJ_STATUS_SUCCESS	0
#define EINJ_STATUS_INVALID	2
#define SEQUENCES		10000

static int failures, test_number;
static uint64_t mei_base;
static bool firmware_first;

static void result(bool ok, const char *name)
{
	printf("%sok %d %s\n", ok ? "" : "not ", ++test_number, name);
	failures += !ok;
}

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: %s: ", __FILE__, __LINE__, #cond);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		return false;						\
	}								\
} while (0)

/* Writes VALUE (printf'd) to debugfs file NAME; returns 0 or the errno. */
static int einj_set(const char *name, const char *fmt, unsigned long long value)
{
	char path[128], buf[32];
	int fd, len, err = 0;

	snprintf(path, sizeof(path), EINJ_DIR "/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	len = snprintf(buf, sizeof(buf), fmt, value);
	if (write(fd, buf, len) != len)
		err = errno;
	close(fd);
	return err;
}

/* One request through the driver; returns 0 or the errno of the step that failed. */
static int einj_request(uint32_t type, uint32_t flags, uint64_t param1, uint64_t param2)
{
	int err;

	if ((err = einj_set("error_type", "0x%llx", type)) ||
	    (err = einj_set("flags", "0x%llx", flags)) ||
	    (err = einj_set("param1", "0x%llx", param1)) ||
	    (err = einj_set("param2", "0x%llx", param2)) ||
	    (err = einj_set("notrigger", "%llu", 1)))
		return err;
	return einj_set("error_inject", "%llu", 1);
}

/*
 * Three locked pages of this process and their physical addresses (which
 * stay: the emulated host's kernel has no compaction or migration).
 */
static volatile uint8_t *pages;
static uint64_t page_pa[3];

static bool map_pages(void)
{
	pages = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pages != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK(!mlock((void *)pages, 3 * 4096), "mlock: %s", strerror(errno));
	for (int i = 0; i < 3; i++) {
		memset((void *)(pages + i * 4096), 0xa0 + i, 4096);
		page_pa[i] = mei_virt_to_phys((void *)(pages + i * 4096));
		CHECK(page_pa[i], "no physical address for page %d", i);
	}
	return true;
}

static sigjmp_buf sigbus_jmp;
static siginfo_t sigbus_info;

static void on_sigbus(int sig, siginfo_t *info, void *uc)
{
	sigbus_info = *info;
	siglongjmp(sigbus_jmp, 1);
}

/* Reads ADDR; returns true if the read was a SIGBUS (sigbus_info holds it). */
static bool read_faults(volatile uint8_t *addr, uint8_t *value)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO }, old;
	bool faulted;

	sigaction(SIGBUS, &sa, &old);
	faulted = sigsetjmp(sigbus_jmp, 1);
	if (!faulted)
		*value = *addr;
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

/* Neither physical neighbour of PA is poisoned (or RAM at all). */
static bool neighbours_clean(uint64_t pa)
{
	uint32_t below = mei_clear(pa - 4096), above = mei_clear(pa + 4096);

	return (below == MEI_STATUS_NOT_POISONED || below == MEI_STATUS_INVALID_ADDRESS) &&
	       (above == MEI_STATUS_NOT_POISONED || above == MEI_STATUS_INVALID_ADDRESS);
}

static bool exact_page(void)
{
	volatile uint8_t *target = pages + 4096 + 0x123;
	uint8_t value = 0;
	int err;

	err = einj_request(EINJ_TYPE_MEM_UE, SETWA_FLAGS_MEM, page_pa[1] + 0x123, PAGE_MASK_ALL);
	CHECK(!err, "injecting at %#lx: %s", (unsigned long)page_pa[1] + 0x123, strerror(err));
	CHECK(mei_read(MEI_REG_COUNT) == 1, "COUNT %u", mei_read(MEI_REG_COUNT));
	CHECK(neighbours_clean(page_pa[1]), "a physical neighbour of %#lx is poisoned",
	      (unsigned long)page_pa[1]);
	/* Latent: the other pages read fine, only a read of this one consumes it. */
	CHECK(!read_faults(pages + 4095, &value) && value == 0xa0, "page 0: %#x", value);
	CHECK(!read_faults(pages + 2 * 4096, &value) && value == 0xa2, "page 2: %#x", value);
	CHECK(read_faults(target, &value), "the poisoned page read %#x", value);
	printf("# SIGBUS si_code %d si_addr %p si_addr_lsb %d (the read was at %p)\n",
	       sigbus_info.si_code, sigbus_info.si_addr, sigbus_info.si_addr_lsb, (void *)target);
	if (firmware_first) {
		CHECK(sigbus_info.si_code == BUS_MCEERR_AR, "si_code %d", sigbus_info.si_code);
		/* The page, at si_addr_lsb's granule: 6.12 gives the read's address, 7.1 the page's. */
		CHECK(((uintptr_t)sigbus_info.si_addr & ~0xfffUL) == (uintptr_t)(pages + 4096),
		      "si_addr %p, expected in the page at %p", sigbus_info.si_addr,
		      (void *)(pages + 4096));
		CHECK(sigbus_info.si_addr_lsb == 12, "si_addr_lsb %d", sigbus_info.si_addr_lsb);
	} else {
		CHECK(sigbus_info.si_code == BUS_OBJERR, "si_code %d", sigbus_info.si_code);
		CHECK(sigbus_info.si_addr == (void *)target, "si_addr %p, expected %p",
		      sigbus_info.si_addr, (void *)target);
	}
	CHECK(mei_clear(page_pa[1]) == MEI_STATUS_OK, "clearing the injected page");
	CHECK(mei_read(MEI_REG_COUNT) == 0, "COUNT %u after clearing", mei_read(MEI_REG_COUNT));
	/* Firmware first, Linux took the page offline: it is not this process's any more. */
	if (!firmware_first)
		CHECK(!read_faults(target, &value) && value == 0xa1, "after clearing: %#x", value);
	return true;
}

static volatile void *reg(unsigned int offset)
{
	return (volatile uint8_t *)mei_regs + offset;
}

static uint64_t read_sized(unsigned int offset, unsigned int size)
{
	switch (size) {
	case 1: return *(volatile uint8_t *)reg(offset);
	case 2: return *(volatile uint16_t *)reg(offset);
	case 4: return *(volatile uint32_t *)reg(offset);
	default: return *(volatile uint64_t *)reg(offset);
	}
}

static void write_sized(unsigned int offset, unsigned int size, uint64_t value)
{
	switch (size) {
	case 1: *(volatile uint8_t *)reg(offset) = value; break;
	case 2: *(volatile uint16_t *)reg(offset) = value; break;
	case 4: *(volatile uint32_t *)reg(offset) = value; break;
	default: *(volatile uint64_t *)reg(offset) = value; break;
	}
}

/*
 * Each request has one fault, and Linux's driver must refuse it itself: the
 * parameter structure it would write before EXECUTE keeps a sentinel, so a
 * refusal by the platform (which also answers -EINVAL) does not count.
 */
static bool driver_refusals(void)
{
	const struct {
		const char *what;
		uint32_t flags;
		uint64_t param1, param2;
	} bad[] = {
		{ "flags bit 7", SETWA_FLAGS_MEM | 0x80, page_pa[0], PAGE_MASK_ALL },
		{ "no address mask", SETWA_FLAGS_MEM, page_pa[0], 0 },
		{ "address 0", SETWA_FLAGS_MEM, 0, PAGE_MASK_ALL },
		{ "the GIC (MMIO)", SETWA_FLAGS_MEM, 0x08000000, PAGE_MASK_ALL },
		{ "the injector's trigger table (MMIO)", SETWA_FLAGS_MEM, mei_base + EINJ_TRIGGER,
		  PAGE_MASK_ALL },
		{ "beyond RAM", SETWA_FLAGS_MEM, 1ULL << 40, PAGE_MASK_ALL },
		{ "all ones", SETWA_FLAGS_MEM, ~0ULL, PAGE_MASK_ALL },
	};
	const uint64_t sentinel = 0x5e57e57e5e57e57eULL;
	int err;

	/* The type is refused when it is written: only 0x10 is available. */
	err = einj_set("error_type", "0x%llx", 0x8);
	CHECK(err == EINVAL, "error_type 0x8: %s", strerror(err));
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_sized(EINJ_PARAM + 0x10, 8, sentinel);
		err = einj_request(EINJ_TYPE_MEM_UE, bad[i].flags, bad[i].param1, bad[i].param2);
		CHECK(err == EINVAL, "%s: %s, expected EINVAL", bad[i].what, strerror(err));
		CHECK(read_sized(EINJ_PARAM + 0x10, 8) == sentinel,
		      "%s: the driver wrote the parameters: the platform refused it, not Linux",
		      bad[i].what);
	}
	CHECK(mei_read(MEI_REG_COUNT) == 0, "COUNT %u", mei_read(MEI_REG_COUNT));
	return true;
}

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * An address for the parameter structure: this process's page (at any
 * offset), or one that is not RAM. Sets *ram for the first.
 */
static uint64_t pick_address(bool *ram)
{
	uint64_t r = next();

	*ram = false;
	switch (r % 8) {
	case 0: case 1: case 2:
		*ram = true;
		return page_pa[2] + (r >> 8) % 4096;
	case 3: return 0;
	case 4: return 0x08000000 + (r >> 8) % 0x10000;		/* GIC */
	case 5: return mei_base + (r >> 8) % 0x1000;		/* the injector itself */
	case 6: return 0x3ffff000 + (r >> 8) % 0x1000;		/* just below RAM */
	default: return (1ULL << 40) | r;			/* beyond RAM */
	}
}

static bool hostile_registers(unsigned long long seed)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	uint64_t trigger = read_sized(EINJ_TRIGGER_TABLE, 8);
	uint8_t trigger_header[16];
	int successes = 0, invalid = 0;

	for (int i = 0; i < 16; i++)
		trigger_header[i] = read_sized(EINJ_TRIGGER + i, 1);
	CHECK(trigger == mei_base + EINJ_TRIGGER, "trigger table at %#lx", (unsigned long)trigger);
	rng = seed ?: 1;
	for (int seq = 0; seq < SEQUENCES; seq++) {
		uint32_t type, flags, execute, status, expected;
		uint64_t addr;
		bool ram, valid;
		int writes = next() % 8;

		/* Garbage of every size, naturally aligned, anywhere in the window. */
		for (int w = 0; w < writes; w++) {
			unsigned int size = sizes[next() % 4];
			unsigned int offset = (EINJ_EXECUTE + next() % (EINJ_WINDOW_END - EINJ_EXECUTE)) &
					      ~(size - 1);

			/* A 32 or 64-bit write to EXECUTE executes: that comes last, from the model. */
			if (offset == EINJ_EXECUTE && size >= 4)
				continue;
			write_sized(offset, size, next());
		}
		/* A parameter structure the model can judge, written as the driver does. */
		type = next() % 4 ? EINJ_TYPE_MEM_UE : (uint32_t)next();
		flags = next() % 4 ? SETWA_FLAGS_MEM | (next() % 2) : (uint32_t)next();
		addr = pick_address(&ram);
		write_sized(EINJ_PARAM + 0x00, 4, type);
		write_sized(EINJ_PARAM + 0x08, 4, flags);
		write_sized(EINJ_PARAM + 0x10, 8, addr);
		CHECK(read_sized(EINJ_PARAM + 0x10, 8) == addr, "sequence %d: the address reads back %#lx",
		      seq, (unsigned long)read_sized(EINJ_PARAM + 0x10, 8));
		execute = next() % 8 ? 1 : (uint32_t)next();
		write_sized(EINJ_EXECUTE, 4, execute);

		valid = execute == 1 && type == EINJ_TYPE_MEM_UE && (flags & SETWA_FLAGS_MEM) &&
			!(flags & ~(SETWA_FLAGS_MEM | SETWA_FLAGS_APICID));
		expected = valid && ram ? EINJ_STATUS_SUCCESS : EINJ_STATUS_INVALID;
		status = read_sized(EINJ_CMD_STATUS, 4);
		CHECK(status == expected,
		      "sequence %d: type %#x flags %#x addr %#lx execute %#x: status %u, expected %u",
		      seq, type, flags, (unsigned long)addr, execute, status, expected);
		CHECK(mei_read(MEI_REG_COUNT) == (expected == EINJ_STATUS_SUCCESS),
		      "sequence %d: COUNT %u", seq, mei_read(MEI_REG_COUNT));
		if (expected == EINJ_STATUS_SUCCESS) {
			CHECK(mei_clear(page_pa[2]) == MEI_STATUS_OK, "sequence %d: clearing", seq);
			successes++;
		} else {
			invalid++;
		}
		CHECK(read_sized(EINJ_BUSY, 4) == 0, "sequence %d: BUSY", seq);
		CHECK(read_sized(EINJ_TRIGGER_TABLE, 8) == trigger, "sequence %d: trigger table moved", seq);
	}
	for (int i = 0; i < 16; i++)
		CHECK(read_sized(EINJ_TRIGGER + i, 1) == trigger_header[i], "trigger table byte %d", i);
	CHECK(mei_read(MEI_REG_ID) == MEI_ID_VALUE, "ID");
	CHECK(mei_read(MEI_REG_COUNT) == 0, "COUNT %u", mei_read(MEI_REG_COUNT));
	CHECK(pages[2 * 4096] == 0xa2 && pages[2 * 4096 + 4095] == 0xa2, "the page's data changed");
	printf("# %d sequences (seed %llu): %d injected into this process's page and cleared, %d refused\n",
	       SEQUENCES, seed, successes, invalid);
	return true;
}

int main(int argc, char **argv)
{
	unsigned long long seed;
	const char *why = "";
	struct timespec now;

	/* The emulated host has no wall clock: a new seed a run from the boot's timing. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	firmware_first = argc > 1 && !strcmp(argv[1], "--firmware-first");
	argv += firmware_first;
	argc -= firmware_first;
	seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (unsigned long long)now.tv_nsec;

	printf("TAP version 13\n");
	if (mei_open(&why) || !mei_find_acpi(&mei_base)) {
		printf("1..0 # SKIP no ACPI memory error injector: %s\n",
		       mei_regs ? "the injector is not an ACPI device (boot with the acpi profile)" : why);
		return 4;
	}
	if (access(EINJ_DIR "/error_inject", W_OK)) {
		printf("1..0 # SKIP no %s/error_inject: the kernel has no EINJ driver or debugfs\n", EINJ_DIR);
		return 4;
	}
	printf("1..3\n");
	if (!map_pages())
		return 1;
	result(exact_page(), "exact_page");
	result(driver_refusals(), "driver_refusals");
	result(hostile_registers(seed), "hostile_registers");
	mei_clear_all();
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", 3 - failures, failures);
	return failures ? 1 : 0;
}
