// SPDX-License-Identifier: GPL-2.0-only
/*
 * expect_skip REASON... -- COMMAND [ARGS...]: runs a selftest that, on this
 * platform, must skip for exactly REASON: the firmware-first cells run
 * mainline's sea_to_user, whose SEA the host's APEI claims, and which then
 * reports "ok 1 # SKIP SEA is claimed by host APEI" and exits 0. A pass or a
 * skip for any other reason would look the same to the harness. Succeeds only
 * if COMMAND exits 0 or 4 (KSFT_SKIP) and printed a KTAP result line
 * "ok N # SKIP REASON" and no "not ok" line. COMMAND's output is passed
 * through, each line once. REASON is the words before "--" (the test lists
 * split commands at spaces).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_captured.h"

struct seen {
	const char *reason;
	int skips, failures;
};

/* A KTAP result line, after any "# " nesting: "ok N # SKIP REASON". */
static void on_line(const char *line, void *arg)
{
	struct seen *seen = arg;
	const char *rest, *skip;
	bool failed;
	size_t len;

	line = ktap_line(line, &failed);
	if (failed) {
		seen->failures++;
		return;
	}
	if (strncmp(line, "ok ", 3))
		return;
	rest = line + 3 + strspn(line + 3, "0123456789");
	skip = " # SKIP ";
	if (strncmp(rest, skip, strlen(skip)))
		return;
	rest += strlen(skip);
	len = strlen(seen->reason);
	if (!strncmp(rest, seen->reason, len) && (rest[len] == '\n' || rest[len] == '\0'))
		seen->skips++;
}

int main(int argc, char **argv)
{
	struct seen seen = { 0 };
	char reason[512] = "";
	int wstatus, code, dash = 1;

	while (dash < argc && strcmp(argv[dash], "--"))
		dash++;
	if (dash == 1 || dash + 1 >= argc) {
		fprintf(stderr, "usage: expect_skip REASON... -- COMMAND [ARGS...]\n");
		return 2;
	}
	for (int i = 1; i < dash; i++)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason), "%s%s",
			 i > 1 ? " " : "", argv[i]);
	seen.reason = reason;
	argv += dash - 1;	/* argv[2] is COMMAND, as in the messages below */
	if (run_captured(argv + 2, on_line, &seen, &wstatus))
		return 1;
	if (WIFSIGNALED(wstatus)) {
		printf("expect_skip: %s died of signal %d\n", argv[2], WTERMSIG(wstatus));
		return 1;
	}
	code = WEXITSTATUS(wstatus);
	if ((code != 0 && code != 4) || seen.failures || seen.skips != 1) {
		printf("expect_skip: %s exited %d with %d failed and %d matching skip lines; expected one \"ok N # SKIP %s\" and no failure\n",
		       argv[2], code, seen.failures, seen.skips, seen.reason);
		return 1;
	}
	printf("expect_skip: %s skipped for the expected reason: %s\n", argv[2], seen.reason);
	return 0;
}
