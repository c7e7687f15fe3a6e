// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel at RAM_BASE + 2M (+ text_offset), the DTB in the last 2M of RAM,
 * the initramfs right below it. Loaded for every boot: the images come back
 * fresh; the rest of RAM is whatever the previous boot left there (with its
 * poisoned pages already replaced: memerr_reset()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "dt.h"

/* arm64 Image header (Documentation/arch/arm64/booting.rst) */
struct arm64_image_header {
	uint32_t code0, code1;
	uint64_t text_offset;
	uint64_t image_size;
	uint64_t flags;
	uint64_t res2, res3, res4;
	uint32_t magic;
	uint32_t res5;
};
#define ARM64_IMAGE_MAGIC 0x644d5241	/* "ARM\x64" */

/* Reads a whole file into guest RAM at gpa; its size, or -errno. */
static int64_t load_file(struct vm *vm, const char *path, uint64_t gpa, uint64_t limit)
{
	struct stat st;
	int64_t done = 0;
	void *dst;
	int fd, err;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		err = errno;
		fprintf(stderr, "seavmm: cannot read %s: %s\n", path, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	dst = gpa_to_hva(vm, gpa, st.st_size);
	if (!dst || (uint64_t)st.st_size > limit) {
		fprintf(stderr, "seavmm: %s (%lld bytes) does not fit in guest RAM; use a larger --memory\n",
			path, (long long)st.st_size);
		close(fd);
		return -EFBIG;
	}
	while (done < st.st_size) {
		ssize_t n = read(fd, (uint8_t *)dst + done, st.st_size - done);

		if (n <= 0) {
			fprintf(stderr, "seavmm: short read of %s\n", path);
			close(fd);
			return -EIO;
		}
		done += n;
	}
	close(fd);
	return done;
}

int boot_load(struct vm *vm)
{
	uint64_t ram_end = RAM_BASE + vm->ram_size, dtb_gpa, initrd_gpa, kernel_entry;
	struct arm64_image_header hdr;
	int64_t kernel_size, initrd_size;
	struct stat st;
	int err;

	kernel_size = load_file(vm, vm->opts->kernel, RAM_BASE + KERNEL_OFFSET, vm->ram_size / 2);
	if (kernel_size < 0)
		return kernel_size;
	if (kernel_size < (int64_t)sizeof(hdr))
		goto not_an_image;
	memcpy(&hdr, gpa_to_hva(vm, RAM_BASE + KERNEL_OFFSET, sizeof(hdr)), sizeof(hdr));
	if (hdr.magic != ARM64_IMAGE_MAGIC)
		goto not_an_image;
	if (hdr.text_offset) {
		/* Pre-3.17 kernels: the image must sit at text_offset from a 2M base. */
		kernel_size = load_file(vm, vm->opts->kernel, RAM_BASE + KERNEL_OFFSET + hdr.text_offset,
					vm->ram_size / 2);
		if (kernel_size < 0)
			return kernel_size;
	}
	kernel_entry = RAM_BASE + KERNEL_OFFSET + hdr.text_offset;

	dtb_gpa = ram_end - DTB_MAX_SIZE;
	if (stat(vm->opts->initrd, &st)) {
		err = errno;
		fprintf(stderr, "seavmm: cannot read %s: %s\n", vm->opts->initrd, strerror(err));
		return -err;
	}
	initrd_gpa = (dtb_gpa - st.st_size) & ~(GUEST_PAGE_SIZE - 1);
	if (st.st_size >= (off_t)(dtb_gpa - RAM_BASE) ||
	    initrd_gpa < kernel_entry + (hdr.image_size ? hdr.image_size : (uint64_t)kernel_size)) {
		fprintf(stderr, "seavmm: kernel and initramfs do not fit in %llu MiB; use a larger --memory\n",
			(unsigned long long)(vm->ram_size >> 20));
		return -EFBIG;
	}
	initrd_size = load_file(vm, vm->opts->initrd, initrd_gpa, dtb_gpa - initrd_gpa);
	if (initrd_size < 0)
		return initrd_size;

	err = dt_build(vm, gpa_to_hva(vm, dtb_gpa, DTB_MAX_SIZE), DTB_MAX_SIZE,
		       initrd_gpa, initrd_gpa + initrd_size);
	if (err)
		return err;

	err = vcpu_set_reg(&vm->vcpus[0], CORE_REG(regs.pc), kernel_entry);
	if (!err)
		err = vcpu_set_reg(&vm->vcpus[0], CORE_REG(regs.regs[0]), dtb_gpa);
	if (err)
		fprintf(stderr, "seavmm: KVM_SET_ONE_REG(boot registers): %s\n", strerror(-err));
	return err;

not_an_image:
	fprintf(stderr, "seavmm: %s is not an arm64 Image (no \"ARM\\x64\" magic)\n", vm->opts->kernel);
	return -ENOEXEC;
}
