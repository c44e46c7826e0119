# hvc — plain GNU make. Targets: all deps check bench san format lint clean.
# Nothing is hidden in scripts that make can't show: scripts/ holds only the
# dependency installer (it must run before pkg-config can answer), test runners,
# and two read-only checks of the code's shape: funclen.py (function lengths)
# and filecycles.py (circles between files and the layer order; `make shape`).

CC      ?= gcc
PKGS    := libvirt libseccomp hwloc json-c libarchive libcrypto libcap libcurl libkmod
PKGS    += libmnl libnftables
CFLAGS  ?= -O2 -g
# Messages are truncated on purpose (bounded buffers): -Wno-format-truncation.
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wno-format-truncation -Iinclude -D_GNU_SOURCE
CFLAGS  += -MMD -MP
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
BUILD   := build-san
else
BUILD   := build
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Not linked, loaded on first use (hvc/lazy.h): libvirt (56 libraries),
# libarchive (libxml2, ICU, libstdc++, ...), libcrypto and hwloc (libudev). The
# commands that do not need them — `hvc run` above all — do not pay for their
# relocation at start. util/<lib>_lazy.c dlopen()s them by soname. libkmod:
# read only when the VM driver builds boot artifacts. libmnl and libnftables:
# only a start on a bridge network talks netlink and nftables (engine/net/).
LAZY_PKGS  := libvirt libarchive libcrypto hwloc libkmod libmnl libnftables
# libcurl (32 libraries: nghttp2, gssapi, ldap, ssh, ...): only pull, push and login talk HTTP.
LAZY_PKGS  += libcurl
PKG_LIBS   = $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null) -ldl
# The soname the installed dev package links against (libarchive.so.13 on
# Debian 12), so another distribution's version is loaded too; the wrappers
# fall back to Debian 12's if it cannot be read. $(1) pkg-config name, $(2) -l name.
soname = $(shell objdump -p "$$(pkg-config --variable=libdir $(1) 2>/dev/null)/lib$(2).so" 2>/dev/null | awk '$$1 == "SONAME" { print $$2 }')
lazy_soname_flag = $(if $(call soname,$(2),$(3)),-DHVC_SONAME_$(1)='"$(call soname,$(2),$(3))"')
$(BUILD)/util/archive_lazy.o: CFLAGS += $(call lazy_soname_flag,ARCHIVE,libarchive,archive)
$(BUILD)/util/crypto_lazy.o: CFLAGS += $(call lazy_soname_flag,CRYPTO,libcrypto,crypto)
$(BUILD)/util/hwloc_lazy.o: CFLAGS += $(call lazy_soname_flag,HWLOC,hwloc,hwloc)
$(BUILD)/util/kmod_lazy.o: CFLAGS += $(call lazy_soname_flag,KMOD,libkmod,kmod)
$(BUILD)/util/mnl_lazy.o: CFLAGS += $(call lazy_soname_flag,MNL,libmnl,mnl)
# libmnl by its full path (no ld.so.cache search: hvc/lazy.h HVC_LAZY_LIB_AT)
$(BUILD)/util/mnl_lazy.o: CFLAGS += $(if $(call soname,libmnl,mnl),-DHVC_LIBDIR_MNL='"$(shell pkg-config --variable=libdir libmnl)"')
$(BUILD)/util/nft_lazy.o: CFLAGS += $(call lazy_soname_flag,NFT,libnftables,nftables)
$(BUILD)/util/curl_lazy.o: CFLAGS += $(call lazy_soname_flag,CURL,libcurl,curl)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

