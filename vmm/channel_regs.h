/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The memory-error channel ("seavmm,memory-errors" in the device tree): how
 * the VMM tells a device-tree guest which of its pages are poisoned, shared
 * by the VMM (channel.c) and the guest agent (l2/agent.c). An ACPI guest
 * learns the same from a GHES record instead.
 *
 * All registers are 64-bit, accessed as such:
 *
 *   0x00 GPA      RO  the oldest poisoned guest page the guest has not answered
 *                     for (page-aligned), or CHANNEL_NONE
 *   0x08 ANSWER   WO  the guest's answer for that page: its GPA, ORed with a
 *                     status in bits [11:0]: 0 the page is offline, else the
 *                     errno with which the guest failed to offline it
 *   0x10 PENDING  RO  pages waiting for an answer
 *   0x18 OFFLINED RO  pages the guest answered 0 for since this boot began
 *
 * An answer that does not name the page GPA shows, any other access width,
 * a write to a read-only register or an unknown offset is logged by the VMM
 * and otherwise ignored.
 */
#ifndef SEAVMM_CHANNEL_REGS_H
#define SEAVMM_CHANNEL_REGS_H

#define MEMERR_CHANNEL_COMPATIBLE	"seavmm,memory-errors"

#define CHANNEL_GPA		0x00
#define CHANNEL_ANSWER		0x08
#define CHANNEL_PENDING		0x10
#define CHANNEL_OFFLINED	0x18

#define CHANNEL_NONE		(~0ULL)
#define CHANNEL_STATUS_MASK	0xfffULL

#endif
