// SPDX-License-Identifier: GPL-2.0-only
/*
 * seavmm - a reference VMM that keeps an arm64 Linux guest alive through
 * memory errors without ever feeding it zeroes where its data was. See
 * vmm/README.md.
 *
 *   seavmm --kernel IMAGE --initrd CPIO [options]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "devices.h"
#include "injector.h"
#include "log.h"
#include "memerr.h"
#include "run.h"
#include "sigbus.h"
#include "steps.h"
#include "uart.h"
#include "control_regs.h"

#define DEFAULT_CMDLINE "console=ttyS0 panic=-1 oops=panic"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: seavmm --kernel IMAGE --initrd CPIO [options]\n"
		"  --memory MiB         guest RAM (default 256, 64..4096)\n"
		"  --vcpus N            vCPUs (default 2, 1..%d)\n"
		"  --threshold N        stop the VM at N distinct poisoned pages (default 8, > 0)\n"
		"  --append ARGS        add to the guest kernel command line\n"
		"  --max-boots N        restarts allowed after guest resets, plus one (default 3)\n"
		"  --agent-timeout S    seconds the guest agent may take to answer for a page\n"
		"                       before the VMM reports it (default 10)\n"
		"  --replace-early      UNSAFE: give a poisoned page zeroed memory at once, while the\n"
		"                       guest runs, instead of at the next guest reset. Any other user\n"
		"                       of that guest page (the page cache, shared memory, a forked\n"
		"                       process) then silently reads zeroes instead of taking an error.\n"
		"  --expect STEPS       comma-separated steps that must be observed for exit status 0:\n"
		"                       victim-data, victim-exec, second-consumer, guest-offline,\n"
		"                       vmm-sigbus, kernel-consumer, guest-restart, restart-clean,\n"
		"                       threshold, channel-error, agent-timeout, agent-rejected,\n"
		"                       unsafe-zeroes\n",
		MAX_VCPUS);
}

/* Parses a whole decimal number in [min, max], or exits naming the option. */
static long parse_number(const char *opt, const char *arg, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		fprintf(stderr, "seavmm: --%s '%s' is invalid: give a whole number from %ld to %ld\n",
			opt, arg, min, max);
		exit(2);
	}
	return v;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "memory", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "threshold", required_argument, NULL, 't' },
		{ "append", required_argument, NULL, 'a' },
		{ "max-boots", required_argument, NULL, 'b' },
		{ "agent-timeout", required_argument, NULL, 'T' },
		{ "replace-early", no_argument, NULL, 'R' },
		{ "expect", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static char cmdline[1024];
	const char *append = NULL, *bad;
	size_t bad_len;
	int c;

	*o = (struct options){ .memory_mb = 256, .vcpus = 2, .threshold = 8, .max_boots = 3,
			       .agent_timeout = 10 };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'i': o->initrd = optarg; break;
		case 'm': o->memory_mb = parse_number("memory", optarg, 64, 4096); break;
		case 'c': o->vcpus = parse_number("vcpus", optarg, 1, MAX_VCPUS); break;
		case 't': o->threshold = parse_number("threshold", optarg, 1, 1024); break;
		case 'a': append = optarg; break;
		case 'b': o->max_boots = parse_number("max-boots", optarg, 1, 100); break;
		case 'T': o->agent_timeout = parse_number("agent-timeout", optarg, 1, 3600); break;
		case 'R': o->replace_early = true; break;
		case 'e': o->expect = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "seavmm: unexpected argument '%s'; see --help\n", argv[optind]);
		exit(2);
	}
	if (!o->kernel || !o->initrd) {
		fprintf(stderr, "seavmm: missing --%s: give the guest kernel Image and initramfs\n",
			o->kernel ? "initrd" : "kernel");
		exit(2);
	}
	if (access(o->kernel, R_OK) || access(o->initrd, R_OK)) {
		const char *missing = access(o->kernel, R_OK) ? o->kernel : o->initrd;

		fprintf(stderr, "seavmm: cannot read '%s': %s\n", missing, strerror(errno));
		exit(2);
	}
	if (o->expect && steps_parse(o->expect, &bad, &bad_len) < 0) {
		fprintf(stderr, "seavmm: --expect names unknown step '%.*s'; see --help for the steps\n",
			(int)bad_len, bad);
		exit(2);
	}
	if ((size_t)snprintf(cmdline, sizeof(cmdline), "%s%s%s", DEFAULT_CMDLINE, append ? " " : "",
			     append ? append : "") >= sizeof(cmdline)) {
		fprintf(stderr, "seavmm: --append is too long: the command line must fit in %zu bytes\n",
			sizeof(cmdline) - 1);
		exit(2);
	}
	o->cmdline = cmdline;
}

