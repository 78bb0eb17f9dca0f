# SPDX-License-Identifier: GPL-2.0
#
# rloop top-level Makefile.  Kbuild (make -C $KDIR M=$PWD) reads ./Kbuild,
# not this file.  Every target installs what it needs first (tools/setup).
#
#   make            set up, build the test kernel (cached), build loop.ko
#   make run        ... boot the test VM, load rloop, short demo, lockdep verdict
#   make check      host unit tests, VM test suite, lockdep verdict
#   make stress     long variants (RLOOP_AUTOCLEAR_CYCLES=500 ...), lockdep verdict
#   make bench      rloop vs the C loop.ko vs raw file I/O, A/B in one boot; report,
#                   JSON/CSV and plot (QUICK=1: ~10 min; PUBLISH=1: also into
#                   Documentation/benchmarks.*; BENCH_OUT=<dir>; BENCH_ARGS=k=v...;
#                   BENCH_TIMEOUT=<s>: the VM's limit, 1500 quick, 18000 full)
#   make kernel     only the test kernel       make setup   only the packages
#   make install    build and install loop.ko for KDIR's kernel (default: the
#                   running one) into updates/, depmod; INSTALL_MOD_PATH= stages
#   make uninstall  remove it again
#   make rust-analyzer  rust-project.json for the driver and the kernel crates
#   make clean
#
# Variables: KDIR=<kernel build tree> (your own Rust-enabled kernel),
# KERNEL=<flavour> (tools/kernel/<flavour>.config: debug, the default, or
# kasan, built with clang/lld 19), CLIPPY=1, T=<test glob>
# (run only matching guest tests), PROVOKE=1 (add the deliberate lockdep
# splat test, which must make `make check` fail), RLOOP_CACHE=<cache dir>.

export KDIR KERNEL CLIPPY T PROVOKE RLOOP_CACHE RLOOP_MODLOAD_CYCLES RLOOP_AUTOCLEAR_CYCLES RLOOP_ISO_CYCLES
export RLOOP_RESUME_CYCLES RLOOP_IOCTL_LOAD_SECONDS RLOOP_REMOVE_RACE_SECONDS
export RLOOP_LIFETIME_CYCLES RLOOP_DIO_SECONDS RLOOP_REBIND_CYCLES RLOOP_PART_RACE_SECONDS RLOOP_MEM_CYCLES RLOOP_DAX_CYCLES
export RLOOP_FUZZ_SECONDS RLOOP_FUZZ_SEED RLOOP_MMAP_FREEZE_SECONDS RLOOP_STACK_BUSY_SECONDS
export RLOOP_STACK_IDLE_SECONDS RLOOP_STACK_CYCLES RLOOP_VERIFY_MIB STRESS_MINUTES STRESS_TIMEOUT

# Host tools (cargo) from the rustup toolchain when there is one; the kernel
# and the module always use Debian's rustc 1.85 (tools/toolchain.sh).
export PATH := $(if $(wildcard $(HOME)/.cargo/bin/cargo),$(HOME)/.cargo/bin:)$(PATH)

.PHONY: all modules setup kernel run check stress bench clean inspector install uninstall rust-analyzer

all: modules

setup:
	@tools/setup

kernel: setup
	@tools/kernel/build $(KERNEL)

modules: setup
	@tools/build-module

# Not `setup`: installing on your own kernel needs only its build tree and
# its rustc/bindgen (tools/kdir.sh checks them).
install:
	@tools/install

uninstall:
	@tools/install --uninstall

rust-analyzer:
	@tools/rust-analyzer

inspector:
	@cargo build --release --quiet -p lockdep-inspect

run: modules inspector
	@tools/run-demo

check: setup
	@tools/check

stress: setup
	@tools/stress

bench: setup
	@tools/bench/run $(if $(filter 1,$(QUICK)),--quick) $(if $(filter 1,$(PUBLISH)),--publish) \
		$(if $(KEEP),--keep $(KEEP)) \
		$(if $(BENCH_OUT),--out $(BENCH_OUT)) $(if $(BENCH_TIMEOUT),--timeout $(BENCH_TIMEOUT)) \
		$(BENCH_ARGS)

clean:
	git clean -fdX -e '!.cache' .
