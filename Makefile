# rbaudit - see README.md.  `make` builds ./rbaudit; `make check` installs
# what is missing (as root), builds with -Werror and runs every test, then
# again under AddressSanitizer and UBSan, then under Valgrind memcheck, then
# the linters and a short fuzz.

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
VERSION  := 0.1.0

# Debian 12 packages the build, the tests and the linters need.
DEB_PKGS := gcc make pkg-config libsqlite3-dev libssl-dev libsodium-dev libcjson-dev \
            libxlsxwriter-dev zlib1g-dev libhpdf-dev libfreetype-dev libfontconfig-dev libfribidi-dev libutf8proc-dev libgit2-dev libcmocka-dev \
            fonts-dejavu-core fonts-wqy-zenhei \
            poppler-utils sqlite3 python3 python3-cryptography cppcheck \
            clang-tidy clang libclang-rt-14-dev unzip openssl time valgrind git \
            tzdata prometheus chromium

# What the build learns from pkg-config it learns when this Makefile is read.
# On a fresh machine the packages are not there yet, so `demo`, `check` and
# `bench` first run `deps` and then a new $(MAKE) that reads this file again.
PKG_MODULES := sqlite3 openssl libsodium libcjson xlsxwriter freetype2 fontconfig fribidi libutf8proc libgit2
PKG_OK     := $(shell pkg-config --exists $(PKG_MODULES) 2>/dev/null && \
                test -f /usr/include/hpdf.h && echo yes)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKG_MODULES) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKG_MODULES) 2>/dev/null) -lhpdf

# Targets that install the packages themselves, or need none.
SELF_DEPS := deps demo check bench clean uninstall fresh-machine help
ifneq ($(PKG_OK),yes)
ifneq ($(filter-out $(SELF_DEPS),$(or $(MAKECMDGOALS),all)),)
$(error the build packages are missing (pkg-config finds no $(PKG_MODULES), or no hpdf.h): \
run 'make deps' as root, or the apt-get line it prints; 'make demo' and 'make check' do it for you)
endif
endif

WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wwrite-strings -Wno-unused-parameter
BASEFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 \
            -DRB_VERSION='"$(VERSION)"' -DRB_DATADIR='"$(PREFIX)/share/rbaudit"' \
            -I. $(PKG_CFLAGS) $(WARN) -MMD -MP
OPTFLAGS ?= -O2 -g
CFLAGS   ?=
LDLIBS   := $(PKG_LIBS) -lpthread -lm

LIB_SRC   := $(wildcard lib/*.c)
STAGE_SRC := $(wildcard ingest/*.c analyze/*.c report/*.c produce/*.c job/*.c)
ASM_SRC   := $(wildcard analyze/*.S report/*.S)
CLI_SRC   := $(wildcard cli/*.c)
CORE_SRC  := $(LIB_SRC) $(STAGE_SRC)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_HELP := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))

# One build directory per flavour, so -Werror and sanitizer objects never
# mix with the plain ones.
define flavour
$(1)_OBJ  := $$(patsubst %.c,$(2)/obj/%.o,$$(CORE_SRC)) \
             $$(patsubst %.S,$(2)/obj/%.o,$$(ASM_SRC))
$(1)_CLI  := $$(patsubst %.c,$(2)/obj/%.o,$$(CLI_SRC))
$(1)_HELP := $$(patsubst %.c,$(2)/obj/%.o,$$(UNIT_HELP))
$(1)_TESTS := $$(patsubst tests/unit/%.c,$(2)/tests/%,$$(UNIT_SRC))

$(2)/obj/%.o: %.c
	@mkdir -p $$(@D)
	$$(CC) $$(BASEFLAGS) $(3) $$(CFLAGS) -c $$< -o $$@

# Data built into the binary (.incbin): rebuild when the data changes.
$(2)/obj/analyze/controls_blob.o: analyze/controls.json

$(2)/obj/%.o: %.S
	@mkdir -p $$(@D)
	$$(CC) $(3) $$(CFLAGS) -c $$< -o $$@

$(2)/librbaudit.a: $$($(1)_OBJ)
	@rm -f $$@
	ar rcs $$@ $$^

$(2)/rbaudit: $$($(1)_CLI) $(2)/librbaudit.a
	$$(CC) $(3) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)

$(2)/tests/%: $(2)/obj/tests/unit/%.o $$($(1)_HELP) $(2)/librbaudit.a
	@mkdir -p $$(@D)
	$$(CC) $(3) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) -lcmocka

# test_oom makes rbaudit's own allocations fail, one at a time (its wrappers).
$(2)/tests/test_oom: LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

-include $$(wildcard $(2)/obj/*/*.d $(2)/obj/*/*/*.d)
endef

