// SPDX-License-Identifier: GPL-2.0-only
/*
 * known_failure FILE:LINE: COMMAND [ARGS...]: runs a selftest whose cases run
 * one after another from main() and stop at the first failed assertion, when
 * one case is known to fail on this kernel for a measured reason (a feature
 * the base lacks) and the harness cannot leave that case out without editing
 * the file. Succeeds only if COMMAND ends in exactly that assertion (a
 * "==== Test Assertion Failure ====" report naming FILE:LINE:, exit status
 * 254): every case that ran before it passed. Fails if COMMAND passes (the
 * exclusion is stale: remove it), fails anywhere else, or dies of a signal.
 * COMMAND's output is passed through, each line once.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_captured.h"

#define ASSERT_BANNER	"==== Test Assertion Failure ===="
#define KSFT_ASSERT_EXIT	254	/* what a failed TEST_ASSERT() exits with */

struct seen {
	const char *where;
	int banners, located, failures;
};

/* FILE:LINE: as a whole name: after a '/' or a space, or at the start. */
static bool names_where(const char *line, const char *where)
{
	for (const char *at = strstr(line, where); at; at = strstr(at + 1, where))
		if (at == line || at[-1] == '/' || at[-1] == ' ')
			return true;
	return false;
}

static void on_line(const char *line, void *arg)
{
	struct seen *seen = arg;
	bool failed;

	line = ktap_line(line, &failed);
	if (failed)
		seen->failures++;
	else if (strstr(line, ASSERT_BANNER))
		seen->banners++;
	else if (seen->banners == 1 && names_where(line, seen->where))
		seen->located++;
}

int main(int argc, char **argv)
{
	struct seen seen = { 0 };
	const char *where;
	int wstatus;

	if (argc < 3 || !strchr(argv[1], ':') || argv[1][strlen(argv[1]) - 1] != ':') {
		fprintf(stderr, "usage: known_failure FILE:LINE: COMMAND [ARGS...]\n");
		return 2;
	}
	where = seen.where = argv[1];
	if (run_captured(argv + 2, on_line, &seen, &wstatus))
		return 1;
	if (WIFSIGNALED(wstatus)) {
		printf("known_failure: %s died of signal %d, not the known failure at %s\n",
		       argv[2], WTERMSIG(wstatus), where);
		return 1;
	}
	if (WEXITSTATUS(wstatus) == 0) {
		printf("known_failure: %s passed: the known failure at %s is gone; remove the exclusion\n",
		       argv[2], where);
		return 1;
	}
	if (WEXITSTATUS(wstatus) != KSFT_ASSERT_EXIT || seen.banners != 1 || seen.located != 1 ||
	    seen.failures) {
		printf("known_failure: %s failed (exit %d), but not (only) at %s\n",
		       argv[2], WEXITSTATUS(wstatus), where);
		return 1;
	}
	printf("known_failure: %s stopped at the known failure %s; every case before it passed\n",
	       argv[2], where);
	return 0;
}
