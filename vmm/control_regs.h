/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The demo control device ("seavmm,control" in the device tree): its
 * registers and the demo's step numbers, shared by the VMM (control.c,
 * steps.c) and the demo guest (l2/demo.c). A test hook, not part of what a
 * VMM author copies. All registers are 64-bit:
 *
 *   0x00 POISON         WO  guest physical address to poison (through the
 *                           platform's memory error injector)
 *   0x08 STATUS         RO  0 ok, 1 not guest RAM, 2 memory error (the
 *                           injection failed, or the device read hit poison),
 *                           3 unaligned (a DEVICE_READ address must be a
 *                           multiple of 8, so that a read never spans pages)
 *   0x10 STEP_OK        WO  the guest observed step N as expected
 *   0x18 STEP_FAIL      WO  the guest observed step N go wrong
 *   0x20 BOOT           RO  1 on the first boot, 2 after the first restart, ...
 *   0x28 POISONED_INDEX WO  selects an entry of the VMM's poisoned-page list
 *   0x30 POISONED_GPA   RO  that entry's guest page, or ~0 past the end
 *   0x38 POISONED_COUNT RO  distinct guest pages poisoned so far
 *   0x40 DEVICE_READ    WO  the device reads 8 bytes of guest memory at this
 *                           guest physical address, as a DMA would
 *   0x48 DEVICE_DATA    RO  what it read
 *   0x50 MEMORY_ERRORS  RO  memory errors the VMM has handled (all paths)
 *
 * STATUS, POISONED_INDEX and DEVICE_DATA are per device, not per vCPU: the
 * demo guest uses the device from one process at a time.
 */
#ifndef SEAVMM_CONTROL_REGS_H
#define SEAVMM_CONTROL_REGS_H

#define CONTROL_COMPATIBLE	"seavmm,control"

#define CONTROL_POISON		0x00
#define CONTROL_STATUS		0x08
#define CONTROL_STEP_OK		0x10
#define CONTROL_STEP_FAIL	0x18
#define CONTROL_BOOT		0x20
#define CONTROL_POISONED_INDEX	0x28
#define CONTROL_POISONED_GPA	0x30
#define CONTROL_POISONED_COUNT	0x38
#define CONTROL_DEVICE_READ	0x40
#define CONTROL_DEVICE_DATA	0x48
#define CONTROL_MEMORY_ERRORS	0x50

/* STATUS after POISON or DEVICE_READ */
#define CONTROL_STATUS_OK		0
#define CONTROL_STATUS_NOT_RAM		1
#define CONTROL_STATUS_MEMORY_ERROR	2
#define CONTROL_STATUS_UNALIGNED	3

/* Steps of the demo scenario, reported by the guest or observed by the VMM. */
#define STEP_VICTIM_DATA	1
#define STEP_VICTIM_EXEC	2
#define STEP_KERNEL_CONSUMER	3
#define STEP_GUEST_RESTART	4
#define STEP_RESTART_CLEAN	5
#define STEP_THRESHOLD		6
#define STEP_VMM_SIGBUS		7
#define STEP_SECOND_CONSUMER	8
#define STEP_GUEST_OFFLINE	9
#define STEP_CHANNEL_ERROR	10
#define STEP_AGENT_TIMEOUT	11
#define STEP_AGENT_REJECTED	12
#define STEP_UNSAFE_ZEROES	13
#define NR_STEPS		14

#endif
