# sea-platform: arm64 KVM guest SEA recovery, proven under emulation.
#
#   make demo     the main job: boot the emulated RAS platform and show the recovery
#   make check    build everything and run the tests (VHE and nVHE); the CI command
#
# Each stage is a script in harness/ that caches by content, so the targets are
# phony and cheap to re-run: nothing is rebuilt when its inputs did not change.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.NOTPARALLEL:
.DEFAULT_GOAL := help

H := harness
export MODES ONLY LIST

.PHONY: help setup linux-tree qemu-tree kernel qemu guest check check-debug demo bench \
	check-bisect export-linux export-qemu clean distclean

help:
	@echo "make demo          boot the emulated RAS platform and run the SEA demo"
	@echo "make check         build and run every test in VHE and nVHE mode"
	@echo "                   (MODES='vhe nvhe', ONLY=substring, LIST=file)"
	@echo "make setup         install host packages and fetch the pinned sources"
	@echo "make kernel|qemu|guest   build one stage"
	@echo "make check-debug   the series' and robustness tests on a debug kernel"
	@echo "                   (lockdep, KASAN, UBSAN, kmemleak), VHE and nVHE"
	@echo "make bench         base vs series costs under -icount (build/bench.md)"
	@echo "make check-bisect  build every patch of the kernel series on its own"
	@echo "make export-linux  write build/linux's commits back to linux/patches"
	@echo "make export-qemu   write build/qemu's commits back to qemu/patches"
	@echo "make clean         remove build outputs but keep the trees and downloads"

setup:
	@$(H)/setup.sh

linux-tree: setup
	@$(H)/tree.sh apply linux

qemu-tree: setup
	@$(H)/tree.sh apply qemu

kernel: linux-tree
	@$(H)/build-kernel.sh

qemu: qemu-tree
	@$(H)/build-qemu.sh

guest: kernel
	@$(H)/build-guest.sh $(LIST)

check: kernel qemu guest
	@$(H)/check.sh

check-debug: kernel qemu
	@$(H)/build-kernel.sh debug
	@$(H)/build-guest.sh guest/debug.list
	@LIST=guest/debug.list FLAVOUR=debug $(H)/check.sh

demo: kernel qemu
	@$(H)/demo.sh

bench: kernel qemu
	@$(H)/bench.sh

check-bisect: kernel
	@$(H)/check-bisect.sh

export-linux:
	@$(H)/tree.sh export linux

export-qemu:
	@$(H)/tree.sh export qemu

clean:
	rm -rf build/kernel* build/qemu-build build/guest build/initramfs-* build/logs

# Removes the trees too: export their commits first.
distclean:
	rm -rf build
