# treu - thin wrapper over Meson/Ninja. Every target installs missing Debian packages
# first (scripts/install-deps), so each works on a fresh Debian 12 machine.
#   make         build build/treu
#   make run     build and start treu with a demo project under ./data
#   make test    build with ASan+UBSan and run every test (each fuzz corpus once, too)
#   make fuzz    build the libFuzzer targets with clang and fuzz each for FUZZ_SECONDS (60)
#   make bench   build optimized and run the benchmarks (results in BENCHMARKS.md)
#   make fmt     format the C sources with clang-format
#   make clean   remove build directories

WERROR := $(if $(CI),true,false)

.PHONY: all deps build build-asan build-fuzz run test fuzz bench fmt clean

all: build

deps:
	@scripts/install-deps

build/build.ninja: | deps
	meson setup build --buildtype=debugoptimized -Dwerror=$(WERROR)

build: deps build/build.ninja
	ninja -C build

build-asan/build.ninja: | deps
	meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined -Dwerror=true

build-asan: deps build-asan/build.ninja
	ninja -C build-asan

# Fuzzing needs clang (scripts/install-deps installs it); its own build dir, because every
# object is instrumented for libFuzzer. Crashing inputs land in fuzz-crashes/<target>/.
build-fuzz/build.ninja: | deps
	CC=clang meson setup build-fuzz --buildtype=debugoptimized -Db_sanitize=address,undefined \
		-Db_lundef=false -Dfuzz=true -Dwerror=true

build-fuzz: deps build-fuzz/build.ninja
	ninja -C build-fuzz fuzz

fuzz: build-fuzz
	scripts/fuzz

run: build
	scripts/run-demo

test: build-asan
	scripts/test

bench: build
	bench/run

fmt:
	clang-format -i $$(find src tests/fuzz -name '*.[ch]')

clean:
	rm -rf build build-asan build-fuzz