PLAIN_FLAGS := $(OPTFLAGS)
CHECK_FLAGS := -O2 -g -Werror
SAN_FLAGS   := -O1 -g -Werror -fsanitize=address,undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer

$(eval $(call flavour,PLAIN,$(BUILD),$(PLAIN_FLAGS)))
$(eval $(call flavour,CHECK,$(BUILD)/check,$(CHECK_FLAGS)))
$(eval $(call flavour,SAN,$(BUILD)/san,$(SAN_FLAGS)))
# For make bench only: the same build without the per-use check of the
# stored history, to measure what that check costs (never installed).
$(eval $(call flavour,NOCHECK,$(BUILD)/bench-nocheck,$(OPTFLAGS) -DRB_BENCH_NO_STORED_CHECK))

.PHONY: all deps check check-run test test-check test-san test-valgrind lint install \
        uninstall clean demo demo-run fuzz fresh-machine \
        bench bench-run bench-clean
.DEFAULT_GOAL := all

all: rbaudit

# Replace by rename: a running ./rbaudit keeps its old file.
rbaudit: $(BUILD)/rbaudit
	cp $< $@.tmp && mv -f $@.tmp $@

# Install the missing Debian packages: with apt-get when root, else print
# the exact command and stop.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "deps: all packages present"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	  echo "deps: missing Debian packages:$$missing"; \
	  echo "deps: run: sudo apt-get install$$missing"; exit 1; \
	fi

# Run the unit tests and the command-line tests of one flavour.
# Tests run on every processor (JOBS, at most 4): each unit test binary is a
# target of its own (run/PATH), run by a sub-make with -O so that each one's
# output stays whole, and tests/cli/run.sh runs its files JOBS at a time.
JOBS ?= $(shell n=$$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1); \
          [ "$$n" -gt 4 ] && n=4; echo $$n)

run/%: %
	@echo "== $*"; $*

define run_tests
	@fail=0; \
	$(MAKE) --no-print-directory -k -O -j$(JOBS) $(addprefix run/,$(1)) || fail=1; \
	CLI_JOBS=$(JOBS) RBAUDIT=$(2) sh tests/cli/run.sh || fail=1; \
	exit $$fail
endef

test-check: $(CHECK_TESTS) $(BUILD)/check/rbaudit
	$(call run_tests,$(CHECK_TESTS),$(BUILD)/check/rbaudit)

test-san: $(SAN_TESTS) $(BUILD)/san/rbaudit
	$(call run_tests,$(SAN_TESTS),$(BUILD)/san/rbaudit)

test: test-check

# Valgrind memcheck (plain -O2 -g build): the unit tests, then the
# command-line suites in VALGRIND_CLI with rbaudit run under memcheck
# (tests/valgrind/rbaudit).  A memory error or a definite or indirect leak
# fails the run.  t_run's job also drives the re-check of stored history
# (ingest/check.c) and the per-use check and re-derivation under memcheck,
# so t_check is left to ASan with the other suites (make check stays under
# its 20 minutes); test_sample is left to t_run (which runs `rbaudit sample`
# under memcheck).  About 5 minutes in all on 2 processors.
# `make test-valgrind VALGRIND_CLI="t_verify t_hostile ..."` runs more.
VALGRIND     := valgrind --quiet --error-exitcode=99 --leak-check=full \
                --errors-for-leak-kinds=definite,indirect
VALGRIND_CLI ?= t_keys t_report t_run
VALGRIND_UNIT := $(filter-out %/test_sample %/test_oom,$(PLAIN_TESTS))
# Unit tests that only crunch the vectors' and the sample's data, left to
# ASan and UBSan (they run every test): under memcheck they took 37 s of
# make check's 20 minutes (tests/unit/testutil.h, tu_select).
VALGRIND_SKIP ?= rev2_vectors_*,default_sample_*

