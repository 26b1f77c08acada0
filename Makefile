# Front door: `make` builds build/skelact, `make demo` runs the main job,
# `make check` runs every test. CMake does the real work.
BUILD       ?= build
SAN_BUILD   ?= build-sanitize
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 30

.PHONY: all build demo check check-sanitize fuzz fuzz-check bench clean model

all: build

build:
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/skelact demo

check: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer (clang).
check-sanitize:
	@CC=clang cmake -S . -B $(SAN_BUILD) -DSK_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(SAN_BUILD) --output-on-failure -j $(JOBS)

# libFuzzer builds of every decoder's fuzz target.
fuzz:
	@CC=clang cmake -S . -B build-fuzz -DSK_FUZZ=ON -DSK_SANITIZE=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)

# Each fuzz target for FUZZ_SECONDS on a scratch copy of its kept corpus.
fuzz-check: fuzz
	@set -e; for f in build-fuzz/fuzz_*; do \
	  [ -x "$$f" ] || continue; case $$f in *_replay) continue;; esac; \
	  name=$$(basename $$f); tmp=$$(mktemp -d); \
	  cp -r fuzz/corpus/$$name/. $$tmp/ 2>/dev/null || true; \
	  echo "fuzzing $$name for $(FUZZ_SECONDS) s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 $$tmp 2>&1 | tail -4; \
	  rm -rf $$tmp; \
	done

bench: build
	@for b in $(BUILD)/bench_*; do echo "== $$b"; $$b; done

# The shipped model, made again from the bundled PRECOG takes (subjects 1-9;
# the exact command and its figures: models/README.md). Deterministic seed.
PRECOG ?= ../shared/data/precog
MODEL_TRAIN ?= --arch tcn --hidden 64 --layers 4 --window 31 --frame-norm \
  --epochs 16 --stride 2 --refractory 30 --ensemble 3 --seed 1
model: build
	./$(BUILD)/skelact train --data $(PRECOG) --format precog --subjects 1-9 \
	  $(MODEL_TRAIN) --out models/precog.model

clean:
	rm -rf $(BUILD) build-sanitize build-fuzz
