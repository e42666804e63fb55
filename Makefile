# luavss: build, test, demo, bench, install.   `make help` lists the targets.

LUA      ?= lua5.4
CC       ?= gcc
SAN      ?= 0

# Debian packages the project needs to build and test (`make deps`).
DEPS      = build-essential pkg-config lua5.4 liblua5.4-dev libxml2-dev libxml2-utils libvhdi-dev acl attr qemu-utils \
            libxxhash-dev xxhash lua-busted luarocks lua-check xfsprogs btrfs-progs
# Peer tools the benchmarks compare against (`make bench-deps`).
BENCH_DEPS = findutils coreutils rsync restic borgbackup time
# The fuzz targets (`make fuzz`): clang, and libclang-rt-dev for the
# libFuzzer and sanitizer runtimes (clang alone does not bring them).
FUZZ_DEPS  = clang libclang-rt-dev

ifeq ($(SAN),1)
BUILD    := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT      := -O1
else
BUILD    := build/rel
SANFLAGS :=
OPT      := -O2
endif

LUA_INC  := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
XML_INC  := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wvla
CFLAGS   ?= $(OPT) -g
ALL_CFLAGS = -std=c11 $(WARN) -fPIC -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(CFLAGS) $(SANFLAGS) \
            -Icsrc $(LUA_INC) $(XML_INC)
LIBS     := -lxml2 -lvhdi -lxxhash

# The engine's layers are the folders of csrc/ (README, Layout); the binding is csrc/lua/.
LAYERS      := $(filter-out lua,$(notdir $(patsubst %/,%,$(wildcard csrc/*/))))
ENGINE_SRC  := $(foreach l,$(LAYERS),$(wildcard csrc/$(l)/*.c))
BINDING_SRC := $(wildcard csrc/lua/*.c)
CTEST_SRC   := $(wildcard spec/c/test_*.c)
ENGINE_OBJ  := $(ENGINE_SRC:csrc/%.c=$(BUILD)/%.o)
BINDING_OBJ := $(BINDING_SRC:csrc/lua/%.c=$(BUILD)/lua/%.o)
CTEST_BIN   := $(CTEST_SRC:spec/c/%.c=$(BUILD)/%)

# Run Lua against the in-tree build, ahead of anything installed.
RUN_ENV  := LUA_PATH_5_4="lua/?.lua;lua/?/init.lua;;" LUA_CPATH_5_4="./?.so;;"

.PHONY: all deps bench-deps fuzz-deps fuzz fuzz-build test layers demo bench install clean help FORCE

# A sanitizer build stays in build/san (spec/run.sh points Lua at it): the
# in-tree vss/core.so is always the plain one, loadable by a plain lua5.4.
ifeq ($(SAN),1)
all: $(BUILD)/vss/core.so $(BUILD)/libvss.a $(CTEST_BIN)
else
all: vss/core.so $(BUILD)/libvss.a $(CTEST_BIN)
endif

help:
	@echo "make deps        install missing Debian packages (apt-get; as root)"
	@echo "make             build vss/core.so, $(BUILD)/libvss.a and the C tests"
	@echo "make test        C unit tests, busted specs, luacheck, layers (SAN=1: ASan+UBSan;"
	@echo "                 FUZZ=1: and each fuzz target for FUZZ_SECONDS)"
	@echo "make layers      check the arrows between csrc/ layers and files (README, Layout)"
	@echo "make demo        run examples/quickstart.lua"
	@echo "make bench       benchmarks against peer tools (prints figures)"
	@echo "make fuzz        build the libFuzzer targets (fuzz/) and run each FUZZ_SECONDS (30)"
	@echo "make install     install the rock with luarocks (Lua 5.4)"
	@echo "make clean       remove build products"

deps:
	@missing=""; \
	for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all present"; \
	else echo "deps: installing$$missing"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

bench-deps:
	@$(MAKE) --no-print-directory deps DEPS="$(BENCH_DEPS)"

fuzz-deps:
	@$(MAKE) --no-print-directory deps DEPS="$(FUZZ_DEPS)"

$(BUILD)/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libvss.a: $(ENGINE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/vss/core.so: $(BINDING_OBJ) $(BUILD)/libvss.a
	@mkdir -p $(dir $@)
	$(CC) -shared $(SANFLAGS) -o $@ $(BINDING_OBJ) $(BUILD)/libvss.a $(LIBS)

# The in-tree module `require "vss.core"` finds; replaced by rename, so a
# process that has the old one loaded (a spec run) keeps its copy.
vss/core.so: $(BUILD)/vss/core.so FORCE
	@mkdir -p vss
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }

$(BUILD)/test_%: spec/c/test_%.c spec/c/check.h $(BUILD)/libvss.a
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libvss.a $(LIBS)

# test_fuzz builds the fuzz targets in (README, Fuzzing).
$(BUILD)/test_fuzz: $(wildcard fuzz/*.c fuzz/*.h)

# The quick-start targets install what is missing first (a no-op when all
# is present), so they work as written on a fresh Debian machine as root.
# FUZZ=1 (CI) adds the fuzz targets to the suite, FUZZ_SECONDS each.
test:
	@$(MAKE) --no-print-directory deps
	@if [ "$(FUZZ)" = 1 ]; then $(MAKE) --no-print-directory fuzz-deps; fi
	@$(MAKE) --no-print-directory all
	@sh spec/run.sh $(BUILD) $(SAN)

# The dependency graph read from the build: objects' symbols and .d files.
layers: all
	@$(LUA) tools/layers.lua $(BUILD)

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@$(RUN_ENV) $(LUA) examples/quickstart.lua

bench: all bench-deps
	@for b in bench/*.lua; do echo "== $$b"; $(RUN_ENV) $(LUA) $$b || exit 1; done

# Fuzzing (README, Development, Fuzzing): the engine built with clang and
# the fuzzer's instrumentation into build/fuzz/, one binary per fuzz/<t>.c,
# each run FUZZ_SECONDS on its corpus (fuzz/corpus/<t>/, copied: what the
# run finds stays in build/fuzz/) with its dictionary (fuzz/<t>.dict).
FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 $(WARN) -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O1 -g $(FUZZ_FLAGS) \
                -Icsrc $(XML_INC)
FUZZ_SRC     := $(wildcard fuzz/*.c)
FUZZ_TARGETS := $(FUZZ_SRC:fuzz/%.c=%)
FUZZ_OBJ     := $(ENGINE_SRC:csrc/%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

build/fuzz/libvss.a: $(FUZZ_OBJ)
	rm -f $@
	ar rcs $@ $^

build/fuzz/%: fuzz/%.c fuzz/fuzz.h build/fuzz/libvss.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libvss.a $(LIBS)

fuzz-build: $(FUZZ_TARGETS:%=build/fuzz/%)

# Each target in turn; a crash fails the run naming the target and the
# input that crashed it (libFuzzer writes it as build/fuzz/<t>/crash-*).
fuzz:
	@$(MAKE) --no-print-directory fuzz-deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

install:
	luarocks --lua-version=5.4 make rockspec/luavss-scm-1.rockspec

clean:
	rm -rf build vss csrc/*/*.o

-include $(ENGINE_OBJ:.o=.d) $(BINDING_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
