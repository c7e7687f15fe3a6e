// SPDX-License-Identifier: GPL-2.0-only
/*
 * PID 1 of the emulated host's (L1) initramfs: runs every test named in
 * /etc/tests.list, each under its own timeout, and reports the results as KTAP
 * on the console. Test output is passed through with the kselftest runner's "# "
 * prefix so that only this program's result lines sit at the top level. The VM
 * powers off at the end.
 *
 * /etc/tests.list is one cell's normalized list, written by harness/plan.sh:
 * "NAME TIMEOUT_SECONDS COMMAND [ARGS...]" runs a test, "NAME skip REASON..."
 * reports it as skipped with that reason. The kernel command line labels the
 * run with sea.cell=BASE/MODE/PROFILE.
 *
 * When the platform has the memory error injector, a test that leaves poison
 * behind fails, and the poison is cleared before the next test runs: the
 * kernel could otherwise reuse a poisoned page and crash. The injector's
 * FLAGS go back to 0 after each test too.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mem_error_injector.h"

#define KSFT_SKIP 4
#define MAX_TESTS 128
#define MAX_ARGS 16

struct test {
	char *name;
	int timeout;
	char *skip_reason;	/* not NULL: excluded from this cell, for this reason */
	int may_leave_poison;	/* "~": it injects through ACPI EINJ, which cannot clear */
	char *argv[MAX_ARGS + 1];
};

static struct test tests[MAX_TESTS];
static int nr_tests;

