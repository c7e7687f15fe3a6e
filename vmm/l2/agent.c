// SPDX-License-Identifier: GPL-2.0-only
/*
 * seavmm-agent: the guest agent of the memory-error channel (../channel_regs.h).
 * For each poisoned page the VMM reports, it has the guest kernel take the page
 * out of use, by writing its address to
 * /sys/devices/system/memory/hard_offline_page (CONFIG_MEMORY_FAILURE and
 * CONFIG_MEMORY_HOTPLUG): memory_failure() then unmaps the page from every
 * process (which gets SIGBUS if it touches it again), drops it from the page
 * cache if clean, and never hands it out again. It answers the VMM with the
 * result.
 *
 * This is what a device-tree guest has instead of GHES: an ACPI guest's
 * kernel runs the same memory_failure() on the address in the memory error
 * record its firmware (the VMM) writes.
 *
 *   seavmm-agent [--poll-ms N]    runs until killed, polling every N ms (default 20)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <termios.h>
#include <time.h>

#include "device.h"
#include "../channel_regs.h"

#define HARD_OFFLINE	"/sys/devices/system/memory/hard_offline_page"

/* A page this guest has as RAM ("System RAM" in /proc/iomem)? */
static int is_guest_ram(uint64_t gpa)
{
	unsigned long long start, end;
	char line[256];
	FILE *f = fopen("/proc/iomem", "r");
	int found = 0;

	if (!f)
		return 1;	/* cannot tell: let the kernel decide */
	while (!found && fgets(line, sizeof(line), f))
		if (line[0] != ' ' && sscanf(line, "%llx-%llx", &start, &end) == 2 &&
		    strstr(line, ": System RAM"))
			found = gpa >= start && gpa <= end;
	fclose(f);
	return found;
}

/* Offlines the page at gpa; 0, or the errno that says why not. */
static int offline(uint64_t gpa)
{
	char buf[32];
	int fd, n, err = 0;

	if (gpa & 0xfff || !is_guest_ram(gpa))
		return EINVAL;
	fd = open(HARD_OFFLINE, O_WRONLY);
	if (fd < 0)
		return errno;
	n = snprintf(buf, sizeof(buf), "0x%" PRIx64, gpa);
	if (write(fd, buf, n) != n)
		err = errno;
	close(fd);
	/* Poisoned already (the guest kernel had it): offline all the same. */
	return err == EHWPOISON ? 0 : err;
}

int main(int argc, char **argv)
{
	struct timespec poll = { 0, 20 * 1000000L };
	volatile uint64_t *chan;

	if (argc == 3 && !strcmp(argv[1], "--poll-ms")) {
		long ms = atol(argv[2]);

		if (ms < 1 || ms > 10000) {
			fprintf(stderr, "seavmm-agent: --poll-ms '%s' is invalid: give 1 to 10000\n", argv[2]);
			return 2;
		}
		poll.tv_sec = ms / 1000;
		poll.tv_nsec = ms % 1000 * 1000000L;
	} else if (argc != 1) {
		fprintf(stderr, "usage: seavmm-agent [--poll-ms N]\n");
		return 2;
	}
	chan = map_device(MEMERR_CHANNEL_COMPATIBLE);
	if (!chan) {
		fprintf(stderr, "seavmm-agent: no " MEMERR_CHANNEL_COMPATIBLE " device: %s\n", strerror(errno));
		return 1;
	}
	for (;;) {
		uint64_t gpa = chan[CHANNEL_GPA / 8];
		int err;

		if (gpa == CHANNEL_NONE) {
			nanosleep(&poll, NULL);
			continue;
		}
		err = offline(gpa);
		printf("seavmm-agent: page 0x%" PRIx64 " %s%s\n", gpa, err ? "NOT offlined: " : "offlined",
		       err ? strerror(err) : "");
		/* Out before the next offline's kernel message can cut the line. */
		fflush(stdout);
		tcdrain(STDOUT_FILENO);
		chan[CHANNEL_ANSWER / 8] = gpa | (err & CHANNEL_STATUS_MASK);
	}
}
