// SPDX-License-Identifier: GPL-2.0-only
/*
 * A minimal 16550 UART: what the Linux 8250 driver needs to print. Output goes
 * to the VMM's stdout a line at a time, so that it never splits a JSON event.
 * Transmission is instant, so the only interrupt is "transmitter holding
 * register empty" (THRI), on SPI 1; there is no input.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <libfdt.h>

#include "uart.h"

#define UART_RX_TX	0
#define UART_IER	1
#define UART_IIR_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_THRI	0x02
#define LCR_DLAB	0x80
#define LSR_THRE_TEMT	0x60
#define MSR_DCD_DSR_CTS	0xb0
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_FIFO	0xc0

static struct {
	pthread_mutex_t lock;
	uint8_t regs[8];
	uint8_t dll, dlm;
	bool thri_pending;	/* THR empty, not yet acknowledged by reading IIR */
	bool irq_level;
	char line[512];
	size_t len;
} uart = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The new VM's interrupt line starts low, and so does the UART's. */
void uart_reset(void)
{
	pthread_mutex_lock(&uart.lock);
	memset(uart.regs, 0, sizeof(uart.regs));
	uart.thri_pending = false;
	uart.irq_level = false;
	pthread_mutex_unlock(&uart.lock);
}

static void update_irq(struct vm *vm)
{
	bool level = (uart.regs[UART_IER] & IER_THRI) && uart.thri_pending;
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32 + UART_SPI),
		.level = level,
	};

	if (level == uart.irq_level)
		return;
	uart.irq_level = level;
	ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

static void flush_line(void)
{
	flockfile(stdout);
	fwrite(uart.line, 1, uart.len, stdout);
	fflush(stdout);
	funlockfile(stdout);
	uart.len = 0;
}

static void put_char(char c)
{
	if (c == '\r')
		return;
	/* Only the VMM's JSON events start a line with '{': a guest cannot fake one. */
	if (c == '{' && uart.len == 0)
		uart.line[uart.len++] = ' ';
	uart.line[uart.len++] = c;
	/* A guest line too long for the buffer is cut: each part is a line of its own. */
	if (c != '\n' && uart.len == sizeof(uart.line) - 1) {
		c = '\n';
		uart.line[uart.len++] = c;
	}
	if (c == '\n')
		flush_line();
}

int uart_dt_props(void *fdt)
{
	return fdt_property_u32(fdt, "clock-frequency", UART_CLOCK_HZ);
}

void uart_flush(void)
{
	pthread_mutex_lock(&uart.lock);
	if (uart.len)
		put_char('\n');
	pthread_mutex_unlock(&uart.lock);
}

void uart_mmio(struct vm *vm, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	bool dlab;

	if (offset >= 8) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&uart.lock);
	dlab = uart.regs[UART_LCR] & LCR_DLAB;
	if (is_write) {
		if (offset == UART_RX_TX && dlab) {
			uart.dll = data[0];
		} else if (offset == UART_IER && dlab) {
			uart.dlm = data[0];
		} else if (offset == UART_RX_TX) {
			put_char(data[0]);
			/* Sent at once: the holding register is empty again. */
			uart.thri_pending = true;
		} else {
			/* Enabling THRI with the register empty raises it. */
			if (offset == UART_IER && (data[0] & ~uart.regs[UART_IER] & IER_THRI))
				uart.thri_pending = true;
			uart.regs[offset] = data[0];
		}
	} else {
		memset(data, 0, len);
		switch (offset) {
		case UART_RX_TX:
			data[0] = dlab ? uart.dll : 0;
			break;
		case UART_IER:
			data[0] = dlab ? uart.dlm : uart.regs[UART_IER];
			break;
		case UART_IIR_FCR:
			/* Reading IIR acknowledges the THRI it reports. */
			if ((uart.regs[UART_IER] & IER_THRI) && uart.thri_pending) {
				data[0] = IIR_THRI;
				uart.thri_pending = false;
			} else {
				data[0] = IIR_NO_INT;
			}
			data[0] |= (uart.regs[UART_IIR_FCR] & 1) ? IIR_FIFO : 0;
			break;
		case UART_LSR:
			data[0] = LSR_THRE_TEMT;
			break;
		case UART_MSR:
			data[0] = MSR_DCD_DSR_CTS;
			break;
		default:
			data[0] = uart.regs[offset];
			break;
		}
	}
	update_irq(vm);
	pthread_mutex_unlock(&uart.lock);
}