static void console_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void setup_console(void)
{
	int fd = open("/dev/console", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void mount_filesystems(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
}

/* cmdline_value("sea.cell=") returns the value of that parameter, or NULL. */
static char *cmdline_value(const char *key)
{
	static char cmdline[4096];
	char *p, *end;
	FILE *f;

	if (!cmdline[0]) {
		f = fopen("/proc/cmdline", "r");
		if (!f)
			return NULL;
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	p = strstr(cmdline, key);
	if (!p)
		return NULL;
	p += strlen(key);
	end = p + strcspn(p, " \n");
	return strndup(p, end - p);
}

/* Prints what /etc/provenance says of the source of the program at PATH, if anything. */
static void print_provenance(const char *path)
{
	char line[512];
	size_t len = strlen(path);
	FILE *f = fopen("/etc/provenance", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, path, len) && line[len] == ' ')
			console_printf("# source: %s", line + len + 1);
	fclose(f);
}

static void load_tests(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f) {
		console_printf("Bail out! cannot open %s: %s\n", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) && nr_tests < MAX_TESTS) {
		struct test *t = &tests[nr_tests];
		char *save, *tok;
		int argc = 0;

		line[strcspn(line, "\n")] = '\0';
		tok = strtok_r(line, " \t", &save);
		if (!tok)
			continue;
		t->name = strdup(tok);
		tok = strtok_r(NULL, " \t", &save);
		if (tok && !strcmp(tok, "skip")) {
			t->skip_reason = strdup(save ? save : "");
			nr_tests++;
			continue;
		}
		/*
		 * "120!~": 120 seconds; "!" (a skip fails the test) is the verdict's
		 * business, "~" lets the test leave poison behind.
		 */
		t->timeout = tok ? atoi(tok) : 0;
		t->may_leave_poison = tok && strchr(tok, '~');
		while ((tok = strtok_r(NULL, " \t", &save)) && argc < MAX_ARGS)
			t->argv[argc++] = strdup(tok);
		if (t->timeout <= 0 || !argc) {
			console_printf("Bail out! malformed entry for %s in %s\n", t->name, path);
			continue;
		}
		nr_tests++;
	}
	fclose(f);
}

/*
 * Copy the child's output to the console, each line prefixed with "# ".
 * Returns what read() returned: 0 at end of file.
 */
static ssize_t relay_output(int fd, int *at_line_start)
{
	char buf[512];
	ssize_t n, i;

	n = read(fd, buf, sizeof(buf));
	for (i = 0; i < n; i++) {
		if (*at_line_start)
			fputs("# ", stdout);
		putchar(buf[i]);
		*at_line_start = buf[i] == '\n';
	}
	fflush(stdout);
	return n;
}

static volatile sig_atomic_t alarm_fired;

static void on_alarm(int sig)
{
	alarm_fired = 1;
}

/* Returns the wait status, or -1 on timeout (the whole process group is killed). */
static int run_one(struct test *t, double *seconds)
{
	struct timespec start, end;
	int pipefd[2], status = 0, at_line_start = 1;
	pid_t pid;

	if (pipe(pipefd))
		return -2;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(t->argv[0], t->argv);
		fprintf(stderr, "exec %s: %s\n", t->argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -2;
	}
	setpgid(pid, pid);

	alarm_fired = 0;
	alarm(t->timeout);
	for (;;) {
		/* A bounded wait: the alarm may fire just before select() starts. */
		struct timeval tick = { .tv_sec = 1 };
		fd_set rfds;

		FD_ZERO(&rfds);
		FD_SET(pipefd[0], &rfds);
		if (alarm_fired)
			break;
		if (select(pipefd[0] + 1, &rfds, NULL, NULL, &tick) > 0 &&
		    relay_output(pipefd[0], &at_line_start) == 0)
			break;
	}
	/*
	 * The test may have closed its output and still run: the alarm stays
	 * armed until it has exited, and kills it if it fires first.
	 */
	while (!alarm_fired && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	alarm(0);
	if (alarm_fired) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		status = -1;
	}
	if (!at_line_start)
		putchar('\n');
	close(pipefd[0]);
	clock_gettime(CLOCK_MONOTONIC, &end);
	*seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
	return status;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	const char *no_injector = NULL;
	char *cell;
	int have_injector;
	int i;

	setup_console();
	mount_filesystems();
	sigaction(SIGALRM, &sa, NULL);
	setenv("PATH", "/bin:/kvm:/kvm/arm64", 1);

	cell = cmdline_value("sea.cell=");
	load_tests("/etc/tests.list");

	have_injector = !mei_open(&no_injector);

	console_printf("KTAP version 1\n");
	console_printf("# sea-platform L1: cell %s, %d tests\n", cell ? cell : "unnamed", nr_tests);
	console_printf("# memory error injector: %s\n", have_injector ? "present" : no_injector);
	console_printf("1..%d\n", nr_tests);
	for (i = 0; i < nr_tests; i++) {
		struct test *t = &tests[i];
		double seconds = 0;
		uint32_t leaked;
		int status;

		if (t->skip_reason) {
			console_printf("ok %d %s # SKIP %s\n", i + 1, t->name, t->skip_reason);
			continue;
		}
		console_printf("# running %s (timeout %ds)\n", t->name, t->timeout);
		for (int a = 0; t->argv[a]; a++)
			print_provenance(t->argv[a]);
		status = run_one(t, &seconds);
		leaked = have_injector ? mei_read(MEI_REG_COUNT) : 0;
		if (have_injector && mei_read(MEI_REG_FLAGS))
			mei_set_flags(0);
		if (leaked)
			mei_clear_all();
		if (leaked && t->may_leave_poison)
			console_printf("# %s left %u poisoned granules behind, as its list entry allows (~): cleared\n",
				       t->name, leaked);
		if (leaked && !t->may_leave_poison)
			console_printf("not ok %d %s # left %u poisoned granules behind\n", i + 1, t->name, leaked);
		else if (status == -1)
			console_printf("not ok %d %s # TIMEOUT after %ds\n", i + 1, t->name, t->timeout);
		else if (status < 0)
			console_printf("not ok %d %s # could not start\n", i + 1, t->name);
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			console_printf("ok %d %s # time=%.1fs\n", i + 1, t->name, seconds);
		else if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP)
			console_printf("ok %d %s # SKIP exit code 4 (see the test's output above)\n", i + 1, t->name);
		else if (WIFEXITED(status))
			console_printf("not ok %d %s # exit=%d\n", i + 1, t->name, WEXITSTATUS(status));
		else
			console_printf("not ok %d %s # killed by signal %d\n", i + 1, t->name, WTERMSIG(status));
	}
	console_printf("# sea-platform L1: done\n");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
