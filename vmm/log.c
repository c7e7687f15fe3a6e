// SPDX-License-Identifier: GPL-2.0-only
/* JSON event lines on stdout; see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

static struct timespec start_time;

void log_init(void)
{
	clock_gettime(CLOCK_MONOTONIC, &start_time);
}

double now_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - start_time.tv_sec) + (t.tv_nsec - start_time.tv_nsec) / 1e9;
}

const char *json_escape(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; *s && n + 7 < size; s++) {
		if (*s == '"' || *s == '\\')
			n += snprintf(buf + n, size - n, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			n += snprintf(buf + n, size - n, "\\u%04x", *s);
		else
			buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

void event(const char *name, const char *fmt, ...)
{
	va_list ap;

	flockfile(stdout);
	printf("{\"time\":%.3f,\"event\":\"%s\"", now_seconds(), name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	puts("}");
	fflush(stdout);
	funlockfile(stdout);
}
