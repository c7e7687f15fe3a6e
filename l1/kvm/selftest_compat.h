/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated host's KVM programs build against the selftest library of
 * either kernel base. Where the two differ, these wrappers hide it:
 *  - 6.12 names exception classes ESR_EC_DABT and ESR_EC_IABT; 7.x uses
 *    <asm/esr.h>'s ESR_ELx_EC_DABT_CUR and ESR_ELx_EC_IABT_CUR;
 *  - 6.12's vcpu_get_reg() fills a pointer; 7.x's returns the value.
 * 7.x is recognised by <asm/esr.h>'s names, which 6.12's library lacks.
 */
#ifndef L1_KVM_SELFTEST_COMPAT_H
#define L1_KVM_SELFTEST_COMPAT_H

#include "kvm_util.h"
#include "processor.h"

#ifdef ESR_ELx_EC_DABT_CUR
#define L1_EC_DABT_CUR	ESR_ELx_EC_DABT_CUR
#define L1_EC_IABT_CUR	ESR_ELx_EC_IABT_CUR

static inline uint64_t l1_get_reg(struct kvm_vcpu *vcpu, uint64_t id)
{
	return vcpu_get_reg(vcpu, id);
}
#else
#define L1_EC_DABT_CUR	ESR_EC_DABT
#define L1_EC_IABT_CUR	ESR_EC_IABT

static inline uint64_t l1_get_reg(struct kvm_vcpu *vcpu, uint64_t id)
{
	uint64_t val;

	vcpu_get_reg(vcpu, id, &val);
	return val;
}
#endif

#endif /* L1_KVM_SELFTEST_COMPAT_H */