static const char *const stop_names[] = {
	[STOP_NONE] = "none", [STOP_POWER_OFF] = "power-off", [STOP_RESET] = "reset",
	[STOP_THRESHOLD] = "threshold", [STOP_ERROR] = "error",
};

/* The closing report: one JSON line; 0 if the run went as expected. */
static int report(struct vm *vm)
{
	const char *bad;
	size_t bad_len;
	int64_t expected = vm->opts->expect ? steps_parse(vm->opts->expect, &bad, &bad_len) : 0;
	char pages[1024 * 22 + 1] = "", steps[1024], detail[512];
	size_t len = 0;
	uint64_t gpa;
	bool ok;
	int i;

	for (i = 0; memerr_page(i, &gpa) && len + 24 < sizeof(pages); i++)
		len += snprintf(pages + len, sizeof(pages) - len, "%s\"0x%llx\"", i ? "," : "",
				(unsigned long long)gpa);
	ok = steps_report(expected, steps, sizeof(steps));
	ok &= vm->stop != STOP_ERROR && vm->stop != STOP_RESET;
	event("report", ",\"stop\":\"%s\",\"detail\":\"%s\",\"boots\":%d,\"memory_errors\":%llu,"
	      "\"distinct_pages\":%d,\"poisoned\":[%s],\"steps\":{%s},\"ok\":%s",
	      stop_names[vm->stop], json_escape(vm->stop_detail, detail, sizeof(detail)), vm->boot,
	      (unsigned long long)memerr_count(), memerr_distinct_pages(), pages, steps,
	      ok ? "true" : "false");
	return ok ? 0 : 1;
}

/* Boots the guest, again after each reset, until it stops for good. */
static void run_boots(struct vm *vm)
{
	for (vm->boot = 1;; vm->boot++) {
		devices_reset();
		if (vm_create(vm) || boot_load(vm)) {
			vm->stop = STOP_ERROR;
			snprintf(vm->stop_detail, sizeof(vm->stop_detail), "VM setup failed");
			vm_destroy(vm);
			return;
		}
		if (vm->boot == 1)
			event("start", ",\"vcpus\":%d,\"memory_mib\":%llu,\"sea_to_user\":%s,"
			      "\"inject_caps\":%d,\"threshold\":%d,\"replace_early\":%s%s",
			      vm->opts->vcpus, (unsigned long long)vm->opts->memory_mb,
			      vm->sea_to_user ? "true" : "false", vm->inject_caps, vm->opts->threshold,
			      vm->opts->replace_early ? "true" : "false",
			      vm->sea_to_user ? "" : ",\"note\":\"KVM_CAP_ARM_SEA_TO_USER is not "
			      "available: kernel-first errors end as SErrors in the guest, unseen here\"");
		run_vm(vm);
		vm_destroy(vm);
		uart_flush();
		if (vm->stop != STOP_RESET || vm->boot >= vm->opts->max_boots)
			return;
		if (memerr_reset(vm)) {
			vm->stop = STOP_ERROR;
			snprintf(vm->stop_detail, sizeof(vm->stop_detail), "clean memory at reset failed");
			return;
		}
		step_observed(STEP_GUEST_RESTART);
		event("restart", ",\"boot\":%d,\"poisoned_pages\":%d", vm->boot + 1,
		      memerr_distinct_pages());
	}
}

int main(int argc, char **argv)
{
	static struct vm vm = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct options opts;
	int status;

	parse_options(argc, argv, &opts);
	log_init();
	if (vm_init(&vm, &opts))
		return 2;
	sigbus_init();
	memerr_init();
	injector_init();
	run_boots(&vm);
	if (vm.stop == STOP_THRESHOLD)
		step_observed(STEP_THRESHOLD);
	status = report(&vm);
	injector_clear_all();
	return status;
}