vg/%: %
	@echo "== valgrind $*"; RB_TEST_SKIP="$(VALGRIND_SKIP)" $(VALGRIND) $*

test-valgrind: $(VALGRIND_UNIT) $(BUILD)/rbaudit
	@fail=0; \
	$(MAKE) --no-print-directory -k -O -j$(JOBS) $(addprefix vg/,$(VALGRIND_UNIT)) || fail=1; \
	logs=$$(mktemp -d); \
	RB_REAL=$(CURDIR)/$(BUILD)/rbaudit RB_VG_LOGS=$$logs CLI_JOBS=$(JOBS) \
	  RBAUDIT_TEMPLATES=$(CURDIR)/templates CLI_ONLY="$(VALGRIND_CLI)" \
	  RBAUDIT=tests/valgrind/rbaudit FILE_TIMEOUT=900 sh tests/cli/run.sh || fail=1; \
	if grep -l . $$logs/vg.*.log >/dev/null 2>&1; then \
	  echo "valgrind reported:"; cat $$logs/vg.*.log | head -n 60; fail=1; fi; \
	rm -rf $$logs; exit $$fail

# `check` and `demo` install the packages, then run the real work in a new
# $(MAKE), which reads pkg-config's answers only now that they are there.
check: deps
	$(MAKE) check-run

check-run:
	$(MAKE) -j$(JOBS) test-check
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) -j$(JOBS) test-san
	$(MAKE) -j$(JOBS) test-valgrind
	$(MAKE) lint
	$(MAKE) -j$(JOBS) fuzz FUZZ_SECONDS=5
	$(MAKE) rbaudit

# The benchmark (docs/PERFORMANCE.md): an optimised build, ledgers of 100k,
# 1M and 2M entries generated once and cached in $(BENCH_DIR)/data, every
# measurement in one run; rewrites docs/PERFORMANCE.md.  About 30 minutes
# the first time (generating the ledgers), 25 after.
BENCH_DIR ?= $(BUILD)/bench

bench: deps
	$(MAKE) bench-run

bench-run: $(BUILD)/rbaudit $(BUILD)/bench-nocheck/rbaudit $(BUILD)/bench/sodium-speed \
           $(BUILD)/bench/store-floor
	python3 tests/bench/bench.py --rbaudit $(BUILD)/rbaudit \
	  --rbaudit-nocheck $(BUILD)/bench-nocheck/rbaudit \
	  --sodium-speed $(BUILD)/bench/sodium-speed \
	  --store-floor $(BUILD)/bench/store-floor \
	  --data $(BENCH_DIR)/data --work $(BENCH_DIR)/work

# The bound: libsodium's Ed25519 verification rate (tests/bench/sodium_speed.c).
$(BUILD)/bench/sodium-speed: tests/bench/sodium_speed.c
	@mkdir -p $(@D)
	$(CC) -O2 -std=c11 -Wall -Wextra -o $@ $< -lsodium -lpthread

# SQLite's own cost of storing what an ingest stores (tests/bench/store_floor.c).
$(BUILD)/bench/store-floor: tests/bench/store_floor.c
	@mkdir -p $(@D)
	$(CC) -O2 -std=c11 -Wall -Wextra -o $@ $< $$(pkg-config --libs sqlite3)

bench-clean:
	rm -rf $(BENCH_DIR)

# libFuzzer harnesses (clang): every parser of outside input.  `make fuzz`
# runs each for FUZZ_SECONDS (default 60); `make check` for 5 seconds.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJ     := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(CORE_SRC)) \
                $(patsubst %.S,$(BUILD)/fuzz/obj/%.o,$(ASM_SRC))
