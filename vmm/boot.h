/* SPDX-License-Identifier: GPL-2.0-only */
/* Loading a boot into guest RAM: kernel Image, initramfs and device tree. */
#ifndef SEAVMM_BOOT_H
#define SEAVMM_BOOT_H

#include "vm.h"

/* 0 or -errno, with a message on stderr. */
int boot_load(struct vm *vm);

#endif
