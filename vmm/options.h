/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's command-line options, parsed once by main.c and read everywhere. */
#ifndef SEAVMM_OPTIONS_H
#define SEAVMM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

struct options {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *expect;	/* comma-separated step names that must be observed */
	uint64_t memory_mb;
	int vcpus;
	int threshold;		/* distinct poisoned pages that stop the VM */
	int max_boots;
	int agent_timeout;	/* seconds the guest agent may take to answer */
	bool replace_early;	/* replace poisoned pages while the guest runs (unsafe) */
};

#endif
