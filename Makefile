# cowrie-batch: the front door. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT ?= out

# Debian packages: compilers and build tools, the libraries found by find_package,
# and the command-line tools the tests use.
APT_PACKAGES := g++ cmake ninja-build pkg-config \
  libsimdjson-dev libcli11-dev libsqlite3-dev zlib1g-dev libbz2-dev libzstd-dev \
  libisal-dev libssl-dev libgtest-dev libcpp-httplib-dev libsodium-dev libtomlplusplus-dev libmaxminddb-dev \
  sqlite3 jq curl openssl python3 gzip bzip2 zstd time \
  openjdk-17-jdk-headless maven clang libclang-rt-14-dev clang-format clang-tidy

.PHONY: all deps build run test test-wild test-yarn tidy format format-check unit e2e e2e-cowrie e2e-shipped golden approve bench clean report-deps report-test serve-test sanitize fuzz

# report.html (report/): npm builds the page at compile time (esbuild + ECharts, pinned in
# report/package-lock.json); its tests drive the Debian package chromium with playwright-core.
REPORT_NPM_STAMP := report/node_modules/.package-lock.json

all: build

deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	else echo "deps: all Debian packages present"; fi

deps: report-deps

report-deps: $(REPORT_NPM_STAMP)
	@if [ -x /usr/bin/chromium ]; then echo "deps: chromium present"; \
	else echo "installing: chromium (for the report's browser tests)"; \
	  ( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium ) \
	  || echo "deps: WARNING: chromium could not be installed; make report-test will skip its browser tests"; fi

$(REPORT_NPM_STAMP): report/package.json report/package-lock.json
	@command -v npm >/dev/null || { echo "installing: nodejs npm"; $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }
	cd report && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(BUILD)/build.ninja: | $(REPORT_NPM_STAMP)
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: deps build
	./$(BUILD)/cowrie-batch analyze examples/logs -o $(OUT)
	@echo "outputs in $(OUT)/"

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -L unit

e2e: build
	tests/e2e/run_all.sh $(BUILD)/cowrie-batch

# make test needs nothing beside the clone: the e2e tests (golden outputs of tests/golden/
# included) run on examples/logs and on the recordings and quirk files in tests/data/.
test: deps build
	ctest --test-dir $(BUILD) --output-on-failure -LE wild
	tests/e2e/run_all.sh $(BUILD)/cowrie-batch
	$(MAKE) --no-print-directory e2e-shipped
	$(MAKE) --no-print-directory report-test
	$(MAKE) --no-print-directory serve-test
	$(MAKE) --no-print-directory e2e-cowrie

# The tests over the public sample logs in ../shared/samples (read in place, never copied): unit
# tests named Wild* and e2e tests that use the samples. They fail when the samples are missing;
# make test never runs them, so a lone clone skips nothing. .ci/run runs this when ../shared exists.
test-wild: deps build
	ctest --test-dir $(BUILD) --output-on-failure -L wild
	tests/e2e/run_all.sh $(BUILD)/cowrie-batch --wild

# `cowrie-batch hadoop --conf` on a real YARN + HDFS cluster (Apache Hadoop's MiniHadoopClusterManager
# in its own JVM, 127.0.0.1 only, inside a private network namespace where unshare allows; see
# docs/HADOOP.md) must write what `analyze` writes. About 2-3 min; .ci/run runs it after make test.
test-yarn: deps build
	tests/yarn/test-yarn.sh $(BUILD)/cowrie-batch

# AddressSanitizer + UBSan: a separate build ($(ASAN_BUILD)) runs the unit and end-to-end tests;
# any report of either sanitizer fails the run (.ci/run runs this after make test). Leaks are
# checked in the unit tests only: the binary leaks its run's data on purpose at exit (no teardown
# of millions of strings; cli/cmd_analyze.cpp).
ASAN_BUILD ?= build-asan
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=$(1):abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
sanitize: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCB_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	$(call SANITIZER_ENV,1) ctest --test-dir $(ASAN_BUILD) --output-on-failure -L unit
	$(call SANITIZER_ENV,0) tests/e2e/run_all.sh $(ASAN_BUILD)/cowrie-batch
	if [ -d ../shared/samples ]; then $(call SANITIZER_ENV,0) tests/e2e/run_all.sh $(ASAN_BUILD)/cowrie-batch --wild; fi

# libFuzzer (clang from Debian): every target of fuzz/targets.hpp for FUZZ_SECONDS each, JOBS at a
# time, from seeds made of examples/logs plus the corpus kept in $(FUZZ_BUILD)/corpus. What a
# target finds lands in tests/fuzz-regressions/<target>/ (replayed by the unit tests) and fails
# the run. .ci/run runs it briefly; fuzz for longer with e.g. `make fuzz FUZZ_SECONDS=600`.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= event_parser pipeline decoders ttylog streaming cowrie_cfg attack_rules
fuzz: deps build
	CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCB_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(JOBS) $(BUILD)/cowrie-batch $(FUZZ_TARGETS)

