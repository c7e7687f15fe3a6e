/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The demo's bookkeeping: which steps of the scenario (control_regs.h) were
 * observed, by the guest or by the VMM, against what --expect asked for.
 */
#ifndef SEAVMM_STEPS_H
#define SEAVMM_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

const char *step_name(int step);
/* The mask of a comma-separated list of step names; -1 and *bad set if one is unknown. */
int64_t steps_parse(const char *list, const char **bad, size_t *bad_len);
void step_observed(int step);
void step_failed(int step);
/* Fills buf with the JSON members "name":"observed|failed|missing"; true if all went well. */
bool steps_report(uint64_t expected, char *buf, size_t size);

#endif
