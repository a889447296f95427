# bpf2native: the two commands a fresh machine needs are `make sample` (the
# main job on the bundled sample) and `make test` (the whole suite). Both
# install what they need first (scripts/deps.sh).

GO ?= go
SHARED ?= ../shared
BIN := bin/bpf2native
SAMPLE := testdata/xdp_parse.o
SAMPLE_PACKET := testdata/packets/ipv4_tcp.bin

.PHONY: all deps build sample test go-test conformance testdata testdata-fresh fuzz bench clean

all: build

deps:
	@scripts/deps.sh

build:
	$(GO) build -o $(BIN) ./cmd/bpf2native

# The main job on the bundled sample: verify it, compile it into a Windows
# driver signed with the built-in test certificate, check the signature,
# and run one of its programs natively on a packet.
sample: build
	$(BIN) compile --format pe --arch amd64 --sign -o bin/xdp_parse.sys $(SAMPLE)
	$(BIN) verify-signature --test-ca bin/xdp_parse.sys
	$(BIN) run --engine native --program xdp_firewall --input $(SAMPLE_PACKET) $(SAMPLE)

test: deps build
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(MAKE) testdata-fresh
	$(MAKE) conformance
	$(GO) test -count=1 ./...
	$(MAKE) examples-gen
	$(MAKE) test-arm64
	$(MAKE) conformance-arm64

# The external conformance suite through the CLI, as a user would run it.
conformance: build
	$(BIN) conformance --engine interp $(SHARED)/conformance/tests

# eBPF test objects (testdata/*.o, *.v4.o); the rules live in testdata/Makefile.
testdata:
	$(MAKE) -C testdata

# Fails if a committed object differs from a fresh build of its source.
testdata-fresh:
	$(MAKE) -s -C testdata repro gcc-check

# Native code against the same C built by gcc -O2 and clang-19 -O2, the
# interpreter, and compile speed: the tables of docs/BENCHMARKS.md.
bench:
	$(GO) run ./bench

# The arm64 table of docs/BENCHMARKS.md: ratios only, everything under qemu-user.
bench-arm64:
	$(GO) run ./bench -arch arm64 -exec $(ARM64_EXEC)

# examples/gen, the go:generate example: `go generate` must reproduce the
# committed files exactly (C through clang-19, native code, the Go API), and
# its tests must pass natively (where this host runs native code) and under
# the interpreter.
.PHONY: examples-gen
examples-gen:
	cd examples/gen && $(GO) mod tidy && $(GO) generate ./...
	@git diff --exit-code --stat -- examples/gen && test -z "$$(git status --porcelain -- examples/gen)" || \
		{ echo "examples/gen: go generate does not reproduce the committed files:"; git status --short -- examples/gen; exit 1; }
	cd examples/gen && $(GO) vet ./... && $(GO) test -count=1 ./... && BPF2NATIVE_ENGINE=interp $(GO) test -count=1 ./...

clean:
	rm -rf bin

# arm64 under qemu-user: the packages that generate, link, load and run
# native code, as arm64 test binaries (cgo cross-built with
# aarch64-linux-gnu-gcc) under qemu-aarch64, which runs the conformance
# suite and every testdata program natively against the interpreter, and
# the C-linking test with aarch64-linux-gnu-gcc; then the proof that arm64 code
# cross-compiled here is byte-identical to what the arm64 build produces
# (TestReproducible's digests, written by both). See docs/ARM64.md.
ARM64_ENV := CGO_ENABLED=1 GOARCH=arm64 CC=aarch64-linux-gnu-gcc
ARM64_EXEC := $(CURDIR)/scripts/qemu-aarch64-exec
ARM64_PKGS := ./backend/... ./loader/... ./linker/... ./regalloc/... ./host/... ./metadata/... ./conformance/...

.PHONY: test-arm64
test-arm64: deps
	mkdir -p bin
	BPF2NATIVE_DIGEST=$(CURDIR)/bin/digest-arm64 $(ARM64_ENV) $(GO) test -count=1 -exec $(ARM64_EXEC) $(ARM64_PKGS)
	BPF2NATIVE_DIGEST=$(CURDIR)/bin/digest-cross $(GO) test -count=1 -run '^TestReproducible$$' ./backend/arm64
	cmp bin/digest-cross bin/digest-arm64

# The conformance suite through an arm64 build of the command, run natively
# under qemu-aarch64, as a user would run it on an arm64 machine.
.PHONY: conformance-arm64
conformance-arm64: deps
	mkdir -p bin
	$(ARM64_ENV) $(GO) build -o bin/bpf2native-arm64 ./cmd/bpf2native
	$(ARM64_EXEC) bin/bpf2native-arm64 conformance --engine native --arch arm64 $(SHARED)/conformance/tests
