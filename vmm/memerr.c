// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the VMM does about a poisoned guest page. The policy is data safety:
 * no guest page is ever given new memory while the guest runs.
 *
 *  - The host page stays poisoned. If the host kernel's memory-failure
 *    handling does not have it yet (the kernel-first path: KVM only reported
 *    the SEA), the VMM hands it over with MADV_HWPOISON: the host never
 *    reuses it, and the VMM's mapping of it now faults.
 *  - So every later access by the guest, from any process, comes back to the
 *    VMM as a SIGBUS BUS_MCEERR_AR from KVM_RUN (sea.c) and goes back to the
 *    guest as an abort, like the first: whoever reads the page next is
 *    stopped with an error, never fed zeroes where its data was.
 *  - The guest is told the page's address (channel.c), so that its kernel
 *    takes the page out of use for good: kills or drops its users, and never
 *    hands it out again.
 *  - Clean memory goes behind the page only at guest reset, before the new
 *    boot runs (memerr_reset()): nothing in the new boot can remember the old
 *    contents.
 *  - At the threshold of distinct poisoned pages the VM stops with its
 *    report: the point where a real VMM would migrate or restart the guest.
 *
 * --replace-early gives the page fresh memory at once instead, while the
 * guest runs: any other user of the page then reads zeroes, silently.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "channel.h"
#include "log.h"
#include "memerr.h"
#include "sigbus.h"

#define MAX_PAGES	1024

enum host_page {
	HOST_POISONED,		/* the host's memory-failure handling has it */
	HOST_KEPT,		/* MADV_HWPOISON failed: still mapped, never touched by the VMM */
	HOST_REPLACED,		/* --replace-early: fresh memory behind it while the guest runs */
	HOST_CLEAN,		/* fresh memory since a guest reset */
};

struct page {
	uint64_t gpa;
	enum host_page state;
};

static struct {
	pthread_mutex_t lock;
	long host_page_size;
	uint8_t *quarantine;	/* HOST_KEPT pages are moved here at reset, never freed */
	int nr_quarantined;
	struct page pages[MAX_PAGES];
	int nr_pages;
	uint64_t count;
} memerr = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const char *const path_names[] = {
	[MEMERR_KERNEL_FIRST] = "kernel-first",
	[MEMERR_FIRMWARE_FIRST] = "firmware-first",
};

