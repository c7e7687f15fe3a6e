// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmm_bad_args - the reference VMM refuses broken options cleanly: each bad
 * invocation exits with status 2 and one line on stderr naming the problem,
 * before it creates a VM. KTAP, one case per invocation.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define VMM "/bin/seavmm"

struct bad_args {
	const char *name;
	const char *argv[8];
	const char *expect;	/* a word the error line must contain */
};

static const struct bad_args cases[] = {
	{ "no_kernel", { VMM, "--initrd", "/vmm/guest.cpio" }, "--kernel" },
	{ "no_initrd", { VMM, "--kernel", "/vmm/Image" }, "--initrd" },
	{ "missing_kernel_file", { VMM, "--kernel", "/nonexistent", "--initrd", "/vmm/guest.cpio" },
	  "/nonexistent" },
	{ "memory_not_a_number", { VMM, "--kernel", "/vmm/Image", "--initrd", "/vmm/guest.cpio",
				   "--memory", "lots" }, "--memory" },
	{ "memory_too_small", { VMM, "--kernel", "/vmm/Image", "--initrd", "/vmm/guest.cpio",
				"--memory", "1" }, "--memory" },
	{ "threshold_zero", { VMM, "--kernel", "/vmm/Image", "--initrd", "/vmm/guest.cpio",
			      "--threshold", "0" }, "--threshold" },
	{ "threshold_negative", { VMM, "--kernel", "/vmm/Image", "--initrd", "/vmm/guest.cpio",
				  "--threshold", "-3" }, "--threshold" },
	{ "vcpus_too_many", { VMM, "--kernel", "/vmm/Image", "--initrd", "/vmm/guest.cpio",
			      "--vcpus", "99" }, "--vcpus" },
	{ "agent_timeout_zero", { VMM, "--kernel", "/vmm/Image", "--initrd", "/vmm/guest.cpio",
				  "--agent-timeout", "0" }, "--agent-timeout" },
	{ "unknown_step", { VMM, "--kernel", "/vmm/Image", "--initrd", "/vmm/guest.cpio",
			    "--expect", "victim-data,flying" }, "flying" },
	{ "stray_argument", { VMM, "--kernel", "/vmm/Image", "--initrd", "/vmm/guest.cpio",
			      "extra" }, "extra" },
};

/* Runs one case; returns 1 if it failed the way it must. */
static int run_case(const struct bad_args *c)
{
	char err[512] = "";
	int pipefd[2], status, lines = 0;
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe(pipefd))
		return 0;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execv(VMM, (char **)c->argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], err + len, sizeof(err) - 1 - len)) > 0)
		len += n;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	err[len] = '\0';
	for (char *p = err; *p; p++)
		lines += *p == '\n';
	printf("# %s: exit %d, stderr: %s", c->name, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	       len ? err : "(nothing)\n");
	return WIFEXITED(status) && WEXITSTATUS(status) == 2 && lines == 1 && strstr(err, c->expect);
}

int main(void)
{
	int n = sizeof(cases) / sizeof(cases[0]), failed = 0;

	printf("TAP version 13\n1..%d\n", n);
	for (int i = 0; i < n; i++) {
		int ok = run_case(&cases[i]);

		printf("%sok %d %s\n", ok ? "" : "not ", i + 1, cases[i].name);
		failed += !ok;
	}
	fflush(stdout);
	return failed ? 1 : 0;
}
