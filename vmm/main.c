// SPDX-License-Identifier: GPL-2.0-only
/*
 * seavmm - a reference VMM that keeps an arm64 Linux guest alive through
 * memory errors. See vmm/README.md.
 *
 *   seavmm --kernel IMAGE --initrd CPIO [--memory MiB] [--vcpus N]
 *          [--threshold PAGES] [--append ARGS] [--max-boots N] [--expect STEPS]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"
#include "control_regs.h"

#define DEFAULT_CMDLINE "console=ttyS0 panic=-1 oops=panic"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: seavmm --kernel IMAGE --initrd CPIO [options]\n"
		"  --memory MiB      guest RAM (default 256, 64..4096)\n"
		"  --vcpus N         vCPUs (default 2, 1..%d)\n"
		"  --threshold N     stop the VM at N distinct poisoned pages (default 8, > 0)\n"
		"  --append ARGS     add to the guest kernel command line\n"
		"  --max-boots N     restarts allowed after guest resets, plus one (default 3)\n"
		"  --expect STEPS    comma-separated steps that must be observed for exit status 0:\n"
		"                    victim-data, victim-exec, vmm-sigbus, kernel-consumer,\n"
		"                    guest-restart, restart-clean, threshold\n", MAX_VCPUS);
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

static uint64_t parse_expect(const char *list)
{
	char *copy = strdup(list), *save = NULL, *name;
	uint64_t mask = 0;

	for (name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		int step = step_by_name(name);

		if (step < 0) {
			fprintf(stderr, "seavmm: --expect names unknown step '%s'; see --help for the steps\n",
				name);
			exit(2);
		}
		mask |= 1ULL << step;
	}
	free(copy);
	return mask;
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
		{ "expect", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static char cmdline[1024];
	const char *append = NULL;
	int c;

	*o = (struct options){ .memory_mb = 256, .vcpus = 2, .threshold = 8, .max_boots = 3 };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'i': o->initrd = optarg; break;
		case 'm': o->memory_mb = parse_number("memory", optarg, 64, 4096); break;
		case 'c': o->vcpus = parse_number("vcpus", optarg, 1, MAX_VCPUS); break;
		case 't': o->threshold = parse_number("threshold", optarg, 1, MAX_RETIRED); break;
		case 'a': append = optarg; break;
		case 'b': o->max_boots = parse_number("max-boots", optarg, 1, 100); break;
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
	if (o->expect)
		parse_expect(o->expect);
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

/* The closing report: one JSON line, then whether expectations were met. */
static int report(struct vm *vm)
{
	uint64_t expected = vm->opts->expect ? parse_expect(vm->opts->expect) : 0;
	uint64_t missing = expected & ~vm->steps_ok;
	char pages[MAX_RETIRED * 20 + 1] = "";
	char steps[512] = "", detail[512];
	size_t len = 0;
	int i, ok;

	for (i = 0; i < vm->retired_count && len + 24 < sizeof(pages); i++)
		len += snprintf(pages + len, sizeof(pages) - len, "%s\"0x%llx\"", i ? "," : "",
				(unsigned long long)vm->retired[i]);
	for (i = 1, len = 0; i < 64 && len + 64 < sizeof(steps); i++) {
		if (!((vm->steps_ok | vm->steps_failed | expected) >> i & 1))
			continue;
		len += snprintf(steps + len, sizeof(steps) - len, "%s\"%s\":\"%s\"", len ? "," : "",
				step_name(i), vm->steps_failed >> i & 1 ? "failed" :
				vm->steps_ok >> i & 1 ? "observed" : "missing");
	}
	ok = vm->stop != STOP_ERROR && vm->stop != STOP_RESET && !missing && !vm->steps_failed;
	event("report", ",\"stop\":\"%s\",\"detail\":\"%s\",\"boots\":%d,\"seas\":%llu,"
	      "\"distinct_pages\":%d,\"retired\":[%s],\"steps\":{%s},\"ok\":%s",
	      stop_names[vm->stop], json_escape(vm->stop_detail, detail, sizeof(detail)), vm->boot,
	      (unsigned long long)vm->sea_count, vm->retired_count, pages, steps,
	      ok ? "true" : "false");
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	static struct vm vm = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct options opts;
	int status;

	parse_options(argc, argv, &opts);
	vm.opts = &opts;
	vm.fd = vm.gic_fd = -1;
	vm.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm.kvm_fd < 0) {
		fprintf(stderr, "seavmm: cannot open /dev/kvm: %s (run on a KVM host, as root)\n",
			strerror(errno));
		return 2;
	}
	vm.ram_size = opts.memory_mb << 20;
	vm.ram = mmap(NULL, vm.ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm.ram == MAP_FAILED) {
		fprintf(stderr, "seavmm: cannot allocate %llu MiB of guest RAM\n",
			(unsigned long long)opts.memory_mb);
		return 2;
	}
	sea_init(MAX_RETIRED);

	for (vm.boot = 1;; vm.boot++) {
		vm.stop = STOP_NONE;
		vm.stop_detail[0] = '\0';
		if (vm_create(&vm) || vm_load_images(&vm)) {
			vm.stop = STOP_ERROR;
			snprintf(vm.stop_detail, sizeof(vm.stop_detail), "VM setup failed");
			vm_destroy(&vm);
			break;
		}
		if (vm.boot == 1)
			event("start", ",\"vcpus\":%d,\"memory_mib\":%llu,\"sea_to_user\":%s,"
			      "\"inject_caps\":%d,\"threshold\":%d%s",
			      opts.vcpus, (unsigned long long)opts.memory_mb,
			      vm.sea_to_user ? "true" : "false", vm.inject_caps, opts.threshold,
			      vm.sea_to_user ? "" : ",\"note\":\"KVM_CAP_ARM_SEA_TO_USER is not "
			      "available: guest SEAs end as SErrors in the guest, unseen by this VMM\"");
		vm_run(&vm);
		vm_destroy(&vm);
		uart_flush();
		if (vm.stop != STOP_RESET || vm.boot >= opts.max_boots)
			break;
		vm.steps_ok |= 1ULL << STEP_GUEST_RESTART;
		event("restart", ",\"boot\":%d,\"retired_pages\":%d", vm.boot + 1, vm.retired_count);
	}
	status = report(&vm);
	sea_clear_injected();
	return status;
}
