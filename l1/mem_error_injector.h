/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated host's (L1) driver for the platform's memory error injector
 * (qemu/patches, docs/system/devices/mem-error-injector.rst in the QEMU tree):
 * found through the device tree, or with ACPI through the DSDT device
 * "QEMU0010" (its window in /proc/iomem), and driven through /dev/mem.
 */
#ifndef SEA_GUEST_MEM_ERROR_INJECTOR_H
#define SEA_GUEST_MEM_ERROR_INJECTOR_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEI_COMPATIBLE		"qemu,mem-error-injector"
#define MEI_ACPI_HID		"QEMU0010"
#define MEI_REG_ID		0x00
#define MEI_REG_GRANULE		0x08
#define MEI_REG_COUNT		0x0c
#define MEI_REG_ADDR_LO		0x10
#define MEI_REG_ADDR_HI		0x14
#define MEI_REG_TYPE		0x18
#define MEI_REG_COMMAND		0x1c
#define MEI_REG_STATUS		0x20
#define MEI_REG_ERROR_TYPES	0x24
#define MEI_REG_FLAGS		0x28
#define MEI_FLAG_FNV		0x1	/* consumption reports FnV: address unknown */
#define MEI_REG_S2_WALK_LO	0x2c	/* armed stage 2 walk error: IPA | 1 */
#define MEI_REG_S2_WALK_HI	0x30
#define MEI_ID_VALUE		0x4a4e4945
#define MEI_TYPE_MEM_UNCORRECTABLE 0x10
#define MEI_CMD_INJECT		1
#define MEI_CMD_CLEAR		2
#define MEI_CMD_CLEAR_ALL	3
#define MEI_CMD_INJECT_S2_WALK	4	/* ADDR is an IPA: its stage 1 walks fail at stage 2 */
#define MEI_CMD_CLEAR_S2_WALK	5
#define MEI_STATUS_OK		0
#define MEI_STATUS_INVALID_TYPE	1
#define MEI_STATUS_INVALID_ADDRESS 2
#define MEI_STATUS_NOT_POISONED	3
#define MEI_STATUS_INVALID_COMMAND 4
#define MEI_STATUS_READ_ONLY	5

static volatile uint32_t *mei_regs;

static inline uint32_t mei_read(unsigned int reg)
{
	return mei_regs[reg / 4];
}

static inline void mei_write(unsigned int reg, uint32_t value)
{
	mei_regs[reg / 4] = value;
}

/* Reads the first cell pair of a device-tree "reg" property: the base address. */
static inline int mei_dt_base(const char *node, uint64_t *base)
{
	char path[640], compat[64] = "";
	unsigned char reg[8];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/compatible", node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	fread(compat, 1, sizeof(compat) - 1, f);
	fclose(f);
	if (strcmp(compat, MEI_COMPATIBLE))
		return -1;

	snprintf(path, sizeof(path), "%s/reg", node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	i = fread(reg, 1, sizeof(reg), f);
	fclose(f);
	if (i != sizeof(reg))
		return -1;
	*base = 0;
	for (i = 0; i < 8; i++)
		*base = (*base << 8) | reg[i];
	return 0;
}

/* The base of the injector's node in the device tree; 0 if there is none. */
static inline int mei_find_dt(uint64_t *base)
{
	const char *dt = "/sys/firmware/devicetree/base";
	struct dirent *d;
	int found = 0;
	char node[512];
	DIR *dir;

	dir = opendir(dt);
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && !found) {
		snprintf(node, sizeof(node), "%s/%s", dt, d->d_name);
		found = !strncmp(d->d_name, "mem-error-injector@", 19) && !mei_dt_base(node, base);
	}
	closedir(dir);
	return found;
}

/* With ACPI: the window of device QEMU0010 in /proc/iomem ("START-END : QEMU0010:00"). */
static inline int mei_find_acpi(uint64_t *base)
{
	char line[256];
	int found = 0;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " : " MEI_ACPI_HID ":") &&
			sscanf(line, " %lx-", (unsigned long *)base) == 1;
	fclose(f);
	return found;
}

/*
 * Maps the injector. Returns 0, or -1 with *why set when the platform has
 * none (no device-tree node or ACPI device, or /dev/mem unusable).
 */
static inline int mei_open(const char **why)
{
	uint64_t base = 0;
	int fd;

	if (mei_regs)
		return 0;
	if (!mei_find_dt(&base) && !mei_find_acpi(&base)) {
		*why = "no \"" MEI_COMPATIBLE "\" device-tree node and no " MEI_ACPI_HID
		       " ACPI device (QEMU without -M virt,einj=on)";
		return -1;
	}
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0) {
		*why = "cannot open /dev/mem (needs root and CONFIG_DEVMEM)";
		return -1;
	}
	mei_regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, base);
	close(fd);
	if (mei_regs == MAP_FAILED) {
		mei_regs = NULL;
		*why = "cannot map the injector through /dev/mem";
		return -1;
	}
	if (mei_read(MEI_REG_ID) != MEI_ID_VALUE) {
		munmap((void *)mei_regs, 4096);
		mei_regs = NULL;
		*why = "the injector's ID register does not read \"EINJ\"";
		return -1;
	}
	return 0;
}

/* Runs COMMAND on ADDR with TYPE; returns the STATUS register. */
static inline uint32_t mei_command(uint32_t command, uint64_t addr, uint32_t type)
{
	mei_write(MEI_REG_ADDR_LO, (uint32_t)addr);
	mei_write(MEI_REG_ADDR_HI, (uint32_t)(addr >> 32));
	mei_write(MEI_REG_TYPE, type);
	mei_write(MEI_REG_COMMAND, command);
	return mei_read(MEI_REG_STATUS);
}

static inline uint32_t mei_poison(uint64_t pa)
{
	return mei_command(MEI_CMD_INJECT, pa, MEI_TYPE_MEM_UNCORRECTABLE);
}

static inline uint32_t mei_clear(uint64_t pa)
{
	return mei_command(MEI_CMD_CLEAR, pa, 0);
}

/* Sets the FLAGS register; returns the STATUS register. */
static inline uint32_t mei_set_flags(uint32_t flags)
{
	mei_write(MEI_REG_FLAGS, flags);
	return mei_read(MEI_REG_STATUS);
}

/*
 * Arms the stage 2 walk error: stage 1 table walks reading a descriptor in
 * the IPA granule of @ipa fail at stage 2 (ESR_EL2.S1PTW). Returns STATUS.
 */
static inline uint32_t mei_s2_walk_error(uint64_t ipa)
{
	return mei_command(MEI_CMD_INJECT_S2_WALK, ipa, MEI_TYPE_MEM_UNCORRECTABLE);
}

/* The armed stage 2 walk error's IPA | 1, or 0. */
static inline uint64_t mei_s2_walk_armed(void)
{
	return mei_read(MEI_REG_S2_WALK_LO) | (uint64_t)mei_read(MEI_REG_S2_WALK_HI) << 32;
}

static inline uint32_t mei_clear_all(void)
{
	mei_write(MEI_REG_COMMAND, MEI_CMD_CLEAR_ALL);
	return mei_read(MEI_REG_STATUS);
}

/* The physical address backing a virtual address of this process, or 0. */
static inline uint64_t mei_virt_to_phys(const void *va)
{
	uint64_t entry = 0, page = getpagesize();
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), (uintptr_t)va / page * sizeof(entry)) != sizeof(entry))
		entry = 0;
	close(fd);
	if (!(entry & (1ULL << 63)))
		return 0;
	return (entry & ((1ULL << 55) - 1)) * page + (uintptr_t)va % page;
}

#endif
