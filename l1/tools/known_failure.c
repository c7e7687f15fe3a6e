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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ASSERT_BANNER	"==== Test Assertion Failure ===="
#define KSFT_ASSERT_EXIT	254	/* what a failed TEST_ASSERT() exits with */

int main(int argc, char **argv)
{
	int banners = 0, located = 0, fds[2], wstatus;
	const char *where;
	char line[4096];
	FILE *out;
	pid_t pid;

	if (argc < 3 || !strchr(argv[1], ':') || argv[1][strlen(argv[1]) - 1] != ':') {
		fprintf(stderr, "usage: known_failure FILE:LINE: COMMAND [ARGS...]\n");
		return 2;
	}
	where = argv[1];
	if (pipe(fds)) {
		perror("known_failure: pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("known_failure: fork");
		return 1;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	while (out && fgets(line, sizeof(line), out)) {
		fputs(line, stdout);
		if (strstr(line, ASSERT_BANNER))
			banners++;
		else if (banners == 1 && strstr(line, where))
			located++;
	}
	fflush(stdout);
	if (waitpid(pid, &wstatus, 0) < 0) {
		perror("known_failure: waitpid");
		return 1;
	}
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
	if (WEXITSTATUS(wstatus) != KSFT_ASSERT_EXIT || banners != 1 || located != 1) {
		printf("known_failure: %s failed (exit %d), but not (only) at %s\n",
		       argv[2], WEXITSTATUS(wstatus), where);
		return 1;
	}
	printf("known_failure: %s stopped at the known failure %s; every case before it passed\n",
	       argv[2], where);
	return 0;
}
