/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The "seavmm,control" device's registers and the demo's step numbers,
 * shared by the VMM (control.c) and the demo guest (l2/demo.c).
 * All registers are 64-bit; see control.c for what each does.
 */
#ifndef SEAVMM_CONTROL_REGS_H
#define SEAVMM_CONTROL_REGS_H

#define CONTROL_POISON		0x00
#define CONTROL_STATUS		0x08
#define CONTROL_STEP_OK		0x10
#define CONTROL_STEP_FAIL	0x18
#define CONTROL_BOOT		0x20
#define CONTROL_RETIRED_INDEX	0x28
#define CONTROL_RETIRED_GPA	0x30
#define CONTROL_RETIRED_COUNT	0x38
#define CONTROL_DEVICE_READ	0x40
#define CONTROL_DEVICE_DATA	0x48

/* STATUS after POISON or DEVICE_READ */
#define CONTROL_STATUS_OK		0
#define CONTROL_STATUS_NOT_RAM		1
#define CONTROL_STATUS_MEMORY_ERROR	2

/* Steps of the demo scenario, reported by the guest or observed by the VMM. */
#define STEP_VICTIM_DATA	1
#define STEP_VICTIM_EXEC	2
#define STEP_KERNEL_CONSUMER	3
#define STEP_GUEST_RESTART	4
#define STEP_RESTART_CLEAN	5
#define STEP_THRESHOLD		6
#define STEP_VMM_SIGBUS		7

#endif