LIB_SRC   := $(wildcard util/*.c host/*.c engine/*/*.c vmdriver/*.c bench/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC   := $(wildcard cli/*.c)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=bin/tests/%)
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-format-truncation -D_GNU_SOURCE -Iinclude -static

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
GIT_REV := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)

.PHONY: all deps check unit integration bench san format lint shape clean
all: deps-stamp bin/hvc bin/hvc-init bin/hvc-workload $(UNIT_BIN)

# `make deps` installs the Debian packages and does the host set-up (idempotent).
deps:
	@scripts/deps.sh
deps-stamp: scripts/deps.sh
	@scripts/deps.sh && touch $@

$(BUILD)/%.o: %.c | deps-stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -DHVC_VERSION='"$(VERSION)"' -c $< -o $@

# The build's identity for `hvc info` and every result: rewritten only when it
# changes, so exactly the objects that include it rebuild when the revision moves.
$(BUILD)/hvc_version.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define HVC_BUILD_VERSION "%s"\n#define HVC_BUILD_GIT_REV "%s"\n' "$(VERSION)" "$(GIT_REV)" >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/host/host_describe.o: $(BUILD)/hvc_version.h
$(BUILD)/host/host_describe.o: CFLAGS += -I$(BUILD)
$(BUILD)/cli/cmd_version.o: $(BUILD)/hvc_version.h
$(BUILD)/cli/cmd_version.o: CFLAGS += -I$(BUILD)
# docs/results.schema.json is compiled into the library (.incbin): the one definition of results.json.
$(BUILD)/bench/bench_results_schema.o: docs/results.schema.json
.PHONY: FORCE
FORCE:

# bin/ is shared by the plain and SAN=1 builds: record which one linked it, so
# switching flavours relinks instead of keeping the other flavour's binaries.
bin/.flavor: FORCE
	@mkdir -p bin
	@echo "$(BUILD)" >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/libhvc.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

bin/hvc: $(CLI_OBJ) $(BUILD)/libhvc.a bin/.flavor
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libhvc.a $(PKG_LIBS) -lm -lpthread

# Guest programs run inside containers and VMs: static, no library dependencies.
# hvc-init is built against musl when it is installed (make deps installs it):
# it is copied into a sealed memfd and exec'd on every `hvc run`, and a static
# glibc binary is 700 KB and takes 0.4 ms longer to start than musl's 60 KB
# (hyperfine, empty main: 0.5 ms vs 0.1 ms). Stripped for the same reason.
# (Recursive `=`: evaluated after deps-stamp has installed musl-tools.)
INIT_CC = $(shell command -v musl-gcc 2>/dev/null || echo $(CC))
bin/hvc-init: $(wildcard guest/init*.c guest/*.h) | deps-stamp
	@mkdir -p bin
	$(INIT_CC) $(filter-out -g,$(GUEST_CFLAGS)) -s -o $@ $(wildcard guest/init*.c)

bin/hvc-workload: $(wildcard guest/workload*.c guest/*.h) | deps-stamp
	@mkdir -p bin
	$(CC) $(GUEST_CFLAGS) -o $@ $(wildcard guest/workload*.c) -lm -lpthread

bin/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libhvc.a bin/.flavor
	@mkdir -p bin/tests
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libhvc.a $(PKG_LIBS) $(CHECK_LIBS) -lm -lpthread

# test_cli_format also links the CLI's --format renderer (cli/format.c is not in libhvc.a).
bin/tests/test_cli_format: $(BUILD)/tests/unit/test_cli_format.o $(BUILD)/cli/format.o $(BUILD)/libhvc.a bin/.flavor
	@mkdir -p bin/tests
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libhvc.a $(PKG_LIBS) $(CHECK_LIBS) -lm -lpthread

$(BUILD)/tests/unit/%.o: tests/unit/%.c | deps-stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(shell pkg-config --cflags check) -c $< -o $@

# The README's test command. Unit suites (check), then integration tests
# (the built binaries against real kernels, QEMU and peers); one summary at the end.
# (fuzz-smoke first, ~1 min: the fuzz targets carry clang's sanitizers, so
# not under SAN=1.)
check: all $(if $(filter 1,$(SAN)),,fuzz-build)
	@$(if $(filter 1,$(SAN)),true,FUZZ_SEED=1 tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS))
	@scripts/run-tests.sh

unit: all
	@scripts/run-tests.sh unit

integration: all
	@scripts/run-tests.sh integration

# The main job: the quick benchmark suite on this host.
bench: all
	@scripts/bench.sh

san:
	$(MAKE) SAN=1

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# cppcheck (2.10) does not model __attribute__((cleanup)): a _cleanup_free_
# variable that was passed to a function (dirname, split, ...) and then left by
# an early return looks to it like a leak. Every memleak it reports in this tree
# is that, so the class is off; leaks are checked by `make san` (LeakSanitizer)
# instead.
lint:
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
	  --suppress=missingIncludeSystem --suppress=memleak \
	  -Iinclude util host engine vmdriver bench cli guest

# The code's shape (docs/architecture.md): no function over 80 lines, no circle
# between files, every call pointing down the layers.
shape: all
	@scripts/filecycles.py $(BUILD)
	@n=$$(scripts/funclen.py --over 80 | wc -l); scripts/funclen.py --top 5; \
	  echo "$$n functions over 80 lines"; [ "$$n" -eq 0 ]

# Man pages and installation (docs/cli.md). The pages are written from the
# commands' own --help by man/gen-man.sh (scdoc source, rendered by scdoc);
# hvc finds hvc-init and hvc-workload next to itself, so all three go to bin/.
.PHONY: man install uninstall
PREFIX ?= /usr/local
BINDIR = $(DESTDIR)$(PREFIX)/bin
MAN1DIR = $(DESTDIR)$(PREFIX)/share/man/man1
BASHCOMPDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
man: bin/hvc
	@rm -rf $(BUILD)/man
	man/gen-man.sh bin/hvc $(BUILD)/man

install: all man
	install -d $(BINDIR) $(MAN1DIR) $(BASHCOMPDIR)
	install -m 755 bin/hvc bin/hvc-init bin/hvc-workload $(BINDIR)/
	install -m 644 $(BUILD)/man/*.1 $(MAN1DIR)/
	install -m 644 completion/hvc.bash $(BASHCOMPDIR)/hvc

uninstall:
	rm -f $(BINDIR)/hvc $(BINDIR)/hvc-init $(BINDIR)/hvc-workload $(BASHCOMPDIR)/hvc
	rm -f $(MAN1DIR)/hvc.1 $(MAN1DIR)/hvc-*.1

# The labs (labs/*.md) run as written, each in a fresh HVC_ROOT, and their
# output checked against the patterns on the page (tests/labs/run_labs.py;
# make check runs them too, as tests/integration/80-labs.sh).
.PHONY: labs-check
labs-check: all
	@HVC_BIN=$(CURDIR)/bin/hvc python3 tests/labs/run_labs.py labs/*.md

# ---------- fuzzing (tests/fuzz/, docs/reliability.md) ----------------------
# libFuzzer targets built by clang with ASan+UBSan. Only the parsers under
# test are compiled again with clang and coverage (FUZZ_INSTR); everything else
# links from the plain build's libhvc.a, so the fuzz build costs seconds, not a
# second full build. `make fuzz-smoke` (part of check): every target for
# FUZZ_SMOKE_SECONDS on its committed corpus; `make fuzz FUZZ_SECONDS=600`.
FUZZ_CC       := clang
FUZZ_DIR      := build-fuzz
FUZZ_TARGETS  := dockerfile image_json tar_extract oci_load results init_config
FUZZ_CFLAGS   := -std=gnu11 -g -O1 -fno-omit-frame-pointer -Iinclude -D_GNU_SOURCE \
  -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_INSTR    := engine/build/dockerfile.c engine/build/dockerfile_expand.c \
  engine/image/image_manifest.c engine/image/image_index.c engine/image/image_inspect.c \
  engine/image/image_report.c engine/image/image_resolve.c engine/image/image_extract.c \
  engine/image/image_archive.c engine/image/image_store.c \
  bench/bench_results.c bench/bench_report.c bench/bench_report_network.c \
  bench/bench_report_storage.c bench/bench_compare.c bench/bench_schema.c util/json.c
FUZZ_TARGETS  += registry
FUZZ_INSTR    += engine/registry/reg_parse.c engine/registry/reg_reference.c
FUZZ_INSTR_OBJ := $(FUZZ_INSTR:%.c=$(FUZZ_DIR)/%.o)
FUZZ_BINS     := $(FUZZ_TARGETS:%=bin/fuzz/fuzz_%)
FUZZ_SECONDS  ?= 600
FUZZ_SMOKE_SECONDS ?= 8
.PHONY: fuzz-build fuzz fuzz-smoke
# kept: pattern-chained objects would otherwise be deleted and rebuilt every time
.SECONDARY: $(FUZZ_INSTR_OBJ) $(FUZZ_TARGETS:%=$(FUZZ_DIR)/tests/fuzz/fuzz_%.o) $(FUZZ_DIR)/tests/fuzz/fuzz_common.o

$(FUZZ_DIR)/%.o: %.c | deps-stamp
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -DHVC_VERSION='"$(VERSION)"' -MMD -MP -c $< -o $@

$(FUZZ_DIR)/tests/fuzz/fuzz_common.o: tests/fuzz/fuzz_common.c | deps-stamp
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

bin/fuzz/fuzz_%: $(FUZZ_DIR)/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/tests/fuzz/fuzz_common.o $(FUZZ_INSTR_OBJ) build/libhvc.a
	@mkdir -p bin/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o,$^) build/libhvc.a $(PKG_LIBS) -lm -lpthread

# libhvc.a is a prerequisite, not only the sub-make's target: under `make -j
# check` the sub-make would otherwise rebuild it while `all` links against it.
fuzz-build: $(if $(filter 1,$(SAN)),,build/libhvc.a)
	@if [ "$(SAN)" = 1 ]; then echo "fuzz: build without SAN=1 (the targets carry clang's own sanitizers)" >&2; exit 1; fi
	@$(MAKE) --no-print-directory build/libhvc.a $(FUZZ_BINS)

fuzz-smoke: fuzz-build
	@FUZZ_SEED=1 tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf build build-san bin deps-stamp
	rm -rf $(FUZZ_DIR)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
-include $(shell find $(FUZZ_DIR) -name '*.d' 2>/dev/null)

# The short fault, disk-full and load loops with their regressions
# (docs/reliability.md), alone; `make check` runs them as
# tests/integration/85-hardening.sh.
.PHONY: hardening
hardening: all
	HVC_BIN=$(CURDIR)/bin/hvc HVC_GUEST_DIR=$(CURDIR)/bin bash tests/integration/85-hardening.sh
