/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * run_captured(): runs a command with its stdout and stderr on a pipe, passes
 * each line through to stdout once and hands it to a callback; for the L1
 * wrappers that judge another test by what it prints (known_failure,
 * expect_skip).
 */
#ifndef L1_TOOLS_RUN_CAPTURED_H
#define L1_TOOLS_RUN_CAPTURED_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Runs argv[0] (a path) with argv; calls on_line(line, arg) for every line it
 * prints. Returns 0 with *wstatus set, or -1 after printing why it could not
 * run it.
 */
static inline int run_captured(char **argv, void (*on_line)(const char *line, void *arg),
			       void *arg, int *wstatus)
{
	char line[4096];
	int fds[2];
	FILE *out;
	pid_t pid;

	if (pipe(fds)) {
		perror("pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	while (out && fgets(line, sizeof(line), out)) {
		fputs(line, stdout);
		on_line(line, arg);
	}
	fflush(stdout);
	if (out)
		fclose(out);
	if (waitpid(pid, wstatus, 0) < 0) {
		perror("waitpid");
		return -1;
	}
	return 0;
}

/* A KTAP line without its "# " nesting; *failed: it is a "not ok" result. */
static inline const char *ktap_line(const char *line, bool *failed)
{
	while (!strncmp(line, "# ", 2))
		line += 2;
	*failed = !strncmp(line, "not ok ", 7);
	return line;
}

#endif /* L1_TOOLS_RUN_CAPTURED_H */