void memerr_init(void)
{
	memerr.host_page_size = sysconf(_SC_PAGESIZE);
	memerr.quarantine = mmap(NULL, MAX_PAGES * memerr.host_page_size, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (memerr.quarantine == MAP_FAILED)
		memerr.quarantine = NULL;
}

static uint8_t *host_page_of(struct vm *vm, uint64_t gpa)
{
	uint8_t *hva = gpa_to_hva(vm, gpa, 1);

	return (uint8_t *)((uintptr_t)hva & ~(uintptr_t)(memerr.host_page_size - 1));
}

static struct page *find_page(uint64_t gpa)
{
	int i;

	for (i = 0; i < memerr.nr_pages; i++)
		if (memerr.pages[i].gpa == gpa)
			return &memerr.pages[i];
	return NULL;
}

struct madvise_op {
	void *addr;
	size_t len;
	int err;
};

static void hwpoison(void *arg)
{
	struct madvise_op *op = arg;

	op->err = madvise(op->addr, op->len, MADV_HWPOISON) ? errno : 0;
}

/* Hands the host page to memory-failure; 0 or the errno of MADV_HWPOISON. */
static int hand_to_memory_failure(uint8_t *host_page)
{
	struct madvise_op op = { .addr = host_page, .len = memerr.host_page_size };
	siginfo_t info;

	/*
	 * memory-failure tells the calling thread that its mapping is gone with
	 * a BUS_MCEERR_AR: expected, and proof that the page was taken.
	 */
	if (!sigbus_guarded(hwpoison, &op, &info))
		return 0;
	return op.err;
}

/* Fresh zeroed memory at the page's address; false if it could not be mapped. */
static bool map_fresh(uint8_t *host_page)
{
	return mmap(host_page, memerr.host_page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED;
}

/*
 * Makes sure the host never reuses the page; says what happened, for the
 * event. Called with the lock held, for a page newly poisoned.
 */
static const char *retire(struct vm *vm, struct page *p, const struct memerr_report *r,
			  char *buf, size_t size)
{
	uint8_t *host_page = host_page_of(vm, p->gpa);
	int err;

	if (r->path == MEMERR_FIRMWARE_FIRST) {
		p->state = HOST_POISONED;
		snprintf(buf, size, "poisoned by the host's memory-failure handling");
	} else if (!(err = hand_to_memory_failure(host_page))) {
		p->state = HOST_POISONED;
		snprintf(buf, size, "handed to the host's memory-failure handling (MADV_HWPOISON)");
	} else {
		/* No CAP_SYS_ADMIN or no CONFIG_MEMORY_FAILURE: unmapping would free it. */
		p->state = HOST_KEPT;
		snprintf(buf, size, "MADV_HWPOISON failed (%s): kept mapped and untouched until reset",
			 strerror(err));
	}
	if (!vm->opts->replace_early)
		return buf;
	if (p->state == HOST_KEPT) {
		snprintf(buf, size, "MADV_HWPOISON failed: cannot be replaced early, kept until reset");
		return buf;
	}
	if (!map_fresh(host_page)) {
		vm_request_stop(vm, STOP_ERROR, "cannot map fresh memory at guest page 0x%llx",
				(unsigned long long)p->gpa);
		return "replacing it failed";
	}
	p->state = HOST_REPLACED;
	strncat(buf, "; replaced with zeroed memory while the guest runs (--replace-early)",
		size - strlen(buf) - 1);
	return buf;
}

void memerr_page_poisoned(struct vm *vm, const struct memerr_report *r)
{
	uint64_t gpa = r->gpa & ~(GUEST_PAGE_SIZE - 1), count;
	const char *page = "unknown", *host = "unknown (no guest physical address)";
	const char *told = "no: the address is unknown";
	char host_buf[160];
	struct page *p = NULL;
	int distinct;

	pthread_mutex_lock(&memerr.lock);
	count = ++memerr.count;
	if (r->gpa_valid && gpa_to_hva(vm, gpa, GUEST_PAGE_SIZE)) {
		p = find_page(gpa);
		if (p && (p->state == HOST_POISONED || p->state == HOST_KEPT)) {
			page = "known";
			host = "already poisoned";
			told = "already told";
		} else if (!p && memerr.nr_pages == MAX_PAGES) {
			host = "not recorded: the VMM's page table is full";
			told = "no";
		} else {
			page = p ? "poisoned again" : "new";
			if (!p) {
				p = &memerr.pages[memerr.nr_pages++];
				p->gpa = gpa;
			}
			host = retire(vm, p, r, host_buf, sizeof(host_buf));
			told = channel_notify(gpa) ? "queued for the guest agent" :
			       "no: the channel's queue is full";
		}
	} else if (r->gpa_valid) {
		host = "none: not guest RAM";
		told = "no";
	}
	distinct = memerr.nr_pages;
	pthread_mutex_unlock(&memerr.lock);

	event("memory-error", ",\"path\":\"%s\",\"access\":\"%s\",\"vcpu\":%d,\"guest_el\":%d,"
	      "\"gpa\":\"0x%llx\",\"gpa_valid\":%s,\"page\":\"%s\","
	      "\"host_page\":\"%s\",\"guest_told\":\"%s\"%s,\"injected\":\"%s\","
	      "\"count\":%llu,\"distinct_pages\":%d",
	      path_names[r->path], r->access, r->vcpu, r->guest_el, (unsigned long long)r->gpa,
	      r->gpa_valid ? "true" : "false", page, host, told,
	      r->syndrome, r->injected, (unsigned long long)count, distinct);

	if (distinct >= vm->opts->threshold)
		vm_request_stop(vm, STOP_THRESHOLD, "%d distinct guest pages poisoned (threshold %d)",
				distinct, vm->opts->threshold);
}

bool memerr_page_replaced(uint64_t gpa)
{
	struct page *p;
	bool replaced;

	pthread_mutex_lock(&memerr.lock);
	p = find_page(gpa & ~(GUEST_PAGE_SIZE - 1));
	replaced = p && p->state == HOST_REPLACED;
	pthread_mutex_unlock(&memerr.lock);
	return replaced;
}

int memerr_reset(struct vm *vm)
{
	char list[MAX_PAGES * 22 + 1] = "";
	int i, replaced = 0;
	size_t len = 0;

	pthread_mutex_lock(&memerr.lock);
	for (i = 0; i < memerr.nr_pages; i++) {
		struct page *p = &memerr.pages[i];
		uint8_t *host_page = host_page_of(vm, p->gpa);

		if (p->state != HOST_POISONED && p->state != HOST_KEPT)
			continue;
		if (p->state == HOST_KEPT &&
		    (!memerr.quarantine || memerr.nr_quarantined == MAX_PAGES ||
		     mremap(host_page, memerr.host_page_size, memerr.host_page_size,
			    MREMAP_MAYMOVE | MREMAP_FIXED,
			    memerr.quarantine + memerr.nr_quarantined * memerr.host_page_size) == MAP_FAILED))
			goto fail;
		if (p->state == HOST_KEPT)
			memerr.nr_quarantined++;
		if (!map_fresh(host_page))
			goto fail;
		p->state = HOST_CLEAN;
		replaced++;
		len += snprintf(list + len, sizeof(list) - len, "%s\"0x%llx\"", len ? "," : "",
				(unsigned long long)p->gpa);
	}
	pthread_mutex_unlock(&memerr.lock);
	event("pages-replaced", ",\"when\":\"guest reset, before the new boot\",\"count\":%d,"
	      "\"pages\":[%s]", replaced, list);
	return 0;
fail:
	pthread_mutex_unlock(&memerr.lock);
	fprintf(stderr, "seavmm: cannot give guest page 0x%llx clean memory at reset: %s\n",
		(unsigned long long)memerr.pages[i].gpa, strerror(errno));
	return -ENOMEM;
}

uint64_t memerr_count(void)
{
	uint64_t count;

	pthread_mutex_lock(&memerr.lock);
	count = memerr.count;
	pthread_mutex_unlock(&memerr.lock);
	return count;
}

int memerr_distinct_pages(void)
{
	int n;

	pthread_mutex_lock(&memerr.lock);
	n = memerr.nr_pages;
	pthread_mutex_unlock(&memerr.lock);
	return n;
}

bool memerr_page(int index, uint64_t *gpa)
{
	bool ok;

	pthread_mutex_lock(&memerr.lock);
	ok = index >= 0 && index < memerr.nr_pages;
	if (ok)
		*gpa = memerr.pages[index].gpa;
	pthread_mutex_unlock(&memerr.lock);
	return ok;
}
