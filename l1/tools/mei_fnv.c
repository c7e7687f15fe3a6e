// SPDX-License-Identifier: GPL-2.0-only
/*
 * mei_fnv COMMAND [ARGS...]: runs COMMAND with the memory error injector in
 * its FnV mode (FLAGS.FNV), in which a CPU that consumes poison reports the
 * synchronous External abort with ESR_ELx.FnV = 1: the error's address is not
 * known. Clears the mode afterwards and exits with COMMAND's status (a signal
 * that killed it becomes 128 + the signal's number). The injector's EINJ
 * interface is unchanged, so mainline's EINJ-driven sea_to_user runs as is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../mem_error_injector.h"

int main(int argc, char **argv)
{
	const char *why;
	uint32_t status;
	int wstatus;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: mei_fnv COMMAND [ARGS...]\n");
		return 2;
	}
	if (mei_open(&why)) {
		printf("no memory error injector: %s\n", why);
		return 4;	/* KSFT_SKIP */
	}
	status = mei_set_flags(MEI_FLAG_FNV);
	if (status != MEI_STATUS_OK || mei_read(MEI_REG_FLAGS) != MEI_FLAG_FNV) {
		printf("the injector refused FLAGS.FNV (STATUS %u): QEMU without the FnV mode\n", status);
		return 1;
	}
	printf("memory error injector: FnV mode on\n");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execv(argv[1], argv + 1);
		fprintf(stderr, "mei_fnv: cannot run %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &wstatus, 0) < 0) {
		perror("mei_fnv");
		mei_set_flags(0);
		return 1;
	}
	mei_set_flags(0);
	printf("memory error injector: FnV mode off\n");
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}
