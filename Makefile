# Thin wrapper over CMake. The README's two commands are `make demo` and `make test`.
BUILD ?= build
FUZZ_BUILD ?= build-fuzz
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 120

.PHONY: all build deps test test-asan unit bench bench-tftp bench-dhcp bench-http bench-loss fuzz demo clean

all: build

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

deps:
	bash scripts/install-deps.sh

# Every test: unit, config, fuzz corpus replay plus a short fuzz run, system tests; then the
# unit tests, the fuzz replays and the parser-facing system tests again under ASan and UBSan.
test: deps build
	cd $(BUILD) && ctest --output-on-failure --timeout 900 -j 1
	bash scripts/test-asan.sh $(ASAN_BUILD)

# The sanitizer part of `make test` alone (a tree of its own: $(ASAN_BUILD)).
test-asan: deps
	bash scripts/test-asan.sh $(ASAN_BUILD)

unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

# The benchmarks (TFTP first: it rewrites bench/RESULTS.md, keeping other sections).
# bench-loss boots QEMU VMs through a lossy path (about an hour); it is not part of `bench`.
bench: bench-tftp bench-dhcp bench-http

bench-tftp: deps build
	bash bench/tftp.sh

bench-dhcp: deps build
	bash bench/dhcp.sh

bench-http: deps build
	bash bench/http.sh

bench-loss: deps build
	bash bench/boot_loss.sh --write-results

fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) -DBW_FUZZ=ON -DCMAKE_C_COMPILER=clang >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

demo: deps build
	bash scripts/demo.sh

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(ASAN_BUILD)
