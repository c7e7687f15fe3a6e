// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's device tree, built at every boot with libfdt's sequential-write
 * API (libfdt from the kernel tree's scripts/dtc/libfdt). The devices come
 * from the device table (devices.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "devices.h"
#include "dt.h"

/* Architected timer PPIs: secure, non-secure, virtual, hypervisor. */
static const uint32_t timer_ppis[] = { 13, 14, 11, 10 };

static int fdt_reg64(void *fdt, uint64_t addr, uint64_t size)
{
	fdt64_t cells[2] = { cpu_to_fdt64(addr), cpu_to_fdt64(size) };

	return fdt_property(fdt, "reg", cells, sizeof(cells));
}

static int add_cpus(void *fdt, int nr)
{
	int err = 0, i;

	err |= fdt_begin_node(fdt, "cpus");
	err |= fdt_property_u32(fdt, "#address-cells", 1);
	err |= fdt_property_u32(fdt, "#size-cells", 0);
	for (i = 0; i < nr; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cpu@%d", i);
		err |= fdt_begin_node(fdt, name);
		err |= fdt_property_string(fdt, "device_type", "cpu");
		err |= fdt_property_string(fdt, "compatible", "arm,arm-v8");
		err |= fdt_property_string(fdt, "enable-method", "psci");
		err |= fdt_property_u32(fdt, "reg", i);
		err |= fdt_end_node(fdt);
	}
	err |= fdt_end_node(fdt);
	return err;
}

static int add_gic_and_timer(void *fdt, int nr_cpus)
{
	fdt64_t gic_reg[] = {
		cpu_to_fdt64(GIC_DIST_BASE), cpu_to_fdt64(GIC_DIST_SIZE),
		cpu_to_fdt64(GIC_REDIST_BASE), cpu_to_fdt64(GIC_REDIST_SIZE_PER_CPU * nr_cpus),
	};
	fdt32_t timer_irqs[12];
	char node[32];
	int err = 0, i;

	snprintf(node, sizeof(node), "intc@%lx", GIC_DIST_BASE);
	err |= fdt_begin_node(fdt, node);
	err |= fdt_property_string(fdt, "compatible", "arm,gic-v3");
	err |= fdt_property_u32(fdt, "#interrupt-cells", 3);
	err |= fdt_property(fdt, "interrupt-controller", NULL, 0);
	err |= fdt_property(fdt, "reg", gic_reg, sizeof(gic_reg));
	err |= fdt_property_u32(fdt, "phandle", GIC_PHANDLE);
	err |= fdt_end_node(fdt);

	for (i = 0; i < 4; i++) {
		timer_irqs[3 * i] = cpu_to_fdt32(GIC_PPI);
		timer_irqs[3 * i + 1] = cpu_to_fdt32(timer_ppis[i]);
		timer_irqs[3 * i + 2] = cpu_to_fdt32(IRQ_TYPE_LEVEL_LOW);
	}
	err |= fdt_begin_node(fdt, "timer");
	err |= fdt_property_string(fdt, "compatible", "arm,armv8-timer");
	err |= fdt_property(fdt, "interrupts", timer_irqs, sizeof(timer_irqs));
	err |= fdt_property(fdt, "always-on", NULL, 0);
	err |= fdt_end_node(fdt);
	return err;
}

static void node_name(char *buf, size_t size, const struct device *dev)
{
	snprintf(buf, size, "%s@%llx", dev->name, (unsigned long long)dev->base);
}

static int add_device(void *fdt, const struct device *dev)
{
	const fdt32_t irq[] = {
		cpu_to_fdt32(GIC_SPI), cpu_to_fdt32(dev->spi), cpu_to_fdt32(IRQ_TYPE_LEVEL_HIGH),
	};
	char node[64];
	int err = 0;

	node_name(node, sizeof(node), dev);
	err |= fdt_begin_node(fdt, node);
	err |= fdt_property_string(fdt, "compatible", dev->compatible);
	err |= fdt_reg64(fdt, dev->base, dev->size);
	if (dev->spi >= 0)
		err |= fdt_property(fdt, "interrupts", irq, sizeof(irq));
	if (dev->dt_props)
		err |= dev->dt_props(fdt);
	err |= fdt_end_node(fdt);
	return err;
}

int dt_build(struct vm *vm, void *buf, size_t size, uint64_t initrd_start, uint64_t initrd_end)
{
	static const char psci_compat[] = "arm,psci-1.0\0arm,psci-0.2";
	const struct device *console = device_at(UART_BASE);
	char node[64], stdout_path[80];
	void *fdt = buf;
	size_t i;
	int err = 0;

	node_name(node, sizeof(node), console);
	snprintf(stdout_path, sizeof(stdout_path), "/%s", node);
	err |= fdt_create(fdt, size);
	err |= fdt_finish_reservemap(fdt);
	err |= fdt_begin_node(fdt, "");
	err |= fdt_property_string(fdt, "compatible", "linux,dummy-virt");
	err |= fdt_property_u32(fdt, "#address-cells", 2);
	err |= fdt_property_u32(fdt, "#size-cells", 2);
	err |= fdt_property_u32(fdt, "interrupt-parent", GIC_PHANDLE);

	err |= fdt_begin_node(fdt, "chosen");
	err |= fdt_property_string(fdt, "bootargs", vm->opts->cmdline);
	err |= fdt_property_u64(fdt, "linux,initrd-start", initrd_start);
	err |= fdt_property_u64(fdt, "linux,initrd-end", initrd_end);
	err |= fdt_property_string(fdt, "stdout-path", stdout_path);
	err |= fdt_end_node(fdt);

	snprintf(node, sizeof(node), "memory@%lx", RAM_BASE);
	err |= fdt_begin_node(fdt, node);
	err |= fdt_property_string(fdt, "device_type", "memory");
	err |= fdt_reg64(fdt, RAM_BASE, vm->ram_size);
	err |= fdt_end_node(fdt);

	err |= add_cpus(fdt, vm->opts->vcpus);

	err |= fdt_begin_node(fdt, "psci");
	err |= fdt_property(fdt, "compatible", psci_compat, sizeof(psci_compat));
	err |= fdt_property_string(fdt, "method", "hvc");
	err |= fdt_end_node(fdt);

	err |= add_gic_and_timer(fdt, vm->opts->vcpus);
	for (i = 0; i < nr_devices; i++)
		err |= add_device(fdt, &devices[i]);

	err |= fdt_end_node(fdt);
	err |= fdt_finish(fdt);
	if (err) {
		fprintf(stderr, "seavmm: building the device tree failed\n");
		return -ENOSPC;
	}
	return 0;
}