FUZZ_FILES   := trust policy template job manifest entries import
FUZZERS      := json checkpoint proof $(FUZZ_FILES)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(BASEFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzz/obj/%.o: %.S
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c $< -o $@

$(BUILD)/fuzz/obj/analyze/controls_blob.o: analyze/controls.json

$(BUILD)/fuzz/fuzz_json $(BUILD)/fuzz/fuzz_checkpoint $(BUILD)/fuzz/fuzz_proof: $(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(BASEFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_FILES)): $(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_files.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(BASEFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer \
	  -DFUZZ_$$(echo $* | tr a-z A-Z) -o $@ $^ $(LDLIBS)

fuzz: $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZERS))
	@set -e; for f in $(FUZZERS); do \
	  mkdir -p $(BUILD)/fuzz/corpus/$$f; \
	  echo "== fuzz $$f for $(FUZZ_SECONDS) s"; \
	  if ! $(BUILD)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	      -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/$$f- \
	      $(BUILD)/fuzz/corpus/$$f tests/fuzz/corpus/$$f > $(BUILD)/fuzz/$$f.log 2>&1; then \
	    tail -n 40 $(BUILD)/fuzz/$$f.log; echo "fuzz $$f: FAILED (input in $(BUILD)/fuzz/$$f-*)"; \
	    exit 1; fi; \
	  grep -E '^(Done|stat::number_of_executed_units)' $(BUILD)/fuzz/$$f.log; \
	done

LINT_SRC := $(CORE_SRC) $(CLI_SRC)
LINT_HALF := $(shell echo $$(( $(words $(LINT_SRC)) / 2 )))
LINT_A   := $(wordlist 1,$(LINT_HALF),$(LINT_SRC))
LINT_B   := $(wordlist $(shell echo $$(( $(LINT_HALF) + 1 ))),999,$(LINT_SRC))

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	  --std=c11 --inline-suppr -I. --suppress=missingIncludeSystem \
	  --library=tools/cjson.cfg -j 2 \
	  lib ingest analyze report produce job cli
	@# clang-tidy on both cores, half the files each; a finding in either fails.
	clang-tidy --quiet $(LINT_A) -- $(BASEFLAGS) 2>/dev/null & a=$$!; \
	  clang-tidy --quiet $(LINT_B) -- $(BASEFLAGS) 2>/dev/null; b=$$?; \
	  wait $$a && [ $$b -eq 0 ]
	python3 tools/fnlen.py --max 120 $(CORE_SRC) $(CLI_SRC)

install: rbaudit
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 rbaudit $(DESTDIR)$(PREFIX)/bin/rbaudit
	install -m 0644 rbaudit.1 $(DESTDIR)$(PREFIX)/share/man/man1/rbaudit.1
	install -d $(DESTDIR)$(PREFIX)/share/rbaudit/templates
	install -m 0644 templates/*.json $(DESTDIR)$(PREFIX)/share/rbaudit/templates/
	install -d $(DESTDIR)$(PREFIX)/share/rbaudit/contrib
	install -m 0644 contrib/grafana-dashboard.json contrib/job.example.json \
	  $(DESTDIR)$(PREFIX)/share/rbaudit/contrib/
	install -m 0755 contrib/notify-mail.sh contrib/notify-webhook.sh \
	  $(DESTDIR)$(PREFIX)/share/rbaudit/contrib/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/rbaudit $(DESTDIR)$(PREFIX)/share/man/man1/rbaudit.1
	rm -rf $(DESTDIR)$(PREFIX)/share/rbaudit

# The demo: the sample organisation (checked byte for byte against
# sample-data/), dropped into an inbox, and the monthly job run for its last
# complete month: ingest, analysis, reports with a signed MANIFEST.
DEMO := $(BUILD)/demo
demo: deps
	$(MAKE) -j$(JOBS) demo-run

demo-run: rbaudit
	rm -rf $(DEMO) && mkdir -p $(DEMO)/job
	./rbaudit sample --out $(DEMO)/sample
	diff -r $(DEMO)/sample/exports sample-data/exports
	cmp $(DEMO)/sample/keys.json sample-data/keys.json
	cmp $(DEMO)/sample/policy.json sample-data/policy.json
	cp -r $(DEMO)/sample/exports/rollback-ledger $(DEMO)/job/inbox
	./rbaudit keygen --name demo-reports --out $(DEMO)/job/keys --roles report \
	  --valid-from 2026-01-01T00:00:00Z > /dev/null
	cp $(DEMO)/sample/keys.json $(DEMO)/job/trust.json
	./rbaudit keys add $(DEMO)/job/keys/demo-reports.pub.json --keys $(DEMO)/job/trust.json
	./rbaudit keygen --name demo-witness --out $(DEMO)/job/keys --roles witness \
	  --valid-from 2026-01-01T00:00:00Z > /dev/null
	./rbaudit keys add $(DEMO)/job/keys/demo-witness.pub.json --keys $(DEMO)/job/trust.json
	for c in $(DEMO)/job/inbox/*/checkpoint; do \
	  ./rbaudit cosign --key $(DEMO)/job/keys/demo-witness.pem --checkpoint $$c \
	    --keys $(DEMO)/job/trust.json --time 2026-11-01T06:00:00Z || exit 1; done
	./rbaudit keys policy --quorum 1 --witness demo-witness --keys $(DEMO)/job/trust.json
	cp sample-data/job.json sample-data/policy.json $(DEMO)/job/
	mkdir -p $(DEMO)/job/metrics
	./rbaudit run --config $(DEMO)/job/job.json --period 2026-10; \
	  rc=$$?; [ $$rc -le 2 ] || exit $$rc
	./rbaudit verify-report $(DEMO)/job/reports/2026-10 --keys $(DEMO)/job/trust.json
	@echo "demo: one rollback's whole record (rbaudit show), then a search and a comparison"
	./rbaudit show RB-00110 --db $(DEMO)/job/audit.db | head -n 24
	./rbaudit search --db $(DEMO)/job/audit.db --finding separation-of-duties --since 2026-10-01T00:00:00Z \
	  | head -n 8
	./rbaudit analyze --db $(DEMO)/job/audit.db --period 2026-09 --sample 25 \
	  --policy $(DEMO)/job/policy.json > /dev/null
	./rbaudit compare --db $(DEMO)/job/audit.db --period 2026-09 --period 2026-10 | head -n 24
	promtool check metrics < $(DEMO)/job/metrics/rbaudit.prom
	@echo "demo: dashboards read $(DEMO)/job/metrics/rbaudit.prom (promtool finds it valid; contrib/grafana-dashboard.json); the run's summary is $(DEMO)/job/summary-2026-10.json"
	./rbaudit analyze --db $(DEMO)/job/audit.db --period 2026-10 --sample 25 --no-store \
	  --policy $(DEMO)/job/policy.json \
	  | head -n 12
	@echo "demo: reports in $(DEMO)/job/reports/2026-10/ (database $(DEMO)/job/audit.db)"
	@echo "demo: an imported history (GitLab with PagerDuty, Helm, Argo CD; docs/IMPORT.md)"
	mkdir -p $(DEMO)/imported/state
	cp sample-data/import/* $(DEMO)/imported/
	./rbaudit keygen --name producer --out $(DEMO)/imported/keys \
	  --valid-from 2026-01-01T00:00:00Z > /dev/null
	./rbaudit keygen --name demo-reports --out $(DEMO)/imported/keys --roles report \
	  --valid-from 2026-01-01T00:00:00Z > /dev/null
	./rbaudit keys add $(DEMO)/imported/keys/producer.pub.json --keys $(DEMO)/imported/trust.json
	./rbaudit keys add $(DEMO)/imported/keys/demo-reports.pub.json \
	  --keys $(DEMO)/imported/trust.json
	./rbaudit run --config $(DEMO)/imported/job.json --period 2026-11; \
	  rc=$$?; [ $$rc -le 1 ] || exit $$rc
	./rbaudit verify-report $(DEMO)/imported/reports/2026-11 --keys $(DEMO)/imported/trust.json
	./rbaudit analyze --db $(DEMO)/imported/audit.db --period 2026-11 --no-store | head -n 12
	@echo "demo: imported history's reports in $(DEMO)/imported/reports/2026-11/"

clean:
	rm -rf $(BUILD) rbaudit

# The README's two commands on a fresh Debian 12 root (make and git only),
# from the committed HEAD, twice `make demo` then `make check`, with the
# workplace's ../shared/tools/fresh-machine.sh when it is there.
FRESH := ../shared/tools/fresh-machine.sh
fresh-machine:
	@if [ -f $(FRESH) ]; then bash $(FRESH) . "make demo" "make demo" "make check"; \
	else echo "fresh-machine: no $(FRESH) beside this checkout: nothing to run"; fi