# House rules as files: .clang-format (the layout, applied to every C++ file) and .clang-tidy (a
# few checks that find real bugs: use after move, dangling views, null dereferences, ...). `make
# format` rewrites the files; format-check and tidy fail on any difference or finding (.ci/run).
# (core/src/parse/command_names.cpp is generated by tools/gen-command-names.sh and left as written.)
CXX_SOURCES = $(filter-out core/src/parse/command_names.cpp,$(shell git ls-files 'core/*.cpp' 'core/*.hpp' 'cli/*.cpp' 'cli/*.hpp' 'serve/*.cpp' 'serve/*.hpp' 'tests/unit/*.cpp' \
  'tests/unit/*.hpp' 'fuzz/*.cpp' 'fuzz/*.hpp' 'bench/*.cpp' 'bench/*.hpp'))
format:
	clang-format -i $(CXX_SOURCES)
format-check:
	@clang-format --dry-run --Werror $(CXX_SOURCES) && echo "format-check: $(words $(CXX_SOURCES)) files as .clang-format lays them out"
tidy: deps build
	run-clang-tidy -p $(BUILD) -j $(JOBS) -quiet '$(CURDIR)/(core|cli|serve)/.*\.cpp$$' > $(BUILD)/tidy.log 2>&1 \
	  || { grep -E 'error:|warning:' $(BUILD)/tidy.log | sort -u; echo "tidy: findings above (whole log: $(BUILD)/tidy.log)"; exit 1; }
	@echo "tidy: no findings"

# A real Cowrie 3.1.4 (PyPI, venv in build/cowrie-venv) on 127.0.0.1, attacked by real
# SSH/Telnet clients; cowrie-batch's analysis of the fresh recording ($(BUILD)/e2e-cowrie-logs)
# is checked against what the clients did (tests/e2e-cowrie/). Skips if Cowrie cannot be installed.
e2e-cowrie: build
	E2E_COWRIE_OUT=$(abspath $(BUILD))/e2e-cowrie-logs tests/e2e-cowrie/run_e2e.sh $(BUILD)/cowrie-batch

# test_real_cowrie.py's checks on the recordings the repository ships (examples/logs and
# tests/data/multi-sensor/*), each against its driver-facts.json; no Cowrie needed.
e2e-shipped: build
	tests/e2e-cowrie/check_shipped.sh $(BUILD)/cowrie-batch

# Golden outputs keyed by command line (tests/golden/<case>/cmd and the expected files beside
# it). `make golden` compares (make test does too, in tests/e2e/test_golden_outputs.py);
# `make approve` overwrites every expected file with what the binary writes now. Run approve
# only after reviewing why the outputs changed, and review `git diff tests/golden/` before
# committing it (after a merge that adds tables, approve adds their golden copies).
golden: build
	tests/golden/golden.py $(BUILD)/cowrie-batch

approve: build
	tests/golden/golden.py $(BUILD)/cowrie-batch --approve
	@git status --short -- tests/golden/ || true

# serve in headless Chromium (playwright-core from report/node_modules): login, search, a session, logout.
serve-test: build $(REPORT_NPM_STAMP)
	CB_BIN=$(abspath $(BUILD))/cowrie-batch CB_SERVE_TEST_OUT=$(abspath $(BUILD))/serve-test node serve/test/browser.mjs

# Static checks and headless-Chromium tests of report.html; screenshots in $(BUILD)/report-test/.
report-test: build $(REPORT_NPM_STAMP)
	CB_BIN=$(abspath $(BUILD))/cowrie-batch CB_REPORT_TEST_OUT=$(abspath $(BUILD))/report-test node report/test/run.mjs

bench: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCB_BUILD_BENCH=ON
	cmake --build $(BUILD) -j $(JOBS)
	bash bench/run.sh
	CB_BUILD_DIR=$(abspath $(BUILD)) bash report/bench.sh

# A fully static binary for Hadoop nodes (docs/HADOOP.md): build-static/cowrie-batch.
static: deps
	tools/fetch-static-deps.sh $(BUILD)/static-deps
	cmake -S . -B build-static -G Ninja -DCMAKE_BUILD_TYPE=Release -DCB_STATIC=ON -DCB_BUILD_TESTS=OFF \
	  -DCB_SIMDJSON_SOURCE=$$(ls -d $(abspath $(BUILD))/static-deps/simdjson-*/ | head -n 1)
	cmake --build build-static -j $(JOBS)
	@file build-static/cowrie-batch

clean:
	rm -rf $(BUILD) $(OUT)
