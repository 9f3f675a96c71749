# Keel: one GNU make tree. `make` builds build/keel.elf, `make run` boots the
# default app, `make test` runs every test suite. Dependencies install
# themselves (scripts/deps.sh) on the first three.

BUILD		?= build
KERNEL		:= $(BUILD)/keel.elf
PYTHON		:= /usr/bin/python3
CC		:= gcc
LD		:= ld
OBJCOPY		:= objcopy
NM		:= nm

KERNEL_SRCS	:=
include kernel/sources.mk

# Debug checks (lock order, sleeping with a spinlock held) are on unless
# `make KEEL_DEBUG_LOCKS=0`; benchmarks build without them.
KEEL_DEBUG_LOCKS ?= 1
KERNEL_DEFINES	:= $(if $(filter 1,$(KEEL_DEBUG_LOCKS)),-DKEEL_DEBUG_LOCKS)

KERNEL_CFLAGS	:= -std=gnu11 -Wall -Wextra -Werror -O2 -g $(KERNEL_DEFINES) \
		   -ffreestanding -fno-pic -fno-pie -fno-common \
		   -mgeneral-regs-only -mno-red-zone -mcmodel=kernel \
		   -fstack-protector-strong -mstack-protector-guard=global \
		   -fno-omit-frame-pointer -fno-strict-aliasing \
		   -fno-asynchronous-unwind-tables -fcf-protection=none \
		   -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
		   -Ikernel/include -I$(BUILD)/gen -MMD -MP
KERNEL_ASFLAGS	:= -D__ASSEMBLY__ -Ikernel/include -MMD -MP -g
KERNEL_LDFLAGS	:= -nostdlib -static -z max-page-size=4096 -z noexecstack \
		   --no-warn-rwx-segments -T kernel/arch/x86_64/linker.ld

KERNEL_OBJS	:= $(patsubst %.c,$(BUILD)/%.o,$(filter %.c,$(KERNEL_SRCS))) \
		   $(patsubst %.S,$(BUILD)/%.o,$(filter %.S,$(KERNEL_SRCS)))

.PHONY: all deps kernel run install test unit-test vm-test tools-test bench \
	grubdisk clean fuzz-test
all: deps kernel
kernel: $(KERNEL)

deps:
	@scripts/deps.sh

# Objects depend on the Makefile too: a change of flags rebuilds them.
$(KERNEL_OBJS): Makefile

# Linux system-call names, generated from the build host's UAPI header.
SYSCALL_UAPI	:= /usr/include/x86_64-linux-gnu/asm/unistd_64.h
$(BUILD)/gen/syscall_names.h: $(SYSCALL_UAPI) scripts/gen_syscall_names.py
	@mkdir -p $(dir $@)
	$(PYTHON) scripts/gen_syscall_names.py $< > $@.tmp && mv $@.tmp $@
$(BUILD)/kernel/syscall/table.o: $(BUILD)/gen/syscall_names.h

# The vDSO is a user-space shared object, built with user-space flags and
# embedded into the kernel image by kernel/vdso/vdso_image.S.
VDSO_SO		:= $(BUILD)/vdso/vdso.so
VDSO_CFLAGS	:= -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -fno-stack-protector \
		   -fno-asynchronous-unwind-tables -fcf-protection=none \
		   -nostdlib -shared -Wl,-T,kernel/vdso/vdso.lds \
		   -Wl,--hash-style=both -Wl,-soname=linux-vdso.so.1 \
		   -Wl,--no-undefined -Wl,-z,max-page-size=4096
$(VDSO_SO): kernel/vdso/vdso.c kernel/vdso/vdso.lds kernel/vdso/vdso_data.h
	@mkdir -p $(dir $@)
	$(CC) $(VDSO_CFLAGS) -o $@ kernel/vdso/vdso.c
$(BUILD)/kernel/vdso/vdso_image.o: $(VDSO_SO)
$(BUILD)/kernel/vdso/vdso_image.o: KERNEL_ASFLAGS += -DVDSO_SO='"$(VDSO_SO)"'

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_ASFLAGS) -c $< -o $@

# The backtrace symbol table is built from the kernel's own link: link once
# with an empty table, generate the table from that image, link again. The
# table sits after .data, so text addresses do not move between the links.
$(BUILD)/ksyms.empty.S:
	@mkdir -p $(BUILD)
	$(PYTHON) scripts/gen_ksyms.py /dev/null > $@
$(BUILD)/keel.pass1.elf: $(KERNEL_OBJS) $(BUILD)/ksyms.empty.o kernel/arch/x86_64/linker.ld
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms.empty.o
$(BUILD)/ksyms.S: $(BUILD)/keel.pass1.elf scripts/gen_ksyms.py
	$(NM) -n $< | $(PYTHON) scripts/gen_ksyms.py - > $@
$(KERNEL): $(KERNEL_OBJS) $(BUILD)/ksyms.o kernel/arch/x86_64/linker.ld
	$(LD) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/ksyms.o
	$(PYTHON) scripts/check_ksyms.py $(BUILD)/keel.pass1.elf $@
$(BUILD)/ksyms.o $(BUILD)/ksyms.empty.o: %.o: %.S
	$(CC) $(KERNEL_ASFLAGS) -c $< -o $@

