/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For the VMM's guest programs: finds a device in the device tree the VMM
 * built (by its "compatible") and maps its registers through /dev/mem.
 */
#ifndef SEAVMM_L2_DEVICE_H
#define SEAVMM_L2_DEVICE_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DT_BASE "/sys/firmware/devicetree/base"

/* Reads a whole small file; its length, or -1. */
static inline ssize_t read_small_file(const char *path, void *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return n;
}

/* The registers of the first node compatible with compat, or NULL. */
static inline volatile uint64_t *map_device(const char *compat)
{
	char path[512], value[64];
	unsigned char reg[16];
	volatile uint64_t *regs;
	struct dirent *d;
	uint64_t base = 0, size = 0;
	DIR *dir = opendir(DT_BASE);
	int i, fd;

	if (!dir)
		return NULL;
	while ((d = readdir(dir))) {
		ssize_t n;

		snprintf(path, sizeof(path), DT_BASE "/%s/compatible", d->d_name);
		n = read_small_file(path, value, sizeof(value) - 1);
		if (n <= 0 || strncmp(value, compat, n))
			continue;
		snprintf(path, sizeof(path), DT_BASE "/%s/reg", d->d_name);
		/* #address-cells = #size-cells = 2: big-endian base, then size. */
		if (read_small_file(path, reg, sizeof(reg)) != sizeof(reg))
			break;
		for (i = 0; i < 8; i++) {
			base = base << 8 | reg[i];
			size = size << 8 | reg[8 + i];
		}
		break;
	}
	closedir(dir);
	if (!size)
		return NULL;
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0)
		return NULL;
	regs = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, base);
	close(fd);
	return regs == MAP_FAILED ? NULL : regs;
}

#endif
