# cowrie-batch: the front door. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
OUT ?= out

# Debian packages: compilers and build tools, the libraries found by find_package,
# and the command-line tools the tests use.
APT_PACKAGES := g++ cmake ninja-build pkg-config \
  libsimdjson-dev libcli11-dev libfmt-dev libsqlite3-dev zlib1g-dev libbz2-dev libzstd-dev \
  libisal-dev libdeflate-dev libgtest-dev libbenchmark-dev \
  sqlite3 jq python3 gzip bzip2 zstd time \
  openjdk-17-jdk-headless maven

.PHONY: all deps build run test unit e2e bench clean

all: build

deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	else echo "deps: all Debian packages present"; fi

$(BUILD)/build.ninja:
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

test: deps build
	ctest --test-dir $(BUILD) --output-on-failure
	tests/e2e/run_all.sh $(BUILD)/cowrie-batch

bench: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCB_BUILD_BENCH=ON
	cmake --build $(BUILD) -j $(JOBS)
	bash bench/run.sh

clean:
	rm -rf $(BUILD) $(OUT)
