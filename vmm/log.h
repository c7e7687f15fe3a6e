/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMM's structured output: one JSON object a line on stdout, always
 * starting {"time":. Guest console lines never start with '{' (uart.c), so a
 * guest cannot fake an event.
 */
#ifndef SEAVMM_LOG_H
#define SEAVMM_LOG_H

#include <stddef.h>

void log_init(void);
double now_seconds(void);
/* {"time":T,"event":"NAME"FIELDS}: FIELDS is empty or starts with ','. */
void event(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *json_escape(const char *s, char *buf, size_t size);

#endif
