/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's physical memory map and boot layout: the one place that says
 * where things are (a subset of QEMU's virt board, so that it reads familiar).
 * The device tree (dt.c) tells the guest; the demo guest reads it from there.
 */
#ifndef SEAVMM_LAYOUT_H
#define SEAVMM_LAYOUT_H

#define GIC_DIST_BASE		0x08000000UL
#define GIC_DIST_SIZE		0x00010000UL
#define GIC_REDIST_BASE		0x080a0000UL
#define GIC_REDIST_SIZE_PER_CPU	0x00020000UL
#define GIC_NR_IRQS		128	/* SGIs, PPIs and 96 SPIs */

#define UART_BASE		0x09000000UL
#define UART_SIZE		0x00001000UL
#define UART_SPI		1	/* GIC INTID 33 */
#define UART_CLOCK_HZ		1843200

#define CONTROL_BASE		0x0a000000UL	/* the demo's control device */
#define CONTROL_SIZE		0x00001000UL
#define MEMERR_CHANNEL_BASE	0x0a001000UL	/* memory errors, VMM to guest */
#define MEMERR_CHANNEL_SIZE	0x00001000UL

#define RAM_BASE		0x40000000UL
#define KERNEL_OFFSET		0x00200000UL	/* 2M-aligned, as the arm64 boot protocol asks */
#define DTB_MAX_SIZE		0x00200000UL	/* in the last 2M of RAM: may not cross a 2M boundary */
#define GUEST_PAGE_SIZE		4096UL		/* the granule the VMM tracks poison in */

#define MAX_VCPUS		8

#endif
