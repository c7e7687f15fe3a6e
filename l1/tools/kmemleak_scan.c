// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmemleak_scan - the last test of make check-debug: ask kmemleak for a scan
 * of everything the earlier tests left behind, and fail on any suspected leak.
 * Objects younger than kmemleak's minimum age are not reported, hence two
 * scans some seconds apart. Skips (exit 4) without CONFIG_DEBUG_KMEMLEAK.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KMEMLEAK "/sys/kernel/debug/kmemleak"

static int scan(void)
{
	int fd = open(KMEMLEAK, O_WRONLY);
	int ok = fd >= 0 && write(fd, "scan", 4) == 4;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

int main(void)
{
	char line[512];
	int leaks = 0;
	FILE *f;

	if (access(KMEMLEAK, F_OK)) {
		printf("1..0 # SKIP no %s: the kernel lacks CONFIG_DEBUG_KMEMLEAK\n", KMEMLEAK);
		return 4;
	}
	if (scan() || (sleep(6), scan())) {
		printf("kmemleak_scan: cannot trigger a scan through %s\n", KMEMLEAK);
		return 1;
	}
	f = fopen(KMEMLEAK, "r");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stdout);
		leaks += !strncmp(line, "unreferenced object", 19);
	}
	fclose(f);
	printf("kmemleak_scan: %d suspected leaks\n", leaks);
	return leaks ? 1 : 0;
}
