# quantc quick start: `make demo` and `make check` install what is missing,
# build, and run. `make deps` only installs dependencies.
BUILD ?= build
PY := .venv/bin/python
JOBS ?= $(shell nproc)

.PHONY: all deps configure build demo check clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	@./scripts/install-deps.sh
	cmake -G Ninja -S . -B $(BUILD) -DPython3_EXECUTABLE=$(abspath $(PY))

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@./scripts/demo.sh $(BUILD)

check: build
	@./scripts/check.sh $(BUILD)

clean:
	rm -rf $(BUILD)
