// SPDX-License-Identifier: GPL-2.0-only
/*
 * mem_loop - a memory-bound loop, timed: reads and writes a 64 MiB buffer,
 * pass after pass, and prints the wall time. Used to show that the memory
 * error injector, enabled but idle, does not slow clean memory down.
 *
 *   bench: mem_loop ns=NANOSECONDS bytes=BYTES
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BUFFER_BYTES	(64UL << 20)
#define PASSES		24

int main(void)
{
	uint64_t *buf = malloc(BUFFER_BYTES), sum = 0;
	size_t words = BUFFER_BYTES / sizeof(*buf), i;
	struct timespec t0, t1;
	int pass;

	if (!buf) {
		fprintf(stderr, "mem_loop: cannot allocate %lu bytes\n", BUFFER_BYTES);
		return 1;
	}
	for (i = 0; i < words; i++)
		buf[i] = i;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (pass = 0; pass < PASSES; pass++)
		for (i = 0; i < words; i++) {
			sum += buf[i];
			buf[i] = sum;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("bench: mem_loop ns=%lld bytes=%lu checksum=%llx\n",
	       (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec),
	       BUFFER_BYTES * PASSES, (unsigned long long)sum);
	return 0;
}