# A BIOS-bootable raw disk: MBR + GRUB2 core + one ext2 partition holding
# /boot/keel.elf and grub.cfg. Made without root, mounts or loop devices.
GRUB_CMDLINE	?=
grubdisk: $(BUILD)/grub.img
$(BUILD)/grub.img: $(KERNEL) FORCE
	$(PYTHON) tools/grubdisk.py --kernel $(KERNEL) --cmdline "$(GRUB_CMDLINE)" -o $@

# `make run` builds capstan.yaml into an image with imgbuild (reusing it
# when nothing changed) and boots it; `make run ARGS="..."` boots the bare
# kernel with that command line instead.
IMGBUILD	:= tools/imgbuild/bin/imgbuild
run: deps kernel
ifeq ($(strip $(ARGS)),)
	$(IMGBUILD) run capstan.yaml
else
	$(PYTHON) scripts/run.py $(KERNEL) $(ARGS)
endif

# `make install` puts imgbuild on PATH as a link to this checkout.
PREFIX		?= /usr/local
install:
	install -d $(DESTDIR)$(PREFIX)/bin
	ln -sf $(abspath $(IMGBUILD)) $(DESTDIR)$(PREFIX)/bin/imgbuild

# --- tests ---------------------------------------------------------------
UNIT_CFLAGS	:= -std=gnu11 -Wall -Wextra -Werror -g -O1 \
		   -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -DKEEL_HOST_TEST -Ikernel/include -Itests/unit \
		   -Dvsnprintf=kvsnprintf -Dsnprintf=ksnprintf
UNIT_TESTS	:=
include tests/unit/sources.mk
UNIT_BINS	:= $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))

.SECONDEXPANSION:
$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit_main.c tests/unit/shim.c \
		 tests/unit/unit.h $(wildcard kernel/include/keel/*.h) \
		 $(wildcard kernel/fs/*.h kernel/fs/ext2/*.h) \
		 $$(UNIT_SRCS_$$*)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/$*.c tests/unit/unit_main.c \
		tests/unit/shim.c $(UNIT_SRCS_$*)

unit-test: deps $(UNIT_BINS)
	$(PYTHON) tests/run_suites.py unit $(UNIT_BINS)

vm-test: deps kernel
	$(PYTHON) tests/run_suites.py pytest tests/vm

tools-test: deps kernel
	$(PYTHON) tests/run_suites.py pytest tests/tools

# --- fuzzing -------------------------------------------------------------
# libFuzzer targets for the ELF, cpio and partition-table parsers and
# ext2, seeded from real tools
# (tests/fuzz/seeds.sh) and run FUZZ_TIME seconds each by `make test`. The
# fuzzers' chatter goes to build/fuzz/*.log; a crash prints it and fails.
FUZZ_CC		:= clang
FUZZ_CFLAGS	:= -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=all -DKEEL_HOST_TEST -Ikernel/include
FUZZ_TIME	?= 15
FUZZ_DIR	:= $(BUILD)/fuzz
FUZZ_SRCS_elf	:= kernel/exec/elf_parse.c kernel/exec/elf_format.h \
		   kernel/include/keel/elf.h
FUZZ_SRCS_cpio	:= kernel/exec/cpio.c kernel/include/keel/cpio.h
FUZZ_SRCS_partition := kernel/drivers/partition.c kernel/lib/crc32.c \
		   kernel/drivers/partition_fmt.h kernel/include/keel/partition.h
FUZZ_SRCS_ext2	:= $(EXT2_SRCS) tests/unit/ext2_host.c tests/unit/ext2_walk.c \
		   tests/unit/ext2_host.h kernel/include/keel/ext2.h \
		   kernel/include/keel/bcache.h kernel/fs/bcache_internal.h \
		   $(wildcard kernel/fs/ext2/*.h)
FUZZ_TARGETS	:= elf cpio partition ext2

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_SRCS_$$*)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(filter %.c,$(FUZZ_SRCS_$*))

fuzz-test: deps $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
	tests/fuzz/seeds.sh $(FUZZ_DIR)
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz_$$t: $(FUZZ_TIME)s"; \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_TIME) \
			-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/crash_$$t- \
			$(FUZZ_DIR)/corpus_$$t > $(FUZZ_DIR)/fuzz_$$t.log 2>&1 \
		|| { tail -n 60 $(FUZZ_DIR)/fuzz_$$t.log; exit 1; }; \
		grep -h 'stat::number_of_executed_units' \
			$(FUZZ_DIR)/fuzz_$$t.log; \
	done

test: deps kernel fuzz-test $(UNIT_BINS)
	$(PYTHON) tests/run_suites.py all --unit $(UNIT_BINS) --pytest tests/vm tests/tools

bench: deps kernel
	$(PYTHON) bench/boot/bench_boot.py
	$(PYTHON) bench/sched/bench_sched.py
	$(PYTHON) bench/linux_guest/bench_linux_boot.py
	$(PYTHON) bench/syscall/bench_syscall.py
	$(PYTHON) bench/disk/bench_disk.py
	$(PYTHON) bench/image/bench_image.py
	$(PYTHON) bench/registry/bench_registry.py
	$(PYTHON) bench/startup/bench_startup.py

clean:
	rm -rf $(BUILD)

FORCE:

-include $(KERNEL_OBJS:.o=.d)
