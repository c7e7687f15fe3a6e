# sea-platform: arm64 KVM guest SEA recovery, proven under emulation.
#
#   make demo     the main job: boot the emulated RAS platform and show the recovery
#   make check    build everything and run every test in every cell of the matrix
#
# The targets are a thin front: harness/pipeline.sh owns the stage graph, and each
# stage caches on the content of its inputs, so re-running a target is cheap.
#
# Narrowing (make check, check-debug): BASES, MODES, PROFILES, ONLY; V=1 streams
# the consoles; RERUN=1 boots even the cells whose inputs are those of a passing
# run. The cells and their names are in harness/matrix.env.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.NOTPARALLEL:

P := harness/pipeline.sh
export BASES MODES PROFILES ONLY V RERUN

# make demo: the matrix's DEMO_BASE, vhe, on both platform modes: kernel first
# (dt: KVM_EXIT_ARM_SEA) and firmware first (ghes: SIGBUS BUS_MCEERR_AR).
BASE ?= $(shell . harness/matrix.env && echo $$DEMO_BASE)
MODE ?= vhe
PROFILE ?= dt ghes
LIST ?= check

.PHONY: help setup qemu trees kernels check check-debug check-harness demo bench \
	check-bisect check-pristine export clean distclean

help:
	@echo "make demo           boot the emulated RAS platform and run the reference VMM's scenario,"
	@echo "                    kernel first (dt) and firmware first (ghes)"
	@echo "                    (BASE=lts|mainline MODE=vhe|nvhe|nested PROFILE='dt ghes'|dt|ghes|acpi)"
	@echo "make check          the harness's own tests, then every test in every cell"
	@echo "                    (narrow: BASES='lts' MODES='vhe' PROFILES='dt' ONLY=substring LIST=name)"
	@echo "make check-debug    the series' and robustness tests on a debug kernel (lockdep, KASAN, UBSAN, kmemleak)"
	@echo "make check-harness  only the harness's own tests (verdict fixtures, bad input, shellcheck)"
	@echo "make check-bisect   build every patch of a kernel queue on its own (BASE=mainline|lts)"
	@echo "make check-pristine the proof table: the fixes' tests on the pristine base and with the queue (BASE=mainline)"
	@echo "make bench          the SEA path's costs under -icount, pristine vs series (BASE=mainline|lts)"
	@echo "make setup|qemu|trees|kernels   one stage (BASES narrows)"
	@echo "make export TREE=mainline|lts|qemu   write a tree's commits back to its queue"
	@echo "make clean          remove build outputs but keep the trees and downloads"
	@echo "V=1 streams the emulated host's console; RERUN=1 boots cells whose passing results make check would reuse."

setup qemu trees kernels:
	@$(P) $@

check:
	@$(P) check check $(LIST)

check-debug:
	@$(P) check check-debug debug debug

check-harness:
	@$(P) harness-tests

demo:
	@$(P) demo "$(BASE)" "$(MODE)" "$(PROFILE)"

bench:
	@$(P) bench $(BASE)

check-bisect:
	@$(P) bisect $(BASE)

check-pristine:
	@$(P) pristine $(if $(filter file,$(origin BASE)),mainline,$(BASE))

export:
	@$(P) export $(TREE)

clean:
	rm -rf build/runs build/qemu-build build/*/kernel* build/*/l1-* build/*/selftests* build/*/usr* build/*/kvm-* build/bench.md

# Removes the trees too: export their commits first.
distclean:
	rm -rf build
